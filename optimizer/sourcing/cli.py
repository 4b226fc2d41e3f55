"""``sourcing validate | solve``: the spine's commands and its terminal summary (``template`` is
in :mod:`optimizer.cli`, which knows every feature's sheets).

Exit codes as :mod:`optimizer.core.cli`: 0 solved to proven optimality (unmet demand is
reported, not an error), 1 the input workbook has errors, 2 usage error, 3 solved without a
proven optimum (time limit, infeasible, unbounded), 4 solver missing or failed.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

from optimizer.core import cli as C
from optimizer.core.issues import InputError
from optimizer.core.solver import BACKEND_NAMES, SOLVER_NAMES
from optimizer.sourcing import views
from optimizer.sourcing.result import RunResult
from optimizer.sourcing.run import RunOptions, default_output, solve_workbook
from optimizer.sourcing.validate import load_and_validate

SAMPLE = C.sample("korea_2024_2030.xlsx")


def _tts_lines(res: RunResult) -> list[str]:
    """The weakest points of the plan: the shortest times-to-survive and the exposure ranking."""
    worst = views.weakest_points(res, 3)
    if worst.empty:
        return []
    lines = ["Time-to-survive (weeks of demand met if a source stops, from stock and other capacity), shortest: "
             + "; ".join(f"{r.source} for {r.material} {int(r.year)}: {r.tts_weeks:.1f} wk"
                         for r in worst.itertuples())]
    if res.exposure is not None and len(res.exposure):
        top = views.most_exposed(res, 3)
        lines.append("Most exposed sources (value of demand lost over a year without them): "
                     + (", ".join(f"{r.source} (REI {r.rei:.2f})" for r in top.itertuples()) or "none"))
    return lines


def summary_text(res: RunResult, out_path: Path | None) -> str:
    cur = res.currency
    lines = [f"Status: {res.status_message}" + ("" if res.proven_optimal else "  [NOT proven optimal]")]
    if res.objective is not None:
        lines.append(f"Total objective: {res.objective:,.2f} {cur} M (discounted)")
        parts = ", ".join(f"{k} {v:,.2f}" for k, v in res.objective_parts.items() if abs(v) > 5e-3)
        lines.append(f"  of which: {parts}")
    if res.shares is not None and len(res.shares):
        lines.append("China share by year (value-weighted) vs target:")
        for _, r in res.shares.iterrows():
            tgt = "  (no cap)" if math.isnan(r["target"]) else f"  target {r['target']:6.1%}"
            flag = "" if r["within_target"] else "  OVER TARGET"
            lines.append(f"  {int(r['year'])}  {r['scope']:<16} {r['china_share']:6.1%}{tgt}{flag}")
    unmet = views.unmet_rows(res)
    if len(unmet):
        lines.append("Unmet demand:")
        for _, r in unmet.iterrows():
            lines.append(f"  {r['material']} {int(r['year'])}: {r['unmet']:,.2f} t ({r['unmet_share']:.1%})")
    elif res.objective is not None:
        lines.append("Unmet demand: none")
    for s in res.explanation:
        lines.append(f"  - {s}")
    lines += _tts_lines(res)
    t = res.manifest.get("timings", {})
    if t:
        lines.append("Timings (s): " + ", ".join(f"{k} {v:.3f}" for k, v in t.items()))
    if out_path is not None:
        lines.append(f"Result workbook: {out_path}")
    return "\n".join(lines)


def cmd_validate(args) -> int:
    try:
        data = load_and_validate(args.workbook, scenario=args.scenario)
    except InputError as err:
        C.print_issues(err)
        return C.EXIT_INPUT
    print(f"{args.workbook}: no errors, {len(data.warnings)} warning(s); "
          f"{len(data.materials)} materials, {len(data.suppliers)} suppliers, "
          f"{len(data.supply)} supply offers, years {data.settings.first_year}-{data.settings.last_year}; "
          f"scenarios: {', '.join(data.scenario_names()) or 'none'}")
    for w in data.warnings:
        print(f"  {w}")
    return 0


def cmd_solve(args) -> int:
    workbook = args.workbook or str(SAMPLE)
    output = args.output or default_output(workbook, args.scenario)
    opts = RunOptions(backend=args.backend, solver=args.solver, time_limit=args.time_limit,
                      scenario=args.scenario)
    try:
        res, out = solve_workbook(workbook, output, opts)
    except InputError as err:
        C.print_issues(err)
        return C.EXIT_INPUT
    except ValueError as err:   # e.g. asked to overwrite the input workbook
        print(f"error: {err}", file=sys.stderr)
        return C.EXIT_USAGE
    print(summary_text(res, out))
    return C.exit_code(res.status)


def register(sub) -> None:
    v = sub.add_parser("validate", help="list every problem in an input workbook")
    v.add_argument("workbook")
    v.add_argument("--scenario", default=None, help="also apply and check this named scenario")
    v.set_defaults(func=cmd_validate)
    s = sub.add_parser("solve", help="solve a workbook and write the result workbook")
    s.add_argument("workbook", nargs="?", default=None,
                   help=f"input workbook (default: the bundled sample {SAMPLE.name})")
    s.add_argument("-o", "--output", default=None, help="result workbook (default: outputs/<name>_result.xlsx)")
    s.add_argument("--backend", choices=BACKEND_NAMES, default=None)
    s.add_argument("--solver", choices=SOLVER_NAMES, default=None)
    s.add_argument("--time-limit", type=C.TIME_LIMIT_ARG, default=None,
                   help=f"seconds ({C.TIME_LIMIT_ARG.range})")
    s.add_argument("--scenario", default=None, help="named scenario from the Scenarios sheet")
    s.set_defaults(func=cmd_solve)
