"""Safe, consistent writing shared by every workbook and plot the tool produces.

* Every value goes through :func:`write_cell`: strings are always stored as text
  (never a formula, whatever they start with: ``= + - @``, tab, CR), NaN/None become
  blank cells, numpy scalars become Python numbers, time-zone-aware datetimes are
  made naive.
* Every file is saved with :func:`save_atomic`: built in memory, written to an unnamed
  temporary file in the target folder, then moved into place with ``os.replace`` (a crash
  never leaves a partial file under the target name, nor a hidden one beside it), never
  over a path we were told is an input, and a path that cannot be written is a clear
  error naming the reason (:mod:`optimizer.core.paths`).
  A workbook's carriage returns in cell text are written as ``&#13;`` so they survive
  a round trip (every XML reader turns a raw CR into LF).
* One set of fonts, fills and named number formats (:data:`FORMATS`), so a format name
  means the same thing in every workbook.
"""
from __future__ import annotations

import io
import math
import os
import re
import textwrap
from copy import copy
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from optimizer.core import i18n
from optimizer.core import limits as LIM
from optimizer.core.paths import check_output, write_error
from optimizer.core.workbook import bulk
from optimizer.core.workbook.cellvalue import (  # noqa: F401  (re-exported: every report imports them from here)
    TONNES, MONEY, MONEY_3, MONEY_4, PRICE, SHARE, SHARE_2, YEAR, PP, WHOLE, SECONDS, WEEKS, RATIO, FORMATS,
    clean_value, default_format)

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


def write_like(ws, row: int, col: int, value, number_format: str | None, cache: dict, key, style) -> Cell:
    """:func:`write_cell`, then ``style(cell)`` (font, fill, alignment) -- done once per ``key`` and
    number format: later cells with the same key get a copy of that first cell's style, so a
    long table column costs one style look-up instead of one per cell.  ``key`` must hold every
    input of ``style`` (objects by ``id``: the cache keeps ``style``, and so them, alive)."""
    cell = ws.cell(row=row, column=col)
    value = clean_value(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"      # never a formula
    if number_format and number_format != "General":
        fmt = number_format
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        fmt = default_format(value)
    else:
        fmt = None
    done = cache.get((key, fmt))
    if done is not None:
        cell._style = copy(done[0])
        return cell
    if fmt is not None:
        cell.number_format = fmt
    style(cell)
    cache[(key, fmt)] = (copy(cell._style), style)     # ``style`` keeps the objects ``key`` names by id alive
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
        cell = write_cell(ws, row, j, i18n.label(h))    # the workbook's language (i18n.workbook_language)
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
    """Write ``wb`` to ``path`` so that a crash never leaves a partial or hidden file behind.

    ``wb`` is a workbook (anything with ``save(file)``; an openpyxl workbook also gets its
    carriage returns escaped) or a function writing to a file object (e.g. a matplotlib
    figure's ``savefig``).  The bytes are built in memory, written to an unnamed temporary file
    in the target folder (Linux ``O_TMPFILE``: a killed process leaves nothing behind) or, where
    the file system has none, to a hidden named temporary file carrying the writer's process
    id (removed on any error, and by the next writer to that folder if the process was killed),
    then moved into place with ``os.replace``.  Raises :class:`~optimizer.core.paths.OutputError`
    (a ``ValueError``: exit code 2) for a path that cannot be written, naming the reason, and
    if ``path`` is one of the ``protect`` paths (e.g. the input file).
    """
    target = Path(path)
    check_output(target, protect)
    spills = [] if callable(wb) else list(getattr(wb, "sourcing_spills", ()))
    files = []
    for item in spills:                      # tables past Excel's last row: in full beside the workbook
        beside = target.with_name(f"{target.stem}_{item.name}.csv")
        check_output(beside, protect)
        files.append((beside, spill_csv(item.frame)))
        if item.note is not None:
            row, col = item.note
            kept = min(item.rows, LIM.SPILL_KEEP_ROWS)
            write_cell(item.sheet, row, col, f"Rows 1 to {kept:,} of {item.rows:,} are shown here (an Excel sheet "
                       f"ends at row {LIM.EXCEL_MAX_ROW:,}): the whole table is in {beside.name}, beside this "
                       "workbook (text starting with = + - @ is prefixed with ' there, so that no spreadsheet "
                       "reads it as a formula)").font = NOTE_FONT
    buf = io.BytesIO()
    if callable(wb):
        wb(buf)
    else:
        if isinstance(wb, Workbook):
            prepare_for_print(wb)
        wb.save(buf)
    data = buf.getvalue()
    if isinstance(wb, Workbook):
        data = bulk.finish_package(data, wb)     # streamed tables merged in; carriage returns kept
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _sweep_stale(target, suffix)
        for beside, text in files:           # first, so the workbook never names a missing file
            _write_into_place(beside, text, ".csv")
        _write_into_place(target, data, suffix)
    except OSError as exc:
        raise write_error(exc, target) from None
    return Path(os.path.realpath(target))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spill_csv(df: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV (with a byte-order mark, so Excel reads the encoding) in which no text
    cell can be read as a formula: text starting with = + - @, tab or CR gets a leading '."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = _quoted(out[c])
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def _quoted(col: pd.Series) -> pd.Series:
    """``col`` with a ' before every text starting like a formula (decided once per distinct value)."""
    try:
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
    except TypeError:                         # unhashable values (lists): one by one
        return col.map(lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    fixed = [("'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v) for v in uniques]
    if all(a is b for a, b in zip(fixed, uniques)):
        return col
    values = np.asarray(fixed + [None], dtype=object)[codes]       # code -1 (missing) -> the last: None
    return pd.Series(np.where(codes < 0, col.to_numpy(dtype=object), values), index=col.index, dtype=object)


def _mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask        # results are ordinary files, as any program would write them


def _write_into_place(target: Path, data: bytes, suffix: str) -> None:
    folder = target.parent if str(target.parent) else Path(".")
    fd = None
    if hasattr(os, "O_TMPFILE"):
        try:
            fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY, _mode())
        except OSError:
            fd = None                # this file system has no unnamed temporary files
    if fd is not None:
        try:
            _write_all(fd, data)
            os.fchmod(fd, _mode())
            tmp = _temp_name(folder, target, suffix)
            os.link(f"/proc/self/fd/{fd}", tmp)
        except OSError:
            os.close(fd)
            fd = None                # e.g. /proc not mounted: fall back to a named temporary file
        else:
            os.close(fd)
            _replace(tmp, target)
            return
    name = _temp_name(folder, target, suffix)
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        _write_all(fd, data)
        os.fchmod(fd, _mode())
        os.close(fd)
        fd = None
        _replace(Path(name), target)
    except BaseException:
        if fd is not None:
            os.close(fd)
        try:
            os.unlink(name)
        except OSError:
            pass
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _replace(tmp: Path, target: Path) -> None:
    try:
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


_TEMP = re.compile(r"\..*\.(\d{1,10})-[0-9a-f]{12}\.\w{1,8}\.tmp")


def _temp_name(folder: Path, target: Path, suffix: str) -> Path:
    """A hidden temporary name beside ``target`` carrying this process id (see :func:`_sweep_stale`)."""
    return folder / f".{target.stem}.{os.getpid()}-{os.urandom(6).hex()}{suffix}.tmp"


def _sweep_stale(target: Path, suffix: str) -> None:
    """Remove the hidden temporary files this tool left in the target folder from a writer
    process that no longer runs (killed before it could clean up)."""
    folder = target.parent if str(target.parent) else Path(".")
    try:
        names = [n for n in os.listdir(folder) if n.startswith(".") and n.endswith(".tmp")]
    except OSError:
        return
    for name in names[:1000]:
        m = _TEMP.fullmatch(name)
        if m and not _alive(int(m.group(1))):
            try:
                os.unlink(folder / name)
            except OSError:
                pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


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
