"""The risk workbook's two extra sheets, Disruptions and RiskScenarios (read by ``sourcing risk``;
``sourcing template --risk`` writes them)."""
from __future__ import annotations

from optimizer.core.workbook import columns as S

ALL = "ALL"
DEFAULT_BASE_SPOT = 1.2
MAX_SPOT = 100.0     # a spot price at most 100 times the contract price

DISRUPTIONS = S.Sheet(
    "Disruptions",
    (
        S.Column("event", "event", S.ID, doc="Event id; several rows may share it (several years, sources)."),
        S.Column("source", "source", S.ID, doc="Supplier id from Suppliers, or ALL."),
        S.Column("material", "material", S.ID, doc="Material id from Materials, or ALL."),
        S.Column("year", "year", S.YEAR, doc="Year the loss falls in."),
        S.Column("months", "months affected (0-12)", S.NUMBER, minimum=0.0, maximum=12.0),
        S.Column("fraction_lost", "fraction of supply lost (0-1)", S.FRACTION),
        S.Column("spot_multiplier", "spot price multiplier", S.NUMBER, required=False, minimum=0.0,
                 maximum=MAX_SPOT,
                 doc="Spot price / contract price for the material in that year; blank = no change."),
        S.Column("description", "description", S.TEXT, required=False, default=""),
        S.Column("country", "country (content)", S.ID, required=False, default="",
                 doc="Optional: the loss hits every offer in proportion to this country's share at the stage "
                     "named next (e.g. CN at refining: Chinese-separated content, whoever sells it); the "
                     "source is then ALL."),
        S.Column("stage", "stage", S.CHOICE, required=False, default="",
                 choices=("direct", "mining", "refining", "metal", "magnet"),
                 doc="The stage the country column looks at (blank = direct, the seller's country)."),
        S.Column("start_month", "start month (1-12)", S.NUMBER, required=False, minimum=1.0, maximum=12.0,
                 doc="Optional: the month the loss starts (1 = January); it then runs for 'months' months, "
                     "cut at the year's end. Blank = spread over the year. Read when periods_per_year is 4 "
                     "or 12 (a yearly model only sees the share of the year lost)."),
        S.Column("licence_delay", "licence delay (months)", S.NUMBER, required=False, minimum=0.0, maximum=12.0,
                 doc="Optional: a licence regime's lag on the source's deliveries: for the first N of the row's "
                     "months nothing is delivered (licences pending), then the fraction lost applies to the "
                     "rest. Blank = 0."),
        S.BASIS,
    ),
    key=("event", "source", "material", "year", "country", "stage"),
    required=True,
    missing_hint="the risk command reads it: 'sourcing template --risk' writes a workbook with both "
                 "risk sheets to copy from",
    doc="Disruption events (supply lost per source, material and year).",
)

RISK_SCENARIOS = S.Sheet(
    "RiskScenarios",
    (
        S.Column("scenario", "scenario", S.ID),
        S.Column("probability", "probability (0-1)", S.FRACTION),
        S.Column("events", "events (ids, comma-separated)", S.TEXT, required=False, default=""),
        S.Column("base_spot_multiplier", "base spot multiplier", S.NUMBER, required=False, minimum=0.0,
                 maximum=MAX_SPOT,
                 default=DEFAULT_BASE_SPOT),
        S.Column("description", "description", S.TEXT, required=False, default=""),
        S.BASIS,
    ),
    key=("scenario",),
    required=True,
    missing_hint="the risk command reads it: 'sourcing template --risk' writes a workbook with both "
                 "risk sheets to copy from",
    min_rows=1,
    doc="Scenarios = combinations of disruption events, with probabilities summing to 1.",
)

RISK_SHEETS = (RISK_SCENARIOS, DISRUPTIONS)
