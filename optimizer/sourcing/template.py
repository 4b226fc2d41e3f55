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

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from optimizer.sourcing import schema as S
from optimizer.core.workbook.writer import NOTE_FONT, TITLE_FONT, save_atomic, write_cell, write_header

TEMPLATE_ROWS = 500  # rows that get drop-down validation in an empty template


def _rows(table) -> list[dict]:
    if table is None:
        return []
    if isinstance(table, pd.DataFrame):
        return table.to_dict("records")
    if isinstance(table, dict):  # settings given as {name: value}
        return [{"setting": k, "value": v} for k, v in table.items()]
    return list(table)


def _readme(ws, title: str, extra: tuple = ()) -> None:
    ws.title = "README"
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 110
    write_cell(ws, 1, 1, title).font = TITLE_FONT
    lines = [
        ("How to use", "Fill the data sheets (one record per row, headers in row 1, no merged cells, "
                       "no blank rows inside a table), then run:  sourcing validate FILE  and  "
                       "sourcing solve FILE -o result.xlsx"),
        ("Units", "Masses in tonnes (t); prices in currency per kg; capex and budgets in currency "
                  "millions; shares as fractions or percent-formatted cells (50 % = 0.5)."),
        ("Extra sheets", "Sheets not listed below are ignored (use them for notes)."),
        ("Data honesty", "Each data row has a 'basis' column: reference ids from the Sources sheet, "
                         "or 'A' (assumption) with a reason."),
    ]
    r = 3
    for k, v in lines:
        write_cell(ws, r, 1, k).font = NOTE_FONT
        write_cell(ws, r, 2, v)
        r += 1
    r += 1
    write_cell(ws, r, 1, "Sheet").font = TITLE_FONT
    r += 1
    for sheet, label in [(sh, "" if sh.required else " (optional)") for sh in S.DATA_SHEETS] + list(extra):
        write_cell(ws, r, 1, sheet.name + label)
        write_cell(ws, r, 2, sheet.doc)
        r += 1
        for c in sheet.columns:
            extra = ""
            if c.choices:
                extra = "  One of: " + ", ".join(c.choices) + "."
            req = "required" if c.required else "optional"
            write_cell(ws, r, 1, f"   {c.header}").font = NOTE_FONT
            write_cell(ws, r, 2, f"[{c.kind}, {req}] {c.doc}{extra}")
            r += 1
    r += 1
    write_cell(ws, r, 1, "Settings").font = TITLE_FONT
    r += 1
    for s in S.SETTING_SPECS:
        default = "" if s.default in (None, "") else f" Default: {s.default}."
        choices = f" One of: {', '.join(s.choices)}." if s.choices else ""
        write_cell(ws, r, 1, f"   {s.name}").font = NOTE_FONT
        write_cell(ws, r, 2, f"[{s.kind}] {s.doc}{default}{choices}")
        r += 1


def _add_validation(ws, col_idx: int, column: S.Column, last_row: int) -> None:
    letter = get_column_letter(col_idx)
    rng = f"{letter}2:{letter}{max(last_row, TEMPLATE_ROWS)}"
    if column.kind == S.CHOICE:
        dv = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
    elif column.kind == S.BOOL:
        dv = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
    elif column.kind == S.YEAR:
        dv = DataValidation(type="whole", operator="between", formula1="1990", formula2="2100",
                            allow_blank=True)
    elif column.kind == S.FRACTION:
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="1",
                            allow_blank=True)
    elif column.kind == S.NUMBER and column.minimum is not None:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1=str(column.minimum),
                            allow_blank=True)
    else:
        return
    dv.error = f"{column.header}: {column.doc or column.kind}"
    dv.errorTitle = "Invalid value"
    dv.showErrorMessage = True
    ws.add_data_validation(dv)
    dv.add(rng)


def _cell_value(column: S.Column, value):
    if column.kind == S.BOOL and isinstance(value, bool):
        return "yes" if value else "no"
    return value


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
    _readme(wb.active, title, extra)
    for sheet in list(S.DATA_SHEETS) + extra_sheets:
        ws = wb.create_sheet(sheet.name)
        write_header(ws, 1, sheet.headers, [c.doc for c in sheet.columns], [c.width for c in sheet.columns])
        rows = _rows(tables.get(sheet.name))
        if sheet is S.SETTINGS and not rows and sheet.name not in tables:
            rows = [{"setting": s.name, "value": "" if s.default is None else s.default, "notes": s.doc}
                    for s in S.SETTING_SPECS]
        for i, rec in enumerate(rows, start=2):
            for j, col in enumerate(sheet.columns, start=1):
                write_cell(ws, i, j, _cell_value(col, rec.get(col.key)), col.number_format)
        for j, col in enumerate(sheet.columns, start=1):
            if sheet is not S.SETTINGS:
                _add_validation(ws, j, col, len(rows) + 1)
            letter = get_column_letter(j)
            for i in range(2, len(rows) + 2):
                ws[f"{letter}{i}"].number_format = col.number_format
        if sheet is S.SETTINGS:
            ws.column_dimensions["B"].width = 18
    return save_atomic(wb, path, protect=protect)
