"""AUGMECON: the Mavrotas (2009) example's payoff table and frontier; the sourcing frontier's
end points against independent solves; a pluggable risk measure."""
from __future__ import annotations


import numpy as np
import openpyxl
import pandas as pd
import pytest

from curve_fixtures import three_suppliers, tiny_workbook
from model_fixtures import random_data
from models.lp import LinearProgram, Terms
from models.sourcing import build_model
from optimizer.cli import main
from models.expressions import risk_weighted_volume
from optimizer.curves.frontier import RISK_MEASURES, augmecon, cost_vector, sourcing_frontier
from optimizer.core.solver import solve_lp


def mavrotas_lp() -> LinearProgram:
    """max x1, max 3 x1 + 4 x2  s.t.  x1 <= 20, x2 <= 40, 5 x1 + 4 x2 <= 200, x >= 0."""
    lp = LinearProgram("mavrotas")
    lp.add_variables("x", pd.DataFrame({"i": [1, 2]}), lower=0.0, upper=np.array([20.0, 40.0]))
    lp.add_constraints("c", pd.DataFrame({"k": [1]}), Terms().add([0, 0], [0, 1], [5.0, 4.0]), upper=200.0)
    return lp


def test_mavrotas_payoff_table_and_frontier():
    # both objectives are maximised in the paper: minimise their negatives
    fr = augmecon(mavrotas_lp(), np.array([-1.0, 0.0]), np.array([-3.0, -4.0]), points=10)
    assert -fr.payoff == pytest.approx(np.array([[20.0, 160.0], [8.0, 184.0]]), rel=1e-6)
    f1 = np.array([-p.f1 for p in fr.points])
    f2 = np.array([-p.f2 for p in fr.points])
    assert len(fr.points) == 10
    assert f2 == pytest.approx(200.0 - 2.0 * f1, abs=1e-6)          # f2 = 200 - 2 f1
    assert sorted(f1) == pytest.approx(np.linspace(8.0, 20.0, 10), abs=1e-6)
    assert (f1[0], f2[0]) == pytest.approx((20.0, 160.0), abs=1e-6)  # cheapest (best f1) first
    assert sorted(f2)[1] == pytest.approx(162.6667, abs=1e-4)
    assert fr.skipped == 0 and not fr.early_exit


def test_bypass_skips_grid_points_a_slack_covers():
    # choose one of three options (binaries): (f1, f2) = (0, 10), (5, 2), (6, 1).  Grid on f2
    # 10, 9, ..., 1 (step 1): at f2 <= 9 the best is (5, 2) with slack 7, so the grid values
    # 8..2 give the same plan and are bypassed; then (6, 1) at f2 <= 1.
    lp = LinearProgram("options")
    lp.add_variables("y", pd.DataFrame({"i": [1, 2, 3]}), lower=0.0, upper=1.0, integer=True)
    lp.add_constraints("one", pd.DataFrame({"k": [1]}), Terms().add([0, 0, 0], [0, 1, 2], 1.0),
                       lower=1.0, upper=1.0)
    fr = augmecon(lp, np.array([0.0, 5.0, 6.0]), np.array([10.0, 2.0, 1.0]), points=10)
    assert fr.payoff == pytest.approx(np.array([[0.0, 10.0], [6.0, 1.0]]))
    assert [(p.f1, p.f2) for p in fr.points] == [(0.0, 10.0), (5.0, 2.0), (6.0, 1.0)]
    assert fr.skipped == 7
    assert fr.solves == 4 + 3           # payoff table (2 x 2) + three grid values


def test_sourcing_frontier_end_points_match_independent_solves():
    model = build_model(random_data(3))
    fr = sourcing_frontier(model, points=6)
    cost, risk = cost_vector(model), risk_weighted_volume(model)
    lp = model.lp
    # min cost alone (an independent solve of the same LP with the cost vector as objective)
    k = list(lp.var_blocks)
    for fam in k:
        b = lp.var_blocks[fam]
        lp.set_costs(fam, cost[b.start:b.start + b.size])
    sol = solve_lp(lp)
    assert fr.points[0].f1 == pytest.approx(sol.objective, rel=1e-7)
    assert fr.payoff[0, 0] == pytest.approx(sol.objective, rel=1e-7)
    # the frontier runs from the cheapest plan to the least risky one, Pareto-ordered
    f1 = [p.f1 for p in fr.points]
    f2 = [p.f2 for p in fr.points]
    assert np.all(np.diff(f1) > 0) and np.all(np.diff(f2) < 0)
    assert f2[-1] == pytest.approx(fr.payoff[1, 1], rel=1e-7)
    assert f1[-1] == pytest.approx(fr.payoff[1, 0], rel=1e-6)
    assert all(p.x is not None and float(np.multiply(risk, p.x).sum()) == pytest.approx(p.f2) for p in fr.points)


def test_the_risk_measure_is_pluggable(monkeypatch):
    model = build_model(three_suppliers(cap=1.0))
    # a measure counting China tonnes and unserved tonnes: the least-risk plan buys the least
    # from CN without leaving demand unmet

    def china_tonnes(m):
        vec = np.zeros(m.lp.num_cols)
        vec[m.lp.var_blocks["buy"].positions[(m.offers["bloc"] == "china").to_numpy()]] = 1.0
        vec[m.lp.var_blocks["unmet"].positions] = 1.0
        return vec
    monkeypatch.setitem(RISK_MEASURES, "china_tonnes", china_tonnes)
    fr = sourcing_frontier(model, "china_tonnes", points=5)
    assert fr.payoff[0, 1] == pytest.approx(100.0)      # cheapest: all 100 t from CN
    assert fr.payoff[1, 1] == pytest.approx(30.0)       # least: JP 30 + AU 40, CN 30
    assert fr.payoff[1, 0] == pytest.approx(1550.0)     # = the curve's cost at 30 % (by hand)
    with pytest.raises(ValueError, match="unknown risk measure"):
        sourcing_frontier(model, "nope")


def test_cli_frontier(tmp_path, capsys):
    wb = tiny_workbook(tmp_path, scenarios=False)
    out, png = tmp_path / "f.xlsx", tmp_path / "f.png"
    assert main(["frontier", str(wb), "-o", str(out), "--points", "4", "--png", str(png)]) == 0
    text = capsys.readouterr().out
    assert "payoff table" in text and "Pareto points" in text
    book = openpyxl.load_workbook(out)
    assert {"Summary", "Points", "Chart"} <= set(book.sheetnames)
    assert book["Chart"]._charts
    assert png.exists()
