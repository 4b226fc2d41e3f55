"""Scenario batch and comparison: each scenario changes exactly the input it names, and the
results move only where that input matters; the compare command writes its workbook and plot."""
from __future__ import annotations

import openpyxl
import pytest

from curve_fixtures import tiny_workbook
from optimizer.cli import main
from optimizer.curves.compare import BASE, comparison_tables, input_changes, run_batch
from optimizer.sourcing.validate import load_and_validate


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    path = tiny_workbook(tmp_path_factory.mktemp("cmp"))
    data = load_and_validate(path)
    runs = run_batch(data, curve_mode="path")
    return runs, comparison_tables(runs)


def china_t(tables, scenario, material="GA"):
    ct = tables["china_tonnes"].set_index("material")
    return float(ct.loc[material, scenario])


def plan(runs, name):
    r = next(r for r in runs if r.name == name)
    p = r.result.plan
    return p.set_index(["source", "year"])["tonnes"]


def test_every_run_is_optimal_and_has_a_curve(batch):
    runs, tables = batch
    assert [r.name for r in runs] == [BASE, "cn_cut", "demand_up", "tight_2027"]
    assert all(r.result.proven_optimal and r.curve is not None and not r.error for r in runs)
    assert set(tables["curves"]["scenario"]) == {r.name for r in runs}


def test_overrides_list_exactly_what_each_scenario_names(batch):
    runs, tables = batch
    ov = tables["overrides"]
    got = {(r.scenario, r.sheet, r.row, r.column): (r.base, r.scenario_value) for r in ov.itertuples()}
    assert got == {
        ("cn_cut", "Supply", "GA, CN, 2026", "capacity"): (15.0, 0.0),
        ("demand_up", "Demand", "GA, 2027", "demand"): (15.0, pytest.approx(18.0)),
        ("tight_2027", "Policy", "2027, ALL", "max_china_share"): (0.6, 0.5),
    }


def test_results_move_only_where_the_override_matters(batch):
    runs, tables = batch
    base = plan(runs, BASE)
    # no year buys for another (holding 1,000/kg/yr): each scenario changes only its own year
    for name, year in (("cn_cut", 2026), ("demand_up", 2027), ("tight_2027", 2027)):
        p = plan(runs, name)
        diff = (p - base).abs()
        assert diff[diff.index.get_level_values("year") != year].max() == pytest.approx(0.0, abs=1e-7), name
        assert diff[diff.index.get_level_values("year") == year].max() > 1.0, name
    # by hand: cn_cut buys no Chinese gallium in 2026 (base: 65 % of 14 t = 9.1 t)
    assert plan(runs, "cn_cut").loc[("CN", 2026)] == pytest.approx(0.0, abs=1e-9)
    assert base.loc[("CN", 2026)] == pytest.approx(9.1)
    assert china_t(tables, BASE) - china_t(tables, "cn_cut") == pytest.approx(9.1)
    # tight_2027: 50 % of 15 t from China in 2027 instead of 60 %
    sh = tables["shares"].set_index("year")
    assert sh.loc[2027, "tight_2027"] == pytest.approx(0.5)
    assert sh.loc[2027, BASE] == pytest.approx(0.6)
    assert sh.loc[2026, "tight_2027"] == pytest.approx(sh.loc[2026, BASE])
    # the largest change of cn_cut is China gallium in 2026
    ch = tables["changes"]
    top = ch[ch["scenario"] == "cn_cut"].iloc[0]
    assert (top["source"], top["year"], top["change_t"]) == ("CN", 2026, pytest.approx(-9.1))


def test_summary_side_by_side(batch):
    runs, tables = batch
    s = tables["summary"].set_index("measure")
    assert list(s.columns) == [BASE, "cn_cut", "demand_up", "tight_2027"]
    obj = s.loc["objective (M: money + penalties + risk charge)"]
    assert obj["cn_cut"] > obj[BASE] and obj["tight_2027"] > obj[BASE] and obj["demand_up"] > obj[BASE]
    money = s.loc["money spent (M, discounted)"]
    assert list(s.index[1:3]) == ["money spent (M, discounted)", "money spent (M, undiscounted)"]
    # nothing is given up in this instance: the objective is the money spent plus the risk charge
    risk = s.loc["risk charge (M, a weight in the objective)"]
    assert (money + risk).astype(float).to_numpy() == pytest.approx(obj.astype(float).to_numpy())
    assert s.loc["unmet demand (t)"].astype(float).max() == 0.0


def test_input_changes_of_identical_data_is_empty(tmp_path):
    data = load_and_validate(tiny_workbook(tmp_path))
    assert input_changes(data, data) == []


def test_cli_compare(tmp_path, capsys):
    wb = tiny_workbook(tmp_path)
    out, png = tmp_path / "cmp.xlsx", tmp_path / "cmp.png"
    code = main(["compare", str(wb), "-o", str(out), "--png", str(png)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "cn_cut" in text and "Comparison workbook" in text
    book = openpyxl.load_workbook(out)
    assert {"Summary", "Shares", "China tonnes", "Changes", "Overrides", "Chart", "Curves"} <= set(book.sheetnames)
    chart = book["Chart"]._charts[0]
    assert len(chart.series) >= 4                 # one series per scenario (+ target lines)
    assert png.exists()
    assert main(["compare", str(wb), "--scenarios", "nope", "-o", str(tmp_path / "x.xlsx")]) == 2
    assert "unknown scenario" in capsys.readouterr().err
