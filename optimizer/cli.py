"""The command line: ``sourcing <command>``, one explicit list of commands.

Each feature folder's ``cli`` module adds its sub-commands (``register(subparsers)``), whose
``func(args) -> int`` returns an exit code of :mod:`optimizer.core.cli`.  ``template`` lives
here because it writes every feature's sheets.  No traceback reaches the user for bad input
or solver outcomes.
"""
from __future__ import annotations

import argparse
import os
import sys

from optimizer.checks import cli as checks_cli
from optimizer.core import cli as C
from optimizer.curves import cli as curves_cli
from optimizer.pooling import cli as pooling_cli
from optimizer.pooling.template import write_pool_workbook
from optimizer.risk import cli as risk_cli
from optimizer.risk.schema import RISK_SHEETS
from optimizer.robustness import cli as robustness_cli
from optimizer.sourcing import cli as sourcing_cli
from optimizer.sourcing.template import write_input_workbook
from optimizer.web import cli as web_cli

# the order of ``sourcing --help``
COMMANDS = (checks_cli, sourcing_cli, curves_cli, risk_cli, pooling_cli, web_cli, robustness_cli)


def cmd_template(args) -> int:
    if getattr(args, "pool", False):
        print(f"Pool template written: {write_pool_workbook(args.output)}")
        return C.EXIT_OK
    extra = ()
    if getattr(args, "risk", False):
        extra = tuple((sh, " (read by sourcing risk)") for sh in RISK_SHEETS)
    path = write_input_workbook(args.output, extra=extra)
    print(f"Template written: {path}" + (" (with the RiskScenarios and Disruptions sheets)" if extra else ""))
    return C.EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sourcing", description=(
        "Critical-material sourcing diversification optimizer: workbook in, workbook out."))
    p.add_argument("--lang", choices=("en", "ko"), default=None,
                   help="language of the summaries (en, ko = 한국어; default: the workbook's Settings row "
                        "language, else en), e.g. sourcing --lang ko solve WORKBOOK")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("template", help="write an empty, documented input workbook")
    t.add_argument("-o", "--output", required=True, help="path of the .xlsx to write")
    kind = t.add_mutually_exclusive_group()
    kind.add_argument("--risk", action="store_true",
                      help="also the RiskScenarios and Disruptions sheets that 'sourcing risk' reads")
    kind.add_argument("--pool", action="store_true",
                      help="the pooled-procurement workbook that 'sourcing pool' reads instead")
    t.set_defaults(func=cmd_template)
    for module in COMMANDS:
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    saved = C.prepare_process()
    try:
        args = build_parser().parse_args(argv)
        return C.run_command(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return C.EXIT_INTERRUPTED
    except BrokenPipeError:   # output piped into e.g. `head`: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return C.EXIT_OK
    finally:
        C.restore_process(saved)


if __name__ == "__main__":
    sys.exit(main())
