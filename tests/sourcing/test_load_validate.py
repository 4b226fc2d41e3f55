"""load -> validate: safe reading, every validation rule, all problems collected."""
from __future__ import annotations

import datetime as dt
import math
import re
import shutil

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.robustness import factory as F
from optimizer.robustness import rawzip as Z
from optimizer.core import limits as LIM
from optimizer.sourcing import schema as S
from optimizer.core.workbook import zip_guard as G
from optimizer.core.issues import InputError
from models.data import SourcingData
from optimizer.core.workbook.reader import read_workbook
from optimizer.sourcing.template import write_input_workbook
from optimizer.core.workbook.cells import basis_refs, parse_cell
from optimizer.sourcing.validate import load_and_validate


@pytest.fixture(scope="module")
def base_file(tmp_path_factory):
    return F.write_valid(tmp_path_factory.mktemp("base"))


@pytest.fixture
def valid(base_file, tmp_path):
    """A fresh copy of the valid workbook in this test's tmp_path."""
    return shutil.copy(base_file, tmp_path / "input.xlsx")


def errors_of(path, scenario=None):
    with pytest.raises(InputError) as info:
        load_and_validate(path, scenario)
    return info.value.issues


def has(issues, sheet, cell, text="", severity="error"):
    return any(i.sheet == sheet and i.cell == cell and text.lower() in i.rule.lower()
               and i.severity == severity for i in issues)


# --------------------------------------------------------------------------- valid input
def test_valid_workbook_loads_into_typed_data(valid):
    data = load_and_validate(valid)
    assert isinstance(data, SourcingData)
    s = data.settings
    assert (s.first_year, s.last_year, s.base_year) == (2025, 2027, 2025)
    assert s.discount_rate == pytest.approx(0.05) and s.risk_weight == pytest.approx(0.5)
    assert s.unmet_penalty is None            # blank: the model derives it per material
    assert s.stock_shortfall_penalty is None
    assert s.backend == "native" and s.scenario == "" and s.integer_investments is False
    assert data.warnings == ()
    assert data.source_file == str(valid) and data.source_sha256 == F.sha256(valid)

    assert list(data.supply.columns) == [c.key for c in S.SUPPLY.columns]
    assert len(data.supply) == 12 and len(data.materials) == 2 and len(data.suppliers) == 3
    assert data.supply["year"].dtype == "int64"
    for c in ("capacity", "unit_cost", "min_volume", "max_increase"):
        assert data.supply[c].dtype == "float64"
    assert pd.api.types.is_string_dtype(data.supply["material"])
    assert data.materials["china_cap_applies"].dtype == bool
    row = data.supply.iloc[1]
    assert (row["material"], row["source"], row["year"]) == ("GA", "JP", 2025)
    assert row["min_volume"] == pytest.approx(5.0) and math.isnan(row["max_increase"])
    assert data.supply.iloc[0]["min_volume"] == pytest.approx(0.0)   # blank optional -> default
    assert data.suppliers.set_index("source").loc["CN", "bloc"] == "china"
    assert data.materials.set_index("material").loc["NDFEB", "group"] == "REE"
    assert data.demand.set_index(["material", "year"]).loc[("NDFEB", 2027), "demand"] == pytest.approx(920.0)
    assert data.policy["max_china_share"].tolist() == pytest.approx([0.7, 0.5])
    assert data.investments["earliest_year"].dtype == "int64"
    assert data.investments.iloc[0]["lead_time"] == pytest.approx(1.0)
    assert data.scenario_names() == ["ga_embargo", "risk_heavy", "demand_up", "ga_cap"]
    assert data.supply.index.tolist() == list(range(12))


def test_empty_template_fails_with_clear_errors(tmp_path):
    path = write_input_workbook(tmp_path / "template.xlsx")
    issues = errors_of(path)
    rules = " | ".join(str(i) for i in issues)
    assert any(i.sheet == "Settings" and "first_year" in i.rule and "required" in i.rule for i in issues), rules
    assert any(i.sheet == "Settings" and "last_year" in i.rule for i in issues)
    for sheet in ("Materials", "Suppliers", "Supply", "Demand"):
        assert has(issues, sheet, "", "no data rows"), rules


def test_headers_any_case_order_and_extra_columns(valid):
    wb = openpyxl.load_workbook(valid)
    ws = wb["Supply"]
    ws["D1"], ws["E1"] = "  UNIT COST (currency/kg) ", "Capacity (t)"   # swapped and re-cased
    for r in range(2, 14):
        ws[f"D{r}"].value, ws[f"E{r}"].value = ws[f"E{r}"].value, ws[f"D{r}"].value
    ws["J1"], ws["J2"] = "my notes", "x"
    wb.save(valid)
    data = load_and_validate(valid)
    assert data.supply["capacity"].iloc[0] == pytest.approx(100.0)
    assert data.supply["unit_cost"].iloc[0] == pytest.approx(300.0)
    assert any(w.sheet == "Supply" and w.cell == "J1" and "ignored" in w.rule for w in data.warnings)


def test_blank_rows_inside_a_table_are_skipped(valid):
    wb = openpyxl.load_workbook(valid)
    ws = wb["Suppliers"]
    ws.insert_rows(3, amount=2)
    wb.save(valid)
    data = load_and_validate(valid)
    assert data.suppliers["source"].tolist() == ["CN", "JP", "KR"]


# --------------------------------------------------------------------------- one broken cell each
BROKEN = [
    ("Supply", "capacity", 3, "lots", "not a number"),
    ("Supply", "capacity", 3, -5, "at least 0"),
    ("Supply", "capacity", 3, "nan", "finite"),
    ("Supply", "unit_cost", 4, "inf", "finite"),
    ("Supply", "capacity", 3, True, "TRUE/FALSE"),
    ("Supply", "capacity", 3, "1,5", "decimal separator"),
    ("Supply", "capacity", 3, "#DIV/0!", "Excel error"),
    ("Supply", "capacity", 3, None, "required"),
    ("Supply", "year", 3, "next year", "not a year"),
    ("Supply", "year", 3, 2025.5, "not a year"),
    ("Supply", "year", 3, 1850, "between 1990 and 2100"),
    ("Supply", "year", 3, dt.datetime(2026, 1, 1), "a date, not a year"),
    ("Materials", "material", 2, 2024, "starts with a letter"),
    ("Materials", "material", 2, "G A", "starts with a letter"),
    ("Materials", "china_cap_applies", 3, "maybe", "yes or no"),
    ("Materials", "reference_value", 2, None, "required"),
    ("Suppliers", "bloc", 2, "chna", "did you mean 'china'"),
    ("Suppliers", "risk", 3, 50, "enter 0.5 or 50 % (percent-formatted), not 50"),
    ("Suppliers", "risk", 3, 150, "between 0 and 1"),
    ("Suppliers", "name", 4, None, "required"),
    ("Stockpile", "target_days", 2, 5000, "at most 3650"),
    ("Policy", "max_china_share", 2, -0.1, "between 0 and 1"),
]


@pytest.mark.parametrize("sheet,key,row,value,text", BROKEN)
def test_broken_cell_is_reported_at_its_address(valid, sheet, key, row, value, text):
    addr = F.cell(sheet, key, row)
    F.edit(valid, sheet, {addr: value})
    issues = errors_of(valid)
    assert has(issues, sheet, addr, text), [str(i) for i in issues]


@pytest.mark.parametrize("text,expected", [("1,200", 1200.0), (" 1 200 ", 1200.0), ("12.5", 12.5),
                                           ("1,234,567.5", 1234567.5)])
def test_number_stored_as_text_is_accepted_with_a_warning(valid, text, expected):
    F.edit(valid, "Supply", {"D3": text})
    data = load_and_validate(valid)
    assert data.supply["capacity"].iloc[1] == pytest.approx(expected)
    assert any(w.sheet == "Supply" and w.cell == "D3" and "stored as text" in w.rule for w in data.warnings)


def test_percent_text_and_year_text_are_accepted(valid):
    F.edit(valid, "Suppliers", {"E3": "20%"})
    F.edit(valid, "Demand", {"B2": "2025"})
    data = load_and_validate(valid)
    assert data.suppliers["risk"].iloc[1] == pytest.approx(0.2)
    assert data.demand["year"].iloc[0] == 2025 and data.demand["year"].dtype == "int64"


def test_duplicate_keys_name_the_first_row(valid):
    F.edit(valid, "Supply", {"A7": "GA", "B7": "CN", "C7": 2025})   # row 7 repeats row 2
    issues = errors_of(valid)
    assert has(issues, "Supply", "A7", "duplicate")
    assert any(i.cell == "A7" and "row 2" in i.rule for i in issues)
    assert not has(issues, "Supply", "A2", "duplicate")


@pytest.mark.parametrize("sheet,key,row,value,text", [
    ("Supply", "material", 2, "GX", "did you mean 'GA'"),
    ("Supply", "source", 2, "US", "Suppliers"),
    ("Demand", "material", 2, "ga", "did you mean 'GA'"),
    ("Investments", "source", 2, "XX", "Suppliers"),
    ("Policy", "scope", 2, "HREE", "ALL, a material id or a group id"),
    ("Scenarios", "material", 2, "ZZ", "Materials"),
    ("Scenarios", "source", 2, "ZZ", "Suppliers"),
])
def test_unknown_ids_across_sheets(valid, sheet, key, row, value, text):
    addr = F.cell(sheet, key, row)
    F.edit(valid, sheet, {addr: value})
    assert has(errors_of(valid), sheet, addr, text)


def test_policy_scope_may_be_a_group_or_lower_case_all(valid):
    F.edit(valid, "Policy", {"B2": "REE", "B3": "all"})
    data = load_and_validate(valid)
    assert data.policy["scope"].tolist() == ["REE", "ALL"]


def test_missing_required_sheet_and_optional_sheet(valid, tmp_path):
    other = shutil.copy(valid, tmp_path / "other.xlsx")
    F.delete_sheet(valid, "Demand")
    assert has(errors_of(valid), "Demand", "", "required sheet 'Demand' is missing")
    F.delete_sheet(other, "Stockpile")
    data = load_and_validate(other)
    assert data.stockpile.empty and list(data.stockpile.columns) == [c.key for c in S.STOCKPILE.columns]


def test_misspelt_sheet_name_gets_a_suggestion(valid):
    wb = openpyxl.load_workbook(valid)
    wb["Suppliers"].title = "Supplier"
    wb.save(valid)
    assert has(errors_of(valid), "Suppliers", "", "did you mean 'Supplier'")


def test_renamed_header_gets_did_you_mean(valid):
    F.edit(valid, "Supply", {"D1": "capacty (t)"})
    issues = errors_of(valid)
    assert has(issues, "Supply", "D1", "did you mean 'capacty (t)'")
    assert any("capacity (t)" in i.rule for i in issues)


def test_misspelt_optional_header_is_flagged(valid):
    F.edit(valid, "Supply", {"F1": "minimum volum (t)"})
    data = load_and_validate(valid)
    assert any(w.cell == "F1" and "did you mean 'minimum volum (t)'" in w.rule and "not used" in w.rule
               for w in data.warnings)
    assert data.supply["min_volume"].tolist() == pytest.approx([0.0] * 12)


def test_missing_header_row(valid):
    wb = openpyxl.load_workbook(valid)
    wb["Budget"].delete_rows(1)
    wb["Supply"].insert_rows(1)
    wb["Supply"]["A1"] = "Supply offers 2025-2027"
    for r in range(1, 3):                 # an optional sheet left completely empty is an empty table
        wb["Stockpile"].delete_rows(1)
    wb.save(valid)
    issues = errors_of(valid)
    assert has(issues, "Budget", "", "row 1 of sheet 'Budget' must hold the column headers")
    assert has(issues, "Supply", "A2", "are in row 2")
    assert not any(i.sheet == "Stockpile" for i in issues)


def test_merged_cells_in_a_data_table(valid):
    F.merge(valid, "Suppliers", "C3:C4")
    issues = errors_of(valid)
    assert has(issues, "Suppliers", "C3", "merged cells C3:C4")
    assert not has(issues, "Suppliers", "C4", "required")   # the merge is the one problem reported


def test_formula_without_cached_value(valid):
    F.edit(valid, "Supply", {"D3": "=1+1"}, as_text=False)
    issues = errors_of(valid)
    assert has(issues, "Supply", "D3", "cell D3 contains a formula with no cached value")
    assert any("open and save the file in Excel" in i.rule for i in issues)


def test_formula_in_a_setting_and_in_a_row_that_reads_blank(valid):
    F.edit(valid, "Settings", {"B2": "=2020+5"}, as_text=False)
    F.edit(valid, "Budget", {"A3": "=2026+1", "B3": "=10*5"}, as_text=False)
    issues = errors_of(valid)
    assert has(issues, "Settings", "B2", "formula")
    assert has(issues, "Budget", "A3", "formula") and has(issues, "Budget", "B3", "formula")


def test_text_that_looks_like_a_formula_is_just_text(valid):
    F.edit(valid, "Suppliers", {"F3": "=HYPERLINK(\"http://x\",\"y\")"})     # stored as text
    data = load_and_validate(valid)
    assert data.suppliers["rationale"].iloc[1] == '=HYPERLINK("http://x","y")'


# --------------------------------------------------------------------------- whole-file problems
@pytest.mark.parametrize("name,data,text", [
    ("data.xlsx", b"material,year,demand\nGA,2025,80\n", "text file (CSV"),
    ("report.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
    ("locked.xlsx", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504, "password-protected"),
    ("old.xls", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504, "97-2003 .xls"),
    ("empty.xlsx", b"", "empty"),
    ("junk.xlsx", bytes(range(256)) * 4, "not an Excel .xlsx workbook"),
    ("broken.xlsx", b"PK\x03\x04" + b"\0" * 100, "damaged zip"),
])
def test_not_an_xlsx_file(tmp_path, name, data, text):
    path = F.write_bytes(tmp_path, name, data)
    issues = errors_of(path)
    assert len(issues) == 1 and issues[0].sheet == "" and issues[0].cell == ""
    assert text.lower() in issues[0].rule.lower()


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "archive.xlsx"
    import zipfile
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    assert "not an Excel workbook" in errors_of(path)[0].rule


def test_zip_bomb_guard_uses_declared_sizes(tmp_path, monkeypatch):
    monkeypatch.setattr(LIM, "MAX_UNCOMPRESSED_BYTES", 100_000)
    path = F.zip_with_member(tmp_path, "bomb.xlsx", 100_001)
    assert path.stat().st_size < 5_000
    issues = errors_of(path)
    assert issues[0].sheet == "" and "zip bomb" in issues[0].rule


def test_file_size_cap_and_missing_file(valid, tmp_path, monkeypatch):
    assert "file not found" in errors_of(tmp_path / "nope.xlsx")[0].rule
    monkeypatch.setattr(LIM, "MAX_FILE_BYTES", 1000)
    assert "more than the limit" in errors_of(valid)[0].rule


def test_row_cap_names_the_limit(valid, monkeypatch):
    monkeypatch.setattr(LIM, "MAX_ROWS_PER_SHEET", 5)
    issues = errors_of(valid)                       # refused from the XML scan, before any parser
    assert len(issues) == 1 and has(issues, "Supply", "", "limit is 5 rows per sheet")
    monkeypatch.setattr(G, "scan_members", lambda *a: {})   # the parser's own count is a second line
    assert has(errors_of(valid), "Supply", "", "the limit is 5 rows per sheet")


def test_a_data_row_far_below_the_table_names_the_limit(tmp_path, monkeypatch):
    """Row elements within the limit, but one numbered beyond it: refused by cell, not read."""
    path = F.write_valid(tmp_path)
    monkeypatch.setattr(LIM, "MAX_ROWS_PER_SHEET", 20)
    xml = Z.sheet_xml(path, "Supply")
    last = xml.rindex(b"<row ")
    end = xml.index(b"</row>", last) + len(b"</row>")
    moved = re.sub(rb'r="(\D*)13"', rb'r="\g<1>500"', xml[last:end])
    out = Z.with_sheet_xml(path, tmp_path / "far.xlsx", "Supply", xml[:last] + moved + xml[end:])
    assert has(errors_of(out), "Supply", "A500", "beyond the limit of 20 data rows")


def test_xlsm_is_read_with_a_warning(valid, tmp_path):
    path = shutil.copy(valid, tmp_path / "macro.xlsm")
    data = load_and_validate(path)
    assert any("macros are never run" in w.rule and w.severity == "warning" for w in data.warnings)


def test_the_reader_parses_the_file_itself(valid, monkeypatch):
    """openpyxl never parses a user's workbook: every check is on what the reader parses."""
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl parsed the input"))
    assert {"Supply", "Demand"} <= set(read_workbook(valid, S.DATA_SHEETS).sheets)


# --------------------------------------------------------------------------- settings
def test_unknown_setting_gets_did_you_mean(valid):
    F.edit(valid, "Settings", {"A7": "risk_wieght", "B7": 1})
    assert has(errors_of(valid), "Settings", "A7", "did you mean 'risk_weight'")


@pytest.mark.parametrize("cells,cell,text", [
    ({"B3": 2020}, "B3", "before first_year"),
    ({"B2": 1990, "B3": 2060}, "B3", "longer than 60 years"),
    ({"B2": None}, "B2", "first_year' is required"),
    ({"A7": "backend", "B7": "gurobi"}, "B7", "one of: native, pulp, pyomo"),
    ({"A7": "discount_rate"}, "A7", "appears twice"),
    ({"B5": 0.9}, "B5", "at most 0.5"),
])
def test_bad_settings(valid, cells, cell, text):
    F.edit(valid, "Settings", cells)
    assert has(errors_of(valid), "Settings", cell, text)


def test_settings_parse_and_defaults(valid):
    F.edit(valid, "Settings", {"A7": "Integer_Investments", "B7": "YES", "A8": "backend", "B8": "PuLP",
                               "A9": "unmet_penalty", "B9": 99, "A10": "base_year", "B10": "2024"})
    s = load_and_validate(valid).settings
    assert s.integer_investments is True and s.backend == "pulp" and s.base_year == 2024
    assert s.unmet_penalty == pytest.approx(99.0) and s.stock_shortfall_penalty is None


# --------------------------------------------------------------------------- cross-row rules
def test_missing_demand_years_one_issue_per_material(valid):
    F.edit(valid, "Demand", {"A3": None, "B3": None, "C3": None, "A4": None, "B4": None, "C4": None})
    issues = errors_of(valid)
    ga = [i for i in issues if i.sheet == "Demand" and i.value == "GA"]
    assert len(ga) == 1 and "2026, 2027" in ga[0].rule
    assert not any(i.sheet == "Demand" and i.value == "NDFEB" for i in issues)


def test_min_volume_above_capacity(valid):
    F.edit(valid, "Supply", {"F3": 50})       # capacity 40
    assert has(errors_of(valid), "Supply", "F3", "more than the capacity")


def test_horizon_warnings(valid):
    F.edit(valid, "Supply", {"C10": 2031, "C11": 2031, "C12": 2031, "C13": 2031})  # no 2027 offers left
    F.edit(valid, "Investments", {"H2": 2029})
    data = load_and_validate(valid)
    w = data.warnings
    assert any(i.sheet == "Supply" and i.cell == "C10" and "4 row(s)" in i.rule for i in w)
    assert any(i.sheet == "Supply" and i.value == "NDFEB" and "2027" in i.rule for i in w)
    assert any(i.sheet == "Investments" and i.cell == "H2" and "never" in i.rule for i in w)
    assert all(i.severity == "warning" for i in w)


def test_project_before_horizon_is_an_error(valid):
    F.edit(valid, "Investments", {"H2": 2020})
    assert has(errors_of(valid), "Investments", "H2", "before the first planning year")


def test_basis_references_checked_against_sources(valid):
    F.edit(valid, "Supply", {"H4": "K1; Q7 p.12, A"})
    data = load_and_validate(valid)
    assert any(w.sheet == "Supply" and w.cell == "H4" and "Q7" in w.rule and "K1" not in w.rule
               for w in data.warnings)


def test_basis_reference_tokens():
    assert basis_refs("K11d; W5, C1") == ["K11d", "W5", "C1"]
    assert basis_refs("A: assumed flat demand; S; D") == []
    assert basis_refs("K3 table 2; assumption based on 2023") == ["K3"]


# --------------------------------------------------------------------------- collection and safety
def test_all_errors_on_several_sheets_are_collected(valid):
    F.edit(valid, "Supply", {"D5": -1})
    F.edit(valid, "Suppliers", {"D3": "friend"})
    F.edit(valid, "Demand", {"C4": "many"})
    issues = errors_of(valid)
    assert has(issues, "Supply", "D5") and has(issues, "Suppliers", "D3") and has(issues, "Demand", "C4")


def test_input_file_is_never_modified(valid, tmp_path):
    before = F.sha256(valid)
    stat = valid.stat()
    data = load_and_validate(valid)
    assert F.sha256(valid) == before == data.source_sha256 and valid.stat().st_mtime_ns == stat.st_mtime_ns
    F.edit(valid, "Supply", {"D3": "=1+1"}, as_text=False)
    F.merge(valid, "Suppliers", "C3:C4")
    before = F.sha256(valid)
    errors_of(valid)
    assert F.sha256(valid) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.xlsx"]


def test_parse_cell_kinds():
    assert parse_cell("yes", S.BOOL) is True and parse_cell(0, S.BOOL) is False
    assert parse_cell(" Domestic ", S.CHOICE, choices=S.BLOCS) == "domestic"
    assert parse_cell(2026.0, S.YEAR) == 2026
    assert parse_cell(0.25, S.FRACTION) == pytest.approx(0.25)
    assert parse_cell(2024.0, S.TEXT) == "2024"


# --------------------------------------------------------------------------- property-based
CELL_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs",)),
            max_size=12),
    st.sampled_from(["=1+1", "=A1/0", "1,200", " 1 200 ", "50%", "nan", "-inf", "#N/A", "2026"]),
    st.datetimes(min_value=dt.datetime(1901, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2100, 1, 1)),
)
SUPPLY_NUMERIC = [f"{c}{r}" for c in "CDEFG" for r in range(2, 14)]


@pytest.fixture(scope="module")
def supply_book(base_file):
    """The valid workbook opened once; each example edits Supply cells and restores them."""
    return openpyxl.load_workbook(base_file)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.dictionaries(st.sampled_from(SUPPLY_NUMERIC), CELL_VALUES, min_size=1, max_size=4))
def test_random_cell_values_give_data_or_input_error(supply_book, tmp_path, edits):
    path = tmp_path / "random.xlsx"
    ws = supply_book["Supply"]
    saved = {addr: ws[addr].value for addr in edits}
    try:
        for addr, value in edits.items():
            if isinstance(value, float) and not math.isfinite(value):
                value = str(value)     # a workbook cannot store NaN/inf; they arrive as text
            ws[addr] = value           # a string starting with '=' becomes a formula (no cached value)
        supply_book.save(path)
    finally:
        for addr, value in saved.items():
            ws[addr] = value
    before = F.sha256(path)
    try:
        data = load_and_validate(path)
    except InputError as err:
        assert any(i.severity == "error" for i in err.issues)
        assert all(str(i) for i in err.issues)
    else:
        assert isinstance(data, SourcingData)
        assert data.supply["capacity"].dtype == "float64" and data.supply["year"].dtype == "int64"
        assert data.supply["capacity"].map(math.isfinite).all()
    assert F.sha256(path) == before
