"""The column kit every input workbook is declared with: cell kinds, columns, sheets, settings,
the ``basis`` column and the ``Sources`` bibliography sheet (the limits are in
:mod:`optimizer.core.limits`).

A feature declares its sheets with these (:mod:`optimizer.sourcing.schema`,
:mod:`optimizer.pooling.schema`, :mod:`optimizer.risk.schema`); the reader
(:mod:`.reader`), the cell converter (:mod:`.cells`) and the template writers use the
declarations, so one sheet is described once.
"""
from __future__ import annotations

from dataclasses import dataclass

from optimizer.core import limits as LIM

# Column kinds understood by the loader.
ID = "id"            # short identifier: letters, digits, '_' and '-', <= 32 chars
TEXT = "text"        # free text (never interpreted)
YEAR = "year"        # integer calendar year 1990..2100 (a date cell is an error)
NUMBER = "number"    # finite real number, |x| <= limits.MAX_MAGNITUDE unless the column says otherwise
FRACTION = "fraction"  # real in [0, 1]; a cell formatted as % holds 0.5 for 50 %
BOOL = "bool"        # yes/no (also true/false, 1/0)
CHOICE = "choice"    # one of ``choices``

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]{0,31}$"


@dataclass(frozen=True)
class Column:
    key: str                 # attribute name in the data object
    header: str              # exact header text in the workbook (carries the unit)
    kind: str
    required: bool = True    # a value must be present on every row
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    default: object = None   # used when an optional cell is blank
    doc: str = ""
    number_format: str = "General"
    width: int = 14
    canonical: tuple[str, ...] = ()   # spellings a text is matched to, case-insensitively ("all" -> "ALL")
    aliases: tuple[str, ...] = ()     # older header texts still read as this column


# Every sheet name any workbook declares (filled as the schemas are defined): a "did you mean"
# hint never proposes renaming one known sheet onto another (Scenarios is not a misspelt
# RiskScenarios).
DECLARED_SHEETS: set[str] = set()


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]     # column keys that must be unique together
    required: bool = True    # the sheet must exist (it may be empty unless min_rows)
    min_rows: int = 0
    doc: str = ""
    missing_hint: str = "copy it from the template"   # what to do when a required sheet is missing
    max_rows: int | None = None   # fewer data rows than the reader's limit (work that grows with them)

    def __post_init__(self) -> None:
        DECLARED_SHEETS.add(self.name)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


BASIS = Column(
    "basis", "basis", TEXT, required=False, default="",
    doc="Where the figures on this row come from: reference ids from the Sources sheet "
        "(e.g. 'K11d; W5') and/or 'A' for an assumption, with a short reason.",
    width=40,
)

SETTINGS = Sheet(
    "Settings",
    (
        Column("setting", "setting", TEXT, doc="Setting name (see the list below).", width=30),
        Column("value", "value", TEXT, required=False, doc="Setting value.", width=16),
        Column("notes", "notes", TEXT, required=False, default="", doc="Free text.", width=60),
    ),
    key=("setting",),
    doc="One setting per row. Unknown setting names are errors (typos would otherwise be silently ignored).",
)


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str
    default: object
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    doc: str = ""


REFERENCES = Sheet(
    "Sources",
    (
        Column("ref", "ref", ID),
        Column("what", "what", TEXT, width=60),
        Column("value", "value", TEXT, required=False, default=""),
        Column("tag", "tag (S/D/A)", CHOICE, choices=("S", "D", "A")),
        Column("reliability", "reliability", TEXT, required=False, default=""),
        Column("address", "address", TEXT, required=False, default="", width=80),
    ),
    key=("ref",), required=False,
    doc="Bibliography: every reference id used in a basis column.",
)

# The reading limits (file size, rows, cells, ...) and the magnitude limits of numbers are in
# optimizer.core.limits; these three are the usual maxima of a column, by unit.
MAX_TONNES, MAX_PRICE, MAX_MONEY_M = LIM.MAX_TONNES, LIM.MAX_PRICE, LIM.MAX_MONEY_M
