"""Safe reading of a pool workbook: :func:`optimizer.load.read_workbook` on the pool sheets.

``read_workbook(path, sheets=...)`` is used when the main reader takes a sheet list (the
change proposed to the lead); until then :func:`_read_sheets` runs the same steps (size and
zip-bomb limits, defusedxml, format sniffing, merged cells, uncached formulas) composed
from :mod:`optimizer.load`'s helpers, so both paths apply the same guards and messages.
"""
from __future__ import annotations

import hashlib
import inspect
import io
import warnings
from pathlib import Path

import openpyxl

from optimizer import load as L
from optimizer import schema as S
from optimizer.data import InputError, Issue
from optimizer.pooling import schema as P


def read_pool_workbook(path) -> L.RawWorkbook:
    """The safe reader on the pool sheets (``read_workbook(path, sheets=...)`` when the main
    reader takes a sheet list; until then the same steps composed from its helpers)."""
    if "sheets" in inspect.signature(L.read_workbook).parameters:
        return L.read_workbook(path, sheets=P.POOL_SHEETS)
    return _read_sheets(path, P.POOL_SHEETS)


def _read_sheets(path, sheet_defs) -> L.RawWorkbook:
    """Fallback: :func:`optimizer.load.read_workbook`'s loop over ``sheet_defs`` (same guards)."""
    L.require_defusedxml()
    p = Path(path)
    if not p.is_file():
        raise L._fail(p, "file not found" if not p.exists() else "this is a folder, not a workbook file", str(p))
    size = p.stat().st_size
    if size > S.MAX_FILE_BYTES:
        raise L._fail(p, f"the file is {size:,} bytes, more than the limit of {S.MAX_FILE_BYTES:,} bytes")
    data = p.read_bytes()
    zf = L._open_zip(p, data)
    issues: list[Issue] = []
    names = set(zf.namelist())
    parts = L._sheet_parts(zf)
    sheets: dict[str, L.RawSheet] = {}
    second: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure means an unusable file
        raise L._fail(p, f"the workbook could not be read ({type(exc).__name__}: {exc}): the file may be damaged")
    try:
        titles = list(wb.sheetnames)
        for sheet in sheet_defs:
            title = L._find_title(sheet, titles)
            if title is None:
                continue
            ws = wb[title]
            if not hasattr(ws, "iter_rows"):
                issues.append(Issue(sheet.name, "", None, f"'{title}' is a chart sheet, not a table"))
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                raw = L._read_sheet(ws, sheet, title, issues)
            sheets[sheet.name] = raw
            if title in parts and parts[title] in names and raw.columns:
                has_formula, refs = L._scan_part(zf, parts[title])
                L._merge_issues(raw, refs, issues)
                if has_formula:
                    second.append(sheet.name)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - malformed XML inside a sheet, defusedxml refusals, ...
        raise L._fail(p, f"the workbook could not be read ({type(exc).__name__}: {exc}): the file may be damaged")
    finally:
        wb.close()
    if second:
        L._second_pass(p, data, sheets, second)
    return L.RawWorkbook(str(path), hashlib.sha256(data).hexdigest(), sheets, issues, titles, False)
