"""The reader parses what it reads itself: positions by r, checks in any encoding or layout,
bounded elements, and stored values that are not what their type says (issue 12, classes 1-4).
Every case is a real file built from the valid fixture by the corpus generators."""
from __future__ import annotations

import re
import tracemalloc

import openpyxl
import pytest

from optimizer.core import limits as LIM
from optimizer.core.issues import InputError
from optimizer.core.workbook import zip_guard as G
from optimizer.core.workbook.reader import read_workbook
from optimizer.robustness import corpus_xml as X
from optimizer.robustness import factory as F
from optimizer.robustness import rawzip as Z
from optimizer.sourcing import schema as S
from optimizer.sourcing.run import solve_data
from optimizer.sourcing.validate import load_and_validate


@pytest.fixture
def valid(tmp_path):
    return F.write_valid(tmp_path)


def errors(path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_and_validate(path)
    return [str(i) for i in info.value.issues if i.severity == "error"]


def same_data(a, b) -> None:
    da, db = load_and_validate(a), load_and_validate(b)
    for attr in ("materials", "suppliers", "supply", "demand", "policy", "stockpile", "investments", "budget"):
        x, y = getattr(da, attr), getattr(db, attr)
        assert x.equals(y), attr
    ra, rb = solve_data(da)[0], solve_data(db)[0]
    assert rb.objective == pytest.approx(ra.objective, rel=1e-12)


def supply_with(valid, tmp_path, xml: bytes, name="x.xlsx", sheet="Supply"):
    return Z.with_sheet_xml(valid, tmp_path / name, sheet, xml)


# --------------------------------------------------------------------------- 1. positions
def test_rows_stored_in_another_order_read_the_same(valid, tmp_path):
    head, rows, tail = X.split(Z.sheet_xml(valid, "Supply"))
    for k, order in enumerate((rows[::-1], [rows[0]] + rows[:0:-1], rows[5:] + rows[:5])):
        same_data(valid, supply_with(valid, tmp_path, X.join(head, order, tail), f"o{k}.xlsx"))


def test_cells_stored_in_reverse_and_rows_far_apart_read_the_same(valid, tmp_path):
    head, rows, tail = X.split(Z.sheet_xml(valid, "Supply"))
    far = [rows[0]] + [X.renumber(r, 1 + 15_000 * k) for k, r in enumerate(rows[1:], 1)]
    same_data(valid, supply_with(valid, tmp_path, X.join(head, far, tail), "far.xlsx"))
    raw = read_workbook(tmp_path / "far.xlsx", S.DATA_SHEETS).sheets["Supply"]
    assert [r.row for r in raw.rows][:3] == [15_001, 30_001, 45_001]      # the addresses are Excel's


def test_what_openpyxl_reads_is_what_the_reader_reads(valid):
    """Differential check on the valid fixture: the same values at the same addresses as openpyxl."""
    raw = read_workbook(valid, S.DATA_SHEETS)
    wb = openpyxl.load_workbook(valid, read_only=True, data_only=True)
    for name, sheet in raw.sheets.items():
        ws = wb[sheet.title]
        for rr in sheet.rows:
            for key, col in sheet.columns.items():
                assert ws.cell(rr.row, col).value == rr.values[key], (name, rr.row, key)


@pytest.mark.parametrize("row,text", [(900_000_000, "beyond row 1,048,576"), (1_000_000, "beyond the limit of 200,000")])
def test_a_far_row_is_refused_fast_naming_the_sheet(valid, tmp_path, row, text):
    head, rows, tail = X.split(Z.sheet_xml(valid, "Supply"))
    path = supply_with(valid, tmp_path, X.join(head, rows + [X.renumber(rows[-1], row)], tail))
    tracemalloc.start()
    try:
        found = errors(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert any("Supply" in e and text in e for e in found), found
    assert peak < 50 * 2 ** 20                       # no row is materialised for the gap


@pytest.mark.parametrize("change,text", [
    (lambda h, rows, t: X.join(h, rows + [rows[3]], t), "row 4 is stored twice"),
    (lambda h, rows, t: X.join(h, rows, t).replace(b'<c r="D3"', b'<c r="D9"', 1), "D9 is stored inside row 3"),
    (lambda h, rows, t: X.join(h, rows, t).replace(b'<c r="D3"', b'<c r="XFE3"', 1), "beyond column XFD"),
    (lambda h, rows, t: X.join(h, rows, t).replace(b'<row r="5"', b'<row r="x5"', 1), "not a row number"),
])
def test_ambiguous_positions_are_refused(valid, tmp_path, change, text):
    head, rows, tail = X.split(Z.sheet_xml(valid, "Supply"))
    found = errors(supply_with(valid, tmp_path, change(head, rows, tail)))
    assert any(e.startswith("ERROR Supply") and text in e for e in found), found


# --------------------------------------------------------------------------- 2. encodings and layout
@pytest.fixture
def formula(valid, tmp_path):
    return F.edit(valid, "Supply", {X.FORMULA_CELL: "=1+1"}, out=tmp_path / "f.xlsx", as_text=False)


@pytest.mark.parametrize("form", ["utf16", "utf16be", "prefix", "ns_prefix", "plain"])
def test_an_uncached_formula_is_found_in_every_encoding(formula, tmp_path, form):
    fn = {"utf16": X.utf16, "utf16be": lambda x: X.utf16(x, True), "prefix": X.long_prefix,
          "ns_prefix": X.ns_prefix, "plain": lambda x: x}[form]
    path = supply_with(formula, tmp_path, fn(Z.sheet_xml(formula, "Supply")))
    assert any(f"Supply!{X.FORMULA_CELL}" in e and "formula with no cached value" in e for e in errors(path))


@pytest.mark.parametrize("form", ["utf16", "prefix", "ns_prefix"])
def test_merged_cells_are_found_in_every_encoding(valid, tmp_path, form):
    merged = F.merge(valid, "Suppliers", X.MERGE)
    fn = {"utf16": X.utf16, "prefix": X.long_prefix, "ns_prefix": X.ns_prefix}[form]
    path = supply_with(merged, tmp_path, fn(Z.sheet_xml(merged, "Suppliers")), sheet="Suppliers")
    assert any("Suppliers!C3" in e and "merged cells C3:C4" in e for e in errors(path))


def test_a_merged_range_is_found_wherever_it_is_stored(valid, tmp_path):
    merged = F.merge(valid, "Suppliers", X.MERGE)
    xml = Z.sheet_xml(merged, "Suppliers")
    block = re.search(rb"<mergeCells.*?</mergeCells>", xml, re.S).group(0)
    moved = xml.replace(block, b"").replace(b"<sheetData>", b"<sheetData>" + block, 1)     # inside sheetData
    path = supply_with(merged, tmp_path, moved, sheet="Suppliers")
    assert any("Suppliers!C3" in e and "merged cells C3:C4" in e for e in errors(path))


@pytest.mark.parametrize("form", ["utf16", "prefix", "ns_prefix"])
def test_the_valid_sheet_in_every_encoding_reads_the_same(valid, tmp_path, form):
    fn = {"utf16": X.utf16, "prefix": X.long_prefix, "ns_prefix": X.ns_prefix}[form]
    same_data(valid, supply_with(valid, tmp_path, fn(Z.sheet_xml(valid, "Supply"))))


def test_the_workbook_part_is_found_through_the_relationships(valid, formula, tmp_path):
    same_data(valid, X.moved_workbook(valid, tmp_path / "moved.xlsx"))
    decoy = X.moved_workbook(formula, tmp_path / "decoy.xlsx", decoy_clean_of=valid)
    assert any("formula with no cached value" in e for e in errors(decoy))   # not the decoy's clean sheet


def test_two_sheets_that_could_be_one_are_refused(valid, formula, tmp_path):
    twice = X.extra_sheet(formula, tmp_path / "twice.xlsx", b"Supply", valid)
    assert any("two sheets are named 'Supply'" in e for e in errors(twice))
    cases = X.extra_sheet(formula, tmp_path / "cases.xlsx", b" supply", valid, rename_real=b"SUPPLY")
    assert any("could all be the Supply sheet" in e for e in errors(cases))


# --------------------------------------------------------------------------- 3. elements
def _bomb(valid, tmp_path, where: str, count: int, monkeypatch=None):
    head, rows, tail = X.split(Z.sheet_xml(valid, "Supply"))
    junk = b"<x/>" * count
    xml = {"after": X.join(head, rows, tail.replace(b"</sheetData>", b"</sheetData>" + junk, 1)),
           "row": X.join(head, [rows[0], rows[1].replace(b"</row>", junk + b"</row>")] + rows[2:], tail)}[where]
    return supply_with(valid, tmp_path, xml)


@pytest.mark.parametrize("where", ["after", "row"])
def test_elements_by_the_million_are_refused_with_bounded_memory(valid, tmp_path, monkeypatch, where):
    monkeypatch.setattr(LIM, "MAX_XML_ELEMENTS", 100_000)       # the same code path, smaller numbers
    path = _bomb(valid, tmp_path, where, 250_000)
    tracemalloc.start()
    try:
        found = errors(path)                                    # the tag pre-count refuses
        monkeypatch.setattr(G, "scan_members", lambda *a: {})   # and so does the parser, if bypassed
        parsed = errors(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert any("limit of 100,000 XML elements" in e for e in found), found
    assert any("limit is 100,000 elements per part" in e and "Supply" in e for e in parsed), parsed
    assert peak < 64 * 2 ** 20


def test_the_index_parts_are_pre_counted_too(valid, tmp_path, monkeypatch):
    """The workbook part is read first (to find the sheets): its elements are counted before parsing."""
    monkeypatch.setattr(LIM, "MAX_XML_ELEMENTS", 100_000)
    wb = X.parts_of(valid)["xl/workbook.xml"]
    path = Z.rebuild(valid, tmp_path / "w.xlsx", {"xl/workbook.xml": Z.deflated(
        "xl/workbook.xml", wb.replace(b"<sheets>", b"<x/>" * 150_000 + b"<sheets>", 1))})
    found = errors(path)
    assert any("xl/workbook.xml holds more than 100,000 XML elements" in e for e in found), found


def test_rich_text_runs_and_long_texts_are_bounded(valid, tmp_path):
    xml = Z.sheet_xml(valid, "Supply")
    cell = F.cell("Supply", "capacity", 2)
    runs = X.replace_cell(xml, cell, f'<c r="{cell}" t="inlineStr"><is>'.encode() + b"<r><t>a</t></r>" * 40_000
                          + b"</is></c>")
    assert any(f"{cell} is made of more than 32,767 XML elements" in e for e in errors(supply_with(valid, tmp_path,
                                                                                                 runs, "r.xlsx")))
    long = X.utf16(X.replace_cell(xml, cell, f'<c r="{cell}" t="inlineStr"><is><t>{"y" * 40_000}</t></is></c>'
                                  .encode()))
    assert any("more than 32,767 characters" in e for e in errors(supply_with(valid, tmp_path, long, "l.xlsx")))
    sst = Z.with_shared_strings(valid, tmp_path / "s.xlsx", Z.deflated("xl/sharedStrings.xml", b'<sst xmlns="'
                                + X.MAIN_NS + b'"><si>' + b"<r><t>a</t></r>" * 40_000 + b"</si></sst>"))
    assert any("shared string 1 is made of more than 32,767" in e for e in errors(sst))


def test_deep_nesting_is_refused_naming_the_sheet(valid, tmp_path):
    head, rows, tail = X.split(Z.sheet_xml(valid, "Supply"))
    deep = X.join(head, rows[:2] + [b'<row r="20">' + b"<x>" * 10_000 + b"</x>" * 10_000 + b"</row>"], tail)
    assert any("Supply" in e and "nested more than 64 levels" in e for e in errors(supply_with(valid, tmp_path, deep)))


# --------------------------------------------------------------------------- 4. stored values
CAP = F.cell("Supply", "capacity", 3)
YEAR = F.cell("Supply", "year", 3)


@pytest.mark.parametrize("cell,raw,shown,rule", [
    (CAP, "<v>NaN</v>", "'NaN'", "not a number"),
    (CAP, "<v>0x1F</v>", "'0x1F'", "not a number"),
    (CAP, "<v> </v>", "' '", "not a number"),
    (CAP, "<v>1e400</v>", "'1e400'", "largest number"),
    (CAP, f"<v>{'9' * 500}</v>", "500 characters", "at most 17 digits"),
    (YEAR, '<v>2026-02-30</v>', "'2026-02-30'", "not a valid date"),
    (CAP, "<v>2</v>", "'2'", "0 or 1"),
    (CAP, "<v>5</v>", "'5'", "unknown type"),
    (YEAR, f"<is><t>{'9' * 5000}</t></is>", "5,000 characters", "not a year"),
])
def test_a_stored_value_that_is_not_what_its_type_says(valid, tmp_path, cell, raw, shown, rule):
    kind = {"'2026-02-30'": ' t="d"', "'2'": ' t="b"', "'5'": ' t="zz"', "5,000 characters": ' t="inlineStr"'}.get(
        shown, "")
    xml = X.replace_cell(Z.sheet_xml(valid, "Supply"), cell, f'<c r="{cell}"{kind}>{raw}</c>'.encode())
    found = errors(supply_with(valid, tmp_path, xml))
    assert any(e.startswith(f"ERROR Supply!{cell}") and shown in e and rule in e for e in found), found


def test_a_shared_string_index_past_the_table(valid, tmp_path):
    mat = F.cell("Supply", "material", 3)
    xml = X.replace_cell(Z.sheet_xml(valid, "Supply"), mat, f'<c r="{mat}" t="s"><v>7</v></c>'.encode())
    path = Z.with_shared_strings(supply_with(valid, tmp_path, xml), tmp_path / "s.xlsx", Z.deflated(
        "xl/sharedStrings.xml", b'<sst xmlns="' + X.MAIN_NS + b'"><si><t>GA</t></si></sst>'))
    found = errors(path)
    assert any(f"Supply!{mat}" in e and "shared string number 8" in e and "holds 1" in e for e in found), found


def test_long_values_are_shown_shortened_in_messages(valid, tmp_path):
    xml = X.replace_cell(Z.sheet_xml(valid, "Supply"), YEAR,
                         f'<c r="{YEAR}" t="inlineStr"><is><t>{"9" * 5000}</t></is></c>'.encode())
    line = next(e for e in errors(supply_with(valid, tmp_path, xml)) if YEAR in e)
    assert len(line) < 400 and re.search(r"'9{20,}\.\.\. \(5,000 characters\)'", line), line
