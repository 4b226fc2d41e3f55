"""Numeric extremes and work that grows with the input (issue 12, classes 5 and 7): every number
column bounded when read and after scenario overrides, legitimate large numbers well
conditioned, "did you mean" capped."""
from __future__ import annotations

import time

import pytest

from optimizer.core import limits as LIM
from optimizer.core.issues import InputError
from optimizer.core.workbook.reader import Suggest
from optimizer.robustness import corpus_numbers as N
from optimizer.robustness import factory as F
from optimizer.sourcing import schema as S
from optimizer.sourcing.run import solve_data
from optimizer.sourcing.template import write_input_workbook
from optimizer.sourcing.validate import load_and_validate


def issues_of(path, scenario=None) -> list[str]:
    with pytest.raises(InputError) as info:
        load_and_validate(path, scenario=scenario)
    return [str(i) for i in info.value.issues if i.severity == "error"]


NUMBER_COLUMNS = [(sheet.name, c.key) for sheet in S.DATA_SHEETS for c in sheet.columns
                  if c.kind == S.NUMBER and sheet.name not in ("Scenarios",)]


def test_every_number_column_has_a_bound():
    """No number column is left unbounded: its own maximum, or the general magnitude limit."""
    for sheet, key in NUMBER_COLUMNS:
        col = S.SHEET_BY_NAME[sheet].column(key)
        assert col.maximum is not None and col.maximum <= LIM.MAX_MAGNITUDE, (sheet, key)


@pytest.mark.parametrize("sheet,key,row", [(s, k, 2 if s != "Supply" or k != "min_volume" else 3)
                                           for s, k in NUMBER_COLUMNS if s in ("Materials", "Supply", "Demand",
                                                                               "Investments", "Budget")])
def test_1e300_in_any_number_column_names_cell_value_and_limit(tmp_path, sheet, key, row):
    addr = F.cell(sheet, key, row)
    path = F.edit(F.write_valid(tmp_path), sheet, {addr: 1e300})
    found = issues_of(path)
    limit = f"{S.SHEET_BY_NAME[sheet].column(key).maximum:,.0f}"
    assert any(e.startswith(f"ERROR {sheet}!{addr} (value: 1e+300)") and f"at most {limit}" in e for e in found), found


def test_a_scenario_result_beyond_the_limit_names_the_scenario_cell(tmp_path):
    cell = F.cell("Scenarios", "value", 2)          # ga_embargo: GA capacity from CN in 2026, multiplied
    path = F.edit(F.write_valid(tmp_path), "Scenarios", {cell: 1e10})
    found = issues_of(path, scenario="ga_embargo")
    assert any(f"Scenarios!{cell}" in e and "would be 1e+12" in e and "at most 1,000,000,000" in e for e in found)
    huge = F.edit(F.write_valid(tmp_path, "h.xlsx"), "Scenarios", {cell: 1e300})
    assert any(f"Scenarios!{cell}" in e and "1,000,000,000,000" in e for e in issues_of(huge))


def test_large_legitimate_numbers_stay_well_conditioned(tmp_path):
    """Tonnes x 1,000 and prices x 1,000 (e.g. KRW): the same plan, the objective x 1,000,000."""
    base = solve_data(load_and_validate(write_input_workbook(tmp_path / "a.xlsx", N.scaled(F.valid_tables(), 1, 1))))[0]
    big = solve_data(load_and_validate(write_input_workbook(tmp_path / "b.xlsx",
                                                            N.scaled(F.valid_tables(), 1e3, 1e3))))[0]
    assert base.proven_optimal and big.proven_optimal
    assert big.objective == pytest.approx(base.objective * 1e6, rel=1e-7)
    assert big.plan["tonnes"].to_numpy() == pytest.approx(base.plan["tonnes"].to_numpy() * 1e3, rel=1e-6, abs=1e-6)


def test_numbers_at_the_limits_solve(tmp_path):
    tables = F.valid_tables()
    tables["Scenarios"] = []
    for r in tables["Supply"]:
        r.update(capacity=LIM.MAX_TONNES, unit_cost=LIM.MAX_PRICE)
    for r in tables["Demand"]:
        r["demand"] = LIM.MAX_TONNES
    res = solve_data(load_and_validate(write_input_workbook(tmp_path / "max.xlsx", tables)))[0]
    assert res.proven_optimal and res.objective > 0


def test_suggestions_are_capped_and_say_so():
    known = [f"S{i:05d}" for i in range(100)]
    s = Suggest(known, limit=3)
    found = [s(f"S{i:05d}x") for i in range(10)]
    assert found[:3] == ["S00000", "S00001", "S00002"] and found[3:] == [None] * 7
    assert s.searched == 3 and s.skipped == 7 and "first 3 unknown" in s.note("Supply", "ids").rule
    assert Suggest(known)("s00042") == "S00042"                     # exact up to case, always
    many = Suggest([f"S{i:05d}" for i in range(LIM.MAX_SUGGESTION_CANDIDATES + 1)])
    assert many("S00001x") is None and "more than the limit of 5,000" in many.note("Supply", "ids").rule


def test_20000_suppliers_and_10000_unknown_ids_answer_quickly(tmp_path):
    tables = F.valid_tables()
    path = F.with_rows(F.write_valid(tmp_path), tmp_path / "g.xlsx", {
        "Suppliers": tables["Suppliers"] + [dict(source=f"S{i:05d}", name="s", country="X", bloc="ally", risk=0.2)
                                            for i in range(20_000)],
        "Supply": tables["Supply"] + [dict(material="GA", source=f"U{i:05d}", year=2025 + i % 3, capacity=1.0,
                                           unit_cost=1.0) for i in range(10_000)]})
    t0 = time.monotonic()
    found = issues_of(path)
    assert len(found) == 10_000 and found[0].startswith("ERROR Supply!B14 (value: 'U00000')")
    assert time.monotonic() - t0 < 120          # a generous bound: it answered (it used to run for minutes)


def test_too_many_scenarios_is_an_error_naming_the_limit(tmp_path):
    tables = F.valid_tables()
    tables["Scenarios"] = [dict(scenario=f"s{i}", sheet="Supply", material="GA", source="CN", year=2026,
                                target="capacity", operation="multiply", value=0.5) for i in range(LIM.MAX_SCENARIOS + 1)]
    found = issues_of(write_input_workbook(tmp_path / "s.xlsx", tables))
    assert any(e.startswith("ERROR Scenarios!A") and f"limit of {LIM.MAX_SCENARIOS}" in e for e in found), found
