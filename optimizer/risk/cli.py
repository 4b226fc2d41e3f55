"""``sourcing risk WORKBOOK [-o out.xlsx] [--alpha 0.95] [--beta 1.0] [--tts-weeks N] [--mpi]``.

Reads the main sheets plus RiskScenarios and Disruptions, solves the two-stage stochastic
model (extensive form, HiGHS), computes VSS / EVPI and time-to-survive, prints a summary
and writes the risk workbook (default ``outputs/<name>_risk.xlsx``).

``--mpi`` solves by progressive hedging with mpi-sppy instead of the extensive form; it
must be started under MPI, e.g. ``mpiexec -n 2 sourcing risk WORKBOOK --mpi`` (see
:mod:`optimizer.risk.ph`); without MPI it prints that command and exits with 2.
"""
from __future__ import annotations

import os
import sys

from optimizer.core import cli as C
from optimizer.core import i18n
from optimizer.core import limits as LIM
from optimizer.core.issues import InputError
from optimizer.core.solver import OPTIMAL
from optimizer.risk import ph
from optimizer.risk.load import read_risk_scenarios
from optimizer.risk.report import expected_split, write_risk_workbook
from optimizer.risk.run import default_output, run_risk


def summary_text_ko(res, ranking, out, currency="USD") -> str:
    """The headline in Korean (``--lang ko``): status, expected cost, CVaR and VaR, VSS and EVPI (KRW in
    억/조 원); the per-scenario lines and the ranking stay as in English."""
    m = lambda v: i18n.money(v, currency, "ko", 2)    # noqa: E731
    lines = [f"{i18n.t('status.optimal', 'ko') if res.status == OPTIMAL else (res.message or res.status)}"]
    if res.objective is not None:
        lines += [i18n.t("cli.risk_expected", "ko", money=m(res.expected)),
                  i18n.t("cli.risk_cvar", "ko", alpha=f"{res.alpha:g}", cvar=m(res.cvar), var=m(res.var)),
                  i18n.t("cli.risk_values", "ko", vss=m(res.vss), evpi=m(res.evpi))]
        lines += [f"  {s:<24} p={p:6.3f}  {c:,.3f}" for s, p, c in zip(res.scenarios, res.prob, res.scenario_costs)]
    lines += [f"  - {n}" for n in res.notes]
    if out is not None:
        lines.append(i18n.t("cli.result_workbook", "ko", path=out))
    return "\n".join(lines)


def summary_text(res, ranking, out, currency="USD", lang: str = "en") -> str:
    if lang == "ko":
        return summary_text_ko(res, ranking, out, currency)
    f = lambda v: "n/a" if v is None else f"{v:,.3f}"    # noqa: E731
    tail = 1.0 - res.alpha
    lines = [f"Status: {res.message or res.status}",
             f"Scenarios: {len(res.scenarios)}; alpha {res.alpha:g} (CVaR = mean cost of the worst {tail:.0%} "
             f"of scenarios), beta {res.beta:g} (CVaR's weight in the objective)"]
    if res.objective is not None:
        split = expected_split(res)
        lines += [f"Expected cost: {f(res.expected)} {currency} M (money spent {f(split.get('money'))}, penalties of "
                  f"missed targets {f(split.get('penalties'))} (not money), risk charge {f(split.get('risk charge'))} "
                  "(a weight))",
                  f"CVaR {res.alpha:g}: {f(res.cvar)} {currency} M; VaR {res.alpha:g}: {f(res.var)} {currency} M "
                  f"(the cost exceeded with probability at most {tail:.0%})",
                  f"Objective minimised: {f(res.objective)} {currency} M = expected cost + {res.beta:g} x CVaR "
                  "(a weighted sum, not a cost)",
                  f"Value of planning for the scenarios (VSS): {f(res.vss)} {currency} M; value of knowing the "
                  f"scenario in advance (EVPI): {f(res.evpi)} {currency} M",
                  f"Cost per scenario ({currency} M: money + penalties + risk charge):"]
        lines += [f"  {s:<24} p={p:6.3f}  {c:,.3f}" for s, p, c in zip(res.scenarios, res.prob, res.scenario_costs)]
    if ranking is not None and len(ranking):
        lines.append("Risk exposure ranking (top 5): " + ", ".join(
            f"{r.source} (REI {r.rei:.2f}, min TTS {r.min_tts_weeks:.1f} wk)" for r in ranking.head(5).itertuples()))
    lines += [f"  - {n}" for n in res.notes]
    if out is not None:
        lines.append(f"Risk workbook: {out}")
    return "\n".join(lines)


def cmd_risk(args) -> int:
    if not 0.0 <= args.alpha < 1.0 or args.beta < 0.0:
        print("error: --alpha must be in [0, 1) and --beta >= 0", file=sys.stderr)
        return C.EXIT_USAGE
    if args.mpi:
        return cmd_risk_mpi(args)
    output = args.output or default_output(args.workbook, args.alpha, args.beta, args.tts_weeks)
    try:
        res, tts, ranking, out = run_risk(args.workbook, output, args.alpha, args.beta, args.tts_weeks)
    except InputError as err:
        C.print_issues(err)
        return C.EXIT_INPUT
    except ValueError as err:      # e.g. output = input
        print(f"error: {err}", file=sys.stderr)
        return C.EXIT_USAGE
    print(summary_text(res, ranking, out, lang=i18n.check(getattr(args, "lang", None))))
    return C.exit_code(res.status)


def mpi_size() -> int:
    """Ranks of the MPI job this process was started in (1 when not under mpiexec)."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 1


def cmd_risk_mpi(args) -> int:
    """``--mpi``: progressive hedging on every rank, then rank 0 evaluates the consensus first
    stage exactly (recourse re-optimised in every scenario), prints and writes the workbook."""
    if mpi_size() < 2:
        print("--mpi runs progressive hedging (mpi-sppy) over MPI ranks and must be started under "
              f"MPI, e.g.:\n  mpiexec -n 2 sourcing risk {args.workbook} --mpi\n"
              "(pip install mpi-sppy mpich mpi4py, or the package's [risk] extra)", file=sys.stderr)
        return C.EXIT_USAGE
    try:
        from mpi4py import MPI   # optional: the [risk] extra
    except ImportError as exc:
        print(f"error: {exc}: pip install mpi-sppy mpich mpi4py", file=sys.stderr)
        return C.EXIT_SOLVER
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    try:
        first, info, data = ph.ph_for_workbook(args.workbook, args.alpha, args.beta, args.rho, args.iters,
                                               args.convthresh, args.tts_weeks)
    except ImportError as exc:
        if rank == 0:
            print(f"error: {exc}: pip install mpi-sppy mpich mpi4py", file=sys.stderr)
        return C.EXIT_SOLVER
    except InputError as err:
        if rank == 0:
            C.print_issues(err)
        return C.EXIT_INPUT
    if rank != 0:
        return C.EXIT_OK
    output = args.output or default_output(args.workbook, args.alpha, args.beta, args.tts_weeks, "ph")
    notes = [ph.ph_note(info, comm.Get_size())]
    res, tts, ranking, _ = run_risk(args.workbook, None, args.alpha, args.beta, args.tts_weeks,
                                    first_stage=first, notes=notes)
    gap = ph.ph_gap_note(info, res.objective, data.settings.currency)
    if gap:
        res.notes.append(gap)
    out = None
    if res.status == OPTIMAL:
        try:
            out = write_risk_workbook(output, res, tts, ranking, read_risk_scenarios(args.workbook, data),
                                      data.settings.currency, protect=(str(args.workbook),))
        except ValueError as err:      # e.g. output = input
            print(f"error: {err}", file=sys.stderr)
            return C.EXIT_USAGE
    print(summary_text(res, ranking, out, data.settings.currency))
    return C.exit_code(res.status)


ALPHA = C.real(0.0, 1.0, high_open=True)
BETA = C.real(0.0, LIM.MAX_BETA)
TTS = C.real(0.0, LIM.MAX_TTS_WEEKS)
RHO = C.real(0.0, LIM.MAX_PH_RHO, low_open=True)
ITERS = C.whole(1, LIM.MAX_PH_ITERS, C.WORK)
CONV = C.real(0.0, 1.0, low_open=True)


def register(subparsers) -> None:
    p = subparsers.add_parser("risk", help="two-stage stochastic plan with CVaR, VSS/EVPI, time-to-survive")
    p.add_argument("workbook", help="input workbook with RiskScenarios and Disruptions sheets "
                                    "(e.g. inputs/korea_2024_2030_risk.xlsx)")
    p.add_argument("-o", "--output", default=None, help="risk workbook (default outputs/<name>_risk[_alpha..][_beta..].xlsx: the parameters that differ "
                        "from their defaults)")
    p.add_argument("--alpha", type=ALPHA, default=0.95, help=f"CVaR level (default 0.95; {ALPHA.range})")
    p.add_argument("--beta", type=BETA, default=1.0,
                   help=f"CVaR weight; 0 = risk neutral (default 1; {BETA.range})")
    p.add_argument("--tts-weeks", type=TTS, default=None,
                   help=f"require time-to-survive >= N weeks for every source (year-end stock floors; {TTS.range})")
    p.add_argument("--mpi", action="store_true",
                   help="progressive hedging with mpi-sppy: mpiexec -n N sourcing risk WORKBOOK --mpi")
    p.add_argument("--rho", type=RHO, default=1.0, help=f"--mpi: PH penalty rho (default 1; {RHO.range})")
    p.add_argument("--iters", type=ITERS, default=200, help=f"--mpi: PH iteration limit (default 200; {ITERS.range})")
    p.add_argument("--convthresh", type=CONV, default=1e-6,
                   help=f"--mpi: PH convergence threshold ({CONV.range})")
    p.set_defaults(func=cmd_risk)
