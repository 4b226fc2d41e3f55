"""Corpus sections on cells and sheet structure: wrong types in every column, blanks, duplicates,
unknown ids, dates as years; missing sheets, renamed headers, merged cells, formulas, hostile and
long text (files written by editing the valid fixture with openpyxl)."""
from __future__ import annotations

import datetime as dt

from optimizer.robustness import factory as F
from optimizer.robustness.items import Corpus
from optimizer.sourcing import schema as S

WRONG = {   # kind -> wrong-typed values, rotated over a sheet's columns
    S.NUMBER: ("lots", True, dt.datetime(2026, 3, 1), "#N/A", "1.234.567"),
    S.YEAR: ("next year", True, dt.datetime(2026, 1, 1), 2025.5),
    S.FRACTION: ("high", True, dt.datetime(2026, 3, 1), "#DIV/0!"),
    S.ID: (12345, "G A", True, "X" * 40),
    S.BOOL: ("maybe", 7, dt.datetime(2026, 3, 1)),
    S.CHOICE: (42, True, "unknown"),
    S.TEXT: (dt.datetime(2026, 3, 1), True, 3.5),   # anything is text: these must load
}
TEXT_ERRORS = {("Settings", "setting")}   # a text column whose wrong value is still an error
SETTING_WRONG = {S.YEAR: "soon", S.NUMBER: "lots", S.FRACTION: "high", S.BOOL: "maybe", S.CHOICE: "gurobi"}


def _shown(value) -> tuple[str, ...]:
    """How the CLI prints a value: repr() of what openpyxl reads back."""
    return (repr(value),) if isinstance(value, (str, int, float)) else ()


FULL_ONLY = {   # structure items left out of the quick corpus (a similar item stays in)
    "sheet_renamed_case.xlsx", "header_replaced.xlsx", "header_optional_renamed.xlsx", "headers_in_row_2.xlsx",
    "merged_header_cells.xlsx", "merged_outside_table.xlsx", "formula_setting.xlsx", "long_text.xlsx",
    "extra_junk_sheet.xlsx", "year_cell_formatted_as_date.xlsx"}


def wrong_types(c: Corpus) -> None:
    """A wrong-typed value in every column of every sheet (one column per sheet when quick)."""
    c.cls = "cells"
    tables = F.valid_tables()
    for k, sheet in enumerate(S.DATA_SHEETS):
        if sheet is S.SETTINGS or not tables.get(sheet.name):
            continue                 # sheets the valid fixture leaves empty (Origins, Conversion, ...) have no row 2
        for j, col in enumerate(sheet.columns):
            if c.quick and j != k % len(sheet.columns):
                continue
            value = WRONG[col.kind][j % len(WRONG[col.kind])]
            addr = F.cell(sheet.name, col.key, 2)
            expect = "ok" if col.kind == S.TEXT and (sheet.name, col.key) not in TEXT_ERRORS else "error"
            c.edited(f"type_{sheet.name}_{col.key}.xlsx", sheet.name, {addr: value}, expect,
                     (f"{sheet.name}!{addr}", *_shown(value)) if expect == "error" else (),
                     f"{type(value).__name__} {value!r} in {sheet.name}!{addr} ({col.kind})")
    for i, spec in enumerate(S.SETTING_SPECS):
        if c.quick and spec.name not in ("first_year", "backend"):
            continue
        names = list(F.SETTINGS)
        row = names.index(spec.name) + 2 if spec.name in names else len(names) + 2
        if spec.kind == S.TEXT:
            value, expect = ("nosuch", "error") if spec.name == "scenario" else (42, "ok")
            contains = ("nosuch",) if expect == "error" else ()
        else:
            value, expect = SETTING_WRONG[spec.kind], "error"
            contains = (f"Settings!B{row}", repr(value))
        c.edited(f"setting_{spec.name}.xlsx", "Settings", {f"A{row}": spec.name, f"B{row}": value}, expect,
                 contains, f"setting {spec.name} = {value!r}")


def bad_cells(c: Corpus) -> None:
    """Blanks, negative/NaN numbers, numbers as text, duplicates, unknown ids, dates as years."""
    c.cls = "cells"
    cap, cost, year = F.cell("Supply", "capacity", 3), F.cell("Supply", "unit_cost", 4), F.cell("Supply", "year", 3)
    cases = [
        ("blank_required", "Supply", {cap: None}, "error", (f"Supply!{cap}", "required")),
        ("blank_optional", "Supply", {F.cell("Supply", "min_volume", 3): None}, "ok", ()),
        ("blank_name", "Suppliers", {"B3": None}, "error", ("Suppliers!B3", "required")),
        ("negative_capacity", "Supply", {cap: -5}, "error", (f"Supply!{cap}", "-5", "at least 0")),
        ("nan_text", "Demand", {"C3": "NaN"}, "error", ("Demand!C3", "'NaN'", "finite")),
        ("minus_inf_text", "Supply", {cost: "-inf"}, "error", (f"Supply!{cost}", "finite")),
        ("negative_risk", "Suppliers", {"E2": -0.1}, "error", ("Suppliers!E2", "between 0 and 1")),
        ("thousands_comma", "Supply", {cap: "1,200"}, "ok", ()),
        ("thousands_mixed", "Supply", {cap: "12,345,678.5"}, "ok", ()),
        ("thousands_space", "Demand", {"C3": " 1 234 "}, "ok", ()),
        ("decimal_comma", "Supply", {cap: "1.234,5"}, "error", (f"Supply!{cap}", "'1.234,5'", "decimal")),
        ("dup_supply", "Supply", {"A7": "GA", "B7": "CN", "C7": 2025}, "error", ("Supply!A7", "duplicate")),
        ("dup_material", "Materials", {"A3": "GA"}, "error", ("Materials!A3", "duplicate")),
        ("dup_setting", "Settings", {"A7": "discount_rate", "B7": 0.1}, "error", ("Settings!A7", "twice")),
        ("unknown_material", "Supply", {"A2": "XX"}, "error", ("Supply!A2", "'XX'", "Materials")),
        ("unknown_source", "Supply", {"B2": "ZZ"}, "error", ("Supply!B2", "'ZZ'", "Suppliers")),
        ("unknown_demand_material", "Demand", {"A2": "GAX"}, "error", ("Demand!A2", "'GAX'")),
        ("unknown_policy_scope", "Policy", {"B2": "HREE"}, "error", ("Policy!B2", "'HREE'")),
        ("unknown_scenario_source", "Scenarios", {"D2": "ZZ"}, "error", ("Scenarios!D2", "'ZZ'")),
        ("date_as_year", "Supply", {year: dt.datetime(2026, 1, 1)}, "error", (f"Supply!{year}", "a date")),
        ("date_setting_year", "Settings", {"B2": dt.date(2025, 1, 1)}, "error", ("Settings!B2", "a date")),
    ]
    if c.quick:
        keep = {"blank_required", "negative_capacity", "nan_text", "thousands_comma", "decimal_comma",
                "dup_supply", "unknown_material", "date_as_year"}
        cases = [case for case in cases if case[0] in keep]
    for name, sheet, cells, expect, contains in cases:
        c.edited(f"{name}.xlsx", sheet, cells, expect, contains, name.replace("_", " "))

    def year_formatted_as_date(wb):   # 2026 typed into a Date-formatted cell reads as 1905-07-18
        wb["Demand"]["B2"].number_format = "yyyy-mm-dd"
    c.workbook("year_cell_formatted_as_date.xlsx", year_formatted_as_date, "error", ("Demand!B2", "a date"),
               "a year typed into a Date-formatted cell")


HOSTILE_TEXT = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1",
                '=HYPERLINK("http://example.invalid","click")', "=1+1\n=2+2", "\u202e=1+1 \U0001F600"]


def structure(c: Corpus) -> None:
    """Missing sheets, renamed headers, merged cells, formulas, hostile and huge text."""
    c.cls = "structure"
    for sheet in S.DATA_SHEETS:
        if c.quick and sheet.name != "Demand":
            continue
        name = f"missing_sheet_{sheet.name}.xlsx"
        if sheet.required:
            c.workbook(name, lambda wb, s=sheet.name: wb.remove(wb[s]), "error",
                       (f"required sheet '{sheet.name}' is missing",), f"sheet {sheet.name} deleted")
        else:
            c.workbook(name, lambda wb, s=sheet.name: wb.remove(wb[s]), "ok", (), f"optional sheet {sheet.name} deleted")

    def rename(title):
        def change(wb):
            wb["Supply"].title = title
        return change
    c.workbook("sheet_renamed_case.xlsx", rename(" SUPPLY "), "ok", (), "sheet title in other case/spaces")
    c.workbook("sheet_renamed.xlsx", rename("Supplies"), "error", ("did you mean 'Supplies'",), "sheet renamed")
    cap = F.col("Supply", "capacity")
    c.edited("header_renamed.xlsx", "Supply", {f"{cap}1": "capacty (t)"}, "error",
             (f"Supply!{cap}1", "did you mean 'capacty (t)'"), "required header misspelt")
    c.edited("header_replaced.xlsx", "Demand", {"C1": "qty"}, "error", ("required column 'demand (t)' is missing",),
             "required header replaced")
    c.edited("header_optional_renamed.xlsx", "Supply", {f"{F.col('Supply', 'min_volume')}1": "minimum volum (t)"},
             "ok", (), "optional header misspelt (warning)")

    def title_row(wb):
        wb["Budget"].insert_rows(1)
        wb["Budget"]["A1"] = "Budget 2025-2027"
    c.workbook("headers_in_row_2.xlsx", title_row, "error", ("are in row 2",), "title row above the headers")

    def merge(ref, sheet="Suppliers"):
        return lambda wb: wb[sheet].merge_cells(ref)
    c.workbook("merged_data_cells.xlsx", merge("C3:C4"), "error", ("Suppliers!C3", "merged cells C3:C4"), "merged data")
    c.workbook("merged_header_cells.xlsx", merge("A1:B1", "Supply"), "error", ("merged cells A1:B1",), "merged headers")
    c.workbook("merged_outside_table.xlsx", merge("M5:N9", "Supply"), "ok", (), "merge away from the table")
    c.edited("formula_no_cache.xlsx", "Supply", {f"{cap}3": "=1+1"}, "error",
             (f"Supply!{cap}3", "formula with no cached value"), "formula saved by openpyxl", as_text=False)
    c.edited("formula_setting.xlsx", "Settings", {"B2": "=2020+5"}, "error", ("Settings!B2", "formula"),
             "formula in a setting", as_text=False)

    def hostile(wb):
        for r, text in enumerate(HOSTILE_TEXT[:3], start=2):
            wb["Suppliers"][f"B{r}"].value = text
        for r, text in enumerate(HOSTILE_TEXT[3:6], start=2):
            wb["Suppliers"][f"F{r}"].value = text
        wb["Materials"]["B2"].value, wb["Materials"]["B3"].value = HOSTILE_TEXT[6], HOSTILE_TEXT[7]
        wb["Supply"]["H2"].value = HOSTILE_TEXT[8]
        for ws in (wb["Suppliers"], wb["Materials"], wb["Supply"]):
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
    c.workbook("hostile_strings.xlsx", hostile, "ok", (), "formula-like text in names, rationale, basis")
    c.edited("long_text.xlsx", "Suppliers", {"F2": "x" * 32_767}, "ok", (), "a 32,767-character rationale")

    def junk_sheet(wb):
        junk = wb.create_sheet("My notes")
        for r in range(1, 50):
            junk.append([r, "=SUM(A1:A2)", None, dt.datetime(2026, 1, r % 28 + 1), "#REF!"])
    c.workbook("extra_junk_sheet.xlsx", junk_sheet, "ok", (), "an extra sheet with formulas and junk")
