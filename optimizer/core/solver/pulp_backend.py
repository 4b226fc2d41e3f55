"""PuLP backend: a thin adapter turning the LinearProgram's rows into PuLP objects.

Names are generated (``x0000012``, ``r0000007``) and never built from user text
(PuLP mangles characters and CBC's LP reader has length and charset limits); the
LinearProgram's block tables are the side table mapping them back to labels.
Ranged rows become two PuLP constraints.  HiGHS runs in-process through
``pulp.HiGHS``; CBC through PuLP's bundled binary in a private temporary folder.
"""
from __future__ import annotations

import tempfile
import time
import warnings

import numpy as np

from models.lp import LinearProgram
from optimizer.core.solver import highs
from optimizer.core.solver import types as T
from optimizer.core.solver.types import Solution, SolveOptions, SolverUnavailable


def _pulp():
    """PuLP, imported on first use (it costs 0.2 s, and most runs never need it)."""
    try:
        import pulp
    except ImportError:  # pragma: no cover
        raise SolverUnavailable("PuLP is not installed: pip install 'pulp>=3.3.2,<3.4'") from None
    return pulp


def build(lp: LinearProgram):
    """Return (problem, variables, [(row index, PuLP constraint, 'lo'|'hi'|'eq')])."""
    pulp = _pulp()
    cost, cl, cu, rl, ru, integer = lp.arrays()
    prob = pulp.LpProblem(lp.name, pulp.LpMinimize)
    cat_int, cat_cont = pulp.LpInteger, pulp.LpContinuous
    xs = [prob.add_variable(f"x{j:07d}",
                            None if np.isinf(cl[j]) else float(cl[j]),
                            None if np.isinf(cu[j]) else float(cu[j]),
                            cat_int if integer[j] else cat_cont)
          for j in range(lp.num_cols)]
    nz = np.flatnonzero(cost)
    prob.setObjective(pulp.LpAffineExpression([(xs[j], float(cost[j])) for j in nz]))
    start, index, value = lp.csr()
    rows = []
    for i in range(lp.num_rows):
        a, b = start[i], start[i + 1]
        if a == b:
            continue  # an empty row constrains nothing (0 is checked against its bounds later)
        expr = pulp.LpAffineExpression([(xs[j], float(v)) for j, v in zip(index[a:b], value[a:b])])
        lo, hi = rl[i], ru[i]
        if lo == hi:
            name = f"r{i:07d}"
            con = pulp.LpConstraint(expr, pulp.LpConstraintEQ, name, float(hi))
            prob.addConstraint(con)
            rows.append((i, con, "eq"))
            continue
        if np.isfinite(lo):
            name = f"r{i:07d}l"
            con = pulp.LpConstraint(expr, pulp.LpConstraintGE, name, float(lo))
            prob.addConstraint(con)
            rows.append((i, con, "lo"))
        if np.isfinite(hi):
            name = f"r{i:07d}u"
            con = pulp.LpConstraint(expr, pulp.LpConstraintLE, name, float(hi))
            prob.addConstraint(con)
            rows.append((i, con, "hi"))
    return prob, xs, rows


def _solver(options: SolveOptions, solver: str, tmpdir: str):
    pulp = _pulp()
    if solver == "highs":
        extra = {} if options.presolve else {"presolve": "off"}
        s = pulp.HiGHS(msg=False, timeLimit=options.time_limit, gapRel=options.mip_gap,
                       threads=options.threads, **extra)
        if not s.available():
            raise SolverUnavailable("HiGHS for PuLP needs highspy: pip install highspy")
        return s
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        s = pulp.PULP_CBC_CMD(msg=False, timeLimit=options.time_limit, gapRel=options.mip_gap,
                              keepFiles=False, threads=options.threads)
    if not s.available():
        raise SolverUnavailable(
            "CBC is not available: PuLP 3.3 on Python 3.11 bundles it (pip install 'pulp>=3.3.2,<3.4'); "
            "otherwise install it with apt-get install coinor-cbc")
    s.tmpDir = tmpdir
    return s


def _status(prob, solver: str) -> str:
    pulp = _pulp()
    if solver == "highs" and getattr(prob, "solverModel", None) is not None:
        return highs.map_status(prob.solverModel)
    st, sol = prob.status, prob.sol_status
    if st == pulp.LpStatusOptimal:
        return T.OPTIMAL if sol == pulp.LpSolutionOptimal else T.TIME_LIMIT_FEASIBLE
    if st == pulp.LpStatusInfeasible:
        return T.INFEASIBLE
    if st == pulp.LpStatusUnbounded:
        return T.UNBOUNDED
    if st == pulp.LpStatusNotSolved:
        return T.TIME_LIMIT_NO_SOLUTION
    return T.SOLVER_ERROR


def solve(lp: LinearProgram, options: SolveOptions, solver: str = "highs") -> Solution:
    pulp = _pulp()
    t0 = time.perf_counter()
    prob, xs, rows = build(lp)
    t1 = time.perf_counter()
    timings = {"build_backend": t1 - t0}
    with tempfile.TemporaryDirectory(prefix="sourcing-pulp-") as tmpdir:
        s = _solver(options, solver, tmpdir)
        prob.checkDuplicateVars()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                prob.solve(s)
        except pulp.PulpSolverError as exc:
            return Solution(T.SOLVER_ERROR, f"{solver} failed: {exc}", "pulp", solver, timings=timings)
    t2 = time.perf_counter()
    timings["solve"] = t2 - t1
    status = _status(prob, solver)
    notes = []
    sol = Solution(status, "", "pulp", solver, timings=timings, notes=notes)
    if lp.is_mip and solver == "highs" and getattr(prob, "solverModel", None) is not None:
        sol.mip_gap = float(prob.solverModel.getInfo().mip_gap)
    if status in (T.OPTIMAL, T.TIME_LIMIT_FEASIBLE):
        sol.x = np.array([v.varValue if v.varValue is not None else 0.0 for v in xs], dtype=float)
        sol.objective = float(pulp.value(prob.objective) or 0.0)
        if options.want_duals and status == T.OPTIMAL:
            if lp.is_mip:
                highs.attach_fixed_integer_duals(lp, sol, options)
            else:
                duals = np.zeros(lp.num_rows)
                for i, con, _ in rows:
                    pi = con.pi
                    if pi is not None:
                        duals[i] += float(pi)
                sol.row_duals = duals
                sol.col_duals = np.array([v.dj if v.dj is not None else 0.0 for v in xs], dtype=float)
    timings["extract"] = time.perf_counter() - t2
    return sol
