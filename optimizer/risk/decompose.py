"""Solve a two-stage problem by the method asked for, with bounds that prove the answer, and the
same figures as the extensive-form path (RP, EV, EEV, WS, VSS, EVPI).

* ``ef``      the extensive form in one LP (HiGHS): proven optimal, gap 0;
* ``benders`` the L-shaped method (:mod:`.benders`) over a pool of scenario workers;
* ``ph``      progressive hedging (mpi-sppy, :mod:`.ph`) under mpiexec; its best plan is then
              evaluated exactly here (every scenario re-solved at it) for the upper bound, the
              Lagrangian spoke's bound is the lower bound;
* ``auto``    the extensive form while it is small (at most :data:`AUTO_EF_COLUMNS` columns) or
              a MILP, the L-shaped method beyond.

The scenario workers (:class:`.subproblems.ScenarioSolver`) live in this process, in a pool of
processes or on the MPI ranks (:mod:`optimizer.core.pool`); the expected-value problem is
solved here.  For the sourcing model, :func:`solve_sourcing` turns the answer into the
:class:`~optimizer.risk.metrics.RiskResult` every report reads (money in currency millions).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.stochastic_twostage import SourcingTwoStage
from models.twostage import TwoStageLP, extensive_form, risk_objective, var_cvar
from models.units import to_millions
from optimizer.core.pool import LocalPool, MpiPool, ProcessPool
from optimizer.core.solver import OPTIMAL, SOLVER_ERROR, TIME_LIMIT_FEASIBLE, SolveOptions, solve_lp
from optimizer.risk.benders import (BendersOptions, DecompositionResult, evaluate, first_stage_feasible, lshaped,
                                    relative_gap)
from optimizer.risk.metrics import RiskResult
from optimizer.risk.subproblems import ScenarioSolver

METHODS = ("auto", "ef", "benders", "ph")
#: ``auto`` keeps the extensive form up to this many columns.  Measured on the benchmark instance
#: (benchmarks/README.md, gap 1e-6, 2 cores): 10 scenarios (20 k columns) EF 1.2 s, L-shaped 15 s;
#: 20 (38 k) 5.5 s / 20 s; 50 (95 k) 32 s / 37 s; 100 (188 k) 131 s / 55 s; 500 (938 k) over an hour
#: / 0.1 % in 2-3 minutes
AUTO_EF_COLUMNS = 100_000
DEFAULT_GAP = 1e-6


def choose_method(method: str, n_scenarios: int, n_first: int, n_recourse: int, integer: bool) -> str:
    """The method ``auto`` stands for (any other name is returned as it is)."""
    if method != "auto":
        return method
    if integer or n_scenarios <= 1 or n_first + n_scenarios * (n_recourse + 1) <= AUTO_EF_COLUMNS:
        return "ef"
    return "benders"


def split(n: int, parts: int) -> list[np.ndarray]:
    """0..n-1 in ``parts`` contiguous blocks of near-equal size (empty blocks left out)."""
    return [b for b in np.array_split(np.arange(n), max(1, parts)) if b.size]


def open_pool(ts: TwoStageLP, transport: str = "local", workers: int = 1, comm=None):
    """Scenario workers for ``ts``: ``local`` (this process), ``processes`` (``workers`` children)
    or ``mpi`` (one per rank of ``comm``; every rank calls this)."""
    if transport == "mpi":
        if comm is None:
            from mpi4py import MPI   # optional: the [risk] extra
            comm = MPI.COMM_WORLD
        blocks = np.array_split(np.arange(ts.S), comm.Get_size())
        return MpiPool(ScenarioSolver.create, [(ts.subset(b), b) for b in blocks], comm=comm)
    blocks = split(ts.S, workers if transport == "processes" else 1)
    payloads = [(ts.subset(b), b) for b in blocks]
    if transport == "processes" and len(payloads) > 1:
        return ProcessPool(ScenarioSolver.create, payloads)
    return LocalPool(ScenarioSolver.create, payloads)


@dataclass
class TwoStageAnswer:
    """A decomposition's result plus the figures of :mod:`optimizer.risk.metrics` (model units)."""

    result: DecompositionResult
    ev_x: np.ndarray | None = None
    ev_objective: float | None = None
    eev: float | None = None
    ws: float | None = None
    ws_costs: np.ndarray | None = None
    notes: list = field(default_factory=list)

    @property
    def vss(self):
        r = self.result
        return None if self.eev is None or r.objective is None else self.eev - r.objective

    @property
    def evpi(self):
        r = self.result
        return None if self.ws is None or r.objective is None else r.objective - self.ws


def solve_ef(ts: TwoStageLP, options: SolveOptions | None = None) -> DecompositionResult:
    """The extensive form of ``ts`` in one LP; proven optimal means gap 0."""
    ef = extensive_form(ts)
    sol = solve_lp(ef.lp, options or SolveOptions(ranging=False, want_duals=False))
    res = DecompositionResult("ef", sol.status, sol.message or sol.status, workers="1 in-process")
    if sol.status == OPTIMAL:
        res.x, res.costs, res.mean_y = ef.first_stage(sol.x), ef.scenario_costs(sol.x), ef.mean_recourse(sol.x)
        res.objective = res.lower_bound = float(sol.objective)
        res.gap, res.target_gap = 0.0, 0.0
        res.message = "proven optimal (extensive form)"
    res.seconds = sum(sol.timings.values())
    return res


def from_plan(ts: TwoStageLP, pool, method: str, x, lower: float | None, target_gap: float | None,
              info: str = "") -> DecompositionResult:
    """A plan found elsewhere (progressive hedging) evaluated exactly: every scenario re-solved at
    ``x`` gives the upper bound; ``lower`` is the method's own certified lower bound."""
    res = DecompositionResult(method, SOLVER_ERROR, "no plan", target_gap=target_gap,
                              workers=f"{pool.size} {pool.kind}")
    if x is None:
        res.message = f"{method} returned no plan" + (f" ({info})" if info else "")
        return res
    x = np.clip(np.asarray(x, float)[:ts.n1], ts.xl, ts.xu)
    if not first_stage_feasible(ts, x):
        res.message = f"the {method} plan breaks a first-stage row; no upper bound"
        return res
    ev = evaluate(ts, pool, x)
    if not np.isfinite(ev["F"]):
        bad = next(s for s in ev["status"] if s != OPTIMAL)
        res.status, res.message = bad, f"the {method} plan is not feasible in every scenario ({bad})"
        return res
    res.x, res.objective, res.costs, res.mean_y = x, ev["F"], ev["cost"], ev["mean_y"]
    res.lower_bound = lower if lower is not None and np.isfinite(lower) else None
    res.gap = relative_gap(res.objective, res.lower_bound if res.lower_bound is not None else -np.inf)
    reached = target_gap is not None and res.gap <= target_gap
    res.status = OPTIMAL if reached else TIME_LIMIT_FEASIBLE
    res.message = (f"{'proven within' if reached else 'stopped at'} a certified relative gap of {res.gap:.2e} "
                   f"(target {target_gap:.0e}): lower bound from the Lagrangian spoke, upper bound from the "
                   "plan evaluated exactly" + (f"; {info}" if info else ""))
    return res


def prepare(ts: TwoStageLP, pool, with_vss: bool = True) -> TwoStageAnswer:
    """The expected-value problem (solved here) and, with ``with_vss``, the wait-and-see costs and
    the EV plan evaluated in every scenario (EEV) by the pool's workers."""
    ans = TwoStageAnswer(DecompositionResult("", SOLVER_ERROR, ""))
    evp = extensive_form(ts.mean_value())
    ev_sol = solve_lp(evp.lp, SolveOptions(ranging=False, want_duals=False))
    if ev_sol.status == OPTIMAL:
        ans.ev_x = evp.first_stage(ev_sol.x)
        ans.ev_objective = float(evp.scenario_costs(ev_sol.x)[0])
    else:
        ans.notes.append(f"expected-value problem: {ev_sol.status}; VSS not computed")
    if not with_vss:
        return ans
    if ans.ev_x is not None:
        eev = evaluate(ts, pool, ans.ev_x)["F"]
        if np.isfinite(eev):
            ans.eev = eev
        else:
            ans.notes.append("the EV plan is infeasible in some scenario; VSS not computed")
    costs = np.full(ts.S, np.nan)
    for idx, c, _status in pool.call("wait_and_see"):
        costs[idx] = c
    if np.isfinite(costs).all():
        ans.ws_costs = costs
        ans.ws = risk_objective(costs, ts.prob, ts.alpha, ts.beta)
    else:
        ans.notes.append("a wait-and-see problem was not solved; EVPI not computed")
    return ans


def solve_two_stage(ts: TwoStageLP, method: str, pool=None, *, gap: float = DEFAULT_GAP,
                    time_limit: float | None = None, max_iters: int = 1000, progress=None,
                    with_vss: bool = True, plan=None, pre: TwoStageAnswer | None = None) -> TwoStageAnswer:
    """Solve ``ts`` by ``method`` (ef, benders or ph); ``plan``: progressive hedging's outcome
    (:class:`optimizer.risk.ph.PHOutcome`: x, lower, info, iterations, seconds); ``pre`` =
    :func:`prepare`'s answer when already computed."""
    own = pool is None
    pool = pool or open_pool(ts)
    try:
        ans = pre or prepare(ts, pool, with_vss)
        if method == "ef":
            ans.result = solve_ef(ts)
        elif method == "benders":
            x0 = ans.ev_x if ans.ev_x is not None else np.clip(np.zeros(ts.n1), ts.xl, ts.xu)
            ans.result = lshaped(ts, pool, x0, BendersOptions(gap=gap, time_limit=time_limit, max_iters=max_iters),
                                 progress=progress)
        elif method == "ph":
            ans.result = from_plan(ts, pool, "ph", plan.x, plan.lower, gap, plan.info)
            ans.result.iterations, ans.result.seconds = plan.iterations or 0, plan.seconds
        else:
            raise ValueError(f"unknown method {method!r}: use {', '.join(METHODS)}")
        return ans
    finally:
        if own:
            pool.close()


def solve_sourcing(st: SourcingTwoStage, method: str, pool, **kwargs) -> RiskResult:
    """:func:`solve_two_stage` on the sourcing structure, as a RiskResult (:func:`sourcing_result`)."""
    return sourcing_result(st, solve_two_stage(st.ts, method, pool, **kwargs))


def expected_split(st: SourcingTwoStage, mean_vector: np.ndarray, expected: float) -> dict:
    """Expected penalties and risk charge (currency M) at the probability-weighted recourse: their
    coefficients are the same in every scenario, so the template's terms at the mean are their
    expected values exactly; the money spent is the rest of the expected cost."""
    split = {k: to_millions(float(v[0])) for k, v in st.template.scenario_cost_split(mean_vector).items()}
    split["money"] = expected - split["penalties"] - split["risk charge"]
    return split


def sourcing_result(st: SourcingTwoStage, ans: TwoStageAnswer) -> RiskResult:
    """A decomposition's answer as the RiskResult of the extensive-form path (currency millions;
    first stage as contract/build; probability-weighted recourse for the time-to-survive tables)."""
    ts = st.ts
    r = ans.result
    method = r.method
    res = RiskResult(r.status, r.message, list(ts.names), ts.prob, ts.alpha, ts.beta, model=st.template,
                     method=method, target_gap=r.target_gap, iterations=r.iterations, solve_seconds=r.seconds,
                     workers=r.workers)
    res.notes = list(r.notes) + ans.notes
    if r.x is None:
        return res
    res.objective = to_millions(r.objective)
    res.lower_bound = None if r.lower_bound is None else to_millions(r.lower_bound)
    res.gap = r.gap
    res.scenario_costs = to_millions(r.costs)
    res.expected = float(ts.prob @ res.scenario_costs)
    res.var, res.cvar = var_cvar(res.scenario_costs, ts.prob, ts.alpha)
    res.first_stage = st.first_stage(r.x)
    res.mean_x = res.x = st.template_vector(r.x, r.mean_y)
    res.split_expected = expected_split(st, res.x, res.expected)
    if ans.ev_objective is not None:
        res.ev_objective = to_millions(ans.ev_objective)
    if ans.eev is not None:
        res.eev = to_millions(ans.eev)
        res.vss = res.eev - res.objective
    if ans.ws is not None:
        res.ws_costs = to_millions(ans.ws_costs)
        res.ws = to_millions(ans.ws)
        res.evpi = res.objective - res.ws
    if r.gap:
        res.notes.append("VSS and EVPI use the plan's objective (the upper bound); the optimum is at most "
                         f"{r.gap:.2e} x |objective| lower")
    return res
