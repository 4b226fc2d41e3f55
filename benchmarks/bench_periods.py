#!/usr/bin/env python
"""Periods within years: the monthly risk sample (6 years x 12 months, 10 scenarios) from workbook
to written risk workbook, against the 5 s limit of issue 14, and the annual sample's optimum at
1, 4 and 12 periods (its disruptions carry no start month, so they spread evenly and the optimum
must not move).

    python benchmarks/bench_periods.py [--repeat 3]

Printed: the extensive form's size, the wall time of ``run_risk`` (read, validate, build, solve RP,
EV, EEV and the wait-and-see problems, time-to-survive, write the workbook with its period sheets)
per repeat, the best and the median, their ratio to the limit, the peak RSS of this process, and
the annual sample's objective at each resolution.  Nothing is asserted: it is a measurement.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from optimizer.risk.run import run_risk  # noqa: E402
from optimizer.risk.subproblems import peak_rss_mb  # noqa: E402

MONTHLY = ROOT / "inputs" / "korea_2025_2030_monthly_risk.xlsx"
ANNUAL = ROOT / "inputs" / "korea_2024_2030_risk.xlsx"
LIMIT_S = 5.0


def monthly(repeat: int) -> None:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            t0 = time.perf_counter()
            res, _, _, out = run_risk(MONTHLY, Path(tmp) / f"monthly_{i}.xlsx")
            times.append(time.perf_counter() - t0)
    lp = res.model.lp
    print(f"monthly sample: {len(res.scenarios)} scenarios, 2025-2030 x 12 months; extensive form "
          f"{lp.num_cols:,} columns x {lp.num_rows:,} rows; status {res.status}, objective {res.objective:,.3f} M")
    print("  solve -> write (s): " + ", ".join(f"{t:.2f}" for t in times))
    best, med = min(times), statistics.median(times)
    print(f"  best {best:.2f} s = {best / LIMIT_S:.2f} x the {LIMIT_S:g} s limit; median {med:.2f} s = "
          f"{med / LIMIT_S:.2f} x; peak RSS {peak_rss_mb():,.0f} MB")


def annual() -> None:
    from models.periods import periods_of
    from optimizer.risk import run as RUN
    from optimizer.sourcing import validate as V
    load = V.load_and_validate
    objs = {}
    for P in (1, 4, 12):
        RUN.load_and_validate = (lambda path, P=P: load(path).with_settings(periods_per_year=P))
        try:
            res, *_ = run_risk(ANNUAL, None, with_vss=False)
        finally:
            RUN.load_and_validate = load
        objs[P] = res.objective
        assert periods_of(res.model.base.data) == P
    base = objs[1]
    print("annual risk sample (no start months): objective " + "; ".join(
        f"{P} period(s) {v:,.6f} M (rel. diff {abs(v - base) / abs(base):.1e})" for P, v in objs.items()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    monthly(max(1, args.repeat))
    annual()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
