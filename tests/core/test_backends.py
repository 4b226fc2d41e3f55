"""The solver adapter: every backend/solver gives the same optimum and duals, statuses are
mapped honestly, and the dual sign convention holds."""
import numpy as np
import pandas as pd
import pytest

from model_fixtures import converting, one_year, random_data, two_years_stock
from models.lp import LinearProgram, Terms
from optimizer.core.solver import (INFEASIBLE, INFEASIBLE_OR_UNBOUNDED, OPTIMAL, SOLVER_MISSING, TIME_LIMIT_FEASIBLE, TIME_LIMIT_NO_SOLUTION, UNBOUNDED)
from optimizer.sourcing.run import RunOptions, solve_data
from optimizer.core.solver import SolveOptions, solve_lp

COMBOS = [("native", "highs"), ("pulp", "highs"), ("pyomo", "highs"), ("pulp", "cbc"), ("pyomo", "cbc")]


def pulp_textbook_lp() -> LinearProgram:
    """PuLP's own dual test: min x + 4y + 9z, x in [0,5], y in [-1,1], z >= 0,
    c1: x + y <= 5, c2: x + z >= 10, c3: -y + z = 7.
    Answer: x=4, y=-1, z=6; duals c1 0, c2 1, c3 8; reduced costs x 0, y 12, z 0."""
    lp = LinearProgram("textbook")
    lp.add_variables("v", pd.DataFrame({"k": ["x", "y", "z"]}), lower=[0, -1, 0], upper=[5, 1, np.inf],
                     cost=[1, 4, 9])
    t = Terms().add([0, 0, 1, 1, 2, 2], [0, 1, 0, 2, 1, 2], [1, 1, 1, 1, -1, 1])
    lp.add_constraints("c", pd.DataFrame({"k": ["c1", "c2", "c3"]}), t, lower=[-np.inf, 10, 7],
                       upper=[5, np.inf, 7])
    return lp


@pytest.mark.parametrize("backend,solver", COMBOS)
def test_textbook_lp_primal_duals_reduced_costs(backend, solver):
    sol = solve_lp(pulp_textbook_lp(), SolveOptions(backend=backend, solver=solver))
    assert sol.status == OPTIMAL
    assert sol.objective == pytest.approx(54.0)
    assert sol.x == pytest.approx([4.0, -1.0, 6.0])
    assert sol.row_duals == pytest.approx([0.0, 1.0, 8.0], abs=1e-9)
    assert sol.col_duals == pytest.approx([0.0, 12.0, 0.0], abs=1e-9)


def test_dual_sign_is_objective_change_per_unit_rhs_increase():
    """Check the convention by finite differences, on a min problem and on a max problem
    written as min(-f): max 3a + 2b s.t. a + b <= 4, a + 3b <= 7, a <= 3."""
    def lp_with(rhs1):
        lp = LinearProgram("maxlp")
        lp.add_variables("v", pd.DataFrame({"k": ["a", "b"]}), upper=[3, np.inf], cost=[-3, -2])
        t = Terms().add([0, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 3])
        lp.add_constraints("c", pd.DataFrame({"k": ["c1", "c2"]}), t, upper=[rhs1, 7])
        return lp
    base = solve_lp(lp_with(4.0))
    bumped = solve_lp(lp_with(4.1))
    assert base.objective == pytest.approx(-11.0)   # a = 3, b = 1 -> max 11
    assert base.row_duals[0] == pytest.approx((bumped.objective - base.objective) / 0.1)
    assert base.row_duals[0] == pytest.approx(-2.0)  # each extra unit of c1 earns 2 in the max problem
    for backend, solver in COMBOS[1:]:
        other = solve_lp(lp_with(4.0), SolveOptions(backend=backend, solver=solver))
        assert other.row_duals == pytest.approx(base.row_duals, abs=1e-9)


FIXTURES = {
    "one_year": lambda: one_year(cap=0.6),
    "stock": two_years_stock,
    "unmet": lambda: one_year(cap=0.0, jp_cap=50.0),
    "random0": lambda: random_data(0),
    "random3": lambda: random_data(3, n_mat=4, n_src=5),
    "converting": converting,
}


@pytest.mark.parametrize("name", list(FIXTURES))
@pytest.mark.parametrize("backend,solver", COMBOS[1:])
def test_backends_agree_on_every_fixture(name, backend, solver):
    ref, _, ref_sol = solve_data(FIXTURES[name]())
    res, model, sol = solve_data(FIXTURES[name](), RunOptions(backend=backend, solver=solver))
    assert res.status == OPTIMAL
    assert res.objective == pytest.approx(ref.objective, rel=1e-7, abs=1e-9)
    assert model.lp.check_feasible(sol.x) == []
    # duals may differ under degeneracy; the cap prices must agree where the primal is unique
    if name in ("one_year", "stock"):
        assert res.cap_sensitivity["shadow_price_per_pp"].to_numpy() == pytest.approx(
            ref.cap_sensitivity["shadow_price_per_pp"].to_numpy(), abs=1e-9)


def test_infeasible_lp_reported_distinctly_and_rechecked_without_presolve():
    lp = LinearProgram("inf")
    lp.add_variables("v", pd.DataFrame({"k": ["x"]}), upper=3.0, cost=1.0)
    lp.add_constraints("c", pd.DataFrame({"k": ["c"]}), Terms().add([0], [0], [1.0]), lower=5.0)
    for backend, solver in COMBOS:
        sol = solve_lp(lp, SolveOptions(backend=backend, solver=solver))
        assert sol.status == INFEASIBLE, (backend, solver)
        assert sol.x is None
        if solver == "highs":
            assert any("presolve off" in n for n in sol.notes)


def test_unbounded_lp_reported_as_unbounded():
    lp = LinearProgram("unb")
    lp.add_variables("v", pd.DataFrame({"k": ["x", "y"]}), cost=[-1.0, 0.0])
    lp.add_constraints("c", pd.DataFrame({"k": ["c"]}), Terms().add([0, 0], [0, 1], [1.0, -1.0]), upper=1.0)
    sol = solve_lp(lp)
    assert sol.status in (UNBOUNDED, INFEASIBLE_OR_UNBOUNDED)
    assert sol.status == UNBOUNDED   # presolve-off re-solve tells which
    assert "unbounded" in sol.message


def test_time_limit_is_not_reported_as_optimal():
    data = random_data(7, n_mat=30, n_src=30, years=tuple(range(2025, 2036)))
    res, _, sol = solve_data(data, RunOptions(time_limit=1e-6))
    assert res.status in (TIME_LIMIT_FEASIBLE, TIME_LIMIT_NO_SOLUTION)
    assert not res.proven_optimal
    assert "time limit" in res.status_message


def test_missing_cbc_gives_a_clear_message(monkeypatch):
    import pulp
    monkeypatch.setattr(pulp.PULP_CBC_CMD, "available", lambda self: False)
    sol = solve_lp(pulp_textbook_lp(), SolveOptions(backend="pulp", solver="cbc"))
    assert sol.status == SOLVER_MISSING
    assert "install" in sol.message and "CBC" in sol.message


def test_native_with_cbc_routes_through_pulp():
    sol = solve_lp(pulp_textbook_lp(), SolveOptions(backend="native", solver="cbc"))
    assert sol.status == OPTIMAL and sol.backend == "pulp" and sol.solver == "cbc"
    assert any("through PuLP" in n for n in sol.notes)


def test_independent_check_catches_a_wrong_solution():
    lp = pulp_textbook_lp()
    assert lp.check_feasible(np.array([4.0, -1.0, 6.0])) == []
    bad = lp.check_feasible(np.array([6.0, 0.0, 6.0]))   # x above 5; c1: 6 > 5; c3: 6 != 7
    assert sorted(bad) == ["c[c1]", "c[c3]", "v[x]"]


def test_ranging_matches_re_solves():
    """HiGHS's bound ranging for the cap agrees with re-solving at the range ends."""
    res, model, sol = solve_data(one_year(cap=0.3))
    cs = res.cap_sensitivity.iloc[0]
    price = cs["shadow_price_per_pp"]
    for share in (cs["rhs_share_low"] + 0.01, cs["rhs_share_high"] - 0.01):
        other, _, _ = solve_data(one_year(cap=share))
        assert other.objective == pytest.approx(res.objective + price * (share - 0.3) * 100)
