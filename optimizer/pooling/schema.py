"""The pool workbook's schema: sheets, columns and settings of ``sourcing pool`` inputs.

Built from the same :class:`optimizer.sourcing.schema.Column` / :class:`~optimizer.sourcing.schema.Sheet`
declarations as the main workbook, so the same safe reader, cell parser and
template helpers apply.  Units as in the main workbook: masses in tonnes (t), prices
in currency per kg; model costs come out in currency millions.

Two ways to use a pool workbook:

* **joint model** (the default when MemberDemand has rows): Settings, Members,
  MemberDemand, PooledOffers and/or StandaloneOffers, optionally PooledAccess,
  MemberPolicy and ProposedSplit -- coalition costs are computed by optimising every
  sub-coalition;
* **typed game** (``--game``, or when only CoalitionCosts is filled): CoalitionCosts
  (every coalition's cost or savings), optionally Settings (member order),
  Members and ProposedSplit.
"""
from __future__ import annotations

from models import origins as OR
from optimizer.core import limits as LIM
from optimizer.core.workbook import columns as S
from optimizer.core.workbook.columns import BASIS, Column, Setting, Sheet

SETTINGS = S.SETTINGS      # setting | value | notes, one setting per row

SETTING_SPECS: tuple[Setting, ...] = (
    Setting("first_year", S.YEAR, None, doc="First planning year (joint model only), e.g. 2026."),
    Setting("last_year", S.YEAR, None, doc="Last planning year (joint model only), e.g. 2030."),
    Setting("currency", S.TEXT, "USD", doc="Currency label for prices (per kg) and results (millions)."),
    Setting("members", S.TEXT, "",
            doc="Member order for every table and chart, ids separated by commas, e.g. 'KR, JP, SG' "
                "(blank = the order of the Members sheet)."),
    Setting("mga_slack", S.FRACTION, 0.03, 0.0, 1.0,
            doc="Near-optimal alternatives: plans costing at most (1 + slack) x the optimal pooled "
                "cost, e.g. 0.03 = within 3 %. 0 = no alternatives."),
    Setting("china_sources", S.TEXT, "CN",
            doc="Source ids that count against members' China caps, separated by commas."),
    Setting("unmet_penalty", S.NUMBER, None, 0.0, S.MAX_PRICE,
            doc="Penalty per kg of a member's demand left unmet (currency/kg). "
                "Default: 10 x the highest unit price in the workbook."),
    Setting("discount_rate", S.FRACTION, 0.0, 0.0, 0.5,
            doc="Annual discount rate applied to costs after first_year (0 = undiscounted)."),
    Setting("time_limit", S.NUMBER, None, 0.0, LIM.MAX_TIME_LIMIT,
            doc="Time limit per solve in seconds (blank = none)."),
    Setting("shapley_permutations", S.NUMBER, 2000, 2.0, LIM.MAX_PERMUTATIONS,
            doc="Beyond 12 members the Shapley value is sampled: number of random orders."),
    Setting("seed", S.NUMBER, 0, 0.0, LIM.MAX_SEED, doc="Random seed for the sampled Shapley value."),
)
SETTING_BY_NAME = {s.name: s for s in SETTING_SPECS}

_MEMBER = Column("member", "member id", S.ID, doc="Member id from the Members sheet, e.g. KR.")
_MATERIAL = Column("material", "material id", S.ID, doc="Material id, e.g. GA (free choice; used consistently).")
_SOURCE = Column("source", "source id", S.ID, doc="Supplier id, e.g. AUMY; ids in the china_sources setting "
                                                  "count against China caps.")
_YEAR = Column("year", "year", S.YEAR, number_format="0", width=8)
_PRICE = Column("unit_price", "unit price (currency/kg)", S.NUMBER, minimum=0.0, maximum=S.MAX_PRICE,
                doc="Delivered price per kg.", number_format="#,##0.00")

MEMBERS = Sheet(
    "Members",
    (
        Column("member", "member id", S.ID, doc="Short id used on every other sheet, e.g. KR."),
        Column("name", "name", S.TEXT, width=30),
        Column("country", "country", S.TEXT, required=False, default="", width=20),
        BASIS,
    ),
    key=("member",), required=False,
    doc="One row per pool member (the players of the game).",
)

MEMBER_DEMAND = Sheet(
    "MemberDemand",
    (_MEMBER, _MATERIAL, _YEAR,
     Column("demand", "demand (t)", S.NUMBER, minimum=0.0, maximum=S.MAX_TONNES, number_format="#,##0.0"),
     BASIS),
    key=("member", "material", "year"), required=False,
    doc="Each member's own demand per material and year (missing = 0). The pool must cover "
        "every member's demand; a member may receive more than it needs (e.g. to reach a tier).",
)

POOLED_OFFERS = Sheet(
    "PooledOffers",
    (
        Column("offer", "offer id", S.ID, doc="One id per offer; one row per volume tier of it."),
        _SOURCE, _MATERIAL, _YEAR,
        Column("tier", "tier", S.NUMBER, minimum=1.0, maximum=1000.0, number_format="0", width=6,
               doc="Tier number (1, 2, ...), for reading only."),
        Column("tier_min", "tier min volume (t)", S.NUMBER, minimum=0.0, maximum=S.MAX_TONNES,
               number_format="#,##0.0",
               doc="Smallest total pooled volume to which this tier's price applies."),
        Column("tier_max", "tier max volume (t)", S.NUMBER, required=False, default=None, minimum=0.0,
               maximum=S.MAX_TONNES,
               number_format="#,##0.0",
               doc="Largest total pooled volume at this tier's price (blank = unlimited). The highest "
                   "tier's maximum is the offer's capacity."),
        Column("unit_price", "unit price (currency/kg)", S.NUMBER, minimum=0.0, maximum=S.MAX_PRICE,
               number_format="#,##0.00",
               doc="All-units price: the whole volume bought is charged this price when it lies in the tier."),
        Column("min_lot", "minimum lot (t)", S.NUMBER, required=False, default=0.0, minimum=0.0,
               maximum=S.MAX_TONNES,
               number_format="#,##0.0",
               doc="If anything is bought from the offer, at least this much (same on every tier row)."),
        BASIS,
    ),
    key=("offer", "tier"), required=False,
    doc="Offers the pool buys jointly: all-units volume tiers and a minimum lot. Offers with one tier "
        "starting at 0 and no minimum lot are continuous (LP); any other offer needs integer decisions "
        "(the joint model is then a MILP). Any coalition, even one member, may use these offers (up to its "
        "members' access when the offer is on the PooledAccess sheet).",
)

POOLED_ACCESS = Sheet(
    "PooledAccess",
    (
        Column("offer", "offer id", S.ID, doc="A pooled offer id from the PooledOffers sheet."),
        _MEMBER,
        Column("capacity", "access (t)", S.NUMBER, minimum=0.0, maximum=S.MAX_TONNES, number_format="#,##0.0",
               doc="Tonnes of this offer the member can secure (its allocation, priority or offtake right)."),
        BASIS,
    ),
    key=("offer", "member"), required=False,
    doc="Optional access rights to pooled offers. For an offer listed here, a coalition can buy at most "
        "the sum of its members' access (pooling combines the members' rights, so it only adds options); "
        "an offer not listed here is open to every coalition up to its highest tier maximum.",
)

STANDALONE_OFFERS = Sheet(
    "StandaloneOffers",
    (_MEMBER, _SOURCE, _MATERIAL, _YEAR,
     Column("capacity", "capacity (t)", S.NUMBER, minimum=0.0, maximum=S.MAX_TONNES, number_format="#,##0.0",
            doc="Most this member can buy from this source alone in the year."),
     _PRICE, BASIS),
    key=("member", "source", "material", "year"), required=False,
    doc="Offers each member can take on its own (inside or outside the pool); only that member "
        "can use them.",
)

MEMBER_POLICY = Sheet(
    "MemberPolicy",
    (_MEMBER, _MATERIAL, _YEAR,
     Column("max_china_share", "max China share", S.FRACTION, number_format="0.0%",
            doc="Cap on the member's tonnes from China as a share of its demand of that material, "
                "measured at the stage in the 'stage' column."),
     Column("stage", "stage", S.CHOICE, choices=OR.MEASURES, required=False, default=OR.DIRECT,
            doc="direct = bought from a China source (the china_sources setting; default); mining, refining, "
                "metal or magnet = China's share of that stage of what is bought (Origins sheet); "
                "look-through = the largest of those shares, product by product."),
     Column("country", "country (blank = China)", S.ID, required=False, default="",
            doc="Whose share is capped: blank = China (CN and the china_sources); a country id (a source "
                "id is that source's country, or a country on Origins); ANY = every single country."),
     BASIS),
    key=("member", "material", "year", "stage", "country"), required=False,
    doc="Optional China caps per member, material and year (years without a row are uncapped), on the "
        "direct measure or at a processing stage.",
)

ORIGINS = Sheet(
    "Origins",
    (_MATERIAL, _SOURCE,
     Column("stage", "stage", S.CHOICE, choices=OR.STAGES),
     Column("country", "country id", S.ID, doc="Where that stage happened; CN (or a china_sources id) is China."),
     Column("share", "share of the product", S.FRACTION, number_format="0.0%",
            doc="Shares of one material, source and stage sum to 100 %."),
     BASIS),
    key=("material", "source", "stage", "country"), required=False,
    doc="Where each upstream stage of what a source sells happened, as shares by country (as on the main "
        "workbook's Origins sheet). A stage without rows happened where the source is: in China for the "
        "china_sources, elsewhere for the others.",
)

PROPOSED_SPLIT = Sheet(
    "ProposedSplit",
    (
        _MEMBER,
        Column("cost_share", "share of pooled cost", S.FRACTION, required=False, default=None,
               number_format="0.0%", doc="Fill this column OR the next one, on every row."),
        Column("savings_share", "share of savings", S.FRACTION, required=False, default=None,
               number_format="0.0%",
               doc="Share of the pool's savings (sum of stand-alone costs minus pooled cost); the "
                   "member then pays its stand-alone cost minus this share of the savings."),
        Column("note", "note", S.TEXT, required=False, default="", width=40),
    ),
    key=("member",), required=False,
    doc="Optional proposed split to check: one row per member, shares adding up to 100 %.",
)

COALITION_COSTS = Sheet(
    "CoalitionCosts",
    (
        Column("coalition", "coalition", S.TEXT, width=24,
               doc="Members joined by '+', e.g. KR+JP (order does not matter); one row per coalition."),
        Column("cost", "cost", S.NUMBER, required=False, default=None, number_format="#,##0.00",
               doc="The coalition's cost when it buys alone (any unit, used as typed). Fill this OR savings."),
        Column("savings", "savings", S.NUMBER, required=False, default=None, number_format="#,##0.00",
               doc="Or: the coalition's savings/gain (a gains game; singletons usually 0)."),
        BASIS,
    ),
    key=(), required=False,
    doc="A coalition-cost (or savings) table typed in, for `sourcing pool --game`: every non-empty "
        "coalition of the members, e.g. 7 rows for 3 members.",
)

REFERENCES = S.REFERENCES

POOL_SHEETS: tuple[Sheet, ...] = (
    SETTINGS, MEMBERS, MEMBER_DEMAND, POOLED_OFFERS, POOLED_ACCESS, STANDALONE_OFFERS, MEMBER_POLICY,
    ORIGINS, PROPOSED_SPLIT, COALITION_COSTS, REFERENCES,
)
SHEET_BY_NAME = {s.name: s for s in POOL_SHEETS}

MAX_MEMBERS = 30              # joint model; exact coalition table up to games.EXACT_MAX_PLAYERS
MAX_GAME_PLAYERS = 12         # typed game: 4,095 coalition rows
