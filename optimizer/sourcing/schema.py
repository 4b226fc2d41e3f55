"""The input workbook's schema: one declaration used by the loader, the validator,
the template generator and the documentation.

Every data sheet is a table whose first row holds the headers below (units in the
header text), one record per row, no merged cells, no blank rows inside the table.
Sheets not named here (README, Sources notes, a user's own scratch sheets) are
ignored by the loader.  The ``Sources`` sheet is the bibliography of the sample
workbook: it is read only to check that every ``basis`` reference exists.

Units: masses in tonnes (t), prices in currency per kg, capital in currency
millions.  1 t x 1 currency/kg = 1 thousand currency units, which is the unit of
every cost inside the model (reports convert to millions).

The column kit (kinds, :class:`Column`, :class:`Sheet`, :data:`BASIS`, the Settings and
Sources sheets, the reading limits) is :mod:`optimizer.core.workbook.columns`; its names
are imported here so a sheet declaration reads ``S.Column(..., S.NUMBER)``.
"""
from __future__ import annotations

from optimizer.core.solver import BACKEND_NAMES, SOLVER_NAMES
from optimizer.core.limits import MAX_SCENARIO_ROWS, MAX_TIME_LIMIT
from optimizer.core.workbook.columns import (BASIS, BOOL, CHOICE, FRACTION, ID, MAX_MONEY_M, MAX_PRICE, MAX_TONNES, NUMBER, REFERENCES, SETTINGS, TEXT, YEAR, Column, Setting, Sheet)

BLOCS = ("china", "ally", "domestic", "other")
# processing stages behind a product, upstream first (models.origins); a Policy row measures one
# of them, the seller's country ("direct", the default) or the look-through (the largest share a
# country holds at any stage of the product)
STAGES = ("mining", "refining", "metal", "magnet")
MEASURES = ("direct",) + STAGES + ("look-through",)
ANY_COUNTRY = "ANY"
BACKENDS = BACKEND_NAMES
SOLVERS = SOLVER_NAMES
SCENARIO_OPERATIONS = ("set", "multiply", "add")
AGGREGATE_SCOPE = "ALL"



SETTING_SPECS: tuple[Setting, ...] = (
    Setting("first_year", YEAR, None, doc="First planning year (e.g. 2024)."),
    Setting("last_year", YEAR, None, doc="Last planning year (e.g. 2030)."),
    Setting("base_year", YEAR, None, doc="Year costs are discounted to (default: first_year)."),
    Setting("currency", TEXT, "USD", doc="Currency label for prices (per kg) and capital (millions)."),
    Setting("discount_rate", FRACTION, 0.0, 0.0, 0.5, doc="Annual discount rate, e.g. 0.05."),
    Setting("risk_weight", NUMBER, 0.0, 0.0, 100.0,
            doc="lambda: currency charged per currency unit of risk exposure "
                "(risk score x material reference value x tonnes). 0 = cost only."),
    Setting("unmet_penalty", NUMBER, None, 0.0, MAX_PRICE,
            doc="Penalty per kg of unmet demand (currency/kg) for every material without its own "
                "value on Materials. Default: per material, max(10, 2 x planning years) x its highest unit cost."),
    Setting("stock_shortfall_penalty", NUMBER, None, 0.0, MAX_PRICE,
            doc="Penalty per kg per year below the stockpile target (currency/kg) for every material "
                "without its own value on Materials. Default: per material, 1.5 x its highest unit cost."),
    Setting("stock_targets", CHOICE, "soft", choices=("soft", "hard"),
            doc="soft = a stock below its target is allowed at the shortfall penalty and reported as a "
                "missed target; hard = every stock target must be met (an impossible one is explained)."),
    Setting("max_single_source_share", FRACTION, None, 0.0, 1.0,
            doc="Optional cap on any one supplier's share of a material's demand in any year."),
    Setting("investment_budget_total", NUMBER, None, 0.0, MAX_MONEY_M,
            doc="Optional cap on total domestic-project capex over the horizon (currency millions)."),
    Setting("integer_investments", BOOL, False,
            doc="yes = projects are built whole or not at all (MILP; duals then indicative only)."),
    Setting("backend", CHOICE, "native", choices=BACKENDS,
            doc="native = matrix straight into HiGHS (fastest); pulp or pyomo build the same LP."),
    Setting("solver", CHOICE, "highs", choices=SOLVERS, doc="highs (in-process) or cbc."),
    Setting("time_limit", NUMBER, None, 0.0, MAX_TIME_LIMIT, doc="Solver time limit in seconds (blank = none)."),
    Setting("scenario", TEXT, "", doc="Name of a scenario from the Scenarios sheet to apply (blank = base data)."),
    Setting("periods_per_year", NUMBER, 1, 1, 12,
            doc="1, 4 or 12: stock, deliveries, demand and disruptions run per year, quarter or month "
                "(caps, budgets, contracts and ramp limits stay annual)."),
    Setting("language", CHOICE, "", choices=("en", "ko"),
            doc="Language of the terminal summaries: en or ko (한국어); blank = English. --lang overrides it."),
)
PERIODS_PER_YEAR = (1, 4, 12)
SETTING_BY_NAME = {s.name: s for s in SETTING_SPECS}

MATERIALS = Sheet(
    "Materials",
    (
        Column("material", "material id", ID, doc="Short id used on every other sheet, e.g. GA."),
        Column("name", "name", TEXT, doc="Human-readable name.", width=36),
        Column("group", "group", ID, required=False, default="",
               doc="Optional group id (e.g. REE) that Policy rows can target."),
        Column("china_cap_applies", "China cap applies (yes/no)", BOOL, required=False, default=True,
               doc="Whether the material counts in ALL / group China-share caps."),
        Column("reference_value", "reference value (currency/kg)", NUMBER, minimum=0.0, maximum=MAX_PRICE,
               doc="Weight of one kg in value-weighted shares and in risk exposure.",
               number_format="#,##0.00"),
        Column("holding_cost", "holding cost (currency/kg/yr)", NUMBER, required=False, default=0.0,
               minimum=0.0, maximum=MAX_PRICE, doc="Cost of holding one kg in stock for a year.", number_format="#,##0.00"),
        Column("opening_stock", "opening stock (t)", NUMBER, required=False, default=0.0, minimum=0.0,
               maximum=MAX_TONNES,
               doc="Stock at the start of the first planning year.", number_format="#,##0.0"),
        Column("unmet_penalty", "unmet-demand penalty (currency/kg)", NUMBER, required=False, default=None,
               minimum=0.0, maximum=MAX_PRICE, number_format="#,##0.00",
               doc="Cost charged per kg of demand left unserved (blank = the Settings value, or "
                   "max(10, 2 x planning years) x this material's highest unit cost)."),
        Column("shortfall_penalty", "stock shortfall penalty (currency/kg/yr)", NUMBER, required=False,
               default=None, minimum=0.0, maximum=MAX_PRICE, number_format="#,##0.00",
               doc="Cost per kg and year of stock below the target (blank = the Settings value, or "
                   "1.5 x this material's highest unit cost)."),
        Column("stages", "processing stages", TEXT, required=False, default="",
               doc="The stages behind one kg of this material, from: mining, refining (separation or "
                   "refining), metal (metal or alloy), magnet (magnet making), comma-separated, e.g. "
                   "'mining, refining' for an oxide. Blank = all four. A stage cap counts only the "
                   "materials that have that stage.", width=26),
        BASIS,
    ),
    key=("material",), min_rows=1,
    doc="One row per material.",
)

SUPPLIERS = Sheet(
    "Suppliers",
    (
        Column("source", "source id", ID, doc="Short id, e.g. CN, JP, AUMY."),
        Column("name", "name", TEXT, width=36),
        Column("country", "country", TEXT, width=20),
        Column("bloc", "bloc", CHOICE, choices=BLOCS,
               doc="china counts against the China cap; domestic is Korean production."),
        Column("risk", "risk score (0-1)", FRACTION, doc="0 = no disruption risk, 1 = highest.",
               number_format="0.00"),
        Column("rationale", "risk rationale", TEXT, required=False, default="", width=60),
        Column("country_id", "country id", ID, required=False, default="",
               doc="Short id of the country the supplier sells from (e.g. CN, JP, MY, KR), used by "
                   "country caps and the dependence report. Blank = the source id. Suppliers in one "
                   "country must share its bloc."),
        BASIS,
    ),
    key=("source",), min_rows=1,
    doc="One row per supplier (a country, company or channel).",
)

SUPPLY = Sheet(
    "Supply",
    (
        Column("material", "material id", ID),
        Column("source", "source id", ID),
        Column("year", "year", YEAR, number_format="0", width=8),
        Column("capacity", "capacity (t)", NUMBER, minimum=0.0, maximum=MAX_TONNES,
               doc="Most this supplier can sell to us in the year.", number_format="#,##0.0"),
        Column("unit_cost", "unit cost (currency/kg)", NUMBER, minimum=0.0, maximum=MAX_PRICE,
               doc="Delivered price.", number_format="#,##0.00"),
        Column("min_volume", "minimum volume (t)", NUMBER, required=False, default=0.0, minimum=0.0,
               maximum=MAX_TONNES,
               doc="Contracted take-or-pay volume (blank = 0).", number_format="#,##0.0"),
        Column("max_increase", "max increase on prior year (t)", NUMBER, required=False, default=None,
               minimum=0.0, maximum=MAX_TONNES, doc="Ramp limit on purchases from the previous year (blank = none).",
               number_format="#,##0.0"),
        BASIS,
    ),
    key=("material", "source", "year"), min_rows=1,
    doc="One row per material x supplier x year that can be bought.",
)

DEMAND = Sheet(
    "Demand",
    (
        Column("material", "material id", ID),
        Column("year", "year", YEAR, number_format="0", width=8),
        Column("demand", "demand (t)", NUMBER, minimum=0.0, maximum=MAX_TONNES, number_format="#,##0.0"),
        BASIS,
    ),
    key=("material", "year"), min_rows=1,
    doc="Demand per material and year; every material needs every planning year.",
)

POLICY = Sheet(
    "Policy",
    (
        Column("year", "year", YEAR, number_format="0", width=8),
        Column("scope", "scope (ALL, group or material id)", ID, canonical=(AGGREGATE_SCOPE,),
               doc="ALL = every material with the cap; a group id; or one material id."),
        Column("max_china_share", "max share", FRACTION, aliases=("max China share",),
               doc="Cap on the share of demand (value-weighted for ALL/groups) that comes from the country "
                   "or bloc in the 'country' column (blank = the China bloc), measured at the stage in "
                   "the 'stage' column.", number_format="0.0%"),
        Column("country", "country (blank = China bloc)", ID, required=False, default="",
               doc="Whose share is capped: blank or china = the China bloc (as before); a bloc (ally, "
                   "domestic, other); a country id from Suppliers or Origins (e.g. CN); ANY = every single "
                   "country (one cap per country)."),
        Column("stage", "stage", CHOICE, choices=MEASURES, required=False, default="direct",
               doc="direct = the seller's country (default); mining, refining, metal or magnet = where that "
                   "stage of the product happened (Origins sheet); look-through = the largest share the "
                   "country holds at any stage of the product."),
        BASIS,
    ),
    key=("year", "scope", "country", "stage"),
    doc="The dependence glide path: the China-bloc share of direct purchases by default, or any country, "
        "bloc or every single country, at any processing stage. Years without a row are uncapped.",
)

ORIGINS = Sheet(
    "Origins",
    (
        Column("material", "material id", ID),
        Column("source", "source id", ID),
        Column("year", "year", YEAR, required=False, default=None, number_format="0", width=8,
               doc="Blank = every year."),
        Column("stage", "stage", CHOICE, choices=STAGES),
        Column("country", "country id", ID, doc="Where that stage of the product happened."),
        Column("share", "share of the product", FRACTION, number_format="0.0%",
               doc="Shares of one material, source, year and stage sum to 100 %."),
        BASIS,
    ),
    key=("material", "source", "year", "stage", "country"), required=False,
    doc="Where each upstream stage of what a supplier sells happened, as shares by country. A stage "
        "without rows is taken to happen in the supplier's own country.",
)

MAX_INPUT_PER_T = 1_000.0    # t of an input per t of output: a yield of 0.1 %, far below any real process

CONVERSION = Sheet(
    "Conversion",
    (
        Column("process", "process id", ID),
        Column("name", "name", TEXT, width=36),
        Column("material", "output material id", ID),
        Column("source", "source id", ID, doc="Supplier the output is booked to (usually domestic, KR)."),
        Column("stages", "stages it performs", TEXT, doc="e.g. 'metal, magnet' for a magnet plant fed oxide; "
               "the output's other stages come from its inputs.", width=20),
        Column("year", "year", YEAR, required=False, default=None, number_format="0", width=8,
               doc="Blank = every planning year; a row with a year sets that year (capacity 0 = not running)."),
        Column("capacity", "capacity (t output/yr)", NUMBER, minimum=0.0, maximum=MAX_TONNES,
               number_format="#,##0.0"),
        Column("unit_cost", "conversion cost (currency/kg output)", NUMBER, minimum=0.0, maximum=MAX_PRICE,
               number_format="#,##0.00", doc="Cost of converting, on top of the inputs bought."),
        BASIS,
    ),
    key=("process", "year"), required=False,
    doc="Domestic conversion: output made from purchased inputs (ConversionInputs), which it consumes "
        "and whose origins it inherits.",
)

CONVERSION_INPUTS = Sheet(
    "ConversionInputs",
    (
        Column("process", "process id", ID),
        Column("material", "input material id", ID),
        Column("input_per_t", "input per t of output (t)", NUMBER, minimum=0.0, maximum=MAX_INPUT_PER_T,
               number_format="0.000",
               doc="Tonnes of the input used per tonne of output (1 / yield)."),
        BASIS,
    ),
    key=("process", "material"), required=False,
    doc="The inputs of each Conversion process, in tonnes per tonne of output.",
)

STOCKPILE = Sheet(
    "Stockpile",
    (
        Column("material", "material id", ID),
        Column("year", "year", YEAR, number_format="0", width=8),
        Column("target_days", "target cover (days)", NUMBER, minimum=0.0, maximum=3650.0,
               doc="End-of-year stock target in days of that year's demand.", number_format="0"),
        BASIS,
    ),
    key=("material", "year"), required=False,
    doc="Stockpile targets (soft: shortfall is penalised and reported).",
)

INVESTMENTS = Sheet(
    "Investments",
    (
        Column("project", "project id", ID),
        Column("name", "name", TEXT, width=36),
        Column("material", "material id", ID),
        Column("source", "source id", ID, doc="Supplier the output is booked to (usually domestic KR)."),
        Column("capacity", "capacity (t/yr)", NUMBER, minimum=0.0, maximum=MAX_TONNES, number_format="#,##0.0"),
        Column("capex", "capex (currency M)", NUMBER, minimum=0.0, maximum=MAX_MONEY_M, number_format="#,##0.0"),
        Column("opex", "operating cost (currency/kg)", NUMBER, minimum=0.0, maximum=MAX_PRICE,
               number_format="#,##0.00"),
        Column("earliest_year", "earliest first output year", YEAR, number_format="0"),
        Column("lead_time", "lead time (years)", NUMBER, minimum=0.0, maximum=20.0, default=0.0,
               required=False, number_format="0",
               doc="Years between paying capex and first output; capex is charged in "
                   "(first output year - lead time), or the first planning year if earlier."),
        BASIS,
    ),
    key=("project",), required=False,
    doc="Domestic (or any) capacity projects the plan may fund.",
)

BUDGET = Sheet(
    "Budget",
    (
        Column("year", "year", YEAR, number_format="0", width=8),
        Column("capex_budget", "capex budget (currency M)", NUMBER, minimum=0.0, maximum=MAX_MONEY_M,
               number_format="#,##0.0"),
        BASIS,
    ),
    key=("year",), required=False,
    doc="Capex budget per year for Investments (years without a row are unlimited).",
)

SCENARIOS = Sheet(
    "Scenarios",
    (
        Column("scenario", "scenario", ID),
        Column("sheet", "sheet", CHOICE,
               choices=("Settings", "Materials", "Suppliers", "Supply", "Demand", "Policy",
                        "Stockpile", "Investments", "Budget")),
        Column("material", "material id", ID, required=False, default="", doc="Blank = any."),
        Column("source", "source id", ID, required=False, default="", doc="Blank = any."),
        Column("year", "year", YEAR, required=False, default=None, number_format="0", doc="Blank = any."),
        Column("target", "column / setting / scope", TEXT,
               doc="Column key to change (e.g. capacity, unit_cost, demand, max_china_share), "
                   "a setting name on Settings, or for Policy the scope.", width=26),
        Column("operation", "operation", CHOICE, choices=SCENARIO_OPERATIONS),
        Column("value", "value", NUMBER, number_format="General"),
        Column("note", "note", TEXT, required=False, default="", width=50),
        Column("country", "country", ID, required=False, default="",
               doc="Policy: the measure's country (as on Policy; blank = China bloc). Supply: only offers "
                   "with content from this country at the stage below (at least 0.1 %)."),
        Column("stage", "stage", CHOICE, choices=MEASURES, required=False, default="",
               doc="Policy: the measure's stage (blank = direct). Supply: the stage whose origin the "
                   "country filter looks at."),
    ),
    key=(), required=False, max_rows=MAX_SCENARIO_ROWS,
    doc="Named overrides. Rows with the same scenario name are applied together, in order.",
)

DATA_SHEETS: tuple[Sheet, ...] = (
    SETTINGS, MATERIALS, SUPPLIERS, SUPPLY, DEMAND, POLICY, STOCKPILE, INVESTMENTS, BUDGET,
    SCENARIOS, ORIGINS, CONVERSION, CONVERSION_INPUTS, REFERENCES,
)
SHEET_BY_NAME = {s.name: s for s in DATA_SHEETS}
