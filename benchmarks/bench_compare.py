#!/usr/bin/env python
"""Benchmark: the sample's scenario comparison serially and on worker processes (or a Dask cluster).

    python benchmarks/bench_compare.py [--workbook inputs/korea_2024_2030.xlsx] [--workers 2]
                                       [--scheduler local|ADDRESS] [--no-curves] [--repeat 1]

What ``sourcing compare`` computes after reading the workbook (:func:`optimizer.curves.compare.run_batch`:
the base data and every scenario of the Scenarios sheet solved, each with its exact cost curve
unless ``--no-curves``), timed once with 1 worker (this process, one HiGHS thread, as the worker
processes have) and once with ``--workers`` processes (start-up included), or on a Dask cluster
(``--scheduler local``: a LocalCluster of ``--workers`` processes on 127.0.0.1 started before
timing).  Printed: both times (minimum over ``--repeat``), the speed-up (issue 16's target for
the coalition table, >= 1.7x on 2 workers, is shown for reference) and whether the comparison's
tables are the serial ones (numbers to 1e-9 relative).  The workbook is read once, before timing.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

SPEEDUP_TARGET = 1.7


def same_tables(a: dict, b: dict) -> bool:
    if list(a) != list(b):
        return False
    for name in a:
        try:
            pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-9, atol=1e-9)
        except AssertionError:
            return False
    return True


def run(workbook: str, workers: int = 2, scheduler: str | None = None, curves: bool = True,
        repeat: int = 1, threads: int | None = 1) -> dict:
    from optimizer.core.solver import set_process_threads
    from optimizer.curves.compare import comparison_tables, run_batch
    from optimizer.sourcing.overrides import list_scenarios
    from optimizer.sourcing.validate import load_and_validate
    set_process_threads(threads)                 # the serial run gets one HiGHS thread too
    data = load_and_validate(workbook, scenario="")
    mode = "path" if curves else None
    cluster, start = None, 0.0
    if scheduler:
        from optimizer.core.pool import DaskCluster
        t0 = time.perf_counter()
        cluster = DaskCluster(scheduler, local_workers=workers)
        start, workers = time.perf_counter() - t0, cluster.size
    best = {"serial": np.inf, "parallel": np.inf}
    runs = {}
    try:
        for _ in range(max(1, repeat)):
            for k in ("serial", "parallel"):
                t0 = time.perf_counter()
                runs[k] = run_batch(data, curve_mode=mode, workers=1 if k == "serial" else workers,
                                    pool_factory=cluster.pool if cluster and k == "parallel" else None)
                best[k] = min(best[k], time.perf_counter() - t0)
    finally:
        if cluster:
            cluster.close()
    return {"workbook": workbook, "scenarios": len(list_scenarios(data)), "runs": len(runs["serial"]),
            "workers": workers, "curves": curves, "serial": best["serial"], "parallel": best["parallel"],
            "speedup": best["serial"] / best["parallel"], "scheduler": scheduler, "cluster_start": start,
            "same": same_tables(comparison_tables(runs["serial"]), comparison_tables(runs["parallel"]))}


def report(r: dict) -> str:
    where = "processes" if not r["scheduler"] else (
        "a local Dask cluster on 127.0.0.1" if r["scheduler"] == "local" else f"the Dask cluster at {r['scheduler']}")
    lines = [f"Scenario comparison of {Path(r['workbook']).name}: base + {r['scenarios']} scenarios "
             f"({r['runs']} runs, {'each with its exact cost curve' if r['curves'] else 'no curves'}); "
             f"1 worker vs {r['workers']} workers ({where}, one HiGHS thread each; {os.cpu_count()} CPUs here)"]
    if r["scheduler"]:
        lines.append(f"  cluster start (not in the time)  {r['cluster_start']:8.3f} s")
    lines += [
        f"  1 worker                         {r['serial']:8.3f} s",
        f"  {r['workers']} workers                        {r['parallel']:8.3f} s   (worker start-up included)",
        f"  speed-up                         {r['speedup']:8.2f}x  (reference: >= {SPEEDUP_TARGET:g}x)",
        f"  same tables as the serial run (numbers to 1e-9 relative): {'yes' if r['same'] else 'NO'}"]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workbook", default=str(ROOT / "inputs" / "korea_2024_2030.xlsx"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="the parallel run on this Dask scheduler ('local': a LocalCluster of --workers "
                         "processes on 127.0.0.1; needs the [cluster] extra)")
    ap.add_argument("--no-curves", action="store_true", help="solve the scenarios only, no cost curves")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    print(report(run(args.workbook, args.workers, args.scheduler, not args.no_curves, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
