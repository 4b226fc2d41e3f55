#!/usr/bin/env python
"""Benchmark: the pool's near-optimal alternatives (MGA) serially and on worker processes, in the
same run.

    python benchmarks/bench_batches.py [--workers 2] [--members 12] [--mga-slack 0.03] [--repeat 3]

* **mga**: the near-optimal alternatives of the synthetic pool of :mod:`benchmarks.bench_pool`
  (``--members``; min and max of every source's spend and every member's pooled tonnes, each a
  solve from scratch; ``sourcing pool --workers N``).

Each batch is timed with 1 worker (this process, one HiGHS thread, as the worker processes have)
and with ``--workers`` (worker start-up included), alternating, the minimum over ``--repeat``;
printed with the speed-up and whether the answers are the serial ones bit for bit.  The machine's
load average is printed with each line (other processes on a 2-core machine halve a 2-worker run).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench_pool import synthetic_pool  # noqa: E402
from synthetic import PRESETS, preset_data, synthetic_data  # noqa: E402


def make_data(size: str, seed: int = 0):
    if size in PRESETS:
        return preset_data(size, seed)
    m, s, t = (int(v) for v in size.lower().split("x"))
    return synthetic_data(m, s, t, seed=seed)


def timed(run, workers: int, repeat: int) -> tuple[dict, object, object]:
    """Best times of ``run(1)`` and ``run(workers)`` (alternating) and their last answers."""
    best = {1: np.inf, workers: np.inf}
    answers = {}
    for r in range(max(1, repeat)):
        for w in ((1, workers) if r % 2 == 0 else (workers, 1)):
            t0 = time.perf_counter()
            answers[w] = run(w)
            best[w] = min(best[w], time.perf_counter() - t0)
    return best, answers[1], answers[workers]


def mga_case(members: int, slack: float, workers: int, repeat: int) -> dict:
    from models.pooling import build_pool_model
    from optimizer.core.solver import SolveOptions
    from optimizer.pooling import joint as J
    data = synthetic_pool(members, 0)
    model = build_pool_model(data)
    opts = SolveOptions(mip_gap=1e-9, ranging=False, want_duals=False)
    grand = J.solve_grand(model, opts)
    best, a, b = timed(lambda w: J.alternatives(model, grand, slack, opts, workers=w), workers, repeat)
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        same = True
    except AssertionError:
        same = False
    return {"what": f"MGA, {members}-member pool ({model.lp.num_cols:,} columns), {len(a) - 1} solves "
                    f"(slack {slack:g})", "best": best, "same": same}


def report(r: dict, workers: int) -> str:
    one, par = r["best"][1], r["best"][workers]
    lines = [r["what"],
             f"  1 worker {one:8.3f} s   {workers} workers {par:8.3f} s   speed-up {one / par:5.2f}x   "
             f"identical: {'yes' if r['same'] else 'NO'}   (load {os.getloadavg()[0]:.2f})"]
    if "grid" in r:
        g1, gp = r["grid"][1], r["grid"][workers]
        lines.append(f"  the grid alone: {g1:.3f} s vs {gp:.3f} s ({g1 / gp:.2f}x; the workers started "
                     "during the exact method)")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--members", type=int, default=12, help="members of the synthetic pool (MGA)")
    ap.add_argument("--mga-slack", type=float, default=0.03)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="mga")
    args = ap.parse_args(argv)
    from optimizer.core.solver import set_process_threads
    from optimizer.core.solver.highs import silence_banner
    silence_banner()
    set_process_threads(1)                # the serial runs get one HiGHS thread too
    only = {s.strip() for s in args.only.split(",")}
    print(f"Batches serially and on {args.workers} worker processes (one HiGHS thread each; "
          f"{os.cpu_count()} CPUs here; best of {args.repeat})")
    ok = True
    cases = [("mga", lambda: mga_case(args.members, args.mga_slack, args.workers, args.repeat))]
    for name, case in cases:
        if name in only:
            r = case()
            ok &= r["same"]
            print(report(r, args.workers), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
