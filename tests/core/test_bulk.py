"""Streamed tables (optimizer.core.workbook.bulk) write what the cell-by-cell path writes.

Every result workbook of the everyday commands is written twice -- every table cell by cell, and every
table streamed (the streaming threshold lowered to one row) -- and compared cell by cell: value, type,
number format, font, fill, alignment; row heights, column widths, merged ranges, Excel tables, the
sheet's dimension; and python-calamine reads the same values.  Hostile text, blanks, infinities,
booleans, tables side by side and stacked, tiny chunks and a spill past Excel's last row are checked on
hand-made tables.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from optimizer.cli import main
from optimizer.core import limits as LIM
from optimizer.core.workbook import bulk
from optimizer.core.workbook import layout as L
from optimizer.core.workbook.writer import GOOD_FILL, WARN_FILL, save_atomic
from optimizer.sourcing.report import write_result_workbook
from optimizer.sourcing.run import solve_workbook

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "inputs" / "korea_2024_2030.xlsx"
RISK = ROOT / "inputs" / "korea_2024_2030_risk.xlsx"
POOL = ROOT / "inputs" / "pool_kr_jp_sg.xlsx"


_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
_TIMING = re.compile(r"\((s|초)\)|seconds|time|시간")


def _clockless(text: str) -> str:
    return re.sub(r"\d[\d.,]* s\b", "<t> s", _STAMP.sub("<stamp>", text))


def _volatile(ca, cb, label) -> bool:
    """Two runs differ only in clock readings: a start timestamp, or a timing in seconds."""
    if isinstance(ca.value, str) and isinstance(cb.value, str):
        if _TIMING.search(str(label or "")):                # e.g. "build 0.082, grand 0.021, ..."
            return re.sub(r"\d[\d.,]*", "#", ca.value) == re.sub(r"\d[\d.,]*", "#", cb.value)
        return _clockless(ca.value) == _clockless(cb.value)
    return (isinstance(ca.value, float) and isinstance(cb.value, float) and ca.number_format == "0.000"
            and bool(_TIMING.search(str(label or ""))))


def _look(cell) -> tuple:
    f, a = cell.font, cell.alignment
    return (cell.value, cell.data_type, cell.number_format, f.name, f.b, f.i, f.sz,
            f.color.rgb if f.color is not None else None, cell.fill.fill_type,
            cell.fill.fgColor.rgb if cell.fill.fill_type else None, a.horizontal, a.vertical, a.wrap_text)


def _dimension(path: Path, sheet_index: int) -> str:
    with zipfile.ZipFile(path) as z:
        xml = z.read(f"xl/worksheets/sheet{sheet_index}.xml")
    return re.search(rb'<dimension ref="([^"]+)"', xml).group(1).decode()


def assert_same_workbook(a: Path, b: Path) -> None:
    wa, wb = openpyxl.load_workbook(a), openpyxl.load_workbook(b)
    assert wa.sheetnames == wb.sheetnames
    for k, (sa, sb) in enumerate(zip(wa.worksheets, wb.worksheets), start=1):
        assert (sa.max_row, sa.max_column) == (sb.max_row, sb.max_column), sa.title
        for ra, rb in zip(sa.iter_rows(), sb.iter_rows()):
            for ca, cb in zip(ra, rb):
                if ca.value != cb.value and _volatile(ca, cb, ra[0].value):
                    assert _look(ca)[1:] == _look(cb)[1:], f"{sa.title}!{ca.coordinate}"
                    continue
                assert _look(ca) == _look(cb), f"{sa.title}!{ca.coordinate}"
        heights = lambda s: {r: d.height for r, d in s.row_dimensions.items() if d.height}  # noqa: E731
        assert heights(sa) == heights(sb), sa.title
        assert {c: d.width for c, d in sa.column_dimensions.items()} == \
               {c: d.width for c, d in sb.column_dimensions.items()}, sa.title
        assert sorted(map(str, sa.merged_cells.ranges)) == sorted(map(str, sb.merged_cells.ranges))
        assert {t.name: (t.ref, [c.name for c in t.tableColumns]) for t in sa.tables.values()} == \
               {t.name: (t.ref, [c.name for c in t.tableColumns]) for t in sb.tables.values()}, sa.title
        assert sa.freeze_panes == sb.freeze_panes and sa.print_title_rows == sb.print_title_rows
        assert _dimension(a, k) == _dimension(b, k), sa.title
    ca, cb = CalamineWorkbook.from_path(str(a)), CalamineWorkbook.from_path(str(b))
    for name in ca.sheet_names:
        rows_a, rows_b = ca.get_sheet_by_name(name).to_python(), cb.get_sheet_by_name(name).to_python()
        assert len(rows_a) == len(rows_b), name
        for i, (x, y) in enumerate(zip(rows_a, rows_b)):
            label = str(x[0])
            same = [u == v or (isinstance(u, str) and isinstance(v, str) and _clockless(u) == _clockless(v))
                    or (isinstance(u, str) and isinstance(v, str) and _TIMING.search(label)
                        and re.sub(r"\d[\d.,]*", "#", u) == re.sub(r"\d[\d.,]*", "#", v))
                    or (isinstance(u, float) and _TIMING.search(label)) for u, v in zip(x, y)]
            assert len(x) == len(y) and all(same), f"{name} row {i + 1}"


def _both(tmp_path, monkeypatch, write) -> tuple[Path, Path]:
    monkeypatch.setattr(LIM, "STREAM_MIN_ROWS", 10**9)
    plain = write(tmp_path / "cells")
    monkeypatch.setattr(LIM, "STREAM_MIN_ROWS", 1)
    streamed = write(tmp_path / "streamed")
    return plain, streamed


def _cli(args: list[str], name: str):
    def write(folder: Path) -> Path:
        folder.mkdir(exist_ok=True)
        out = folder / name
        assert main([*args, "-o", str(out)]) in (0, 1)
        return out
    return write


@pytest.mark.parametrize("args,name", [
    (["solve", str(SAMPLE)], "plan.xlsx"),
    (["--lang", "ko", "solve", str(SAMPLE), "--scenario", "ga_embargo_2026"], "plan_ko.xlsx"),
    (["risk", str(RISK)], "risk.xlsx"),
    (["pool", str(POOL)], "pool.xlsx"),
    (["compare", str(SAMPLE), "--scenarios", "lynas_delay,budget_cut"], "compare.xlsx"),
    (["frontier", str(SAMPLE), "--points", "4"], "frontier.xlsx"),
])
def test_every_result_workbook_streamed_equals_cell_by_cell(tmp_path, monkeypatch, args, name):
    plain, streamed = _both(tmp_path, monkeypatch, _cli(args, name))
    with zipfile.ZipFile(streamed) as z:        # the streamed path was really taken
        assert any(b"<row" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert_same_workbook(plain, streamed)


HOSTILE = ["=1+1", "+SUM(A1)", "-2", "@cmd", "\t=x", "\r=1+1", "a\r\nb", "  lead", "trail  ", "   ", "",
           "a & b < c > d", "한국어 희토류", "emoji \U0001F600", "bell\x07char", "lone \udcff byte", "<f>1</f>",
           "]]>", 'quote " and \'']


def _hostile_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    text = [HOSTILE[i % len(HOSTILE)] if i % 3 else f"row {i}" for i in range(n)]
    nums = rng.normal(size=n) * 10.0 ** rng.integers(-8, 12, size=n)
    nums[::17] = np.nan
    nums[5::23] = np.inf
    nums[7::29] = -0.0
    mixed = [None if i % 11 == 0 else (i if i % 2 else f"t{i}") for i in range(n)]
    return pd.DataFrame({
        "text": text, "num": nums, "year": 2000 + np.arange(n) % 300, "flag": [bool(i % 4) for i in range(n)],
        "mixed": mixed, "small": rng.random(n) / 3, "obj_nums": pd.Series([1.5, 2, None, 0.25] * (n // 4),
                                                                          dtype=object)})


def _hand_workbook(folder: Path, df: pd.DataFrame, other: pd.DataFrame) -> Path:
    folder.mkdir(exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Hostile"
    names = L.TableNames()
    cols = [L.Col("text", "text"), L.Col("num", "number", "#,##0.00"), L.Col("year", "year"),
            L.Col("flag", "flag"), L.Col("mixed", "mixed"), L.Col("small", "small"), L.Col("obj_nums", "objects")]
    area = L.table(ws, 4, 1, df, cols, names, "Hostile", row_fill=lambda r: WARN_FILL if r["flag"] else None,
                   bold_rows=lambda r: r["year"] % 7 == 0, wrap_cols=("text",))
    # a second table beside it, shorter, and cells of the sheet beside and under both
    L.table(ws, 4, area.last_col + 2, other, [L.Col("k", "key"), L.Col("v", "value", "0.0%")], names, "Beside",
            row_fill=lambda r: GOOD_FILL if r["v"] > 0.5 else None)
    L.put(ws, 6, area.last_col + 6, "a note beside both tables")
    L.put(ws, area.last_row + 2, 1, "a note under the first table")
    # and a third one stacked under the first
    L.table(ws, area.last_row + 4, 1, other, [L.Col("k", "key"), L.Col("v", "value")], names, "Under")
    return save_atomic(wb, folder / "hand.xlsx")


@pytest.mark.parametrize("chunk", [7, bulk.CHUNK_ROWS])
def test_hostile_values_side_by_side_and_stacked_tables(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(bulk, "CHUNK_ROWS", chunk)
    df = _hostile_frame(240)
    other = pd.DataFrame({"k": [f"k{i}" for i in range(50)], "v": np.linspace(0, 1, 50)})
    plain, streamed = _both(tmp_path, monkeypatch, lambda folder: _hand_workbook(folder, df, other))
    assert_same_workbook(plain, streamed)
    ws = openpyxl.load_workbook(streamed)["Hostile"]
    back = [ws.cell(5 + i, 1).value for i in range(len(df))]
    assert back[1] == "+SUM(A1)" and back[4] == "\t=x" and ws.cell(6, 1).data_type == "s"   # text, not formulas
    assert back[5] == "\r=1+1" and back[7] == "  lead"                     # CR and spaces survive
    with zipfile.ZipFile(streamed) as z:
        xml = z.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"\r" not in xml


def test_a_column_of_dates_is_written_cell_by_cell(tmp_path, monkeypatch):
    df = pd.DataFrame({"when": [dt.datetime(2026, 1, 1) + dt.timedelta(days=i) for i in range(30)],
                       "x": np.arange(30.0)})
    plain, streamed = _both(tmp_path, monkeypatch, lambda folder: _hand_workbook(folder, _hostile_frame(8), df.rename(
        columns={"when": "k", "x": "v"})))
    assert_same_workbook(plain, streamed)
    assert openpyxl.load_workbook(streamed)["Hostile"]["I5"].value == dt.datetime(2026, 1, 1)


def test_a_streamed_table_past_excels_last_row_spills(tmp_path, monkeypatch):
    monkeypatch.setattr(LIM, "EXCEL_MAX_ROW", 60)
    monkeypatch.setattr(LIM, "SPILL_KEEP_ROWS", 20)
    monkeypatch.setattr(LIM, "STREAM_MIN_ROWS", 1)
    df = pd.DataFrame({"id": [f"S{i}" for i in range(100)], "tonnes": [i * 1.5 for i in range(100)]})
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    area = L.table(ws, 4, 1, df, [L.Col("id", "source"), L.Col("tonnes", "tonnes (t)", "#,##0.0")],
                   L.TableNames(), "Plan")
    out = save_atomic(wb, tmp_path / "result.xlsx")
    full = pd.read_csv(tmp_path / "result_Plan.csv", encoding="utf-8-sig")
    back = openpyxl.load_workbook(out)["Plan"]
    assert area.last_row == 24 and len(full) == 100
    assert [[back.cell(r, c).value for c in (1, 2)] for r in range(5, 25)] == full.head(20).values.tolist()
    assert "1 to 20 of 100" in back.cell(25, 1).value


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_reads_a_streamed_workbook(tmp_path, monkeypatch):
    """LibreOffice opens the streamed sample result and saves it again with the same Plan values."""
    monkeypatch.setattr(LIM, "STREAM_MIN_ROWS", 1)
    res, _ = solve_workbook(SAMPLE)
    path = write_result_workbook(res, tmp_path / "streamed.xlsx")
    profile = (tmp_path / "lo-profile").as_uri()
    proc = subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
                           "--outdir", str(tmp_path / "lo"), str(path)], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    again = openpyxl.load_workbook(tmp_path / "lo" / "streamed.xlsx")["Plan"]
    ours = openpyxl.load_workbook(path)["Plan"]
    assert ours.max_row > 100
    for r in range(1, ours.max_row + 1):
        for c in range(1, 13):
            a, b = ours.cell(r, c).value, again.cell(r, c).value
            assert a == b or (isinstance(a, float) and b == pytest.approx(a, rel=1e-12)), f"Plan!{r},{c}"


def test_a_cell_written_over_a_streamed_table_is_an_error_and_nothing_is_saved(tmp_path, monkeypatch):
    """A report that wrote into a streamed table's cells would lose one of the two values: the save
    refuses (an internal error, not a silent choice) and, being atomic, leaves no file behind."""
    monkeypatch.setattr(LIM, "STREAM_MIN_ROWS", 1)
    wb = openpyxl.Workbook()
    ws = wb.active
    L.table(ws, 4, 1, pd.DataFrame({"a": np.arange(10.0), "b": list("abcdefghij")}),
            [L.Col("a", "a"), L.Col("b", "b")], L.TableNames(), "T")
    L.put(ws, 7, 2, "over the table")
    target = tmp_path / "clash.xlsx"
    with pytest.raises(RuntimeError, match="row 7: cell in column 2 written twice"):
        save_atomic(wb, target)
    assert list(tmp_path.iterdir()) == []
