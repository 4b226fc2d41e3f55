"""Neutral solver types: statuses, options, the solution record, ranging.

Every backend maps its own outcome onto the status constants below, so the rest of the
tool never sees a HiGHS, PuLP or Pyomo status.  "Optimal" means proven optimal.

Dual sign convention (one place, tested on min and max problems): ``row_duals[i]`` is
the change of the minimised objective per unit increase of row i's active bound, and
``col_duals[j]`` (reduced cost) the change per unit increase of column j's active
bound.  For a MIP the integer columns are fixed at their solution values and the LP
re-solved, and the duals are flagged indicative.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Status values (every backend maps onto these).
OPTIMAL = "optimal"                      # proven optimal (LP) / optimal within gap 0 (MIP)
TIME_LIMIT_FEASIBLE = "time_limit_feasible"   # feasible, not proven optimal
TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"
INFEASIBLE = "infeasible"
UNBOUNDED = "unbounded"
INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
SOLVER_ERROR = "solver_error"
SOLVER_MISSING = "solver_missing"

NEEDS_RECHECK = (INFEASIBLE, UNBOUNDED, INFEASIBLE_OR_UNBOUNDED)

STATUS_TEXT = {
    OPTIMAL: "proven optimal",
    TIME_LIMIT_FEASIBLE: "time limit reached: feasible solution, NOT proven optimal",
    TIME_LIMIT_NO_SOLUTION: "time limit reached: no feasible solution found",
    INFEASIBLE: "infeasible: the hard constraints cannot all hold",
    UNBOUNDED: "unbounded: the objective can decrease without limit (a missing bound in the data)",
    INFEASIBLE_OR_UNBOUNDED: "infeasible or unbounded (the solver could not tell which)",
    SOLVER_ERROR: "solver error",
    SOLVER_MISSING: "solver not available",
}


class SolverUnavailable(RuntimeError):
    """The requested solver or backend is not installed; the message says what to install."""


@dataclass
class SolveOptions:
    backend: str = "native"      # a name in the backend registry (optimizer.core.solver.registry)
    solver: str = "highs"        # highs | cbc
    time_limit: float | None = None
    presolve: bool = True
    mip_gap: float | None = None
    threads: int | None = None
    ranging: bool = True         # HiGHS cost and bound ranging (LPs only)
    want_duals: bool = True
    tolerances: dict = field(default_factory=dict)   # e.g. {"primal_feasibility_tolerance": 1e-9} (HiGHS)
    progress: object = None      # native HiGHS: called as progress(iterations, objective, seconds) while it runs


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
        return self.x is not None and self.status in (OPTIMAL, TIME_LIMIT_FEASIBLE)

