"""The one solver adapter: solver choice, options, status mapping, dual extraction.

``solve_lp(lp, options)`` runs a :class:`models.lp.LinearProgram` through one of three
backends, all fed from the same matrix so the formulation exists once:

* ``native`` - the matrix is handed to HiGHS (highspy) directly: no modelling-layer
  objects, no files; the fastest path and the default.
* ``pulp``   - a thin adapter builds PuLP objects; solved by HiGHS (in-process) or CBC.
* ``pyomo``  - a thin adapter builds a Pyomo ConcreteModel; solved by Pyomo's HiGHS
  interface or CBC (PuLP's bundled CBC binary, if no other is on PATH).

Statuses are mapped onto :mod:`optimizer.result` constants; "optimal" means proven
optimal.  Every returned primal solution is re-checked against the bounds and rows by
:meth:`LinearProgram.check_feasible`.  "Infeasible or unbounded" (and any infeasible
or unbounded verdict reached with presolve on) is re-solved once with presolve off.

Dual sign convention (one place, tested on min and max problems): ``row_duals[i]`` is
the change of the minimised objective per unit increase of row i's active bound, and
``col_duals[j]`` (reduced cost) the change per unit increase of column j's active
bound.  For a MIP the integer columns are fixed at their solution values and the LP
re-solved, and the duals are flagged indicative.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from models.lp import LinearProgram
from optimizer import result as R


@dataclass
class SolveOptions:
    backend: str = "native"      # native | pulp | pyomo
    solver: str = "highs"        # highs | cbc
    time_limit: float | None = None
    presolve: bool = True
    mip_gap: float | None = None
    threads: int | None = None
    ranging: bool = True         # HiGHS cost and bound ranging (LPs only)
    want_duals: bool = True


@dataclass
class Ranging:
    """HiGHS ranging, per row / column, in the model's own units (NaN = unbounded/unknown)."""

    row_bound_low: np.ndarray    # value the active row bound can fall to before the basis changes
    row_bound_high: np.ndarray
    col_cost_low: np.ndarray     # objective coefficient range keeping the solution optimal
    col_cost_high: np.ndarray
    col_bound_low: np.ndarray
    col_bound_high: np.ndarray


@dataclass
class Solution:
    status: str
    message: str
    backend: str
    solver: str
    objective: float | None = None
    x: np.ndarray | None = None
    row_activity: np.ndarray | None = None
    row_duals: np.ndarray | None = None
    col_duals: np.ndarray | None = None
    mip_gap: float | None = None
    duals_indicative: bool = False
    ranging: Ranging | None = None
    timings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def has_solution(self) -> bool:
        return self.x is not None and self.status in (R.OPTIMAL, R.TIME_LIMIT_FEASIBLE)


NEEDS_RECHECK = (R.INFEASIBLE, R.UNBOUNDED, R.INFEASIBLE_OR_UNBOUNDED)


class SolverUnavailable(RuntimeError):
    """The requested solver or backend is not installed; the message says what to install."""


STATUS_TEXT = {
    R.OPTIMAL: "proven optimal",
    R.TIME_LIMIT_FEASIBLE: "time limit reached: feasible solution, NOT proven optimal",
    R.TIME_LIMIT_NO_SOLUTION: "time limit reached: no feasible solution found",
    R.INFEASIBLE: "infeasible: the hard constraints cannot all hold",
    R.UNBOUNDED: "unbounded: the objective can decrease without limit (a missing bound in the data)",
    R.INFEASIBLE_OR_UNBOUNDED: "infeasible or unbounded (the solver could not tell which)",
    R.SOLVER_ERROR: "solver error",
    R.SOLVER_MISSING: "solver not available",
}


def solve_lp(lp: LinearProgram, options: SolveOptions | None = None) -> Solution:
    """Solve ``lp`` with the requested backend/solver; never raises for solver outcomes."""
    options = options or SolveOptions()
    backend, solver = options.backend, options.solver
    if backend not in ("native", "pulp", "pyomo"):
        raise ValueError(f"unknown backend {backend!r}: use native, pulp or pyomo")
    if solver not in ("highs", "cbc"):
        raise ValueError(f"unknown solver {solver!r}: use highs or cbc")
    notes = []
    if backend == "native" and solver == "cbc":
        backend = "pulp"
        notes.append("CBC is reached through PuLP: backend switched from native to pulp.")
    try:
        from optimizer.backends.native import silence_banner
        silence_banner()
        if backend == "native":
            from optimizer.backends import native as impl
        elif backend == "pulp":
            from optimizer.backends import pulp_backend as impl
        else:
            from optimizer.backends import pyomo_backend as impl
        sol = impl.solve(lp, options, solver)
        if sol.status in NEEDS_RECHECK and options.presolve and solver == "highs":
            # HiGHS presolve may say "infeasible or unbounded", and has had false-infeasible
            # bugs: re-solve once with presolve off before reporting (see style notes B.2.1).
            first = sol.status
            retry = impl.solve(lp, replace(options, presolve=False), solver)
            retry.timings = {**sol.timings, **{f"{k}_presolve_off": v for k, v in retry.timings.items()}}
            retry.notes.insert(0, f"presolve verdict '{first}' re-checked with presolve off: '{retry.status}'")
            sol = retry
    except SolverUnavailable as exc:
        return Solution(R.SOLVER_MISSING, str(exc), backend, solver, notes=notes)
    sol.notes = notes + sol.notes
    if sol.x is not None and sol.status in (R.OPTIMAL, R.TIME_LIMIT_FEASIBLE):
        sol.row_activity = lp.row_activity(sol.x)
        bad = lp.check_feasible(sol.x, tol=1e-6)
        if bad:
            sol.notes.append(f"independent check: {len(bad)} bound/row violation(s) above 1e-6 "
                             f"(first: {', '.join(bad[:5])})")
            if sol.status == R.OPTIMAL:
                sol.status = R.SOLVER_ERROR
                sol.message = ("the solver reported optimal but its solution violates constraints: "
                               + ", ".join(bad[:5]))
    if options.ranging and sol.status == R.OPTIMAL and not lp.is_mip and sol.ranging is None \
            and solver == "highs":
        # PuLP / Pyomo do not expose ranging: HiGHS computes it on the same matrix.
        from optimizer.backends import native
        t0 = time.perf_counter()
        sol.ranging = native.ranging_only(lp, options)
        sol.timings["ranging"] = time.perf_counter() - t0
    if not sol.message:
        sol.message = STATUS_TEXT.get(sol.status, sol.status)
        if sol.status == R.TIME_LIMIT_FEASIBLE and lp.is_mip:
            gap = sol.mip_gap
            sol.message += (f" (MIP gap {gap:.2%}: the best possible plan costs at most that much less)"
                            if gap is not None and np.isfinite(gap) else " (MIP gap not reported by this solver)")
    return sol
