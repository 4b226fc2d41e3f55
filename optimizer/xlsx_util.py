"""Safe, consistent workbook writing shared by the template, sample and report writers.

* Every value goes through :func:`write_cell`: strings are always stored as text
  (never a formula, whatever they start with: ``= + - @``, tab, CR), NaN/None become
  blank cells, numpy scalars become Python numbers, time-zone-aware datetimes are
  made naive.
* Workbooks are saved with :func:`save_atomic`: written to a temporary file in the
  target folder, then moved into place with ``os.replace`` (a crash never leaves a
  partial file under the target name) and never over a path we were told is an input.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")
TITLE_FONT = Font(name="Calibri", bold=True, size=14, color="1F4E78")
NOTE_FONT = Font(name="Calibri", italic=True, color="595959")
THIN = Side(style="thin", color="BFBFBF")
GRID = Border(bottom=THIN)
WARN_FILL = PatternFill("solid", fgColor="FCE4D6")
GOOD_FILL = PatternFill("solid", fgColor="E2EFDA")


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


def write_cell(ws, row: int, col: int, value, number_format: str | None = None) -> Cell:
    """Write one value; strings are forced to text type so they can never be formulas."""
    cell = ws.cell(row=row, column=col)
    value = clean_value(value)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"      # openpyxl would otherwise treat a leading '=' as a formula
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def write_header(ws, row: int, headers: list[str], docs: list[str] | None = None,
                 widths: list[int] | None = None) -> None:
    for j, h in enumerate(headers, start=1):
        cell = write_cell(ws, row, j, h)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if docs and docs[j - 1]:
            cell.comment = Comment(docs[j - 1], "sourcing")
        if widths:
            ws.column_dimensions[get_column_letter(j)].width = widths[j - 1]
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def write_table(ws, top: int, frame, formats: dict[str, str] | None = None,
                widths: dict[str, int] | None = None, headers: dict[str, str] | None = None) -> int:
    """Write a DataFrame with a styled header at row ``top``; returns the last row written."""
    formats, widths, headers = formats or {}, widths or {}, headers or {}
    cols = list(frame.columns)
    write_header(ws, top, [headers.get(c, c) for c in cols],
                 widths=[widths.get(c, max(10, min(40, len(str(headers.get(c, c))) + 2))) for c in cols])
    r = top
    for r, values in enumerate(frame.itertuples(index=False, name=None), start=top + 1):
        for j, (c, v) in enumerate(zip(cols, values), start=1):
            write_cell(ws, r, j, v, formats.get(c))
    return r


def save_atomic(wb, path: str | os.PathLike, protect: tuple[str | os.PathLike, ...] = ()) -> Path:
    """Save ``wb`` to ``path`` via a temporary file in the same folder, then rename.

    Raises ValueError if ``path`` is one of the ``protect`` paths (e.g. the input file).
    """
    target = Path(path).resolve()
    for p in protect:
        if p and Path(p).resolve() == target:
            raise ValueError(f"refusing to overwrite the input workbook {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".xlsx.tmp", dir=target.parent)
    os.close(fd)
    try:
        wb.save(tmp)
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
