"""Safe, consistent writing shared by every workbook and plot the tool produces.

* Every value goes through :func:`write_cell`: strings are always stored as text
  (never a formula, whatever they start with: ``= + - @``, tab, CR), NaN/None become
  blank cells, numpy scalars become Python numbers, time-zone-aware datetimes are
  made naive.
* Every file is saved with :func:`save_atomic`: written to a temporary file in the
  target folder, then moved into place with ``os.replace`` (a crash never leaves a
  partial file under the target name) and never over a path we were told is an input.
  A workbook's carriage returns in cell text are written as ``&#13;`` so they survive
  a round trip (every XML reader turns a raw CR into LF).
* One set of fonts, fills and named number formats (:data:`FORMATS`), so a format name
  means the same thing in every workbook.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
import tempfile
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

# Fonts name their face: a font without a name renders in a serif fallback in LibreOffice.
FONT = "Calibri"
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(name=FONT, bold=True, color="FFFFFF")
TITLE_FONT = Font(name=FONT, bold=True, size=14, color="1F4E78")
SUBTITLE_FONT = Font(name=FONT, bold=True, size=12, color="1F4E78")
NOTE_FONT = Font(name=FONT, italic=True, color="595959")
BOLD = Font(name=FONT, bold=True)
ITALIC = Font(name=FONT, italic=True)
THIN = Side(style="thin", color="BFBFBF")
GRID = Border(bottom=THIN)
WARN_FILL = PatternFill("solid", fgColor="FCE4D6")
GOOD_FILL = PatternFill("solid", fgColor="E2EFDA")
ORANGE_FILL = PatternFill("solid", fgColor="F8CBAD")

# Named number formats: one name, one format, in every workbook.
TONNES = "#,##0.0"          # t
MONEY = "#,##0.00"          # currency M
MONEY_3 = "#,##0.000"       # currency M, three decimals (risk and comparison summaries)
MONEY_4 = "#,##0.0000"      # currency M per percentage point
PRICE = "#,##0.00"          # currency/kg
SHARE = "0.0%"
SHARE_2 = "0.00%"
YEAR = "0"
PP = "0.0"                  # percentage points
WHOLE = "#,##0"             # counts, days
SECONDS = "0.000"
WEEKS = "0.0"
RATIO = "0.00"
FORMATS = {"TONNES": TONNES, "MONEY": MONEY, "MONEY_3": MONEY_3, "MONEY_4": MONEY_4, "PRICE": PRICE,
           "SHARE": SHARE, "SHARE_2": SHARE_2, "YEAR": YEAR, "PP": PP, "WHOLE": WHOLE, "SECONDS": SECONDS,
           "WEEKS": WEEKS, "RATIO": RATIO}


def clean_value(value):
    """Python value suitable for a cell (None for blanks; characters XML cannot hold -> U+FFFD)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    return value


def default_format(value) -> str:
    """A number format for a number written without one: a year-like integer as a year, other
    integers with thousands separators, small fractions with three decimals, the rest with two."""
    if isinstance(value, int):
        return YEAR if 1900 <= value <= 2200 else WHOLE
    if value != 0 and abs(value) < 1:
        return "0.000"
    return MONEY


def write_cell(ws, row: int, col: int, value, number_format: str | None = None) -> Cell:
    """Write one value; strings are forced to text type so they can never be formulas.  A number
    gets ``number_format`` or, without one, :func:`default_format` (no number prints raw)."""
    cell = ws.cell(row=row, column=col)
    value = clean_value(value)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"      # openpyxl would otherwise treat a leading '=' as a formula
    else:
        cell.value = value
    if number_format and number_format != "General":
        cell.number_format = number_format
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.number_format = default_format(value)
    return cell


def mark_header_row(ws, row: int) -> None:
    """Remember the sheet's first table header row: it is repeated on every printed page."""
    if getattr(ws, "_print_header_row", None) is None:
        ws._print_header_row = row


def header_width(header: str, values=()) -> int:
    """A column width that fits a header wrapped on at most three lines and the values below it."""
    text = str(header)
    longest_word = max((len(w) for w in text.split()), default=0)
    width = max(10, longest_word + 2, min(len(text) + 2, math.ceil(len(text) / 3) + 4))
    for v in list(values)[:200]:
        if isinstance(v, float):
            width = max(width, len(f"{v:,.2f}") + 2)
        elif v is not None and not isinstance(v, bool):
            width = max(width, min(60, len(str(v)) + 2))
    return int(min(width, 60))


def write_header(ws, row: int, headers: list[str], docs: list[str] | None = None,
                 widths: list[int] | None = None) -> None:
    mark_header_row(ws, row)
    for j, h in enumerate(headers, start=1):
        cell = write_cell(ws, row, j, h)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if docs and docs[j - 1]:
            cell.comment = Comment(docs[j - 1], "sourcing")
        if widths:
            ws.column_dimensions[get_column_letter(j)].width = widths[j - 1]
    # tall enough for the longest wrapped header (Excel and LibreOffice do not grow a row on open)
    lines = 1
    for j, h in enumerate(headers, start=1):
        dim = ws.column_dimensions.get(get_column_letter(j))
        width = int((dim.width if dim is not None and dim.width else 8.43) - 1)
        lines = max(lines, len(textwrap.wrap(str(h), max(4, width))) or 1)
    if lines > 1:
        current = ws.row_dimensions[row].height or 0
        ws.row_dimensions[row].height = max(current, 15.0 * lines + 2)
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def write_table(ws, top: int, frame, formats: dict[str, str] | None = None,
                widths: dict[str, int] | None = None, headers: dict[str, str] | None = None) -> int:
    """Write a DataFrame with a styled header at row ``top``; returns the last row written."""
    formats, widths, headers = formats or {}, widths or {}, headers or {}
    cols = list(frame.columns)
    sized = []
    for j, c in enumerate(cols, start=1):
        current = ws.column_dimensions[get_column_letter(j)].width if get_column_letter(j) in ws.column_dimensions \
            else 0
        sized.append(widths.get(c, max(current or 0, header_width(headers.get(c, c), frame[c].tolist()))))
    write_header(ws, top, [headers.get(c, c) for c in cols], widths=sized)
    r = top
    for r, values in enumerate(frame.itertuples(index=False, name=None), start=top + 1):
        for j, (c, v) in enumerate(zip(cols, values), start=1):
            write_cell(ws, r, j, v, formats.get(c))
    return r


def save_atomic(wb, path: str | os.PathLike, protect: tuple[str | os.PathLike, ...] = (),
                suffix: str = ".xlsx") -> Path:
    """Save ``wb`` to ``path`` via a temporary file in the same folder, then rename.

    ``wb`` is a workbook (anything with ``save(filename)``; an openpyxl workbook also gets
    its carriage returns escaped) or a function writing a file name (e.g. a matplotlib
    figure's ``savefig``).  Raises ValueError if ``path`` is one of the ``protect`` paths
    (e.g. the input file).
    """
    target = Path(path).resolve()
    for p in protect:
        if p and Path(p).resolve() == target:
            raise ValueError(f"refusing to overwrite the input workbook {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f"{suffix}.tmp", dir=target.parent)
    os.close(fd)
    try:
        if callable(wb):
            wb(tmp)
        else:
            if isinstance(wb, Workbook):
                prepare_for_print(wb)
            wb.save(tmp)
            if isinstance(wb, Workbook):
                _escape_carriage_returns(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # mkstemp creates 0600; results are ordinary files
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


def _cell_text_part(name: str) -> bool:
    return name == "xl/sharedStrings.xml" or (name.startswith("xl/worksheets/sheet") and name.endswith(".xml"))


def _escape_carriage_returns(filename) -> None:
    """Replace raw CR bytes in the parts holding cell text by ``&#13;``.

    openpyxl writes a CR raw into the XML (and no CR in markup), and every XML parser
    (Excel, LibreOffice, openpyxl itself) normalises a raw CR to LF on reading, so a text
    such as "\\r=1+1" would not come back unchanged.  A character reference survives.
    """
    with zipfile.ZipFile(filename) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    if not any(_cell_text_part(i.filename) and b"\r" in data for i, data in items):
        return
    with zipfile.ZipFile(filename, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if _cell_text_part(info.filename):
                data = data.replace(b"\r", b"&#13;")
            z.writestr(info, data)


def _used_width(ws) -> float:
    """Sum of the column widths (characters) of the used columns."""
    total = 0.0
    for j in range(1, (ws.max_column or 1) + 1):
        dim = ws.column_dimensions.get(get_column_letter(j))
        total += (dim.width if dim is not None and dim.width else 8.43)
    return total


def prepare_for_print(wb: Workbook) -> None:
    """Every sheet prints: fit to one page wide (as many pages tall as needed), portrait or
    landscape by the width of what is on it, A4, the first table header repeated on every page.
    A sheet the report already set up (orientation chosen) keeps its choice."""
    for ws in wb.worksheets:
        if ws.page_setup.orientation is None:
            ws.page_setup.orientation = "landscape" if _used_width(ws) > 95 else "portrait"
        if ws.sheet_properties.pageSetUpPr is None or not ws.sheet_properties.pageSetUpPr.fitToPage:
            ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        if not ws.page_setup.fitToWidth:
            ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        row = getattr(ws, "_print_header_row", None)
        if row is not None and not ws.print_title_rows:
            ws.print_title_rows = f"{row}:{row}"
