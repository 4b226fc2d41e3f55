"""Write pool workbooks: the empty documented template and filled ones (sample, tests).

``write_pool_workbook(path, tables)``: ``tables`` maps a sheet name of
:mod:`optimizer.pooling.schema` to a DataFrame or list of dicts keyed by the schema
column keys; Settings may be a dict ``{setting: value}``.  Headers, comments, number
formats and drop-down validation come from the schema, as for the main workbook.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from optimizer.pooling import schema as P
from optimizer.sourcing.template import _add_validation, _cell_value, _rows
from optimizer.core.workbook.writer import NOTE_FONT, TITLE_FONT, save_atomic, write_cell, write_header

USAGE = [
    ("What it does", "Pooled procurement: the pool's optimal joint purchase, what each member would pay "
                     "alone and in every sub-coalition, fair splits of the pooled cost (proportional, "
                     "Shapley, nucleolus, least core, Owen dual prices) and whether a proposed split is in "
                     "the core (no member or group would do better alone)."),
    ("Run", "sourcing pool FILE -o result.xlsx        (add --game to analyse the CoalitionCosts sheet "
            "instead of optimising; --mga-slack 0.03 for plans within 3 % of the optimum)"),
    ("Joint model", "Fill Settings (first_year, last_year), Members, MemberDemand, PooledOffers and/or "
                    "StandaloneOffers; optionally MemberPolicy (China caps) and ProposedSplit."),
    ("Typed game", "Fill CoalitionCosts (one row per coalition, e.g. KR+JP | cost), optionally Members, "
                   "ProposedSplit and the 'members' setting for the order."),
    ("Units", "Masses in tonnes (t); prices in currency per kg; results in currency millions. "
              "Shares as fractions or percent-formatted cells (50 % = 0.5)."),
    ("Data honesty", "Each data row has a 'basis' column: reference ids from the Sources sheet, or 'A' "
                     "(assumption) with a reason."),
]


def _readme(ws) -> None:
    ws.title = "README"
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 110
    write_cell(ws, 1, 1, "Sourcing optimizer: pooled procurement workbook").font = TITLE_FONT
    r = 3
    for k, v in USAGE:
        write_cell(ws, r, 1, k).font = NOTE_FONT
        write_cell(ws, r, 2, v)
        r += 1
    r += 1
    write_cell(ws, r, 1, "Sheet").font = TITLE_FONT
    r += 1
    for sheet in P.POOL_SHEETS:
        write_cell(ws, r, 1, sheet.name)
        write_cell(ws, r, 2, sheet.doc)
        r += 1
        for c in sheet.columns:
            extra = "  One of: " + ", ".join(c.choices) + "." if c.choices else ""
            req = "required" if c.required else "optional"
            write_cell(ws, r, 1, f"   {c.header}").font = NOTE_FONT
            write_cell(ws, r, 2, f"[{c.kind}, {req}] {c.doc}{extra}")
            r += 1
    r += 1
    write_cell(ws, r, 1, "Settings").font = TITLE_FONT
    r += 1
    for s in P.SETTING_SPECS:
        default = "" if s.default in (None, "") else f" Default: {s.default}."
        write_cell(ws, r, 1, f"   {s.name}").font = NOTE_FONT
        write_cell(ws, r, 2, f"[{s.kind}] {s.doc}{default}")
        r += 1


def write_pool_workbook(path, tables: dict | None = None, protect: tuple = ()) -> Path:
    """Write a documented pool workbook (an empty template when ``tables`` is None)."""
    tables = tables or {}
    unknown = set(tables) - set(P.SHEET_BY_NAME)
    if unknown:
        raise ValueError(f"unknown sheet(s): {sorted(unknown)}")
    wb = Workbook()
    _readme(wb.active)
    for sheet in P.POOL_SHEETS:
        ws = wb.create_sheet(sheet.name)
        write_header(ws, 1, sheet.headers, [c.doc for c in sheet.columns], [c.width for c in sheet.columns])
        rows = _rows(tables.get(sheet.name))
        if sheet is P.SETTINGS:
            given = {r["setting"]: r for r in rows}
            rows = [{"setting": s.name, "notes": s.doc,
                     "value": given.get(s.name, {}).get("value", "" if s.default is None else s.default)}
                    for s in P.SETTING_SPECS]
        for i, rec in enumerate(rows, start=2):
            for j, col in enumerate(sheet.columns, start=1):
                write_cell(ws, i, j, _cell_value(col, rec.get(col.key)), col.number_format)
        if sheet is not P.SETTINGS:
            for j, col in enumerate(sheet.columns, start=1):
                _add_validation(ws, j, col, len(rows) + 1)
                letter = get_column_letter(j)
                for i in range(2, len(rows) + 2):
                    ws[f"{letter}{i}"].number_format = col.number_format
        else:
            ws.column_dimensions["B"].width = 18
    return save_atomic(wb, path, protect=protect)
