"""Scenario subproblems of a :class:`models.twostage.TwoStageLP`, solved where they live (a worker
process, an MPI rank or this process), each warm-started from its own last basis.

One :class:`ScenarioSolver` holds the recourse LP of its scenarios in ONE HiGHS model (W is shared;
a scenario is loaded by changing bounds and costs) and keeps every scenario's last basis, so the
next first stage x re-solves each scenario from its own previous optimum (a few dual simplex
iterations: x only moves the row bounds hl_w - T_w x, hu_w - T_w x).

The optimality cut of scenario w at x_k is the Lagrangian (dual) bound of its LP, read from the
row duals pi (sign convention of :mod:`optimizer.core.solver.types`) with the reduced costs
recomputed from them, d = q_w - W^T pi:

    Q_w(x) >= sum_i pi_i (b_i - (T_w x)_i) + sum_j d_j g_j  =  const_w + grad_w . x   for EVERY x,

b_i the row bound pi_i's sign selects (hl for pi > 0, hu for pi < 0), g_j the column bound d_j's
sign selects.  This holds for any pi by weak duality (a pi of the wrong sign for an infinite bound is
set to 0 first), so a cut never depends on the solve having been exact; it equals Q_w(x_k) when the
duals are optimal (the largest difference is reported as ``dual_gap``).  The one tolerance left is a
reduced cost below HiGHS's dual feasibility tolerance on a column without the bound its sign needs
(counted as zero, its size reported as ``dual_infeasibility``).

A scenario LP that is infeasible at x gives a feasibility cut instead, from its phase-1 problem
(every row elastic at cost 1, y at cost 0): the phase-1 value is 0 wherever the scenario is
feasible and its dual bound const + grad . x lies below that value everywhere, so
0 >= const + grad . x holds for every x the scenario accepts, and the infeasible x breaks it.
"""
from __future__ import annotations

import resource
from dataclasses import dataclass, replace

import numpy as np

from models.lp import LinearProgram
from models.twostage import TwoStageLP, extensive_form
from optimizer.core.solver import (INFEASIBLE, INFEASIBLE_OR_UNBOUNDED, OPTIMAL, SolveOptions, open_resolver,
                                   solve_lp)

WORKER_OPTIONS = SolveOptions(ranging=False)   # threads: the process's (set_process_threads)


@dataclass
class Evaluation:
    """What a set of scenarios returns for one first stage x (arrays over its scenarios)."""

    index: np.ndarray             # global scenario numbers
    status: list                  # per scenario: OPTIMAL, INFEASIBLE, ...
    cost: np.ndarray              # c_w . x + Q_w(x)  (nan where not optimal)
    cut_const: np.ndarray         # optimality cut (feasibility cut where infeasible)
    cut_grad: np.ndarray          # (k, n1)
    feasible: np.ndarray          # bool: optimality (True) or feasibility (False) cut
    mean_y: np.ndarray            # sum over these scenarios of p_w y_w
    dual_gap: float               # max |Q_w(x) - cut value at x| (0 for exact duals)
    dual_infeasibility: float
    iterations: int               # simplex iterations spent


def lagrangian_cut(ts: TwoStageLP, w: int, row_duals: np.ndarray, weights: np.ndarray | None = None):
    """(const, grad, dual infeasibility) of scenario ``w``'s dual bound for ``row_duals``
    (see the module docstring); ``weights`` replaces q_w (the phase-1 problem's zero costs)."""
    hl, hu = ts.at("hl", w), ts.at("hu", w)
    pi = np.where((row_duals > 0) & np.isfinite(hl) | (row_duals < 0) & np.isfinite(hu), row_duals, 0.0)
    b = np.where(pi > 0, hl, hu)
    const = float(pi[pi != 0] @ b[pi != 0])
    q = ts.at("q", w) if weights is None else weights
    d = q - ts.W.rdot(pi)
    yl, yu = ts.at("yl", w), ts.at("yu", w)
    g = np.where(d > 0, yl, yu)
    ok = np.isfinite(g)
    const += float(d[ok] @ g[ok])
    dinf = float(np.abs(d[~ok]).max()) if (~ok).any() else 0.0
    tv = ts.at("T_vals", w)
    grad = -np.bincount(ts.T_cols, weights=tv * pi[ts.T_rows], minlength=ts.n1)
    return const, grad, dinf


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class ScenarioSolver:
    """The scenarios ``index`` of a TwoStageLP (``ts`` holds only them), one warm HiGHS model."""

    def __init__(self, ts: TwoStageLP, index, options: SolveOptions = WORKER_OPTIONS):
        self.ts, self.index = ts, np.asarray(index, dtype=np.int64)
        self.options = options
        lp = LinearProgram.from_arrays(ts.at("q", 0), ts.at("yl", 0), ts.at("yu", 0), ts.at("hl", 0),
                                       ts.at("hu", 0), np.zeros(ts.n2, bool), ts.W.rows, ts.W.cols, ts.W.vals,
                                       name="recourse")
        self.r = open_resolver(lp, options)
        self.rows, self.cols = np.arange(ts.m2), np.arange(ts.n2)
        self.bases = [None] * ts.S
        self.varies = {it: getattr(ts, it).ndim == 2 for it in ("q", "yl", "yu")}
        self._phase1 = None

    @classmethod
    def create(cls, payload) -> "ScenarioSolver":
        """Pool factory: ``payload = (ts, index)``."""
        ts, index = payload
        return cls(ts, index)

    def _load(self, w: int, x: np.ndarray) -> None:
        ts = self.ts
        tx = np.bincount(ts.T_rows, weights=ts.at("T_vals", w) * x[ts.T_cols], minlength=ts.m2)
        self.r.set_row_bounds(self.rows, ts.at("hl", w) - tx, ts.at("hu", w) - tx)
        if self.varies["q"]:           # shared items stay as built (from scenario 0's data)
            self.r.set_costs(self.cols, ts.at("q", w))
        if self.varies["yl"] or self.varies["yu"]:
            self.r.set_col_bounds(self.cols, ts.at("yl", w), ts.at("yu", w))
        if self.bases[w] is not None:
            self.r.set_basis(self.bases[w])

    def _run(self) -> tuple[str, int]:
        status = self.r.run()
        its = self.r.iterations
        if status != OPTIMAL:                # a warm start gone wrong: once more from scratch
            self.r.set_basis(None)
            status = self.r.run()
            its += self.r.iterations
        return status, its

    def evaluate(self, x) -> Evaluation:
        """Every scenario's recourse at first stage ``x``: cost, cut, probability-weighted y."""
        ts = self.ts
        x = np.asarray(x, float)
        k = ts.S
        cost = np.full(k, np.nan)
        const = np.zeros(k)
        grad = np.zeros((k, ts.n1))
        feasible = np.ones(k, bool)
        mean_y = np.zeros(ts.n2)
        status, gap, dinf, its = [], 0.0, 0.0, 0
        for w in range(k):
            self._load(w, x)
            st, n = self._run()
            its += n
            status.append(st)
            if st == OPTIMAL:
                sol = self.r.solution()
                q_val = float(self.r.objective)
                const[w], grad[w], di = lagrangian_cut(ts, w, sol.row_duals)
                cost[w] = float(ts.at("c", w) @ x) + q_val
                gap = max(gap, abs(q_val - (const[w] + grad[w] @ x)) / (1.0 + abs(q_val)))
                dinf = max(dinf, di)
                mean_y += ts.prob[w] * sol.x
                self.bases[w] = self.r.basis()
            elif st in (INFEASIBLE, INFEASIBLE_OR_UNBOUNDED):
                feasible[w] = False
                const[w], grad[w], n = self._feasibility_cut(w, x)
                its += n
                self.bases[w] = None
        return Evaluation(self.index, status, cost, const, grad, feasible, mean_y, gap, dinf, its)

    def _feasibility_cut(self, w: int, x: np.ndarray):
        """Phase 1 of scenario w at x: min sum(s+ + s-) s.t. hl - Tx <= W y + s+ - s- <= hu - Tx."""
        ts = self.ts
        if self._phase1 is None:
            m, n = ts.m2, ts.n2
            rows = np.concatenate([ts.W.rows, np.arange(m), np.arange(m)])
            cols = np.concatenate([ts.W.cols, n + np.arange(m), n + m + np.arange(m)])
            vals = np.concatenate([ts.W.vals, np.ones(m), -np.ones(m)])
            cost = np.concatenate([np.zeros(n), np.ones(2 * m)])
            lp = LinearProgram.from_arrays(cost, np.zeros(n + 2 * m), np.full(n + 2 * m, np.inf), ts.at("hl", 0),
                                           ts.at("hu", 0), np.zeros(n + 2 * m, bool), rows, cols, vals,
                                           name="phase1")
            self._phase1 = open_resolver(lp, self.options)
        r = self._phase1
        tx = np.bincount(ts.T_rows, weights=ts.at("T_vals", w) * x[ts.T_cols], minlength=ts.m2)
        r.set_row_bounds(np.arange(ts.m2), ts.at("hl", w) - tx, ts.at("hu", w) - tx)
        r.set_col_bounds(np.arange(ts.n2), ts.at("yl", w), ts.at("yu", w))
        if r.run() != OPTIMAL:
            raise RuntimeError(f"scenario {ts.names[w]}: the phase-1 problem was not solved ({r.status})")
        const, grad, _ = lagrangian_cut(ts, w, r.solution().row_duals, weights=np.zeros(ts.n2))
        return const, grad, r.iterations

    def peak_rss_mb(self) -> float:
        """Peak resident memory of the process holding these scenarios, in MB (benchmarks): Linux's
        VmHWM, which starts afresh in a new program (ru_maxrss keeps the parent's size at the fork)."""
        return peak_rss_mb()

    def wait_and_see(self) -> tuple[np.ndarray, np.ndarray, list]:
        """Each scenario solved alone with its first stage free: (scenario numbers, costs, statuses)."""
        ts = self.ts
        costs, status = np.full(ts.S, np.nan), []
        for w in range(ts.S):
            one = extensive_form(replace(ts.scenario(w), beta=0.0))
            sol = solve_lp(one.lp, replace(self.options, want_duals=False))
            status.append(sol.status)
            if sol.status == OPTIMAL:
                costs[w] = float(one.scenario_costs(sol.x)[0])
        return self.index, costs, status
