"""The solver layer: the only code that imports highspy, PuLP or Pyomo.

* :mod:`.types`      neutral statuses, options, the solution record, ranging;
* :mod:`.registry`   the backends and what each can do;
* :mod:`.adapter`    ``solve_lp``: one solve with status mapping and checks;
* :mod:`.persistent` one model re-solved after small changes (curves, frontier, coalitions);
* :mod:`.highs`, :mod:`.pulp_backend`, :mod:`.pyomo_backend`: the backends.
"""
from optimizer.core.solver.adapter import solve_lp
from optimizer.core.solver.highs import set_process_threads
from optimizer.core.solver.persistent import open_resolver
from optimizer.core.solver.registry import BACKEND_NAMES, BACKENDS, SOLVER_NAMES
from optimizer.core.solver.types import (INFEASIBLE, INFEASIBLE_OR_UNBOUNDED, OPTIMAL, SOLVER_ERROR, SOLVER_MISSING, STATUS_TEXT, TIME_LIMIT_FEASIBLE, TIME_LIMIT_NO_SOLUTION, UNBOUNDED, Ranging, Solution, SolveOptions, SolverUnavailable)

__all__ = ["solve_lp", "open_resolver", "set_process_threads", "BACKENDS", "BACKEND_NAMES", "SOLVER_NAMES", "SolveOptions", "Solution",
           "Ranging", "SolverUnavailable", "STATUS_TEXT", "OPTIMAL", "TIME_LIMIT_FEASIBLE", "TIME_LIMIT_NO_SOLUTION",
           "INFEASIBLE", "UNBOUNDED", "INFEASIBLE_OR_UNBOUNDED", "SOLVER_ERROR", "SOLVER_MISSING"]
