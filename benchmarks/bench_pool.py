#!/usr/bin/env python
"""Benchmark the coalition table (every sub-coalition's optimal cost) against raw highspy.

    python benchmarks/bench_pool.py [--members 10] [--repeat 3] [--seed 0] [--tiers]
    python benchmarks/bench_pool.py --members 12 --workers 2 [--scheduler local|ADDRESS]

A synthetic pool with the bundled sample's shape per member (3 materials x 5 years of
demand; per material and year a China, a home and a spot standalone offer; 3 pooled offers
per material and year held by 1-3 members through access rights; China caps for half the
members).  By default the pooled offers are continuous (one tier, no minimum lot), so every
coalition is an LP -- 2^n - 1 = 1,023 LPs for 10 members.  ``--tiers`` gives every pooled
offer two all-units tiers and a minimum lot instead (MILPs; reported, no target).

Both paths solve the same matrices with the same bounds, in the same (Gray-code) order, on
one HiGHS instance each, in this process:

* ours: ``coalition_table(build_pool_model(data))`` -- matrix into HiGHS once
  (``native.pass_lp``), per coalition ``coalition_bounds`` + ``changeRowsBounds`` /
  ``changeColsBounds`` + ``run``, status through ``native.map_status``, our feasibility
  re-check of every solution, unmet-demand bookkeeping;
* raw: ``Highs(); passModel()`` on arrays prepared before timing, then per coalition the
  same bound arrays computed with numpy, ``changeRowsBounds`` / ``changeColsBounds``,
  ``run()``, ``getModelStatus()`` and the objective.

Timings are the minimum over ``--repeat`` runs; the ratio is ours / raw (target <= 2).
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

TARGET_RATIO = 2.0
YEARS = list(range(2026, 2031))
MATERIALS = {"MAG": (7000.0, 52.0, 62.0), "DYTB": (40.0, 375.0, 1300.0), "GA": (15.0, 350.0, 750.0)}
POOL_SOURCES = ("AUMY", "PH", "JAGA")


def synthetic_pool(n_members: int = 10, seed: int = 0, tiers: bool = False):
    """A PoolData of ``n_members`` shaped like the bundled sample (see the module docstring)."""
    from models.pool_data import PoolData, PoolSettings
    rng = np.random.default_rng(seed)
    members = [f"M{i:02d}" for i in range(n_members)]
    demand, own, pooled, access, policy = [], [], [], [], []
    scale = rng.uniform(0.05, 1.0, n_members)
    for i, m in enumerate(members):
        for mat, (base, cn, ally) in MATERIALS.items():
            for k, y in enumerate(YEARS):
                d = round(base * scale[i] * (1.05 ** k), 2)
                demand.append((m, mat, y, d))
                own.append((m, "CN", mat, y, round(d * rng.uniform(0.4, 0.9), 2), cn))
                own.append((m, "HOME", mat, y, round(d * rng.uniform(0.0, 0.3), 2), ally * rng.uniform(0.95, 1.1)))
                own.append((m, "SPOT", mat, y, 1e5, ally * 1.15))
        if i % 2 == 0:
            policy += [(m, mat, y, 0.5) for mat in MATERIALS for y in YEARS]
    for mat, (base, cn, ally) in MATERIALS.items():
        for y in YEARS:
            for src in POOL_SOURCES:
                offer = f"{mat}-{src}-{y}"
                price = ally * rng.uniform(0.9, 1.0)
                if tiers:
                    brk = round(base * rng.uniform(0.5, 2.0), 2)
                    lot = round(base * 0.1, 2)
                    pooled += [(offer, src, mat, y, 1, 0.0, brk, price, lot),
                               (offer, src, mat, y, 2, brk, np.inf, price * 0.95, lot)]
                else:
                    pooled.append((offer, src, mat, y, 1, 0.0, np.inf, price, 0.0))
                for m in rng.choice(members, size=int(rng.integers(1, 4)), replace=False):
                    access.append((offer, str(m), round(base * rng.uniform(0.05, 0.4), 2)))
    cols = ["offer", "source", "material", "year", "tier", "tier_min", "tier_max", "unit_price", "min_lot"]
    return PoolData(
        settings=PoolSettings(first_year=YEARS[0], last_year=YEARS[-1], members=tuple(members), mga_slack=0.0,
                              unmet_penalty=15000.0),
        mode="model", member_ids=tuple(members),
        members=pd.DataFrame({"member": members, "name": members, "country": ""}),
        demand=pd.DataFrame(demand, columns=["member", "material", "year", "demand"]),
        pooled=pd.DataFrame(pooled, columns=cols),
        access=pd.DataFrame(access, columns=["offer", "member", "capacity"]),
        standalone=pd.DataFrame(own, columns=["member", "source", "material", "year", "capacity", "unit_price"]),
        policy=pd.DataFrame(policy, columns=["member", "material", "year", "max_china_share"]),
        split=pd.DataFrame({"member": [], "share": []}))


def ours(data, opts) -> tuple[float, float, np.ndarray, dict]:
    """(build seconds, coalition-table seconds, cost per mask in k-currency, info)."""
    from models.pooling import build_pool_model
    from optimizer.pooling.coalitions import coalition_table
    t0 = time.perf_counter()
    model = build_pool_model(data)
    t1 = time.perf_counter()
    table = coalition_table(model, opts)
    t2 = time.perf_counter()
    info = {"cols": model.lp.num_cols, "rows": model.lp.num_rows, "nz": int(model.lp.csc()[2].size),
            "mip": model.lp.is_mip, "solves": table.solves, "all_optimal": table.all_optimal}
    return t1 - t0, t2 - t1, table.cost * 1000.0, info


def prepare_raw(data) -> dict:
    """The arrays raw highspy needs, prepared before timing (same matrix as ours)."""
    import highspy
    from models.pooling import build_pool_model, coalition_maps
    model = build_pool_model(data)
    lp = model.lp
    cost, cl, cu, rl, ru, integer = lp.arrays()
    start, index, value = lp.csc()
    inf = highspy.kHighsInf
    maps = coalition_maps(model)
    return dict(
        n=len(model.members), num_col=lp.num_cols, num_row=lp.num_rows, num_nz=int(value.size),
        cost=cost, cl=np.where(np.isinf(cl), -inf, cl), cu=np.where(np.isinf(cu), inf, cu),
        rl=np.where(np.isinf(rl), -inf, rl), ru=np.where(np.isinf(ru), inf, ru),
        start=start.astype(np.int32), index=index.astype(np.int32), value=value.astype(float),
        integrality=integer.astype(np.int32),
        dem_rows=maps.demand_rows.astype(np.int32), dem_member=maps.demand_member, dem=maps.demand_value,
        acc_rows=maps.access_rows.astype(np.int32), access=maps.access,
        cols=maps.cols.astype(np.int32), col_member=maps.col_member,
        col_up=np.where(np.isinf(maps.col_upper), inf, maps.col_upper))


def raw(p: dict, mip_gap: float) -> tuple[float, np.ndarray]:
    """Seconds and cost per mask (k-currency) for every coalition, raw highspy."""
    import highspy
    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", mip_gap)
    h.passModel(p["num_col"], p["num_row"], p["num_nz"], 1, 1, 0.0, p["cost"], p["cl"], p["cu"], p["rl"],
                p["ru"], p["start"], p["index"], p["value"], p["integrality"])
    n = p["n"]
    out = np.full(2 ** n, np.nan)
    out[0] = 0.0
    acc_lo = np.full(p["acc_rows"].size, -highspy.kHighsInf)
    col_lo = np.zeros(p["cols"].size)
    bits = np.arange(n)
    for k in range(1, 2 ** n):
        mask = k ^ (k >> 1)
        rhs = np.where((mask >> p["dem_member"]) & 1, p["dem"], 0.0)
        h.changeRowsBounds(int(p["dem_rows"].size), p["dem_rows"], rhs, rhs)
        if p["acc_rows"].size:
            h.changeRowsBounds(int(p["acc_rows"].size), p["acc_rows"], acc_lo, p["access"] @ ((mask >> bits) & 1))
        h.changeColsBounds(int(p["cols"].size), p["cols"], col_lo,
                           np.where((mask >> p["col_member"]) & 1, p["col_up"], 0.0))
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            out[mask] = h.getInfo().objective_function_value
    return time.perf_counter() - t0, out


def run(members: int = 10, seed: int = 0, repeat: int = 3, tiers: bool = False) -> dict:
    """Both paths ``repeat`` times (alternating); minimum times, objective agreement."""
    import highspy  # noqa: F401  (imported before timing)
    from optimizer.core.solver import SolveOptions
    data = synthetic_pool(members, seed, tiers)
    opts = SolveOptions(mip_gap=1e-9, ranging=False, want_duals=False)
    p = prepare_raw(data)
    best_ours, best_raw, best_build = np.inf, np.inf, np.inf
    for _ in range(max(1, repeat)):
        b, t, c_ours, info = ours(data, opts)
        r, c_raw = raw(p, 1e-9)
        best_build, best_ours, best_raw = min(best_build, b), min(best_ours, t), min(best_raw, r)
    diff = np.abs(c_ours - c_raw) / np.maximum(1.0, np.abs(c_raw))
    return {"members": members, "coalitions": 2 ** members - 1, "build": best_build, "ours": best_ours,
            "raw": best_raw, "ratio": best_ours / best_raw, "max_rel_diff": float(np.nanmax(diff)),
            "nan": int(np.isnan(c_ours).sum() + np.isnan(c_raw).sum()), **info}


def report(r: dict) -> str:
    kind = "MILPs (two all-units tiers + minimum lot per pooled offer)" if r["mip"] else \
        "LPs (continuous pooled offers: one tier, no minimum lot)"
    lines = [
        f"Coalition table, {r['members']} members: {r['coalitions']:,} {kind}",
        f"  joint model: {r['cols']:,} columns, {r['rows']:,} rows, {r['nz']:,} nonzeros "
        f"(sample: 3 members, same shape per member)",
        f"  build_pool_model (once)          {r['build']:8.3f} s",
        f"  ours: coalition_table            {r['ours']:8.3f} s   ({r['solves']:,} solves, "
        f"{'all optimal' if r['all_optimal'] else 'NOT all optimal'})",
        f"  raw highspy, same bound changes  {r['raw']:8.3f} s",
        f"  ratio ours / raw                 {r['ratio']:8.2f}   (target <= {TARGET_RATIO:g}: "
        f"{'met' if r['ratio'] <= TARGET_RATIO else 'NOT met'})",
        f"  objectives agree: max relative difference {r['max_rel_diff']:.2e}" + (f"; {r['nan']} unsolved"
                                                                              if r["nan"] else ""),
    ]
    return "\n".join(lines)


SPEEDUP_TARGET = 1.7           # issue 16: 2 workers >= 1.7x faster than 1 on the 12-member table


def run_workers(members: int, workers: int, seed: int = 0, repeat: int = 1, scheduler: str | None = None) -> dict:
    """The exact table solved serially and by ``workers`` processes (one HiGHS thread each, pool
    start-up included); the minimum over ``repeat`` runs; statuses and costs compared.
    ``scheduler``: the parallel run on that Dask cluster instead ("local": a LocalCluster of
    ``workers`` processes on 127.0.0.1, started before timing; the actors' start-up is timed)."""
    from models.pooling import build_pool_model
    from optimizer.core.solver import SolveOptions, set_process_threads
    from optimizer.pooling.coalitions import coalition_table
    set_process_threads(1)                       # the serial run gets one HiGHS thread too
    data = synthetic_pool(members, seed)
    opts = SolveOptions(mip_gap=1e-9, ranging=False, want_duals=False)
    model = build_pool_model(data)
    cluster, start = None, 0.0
    if scheduler:
        from optimizer.core.pool import DaskCluster
        t0 = time.perf_counter()
        cluster = DaskCluster(scheduler, local_workers=workers)
        start, workers = time.perf_counter() - t0, cluster.size
    best = {1: np.inf, "parallel": np.inf}
    tables = {}
    try:
        for _ in range(max(1, repeat)):
            for w in (1, "parallel"):
                t0 = time.perf_counter()
                tables[w] = coalition_table(model, opts, workers=1 if w == 1 else workers,
                                            pool_factory=cluster.pool if cluster and w != 1 else None)
                best[w] = min(best[w], time.perf_counter() - t0)
    finally:
        if cluster:
            cluster.close()
    a, b = tables[1], tables["parallel"]
    diff = np.abs(a.cost[1:] - b.cost[1:]) / np.maximum(1.0, np.abs(a.cost[1:]))
    return {"members": members, "coalitions": 2 ** members - 1, "workers": workers, "serial": best[1],
            "parallel": best["parallel"], "speedup": best[1] / best["parallel"],
            "same_status": list(a.status) == list(b.status), "max_rel_diff": float(np.nanmax(diff)),
            "scheduler": scheduler, "cluster_start": start}


def report_workers(r: dict) -> str:
    ok = "met" if r["speedup"] >= SPEEDUP_TARGET else "NOT met"
    where = "processes" if not r.get("scheduler") else (
        "a local Dask cluster on 127.0.0.1" if r["scheduler"] == "local" else f"the Dask cluster at {r['scheduler']}")
    extra = [] if not r.get("scheduler") else [
        f"  cluster start (not in the time)  {r['cluster_start']:8.3f} s"]
    return "\n".join([
        f"Coalition table, {r['members']} members ({r['coalitions']:,} LPs): 1 worker vs {r['workers']} workers "
        f"({where}, one HiGHS thread each; {os.cpu_count()} CPUs here)", *extra,
        f"  1 worker                         {r['serial']:8.3f} s",
        f"  {r['workers']} workers                        {r['parallel']:8.3f} s   (worker start-up included)",
        f"  speed-up                         {r['speedup']:8.2f}x  (target >= {SPEEDUP_TARGET:g}x: {ok})",
        f"  same statuses: {'yes' if r['same_status'] else 'NO'}; costs: max relative difference "
        f"{r['max_rel_diff']:.1e}"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=None,
                    help="also time the table with this many worker processes against one")
    ap.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="with --workers: the parallel run on this Dask scheduler ('local': a LocalCluster "
                         "of --workers processes on 127.0.0.1; needs the [cluster] extra)")
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tiers", action="store_true", help="tiered offers with minimum lots (MILPs)")
    args = ap.parse_args(argv)
    if args.workers:
        print(report_workers(run_workers(args.members, args.workers, args.seed, args.repeat, args.scheduler)))
        return 0
    print(report(run(args.members, args.seed, args.repeat, args.tiers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
