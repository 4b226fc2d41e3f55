"""The generic two-stage structure (models/twostage.py): known answers of its extensive form, and
the sourcing extensive form as one instance of it, scenario by scenario (models/stochastic_twostage.py)."""
import numpy as np
import pytest

from model_fixtures import random_data
from twostage_fixtures import FARMER, NEWSVENDOR, farmer, newsvendor
from models.sourcing import build_model
from models.stochastic import build_extensive_form
from models.stochastic_twostage import two_stage_form
from models.twostage import extensive_form, risk_objective, var_cvar
from optimizer.core.solver import OPTIMAL, SolveOptions, solve_lp
from optimizer.risk.load import make_risk, scenario_factors

OPTS = SolveOptions(ranging=False, want_duals=False)


def _solve(ts):
    ef = extensive_form(ts)
    sol = solve_lp(ef.lp, OPTS)
    assert sol.status == OPTIMAL
    return ef, sol


def test_farmer_extensive_form_known_answers():
    """Birge & Louveaux 1.1: RP -108,390 at 170/80/250 acres; EV plan 120/80/300 (EV -118,600)."""
    ef, sol = _solve(farmer())
    assert sol.objective == pytest.approx(FARMER["RP"], rel=1e-9)
    assert ef.first_stage(sol.x) == pytest.approx(FARMER["plan"], abs=1e-6)
    evp, ev_sol = _solve(farmer().mean_value())
    assert evp.first_stage(ev_sol.x) == pytest.approx(FARMER["EV_plan"], abs=1e-6)
    assert ev_sol.objective == pytest.approx(FARMER["EV_objective"], rel=1e-9)
    ws = [_solve(farmer().scenario(w))[1].objective for w in range(3)]
    assert np.mean(ws) == pytest.approx(FARMER["WS"], abs=0.01)


@pytest.mark.parametrize("beta", sorted(NEWSVENDOR))
def test_newsvendor_cvar_by_hand(beta):
    ef, sol = _solve(newsvendor(beta))
    want = NEWSVENDOR[beta]
    assert ef.first_stage(sol.x) == pytest.approx([want["x"]])
    assert sol.objective == pytest.approx(want["F"])
    costs = ef.scenario_costs(sol.x)
    assert risk_objective(costs, [0.5, 0.3, 0.2], 0.7, beta) == pytest.approx(want["F"])
    var, cvar = var_cvar(costs, [0.5, 0.3, 0.2], 0.7)
    assert (float(costs @ [0.5, 0.3, 0.2]), var, cvar) == pytest.approx((want["E"], want["VaR"], want["CVaR"]))


def test_structure_checks_catch_bad_shapes():
    ts = farmer()
    with pytest.raises(ValueError, match="prob"):
        ts.subset([0, 1]).check()                     # probabilities no longer sum to 1
    assert ts.subset([0, 1], renormalise=True).check().prob == pytest.approx([0.5, 0.5])
    from dataclasses import replace
    with pytest.raises(ValueError, match="q must have shape"):
        replace(ts, q=np.zeros(5)).check()


# ----------------------------------------------------------------- the sourcing model as an instance
def _risk_case(data):
    offers = build_model(data).offers
    last = max(data.years)
    sup = data.suppliers
    cn = sup.loc[sup["bloc"] == "china", "source"].iloc[0]
    ally = sup.loc[sup["bloc"] == "ally", "source"].iloc[0]
    risk = make_risk(
        [("base", 0.55, "", 1.2), ("cn_half", 0.2, "cn_half", 1.2),
         ("cn_ban", 0.15, "cn_ban", 1.2), ("jp_out", 0.1, "jp_out", 1.2)],
        [("cn_half", cn, "ALL", t, 12, 0.5, 2.0) for t in data.years]
        + [("cn_ban", cn, "ALL", last, 12, 1.0, 3.0), ("jp_out", ally, "ALL", last, 12, 1.0, None)])
    avail, spot = scenario_factors(risk, offers)
    return risk, avail, spot


def _dense(lp):
    cost, cl, cu, rl, ru, _ = lp.arrays()
    start, index, value = lp.csc()
    a = np.zeros((lp.num_rows, lp.num_cols))
    cols = np.repeat(np.arange(lp.num_cols), np.diff(start))
    a[index, cols] = value
    return cost, cl, cu, rl, ru, a


@pytest.mark.parametrize("seed", [1, 2])
def test_each_scenario_of_the_structure_is_the_one_scenario_extensive_form(seed):
    """Scenario w of the structure, as an LP (x then y), is build_extensive_form's one-scenario EF of
    w with its columns and rows in the structure's order: the same costs, bounds and coefficients."""
    data = random_data(seed)
    risk, avail, spot = _risk_case(data)
    st = two_stage_form(data, avail, spot, risk.prob, 0.9, 0.0, risk.names)
    order = np.concatenate([st.x_cols, st.y_cols])
    for w in range(len(risk.names)):
        mine = _dense(extensive_form(st.ts.scenario(w)).lp)
        theirs = _dense(build_extensive_form(data, avail[w:w + 1], spot[w:w + 1], np.ones(1), 0.9, 0.0,
                                             [risk.names[w]]).lp)
        c, cl, cu, rl, ru, a = theirs
        rows_first = np.flatnonzero(~np.any(a[:, st.y_cols] != 0, axis=1))
        rows_rest = np.flatnonzero(np.any(a[:, st.y_cols] != 0, axis=1))
        rorder = np.concatenate([rows_first, rows_rest])
        assert mine[0] == pytest.approx(c[order])
        assert mine[1] == pytest.approx(cl[order]) and mine[2] == pytest.approx(cu[order])
        assert mine[3] == pytest.approx(rl[rorder]) and mine[4] == pytest.approx(ru[rorder])
        assert mine[5] == pytest.approx(a[np.ix_(rorder, order)])


@pytest.mark.parametrize("seed, beta", [(1, 0.0), (2, 1.0), (3, 1.0)])
def test_extensive_form_of_the_structure_is_the_sourcing_extensive_form(seed, beta):
    data = random_data(seed)
    risk, avail, spot = _risk_case(data)
    ref = build_extensive_form(data, avail, spot, risk.prob, 0.9, beta, risk.names)
    ref_sol = solve_lp(ref.lp, OPTS)
    st = two_stage_form(data, avail, spot, risk.prob, 0.9, beta, risk.names)
    ef, sol = _solve(st.ts)
    assert sol.objective == pytest.approx(ref_sol.objective, rel=1e-9)
    assert ef.scenario_costs(sol.x) == pytest.approx(ref.scenario_costs(ref_sol.x), rel=1e-7)
    # the way back: contract/build and the probability-weighted recourse on the template's columns
    first = st.first_stage(ef.first_stage(sol.x))
    cost_ref = risk_objective(ref.scenario_costs(ref_sol.x), risk.prob, 0.9, beta)
    assert cost_ref == pytest.approx(ref_sol.objective, rel=1e-9)
    assert set(first) == {"contract", "build"}
    mean = st.template_vector(ef.first_stage(sol.x), ef.mean_recourse(sol.x))
    assert mean.size == st.template.lp.num_cols


def test_mean_value_problem_of_the_sourcing_structure_is_the_ev_problem():
    """ts.mean is the EV problem of optimizer/risk/metrics.py (probability-weighted factors), not
    the average of the scenario LPs (the buy lower bound min(min_volume, a * capacity) is not linear)."""
    data = random_data(2)
    risk, avail, spot = _risk_case(data)
    st = two_stage_form(data, avail, spot, risk.prob, 0.9, 1.0, risk.names)
    ev = build_extensive_form(data, risk.prob @ avail, risk.prob @ spot, np.ones(1), 0.9, 0.0, ["EV"])
    assert _solve(st.ts.mean_value())[1].objective == pytest.approx(solve_lp(ev.lp, OPTS).objective, rel=1e-9)


def test_whole_projects_are_refused():
    """The decomposition is for LPs: a MILP (whole projects) is left to the extensive form."""
    from dataclasses import replace as dc_replace
    data = random_data(1)
    data = dc_replace(data, settings=dc_replace(data.settings, integer_investments=True))
    n = len(build_model(data).offers)
    assert build_model(data).lp.is_mip
    with pytest.raises(ValueError, match="integer"):
        two_stage_form(data, np.ones((1, n)), np.ones((1, n)), [1.0])
