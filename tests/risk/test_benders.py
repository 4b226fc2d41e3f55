"""The L-shaped method (optimizer/risk/benders.py) and the method dispatch (decompose.py): known
answers by every in-process method, certified bounds that bracket the extensive form's optimum,
valid cuts, feasibility cuts, honest stops at a limit, the sourcing model and the command."""
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from model_fixtures import random_data
from twostage_fixtures import FARMER, NEWSVENDOR, farmer, newsvendor
from models.sourcing import build_model
from models.stochastic_twostage import two_stage_form
from models.twostage import Sparse, extensive_form
from optimizer.core.solver import OPTIMAL, TIME_LIMIT_FEASIBLE, SolveOptions, solve_lp
from optimizer.risk.benders import BendersOptions, lshaped
from optimizer.risk.decompose import AUTO_EF_COLUMNS, choose_method, open_pool, solve_sourcing, solve_two_stage
from optimizer.risk.metrics import solve_stochastic
from optimizer.risk.subproblems import ScenarioSolver, lagrangian_cut
from test_stochastic import _risk_case

METHODS = [("ef", "local"), ("benders", "local"), ("benders", "processes")]


@pytest.mark.parametrize("method, transport", METHODS)
def test_farmer_known_answers_by_every_method(method, transport):
    """RP -108,390; WS -115,405.56; EVPI 7,015.56; EEV -107,240; VSS 1,150 (Birge & Louveaux)."""
    ts = farmer()
    with open_pool(ts, transport, 2) as pool:
        ans = solve_two_stage(ts, method, pool)
    r = ans.result
    assert r.status == OPTIMAL
    assert r.objective == pytest.approx(FARMER["RP"], rel=1e-8)
    assert r.x == pytest.approx(FARMER["plan"], abs=1e-5)
    assert r.lower_bound <= FARMER["RP"] + 1e-6 <= r.objective + 2e-6
    assert ans.ws == pytest.approx(FARMER["WS"], abs=0.01)
    assert ans.evpi == pytest.approx(FARMER["EVPI"], abs=0.01)
    assert ans.eev == pytest.approx(FARMER["EEV"], rel=1e-9)
    assert ans.vss == pytest.approx(FARMER["VSS"], abs=1e-4)
    assert ans.ev_objective == pytest.approx(FARMER["EV_objective"], rel=1e-9)


@pytest.mark.parametrize("method, transport", METHODS)
@pytest.mark.parametrize("beta", sorted(NEWSVENDOR))
def test_tiny_cvar_case_by_every_method(method, transport, beta):
    ts = newsvendor(beta)
    want = NEWSVENDOR[beta]
    with open_pool(ts, transport, 2) as pool:
        r = solve_two_stage(ts, method, pool, with_vss=False).result
    assert r.status == OPTIMAL
    assert r.x == pytest.approx([want["x"]], abs=1e-7)
    assert r.objective == pytest.approx(want["F"], rel=1e-9)
    assert float(ts.prob @ r.costs) == pytest.approx(want["E"], rel=1e-9)
    assert r.lower_bound <= want["F"] + 1e-9


def test_farmer_with_cvar_matches_its_extensive_form_and_brackets_it():
    ts = farmer(beta=1.0, alpha=0.5)
    ef = solve_lp(extensive_form(ts).lp, SolveOptions(ranging=False)).objective
    r = solve_two_stage(ts, "benders", with_vss=False).result
    assert r.status == OPTIMAL and r.gap <= 1e-6
    assert r.lower_bound <= ef + 1e-6 and r.objective >= ef - 1e-6
    assert r.objective == pytest.approx(ef, rel=1e-6)
    lowers = [h[1] for h in r.history]
    assert lowers == sorted(lowers)                      # the lower bound never falls


def test_cut_is_a_lower_bound_everywhere_and_exact_where_taken():
    """Q_w(x) >= const + grad . x for every x (weak duality), with equality at the x it was taken."""
    ts = farmer()
    solver = ScenarioSolver(ts, np.arange(3))
    xk = np.array([200.0, 100.0, 200.0])
    ev = solver.evaluate(xk)
    rng = np.random.default_rng(0)
    for w in range(3):
        q_at_xk = ev.cost[w] - ts.at("c", w) @ xk
        assert ev.cut_const[w] + ev.cut_grad[w] @ xk == pytest.approx(q_at_xk, rel=1e-9)
        for _ in range(20):
            x = rng.uniform(0, 250, 3)
            q = solver.evaluate(x).cost[w] - ts.at("c", w) @ x
            assert ev.cut_const[w] + ev.cut_grad[w] @ x <= q + 1e-6 * (1 + abs(q))


def test_cut_ignores_wrong_signed_duals_on_infinite_bounds():
    """A dual of the wrong sign for an open row side is noise: it is set to 0, not multiplied by inf."""
    ts = newsvendor(0.0)
    const, grad, _ = lagrangian_cut(ts, 2, np.array([-1e-12]))      # row x + y >= 10 has no upper side
    assert np.isfinite(const) and np.all(np.isfinite(grad))


def test_feasibility_cuts_when_recourse_is_not_complete():
    """Shortage purchases capped at 3: the high scenario (demand 10) needs x >= 7.  The EV plan
    (x = 4.8) is infeasible there; a feasibility cut moves the master to the optimum x = 7,
    E = 7 + 3 * 0.2 * 3 = 8.8."""
    ts = replace(newsvendor(0.0), yu=np.array([3.0]))
    r = solve_two_stage(ts, "benders", with_vss=False).result
    assert r.status == OPTIMAL
    assert r.x == pytest.approx([7.0])
    assert r.objective == pytest.approx(8.8)


def test_a_stop_before_the_gap_is_reported_as_such():
    ts = farmer(beta=1.0, alpha=0.5)
    ef = solve_lp(extensive_form(ts).lp, SolveOptions(ranging=False)).objective
    with open_pool(ts) as pool:
        x0 = np.array([0.0, 0.0, 0.0])
        r = lshaped(ts, pool, x0, BendersOptions(gap=1e-9, max_iters=2))
    assert r.status == TIME_LIMIT_FEASIBLE and "iteration limit" in r.message
    assert r.gap > 1e-9
    assert r.lower_bound <= ef + 1e-6 <= r.objective + 2e-6      # still certified


def test_a_start_outside_the_first_stage_rows_gives_cuts_but_never_the_upper_bound():
    """x0 = 500 acres of each crop breaks 'at most 500 acres': its cuts are valid, its F(x0) is not
    the value of a plan.  One round: no plan and no bound claimed; run on: the optimum."""
    ts = farmer()
    with open_pool(ts) as pool:
        one = lshaped(ts, pool, np.full(3, 500.0), BendersOptions(max_iters=1))
        assert one.x is None and one.objective is None and one.status == TIME_LIMIT_FEASIBLE
        full = lshaped(ts, pool, np.full(3, 500.0))
    assert full.status == OPTIMAL and full.objective == pytest.approx(FARMER["RP"], rel=1e-9)


def test_progress_is_called_every_round():
    seen = []
    r = solve_two_stage(farmer(), "benders", with_vss=False, progress=lambda *a: seen.append(a)).result
    assert len(seen) == r.iterations and seen[-1][3] == pytest.approx(r.gap)
    assert all(len(s) == 5 for s in seen)


@pytest.mark.parametrize("seed, beta", [(1, 0.0), (2, 1.0), (5, 1.0)])
def test_sourcing_by_benders_equals_the_extensive_form(seed, beta):
    """Same objective (1e-6), same scenario costs, same VSS/EVPI; bounds bracket the EF optimum."""
    data = random_data(seed)
    risk, avail, spot = _risk_case(data)
    ef = solve_stochastic(data, avail, spot, risk.prob, risk.names, alpha=0.9, beta=beta)
    st = two_stage_form(data, avail, spot, risk.prob, 0.9, beta, risk.names, build_model(data))
    with open_pool(st.ts) as pool:
        bd = solve_sourcing(st, "benders", pool)
    assert bd.status == OPTIMAL and bd.method == "benders"
    assert bd.objective == pytest.approx(ef.objective, rel=1e-6)
    assert bd.lower_bound <= ef.objective + 1e-6 and bd.objective >= ef.objective - 1e-6
    assert bd.scenario_costs == pytest.approx(ef.scenario_costs, rel=1e-4)
    assert bd.vss == pytest.approx(ef.vss, abs=1e-5 * abs(ef.objective))
    assert bd.evpi == pytest.approx(ef.evpi, abs=1e-5 * abs(ef.objective))
    assert bd.ev_objective == pytest.approx(ef.ev_objective, rel=1e-9)


def test_auto_keeps_the_extensive_form_for_small_sets():
    assert choose_method("auto", 10, 174, 444, False) == "ef"            # the bundled risk sample
    assert choose_method("auto", 500, 824, 1874, False) == "benders"     # the 500-scenario benchmark
    assert choose_method("auto", 500, 824, 1874, True) == "ef"           # whole projects: a MILP
    assert choose_method("auto", 1, 10 ** 6, 10 ** 6, False) == "ef"
    assert choose_method("benders", 2, 1, 1, False) == "benders"
    n = AUTO_EF_COLUMNS // 100
    assert choose_method("auto", 99, 0, n - 1, False) == "ef" and choose_method("auto", 101, 0, n, False) == "benders"


def _args(wb, out, **kw):
    base = dict(workbook=str(wb), output=str(out), alpha=0.95, beta=1.0, tts_weeks=None, mpi=False,
                method="auto", gap=None, time_limit=None, max_iters=None, workers=None)
    base.update(kw)
    return SimpleNamespace(**base)


def test_risk_command_by_benders_on_the_sample(tmp_path, capsys):
    """`sourcing risk SAMPLE --method benders`: the EF's optimum within the gap, bounds printed and
    on the RiskSummary sheet, the same sheets as the extensive-form path."""
    import openpyxl
    from test_stochastic import _sample
    from optimizer.risk.cli import cmd_risk
    wb = _sample(tmp_path)
    rc = cmd_risk(_args(wb, tmp_path / "ef.xlsx"))
    ef_text = capsys.readouterr().out
    rc2 = cmd_risk(_args(wb, tmp_path / "bd.xlsx", method="benders", workers=2))
    text = capsys.readouterr().out
    assert rc == rc2 == 0, text
    value = lambda t: float(t.split("Objective minimised: ")[1].split()[0].replace(",", ""))
    assert value(text) == pytest.approx(value(ef_text), rel=2e-6)
    assert "Method: benders" in text and "certified gap" in text and "Method:" not in ef_text
    rows = {r[0]: r[1] for r in openpyxl.load_workbook(tmp_path / "bd.xlsx")["RiskSummary"].iter_rows(values_only=True)
            if r and r[0]}
    assert rows["method"] == "benders"
    assert rows["lower bound (certified)"] <= rows["upper bound = objective of the plan"]
    assert "e-0" in rows["relative gap (certified)"]
    sheets = openpyxl.load_workbook(tmp_path / "bd.xlsx", read_only=True).sheetnames
    assert sheets == openpyxl.load_workbook(tmp_path / "ef.xlsx", read_only=True).sheetnames


def test_benders_on_whole_projects_is_a_usage_error(tmp_path, capsys):
    from optimizer.risk.cli import cmd_risk
    from test_stochastic import _sample
    import openpyxl
    wb = _sample(tmp_path)
    book = openpyxl.load_workbook(wb)
    ws = book["Settings"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "integer_investments":
            row[1].value = True
            break
    else:
        ws.append(["integer_investments", True])
    book.save(wb)
    rc = cmd_risk(_args(wb, tmp_path / "o.xlsx", method="benders"))
    assert rc == 2
    assert "integer" in capsys.readouterr().err
