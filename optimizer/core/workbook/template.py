"""Documented input workbooks: a README sheet that explains every sheet, column and setting, and
data sheets with units in the headers, a comment per header, number formats, drop-down or range
validation and frozen header rows, all taken from the sheet declarations
(:mod:`optimizer.core.workbook.columns`).  Used by the sourcing and pool templates."""
from __future__ import annotations

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from optimizer.core.workbook import columns as S
from optimizer.core.workbook.writer import NOTE_FONT, TITLE_FONT, write_cell, write_header

TEMPLATE_ROWS = 500  # rows that get drop-down validation in an empty template


def table_rows(table) -> list[dict]:
    """A table given as a DataFrame, a list of dicts or (settings) a ``{name: value}`` dict."""
    if table is None:
        return []
    if isinstance(table, pd.DataFrame):
        return table.to_dict("records")
    if isinstance(table, dict):  # settings given as {name: value}
        return [{"setting": k, "value": v} for k, v in table.items()]
    return list(table)


def write_readme(ws, title: str, usage: list[tuple[str, str]], sheets: list[tuple[S.Sheet, str]],
                 settings: tuple[S.Setting, ...], list_choices: bool = True) -> None:
    """The README sheet: how to use, then every sheet with its columns, then every setting."""
    ws.title = "README"
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 110
    write_cell(ws, 1, 1, title).font = TITLE_FONT
    r = 3
    for k, v in usage:
        write_cell(ws, r, 1, k).font = NOTE_FONT
        write_cell(ws, r, 2, v)
        r += 1
    r += 1
    write_cell(ws, r, 1, "Sheet").font = TITLE_FONT
    r += 1
    for sheet, label in sheets:
        write_cell(ws, r, 1, sheet.name + label)
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
    for s in settings:
        default = "" if s.default in (None, "") else f" Default: {s.default}."
        choices = f" One of: {', '.join(s.choices)}." if (s.choices and list_choices) else ""
        write_cell(ws, r, 1, f"   {s.name}").font = NOTE_FONT
        write_cell(ws, r, 2, f"[{s.kind}] {s.doc}{default}{choices}")
        r += 1


def add_validation(ws, col_idx: int, column: S.Column, last_row: int) -> None:
    """Excel data validation for one column, from its kind and limits."""
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


def cell_value(column: S.Column, value):
    if column.kind == S.BOOL and isinstance(value, bool):
        return "yes" if value else "no"
    return value


def write_sheet(ws, sheet: S.Sheet, rows: list[dict], validate: bool = True) -> None:
    """Headers (with comments and widths), the rows, validation and number formats of one sheet."""
    write_header(ws, 1, sheet.headers, [c.doc for c in sheet.columns], [c.width for c in sheet.columns])
    for i, rec in enumerate(rows, start=2):
        for j, col in enumerate(sheet.columns, start=1):
            write_cell(ws, i, j, cell_value(col, rec.get(col.key)), col.number_format)
    for j, col in enumerate(sheet.columns, start=1):
        if validate:
            add_validation(ws, j, col, len(rows) + 1)
        letter = get_column_letter(j)
        for i in range(2, len(rows) + 2):
            ws[f"{letter}{i}"].number_format = col.number_format
