"""Sub-commands ``curve``, ``frontier`` and ``compare`` (registered by :func:`optimizer.curves.cli.register`).

    sourcing curve    WORKBOOK [-o out.xlsx] [--mode path|year] [--year 2030] [--scope ALL]
                               [--from 0.8] [--to 0.3] [--grid N] [--method auto|sandwich|ranging]
                               [--png p.png] [--scenario S]
    sourcing frontier WORKBOOK [-o out.xlsx] [--points N] [--risk volume] [--png p.png] [--scenario S]
    sourcing compare  WORKBOOK [-o out.xlsx] [--mode path|year] [--year Y] [--scenarios a,b]
                               [--no-curves] [--png p.png]

Exit codes as ``sourcing solve``: 0 done, 1 input errors, 2 usage (e.g. an unknown year, an
output path equal to the input), 3 a solve without a proven optimum, 4 solver missing.
Outputs default to ``outputs/<workbook>[_<scenario>]_<curve|frontier|comparison>.xlsx``.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

from models.units import to_millions
from optimizer.core import cli as C
from optimizer.core import limits as LIM
from optimizer.core import outputs as O
from optimizer.curves import tables as T
from optimizer.curves.plots import plot_curves, plot_frontier, plot_marginal
from optimizer.curves.report import write_comparison_workbook, write_curve_workbook, write_frontier_workbook
from optimizer.curves.run import run_compare, run_curve, run_frontier, share

WORKERS = C.whole(1, LIM.MAX_SCENARIO_WORKERS, C.WORK)

SAMPLE = C.sample("korea_2024_2030.xlsx")


# --------------------------------------------------------------------------- curve
def curve_text(curve, max_rows: int = 60) -> str:
    cur = curve.currency
    low = curve.lowest
    start, end = curve.vertices[-1], curve.vertices[0]
    lines = [f"Cost curve: money spent against the {curve.direction.label}",
             f"  scenario: {curve.scenario or '(base data)'}; range {curve.t_high:.2%} -> {curve.t_low:.2%}",
             f"  money spent: {to_millions(start.money):,.2f} {cur} M at the start, {to_millions(end.money):,.2f} M "
             f"at the end; stock below target {start.shortfall:,.1f} t -> {end.shortfall:,.1f} t, unmet demand "
             f"{start.unmet:,.1f} t -> {end.unmet:,.1f} t (penalties {to_millions(start.penalties):,.2f} -> "
             f"{to_millions(end.penalties):,.2f} M, not money)",
             f"  lowest achievable share: {low.t:.4%}" + (f"  ({low.note})" if low.note else "")]
    if low.limits:
        lab = curve.labels.sentence if curve.labels is not None else str
        lines.append("  what holds it up (pp of share per +1 unit): " + "; ".join(
            f"{lab(lim.item)} {lim.pp_per_unit:+.4g}" for lim in low.limits[:6]))
    lines.append(f"  breakpoints: {len(curve.breakpoints)}; method {curve.method}; solves: "
                 + ", ".join(f"{k} {v}" for k, v in curve.solves.items())
                 + "; simplex iterations: " + ", ".join(f"{k} {v}" for k, v in curve.iterations.items()))
    for n in curve.notes:
        lines.append(f"  note: {n}")
    lines.append(f"  {'target':>9}  {'money spent (' + cur + ' M)':>20}  {'money per pp tighter':>20}  "
                 f"{'stock short (t)':>15}  {'penalties (M)':>13}  {'objective (M)':>14}  kind")
    table = T.breakpoint_table(curve).iloc[::-1]
    for k, (_, r) in enumerate(table.iterrows()):
        if k == max_rows and len(table) > max_rows + 1:
            lines.append(f"  ... {len(table) - max_rows - 1} more rows in the workbook")
        if max_rows <= k < len(table) - 1:
            continue
        pp = r["money_per_pp_m_tighter"]
        lines.append(f"  {r['target']:>9.4%}  {r['money_m']:>20,.3f}  {('' if pp != pp else f'{pp:,.4f}'):>20}  "
                     f"{r['shortfall_t']:>15,.1f}  {r['penalties_m']:>13,.2f}  {r['cost_m']:>14,.2f}  {r['kind']}")
    return "\n".join(lines)


@C.guard
def cmd_curve(args) -> int:
    bar = C.Progress("curve")
    try:
        curve, _ = run_curve(args.workbook, args.mode, args.year, args.scope, share(args.start), share(args.end),
                             args.grid, args.method, args.scenario, on_solve=bar, measure=args.measure)
    finally:
        bar.close()
    out = Path(args.output) if args.output else curve_output(args)
    path = write_curve_workbook(curve, out, input_path=args.workbook)
    print(curve_text(curve))
    print(f"Curve workbook: {path}")
    if args.png:
        label = curve.direction.label
        png = plot_curves([(curve.scenario or "base", curve)], args.png, label, curve.currency,
                          subtitle=f"{Path(args.workbook).name}; {curve.scenario or 'base data'}",
                          protect=(args.workbook,))
        marg = plot_marginal(curve, Path(args.png).with_name(Path(args.png).stem + "_marginal.png"),
                             label, curve.currency, protect=(args.workbook,))
        print(f"Plots: {png}, {marg}")
    return C.EXIT_OK


# --------------------------------------------------------------------------- frontier
@C.guard
def cmd_frontier(args) -> int:
    bar = C.Progress("frontier", args.points)
    try:
        run = run_frontier(args.workbook, args.risk, args.points, args.scenario,
                           on_solve=lambda k, e: bar("grid", f"point {k}"))
    finally:
        bar.close()
    fr, model, label, cur = run.frontier, run.model, run.risk_label, run.currency
    out = Path(args.output) if args.output else C.default_output(
        args.workbook, "frontier", O.qualifier("points", args.points, 10), args.scenario)
    path = write_frontier_workbook(fr, model, out, label, cur, input_path=args.workbook)
    table = T.frontier_table(fr, model)
    pay = to_millions(fr.payoff)
    print(f"Cost-vs-risk frontier (AUGMECON), cost = money spent + penalties of missed targets, risk = {label}")
    print(f"  payoff table ({cur} M): cost first -> cost {pay[0, 0]:,.3f}, risk {pay[0, 1]:,.3f}; "
          f"risk first -> cost {pay[1, 0]:,.3f}, risk {pay[1, 1]:,.3f}")
    print(f"  {len(fr.grid)} grid points, {fr.solves} solves, {fr.skipped} bypassed, "
          f"{len(fr.points)} Pareto points")
    for n in fr.notes:
        print(f"  note: {n}")
    for _, r in table.iterrows():
        print(f"  money spent {r.get('money_m', float('nan')):>12,.3f}  penalties {r.get('penalties_m', float('nan')):>10,.3f}  "
              f"risk {r['risk_m']:>12,.3f}")
    print(f"Frontier workbook: {path}")
    if args.png:
        print(f"Plot: {plot_frontier(table, args.png, label, cur, protect=(args.workbook,))}")
    return C.EXIT_OK


# --------------------------------------------------------------------------- compare
@C.guard
def cmd_compare(args) -> int:
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()] if args.scenarios else None
    cluster = C.open_cluster(args)
    bar = C.Progress("compare")
    t0 = time.perf_counter()
    try:
        cmp = run_compare(args.workbook, wanted, None if args.no_curves else args.mode, args.year,
                          on_progress=lambda n: bar("scenario", n), measure=args.measure,
                          workers=cluster.size if cluster else args.workers,
                          pool_factory=cluster.pool if cluster else None)
    finally:
        bar.close()
        if cluster:
            cluster.close()
    runs, cur, label = cmp.runs, cmp.currency, cmp.label
    out = Path(args.output) if args.output else compare_output(args, wanted)
    path = write_comparison_workbook(runs, cmp.tables, out, cur, label, args.workbook)
    print(f"Scenario comparison ({len(runs)} runs, {time.perf_counter() - t0:.1f} s)")
    print(f"  {'scenario':<30} {'money spent (' + cur + ' M)':>22} {'stock short (t)':>15} {'unmet (t)':>10} "
          f"{'penalties (M)':>13} {'objective (M)':>14} {'lowest share':>12}")
    summary = cmp.tables["summary"].set_index("measure")
    for r in runs:
        res = r.result
        if res is None or res.objective is None:
            print(f"  {r.name:<30} {r.error or (res.status_message if res else '')}")
            continue
        col = summary[r.name]
        low = f"{r.curve.lowest.t:.2%}" if r.curve is not None else "-"
        print(f"  {r.name:<30} {col['money spent (M, discounted)']:>22,.2f} "
              f"{col['stock below target (t, all years)']:>15,.1f} {col['unmet demand (t)']:>10,.1f} "
              f"{col['penalties of missed targets (M, not money)']:>13,.2f} {res.objective:>14,.2f} {low:>12}")
        if r.error:
            print(f"    note: {r.error}")
    print(f"Comparison workbook: {path}")
    if args.png:
        curves = [(r.name, r.curve) for r in runs if r.curve is not None]
        if curves:
            png = plot_curves(curves, args.png, label, cur, "Cost of diversification by scenario",
                              subtitle=Path(args.workbook).name, protect=(args.workbook,))
            print(f"Plot: {png}")
    return C.EXIT_NO_OPTIMUM if any(r.result is not None and not r.result.proven_optimal for r in runs) \
        else C.EXIT_OK


# --------------------------------------------------------------------------- default names
def curve_output(args) -> Path:
    """``<stem>_curve_<mode>[<year>][_<scope>][_from..][_to..][_grid..][_<method>][_<scenario>]``."""
    mode = "path" if args.mode == "path" else "year"
    return C.default_output(args.workbook, "curve", mode + (str(args.year) if args.year else ""),
                            O.qualifier("", args.measure, "china"),
                            O.qualifier("", args.scope, "ALL"), O.qualifier("from", args.start),
                            O.qualifier("to", args.end), O.qualifier("grid", args.grid, 0),
                            O.qualifier("", args.method, "auto"), args.scenario)


def compare_output(args, wanted: list[str] | None) -> Path:
    """``<stem>_compare[_<scenarios>][_nocurves][_<mode>][<year>]``; a list of more than three
    scenarios is named by its count and a short digest (the names would make a long path)."""
    chosen = None
    if wanted:
        chosen = "+".join(wanted) if len(wanted) <= 3 else \
            f"{len(wanted)}scenarios-{hashlib.sha1(','.join(wanted).encode()).hexdigest()[:6]}"
    curves = "nocurves" if args.no_curves else ((args.mode if args.mode != "path" else None) or None)
    year = O.qualifier("year", args.year) if not args.no_curves else None
    return C.default_output(args.workbook, "compare", chosen, curves, year,
                            None if args.no_curves else O.qualifier("", args.measure, "china"))


# --------------------------------------------------------------------------- parsers
GRID = C.whole(0, LIM.MAX_CURVE_GRID, C.WORK)
POINTS = C.whole(2, LIM.MAX_FRONTIER_POINTS, C.WORK)


MEASURE_HELP = ("which caps the curve moves: china (default: the China bloc's direct share), any (every single "
                "country: the largest single country's share), a country id (CN), a bloc, each optionally with "
                ":stage (mining, refining, metal, magnet, look-through), e.g. china:look-through, any:refining; the "
                "Policy sheet (or --scenario) must have rows on that measure")


def register(sub) -> None:
    c = sub.add_parser("curve", help="exact cost curve of the China-share target (breakpoints, slopes)")
    c.add_argument("workbook", nargs="?", default=str(SAMPLE), help="input workbook (default: the sample)")
    c.add_argument("-o", "--output", default=None, help="curve workbook (default outputs/<name>_curve_<mode>[...].xlsx, named by the "
                   "mode and every option that differs from its default)")
    c.add_argument("--mode", choices=("path", "year"), default="path",
                   help="path: the whole glide path scaled (x = the --year target); year: one year's target")
    c.add_argument("--year", type=C.YEAR_ARG, default=None,
                   help="the year whose target is the x axis (default: last)")
    c.add_argument("--scope", default="ALL", help="Policy scope of that row (ALL, a group or a material)")
    c.add_argument("--from", dest="start", type=C.share_arg, default=None,
                   help="start of the curve, a share or percent (0.8 or 80; default: today's level)")
    c.add_argument("--to", dest="end", type=C.share_arg, default=None,
                   help="end (default: the lowest achievable share)")
    c.add_argument("--grid", type=GRID, default=0, help=f"also solve N evenly spaced targets ({GRID.range})")
    c.add_argument("--method", choices=("auto", "sandwich", "ranging"), default="auto",
                   help="breakpoint search: tangent intersection (auto = sandwich) or HiGHS row ranging (one row)")
    c.add_argument("--png", default=None, help="also write a PNG plot (and <name>_marginal.png)")
    c.add_argument("--scenario", default=None, help="named scenario from the Scenarios sheet")
    c.add_argument("--measure", default="china", help=MEASURE_HELP)
    c.set_defaults(func=cmd_curve)

    f = sub.add_parser("frontier", help="cost-vs-risk Pareto frontier (AUGMECON)")
    f.add_argument("workbook", nargs="?", default=str(SAMPLE))
    f.add_argument("-o", "--output", default=None, help="frontier workbook (default outputs/<name>_frontier[_points..][_<scenario>].xlsx)")
    f.add_argument("--points", type=POINTS, default=10,
                   help=f"grid points on the risk axis (default 10; {POINTS.range})")
    f.add_argument("--risk", choices=("volume",), default="volume", help="risk measure")
    f.add_argument("--png", default=None, help="also write a PNG plot")
    f.add_argument("--scenario", default=None)
    f.set_defaults(func=cmd_frontier)

    m = sub.add_parser("compare", help="run base + every named scenario; comparison workbook and curves")
    m.add_argument("workbook", nargs="?", default=str(SAMPLE))
    m.add_argument("-o", "--output", default=None, help="comparison workbook (default outputs/<name>_compare[...].xlsx)")
    m.add_argument("--mode", choices=("path", "year"), default="path")
    m.add_argument("--year", type=C.YEAR_ARG, default=None)
    m.add_argument("--scenarios", default=None, help="comma-separated subset (default: all)")
    m.add_argument("--no-curves", action="store_true", help="skip the cost curves")
    m.add_argument("--png", default=None, help="also write a PNG with every scenario's curve")
    m.add_argument("--measure", default="china", help=MEASURE_HELP)
    m.add_argument("--workers", type=WORKERS, default=1,
                   help=f"processes for the scenarios, one HiGHS thread each (default 1; {WORKERS.range})")
    C.add_cluster_args(m)
    m.set_defaults(func=cmd_compare)
