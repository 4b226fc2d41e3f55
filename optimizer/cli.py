"""Command line: ``sourcing template | validate | solve``.

Exit codes: 0 success (solve: proven optimal; unmet demand is reported, not an
error), 1 the input workbook has errors, 2 usage error, 3 solved without a proven
optimum (time limit, infeasible, unbounded), 4 solver missing or failed.
No traceback reaches the user for bad input or solver outcomes.
"""
from __future__ import annotations

import argparse
import importlib
import math
import sys
from pathlib import Path

from optimizer.core.solver import OPTIMAL, SOLVER_ERROR, SOLVER_MISSING
from optimizer.sourcing import result as R
from optimizer.core.issues import InputError

# Analysis modules that add their own sub-commands: each defines register(subparsers),
# adding a parser whose ``func(args) -> int`` follows the exit codes above.
COMMAND_MODULES = ("optimizer.robustness", "optimizer.curves", "optimizer.pooling.cli",
                   "optimizer.risk.cli", "optimizer.web.cli")

SAMPLE = Path(__file__).resolve().parent.parent / "inputs" / "korea_2024_2030.xlsx"


def _print_issues(err: InputError, out=None) -> None:
    out = out or sys.stderr
    errors = [i for i in err.issues if i.severity == "error"]
    warnings = [i for i in err.issues if i.severity != "error"]
    print(f"{err.path or 'input'}: {len(errors)} error(s), {len(warnings)} warning(s)", file=out)
    for issue in errors + warnings:
        print(f"  {issue}", file=out)


def _tts_lines(res: R.RunResult) -> list[str]:
    """The weakest points of the plan: the shortest times-to-survive and the exposure ranking."""
    tts = res.time_to_survive
    if tts is None or not len(tts):
        return []
    worst = tts.sort_values(["tts_weeks", "impact"], ascending=[True, False]).head(3)
    lines = ["Time-to-survive (weeks of demand met if a source stops, from stock and other capacity), shortest: "
             + "; ".join(f"{r.source} for {r.material} {int(r.year)}: {r.tts_weeks:.1f} wk"
                         for r in worst.itertuples())]
    if res.exposure is not None and len(res.exposure):
        top = res.exposure[res.exposure["impact"] > 0].head(3)
        lines.append("Most exposed sources (value of demand lost over a year without them): "
                     + (", ".join(f"{r.source} (REI {r.rei:.2f})" for r in top.itertuples()) or "none"))
    return lines


def summary_text(res: R.RunResult, out_path: Path | None) -> str:
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
    if res.unmet is not None and len(res.unmet):
        lines.append("Unmet demand:")
        for _, r in res.unmet.iterrows():
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


def cmd_template(args) -> int:
    from optimizer.sourcing.template import write_input_workbook
    extra = ()
    if getattr(args, "risk", False):
        from optimizer.risk.scenarios import RISK_SHEETS
        extra = tuple((sh, " (read by sourcing risk)") for sh in RISK_SHEETS)
    path = write_input_workbook(args.output, extra=extra)
    print(f"Template written: {path}" + (" (with the RiskScenarios and Disruptions sheets)" if extra else ""))
    return 0


def cmd_validate(args) -> int:
    from optimizer.sourcing.validate import load_and_validate
    try:
        data = load_and_validate(args.workbook, scenario=args.scenario)
    except InputError as err:
        _print_issues(err)
        return 1
    print(f"{args.workbook}: no errors, {len(data.warnings)} warning(s); "
          f"{len(data.materials)} materials, {len(data.suppliers)} suppliers, "
          f"{len(data.supply)} supply offers, years {data.settings.first_year}-{data.settings.last_year}; "
          f"scenarios: {', '.join(data.scenario_names()) or 'none'}")
    for w in data.warnings:
        print(f"  {w}")
    return 0


def cmd_solve(args) -> int:
    from optimizer.sourcing.run import RunOptions, default_output, solve_workbook
    workbook = args.workbook or str(SAMPLE)
    output = args.output or default_output(workbook, args.scenario)
    opts = RunOptions(backend=args.backend, solver=args.solver, time_limit=args.time_limit,
                      scenario=args.scenario)
    try:
        res, out = solve_workbook(workbook, output, opts)
    except InputError as err:
        _print_issues(err)
        return 1
    except ValueError as err:   # e.g. asked to overwrite the input workbook
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary_text(res, out))
    if res.status == OPTIMAL:
        return 0
    if res.status in (SOLVER_MISSING, SOLVER_ERROR):
        return 4
    return 3


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sourcing", description=(
        "Critical-material sourcing diversification optimizer: workbook in, workbook out."))
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("template", help="write an empty, documented input workbook")
    t.add_argument("-o", "--output", required=True, help="path of the .xlsx to write")
    t.add_argument("--risk", action="store_true",
                   help="also the RiskScenarios and Disruptions sheets that 'sourcing risk' reads")
    t.set_defaults(func=cmd_template)
    v = sub.add_parser("validate", help="list every problem in an input workbook")
    v.add_argument("workbook")
    v.add_argument("--scenario", default=None, help="also apply and check this named scenario")
    v.set_defaults(func=cmd_validate)
    s = sub.add_parser("solve", help="solve a workbook and write the result workbook")
    s.add_argument("workbook", nargs="?", default=None,
                   help=f"input workbook (default: the bundled sample {SAMPLE.name})")
    s.add_argument("-o", "--output", default=None, help="result workbook (default: outputs/<name>_result.xlsx)")
    s.add_argument("--backend", choices=("native", "pulp", "pyomo"), default=None)
    s.add_argument("--solver", choices=("highs", "cbc"), default=None)
    s.add_argument("--time-limit", type=float, default=None, help="seconds")
    s.add_argument("--scenario", default=None, help="named scenario from the Scenarios sheet")
    s.set_defaults(func=cmd_solve)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                continue   # an analysis module not present in this build
            raise
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:   # output piped into e.g. `head`: not an error of ours
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
