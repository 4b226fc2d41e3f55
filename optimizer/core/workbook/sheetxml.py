"""One data sheet's XML read the way Excel places it: every cell by its ``r`` address.

Rows and cells are placed by their ``r`` attribute (a row or cell without one follows the
previous one), never by document order, and nothing is filled in for the gaps: a sheet whose
rows are stored in another order reads the same, and a row numbered 900,000,000 costs
nothing but a refusal.  Refused, naming the sheet and the row or cell:

* a row beyond row 1,048,576 or a cell beyond column XFD (Excel's own limits: a damaged file);
* the same row or cell stored twice, or a cell whose address is not in its row;
* more row elements than the data-row limit, more cells over the data sheets than the cell
  limit, cells made of too many rich-text runs, texts longer than Excel allows.

Values are typed from the stored text as Excel means it (``t`` attribute and the cell's
number format); a value that is not what its type says (a "number" that reads ``NaN`` or
``0x1F``, 500 digits, a shared-string index past the table, an impossible ISO date) becomes
a :class:`Malformed` value, reported by the cell converter with its sheet, cell, text and
rule.  Formulas are recognised by their ``<f>`` element in whatever encoding the part uses;
one without a cached value is recorded in :attr:`ParsedSheet.formulas`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from openpyxl.utils import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601

from optimizer.core import limits as LIM
from optimizer.core.workbook.xmlparts import CellFormats, PartParser, StringCollector

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_REF = re.compile(r"\s*\$?([A-Za-z]{1,3})\$?(\d{1,9})\s*")
_COLUMNS = {}
_INDEX = re.compile(r"\s*\d{1,10}\s*")
_DAMAGED = "the file was not saved by Excel or is damaged: retype the value in Excel (or LibreOffice) and save"
_RESAVE = ("the file was not saved by Excel or is damaged: open it in Excel or LibreOffice, check the sheet and "
           "save it again as .xlsx")


@dataclass(frozen=True, repr=False)
class Malformed:
    """A stored cell value that is not what its type says; the reader never guesses a value."""

    text: str      # the stored text (shortened when very long)
    rule: str      # what is wrong with it, in plain words

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return repr(self.text)


def shown(text: str, keep: int = 40) -> str:
    """The stored text for a message: whole when short, else its start and its length."""
    return text if len(text) <= keep else f"{text[:keep]}... ({len(text):,} characters)"


@dataclass
class CellBudget:
    """Cells counted over every data sheet of one workbook (the cell limit is per workbook)."""

    cells: int = 0


@dataclass
class ParsedSheet:
    cells: dict[int, dict[int, object]] = field(default_factory=dict)   # row -> {column: value}, non-blank
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) -> formula, no cached value
    merges: list[str] = field(default_factory=list)
    row_elements: int = 0


class SheetParser(PartParser):
    """Streaming parse of one worksheet part into :class:`ParsedSheet` (see the module docstring)."""

    def __init__(self, where: str, sheet: str, strings: list[str], formats: CellFormats, budget: CellBudget):
        super().__init__(where, sheet)
        self.strings, self.formats, self.budget = strings, formats, budget
        self.out = ParsedSheet()
        self._in_data = False
        self._row: int | None = None          # the current row number (kept after </row> for the next one)
        self._in_row = False
        self._rows_seen: set[int] = set()
        self._row_cols: set[int] = set()
        self._col = 0
        self._cell = None                     # (row, column, reference, type, style, keep) of the open cell
        self._cell_depth = 0
        self._cell_elements = 0
        self._v: list[str] | None = None
        self._f: list[str] | None = None
        self._ftype = ""
        self._is: StringCollector | None = None
        self._sink: list[str] | None = None
        self._sink_chars = 0

    # ------------------------------------------------------------------ elements
    def start(self, name, attrs):
        if self._cell is not None:
            self._inside_cell(name, attrs)
        elif name == "mergeCell":                  # wherever it is stored, it merges
            self._merge(attrs.get("ref", ""))
        elif name == "sheetData":
            self._in_data = True
        elif not self._in_data:
            return
        elif name == "row":
            self._start_row(attrs.get("r"))
        elif name == "c" and self._in_row:
            self._start_cell(attrs)

    def end(self, name):
        if self._cell is not None:
            if self.depth < self._cell_depth:          # </c>
                self._finish_cell()
            elif self.depth == self._cell_depth:       # </v>, </f>, </is>
                self._sink = None
            elif self._is is not None:
                self._is.end(name)
        elif name == "row":
            self._in_row = False
        elif name == "sheetData":
            self._in_data = False

    def text(self, data):
        if self._sink is not None:
            self._sink_chars += len(data)
            if self._sink_chars > LIM.MAX_STRING_CHARS:
                raise self.refuse(f"cell {self._cell[2]} stores more than {LIM.MAX_STRING_CHARS:,} characters; Excel "
                                  f"allows at most {LIM.MAX_STRING_CHARS:,} (the limit here too): {_DAMAGED}")
            self._sink.append(data)
        elif self._is is not None:
            self._is.text(data)

    # ------------------------------------------------------------------ rows and cells
    def _start_row(self, r) -> None:
        if r is None:
            row = (self._row or 0) + 1
        elif isinstance(r, str) and r.strip().isdigit() and len(r.strip()) <= 12:
            row = int(r)
        else:
            raise self.refuse(f"a row is numbered {shown(str(r))!r}, which is not a row number: {_RESAVE}")
        if not 1 <= row <= LIM.EXCEL_MAX_ROW:
            raise self.refuse(f"a row is numbered {row:,}, beyond row {LIM.EXCEL_MAX_ROW:,}, the last row of an Excel "
                              f"sheet (the limit): {_RESAVE}")
        if row in self._rows_seen:
            raise self.refuse(f"row {row:,} is stored twice, so it is not clear which values it holds: {_RESAVE}")
        self._rows_seen.add(row)
        self.out.row_elements += 1
        limit = LIM.MAX_ROWS_PER_SHEET
        if self.out.row_elements > limit + 1:
            raise self.refuse(f"more than {limit:,} data rows (at least "
                              f"{self.out.row_elements - 1:,}, counting empty formatted rows): the limit is "
                              f"{limit:,} rows per sheet; split the data or delete unused rows")
        self._row, self._in_row, self._col = row, True, 0
        self._row_cols = set()

    def _start_cell(self, attrs) -> None:
        self.budget.cells += 1
        if self.budget.cells > LIM.MAX_CELLS:
            raise self.refuse(f"the data sheets hold more than {LIM.MAX_CELLS:,} cells (counting empty formatted "
                              f"cells; the limit is {LIM.MAX_CELLS:,} cells; this sheet is where the count passed "
                              "it): delete unused rows and columns or split the data")
        ref = attrs.get("r")
        if ref is None:
            col = self._col + 1
            address = None
        else:
            m = _REF.fullmatch(ref)
            if m is None:
                raise self.refuse(f"a cell in row {self._row:,} has the address {shown(ref)!r}, which is not a cell "
                                  f"address: {_RESAVE}")
            letters = m.group(1)
            col = _COLUMNS.get(letters) or column_index_from_string(letters.upper())
            if int(m.group(2)) != self._row:
                raise self.refuse(f"cell {ref} is stored inside row {self._row:,}, so it is not clear where it "
                                  f"belongs: {_RESAVE}")
            address = ref if "$" not in ref and letters.isupper() else None
        if col > LIM.EXCEL_MAX_COLUMN:
            raise self.refuse(f"a cell of row {self._row:,} is in column {col:,}, beyond column XFD "
                              f"({LIM.EXCEL_MAX_COLUMN:,}), the last column of an Excel sheet (the limit): {_RESAVE}")
        if col in self._row_cols:
            raise self.refuse(f"cell {_address(col, self._row)} is stored twice, so it is not clear which value "
                              f"it holds: {_RESAVE}")
        self._row_cols.add(col)
        self._col = col
        self._cell = (self._row, col, address or _address(col, self._row), attrs.get("t", "n"), attrs.get("s"),
                      col <= LIM.MAX_COLUMNS)
        self._cell_depth, self._cell_elements = self.depth, 0
        self._v = self._f = self._is = self._sink = None

    def _inside_cell(self, name, attrs) -> None:
        self._cell_elements += 1
        if self._cell_elements > LIM.MAX_STRING_RUNS:
            raise self.refuse(f"cell {self._cell[2]} is made of more than {LIM.MAX_STRING_RUNS:,} XML elements "
                              f"(rich-text runs or others; the limit is {LIM.MAX_STRING_RUNS:,}): a damaged or "
                              "hostile file")
        if self._is is not None:
            self._is.start(name)
        elif self.depth == self._cell_depth + 1 and self._cell[5]:
            if name == "v":
                self._v = self._sink = []
            elif name == "f":
                self._f, self._ftype = [], attrs.get("t", "")
                self._sink = self._f
            elif name == "is":
                self._is = StringCollector(self, f"cell {self._cell[2]}")
            self._sink_chars = 0

    def _finish_cell(self) -> None:
        row, col, ref, kind, style, keep = self._cell
        self._cell = None
        self._sink = None
        if not keep:
            self._is = None
            return
        if kind == "inlineStr":
            value = self._is.value() if self._is is not None else None
        else:
            v = "".join(self._v) if self._v is not None else None
            cached = v not in (None, "") or (kind == "str" and self._v is not None)
            if self._f is not None and not cached:
                text = "".join(self._f)
                self.out.formulas[(row, col)] = "=" + text if text else f"=({self._ftype or 'shared'} formula)"
                value = None
            else:
                value = None if not v else self._typed(kind, v, style)
        self._is = None
        if value is not None:
            self.out.cells.setdefault(row, {})[col] = value

    def _merge(self, ref: str) -> None:
        if len(self.out.merges) >= LIM.MAX_MERGED_RANGES:
            raise self.refuse(f"more than {LIM.MAX_MERGED_RANGES:,} merged ranges (the limit is "
                              f"{LIM.MAX_MERGED_RANGES:,}): unmerge the cells")
        if ref:
            self.out.merges.append(ref[:40])

    # ------------------------------------------------------------------ values
    def _typed(self, kind: str, v: str, style):
        if kind == "n":
            return self._number(v, style)
        if kind == "s":
            if not _INDEX.fullmatch(v):
                return Malformed(shown(v), f"the cell should point into the shared-string table but stores "
                                           f"{shown(v)!r}, which is not an index: {_DAMAGED}")
            idx = int(v)
            if idx >= len(self.strings):
                return Malformed(shown(v), f"the cell points to shared string number {idx + 1:,}, but the file's "
                                           f"shared-string table holds {len(self.strings):,}: {_DAMAGED}")
            return self.strings[idx]
        if kind == "b":
            if v.strip() in ("0", "1"):
                return v.strip() == "1"
            return Malformed(shown(v), f"a TRUE/FALSE cell must store 0 or 1, not {shown(v)!r}: {_DAMAGED}")
        if kind in ("str", "e"):
            return v
        if kind == "d":
            try:
                value = from_ISO8601(v.strip())
            except (ValueError, OverflowError, TypeError):
                value = None
            return value if value is not None else Malformed(
                shown(v), f"the cell is stored as a date but {shown(v)!r} is not a valid date or time: {_DAMAGED}")
        return Malformed(shown(v), f"the cell has the unknown type t={shown(kind)!r}: {_DAMAGED}")

    def _number(self, v: str, style):
        s = v.strip()
        if len(s) > LIM.MAX_NUMBER_CHARS:
            return Malformed(shown(v), f"the cell stores a number written with {len(s):,} characters; Excel stores "
                                       f"numbers of at most 17 digits (the limit is {LIM.MAX_NUMBER_CHARS} "
                                       f"characters): {_DAMAGED}")
        if not _NUMBER.fullmatch(s):
            return Malformed(shown(v), f"the cell is stored as a number but holds {shown(v)!r}, which is not a "
                                       f"number: {_DAMAGED}")
        if "." in s or "e" in s or "E" in s:
            x = float(s)
            if not math.isfinite(x):
                return Malformed(shown(v), f"the number {shown(v)} is beyond the largest number Excel can hold "
                                           f"(about 1.8e308): {_DAMAGED}")
        else:
            x = int(s)
            if abs(x) > 2 ** 53:
                x = float(x)
        idx = int(style) if isinstance(style, str) and style.isdigit() and len(style) < 10 else 0
        if idx in self.formats.dates:
            try:
                return from_excel(x, self.formats.epoch, timedelta=idx in self.formats.durations)
            except (OverflowError, ValueError):
                return Malformed(shown(v), f"the cell is formatted as a date but {shown(v)} is outside the dates "
                                           "Excel can show: format the cell as Number or type a valid date")
        return x


def _fill_columns() -> None:
    for col in range(1, 703):            # A..ZZ: the addresses of nearly every real cell
        letters = _address(col, 1)[:-1]
        _COLUMNS[letters] = col


def _address(col: int, row: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


_fill_columns()
