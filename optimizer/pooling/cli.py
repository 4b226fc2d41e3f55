"""``sourcing pool``: pooled procurement from the command line.

    sourcing pool [WORKBOOK] [-o out.xlsx] [--mga-slack 0.03] [--game]
    sourcing pool --template pool_inputs.xlsx

Exit codes as the main CLI: 0 every solve proven optimal, 1 input errors, 2 usage,
3 some coalition not solved to proven optimality, 4 solver missing or failed.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from optimizer.core import cli as C
from optimizer.core import limits as LIM
from optimizer.core import i18n
from optimizer.core import outputs as O
from optimizer.core.issues import InputError
from optimizer.core.solver import OPTIMAL
from optimizer.pooling.load import load_pool_workbook
from optimizer.pooling.report import write_pool_result

WORKERS = C.whole(1, LIM.MAX_SCENARIO_WORKERS, C.WORK)
from optimizer.pooling.run import METHODS, allocation_table, run_pool
from optimizer.pooling.template import write_pool_workbook

SAMPLE = C.sample("pool_kr_jp_sg.xlsx")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "pool", help="pooled procurement: coalition costs, fair cost shares, core check of a proposed split",
        description="Optimise every coalition of the pool members (or read a typed coalition-cost table with "
                    "--game), then split the pooled cost by proportional rules, Shapley, nucleolus, least "
                    "core and Owen's dual prices, and check a proposed split against the core.")
    p.add_argument("workbook", nargs="?", default=None,
                   help=f"pool workbook (default: the bundled sample {SAMPLE.name})")
    p.add_argument("-o", "--output", default=None, help="result workbook (default: outputs/<name>_pool[_game].xlsx)")
    p.add_argument("--mga-slack", type=C.real(0.0, 1.0), default=None,
                   help="near-optimal plans within this fraction of the optimal cost (default: the "
                        "workbook's mga_slack setting, 0.03); 0 = none")
    p.add_argument("--workers", type=WORKERS, default=1,
                   help=f"processes for the coalition table and the near-optimal alternatives (MGA), one HiGHS "
                        f"thread each (default 1; {WORKERS.range})")
    C.add_cluster_args(p)
    p.add_argument("--game", action="store_true",
                   help="analyse the CoalitionCosts sheet (a typed coalition-cost or savings table)")
    p.add_argument("--template", metavar="PATH", default=None,
                   help="write an empty, documented pool workbook to PATH and stop")
    p.set_defaults(func=cmd_pool)


def default_output(path, game: bool = False, mga_slack: float | None = None) -> Path:
    """``outputs/<stem>_pool[_game][_mga..].xlsx`` (:mod:`optimizer.core.outputs`)."""
    return C.default_output(path, "pool", O.qualifier("game", game), O.qualifier("mga", mga_slack))


def cmd_pool(args) -> int:
    if args.template:
        try:
            out = write_pool_workbook(args.template, protect=(args.workbook,) if args.workbook else ())
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return C.EXIT_USAGE
        print(f"Pool template written: {out}")
        return C.EXIT_OK
    if args.mga_slack is not None and not 0.0 <= args.mga_slack <= 1.0:
        print("error: --mga-slack must be between 0 and 1 (e.g. 0.03 for 3 %)", file=sys.stderr)
        return C.EXIT_USAGE
    workbook = args.workbook or str(SAMPLE)
    output = args.output or default_output(workbook, args.game, args.mga_slack)
    if Path(output).resolve() == Path(workbook).resolve():
        print(f"error: refusing to overwrite the input workbook {workbook}", file=sys.stderr)
        return C.EXIT_USAGE
    try:
        data = load_pool_workbook(workbook, mode="game" if args.game else "auto")
    except InputError as err:
        C.print_issues(err)
        return C.EXIT_INPUT
    cluster = C.open_cluster(args)
    try:
        res = run_pool(data, mga_slack=args.mga_slack, workers=cluster.size if cluster else args.workers,
                       pool_factory=cluster.pool if cluster else None)
    finally:
        if cluster:
            cluster.close()
    out = None
    if res.standalone is not None:
        try:
            out = write_pool_result(res, output, protect=(workbook,))
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return C.EXIT_USAGE
    print(summary_text(res, out, i18n.check(getattr(args, "lang", None))))
    return C.exit_code(res.status)


def summary_text(res, out_path, lang: str = "en") -> str:
    """The terminal summary: status, pooled vs stand-alone, the allocation table, the verdict
    (``lang="ko"``: the verdict line in Korean)."""
    lines = [f"Status: {'proven optimal' if res.status == OPTIMAL else res.status}"]
    warn = [w for w in res.data.warnings if w.severity != "error"]
    if warn:
        lines.append(f"{len(warn)} warning(s) in the workbook:")
        lines += [f"  {w}" for w in warn[:10]]
    if res.standalone is None:
        lines += [f"  - {n}" for n in res.notes]
        return "\n".join(lines)
    unit, word = res.unit, ("cost" if res.kind == "cost" else "savings")
    alone = res.standalone
    if res.kind == "cost":
        lines.append(f"Pooled cost c(N): {res.grand:,.3f} {unit}; stand-alone total {alone.sum():,.3f}; "
                     f"savings {alone.sum() - res.grand:,.3f} ({(alone.sum() - res.grand) / alone.sum():.2%})"
                     if alone.sum() else f"Pooled cost c(N): {res.grand:,.3f} {unit}")
        if res.grand_money is not None:
            pen = res.grand_penalty
            lines.append(f"  of c(N): money spent {res.grand_money:,.3f} {unit}" +
                         (f"; unmet-demand penalty {pen:,.3f} (not money: some demand is left unmet)"
                          if pen > 5e-4 else "; every member's demand met (no penalty)"))
    else:
        lines.append(f"Grand-coalition savings v(N): {-res.grand:,.3f} ({unit})")
    if res.least_core_epsilon is not None:
        eps = res.least_core_epsilon
        lines.append("Core: non-empty" + (f" (least-core margin {-eps:,.4g})" if eps <= 0 else "")
                     if eps <= 0 else f"Core: EMPTY (least-core value {eps:,.4g})")
    table = allocation_table(res)
    cols = [c for c in table.columns if c in METHODS]
    lines.append(f"Allocations ({word} shares, {unit}):")
    head = f"  {'member':<8}{'alone':>12}" + "".join(f"{_short(c):>12}" for c in cols)
    lines.append(head)
    for _, row in table.iterrows():
        lines.append(f"  {row['member']:<8}{row['standalone']:>12,.3f}" +
                     "".join(f"{row[c]:>12,.3f}" for c in cols))
    core = "".join(f"{('yes' if res.checks[c].in_core else 'NO') if c in res.checks else '-':>12}" for c in cols)
    lines.append(f"  {'in core':<8}{'':>12}" + core)
    for k, why in res.unavailable.items():
        lines.append(f"  {METHODS.get(k, k)}: {why}")
    if res.shapley_half_width is not None:
        lines.append("  " + res.shapley_text + " Half-widths: " +
                     ", ".join(f"{m} +/- {h:,.4g}" for m, h in zip(res.members, np.atleast_1d(res.shapley_half_width))))
    if "proposed" in res.checks:
        chk = res.checks["proposed"]
        if lang == "ko":
            lines.append(i18n.t("cli.pool_verdict_in", "ko") if chk.in_core or chk.blocking is None else
                         i18n.t("cli.pool_verdict_out", "ko", coalition=chk.blocking, gain=f"{chk.gain:,.6g}"))
        else:
            lines.append(f"Proposed split: {chk.text()}")
    lines += [f"  - {n}" for n in res.notes]
    if out_path is not None:
        lines.append(f"Result workbook: {out_path}")
    return "\n".join(lines)


SHORT = {"prop_volume": "prop.vol", "prop_standalone": "prop.alone", "pay_as_you_take": "own@pool",
         "shapley": "Shapley", "nucleolus": "nucleolus", "least_core": "leastcore", "owen": "Owen",
         "proposed": "proposed"}


def _short(key: str) -> str:
    return SHORT.get(key, key)
