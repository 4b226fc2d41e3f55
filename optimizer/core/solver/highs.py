"""Native backend: the LP's sparse matrix goes straight into HiGHS (highspy).

No modelling-layer objects and no files: one ``passModel`` call with numpy arrays,
``run``, then the primal/dual vectors are read back as arrays.  This is the default
path and the one benchmarked against raw highspy.

The backend contract (every module in :mod:`optimizer.core.solver.registry`):
``solve(lp, options, solver) -> Solution`` with a neutral status, ``x`` and the objective
when there is a solution, duals with the sign convention of :mod:`.types` when asked,
raising :class:`~optimizer.core.solver.types.SolverUnavailable` when it cannot run.
"""
from __future__ import annotations

import os
import sys
import resource
import time

import numpy as np

from models.lp import LinearProgram
from optimizer.core.solver import types as T
from optimizer.core.solver.types import Ranging, Solution, SolveOptions, SolverUnavailable

try:
    import highspy
except ImportError:  # pragma: no cover - highspy is a hard dependency
    highspy = None

_INF = 1e30  # converted to HiGHS's own infinity below
_banner_silenced = False
_process_threads: int | None = None


def set_process_threads(threads: int | None) -> None:
    """The HiGHS ``threads`` option for every solve of this process that does not set its own.

    HiGHS sizes ONE thread scheduler per process at its first run and refuses a later run asking
    for another size, so a process that runs many small solves next to others (a worker of a
    decomposition: one HiGHS thread each) sets this before its first solve."""
    global _process_threads
    _process_threads = threads


def silence_banner() -> None:
    """HiGHS prints a copyright banner to the C-level stdout the first time a solver object
    is created in a process (whoever creates it: us, PuLP or Pyomo).  Create that first one
    with file descriptor 1 pointed at /dev/null so a user's terminal shows only our summary."""
    global _banner_silenced
    if _banner_silenced or highspy is None:
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _banner_silenced = True


def new_highs(options: SolveOptions):
    if highspy is None:
        raise SolverUnavailable("HiGHS is not installed: pip install highspy")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    if not options.presolve:
        h.setOptionValue("presolve", "off")
    if options.mip_gap is not None:
        h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    threads = options.threads if options.threads is not None else _process_threads
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    for name, value in (options.tolerances or {}).items():
        h.setOptionValue(name, value)
    return h


def pass_lp(h, lp: LinearProgram, integrality: bool = True) -> None:
    """Hand the whole matrix to HiGHS in one call (column-wise)."""
    cost, cl, cu, rl, ru, integer = lp.arrays()
    start, index, value = lp.csc()
    inf = highspy.kHighsInf
    cl = np.where(np.isinf(cl), -inf, cl)
    cu = np.where(np.isinf(cu), inf, cu)
    rl = np.where(np.isinf(rl), -inf, rl)
    ru = np.where(np.isinf(ru), inf, ru)
    integ = integer.astype(np.int32) if integrality else np.zeros(lp.num_cols, np.int32)
    status = h.passModel(lp.num_cols, lp.num_rows, int(value.size), 1, 1, 0.0,
                         cost, cl, cu, rl, ru, start.astype(np.int32), index.astype(np.int32),
                         value.astype(float), integ)
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model (passModel returned an error)")


def map_status(h) -> str:
    ms = h.getModelStatus()
    S = highspy.HighsModelStatus
    info = h.getInfo()
    has_primal = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    if ms == S.kOptimal:
        return T.OPTIMAL
    if ms == S.kInfeasible:
        return T.INFEASIBLE
    if ms == S.kUnbounded:
        return T.UNBOUNDED
    if ms == S.kUnboundedOrInfeasible:
        return T.INFEASIBLE_OR_UNBOUNDED
    if ms in (S.kTimeLimit, S.kIterationLimit, S.kInterrupt, S.kSolutionLimit, S.kObjectiveBound,
              S.kObjectiveTarget):
        return T.TIME_LIMIT_FEASIBLE if has_primal else T.TIME_LIMIT_NO_SOLUTION
    return T.SOLVER_ERROR


def watch(h, progress, every: float = 0.5) -> None:
    """Call ``progress(iterations, objective, seconds)`` from HiGHS's simplex and IPM interrupt
    callbacks, at most once per ``every`` seconds (the objective is the algorithm's current one: a
    bound only once HiGHS proves the optimum)."""
    t0 = time.perf_counter()
    last = [t0 - every]

    def tick(event):
        now = time.perf_counter()
        if now - last[0] >= every:
            last[0] = now
            d = event.data_out
            progress(int(d.simplex_iteration_count + d.ipm_iteration_count), float(d.objective_function_value),
                     now - t0)

    h.cbSimplexInterrupt.subscribe(tick)
    h.cbIpmInterrupt.subscribe(tick)


def _run(lp, options):
    h = new_highs(options)
    t0 = time.perf_counter()
    pass_lp(h, lp)
    t1 = time.perf_counter()
    if options.progress is not None:
        watch(h, options.progress)
    h.run()
    t2 = time.perf_counter()
    return h, {"pass_model": t1 - t0, "solve": t2 - t1}


def near_memory_limit(fraction: float = 0.85) -> bool:
    """True when the process runs under an address-space limit (a web job, a corpus child) and its
    peak virtual memory came within ``fraction`` of it: a solver error then means HiGHS could not
    allocate, and is reported as the memory limit it is, not as a solver failure."""
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft in (resource.RLIM_INFINITY, -1) or soft <= 0:
            return False
        with open("/proc/self/status", encoding="ascii") as f:
            peak = next((int(line.split()[1]) * 1024 for line in f if line.startswith("VmPeak:")), 0)
    except (OSError, ValueError, StopIteration):
        return False
    return peak >= fraction * soft


def solve(lp: LinearProgram, options: SolveOptions, solver: str = "highs") -> Solution:
    if solver != "highs":
        raise SolverUnavailable("the native backend drives HiGHS only; use --backend pulp for CBC")
    try:
        h, timings = _run(lp, options)
    except RuntimeError:
        if near_memory_limit():
            raise MemoryError("HiGHS could not allocate the model within this process's memory limit") from None
        raise
    status = map_status(h)
    if status == T.SOLVER_ERROR and near_memory_limit():
        raise MemoryError("HiGHS stopped with an error at this process's memory limit")
    notes = []
    sol = Solution(status, "", "native", "highs", timings=timings, notes=notes)
    info = h.getInfo()
    if status in (T.OPTIMAL, T.TIME_LIMIT_FEASIBLE):
        t0 = time.perf_counter()
        s = h.getSolution()
        sol.x = np.asarray(s.col_value, dtype=float)
        sol.objective = float(info.objective_function_value)
        if lp.is_mip:
            sol.mip_gap = float(info.mip_gap)
            if options.want_duals and status == T.OPTIMAL:
                fixed = fixed_integer_lp_duals(lp, sol.x, options)
                if fixed is not None:
                    sol.row_duals, sol.col_duals = fixed
                    sol.duals_indicative = True
        elif options.want_duals and s.dual_valid:
            sol.row_duals = np.asarray(s.row_dual, dtype=float)
            sol.col_duals = np.asarray(s.col_dual, dtype=float)
        t1 = time.perf_counter()
        if options.ranging and status == T.OPTIMAL and not lp.is_mip:
            sol.ranging = read_ranging(h, lp)
            timings["ranging"] = time.perf_counter() - t1
        timings["extract"] = t1 - t0
    return sol


def fixed_integer_lp_duals(lp: LinearProgram, x: np.ndarray, options: SolveOptions):
    """Fix integer columns at their (rounded) values, re-solve the LP, return its duals."""
    h = new_highs(SolveOptions(time_limit=options.time_limit, threads=options.threads))
    pass_lp(h, lp, integrality=False)
    _, _, _, _, _, integer = lp.arrays()
    idx = np.flatnonzero(integer).astype(np.int32)
    vals = np.round(x[idx])
    h.changeColsBounds(int(idx.size), idx, vals, vals)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    s = h.getSolution()
    return np.asarray(s.row_dual, dtype=float), np.asarray(s.col_dual, dtype=float)


def attach_fixed_integer_duals(lp: LinearProgram, sol: Solution, options: SolveOptions) -> None:
    """For a MIP solved by another backend: the duals of the LP with the integers fixed at the
    solution (HiGHS), marked indicative."""
    fixed = fixed_integer_lp_duals(lp, sol.x, options)
    if fixed is not None:
        sol.row_duals, sol.col_duals = fixed
        sol.duals_indicative = True
        sol.notes.append("MIP: duals from HiGHS on the LP with integers fixed")


def read_ranging(h, lp: LinearProgram) -> Ranging | None:
    status, rg = h.getRanging()
    if status != highspy.HighsStatus.kOk:
        return None
    n, m = lp.num_cols, lp.num_rows

    def arr(rec, k):
        a = np.asarray(rec.value_, dtype=float)[:k]
        return np.where(np.abs(a) >= 1e29, np.nan, a)

    return Ranging(
        row_bound_low=arr(rg.row_bound_dn, m), row_bound_high=arr(rg.row_bound_up, m),
        col_cost_low=arr(rg.col_cost_dn, n), col_cost_high=arr(rg.col_cost_up, n),
        col_bound_low=arr(rg.col_bound_dn, n), col_bound_high=arr(rg.col_bound_up, n),
    )


def ranging_only(lp: LinearProgram, options: SolveOptions) -> Ranging | None:
    """Solve ``lp`` with HiGHS and return its ranging (used after PuLP/Pyomo solves)."""
    h, _ = _run(lp, SolveOptions(time_limit=options.time_limit, threads=options.threads))
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return read_ranging(h, lp)
