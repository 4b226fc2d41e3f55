"""The fast path for one data sheet: values from python-calamine, positions checked here first.

:mod:`.sheetxml` parses a sheet in Python (expat, one callback per element): exact and
bounded, but about 10 microseconds a cell.  Most sheets are written in one plain form by
Excel, LibreOffice and openpyxl (``<row r=..>`` holding ``<c r=.. s=.. t=..>`` with a ``<v>``
number, shared-string index or boolean, or a simple inline string), and for those the values
are read by python-calamine (Rust) while this module checks, with a few C-level regular
expression passes and numpy over the whole ``sheetData``, everything the Python parser would
check or could read differently:

* the whole ``sheetData`` is made of plain rows and cells only (anything else -- a formula,
  an ``<is>`` with rich-text runs, an error or date cell, a namespace prefix, a ``_xHHHH_``
  escape, a carriage return, an unknown attribute -- sends the sheet to the Python parser);
* every cell is inside a row, its ``r`` address is in that row, columns strictly increase
  within a row, no row is stored twice, no row or column is beyond Excel's last;
* every stored number is a plain decimal of at most ``limits.MAX_NUMBER_CHARS`` characters,
  finite, and read as the Python parser reads it (an integer written without a point or an
  exponent is an ``int``, as in :mod:`.sheetxml`); no number cell has a date style; every
  shared-string index is in the table; booleans are 0 or 1;
* the row and cell limits are not reached (the Python parser then refuses, with its message);
* calamine's sheet holds exactly as many non-blank values as the XML stores.

Any doubt returns None and the caller parses the sheet in Python, so a sheet reads the same
on either path (``tests/core/test_fastsheet.py`` reads every fixture and every workbook of the
hostile corpus both ways and compares).  The hostile-workbook guard (:mod:`.zip_guard`) has
run on the whole file before either path sees it.
"""
from __future__ import annotations

import io
import math
import re
from itertools import chain

import numpy as np

from optimizer.core import limits as LIM
from optimizer.core.workbook.sheetxml import CellBudget

try:                                    # optional at import: without it every sheet takes the Python parser
    from python_calamine import CalamineWorkbook
except ImportError:                     # pragma: no cover - it is a dependency
    CalamineWorkbook = None

_ATTR = rb'(?: (?:spans|s|customFormat|ht|customHeight|hidden|outlineLevel|collapsed|thickTop|thickBot|ph|' \
        rb'x14ac:dyDescent)="[^"<>&]{0,40}")*'
_NUM = rb'[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?'
_EMPTY_V = rb'(?:<v\s?/>|<v></v>)?'
_CELL = (rb'<c r="[A-Z]{1,3}\d{1,7}"(?: s="\d{1,9}")?'
         rb'(?:(?: t="n")?(?:\s?/>|>(?:<v>' + _NUM + rb'</v>|' + _EMPTY_V + rb')</c>)'
         rb'| t="s"(?:\s?/>|>(?:<v>\d{1,10}</v>|' + _EMPTY_V + rb')</c>)'
         rb'| t="b"(?:\s?/>|>(?:<v>[01]</v>|' + _EMPTY_V + rb')</c>)'
         rb'| t="str"(?:\s?/>|>(?:<v>[^<]*</v>|' + _EMPTY_V + rb')</c>)'
         rb'| t="inlineStr"(?:\s?/>|>(?:<is><t(?: xml:space="preserve")?>[^<]*</t></is>)?</c>))')
_TOKENS = re.compile(rb'<row r="\d{1,7}"' + _ATTR + rb'\s?/?>|</row>|' + _CELL)
_ROW_NUMBERS = re.compile(rb'<row r="(\d{1,7})"')
_CELL_LETTERS = re.compile(rb'<c r="([A-Z]{1,3})\d')
_CELL_ROWS = re.compile(rb'<c r="[A-Z]{1,3}(\d{1,7})"')
_INTEGRAL_FLOAT = re.compile(rb'<v>[+-]?(?:\d+\.0*|\.0+)</v>')
_EXPONENT = re.compile(rb'<v>([^<]*[eE][^<]*)</v>')
_SST_INDEX = re.compile(rb' t="s"><v>(\d{1,10})</v>')
_LONG_VALUE = re.compile(rb'<v>[^<]{%d,}</v>' % (LIM.MAX_NUMBER_CHARS + 1))
_EMPTY_INLINE = re.compile(rb'<is><t(?: xml:space="preserve")?></t></is>')
# one row with its cells, each cell's address in that row (the backreference): removed, nothing may remain
_ROWS = re.compile(rb'<row r="(\d{1,7})"' + _ATTR + rb'\s?(?:/>|>(?:' + _CELL.replace(rb'[A-Z]{1,3}\d{1,7}', rb'[A-Z]{1,3}\1')
                   + rb')*</row>)')


_PLAIN_TYPES = {str, float, int, bool}
_LONG_TEXT = re.compile(rb'>[^<]{%d}' % (LIM.MAX_STRING_CHARS + 1))


def plain_strings(xml: bytes | None) -> bool:
    """Whether the shared-string part reads the same in calamine as in :mod:`.xmlparts` (no
    escapes, carriage returns, phonetic runs or declarations; None: there is no such part)."""
    return xml is None or not (b"\r" in xml or b"_x" in xml or b"<rPh" in xml or b"<!" in xml
                               or xml[:2] in (b"\xff\xfe", b"\xfe\xff") or xml[:3] == b"\xef\xbb\xbf")


class Calamine:
    """One calamine workbook opened on first use from the bytes the guard checked."""

    def __init__(self, data: bytes):
        self.data, self._wb, self.failed = data, None, CalamineWorkbook is None

    def grid(self, title: str) -> list[list] | None:
        if self.failed:
            return None
        try:
            if self._wb is None:
                self._wb = CalamineWorkbook.from_filelike(io.BytesIO(self.data))
            return self._wb.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001 - any refusal by calamine: the Python parser decides
            return None


def _sheet_data(xml: bytes) -> tuple[bytes, bytes] | None:
    """(the rows inside ``sheetData``, the part with ``sheetData`` emptied) or None."""
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff") or xml[:3] == b"\xef\xbb\xbf":
        return None
    head = xml[:200].lower()
    if b"encoding=" in head and b'encoding="utf-8"' not in head and b"encoding='utf-8'" not in head:
        return None
    if b"<!" in xml or xml.count(b"<sheetData>") != 1 or xml.count(b"</sheetData>") != 1:
        return None
    if b"mergeCell" in xml or xml.count(b"sheetData") != 2:
        return None
    start = xml.index(b"<sheetData>") + len(b"<sheetData>")
    end = xml.index(b"</sheetData>")
    if start > end:
        return None
    body = xml[start:end]
    return None if b"\r" in body or b"_x" in body else (body, xml[:start] + xml[end:])


def _columns(letters: list[bytes]) -> np.ndarray:
    """Column numbers of column letters (A = 1), vectorised."""
    a = np.array(letters, dtype="S3").view(np.uint8).reshape(-1, 3).astype(np.int64)
    a = np.where(a > 0, a - 64, 0)                     # b"" padding -> 0, 'A' -> 1
    col = a[:, 0].copy()
    for k in (1, 2):
        more = a[:, k] > 0
        col[more] = col[more] * 26 + a[more, k]
    return col


def _numbers(texts: list[bytes], width: int) -> np.ndarray:
    return np.array(texts, dtype=f"S{width}").astype(np.int64) if texts else np.zeros(0, np.int64)


def plain_grid(xml: bytes, title: str, strings: list[str], date_styles, budget: CellBudget,
               book: Calamine, frame=None) -> list[list] | None:
    """The sheet as calamine reads it (list ``i`` is row ``i + 1``, ``""`` for a blank) when it
    is in the plain form and calamine's values are those :class:`.sheetxml.SheetParser` reads
    (up to an integral float, which the caller makes an ``int`` as :mod:`.sheetxml` does), else
    None (see the module docstring).  Adds the sheet's cells to ``budget`` when it returns.

    ``frame(part, elements)``: parses the part with its rows taken out, counting ``elements``
    more (those of the rows), with the Python parser's limits (depth, elements, declarations,
    well-formedness); False when that parser would refuse the part (it then reads the sheet
    and refuses with its own message).  Run before calamine sees the sheet."""
    split = _sheet_data(xml)
    if split is None:
        return None
    body, rest = split
    if _ROWS.sub(b"", body).strip():
        return None
    if _INTEGRAL_FLOAT.search(body) or _LONG_VALUE.search(body) or _LONG_TEXT.search(body):
        return None
    for text in _EXPONENT.findall(body):
        x = float(text)
        if not math.isfinite(x) or x.is_integer():
            return None
    if date_styles and (len(date_styles) > 64 or any(b' s="%d"' % d in body for d in date_styles)):
        return None
    rows = _numbers(_ROW_NUMBERS.findall(body), 7)
    if len(rows) > LIM.MAX_ROWS_PER_SHEET + 1:
        return None
    if len(rows) and (rows[0] < 1 or rows[-1] > LIM.EXCEL_MAX_ROW or np.any(rows[1:] <= rows[:-1])):
        return None                                    # rows in order, none twice (else the Python parser decides)
    letters = _CELL_LETTERS.findall(body)
    n_cells = len(letters)
    if budget.cells + n_cells > LIM.MAX_CELLS:
        return None
    if n_cells:
        col = _columns(letters)
        key = _numbers(_CELL_ROWS.findall(body), 7) * (LIM.EXCEL_MAX_COLUMN + 1) + col
        if col.max() > LIM.EXCEL_MAX_COLUMN or np.any(key[1:] <= key[:-1]):
            return None                                # cells in order, none twice
    idx = _SST_INDEX.findall(body)
    if idx and int(_numbers(idx, 10).max()) >= len(strings):
        return None
    stored = body.count(b"<v>") + body.count(b"<is><t") - len(_EMPTY_INLINE.findall(body))
    if len(rows):
        width = int(col.max()) if n_cells else 1
        if rows[-1] > LIM.MAX_ROWS_PER_SHEET + 1 or rows[-1] * width > 4 * n_cells + 100_000:
            return None                                # far rows or columns: calamine would fill the gap
    if frame is not None and not frame(rest, body.count(b"<") - body.count(b"</")):
        return None
    grid = book.grid(title)
    if grid is None:
        return None
    if not set(map(type, chain.from_iterable(grid))) <= _PLAIN_TYPES:
        return None                                    # a date, time or error as calamine reads it
    if sum(map(len, grid)) - sum(r.count("") for r in grid) != stored:
        return None
    budget.cells += n_cells
    return grid
