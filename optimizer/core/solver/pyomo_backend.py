"""Pyomo backend: a thin adapter turning the LinearProgram into a ConcreteModel.

One indexed variable ``x[j]`` and one indexed constraint ``c[i]`` (ranged rows are
native in Pyomo), each row built as a ``LinearExpression`` from the CSR arrays.
HiGHS runs through Pyomo's ``pyomo.contrib.solver`` HiGHS interface (never
``SolverFactory('highs')``, which looks for an ASL executable); CBC through
``SolverFactory('cbc')`` pointed at PuLP's bundled binary when none is on PATH.
Solutions are loaded only after the termination condition is checked.
"""
from __future__ import annotations

import os
import shutil
import time

import numpy as np

from models.lp import LinearProgram
from optimizer.core.solver import highs
from optimizer.core.solver import types as T
from optimizer.core.solver.types import Solution, SolveOptions, SolverUnavailable


def _pyomo():
    """(pyomo.environ, LinearExpression), imported on first use (0.35 s; most runs never need it)."""
    try:
        import pyomo.environ as pyo
        from pyomo.core.expr.numeric_expr import LinearExpression
    except ImportError:  # pragma: no cover
        raise SolverUnavailable("Pyomo is not installed: pip install 'pyomo>=6.9,<6.11'") from None
    return pyo, LinearExpression


def build(lp: LinearProgram):
    pyo, LinearExpression = _pyomo()
    cost, cl, cu, rl, ru, integer = lp.arrays()
    m = pyo.ConcreteModel(name=lp.name)
    n = lp.num_cols
    m.J = pyo.RangeSet(0, n - 1) if n else pyo.Set(initialize=[])
    lower = [None if np.isinf(v) else float(v) for v in cl]
    upper = [None if np.isinf(v) else float(v) for v in cu]
    m.x = pyo.Var(m.J, bounds=lambda _m, j: (lower[j], upper[j]),
                  domain=lambda _m, j: pyo.Integers if integer[j] else pyo.Reals)
    x = [m.x[j] for j in range(n)]
    nz = np.flatnonzero(cost)
    m.obj = pyo.Objective(expr=LinearExpression(constant=0.0, linear_coefs=[float(cost[j]) for j in nz],
                                                linear_vars=[x[j] for j in nz]), sense=pyo.minimize)
    start, index, value = lp.csr()
    live = [i for i in range(lp.num_rows) if start[i + 1] > start[i]]

    def row_rule(_m, i):
        a, b = start[i], start[i + 1]
        expr = LinearExpression(constant=0.0, linear_coefs=[float(v) for v in value[a:b]],
                                linear_vars=[x[j] for j in index[a:b]])
        lo = None if np.isinf(rl[i]) else float(rl[i])
        hi = None if np.isinf(ru[i]) else float(ru[i])
        if lo is not None and lo == hi:
            return expr == hi
        return (lo, expr, hi)

    m.I = pyo.Set(initialize=live, ordered=True)
    m.c = pyo.Constraint(m.I, rule=row_rule)
    return m, x


def _cbc_executable() -> str | None:
    found = shutil.which("cbc")
    if found:
        return found
    try:
        import warnings

        import pulp
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            path = pulp.PULP_CBC_CMD(msg=False).path
        return path if path and os.path.exists(path) else None
    except Exception:
        return None


def solve(lp: LinearProgram, options: SolveOptions, solver: str = "highs") -> Solution:
    t0 = time.perf_counter()
    m, x = build(lp)
    t1 = time.perf_counter()
    timings = {"build_backend": t1 - t0}
    if solver == "highs":
        sol = _solve_highs(lp, m, x, options, timings)
    else:
        sol = _solve_cbc(lp, m, x, options, timings)
    return sol


def _solve_highs(lp, m, x, options, timings) -> Solution:
    from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition as TC
    from pyomo.contrib.solver.solvers.highs import Highs

    opt = Highs()
    if not opt.available():
        raise SolverUnavailable("Pyomo's HiGHS interface needs highspy: pip install highspy")
    solver_options = {} if options.presolve else {"presolve": "off"}
    t1 = time.perf_counter()
    res = opt.solve(m, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                    time_limit=options.time_limit, rel_gap=options.mip_gap, threads=options.threads,
                    solver_options=solver_options)
    t2 = time.perf_counter()
    timings["solve"] = t2 - t1
    tc = res.termination_condition
    has_sol = res.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
    if tc == TC.convergenceCriteriaSatisfied:
        status = T.OPTIMAL
    elif tc == TC.provenInfeasible:
        status = T.INFEASIBLE
    elif tc == TC.unbounded:
        status = T.UNBOUNDED
    elif tc == TC.infeasibleOrUnbounded:
        status = T.INFEASIBLE_OR_UNBOUNDED
    elif tc in (TC.maxTimeLimit, TC.iterationLimit, TC.interrupted, TC.objectiveLimit):
        status = T.TIME_LIMIT_FEASIBLE if has_sol else T.TIME_LIMIT_NO_SOLUTION
    else:
        status = T.SOLVER_ERROR
    sol = Solution(status, "", "pyomo", "highs", timings=timings)
    if status in (T.OPTIMAL, T.TIME_LIMIT_FEASIBLE) and has_sol:
        res.solution_loader.load_vars()
        sol.x = np.array([v.value if v.value is not None else 0.0 for v in x], dtype=float)
        sol.objective = float(res.incumbent_objective) if res.incumbent_objective is not None else None
        if options.want_duals and status == T.OPTIMAL:
            _duals(lp, m, x, sol, options, lambda: (res.solution_loader.get_duals(),
                                                    res.solution_loader.get_reduced_costs()))
    timings["extract"] = time.perf_counter() - t2
    return sol


def _solve_cbc(lp, m, x, options, timings) -> Solution:
    pyo, _ = _pyomo()
    from pyomo.opt import TerminationCondition as TC

    exe = _cbc_executable()
    if exe is None:
        raise SolverUnavailable("CBC is not available: install it (apt-get install coinor-cbc) or "
                                "pip install 'pulp>=3.3.2,<3.4', which bundles a CBC binary")
    opt = pyo.SolverFactory("cbc", executable=exe)
    if options.time_limit is not None:
        opt.options["seconds"] = float(options.time_limit)
    if not lp.is_mip:
        m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
        m.rc = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    t1 = time.perf_counter()
    res = opt.solve(m, load_solutions=False)
    t2 = time.perf_counter()
    timings["solve"] = t2 - t1
    tc = res.solver.termination_condition
    if tc == TC.optimal:
        status = T.OPTIMAL
    elif tc in (TC.infeasible,):
        status = T.INFEASIBLE
    elif tc == TC.unbounded:
        status = T.UNBOUNDED
    elif tc == TC.infeasibleOrUnbounded:
        status = T.INFEASIBLE_OR_UNBOUNDED
    elif tc in (TC.maxTimeLimit, TC.maxIterations):
        status = T.TIME_LIMIT_FEASIBLE if len(res.solution) else T.TIME_LIMIT_NO_SOLUTION
    else:
        status = T.SOLVER_ERROR
    sol = Solution(status, "", "pyomo", "cbc", timings=timings)
    if status in (T.OPTIMAL, T.TIME_LIMIT_FEASIBLE) and len(res.solution):
        m.solutions.load_from(res)
        # CBC leaves out of its answer a column that appears in no row and costs nothing: it sits
        # at the bound nearest zero, and the objective is computed from the vector, not pyomo.
        cost, cl, cu = lp.arrays()[:3]
        sol.x = np.array([v.value if v.value is not None else float(np.clip(0.0, cl[j], cu[j]))
                          for j, v in enumerate(x)], dtype=float)
        sol.objective = float(cost @ sol.x)
        if options.want_duals and status == T.OPTIMAL:
            _duals(lp, m, x, sol, options, lambda: (m.dual, m.rc))
    timings["extract"] = time.perf_counter() - t2
    return sol


def _duals(lp, m, x, sol, options, getter) -> None:
    if lp.is_mip:
        highs.attach_fixed_integer_duals(lp, sol, options)
        return
    duals, rcs = getter()
    row = np.zeros(lp.num_rows)
    for i in m.I:
        row[i] = float(duals.get(m.c[i], 0.0) or 0.0)
    sol.row_duals = row
    sol.col_duals = np.array([float(rcs.get(v, 0.0) or 0.0) for v in x], dtype=float)
