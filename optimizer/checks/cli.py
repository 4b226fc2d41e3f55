"""``sourcing validate``: list every problem any command would report for a workbook."""
from __future__ import annotations

from optimizer.checks.run import check_workbook
from optimizer.core import cli as C
from optimizer.core.issues import InputError


@C.guard
def cmd_validate(args) -> int:
    report = check_workbook(args.workbook, scenario=args.scenario)
    if report.errors:
        C.print_issues(InputError(report.issues, report.path))
        return C.EXIT_INPUT
    warnings = report.issues
    print(f"{report.path}: no errors, {len(warnings)} warning(s); checked for: {', '.join(report.commands)}")
    for fact in report.facts:
        print(f"  {fact}")
    for w in warnings:
        print(f"  {w}")
    return C.EXIT_OK


def register(sub) -> None:
    v = sub.add_parser("validate", help="list every problem in a workbook, for every command that reads it",
                       description="Check every sheet any command reads: the sourcing sheets (solve, curve, "
                                   "frontier, compare), the risk sheets when present (risk), or a pool "
                                   "workbook (pool), with the messages those commands give.")
    v.add_argument("workbook")
    v.add_argument("--scenario", default=None, help="also apply and check this named scenario")
    v.set_defaults(func=cmd_validate)
