"""The L-shaped (Benders) method for a :class:`models.twostage.TwoStageLP`: one cut per scenario,
mean-CVaR in the master with VaR as a first-stage variable, bounds that prove the answer.

Master (one LP kept in a HiGHS model, re-solved warm after every round of cuts):

    min  cbar . x + sum_w p_w theta_w + beta * (eta + sum_w p_w delta_w / (1 - alpha))
    s.t. rl <= A x <= ru,  xl <= x <= xu
         cvar[w]:  c_w . x + theta_w - eta - delta_w <= 0,   delta_w >= 0     (only where beta > 0)
         cut:      theta_w - grad . x >= const      (optimality cut of scenario w, many per w)
         feas:              - grad . x >= const      (feasibility cut: scenario w infeasible there)

Lower bound.  Every cut lies below its scenario's recourse value Q_w (a Lagrangian dual bound, see
:mod:`.subproblems`), so (x, theta_w = Q_w(x)) is feasible for the master for every feasible x, and
E + beta CVaR is non-decreasing in each scenario's cost: the master's proven optimum is <= F*.
Upper bound.  Each first stage the subproblems are solved at is feasible (a convex combination of
master solutions, clipped into its bounds); with every scenario solved to proven optimality its
F(x) = E[cost] + beta CVaR_alpha(cost) (closed form, eta at its best) is the objective of a plan.
The reported gap (UB - LB) / |UB| is therefore certified (to HiGHS's tolerances), and the plan
returned is the one whose evaluation gave UB.

Stabilisation (in-out, Ben-Ameur & Neto 2007; Fischetti, Ljubic & Sinnl 2017): the scenarios are
solved at x_sep = x_master + mu (x_best - x_master), between the master's solution and the best
plan so far; cuts are valid wherever they are taken, so the bounds stay certified.  When the cuts
at x_sep do not cut off the master's solution, the next round is taken at x_master itself (mu = 0),
which keeps the method's finite convergence.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.lp import INF, LinearProgram, Terms
from models.twostage import TwoStageLP, risk_objective
from optimizer.core.solver import OPTIMAL, TIME_LIMIT_FEASIBLE, SolveOptions, open_resolver


@dataclass
class BendersOptions:
    gap: float = 1e-6            # stop at this certified relative gap
    time_limit: float | None = None
    max_iters: int = 1000
    mu: float = 0.5              # in-out weight on the best plan (0 = plain L-shaped)
    drop_after: int = 10         # a cut slack in this many master solves in a row is removed


@dataclass
class DecompositionResult:
    """Bounds and plan of a decomposition (money in the model's units)."""

    method: str
    status: str                   # OPTIMAL = the gap target reached; TIME_LIMIT_FEASIBLE = stopped before it
    message: str
    x: np.ndarray | None = None
    objective: float | None = None          # F at x = the upper bound
    lower_bound: float | None = None
    gap: float | None = None                # (UB - LB) / |UB|, certified
    target_gap: float | None = None
    costs: np.ndarray | None = None         # cost_w at x
    mean_y: np.ndarray | None = None        # sum_w p_w y_w at x
    iterations: int = 0
    seconds: float = 0.0
    history: list = field(default_factory=list)   # (iteration, lower, upper, gap, seconds)
    timings: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    workers: str = ""


def relative_gap(upper: float, lower: float) -> float:
    """(upper - lower) / |upper| (never negative; +inf while a bound is missing)."""
    if not (np.isfinite(upper) and np.isfinite(lower)):
        return np.inf
    return max(0.0, upper - lower) / max(abs(upper), 1e-10)


class Master:
    """The master LP of the module docstring in one HiGHS model."""

    def __init__(self, ts: TwoStageLP):
        self.ts = ts
        S, n1 = ts.S, ts.n1
        lp = LinearProgram("master")
        x = lp.add_variables("x", pd.DataFrame({"j": np.arange(n1)}), lower=ts.xl, upper=ts.xu, cost=ts.mean_c())
        th = lp.add_variables("theta", pd.DataFrame({"w": np.arange(S)}), lower=-INF, cost=ts.prob)
        if ts.rl.size:
            lp.add_constraints("first", pd.DataFrame({"i": np.arange(ts.rl.size)}),
                               Terms().add(ts.A.rows, x[ts.A.cols], ts.A.vals), lower=ts.rl, upper=ts.ru)
        self.cvar = ts.beta > 0
        if self.cvar:
            eta = lp.add_variables("eta", pd.DataFrame(index=range(1)), lower=-INF, cost=ts.beta)
            de = lp.add_variables("delta", pd.DataFrame({"w": np.arange(S)}),
                                  cost=ts.beta * ts.prob / (1.0 - ts.alpha))
            c = ts.c if ts.c.ndim == 2 else np.broadcast_to(ts.c, (S, n1))
            terms = Terms().add(np.repeat(np.arange(S), n1), np.tile(x, S), c.ravel())
            terms.add(np.arange(S), th, 1.0).add(np.arange(S), np.full(S, eta[0]), -1.0).add(np.arange(S), de, -1.0)
            lp.add_constraints("cvar", pd.DataFrame({"w": np.arange(S)}), terms, upper=0.0)
        self.x, self.theta = x, th
        lp.set_bounds("theta", lower=0.0, upper=0.0)   # held at 0 until scenario w has an optimality cut
        self.r = open_resolver(lp, SolveOptions(ranging=False))
        self.has_cut = np.zeros(S, bool)
        self.base_rows = lp.num_rows
        self.cut_w = np.zeros(0, np.int64)           # scenario of each cut row (-1: feasibility cut)
        self.cut_age = np.zeros(0, np.int64)         # master solves in a row the cut was slack

    @property
    def n_cuts(self) -> int:
        return int(self.cut_w.size)

    def add_cuts(self, w, const, grad, feasible) -> None:
        """theta_w - grad . x >= const (feasible) or -grad . x >= const (feasibility cut)."""
        starts, cols, vals = [], [], []
        k = 0
        for wi, g, f in zip(w, grad, feasible):
            nz = np.flatnonzero(g)
            starts.append(k)
            cols.append(self.x[nz])
            vals.append(-g[nz])
            k += nz.size
            if f:
                cols.append(np.array([self.theta[wi]]))
                vals.append(np.ones(1))
                k += 1
        if not starts:
            return
        new = np.unique(np.asarray(w)[np.asarray(feasible, bool)])
        new = new[~self.has_cut[new]]
        if new.size:
            self.r.set_col_bounds(self.theta[new], np.full(new.size, -np.inf), np.full(new.size, np.inf))
            self.has_cut[new] = True
        self.r.add_rows(np.asarray(const, float), np.full(len(starts), np.inf), np.array(starts),
                        np.concatenate(cols), np.concatenate(vals))
        self.cut_w = np.concatenate([self.cut_w, np.where(feasible, w, -1)])
        self.cut_age = np.concatenate([self.cut_age, np.zeros(len(starts), np.int64)])

    def solve(self):
        """(status, lower bound, x, theta); the bound is -inf while a scenario has no optimality cut
        (its theta is held at 0 meanwhile, so the master's value bounds nothing)."""
        status = self.r.run()
        if status != OPTIMAL:
            return status, None, None, None
        sol = self.r.solution()
        bound = float(self.r.objective) if self.has_cut.all() else -np.inf
        return status, bound, sol.x[self.x].copy(), sol.x[self.theta].copy()

    def age_and_drop(self, drop_after: int) -> int:
        """Count master solves a cut has been slack (zero dual); drop the long-idle ones."""
        if not self.n_cuts:
            return 0
        duals = self.r.solution().row_duals[self.base_rows:]
        active = np.abs(duals) > 1e-12
        self.cut_age = np.where(active, 0, self.cut_age + 1)
        old = np.flatnonzero(self.cut_age > drop_after)
        if old.size:
            self.r.delete_rows(self.base_rows + old)
            keep = np.ones(self.n_cuts, bool)
            keep[old] = False
            self.cut_w, self.cut_age = self.cut_w[keep], self.cut_age[keep]
        return int(old.size)


def _merge(ts: TwoStageLP, answers) -> dict:
    """The workers' :class:`~.subproblems.Evaluation` answers in global scenario order."""
    S = ts.S
    out = {"cost": np.full(S, np.nan), "const": np.zeros(S), "grad": np.zeros((S, ts.n1)),
           "feasible": np.ones(S, bool), "optimal": np.zeros(S, bool), "mean_y": np.zeros(ts.n2),
           "dual_gap": 0.0, "dual_infeasibility": 0.0, "iterations": 0, "status": [""] * S}
    for a in answers:
        out["cost"][a.index] = a.cost
        out["const"][a.index] = a.cut_const
        out["grad"][a.index] = a.cut_grad
        out["feasible"][a.index] = a.feasible
        out["optimal"][a.index] = [s == OPTIMAL for s in a.status]
        for i, s in zip(a.index, a.status):
            out["status"][i] = s
        out["mean_y"] += a.mean_y
        out["dual_gap"] = max(out["dual_gap"], a.dual_gap)
        out["dual_infeasibility"] = max(out["dual_infeasibility"], a.dual_infeasibility)
        out["iterations"] += a.iterations
    return out


def first_stage_feasible(ts: TwoStageLP, x: np.ndarray, tol: float = 1e-7) -> bool:
    """x within its bounds and the first-stage rows (relative tolerance): only such a plan's F(x)
    is an upper bound (cuts are valid wherever they are taken)."""
    scale = lambda b: tol * (1.0 + np.abs(np.where(np.isfinite(b), b, 0.0)))
    if np.any(x < ts.xl - scale(ts.xl)) or np.any(x > ts.xu + scale(ts.xu)):
        return False
    ax = ts.A.dot(x)
    return bool(np.all(ax >= ts.rl - scale(ts.rl)) and np.all(ax <= ts.ru + scale(ts.ru)))


def evaluate(ts: TwoStageLP, pool, x) -> dict:
    """Every scenario at first stage ``x`` (merged answers) and F(x) (inf unless all optimal)."""
    ev = _merge(ts, pool.call("evaluate", x))
    ev["F"] = risk_objective(ev["cost"], ts.prob, ts.alpha, ts.beta) if ev["optimal"].all() else np.inf
    return ev


def lshaped(ts: TwoStageLP, pool, x0: np.ndarray, options: BendersOptions | None = None,
            progress=None) -> DecompositionResult:
    """Solve ``ts`` by the L-shaped method with the scenario workers of ``pool`` (see the module
    docstring), starting from the first stage ``x0`` (e.g. the expected-value problem's plan).
    ``progress(iteration, lower, upper, gap, seconds)`` is called after every round."""
    options = options or BendersOptions()
    t_start = time.perf_counter()
    tm = {"master": 0.0, "subproblems": 0.0}
    res = DecompositionResult("benders", TIME_LIMIT_FEASIBLE, "", target_gap=options.gap,
                              workers=f"{pool.size} {pool.kind}")
    master = Master(ts)
    best = {"F": np.inf}
    lower = -np.inf
    x_sep = np.clip(np.asarray(x0, float), ts.xl, ts.xu)
    x_m = theta_m = None
    mu = options.mu
    dual_gap = dual_inf = 0.0
    it = 0
    while True:
        t0 = time.perf_counter()
        ev = evaluate(ts, pool, x_sep)
        tm["subproblems"] += time.perf_counter() - t0
        dual_gap, dual_inf = max(dual_gap, ev["dual_gap"]), max(dual_inf, ev["dual_infeasibility"])
        if not (ev["optimal"] | ~ev["feasible"]).all():
            bad = [ts.names[i] for i, s in enumerate(ev["status"]) if s != OPTIMAL and ev["feasible"][i]]
            res.status, res.message = ev["status"][ts.names.index(bad[0])], \
                f"scenario {bad[0]} could not be solved ({ev['status'][ts.names.index(bad[0])]})"
            break
        if ev["F"] < best["F"] and first_stage_feasible(ts, x_sep):
            best = {"F": ev["F"], "x": x_sep.copy(), "cost": ev["cost"].copy(), "mean_y": ev["mean_y"].copy()}
        w = np.arange(ts.S)
        if x_m is not None:
            value_at_m = ev["const"] + ev["grad"] @ x_m
            viol = np.where(ev["feasible"], value_at_m - theta_m, value_at_m)
            cuts_off = viol > 1e-9 * (1.0 + np.abs(np.where(ev["feasible"], theta_m, 0.0)))
            if not cuts_off.any() and mu > 0 and not np.array_equal(x_sep, x_m):
                mu_next = 0.0           # mispriced: separate at the master's own solution next
            else:
                mu_next = options.mu
            keep = cuts_off | (mu > 0)
        else:
            keep, mu_next = np.ones(ts.S, bool), options.mu
        master.add_cuts(w[keep], ev["const"][keep], ev["grad"][keep], ev["feasible"][keep])
        t0 = time.perf_counter()
        st, lb, x_m, theta_m = master.solve()
        tm["master"] += time.perf_counter() - t0
        it += 1
        if st != OPTIMAL:
            res.status, res.message = st, f"the master problem was not solved to optimality ({st})"
            break
        lower = max(lower, lb)
        gap = relative_gap(best["F"], lower)
        elapsed = time.perf_counter() - t_start
        res.history.append((it, lower, best["F"], gap, elapsed))
        if progress is not None:
            progress(it, lower, best["F"], gap, elapsed)
        if gap <= options.gap:
            res.status = OPTIMAL
            res.message = (f"proven within a relative gap of {gap:.2e} (target {options.gap:.0e}): "
                           "lower bound from the master, upper bound from the plan evaluated exactly")
            break
        if it >= options.max_iters or (options.time_limit is not None and elapsed >= options.time_limit):
            res.message = (f"stopped by the {'iteration' if it >= options.max_iters else 'time'} limit "
                           f"at a certified gap of {gap:.2e} (target {options.gap:.0e})")
            break
        master.age_and_drop(options.drop_after)
        mu = mu_next
        x_sep = np.clip(x_m + mu * (best["x"] - x_m), ts.xl, ts.xu) if np.isfinite(best["F"]) and mu > 0 else x_m
    res.iterations, res.seconds = it, time.perf_counter() - t_start
    res.timings = {**tm, "cuts in master": master.n_cuts}
    if np.isfinite(best["F"]):
        res.x, res.objective, res.costs, res.mean_y = best["x"], best["F"], best["cost"], best["mean_y"]
        res.lower_bound = lower if np.isfinite(lower) else None
        res.gap = relative_gap(best["F"], lower)
    if dual_gap > 1e-7 or dual_inf > 1e-7:
        res.notes.append(f"largest cut deviation {dual_gap:.1e}, dual infeasibility {dual_inf:.1e}")
    return res
