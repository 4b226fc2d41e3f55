"""Table layout for result workbooks: titles, notes, wrapped paragraphs, styled tables with
Excel table objects, column widths, page setup, chart titles.

Every cell goes through :func:`optimizer.core.workbook.writer.write_cell` (text is stored as
text, never a formula).  Feature reports (:mod:`optimizer.sourcing.report`,
:mod:`optimizer.pooling.report`, ...) build their sheets from these pieces.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo

from optimizer.core import limits as LIM
from optimizer.core import i18n
from optimizer.core.values import frame
from optimizer.core.workbook import bulk
from optimizer.core.workbook.writer import (BOLD, HEADER_FILL, HEADER_FONT, NOTE_FONT, SUBTITLE_FONT, TITLE_FONT, YEAR,
                                            mark_header_row, write_cell, write_like)

WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def cell_value(v):
    """Pre-clean a value for write_cell: pandas missing markers -> blank, bools -> yes/no,
    characters XML cannot hold (control characters other than tab/LF/CR) -> U+FFFD."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={x}" for k, x in v.items())
    return v


def put(ws, row: int, col: int, value, fmt: str | None = None, font=None, fill=None, align=None):
    cell = write_cell(ws, row, col, cell_value(value), fmt)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if align is not None:
        cell.alignment = align
    return cell


def _style_cell(cell, bold: bool, fill, align, wrap: bool, wrap_cols) -> None:
    """A table data cell's font, fill and alignment (as :func:`put` sets them)."""
    if bold:
        cell.font = BOLD
    if fill is not None:
        cell.fill = fill
    if align or wrap_cols:
        cell.alignment = Alignment(horizontal=align, vertical="top", wrap_text=wrap)


def sheet_title(ws, title: str, note: str | None = None) -> int:
    """Sheet title in row 1, optional note in row 2; returns the next free row."""
    put(ws, 1, 1, i18n.label(title), font=TITLE_FONT)
    ws.row_dimensions[1].height = 22
    if note:
        put(ws, 2, 1, note, font=NOTE_FONT)
    return 4


def paragraph(ws, row: int, text: str, first_col: int, last_col: int, font=None, fill=None) -> int:
    """Merged, wrapped text block over first_col..last_col; returns the next free row."""
    text = "" if text is None else str(text)
    chars = sum(ws.column_dimensions[get_column_letter(c)].width or 10 for c in range(first_col, last_col + 1))
    lines = sum(max(1, math.ceil(len(part) * 1.1 / max(chars, 10))) for part in text.splitlines() or [""])
    put(ws, row, first_col, text, font=font, fill=fill, align=WRAP_TOP)
    if last_col > first_col:
        ws.merge_cells(start_row=row, start_column=first_col, end_row=row, end_column=last_col)
    ws.row_dimensions[row].height = max(15.0, 15.0 * lines)
    return row + 1


def page_setup(ws, landscape: bool = True) -> None:
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = False


# ----------------------------------------------------------------------------- tables

@dataclass
class Col:
    key: str
    header: str
    fmt: str | None = None
    width: int | None = None
    align: str | None = None      # horizontal alignment of the data cells (default: Excel's)


@dataclass
class Area:
    """Where a table landed: header row, last data row, first and last column (1-based)."""
    header_row: int
    last_row: int
    first_col: int
    last_col: int

    def col_of(self, index: int) -> int:
        return self.first_col + index


class TableNames:
    """Unique Excel table names per workbook."""

    def __init__(self):
        self.used: set[str] = set()

    def __call__(self, base: str) -> str:
        name, k = base, 2
        while name.lower() in self.used:
            name, k = f"{base}{k}", k + 1
        self.used.add(name.lower())
        return name



def with_extras(df: pd.DataFrame, cols: list[Col]) -> list[Col]:
    """Documented columns plus any undocumented ones (so nothing is silently dropped)."""
    known = {c.key for c in cols}
    headers = {c.header for c in cols}
    extra = []
    for k in df.columns:
        if k not in known:
            h = str(k)
            while h in headers:
                h += " (extra)"
            headers.add(h)
            extra.append(Col(k, h))
    return cols + extra


def column_width(header: str, values, fmt: str | None) -> int:
    # headers wrap (the header row is made tall enough), so a long header need not widen the column
    longest = max(max((len(w) for w in header.split()), default=0) + 2, min(len(header) + 2, 16))
    for v in values[:200]:
        v = cell_value(v)
        if v is None:
            continue
        if isinstance(v, (int, float)):
            n = len(f"{v:,.2f}") + 1
        else:
            n = max(len(line) for line in str(v).splitlines() or [""]) + 2
        longest = max(longest, n)
    return int(min(48, max(9, longest)))


def table(ws, top: int, left: int, df: pd.DataFrame, cols: list[Col], names: TableNames | None = None,
           table_name: str | None = None, row_fill=None, bold_rows=None, extras: bool = True,
           wrap_header: bool = True, wrap_cols: tuple = ()) -> Area:
    """Write ``df`` with a styled header at (top, left).

    ``row_fill(record) -> fill | None`` highlights rows; ``bold_rows(record) -> bool`` bolds them.
    With ``table_name`` (and at least one data row) the range becomes an Excel table with
    filter buttons.  Column widths are widened, never narrowed.  ``wrap_header=False`` keeps
    the header on one line (for a table whose header row is a data row of a table beside it);
    ``wrap_cols``: keys of text columns to wrap (their rows are made tall enough).
    """
    mark_header_row(ws, top)
    df = frame(df)
    if extras:
        cols = with_extras(df, cols)
    spilled = None
    if top + len(df) + 1 > LIM.EXCEL_MAX_ROW:          # past Excel's last row (and room for the note)
        spilled = spill(ws, df, cols, table_name or f"table_{ws.title}_{top}_{left}")
        df = df.iloc[:LIM.SPILL_KEEP_ROWS]
    streaming = len(df) >= LIM.STREAM_MIN_ROWS
    records = df.head(20).to_dict("records") if streaming else df.to_dict("records")
    for j, c in enumerate(cols):
        letter = get_column_letter(left + j)
        values = df[c.key].tolist() if c.key in df.columns else []
        w = c.width or column_width(c.header, values, c.fmt)
        if not wrap_header:
            w = max(w, int(len(c.header) * 1.1) + 3)
        current = ws.column_dimensions[letter].width if letter in ws.column_dimensions else 0
        ws.column_dimensions[letter].width = max(w, current or 0)
    aligns = []
    for j, c in enumerate(cols):
        numeric = c.fmt is not None or any(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                                           for v in (rec.get(c.key) for rec in records[:20]))
        flags = any(isinstance(v, (bool, np.bool_)) for v in (rec.get(c.key) for rec in records[:20]))
        align = c.align or ("center" if (c.fmt == YEAR or flags) else None)
        aligns.append(align)
        put(ws, top, left + j, i18n.label(c.header), font=HEADER_FONT, fill=HEADER_FILL,
             align=Alignment(wrap_text=wrap_header, vertical="center",
                             horizontal=align or ("right" if numeric else "left")))
    r = top
    styles: dict = {}
    streamed = streaming and _stream(ws, top, left, df, cols, aligns, row_fill, bold_rows, wrap_cols)
    if streaming and not streamed:
        records = df.to_dict("records")
    for r, rec in enumerate([] if streamed else records, start=top + 1):
        fill = row_fill(rec) if row_fill else None
        bold = bool(bold_rows(rec)) if bold_rows else False
        lines = 1
        for j, c in enumerate(cols):
            v = rec.get(c.key)
            align = aligns[j] or ("center" if isinstance(v, (bool, np.bool_)) else None)
            wrap = c.key in wrap_cols
            cell = write_like(ws, r, left + j, cell_value(v), c.fmt, styles, (j, bold, id(fill), align, wrap),
                              lambda cell, b=bold, f=fill, a=align, w=wrap: _style_cell(cell, b, f, a, w, wrap_cols))
            if wrap and isinstance(cell.value, str):
                width = ws.column_dimensions[get_column_letter(left + j)].width or 10
                lines = max(lines, sum(wrapped_lines(part, width) for part in cell.value.splitlines() or [""]))
        if lines > 1:
            ws.row_dimensions[r].height = 15.0 * lines
    if wrap_header:
        lines = 1
        for j, c in enumerate(cols):
            width = ws.column_dimensions[get_column_letter(left + j)].width or 10
            lines = max(lines, wrapped_lines(c.header, width))
        ws.row_dimensions[top].height = max(ws.row_dimensions[top].height or 15.0, 15.0 * lines)
    if streamed:
        r = top + len(df)
    area = Area(top, r, left, left + len(cols) - 1)
    if spilled is not None:
        spilled.note = (r + 1, left)
    if table_name and names is not None and records:
        ref = f"{get_column_letter(left)}{top}:{get_column_letter(area.last_col)}{r}"
        tab = Table(displayName=names(table_name), ref=ref)
        # the columns named from the header cells here (openpyxl would read the whole range to find them)
        tab._initialise_columns()
        for j, col in enumerate(tab.tableColumns):
            col.name = str(ws.cell(row=top, column=left + j).value)
        tab.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True,
                                            showColumnStripes=False, showFirstColumn=False,
                                            showLastColumn=False)
        ws.add_table(tab)
    return area


def _stream(ws, top, left, df, cols, aligns, row_fill, bold_rows, wrap_cols) -> bool:
    """Hand the data rows to :mod:`~optimizer.core.workbook.bulk` (streamed into the sheet's XML on
    saving); False (nothing written) for a table holding values only the cell-by-cell path writes."""
    n = len(df)
    records = df.to_dict("records") if (row_fill or bold_rows) else ()
    fills = [row_fill(rec) for rec in records] if row_fill else [None] * n
    bold = [bool(bold_rows(rec)) for rec in records] if bold_rows else [False] * n
    wraps = [c.key in wrap_cols for c in cols]
    try:
        bulk.register(ws, top + 1, left, df, [c.key for c in cols], [c.fmt for c in cols], aligns, wraps,
                      bold, fills, lambda cell, b, f, a, w: _style_cell(cell, b, f, a, w, wrap_cols), cell_value)
    except bulk.NotStreamable:
        return False
    for j, c in enumerate(cols):
        if not wraps[j] or c.key not in df.columns:
            continue
        width = ws.column_dimensions[get_column_letter(left + j)].width or 10
        for i, v in enumerate(df[c.key].tolist()):
            v = cell_value(v)
            if isinstance(v, str):
                lines = sum(wrapped_lines(part, width) for part in v.splitlines() or [""])
                if lines > 1:
                    row = top + 1 + i
                    ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 0, 15.0 * lines)
    return True


@dataclass
class Spill:
    """A table too long for a sheet: written in full to ``<workbook stem>_<name>.csv`` beside the
    workbook by :func:`~optimizer.core.workbook.writer.save_atomic`, which also fills in the note
    cell under the rows kept on the sheet (:data:`limits.SPILL_KEEP_ROWS`)."""
    name: str
    frame: pd.DataFrame              # the whole table, columns named by their headers
    rows: int
    note: tuple[int, int] | None = None   # (row, column) of the note under the kept rows
    sheet: object = None


def spill(ws, df: pd.DataFrame, cols: list[Col], name: str) -> Spill:
    """Register ``df`` (its ``cols``, by header) as a spill of the workbook ``ws`` belongs to."""
    blank = pd.Series([None] * len(df), index=df.index, dtype=object)
    full = pd.DataFrame({c.header: (df[c.key] if c.key in df.columns else blank) for c in cols})
    item = Spill("".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name), full, len(df), sheet=ws)
    wb = ws.parent
    if not hasattr(wb, "sourcing_spills"):
        wb.sourcing_spills = []
    wb.sourcing_spills.append(item)
    return item


def wrapped_lines(text: str, width: float) -> int:
    """Rough number of lines ``text`` takes in a wrapped cell ``width`` characters wide."""
    usable = max(1.0, width - 1.5)
    lines, current = 1, 0.0
    for word in str(text).split():
        n = len(word) * 1.1
        if current and current + 1 + n > usable:
            lines, current = lines + 1, n
        else:
            current = current + (1 if current else 0) + n
    return lines


def section(ws, row: int, text: str, col: int = 1) -> int:
    put(ws, row, col, i18n.label(text), font=SUBTITLE_FONT)
    return row + 1


def note(ws, row: int, text: str, col: int = 1) -> int:
    put(ws, row, col, text, font=NOTE_FONT)
    return row + 1





def chart_title(text: str, size: int = 1300) -> Title:
    """A chart title in a readable size (openpyxl's default renders at 18 pt)."""
    props = CharacterProperties(sz=size, b=True)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def show_axes(chart) -> None:
    # openpyxl >= 3.1 leaves <c:delete> unset; some Excel versions then hide the axes.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
