#!/usr/bin/env python
"""Benchmark: a 50-point China-share cost curve through our path against raw highspy.

    python benchmarks/bench_curve.py [--size 100k] [--points 50] [--mode year|path]
                                     [--from 0.7] [--to 0.3] [--repeat N] [--seed S]
                                     [--exact auto|ranging|sandwich|both|none] [--out FILE]

Both paths solve the same targets (``--points`` evenly spaced from ``--from`` down to
``--to``) on the synthetic instance (:mod:`benchmarks.synthetic`, preset ``100k``: ~111 k
variables), in the same process, one after the other (order alternating between repeats):

* **raw**: arrays prepared before timing; ``Highs(); passModel()``, then per target
  ``changeRowsBounds`` of the moving China-cap row(s), ``run()`` (warm start from the
  previous basis) and the objective from ``getInfo()``;
* **ours**: ``build_model`` + ``cap_direction`` + ``ParametricCap`` (one ``passModel``) +
  ``grid_points``: the same row-bound changes and ``run()``, then per point the objective,
  the slope (row duals), the China share of every year (row values), the objective parts,
  unmet demand and the status check - what ``sourcing curve --grid N`` computes.

Printed: wall times (minimum over repeats), the ratio ours/raw (target <= 1.5x) with and
without ``build_model``, the same ratio in process CPU time (robust when other processes
load the machine), simplex iterations of the first (cold) solve and per warm point, and the
objectives' largest relative difference.  Then the exact method on the same range: solves,
breakpoints, iterations and time, the number of grid points a uniform grid would need to put
one point on every linear piece, and the largest error of the ``--points`` grid's linear
interpolation against the exact curve.  Also written to ``benchmarks/results/curve_latest.txt``.
"""
from __future__ import annotations

import argparse
import io
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import numpy as np  # noqa: E402

from synthetic import PRESETS, preset_data, synthetic_data  # noqa: E402

TARGET_RATIO = 1.5
RESULTS = HERE / "results" / "curve_latest.txt"


def make_data(size: str, seed: int):
    if size in PRESETS:
        return preset_data(size, seed)
    m, s, t = (int(v) for v in size.lower().split("x"))
    return synthetic_data(m, s, t, seed=seed)


def prepare_raw(lp) -> dict:
    import highspy
    cost, cl, cu, rl, ru, integer = lp.arrays()
    start, index, value = lp.csc()
    inf = highspy.kHighsInf
    return dict(num_col=lp.num_cols, num_row=lp.num_rows, num_nz=int(value.size),
                cost=np.ascontiguousarray(cost, dtype=float),
                cl=np.where(np.isinf(cl), -inf, cl), cu=np.where(np.isinf(cu), inf, cu),
                rl=np.where(np.isinf(rl), -inf, rl), ru=np.where(np.isinf(ru), inf, ru),
                start=start.astype(np.int32), index=index.astype(np.int32),
                value=np.ascontiguousarray(value, dtype=float), integrality=np.zeros(lp.num_cols, np.int32))


def run_raw(p: dict, rows: np.ndarray, lower: np.ndarray, rhs_of, targets) -> dict:
    """Raw highspy: one model, only the moving rows' bounds change between runs."""
    import highspy
    c0 = time.process_time()
    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(p["num_col"], p["num_row"], p["num_nz"], 1, 1, 0.0, p["cost"], p["cl"], p["cu"],
                p["rl"], p["ru"], p["start"], p["index"], p["value"], p["integrality"])
    t1 = time.perf_counter()
    obj, its = [], []
    first = None
    for k, t in enumerate(targets):
        h.changeRowsBounds(int(rows.size), rows, lower, rhs_of(t))
        h.run()
        info = h.getInfo()
        obj.append(float(info.objective_function_value))
        its.append(int(info.simplex_iteration_count))
        if k == 0:
            first = time.perf_counter() - t1
    t2 = time.perf_counter()
    return {"total": t2 - t0, "pass": t1 - t0, "first": first, "sweep": t2 - t1,
            "cpu": time.process_time() - c0, "objectives": np.array(obj), "iterations": np.array(its)}


def run_ours(data, mode: str, targets, lo: float, hi: float) -> dict:
    from models.sourcing import build_model
    from optimizer.curves.parametric import ParametricCap, cap_direction, grid_points
    c0 = time.process_time()
    t0 = time.perf_counter()
    model = build_model(data)
    t1 = time.perf_counter()
    direction = cap_direction(model, mode)
    solver = ParametricCap(model, direction)
    t2 = time.perf_counter()
    first = []
    solver.on_solve = lambda t: first.append(time.perf_counter()) if not first else None
    pts = grid_points(solver, lo, hi, len(targets))
    t3 = time.perf_counter()
    cpu = time.process_time() - c0
    pts = sorted(pts, key=lambda q: -q.t)          # the order they were solved in (hi -> lo)
    return {"cpu": cpu, "total": t3 - t0, "build": t1 - t0, "setup": t2 - t1, "first": first[0] - t2,
            "sweep": t3 - t2, "objectives": np.array([q.cost for q in pts]),
            "iterations": np.array([q.iterations for q in pts]), "model": model, "direction": direction}


def exact_run(model, direction, lo: float, hi: float, method: str) -> dict:
    from optimizer.curves.parametric import ParametricCap, ranging_points, sandwich_points, vertices
    solver = ParametricCap(model, direction)
    t0 = time.perf_counter()

    def tick(t):   # progress on stderr: the exact curve of a big instance takes minutes
        if solver.solves % 250 == 0:
            print(f"  ... {method}: {solver.solves:,} solves, t = {t:.4f}, {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr, flush=True)
    solver.on_solve = tick
    pts = (ranging_points if method == "ranging" else sandwich_points)(solver, lo, hi)
    secs = time.perf_counter() - t0
    verts = vertices(pts)
    lengths = np.diff([v.t for v in verts])
    return {"method": method, "solves": solver.solves, "iterations": solver.iterations, "seconds": secs,
            "vertices": verts, "breakpoints": len(verts) - 2,
            "min_piece": float(lengths.min()) if lengths.size else float("nan")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="100k")
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--mode", choices=("year", "path"), default="year")
    ap.add_argument("--from", dest="hi", type=float, default=0.7)
    ap.add_argument("--to", dest="lo", type=float, default=0.3)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--exact", choices=("auto", "ranging", "sandwich", "both", "none"), default="auto")
    ap.add_argument("--exact-to", type=float, default=None,
                    help="end of the exact curve's range (default: --to; the exact curve of the 100k "
                         "instance has thousands of breakpoints, so a sub-range keeps the run short)")
    ap.add_argument("--out", default=str(RESULTS), help="report file (default benchmarks/results/curve_latest.txt)")
    args = ap.parse_args(argv)
    import highspy  # noqa: F401  (imported before any timing)
    from models.sourcing import build_model
    from optimizer.core.solver.highs import silence_banner
    from optimizer.curves.parametric import cap_direction
    silence_banner()

    out = io.StringIO()

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.write(line + "\n")

    data = make_data(args.size, args.seed)
    model0 = build_model(data)
    d0 = cap_direction(model0, args.mode)
    raw_arrays = prepare_raw(model0.lp)
    rows = d0.rows.astype(np.int32)
    lower = np.full(rows.size, -highspy.kHighsInf)
    targets = np.linspace(args.hi, args.lo, args.points)
    say(f"== cost curve benchmark: {args.size} ({model0.lp.num_cols:,} variables, {model0.lp.num_rows:,} rows, "
        f"{int(model0.lp.csc()[2].size):,} nonzeros), seed {args.seed}")
    say(f"   mode {args.mode}: t = {d0.label}; {rows.size} moving row(s); {args.points} points "
        f"from {args.hi:.0%} to {args.lo:.0%}")
    say(f"   Python {platform.python_version()}, highspy {_version('highspy')}, numpy {np.__version__}; "
        f"repeat {args.repeat} (minimum)")
    raws, ours = [], []
    for r in range(args.repeat):
        order = ("raw", "ours") if r % 2 == 0 else ("ours", "raw")
        for which in order:
            if which == "raw":
                raws.append(run_raw(raw_arrays, rows, lower, d0.rhs, targets))
            else:
                ours.append(run_ours(data, args.mode, targets, args.lo, args.hi))
    raw = min(raws, key=lambda x: x["total"])
    our = min(ours, key=lambda x: x["total"])
    raw_cpu = min(x["cpu"] for x in raws)
    our_cpu = min(x["cpu"] for x in ours)
    rel = np.max(np.abs(our["objectives"] - raw["objectives"]) / np.maximum(1.0, np.abs(raw["objectives"])))
    ratio = our["total"] / raw["total"]
    ratio_solve = (our["setup"] + our["sweep"]) / raw["total"]
    say("")
    say(f"{'path':<8}{'build':>9}{'pass/setup':>12}{'1st (cold)':>12}{'warm pts':>10}{'sweep':>9}{'total':>9}"
        f"{'cold its':>10}{'its/warm pt':>13}")
    for name, x, build, setup in (("raw", raw, 0.0, raw["pass"]), ("ours", our, our["build"], our["setup"])):
        warm = x["sweep"] - x["first"]
        its = x["iterations"]
        say(f"{name:<8}{build:>9.3f}{setup:>12.3f}{x['first']:>12.3f}{warm:>10.3f}{x['sweep']:>9.3f}"
            f"{x['total']:>9.3f}{int(its[0]):>10,}{float(its[1:].mean()) if its.size > 1 else 0.0:>13.1f}")
    say(f"ratio ours/raw: {ratio:.2f}x including build_model, {ratio_solve:.2f}x without "
        f"(target <= {TARGET_RATIO}x: {'OK' if ratio <= TARGET_RATIO else 'MISSED'})")
    say(f"CPU time (all threads; insensitive to other processes on the machine): raw {raw_cpu:.3f} s, "
        f"ours {our_cpu:.3f} s, ratio {our_cpu / raw_cpu:.2f}x")
    say(f"objectives: largest relative difference {rel:.2e} ({'OK' if rel < 1e-6 else 'DIFFERENT'})")
    say(f"per warm point: raw {1000 * (raw['sweep'] - raw['first']) / max(1, args.points - 1):.1f} ms, "
        f"ours {1000 * (our['sweep'] - our['first']) / max(1, args.points - 1):.1f} ms")
    if args.exact != "none":
        methods = {"auto": ["sandwich"], "both": ["ranging", "sandwich"]}.get(
            args.exact, [args.exact])
        if rows.size != 1:
            methods = [m for m in methods if m != "ranging"] or ["sandwich"]
        lo_x = args.lo if args.exact_to is None else max(args.lo, args.exact_to)
        say("")
        say(f"exact curve from {args.hi:.0%} to {lo_x:.0%}:")
        curves = []
        for m in methods:
            e = exact_run(our["model"], our["direction"], lo_x, args.hi, m)
            curves.append(e)
            ts = np.array([v.t for v in e["vertices"]])
            cs = np.array([v.cost for v in e["vertices"]])
            grid_interp = np.interp(ts, targets[::-1], our["objectives"][::-1])
            err = float(np.max(np.abs(grid_interp - cs) / np.abs(cs)))
            need = int(np.ceil((args.hi - lo_x) / e["min_piece"])) if e["min_piece"] > 0 else -1
            in_range = int(np.sum((targets >= lo_x - 1e-12) & (targets <= args.hi + 1e-12)))
            say(f"  {m:<9} {e['solves']:,} solves ({e['iterations']:,} simplex iterations, {e['seconds']:.1f} s, "
                f"{1000 * e['seconds'] / max(1, e['solves']):.0f} ms/solve) for {e['breakpoints']:,} breakpoints; "
                f"shortest linear piece {e['min_piece'] * 100:.2e} pp")
            say(f"            a uniform grid would need ~{need:,} points on this range to put one on every piece "
                f"(the {args.points}-point grid has {in_range} here); its linear interpolation is off by up to "
                f"{err:.2e} (relative)")
        if len(curves) == 2:
            (a, b) = curves
            ts = np.unique(np.concatenate([[v.t for v in a["vertices"]], [v.t for v in b["vertices"]]]))
            ca = np.interp(ts, [v.t for v in a["vertices"]], [v.cost for v in a["vertices"]])
            cb = np.interp(ts, [v.t for v in b["vertices"]], [v.cost for v in b["vertices"]])
            say(f"  the two exact curves agree within {float(np.max(np.abs(ca - cb) / np.abs(cb))):.1e} (relative, "
                "at every vertex of either)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(out.getvalue())
    return 0 if rel < 1e-6 else 1


def _version(mod: str) -> str:
    try:
        from importlib.metadata import version
        return version(mod)
    except Exception:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
