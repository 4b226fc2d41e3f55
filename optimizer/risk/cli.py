"""``sourcing risk WORKBOOK [-o out.xlsx] [--alpha 0.95] [--beta 1.0] [--tts-weeks N] [--method M]``.

Reads the main sheets plus RiskScenarios and Disruptions, solves the two-stage stochastic
model (extensive form, HiGHS), computes VSS / EVPI and time-to-survive, prints a summary
and writes the risk workbook (default ``outputs/<name>_risk.xlsx``).

``--method ef|benders|ph|auto`` (default auto: the extensive form on small sets, the L-shaped
method beyond; see :mod:`optimizer.risk.decompose`).  ``benders`` runs its scenarios in a pool of
``--workers`` processes, or on the ranks of ``mpiexec -n N sourcing risk ... --method benders``;
``ph`` (mpi-sppy progressive hedging) runs under mpiexec on a multiple of 3 ranks and starts
``mpiexec -n 3`` itself when it is not under MPI.  Both stop at ``--gap`` (certified), ``--time-limit``
or ``--max-iters`` and print their lower and upper bounds.  ``--mpi`` is the older spelling of
``--method ph`` under mpiexec; without MPI it prints how to start it and exits with 2.
"""
from __future__ import annotations

import os
import sys
import traceback

from models.units import to_millions
from optimizer.core import cli as C
from optimizer.core import i18n
from optimizer.core import limits as LIM
from optimizer.core.issues import InputError
from optimizer.core.progress import BoundsLine
from optimizer.core.solver import OPTIMAL
from optimizer.risk import parallel, ph
from optimizer.risk.decompose import DEFAULT_GAP, METHODS
from optimizer.risk.report import expected_split
from optimizer.risk.run import default_output, run_risk

PH_GAP, PH_MAX_ITERS = 5e-3, 200   # progressive hedging's defaults (its Lagrangian bound closes slowly)


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
    lines += bounds_lines(res, currency)
    if ranking is not None and len(ranking):
        lines.append("Risk exposure ranking (top 5): " + ", ".join(
            f"{r.source} (REI {r.rei:.2f}, min TTS {r.min_tts_weeks:.1f} wk)" for r in ranking.head(5).itertuples()))
    lines += [f"  - {n}" for n in res.notes]
    if out is not None:
        lines.append(f"Risk workbook: {out}")
    return "\n".join(lines)


def bounds_lines(res, currency="USD") -> list[str]:
    """A decomposition's certified bounds (nothing for the extensive form)."""
    if getattr(res, "method", "ef") == "ef" or res.objective is None:
        return []
    lower = "n/a" if res.lower_bound is None else f"{res.lower_bound:,.3f}"
    gap = "n/a" if res.gap is None else f"{res.gap:.2e} ({res.gap:.4%})"
    return [f"Method: {res.method}; {res.iterations} iterations, {res.solve_seconds:.1f} s, "
            f"scenarios on {res.workers}",
            f"  lower bound {lower}, upper bound (this plan) {res.objective:,.3f} {currency} M; "
            f"certified gap {gap}, target {res.target_gap:.0e}"]


def _progress_line(method: str, comm) -> BoundsLine:
    live = None if comm is None else os.environ.get("SOURCING_PROGRESS") == "live"
    # the model counts thousands of the currency; the line shows millions, like the summary
    return BoundsLine(method, enabled=live, every=0.0 if comm is None else 10.0, scale=to_millions(1.0), unit="M")


def cmd_risk(args) -> int:
    if not 0.0 <= args.alpha < 1.0 or args.beta < 0.0:
        print("error: --alpha must be in [0, 1) and --beta >= 0", file=sys.stderr)
        return C.EXIT_USAGE
    method = getattr(args, "method", "auto")
    if args.mpi:
        if mpi_size() < 2:
            return cmd_risk_mpi(args)
        method = "ph"
    comm = parallel.mpi_world() if mpi_size() > 1 else None
    if method == "ph" and comm is None:
        return relaunch_ph(args)
    decomposition = {k: getattr(args, k) for k in ("gap", "time_limit", "max_iters", "workers")
                     if getattr(args, k, None) is not None}
    if method == "ph":
        decomposition.setdefault("gap", PH_GAP)
        decomposition.setdefault("max_iters", PH_MAX_ITERS)
    output = args.output or default_output(args.workbook, args.alpha, args.beta, args.tts_weeks,
                                           method if method in ("benders", "ph") else None)
    rank = 0 if comm is None else comm.Get_rank()
    try:
        res, tts, ranking, out = run_risk(args.workbook, output, args.alpha, args.beta, args.tts_weeks,
                                          method=method, progress=_progress_line(method, comm), comm=comm,
                                          **decomposition)
    except InputError as err:
        if rank == 0:
            C.print_issues(err)
        return C.EXIT_INPUT
    except ImportError as exc:
        if rank == 0:
            print(f"error: {exc}: pip install mpi-sppy mpich mpi4py", file=sys.stderr)
        return C.EXIT_SOLVER
    except ValueError as err:      # e.g. output = input, an LP-only method on a MILP
        if rank == 0:
            print(f"error: {err}", file=sys.stderr)
        return C.EXIT_USAGE
    except BaseException:
        if comm is None:
            raise
        traceback.print_exc()      # one rank failed alone: stop them all, do not leave them waiting
        comm.Abort(C.EXIT_SOLVER)
    if res is None:                # another MPI rank: rank 0 reports
        return C.EXIT_OK
    print(summary_text(res, ranking, out, lang=i18n.check(getattr(args, "lang", None))))
    return C.exit_code(res.status)


def relaunch_ph(args) -> int:
    """``--method ph`` outside mpiexec: start ``mpiexec -n N`` (N = --workers rounded up to a
    multiple of 3, at least 3) on the same command and return its exit code."""
    ranks = max(ph.MIN_RANKS, -(-(getattr(args, "workers", None) or ph.MIN_RANKS) // ph.MIN_RANKS) * ph.MIN_RANKS)
    argv = ["risk", str(args.workbook), "--method", "ph", "--alpha", repr(args.alpha), "--beta", repr(args.beta)]
    for flag, name in (("-o", "output"), ("--tts-weeks", "tts_weeks"), ("--gap", "gap"),
                       ("--time-limit", "time_limit"), ("--max-iters", "max_iters")):
        if getattr(args, name, None) is not None:
            argv += [flag, str(getattr(args, name))]
    rc = parallel.relaunch(argv, ranks, sys.stderr.isatty())
    if rc is None:
        print("error: progressive hedging runs under MPI and no mpiexec was found: pip install mpi-sppy "
              f"mpich mpi4py (or the package's [risk] extra), then\n  mpiexec -n 3 sourcing risk {args.workbook} "
              "--method ph", file=sys.stderr)
        return C.EXIT_SOLVER
    return rc


def mpi_size() -> int:
    """Ranks of the MPI job this process was started in (1 when not under mpiexec)."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 1


def cmd_risk_mpi(args) -> int:
    """``--mpi`` outside mpiexec: say how to start it."""
    print("--mpi runs progressive hedging (mpi-sppy) over MPI ranks and must be started under "
          f"MPI, e.g.:\n  mpiexec -n 3 sourcing risk {args.workbook} --mpi\n"
          f"(or: sourcing risk {args.workbook} --method ph, which starts mpiexec itself; "
          "pip install mpi-sppy mpich mpi4py, or the package's [risk] extra)", file=sys.stderr)
    return C.EXIT_USAGE


ALPHA = C.real(0.0, 1.0, high_open=True)
BETA = C.real(0.0, LIM.MAX_BETA)
TTS = C.real(0.0, LIM.MAX_TTS_WEEKS)
ITERS = C.whole(1, LIM.MAX_PH_ITERS, C.WORK)
GAP = C.real(0.0, 1.0, low_open=True)
WORKERS = C.whole(1, LIM.MAX_SCENARIO_WORKERS, C.WORK)


def register(subparsers) -> None:
    p = subparsers.add_parser("risk", help="two-stage stochastic plan with CVaR, VSS/EVPI, time-to-survive")
    p.add_argument("workbook", help="input workbook with RiskScenarios and Disruptions sheets "
                                    "(e.g. inputs/korea_2024_2030_risk.xlsx)")
    p.add_argument("-o", "--output", default=None,
                   help="risk workbook (default outputs/<name>_risk[_alpha..][_beta..][_tts..w][_method].xlsx: "
                        "the parameters that differ from their defaults)")
    p.add_argument("--alpha", type=ALPHA, default=0.95, help=f"CVaR level (default 0.95; {ALPHA.range})")
    p.add_argument("--beta", type=BETA, default=1.0,
                   help=f"CVaR weight; 0 = risk neutral (default 1; {BETA.range})")
    p.add_argument("--tts-weeks", type=TTS, default=None,
                   help=f"require time-to-survive >= N weeks for every source (year-end stock floors; {TTS.range})")
    p.add_argument("--method", choices=METHODS, default="auto",
                   help="ef (one LP), benders (L-shaped, certified gap), ph (progressive hedging, mpi-sppy) "
                        "or auto: ef on small sets, benders beyond (default auto)")
    p.add_argument("--gap", type=GAP, default=None,
                   help=f"benders/ph: stop at this certified relative gap (default {DEFAULT_GAP:g}; ph {PH_GAP:g}; "
                        f"{GAP.range})")
    p.add_argument("--time-limit", type=C.TIME_LIMIT_ARG, default=None,
                   help=f"benders/ph: stop after S seconds ({C.TIME_LIMIT_ARG.range})")
    p.add_argument("--max-iters", type=ITERS, default=None,
                   help=f"benders/ph: iteration limit (default 1000; ph {PH_MAX_ITERS}; {ITERS.range})")
    p.add_argument("--iters", dest="max_iters", type=ITERS, default=None,
                   help="the older spelling of --max-iters")
    p.add_argument("--workers", type=WORKERS, default=None,
                   help=f"benders: scenario worker processes (default: the cores); ph: MPI ranks it starts (3; "
                        f"{WORKERS.range})")
    p.add_argument("--mpi", action="store_true",
                   help="= --method ph, started under MPI: mpiexec -n 3 sourcing risk WORKBOOK --mpi")
    p.set_defaults(func=cmd_risk)
