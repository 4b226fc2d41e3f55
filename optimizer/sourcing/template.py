"""Write input workbooks: the empty documented template, and filled workbooks
(the bundled sample, test fixtures) from tables keyed by schema column keys.

``write_input_workbook(path, tables)``: ``tables`` maps a sheet name (e.g. "Supply")
to a DataFrame or list of dicts whose keys are the schema column *keys* (e.g.
``unit_cost``); headers, units, comments, number formats, drop-down validation
lists and frozen header rows come from :mod:`optimizer.sourcing.schema`.  Settings can be
given as a dict ``{setting: value}`` or rows with ``setting``/``value``/``notes``.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from optimizer.core.workbook.template import table_rows, write_readme, write_sheet
from optimizer.core.workbook.writer import save_atomic
from optimizer.sourcing import schema as S

USAGE = [
    ("How to use", "Fill the data sheets (one record per row, headers in row 1, no merged cells, "
                   "no blank rows inside a table), then run:  sourcing validate FILE  and  "
                   "sourcing solve FILE -o result.xlsx"),
    ("Units", "Masses in tonnes (t); prices in currency per kg; capex and budgets in currency "
              "millions; shares as fractions or percent-formatted cells (50 % = 0.5)."),
    ("Extra sheets", "Sheets not listed below are ignored (use them for notes)."),
    ("Data honesty", "Each data row has a 'basis' column: reference ids from the Sources sheet, "
                     "or 'A' (assumption) with a reason."),
]


def write_input_workbook(path, tables: dict | None = None, title: str = "Sourcing optimizer input workbook",
                         protect: tuple = (), extra: tuple = ()) -> Path:
    """Write a documented input workbook (empty template when ``tables`` is None).

    ``extra``: (sheet declaration, README label) pairs of further sheets that other commands
    read, written after the main ones with the same headers, comments and validation (e.g.
    the risk sheets: ``sourcing template --risk``)."""
    tables = tables or {}
    extra_sheets = [sh for sh, _ in extra]
    unknown = set(tables) - set(S.SHEET_BY_NAME) - {sh.name for sh in extra_sheets}
    if unknown:
        raise ValueError(f"unknown sheet(s): {sorted(unknown)}")
    wb = Workbook()
    labelled = [(sh, "" if sh.required else " (optional)") for sh in S.DATA_SHEETS] + list(extra)
    write_readme(wb.active, title, USAGE, labelled, S.SETTING_SPECS)
    for sheet in list(S.DATA_SHEETS) + extra_sheets:
        ws = wb.create_sheet(sheet.name)
        rows = table_rows(tables.get(sheet.name))
        if sheet is S.SETTINGS and not rows and sheet.name not in tables:
            rows = [{"setting": s.name, "value": "" if s.default is None else s.default, "notes": s.doc}
                    for s in S.SETTING_SPECS]
        write_sheet(ws, sheet, rows, validate=sheet is not S.SETTINGS)
        if sheet is S.SETTINGS:
            ws.column_dimensions["B"].width = 18
    return save_atomic(wb, path, protect=protect)
