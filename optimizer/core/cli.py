"""Command-line plumbing shared by every command: exit codes, printing input issues, default
output names, a progress line, and one guard that turns each kind of failure into its exit
code and a message (never a traceback).

Exit codes: 0 done (solve: proven optimal; unmet demand is reported, not an error), 1 the
input has errors, 2 usage error, 3 no proven optimum (time limit, infeasible, unbounded),
4 solver missing or failed, 130 interrupted.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

from optimizer.core.errors import NoProvenOptimum, UsageError
from optimizer.core.issues import InputError
from optimizer.core.outputs import OUTPUTS, default_output  # noqa: F401 - the commands' default names
from optimizer.core.solver import OPTIMAL, SOLVER_ERROR, SOLVER_MISSING, SolverUnavailable

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_NO_OPTIMUM, EXIT_SOLVER, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
INPUTS = Path(__file__).resolve().parents[2] / "inputs"   # the bundled samples (in a source checkout)


def sample(name: str) -> Path:
    """A bundled sample workbook (the commands' default input)."""
    return INPUTS / name


def exit_code(status: str) -> int:
    """The exit code of a solve outcome: 0 proven optimal, 4 solver missing or failed, else 3."""
    if status == OPTIMAL:
        return EXIT_OK
    if status in (SOLVER_MISSING, SOLVER_ERROR):
        return EXIT_SOLVER
    return EXIT_NO_OPTIMUM


def print_issues(err: InputError, out=None) -> None:
    """Every issue of a bad input, errors first, one per line."""
    out = out or sys.stderr
    errors = [i for i in err.issues if i.severity == "error"]
    warnings = [i for i in err.issues if i.severity != "error"]
    print(f"{err.path or 'input'}: {len(errors)} error(s), {len(warnings)} warning(s)", file=out)
    for issue in errors + warnings:
        print(f"  {issue}", file=out)


def guard(fn):
    """Run a command function ``fn(args) -> int``; map bad input, usage errors, missing optima
    and missing solvers onto their exit codes with a message on stderr."""
    @functools.wraps(fn)
    def run(args) -> int:
        try:
            return fn(args)
        except InputError as err:
            print_issues(err)
            return EXIT_INPUT
        except (UsageError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_USAGE
        except NoProvenOptimum as err:
            print(f"no proven optimum: {err}", file=sys.stderr)
            return EXIT_NO_OPTIMUM
        except SolverUnavailable as err:
            print(f"solver missing: {err}", file=sys.stderr)
            return EXIT_SOLVER
    return run


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, label: str, total: int | None = None, stream=None, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label, self.total, self.done = label, total, 0

    def __call__(self, phase: str, value) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.total:
            fill = int(30 * min(self.done, self.total) / self.total)
            bar = f"[{'#' * fill}{'.' * (30 - fill)}] {self.done}/{self.total}"
        else:
            bar = f"{self.done} solves"
        text = f"{self.label} {phase}: {bar} {value if isinstance(value, str) else f'{value:.4f}'}"
        self.stream.write("\r" + text[:100].ljust(100))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()
