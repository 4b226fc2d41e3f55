"""A result table past Excel's last row: the whole table in a CSV beside the workbook (readable
by pandas, no text a spreadsheet would take for a formula), the top rows and a note on the sheet.
Excel's limit is lowered here (the same code path, small numbers)."""
from __future__ import annotations

import openpyxl
import pandas as pd

from optimizer.core import limits as LIM
from optimizer.core.workbook import layout as L
from optimizer.core.workbook.writer import save_atomic
from optimizer.sourcing.report import write_result_workbook
from optimizer.sourcing.run import solve_workbook
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_long_table_spills_to_csv_with_its_top_rows_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(LIM, "EXCEL_MAX_ROW", 60)
    monkeypatch.setattr(LIM, "SPILL_KEEP_ROWS", 20)
    df = pd.DataFrame({"id": [f"S{i}" for i in range(100)], "tonnes": [i * 1.5 for i in range(100)],
                       "note": ["=1+1" if i == 3 else f"n{i}" for i in range(100)]})
    cols = [L.Col("id", "source"), L.Col("tonnes", "tonnes (t)", "#,##0.0"), L.Col("note", "note")]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    area = L.table(ws, 4, 1, df, cols, L.TableNames(), "Plan")
    assert area.last_row == 4 + 20
    out = save_atomic(wb, tmp_path / "result.xlsx")
    csv = tmp_path / "result_Plan.csv"
    full = pd.read_csv(csv, encoding="utf-8-sig")
    assert list(full.columns) == ["source", "tonnes (t)", "note"]
    assert len(full) == 100 and full["tonnes (t)"].tolist() == df["tonnes"].tolist()
    assert full["note"][3] == "'=1+1"                    # never a formula in a spreadsheet
    back = openpyxl.load_workbook(out)["Plan"]
    top = [[back.cell(r, c).value for c in (1, 2, 3)] for r in range(5, 25)]
    assert top == full.head(20).assign(note=df["note"].head(20)).values.tolist()
    assert back.cell(4, 3).value == "note" and back.cell(8, 3).data_type == "s"   # text, not a formula
    note = back.cell(25, 1).value
    assert "result_Plan.csv" in note and "1 to 20 of 100" in note


def test_the_plan_of_a_solve_spills_and_matches_the_sheet(tmp_path, monkeypatch):
    res, _ = solve_workbook(ROOT / "inputs" / "korea_2024_2030.xlsx")
    rows = len(res.plan)
    monkeypatch.setattr(LIM, "EXCEL_MAX_ROW", rows)      # the Plan table (from row 4) no longer fits
    monkeypatch.setattr(LIM, "SPILL_KEEP_ROWS", 10)
    out = write_result_workbook(res, tmp_path / "run.xlsx")
    spilled = pd.read_csv(tmp_path / "run_Plan.csv", encoding="utf-8-sig")
    assert len(spilled) == rows
    ws = openpyxl.load_workbook(out)["Plan"]
    headers = [ws.cell(4, c).value for c in range(1, len(spilled.columns) + 1)]
    assert headers == list(spilled.columns)
    for i in range(10):
        sheet = [ws.cell(5 + i, c).value for c in range(1, len(headers) + 1)]
        csv = spilled.iloc[i].tolist()
        for a, b in zip(sheet, csv):
            if isinstance(a, (int, float)) and not isinstance(a, bool):
                assert abs(a - float(b)) <= 1e-9 * max(1.0, abs(a))
            else:
                assert (a is None and pd.isna(b)) or str(a) == str(b) or (a in ("yes", "no") and str(b) in ("True", "False"))
    assert "run_Plan.csv" in ws.cell(15, 1).value
