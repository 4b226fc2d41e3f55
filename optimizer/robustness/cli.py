"""``sourcing robustness [--quick] [--out-dir DIR] [--fresh-interpreter]``: run the corpus of
broken and hostile inputs (:mod:`.runner`) and print one summary line (and, on stderr, the
items handled cleanly per class of failure)."""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from optimizer.core import cli as C
from optimizer.core import limits as LIM
from optimizer.robustness.runner import class_lines, run_corpus, summary_line


def cmd_robustness(args) -> int:
    folder = Path(args.out_dir) if args.out_dir else Path(tempfile.mkdtemp(prefix="sourcing-robustness-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        outcomes, notes = run_corpus(folder.resolve(), quick=args.quick, jobs=args.jobs,
                                     isolation="exec" if args.fresh_interpreter else "fork")
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.out_dir:
            shutil.rmtree(folder, ignore_errors=True)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for o in outcomes:
        if not o.clean:
            print(f"NOT CLEAN {o.name}: {o.reason}", file=sys.stderr)
    for line in class_lines(outcomes):
        print(f"  {line}", file=sys.stderr)
    print(summary_line(outcomes))
    return 0 if all(o.clean for o in outcomes) else 1


def register(subparsers) -> None:
    p = subparsers.add_parser("robustness", help="run the corpus of broken and hostile workbooks "
                              "prints one summary line")
    p.add_argument("--out-dir", default=None, help="keep the corpus, outputs and robustness.tsv here "
                   "(default: a temporary folder, removed afterwards)")
    p.add_argument("--quick", action="store_true", help="about a third of the items (the CI test uses this)")
    p.add_argument("--jobs", type=C.whole(1, LIM.MAX_JOBS, C.WORK), default=None,
                   help="items run at the same time (default: CPUs, max 4)")
    p.add_argument("--fresh-interpreter", action="store_true", help="start a new Python for every item "
                   "(slower; default: fork each item from a server with the tool already imported)")
    p.set_defaults(func=cmd_robustness)
