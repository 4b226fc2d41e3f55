#!/usr/bin/env python
"""What exact sensitivity ranges cost: the China caps' prices and ranges found by re-solves
(:func:`optimizer.sourcing.sensitivity.cap_table`) against one raw highspy solve of the same LP.

    python benchmarks/bench_sensitivity.py [--sizes sample,small,100k] [--seed S]

For each case it prints: the cap rows analysed, the re-solves they took (warm-started from
the previous basis, one model in memory), the time of one raw ``Highs(); passModel(); run()``
of the LP, the time of the exact ranges, and the ratios ``exact / raw solve`` and
``time per re-solve / raw solve`` (the limit a warm re-solve is measured against: it should
cost a fraction of a cold solve); then the time of the dual-and-ranging table and which of the
two ``--sensitivity auto`` picks at that size.  Nothing is asserted: it is a measurement.  ``sample`` is
the bundled workbook; the others are presets of :mod:`benchmarks.synthetic`.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from bench_solve import prepare_raw, raw_highspy  # noqa: E402
from synthetic import preset_data  # noqa: E402

SAMPLE = ROOT / "inputs" / "korea_2024_2030.xlsx"


def case_data(name: str, seed: int):
    if name == "sample":
        from optimizer.sourcing.validate import load_and_validate
        return load_and_validate(str(SAMPLE))
    return preset_data(name, seed)


def measure(name: str, seed: int = 0) -> dict:
    from models.sourcing import build_model
    from optimizer.core.solver import SolveOptions, persistent, solve_lp
    from optimizer.sourcing.sensitivity import cap_table, exact_wanted

    data = case_data(name, seed)
    model = build_model(data)
    raw = raw_highspy(prepare_raw(model.lp))
    sol = solve_lp(model.lp, SolveOptions(ranging=False))
    runs = {"n": 0}
    real = persistent.HighsResolver.run

    def counted(self):
        runs["n"] += 1
        return real(self)
    persistent.HighsResolver.run = counted
    try:
        t0 = time.perf_counter()
        table = cap_table(model, sol, SolveOptions(), mode="exact")
        elapsed = time.perf_counter() - t0
    finally:
        persistent.HighsResolver.run = real
    t0 = time.perf_counter()
    cap_table(model, sol, SolveOptions(), mode="dual")
    dual_s = time.perf_counter() - t0
    return {"case": name, "rows": len(table), "exact": int(table["range_exact"].sum()),
            "resolves": runs["n"], "raw_s": raw["raw"], "ranges_s": elapsed, "dual_s": dual_s,
            "cols": model.lp.num_cols, "auto": "exact" if exact_wanted(model.lp, "auto") else "dual"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="sample,small,100k")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(f"{'case':<8} {'columns':>9} {'cap rows':>8} {'re-solves':>9} {'raw solve s':>11} "
          f"{'exact s':>8} {'exact/raw':>9} {'per re-solve/raw':>16} {'dual s':>7} {'auto':>5}")
    for name in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        r = measure(name, args.seed)
        per = r["ranges_s"] / max(1, r["resolves"])
        print(f"{r['case']:<8} {r['cols']:>9,} {r['rows']:>8} {r['resolves']:>9} "
              f"{r['raw_s']:>11.3f} {r['ranges_s']:>8.3f} {r['ranges_s'] / r['raw_s']:>8.1f}x "
              f"{per / r['raw_s']:>15.3f}x {r['dual_s']:>7.3f} {r['auto']:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
