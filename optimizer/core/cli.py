"""Command-line plumbing shared by every command: exit codes, printing input issues, default
output names, a progress line, and one guard that turns each kind of failure into its exit
code and a message (never a traceback).

Exit codes: 0 done (solve: proven optimal; unmet demand is reported, not an error), 1 the
input has errors, 2 usage error, 3 no proven optimum (time limit, infeasible, unbounded),
4 solver missing or failed, 130 interrupted.
"""
from __future__ import annotations

import argparse
import functools
import math
import signal
import sys
import threading
from pathlib import Path

from optimizer.core import limits as LIM
from optimizer.core.errors import NoProvenOptimum, UsageError
from optimizer.core import i18n
from optimizer.core.pool import DaskCluster
from optimizer.core.issues import InputError, Issue
from optimizer.core.outputs import OUTPUTS, default_output  # noqa: F401 - the commands' default names
from optimizer.core.paths import describe, folder_problem, output_problem, shown
from optimizer.core.workbook.reader import input_problem
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


# --------------------------------------------------------------------------- every command
DEFAULT_OUTPUT_COMMANDS = ("solve", "curve", "frontier", "compare", "risk", "pool")
_OUTPUT_ARGS = ("output", "png", "template")
_FOLDER_ARGS = ("out_dir", "data_dir")


def check_paths(args) -> int | None:
    """Before a command does any work: its input workbook must be a readable file and every
    output path writable (None = go on; else the exit code, the message printed)."""
    workbook = getattr(args, "workbook", None)
    if isinstance(workbook, str) and workbook:
        problem = input_problem(Path(workbook))
        if problem is not None:
            print_issues(InputError([Issue("", "", shown(workbook), problem)], shown(workbook)))
            return EXIT_INPUT
    protect = (workbook,) if isinstance(workbook, str) and workbook else ()
    outputs = [(f"-o/--output {shown(getattr(args, name))}" if name == "output" else
                f"--{name} {shown(getattr(args, name))}", getattr(args, name))
               for name in _OUTPUT_ARGS if isinstance(getattr(args, name, None), str)]
    if getattr(args, "command", None) in DEFAULT_OUTPUT_COMMANDS and getattr(args, "output", "") is None \
            and not getattr(args, "template", None):
        outputs.append((f"into the default output folder {OUTPUTS}", str(OUTPUTS / "result.xlsx")))
    for what, path in outputs:
        problem = output_problem(path, protect)
        if problem is not None:
            print(f"error: cannot write {what}: {problem}", file=sys.stderr)
            return EXIT_USAGE
    for name in _FOLDER_ARGS:
        path = getattr(args, name, None)
        if isinstance(path, str) and path:
            problem = folder_problem(path)
            if problem is not None:
                print(f"error: --{name.replace('_', '-')} {shown(path)}: {problem}", file=sys.stderr)
                return EXIT_USAGE
    return None


def run_command(args) -> int:
    """Run a parsed command: paths checked first; bad input, usage errors (an output path that
    cannot be written among them) and file-system errors become their exit code and a message."""
    code = check_paths(args)
    if code is not None:
        return code
    try:
        with i18n.workbook_language(getattr(args, "lang", None)):    # --lang labels every workbook written
            return args.func(args)
    except InputError as err:
        print_issues(err)
        return EXIT_INPUT
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:
        print(f"error: {describe(err)}", file=sys.stderr)
        return EXIT_USAGE


class _Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread so that every clean-up runs."""


def _terminate(signum, frame):
    raise _Terminated(signal.Signals(signum).name)


def prepare_process() -> dict:
    """Before a command: output that cannot be encoded (a file name that is not UTF-8) is escaped
    rather than a crash, and SIGTERM/SIGHUP interrupt like Ctrl+C (temporary files are removed).
    Returns the previous signal handlers for :func:`restore_process`."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", "") == "strict" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError, TypeError):
                pass
    saved = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                saved[sig] = signal.signal(sig, _terminate)
            except (ValueError, OSError):
                pass
    return saved


def restore_process(saved: dict) -> None:
    for sig, handler in saved.items():
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError, TypeError):
            pass


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


# --------------------------------------------------------------------------- argument types
def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) >= 10_000 else f"{x:g}"


def _range_text(low, high, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return (f"from {_num(low)}{' (not included)' if low_open else ''} to {_num(high)}"
                f"{' (not included)' if high_open else ''}")
    if low is not None:
        return f"{'above' if low_open else 'at least'} {_num(low)}"
    return f"{'below' if high_open else 'at most'} {_num(high)}"


def real(low: float | None = None, high: float | None = None, *, low_open: bool = False,
         high_open: bool = False):
    """An argparse ``type``: a finite number within the stated range (NaN, infinities and numbers
    outside it are usage errors, exit code 2, with the range in the message)."""
    rng = _range_text(low, high, low_open, high_open)

    def number(text: str) -> float:
        try:
            v = float(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{text!r} is not a number: give a number {rng}") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number: give a number {rng}")
        if (low is not None and (v < low or (low_open and v == low))) or \
                (high is not None and (v > high or (high_open and v == high))):
            raise argparse.ArgumentTypeError(f"{text!r} is outside the allowed range: give a number {rng}")
        return v
    number.range = rng
    return number


WORK = "the limit on the work one run may ask for"


def whole(low: int, high: int, why: str = ""):
    """An argparse ``type``: a whole number from ``low`` to ``high``; ``why`` says why the bound
    exists (e.g. :data:`WORK`), in the message when it is exceeded."""
    rng = _range_text(low, high, False, False)

    def count(text: str) -> int:
        t = str(text).strip()
        if not t.lstrip("+-").isdigit() or len(t) > 12:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number: give a whole number {rng}")
        v = int(t)
        if not low <= v <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is outside the allowed range: give a whole number {rng}"
                                             + (f" ({why})" if why and v > high else ""))
        return v
    count.range = rng
    return count


def share_arg(text: str) -> float:
    """An argparse ``type`` for a China-share target typed as a share or in percent: 0.8 or 80
    (values above 1.5 are percent); finite, from 0 to 100 %."""
    try:
        v = real(0.0, 100.0)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a China-share target: give a share from 0 to 1 "
                                         "(0.8) or a percentage up to 100 (80)") from None
    return v / 100.0 if v > 1.5 else v


YEAR_ARG = whole(1990, 2100)
TIME_LIMIT_ARG = real(0.0, LIM.MAX_TIME_LIMIT)


def add_cluster_args(p) -> None:
    """``--scheduler ADDRESS`` / ``--cluster local``: run the command's batch on a Dask cluster."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run the batch on the Dask cluster of this scheduler (e.g. tcp://10.0.0.5:8786; "
                        "start it with dask-scheduler and dask-worker --nthreads 1; needs the [cluster] extra)")
    g.add_argument("--cluster", choices=("local",), default=None,
                   help="local: start a Dask cluster of --workers processes on 127.0.0.1 for the batch")


def open_cluster(args):
    """The :class:`~optimizer.core.pool.DaskCluster` the arguments ask for, or None (worker
    processes or serial); a cluster that cannot be reached is a usage error."""
    address = getattr(args, "scheduler", None) or getattr(args, "cluster", None)
    if not address:
        return None
    try:
        return DaskCluster(address, local_workers=max(2, getattr(args, "workers", 1)))
    except RuntimeError as err:
        raise UsageError(str(err)) from err
    except (OSError, TimeoutError, ValueError) as err:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {err}") from err
