#!/usr/bin/env python
"""The L-shaped method (``sourcing risk --method benders``) against raw HiGHS on the extensive form,
same instance, same machine, same run.

    python benchmarks/bench_decompose.py --scenarios 100                    # to 1e-6; EF to its optimum
    python benchmarks/bench_decompose.py --scenarios 500 --gap 1e-3         # EF given the same wall time
    python benchmarks/bench_decompose.py --scenarios 500 --gap 1e-3 --raw-limit 600

The instance is bench_stochastic.py's (``--size`` MxSxT synthetic sourcing data, ``--scenarios``
random disruption scenarios, alpha 0.95, beta 1).  Measured:

* ours: the two-stage structure built from the workbook-free data (``two_stage_form``), the
  expected-value problem (the starting plan), and the L-shaped method over ``--workers`` worker
  processes (one HiGHS thread each; the master in this process) until the certified relative gap
  ``--gap`` (or ``--time-limit``); wall time end to end, the bounds, the gap, iterations, master and
  subproblem time, peak RSS of this process and of each worker;
* raw: ``Highs(); passModel(); run()`` on the extensive form's arrays (built beforehand, untimed),
  in a child process of its own (its peak RSS, Linux's VmHWM, is its own), with HiGHS's default
  threads, stopped at
  ``--raw-limit`` seconds (default: ours' wall time, i.e. "given the same time"; 0 = no limit).  At a
  time limit the status is printed with the objective of HiGHS's current point and its dual
  objective (a valid lower bound only when HiGHS reports the dual point feasible).

Printed: both rows, the ratio ours/raw of wall times when both finish, and |ours - raw| / |raw|
when raw proves its optimum (target 1e-6 with --gap 1e-6).  Nothing is asserted.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import numpy as np  # noqa: E402

from optimizer.risk.subproblems import peak_rss_mb  # noqa: E402  (VmHWM: a child's own peak, not its parent's)

from bench_solve import prepare_raw, size_shape  # noqa: E402
from bench_stochastic import random_scenarios  # noqa: E402
from synthetic import synthetic_data  # noqa: E402


def instance(size: str, scenarios: int, seed: int):
    from models.sourcing import build_model
    m, s, t, d = size_shape(size)
    data = synthetic_data(m, s, t, seed=seed, density=d)
    base = build_model(data)
    avail, spot, prob = random_scenarios(base.offers, scenarios, seed)
    return data, base, avail, spot, prob


def ours(size, scenarios, seed, alpha, beta, gap, time_limit, workers, progress=True) -> dict:
    from models.stochastic_twostage import two_stage_form
    from optimizer.core.progress import BoundsLine
    from optimizer.risk.decompose import open_pool, solve_two_stage
    data, base, avail, spot, prob = instance(size, scenarios, seed)
    t0 = time.perf_counter()
    st = two_stage_form(data, avail, spot, prob, alpha, beta, base=base)
    t1 = time.perf_counter()
    line = BoundsLine("benders", enabled=None, every=30.0) if progress else None
    with open_pool(st.ts, "processes" if workers > 1 else "local", workers) as pool:
        t2 = time.perf_counter()
        ans = solve_two_stage(st.ts, "benders", pool, gap=gap, time_limit=time_limit, with_vss=False,
                              progress=line)
        t3 = time.perf_counter()
        worker_rss = [float(v) for v in pool.call("peak_rss_mb")]
    if line is not None:
        line.close()
    r = ans.result
    return {"wall": t3 - t0, "structure": t1 - t0, "pool start": t2 - t1, "solve": t3 - t2,
            "status": r.status, "upper": r.objective, "lower": r.lower_bound, "gap": r.gap,
            "iterations": r.iterations, "master": r.timings.get("master", np.nan),
            "subproblems": r.timings.get("subproblems", np.nan), "cuts": r.timings.get("cuts in master"),
            "rss": peak_rss_mb(), "worker_rss": worker_rss, "workers": r.workers}


def _raw_child(conn, size, scenarios, seed, alpha, beta, limit, threads):
    """In a fresh process: build the EF (untimed), then raw highspy with the time limit."""
    import highspy
    from models.stochastic import build_extensive_form
    data, base, avail, spot, prob = instance(size, scenarios, seed)
    ef = build_extensive_form(data, avail, spot, prob, alpha, beta, base=base)
    p = prepare_raw(ef.lp)
    n_cols, n_rows = ef.lp.num_cols, ef.lp.num_rows
    del ef
    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    if limit:
        h.setOptionValue("time_limit", float(limit))
    h.passModel(p["num_col"], p["num_row"], p["num_nz"], 1, 1, 0.0, p["cost"], p["cl"], p["cu"],
                p["rl"], p["ru"], p["start"], p["index"], p["value"], p["integrality"])
    h.run()
    t1 = time.perf_counter()
    info = h.getInfo()
    feasible = highspy.SolutionStatus.kSolutionStatusFeasible
    dual_ok = info.dual_solution_status == feasible
    dual = _dual_objective(h, p) if dual_ok else np.nan
    conn.send({"wall": t1 - t0, "status": h.modelStatusToString(h.getModelStatus()),
               "objective": float(info.objective_function_value),
               "primal_feasible": info.primal_solution_status == feasible, "dual_feasible": dual_ok,
               "dual_objective": float(dual),
               "iterations": int(info.simplex_iteration_count), "rss": peak_rss_mb(), "cols": n_cols, "rows": n_rows,
               "nnz": int(p["num_nz"])})


def _dual_objective(h, p) -> float:
    """sum_i pi_i b_i + sum_j d_j g_j over the bounds each dual's sign selects: the dual point's
    objective, a lower bound on the LP's optimum when that point is dual feasible."""
    s = h.getSolution()
    pi, d = np.asarray(s.row_dual, float), np.asarray(s.col_dual, float)
    b = np.where(pi > 0, p["rl"], p["ru"])
    g = np.where(d > 0, p["cl"], p["cu"])
    big = 1e29
    if np.any((np.abs(b) >= big) & (pi != 0)) or np.any((np.abs(g) >= big) & (np.abs(d) > 1e-7)):
        return -np.inf
    keep_g = np.abs(g) < big
    return float(pi[pi != 0] @ b[pi != 0] + d[keep_g] @ g[keep_g])


def raw(size, scenarios, seed, alpha, beta, limit, threads=None) -> dict:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_raw_child, args=(child, size, scenarios, seed, alpha, beta, limit, threads))
    proc.start()
    child.close()
    try:
        out = parent.recv()
    except EOFError:
        raise SystemExit(f"the raw HiGHS child process failed (exit code {proc.exitcode})")
    proc.join()
    return out


def report(o: dict, r: dict, gap_target: float) -> str:
    f = lambda v: "-" if v is None or not np.isfinite(v) else f"{v:,.1f}"
    lines = [f"ours (benders, {o['workers']}): wall {o['wall']:.1f} s (structure {o['structure']:.2f}, pool start "
             f"{o['pool start']:.1f}, solve {o['solve']:.1f}: master {o['master']:.1f}, subproblems "
             f"{o['subproblems']:.1f}), {o['iterations']} iterations, {o['cuts']} cuts kept; status {o['status']}",
             f"  lower {f(o['lower'])}  upper {f(o['upper'])}  certified gap "
             f"{o['gap']:.2e} (target {gap_target:.0e})",
             f"  peak RSS: this process {o['rss']:,.0f} MB, workers " + ", ".join(f"{v:,.0f}" for v in o["worker_rss"])
             + f" MB (total {o['rss'] + sum(o['worker_rss']):,.0f} MB)",
             f"raw highspy on the EF ({r['cols']:,} columns, {r['rows']:,} rows, {r['nnz']:,} nonzeros): wall "
             f"{r['wall']:.1f} s, status {r['status']}, {r['iterations']:,} simplex iterations",
             f"  objective of its point {f(r['objective'])} (primal feasible: {r['primal_feasible']}); dual objective "
             f"{f(r['dual_objective'])} (a lower bound: {r['dual_feasible']}); peak RSS {r['rss']:,.0f} MB"]
    if r["status"] == "Optimal":
        rel = abs(o["upper"] - r["objective"]) / max(1.0, abs(r["objective"]))
        lines.append(f"ratio ours/raw wall = {o['wall'] / r['wall']:.3f}; |ours - raw| / |raw| = {rel:.2e}; "
                     f"raw optimum inside our bounds: {o['lower'] <= r['objective'] * (1 + 1e-9) + 1e-6}")
    else:
        rgap = ((o["upper"] - r["dual_objective"]) / abs(o["upper"]) if r["dual_feasible"] else np.inf)
        lines.append(f"at {r['wall']:.0f} s raw HiGHS has no proven optimum ({r['status']}); certified gap it gives "
                     f"with our plan: {'none (no valid bound)' if not np.isfinite(rgap) else f'{rgap:.2e}'}; "
                     f"ours reached {o['gap']:.2e} in {o['wall']:.0f} s")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--size", default="10x8x10")
    ap.add_argument("--scenarios", type=int, default=100)
    ap.add_argument("--alpha", type=float, default=0.95)
    ap.add_argument("--beta", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gap", type=float, default=1e-6)
    ap.add_argument("--time-limit", type=float, default=600.0, help="ours: stop after S s (default 600)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--raw-limit", type=float, default=None,
                    help="raw HiGHS time limit (default: ours' wall time; 0: none)")
    ap.add_argument("--no-raw", action="store_true", help="skip raw HiGHS")
    a = ap.parse_args(argv)
    print(f"instance {a.size}, {a.scenarios} scenarios, alpha {a.alpha}, beta {a.beta}, seed {a.seed}")
    o = ours(a.size, a.scenarios, a.seed, a.alpha, a.beta, a.gap, a.time_limit, a.workers)
    if a.no_raw:
        print(report(o, {"cols": 0, "rows": 0, "nnz": 0, "wall": np.nan, "status": "skipped", "iterations": 0,
                         "objective": np.nan, "primal_feasible": False, "dual_objective": np.nan,
                         "dual_feasible": False, "rss": 0.0}, a.gap).rsplit("\n", 3)[0])
        return 0
    limit = o["wall"] if a.raw_limit is None else a.raw_limit
    r = raw(a.size, a.scenarios, a.seed, a.alpha, a.beta, limit)
    print(report(o, r, a.gap))
    return 0


if __name__ == "__main__":
    sys.exit(main())
