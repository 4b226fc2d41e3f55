"""The calamine path of the reader (optimizer/core/workbook/fastsheet.py) against the Python parser:
the same rows, values (and their types), issues and refusals on every fixture and on every
workbook of the quick hostile corpus; and the sheets it must hand back to the Python parser."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from optimizer.core.issues import InputError
from optimizer.core.workbook import fastsheet as F
from optimizer.core.workbook.reader import read_workbook
from optimizer.core.workbook.sheetxml import CellBudget
from optimizer.pooling.schema import POOL_SHEETS
from optimizer.risk.schema import RISK_SHEETS
from optimizer.robustness import corpus as H
from optimizer.robustness import factory
from optimizer.sourcing.schema import DATA_SHEETS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted([*ROOT.glob("inputs/*.xlsx"), *ROOT.glob("tests/golden/inputs/*.xlsx")])
SCHEMAS = {"data": DATA_SHEETS, "pool": POOL_SHEETS, "risk": RISK_SHEETS}


def _value(v):
    return None if v == "" and isinstance(v, str) else (type(v).__name__, repr(v))


def outcome(path, sheets, fast: bool):
    """Everything the reader hands on, in comparable form."""
    try:
        wb = read_workbook(path, sheets, fast=fast)
    except InputError as exc:
        return ("refused", [str(i) for i in exc.issues])
    tables = {name: (raw.title, raw.columns, [(r.row, {k: _value(v) for k, v in r.values.items()}) for r in raw.rows],
                     raw.formulas, raw.merged) for name, raw in wb.sheets.items()}
    return ("read", tables, [str(i) for i in wb.issues], wb.sheet_titles, wb.sha256)


def same_both_ways(path) -> None:
    for kind, sheets in SCHEMAS.items():
        assert outcome(path, sheets, True) == outcome(path, sheets, False), f"{path.name} ({kind} sheets)"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixtures_read_the_same_both_ways(path):
    same_both_ways(path)


def test_fixture_sheets_take_the_fast_path(tmp_path):
    """The sample's data sheets (written by openpyxl) are in the plain form: read by calamine."""
    wb = openpyxl.load_workbook(ROOT / "inputs" / "korea_2024_2030.xlsx")
    data = (ROOT / "inputs" / "korea_2024_2030.xlsx").read_bytes()
    book = F.Calamine(data)
    z = zipfile.ZipFile(io.BytesIO(data))
    sheet = wb["Supply"]
    part = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")][wb.sheetnames.index("Supply")]
    grid = F.plain_grid(z.read(part), "Supply", [], frozenset(), CellBudget(), book)
    assert grid is not None
    assert len([r for r in grid if any(v != "" for v in r)]) == sheet.max_row


def test_quick_corpus_reads_the_same_both_ways(tmp_path, monkeypatch):
    """Every workbook of the quick corpus (89 files): the same outcome both ways, and the fast
    path is really taken on many of them (so the comparison is not vacuous)."""
    H.build_corpus(tmp_path, quick=True)
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.suffix.lower() in (".xlsx", ".xlsm"))
    assert len(files) > 50
    fast = []
    real = F.plain_grid
    monkeypatch.setattr(F, "plain_grid", lambda *a: fast.append(r := real(*a)) or r)
    for path in files:
        assert outcome(path, DATA_SHEETS, True) == outcome(path, DATA_SHEETS, False), path.name
    assert sum(g is not None for g in fast) > 300


def _sheet_xml(body: bytes) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>' + body + b"</sheetData></worksheet>")


@pytest.mark.parametrize("body", [
    b'<row r="1"><c r="A1"><f>1+1</f></c></row>',                                  # a formula
    b'<row r="1"><c r="A1" t="n"><v>5</v></c></row><row r="1"><c r="B1"/></row>',  # a row twice
    b'<row r="1"><c r="A1"/><c r="A1"/></row>',                                    # a blank cell twice
    b'<row r="2"><c r="A1" t="n"><v>5</v></c></row>',                              # a cell outside its row
    b'<row r="2"><c r="B2"/></row><row r="1"><c r="A1"/></row>',                   # rows out of order
    b'<row r="1"><c r="A1" t="n"><v>2025.0</v></c></row>',                         # an integral float
    b'<row r="1"><c r="A1" t="n"><v>1E3</v></c></row>',                            # ... written with an exponent
    b'<row r="1"><c r="A1" t="n"><v>NaN</v></c></row>',                            # not a number
    b'<row r="1"><c r="A1" t="e"><v>#N/A</v></c></row>',                           # an error cell
    b'<row r="1"><c r="A1" t="inlineStr"><is><r><t>a</t></r></is></c></row>',      # rich text
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>_x000D_</t></is></c></row>',       # an escape
    b'<row r="1"><c r="A1" t="s"><v>3</v></c></row>',                              # past the string table
    b'<x:row r="1"><x:c r="A1"/></x:row>',                                         # a prefix
    b'<row><c r="A1"/></row>',                                                     # a row without r
])
def test_sheets_outside_the_plain_form_go_to_the_python_parser(body):
    xml = _sheet_xml(body)
    assert F.plain_grid(xml, "S", ["x"], frozenset(), CellBudget(), NeverOpened()) is None


def test_a_date_styled_number_goes_to_the_python_parser():
    xml = _sheet_xml(b'<row r="1"><c r="A1" s="1" t="n"><v>45000</v></c></row>')
    assert F.plain_grid(xml, "S", [], frozenset({1}), CellBudget(), NeverOpened()) is None


def test_a_plain_sheet_is_handed_to_calamine():
    xml = _sheet_xml(b'<row r="1"><c r="A1" s="1" t="n"><v>45000</v></c><c r="C1" t="s"><v>0</v></c></row>')
    with pytest.raises(AssertionError, match="calamine"):
        F.plain_grid(xml, "S", ["x"], frozenset(), CellBudget(), NeverOpened())


class NeverOpened:
    """A calamine stand-in that fails the test if the checks let a sheet through to it."""

    def grid(self, title):
        raise AssertionError("calamine was asked to read the sheet")


def test_the_corpus_fixture_is_read_by_calamine(tmp_path, monkeypatch):
    """The factory's valid workbook (the corpus's base) is read on the fast path, every data
    sheet of it, and the result equals the Python parser's."""
    path = factory.write_valid(tmp_path)
    calls = []
    real = F.plain_grid
    monkeypatch.setattr(F, "plain_grid", lambda *a: calls.append(r := real(*a)) or r)
    read_workbook(path, DATA_SHEETS)
    assert calls and all(g is not None for g in calls)
    monkeypatch.undo()
    same_both_ways(path)


# ----------------------------------------------------------------------------- whole-column conversion
def _validated(path, monkeypatch, columns: bool):
    from optimizer.core.workbook import cells
    from optimizer.sourcing.validate import load_and_validate
    if not columns:
        monkeypatch.setattr(cells, "_clean_columns", lambda sheet, raw: None)
    try:
        loaded = load_and_validate(str(path))
    except InputError as exc:
        return ("refused", [str(i) for i in exc.issues])
    finally:
        monkeypatch.undo()
    import dataclasses
    import pandas as pd
    return ("ok", {f.name: (v.to_csv() + str(v.dtypes.to_dict()) if isinstance(v, pd.DataFrame) else repr(v))
                   for f in dataclasses.fields(loaded) for v in [getattr(loaded, f.name)]})


@pytest.mark.parametrize("path", [p for p in FIXTURES if "pool" not in p.name and "lemaire" not in p.name],
                         ids=lambda p: p.name)
def test_column_conversion_equals_cell_by_cell(path, monkeypatch):
    assert _validated(path, monkeypatch, True) == _validated(path, monkeypatch, False)


@pytest.mark.parametrize("values", [
    [1, 1.0, True, "1"],                 # equal hashes, different cells
    ["GA", " GA ", "ga"],
    [0.5, 1.5, None],                    # a share above 1
    [2025, 2026.5],
    ["12", 3.0],                         # a number stored as text: a warning
])
def test_clean_column_agrees_with_each_cell(values):
    from optimizer.core.workbook import cells as C
    from optimizer.core.workbook import columns as S
    from optimizer.core.workbook.reader import RawRow, RawSheet
    for kind in (S.ID, S.TEXT, S.NUMBER, S.FRACTION, S.YEAR, S.BOOL):
        col = S.Column("x", "x", kind, required=False)
        sheet = S.Sheet("T", (col,), ())
        raw = RawSheet("T", "T", {"x": 1}, [RawRow(i + 2, {"x": v}) for i, v in enumerate(values)])
        fast = C._clean_columns(sheet, raw)
        slow_issues = []
        slow = [C._convert_cell(raw, col, rr.row, rr.values["x"], slow_issues) for rr in raw.rows]
        if fast is not None:
            assert not slow_issues
            assert [(type(v), v) for v in fast["x"]] == [(type(v), v) for v in slow], (kind, values)
        else:
            assert slow_issues, (kind, values)
