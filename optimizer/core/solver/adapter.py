"""The one solver adapter: backend choice, options, presolve re-check, feasibility check.

``solve_lp(lp, options)`` runs a :class:`models.lp.LinearProgram` through a backend of
the registry (:mod:`optimizer.core.solver.registry`), all fed from the same matrix so the
formulation exists once:

* ``native`` - the matrix is handed to HiGHS (highspy) directly: no modelling-layer
  objects, no files; the fastest path and the default.
* ``pulp``   - a thin adapter builds PuLP objects; solved by HiGHS (in-process) or CBC.
* ``pyomo``  - a thin adapter builds a Pyomo ConcreteModel; solved by Pyomo's HiGHS
  interface or CBC (PuLP's bundled CBC binary, if no other is on PATH).

Statuses are the neutral constants of :mod:`optimizer.core.solver.types`; "optimal"
means proven optimal.  Every returned primal solution is re-checked against the bounds
and rows by :meth:`LinearProgram.check_feasible`.  "Infeasible or unbounded" (and any
infeasible or unbounded verdict reached with presolve on) is re-solved once with
presolve off.  The dual sign convention is stated in :mod:`.types`.
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from models.lp import LinearProgram
from optimizer.core.solver import highs, registry
from optimizer.core.solver import types as T
from optimizer.core.solver.types import Solution, SolveOptions, SolverUnavailable


def solve_lp(lp: LinearProgram, options: SolveOptions | None = None) -> Solution:
    """Solve ``lp`` with the requested backend/solver; never raises for solver outcomes."""
    options = options or SolveOptions()
    solver = options.solver
    chosen, note = registry.resolve(options.backend, solver)
    notes = [note] if note else []
    impl = chosen.module
    try:
        highs.silence_banner()
        sol = impl.solve(lp, options, solver)
        if sol.status in T.NEEDS_RECHECK and options.presolve and solver == "highs":
            # HiGHS presolve may say "infeasible or unbounded", and has had false-infeasible
            # bugs: re-solve once with presolve off before reporting (see style notes B.2.1).
            first = sol.status
            retry = impl.solve(lp, replace(options, presolve=False), solver)
            retry.timings = {**sol.timings, **{f"{k}_presolve_off": v for k, v in retry.timings.items()}}
            retry.notes.insert(0, f"presolve verdict '{first}' re-checked with presolve off: '{retry.status}'")
            sol = retry
    except SolverUnavailable as exc:
        return Solution(T.SOLVER_MISSING, str(exc), chosen.name, solver, notes=notes)
    sol.notes = notes + sol.notes
    if sol.x is not None and sol.status in (T.OPTIMAL, T.TIME_LIMIT_FEASIBLE):
        sol.row_activity = lp.row_activity(sol.x)
        bad = lp.check_feasible(sol.x, tol=1e-6)
        if bad:
            sol.notes.append(f"independent check: {len(bad)} bound/row violation(s) above 1e-6 "
                             f"(first: {', '.join(bad[:5])})")
            if sol.status == T.OPTIMAL:
                sol.status = T.SOLVER_ERROR
                sol.message = ("the solver reported optimal but its solution violates constraints: "
                               + ", ".join(bad[:5]))
    if options.ranging and sol.status == T.OPTIMAL and not lp.is_mip and sol.ranging is None \
            and solver == "highs":
        # PuLP / Pyomo do not expose ranging: HiGHS computes it on the same matrix.
        t0 = time.perf_counter()
        sol.ranging = highs.ranging_only(lp, options)
        sol.timings["ranging"] = time.perf_counter() - t0
    if not sol.message:
        sol.message = T.STATUS_TEXT.get(sol.status, sol.status)
        if sol.status == T.TIME_LIMIT_FEASIBLE and lp.is_mip:
            gap = sol.mip_gap
            sol.message += (f" (MIP gap {gap:.2%}: the best possible plan costs at most that much less)"
                            if gap is not None and np.isfinite(gap) else " (MIP gap not reported by this solver)")
    return sol
