"""What measuring dependence by country and stage costs, against raw HiGHS on the same LP.

For each size, the synthetic instance of ``bench_solve.py`` is given stage origins (every
non-China source's product is refined partly in China, a random share per material and source)
and three policies, each built and solved in the same run:

    direct   the China bloc's direct share capped (the rows of every workbook before stages)
    any      every single country's direct share capped (one row per country and year)
    lt-any   every single country capped on the look-through measure (z columns and link rows)

Printed per policy: rows and columns added, build time, our solve, raw highspy's solve of the
very same arrays (``passModel + run + getSolution``), their ratio, and the analysis (readout
with the dependence tables); peak RSS at the end.  Timings are printed, never asserted.

    .venv/bin/python benchmarks/bench_dependence.py --sizes 10x20x7,100k
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_solve import make_data, prepare_raw, raw_highspy  # noqa: E402
from models.sourcing import build_model  # noqa: E402
from optimizer.core.solver import SolveOptions, solve_lp  # noqa: E402
from optimizer.sourcing.readout import build_result  # noqa: E402


def with_origins(data, seed: int = 0):
    """Refining origins for every non-China offer: a share in China, the rest in the source's country."""
    rng = np.random.default_rng(seed)
    pairs = data.supply[["material", "source"]].drop_duplicates()
    pairs = pairs[pairs["source"] != "CN"].reset_index(drop=True)
    cn = np.round(rng.uniform(0.0, 0.9, len(pairs)), 3)
    org = pd.concat([pairs.assign(stage="refining", country="CN", share=cn),
                     pairs.assign(stage="refining", country=pairs["source"], share=1.0 - cn)], ignore_index=True)
    org["year"] = np.nan
    org = org[org["share"] > 0][["material", "source", "year", "stage", "country", "share"]]
    return replace(data, origins=org.reset_index(drop=True))


def policies(data) -> dict:
    base = data.policy.copy()
    for col, default in (("country", ""), ("stage", "direct")):
        if col not in base:
            base[col] = default
    last = base[base["year"] >= base["year"].max() - 2]
    any_direct = last.assign(country="ANY", stage="direct", max_china_share=0.8)
    any_lt = last.assign(country="ANY", stage="look-through", max_china_share=0.95)
    return {"direct": base, "any": pd.concat([base, any_direct], ignore_index=True),
            "lt-any": pd.concat([base, any_lt], ignore_index=True)}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def one(data, name: str, policy) -> dict:
    d = replace(data, policy=policy)
    t0 = time.perf_counter()
    model = build_model(d)
    build = time.perf_counter() - t0
    opts = SolveOptions(ranging=False)
    t0 = time.perf_counter()
    sol = solve_lp(model.lp, opts)
    ours = time.perf_counter() - t0
    raw = raw_highspy(prepare_raw(model.lp))
    t0 = time.perf_counter()
    res = build_result(model, sol, opts, "dual")
    analyse = time.perf_counter() - t0
    assert abs(raw["objective"] - sol.objective) <= 1e-6 * max(1.0, abs(sol.objective)), (raw, sol.objective)
    blocks = model.lp.row_blocks
    return {"policy": name, "status": sol.status, "cols": model.lp.num_cols, "rows": model.lp.num_rows,
            "cap_rows": sum(b.size for k, b in blocks.items() if k in ("china_cap", "country_cap", "lt_link")),
            "build": build, "solve": ours, "raw": raw["raw"], "analyse": analyse,
            "dependence_rows": 0 if res.dependence is None else len(res.dependence)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10x20x7,100k")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    print(f"cores {os.cpu_count()}; every row: build, our solve, raw highspy on the same arrays, ratio")
    print(f"{'size':>6} {'policy':>7} {'status':>8} {'columns':>9} {'rows':>9} {'cap rows':>9} {'build s':>8} "
          f"{'solve s':>8} {'raw s':>7} {'ratio':>6} {'analyse s':>9} {'analyse/raw':>11}")
    for size in a.sizes.split(","):
        data = with_origins(make_data(size.strip(), a.seed), a.seed)
        for name, pol in policies(data).items():
            r = one(data, name, pol)
            print(f"{size:>6} {name:>7} {r['status']:>8} {r['cols']:>9,} {r['rows']:>9,} {r['cap_rows']:>9,} "
                  f"{r['build']:>8.2f} {r['solve']:>8.2f} {r['raw']:>7.2f} {r['solve'] / r['raw']:>6.2f} "
                  f"{r['analyse']:>9.2f} {r['analyse'] / r['raw']:>11.2f}")
    print(f"peak RSS {peak_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
