"""``sourcing solve``: the spine's commands and its terminal summary (``template`` is
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
from optimizer.core import i18n
from optimizer.core.issues import InputError
from optimizer.core.solver import BACKEND_NAMES, SOLVER_NAMES
from optimizer.sourcing import views
from optimizer.sourcing.labels import measure_text
from optimizer.sourcing.result import RunResult
from optimizer.sourcing.run import RunOptions, default_output, solve_workbook

SAMPLE = C.sample("korea_2024_2030.xlsx")


def _tts_lines(res: RunResult) -> list[str]:
    """The weakest points of the plan: the shortest times-to-survive and the exposure ranking."""
    worst = views.weakest_points(res, 3)
    if worst.empty:
        return []
    lines = ["Time-to-survive (weeks of demand met if a source stops, from stock and other capacity), shortest: "
             + "; ".join(f"{r.source} for {r.material} {int(r.year)}: {r.tts_weeks:.1f} wk"
                         for r in worst.itertuples())]
    ct = res.country_tts
    if ct is not None and len(ct):
        ref = ct[ct["measure"] == "refining"].head(3)
        if len(ref):
            lines.append("If a country's separation/refining stops (its content in every product), shortest: "
                         + "; ".join(f"{r.country} for {r.material} {int(r.year)}: {r.tts_weeks:.1f} wk"
                                     for r in ref.itertuples()))
    if res.exposure is not None and len(res.exposure):
        top = views.most_exposed(res, 3)
        lines.append("Most exposed sources (value of demand lost over a year without them): "
                     + (", ".join(f"{r.source} (REI {r.rei:.2f})" for r in top.itertuples()) or "none"))
    return lines


def dependence_lines(res: RunResult) -> list[str]:
    """China direct against look-through, the largest single country, and the caps on other measures."""
    dep = res.dependence
    if dep is None or dep.empty:
        return []
    china = views.china_by_measure(dep)
    big = views.largest_by_year(dep).set_index("year")
    lines = ["Dependence of ALL capped materials (share of demand value): China direct / look-through; "
             "largest single country"]
    for _, r in china.iterrows():
        y = int(r["year"])
        lt = f"{r['look-through']:6.1%}" if "look-through" in r else "   n/a"
        b = big.loc[y] if y in big.index else None
        top = (f"{b['direct_country']} {b['direct_share']:.1%} direct, {b['look-through_country']} "
               f"{b['look-through_share']:.1%} look-through") if b is not None and "look-through_country" in b else ""
        lines.append(f"  {y}  China {r.get('direct', float('nan')):6.1%} / {lt}   largest: {top}")
    if (china.drop(columns="year") > 1.0 + 1e-9).to_numpy().any():
        lines.append("  (a share above 100 %: that year's purchases, stock building included, exceed its demand; "
                     "shares are of demand, as the caps are)")
    caps = res.cap_shares
    if caps is not None and len(caps):
        lines.append("Caps on other measures:")
        for _, c in caps.iterrows():
            flag = "" if c["share"] <= c["max_china_share"] + 1e-6 else "  OVER TARGET"
            lines.append(f"  {int(c['year'])}  {c['scope']:<6} {measure_text(c['spec'], c['country'], c['stage'])}: "
                         f"{c['share']:.1%}  target {c['max_china_share']:.1%}{flag}")
    return lines


def headline_lines_ko(res: RunResult) -> list[str]:
    """The headline in Korean (``--lang ko`` or the Settings row language = ko): the outcome, the
    targets missed with their penalties, money spent (KRW in 억/조 원), the risk charge, the objective."""
    cur, h = res.currency, views.headline(res)
    m = lambda v: i18n.money(v, cur, "ko", 2)    # noqa: E731
    lines = [h.outcome_ko + ("" if res.proven_optimal else "  " + i18n.t("cli.not_proven", "ko"))]
    if res.status_message and not res.proven_optimal:
        lines.append(f"  solver: {res.status_message}")
    if h.money.empty:
        return lines
    un, st = h.missed_unmet, h.missed_stock
    if un or st:
        lines.append(i18n.t("cli.missed", "ko", unmet=len(un), stock=len(st),
                            pen=m(sum(x.penalty_m for x in un + st))))
    lines.append(i18n.t("cli.money_total", "ko", money=m(h.money_total_m)))
    if h.money_total_undiscounted_m is not None:
        lines.append(i18n.t("cli.money_undisc", "ko", money=m(h.money_total_undiscounted_m)))
    risk = float(h.weights["value_m"].sum()) if not h.weights.empty else 0.0
    if abs(risk) > 5e-3:
        lines.append(i18n.t("cli.risk_charge", "ko", money=m(risk)))
    lines.append(i18n.t("cli.objective", "ko", money=m(h.objective_m)))
    return lines


def language(args, res=None) -> str:
    """--lang, else the workbook's Settings row language, else English."""
    return i18n.check(getattr(args, "lang", None) or (getattr(res, "language", "") if res is not None else "") or None)


def headline_lines(res: RunResult, lang: str = "en") -> list[str]:
    """The outcome, every missed target, the money spent, then what the objective adds that is not
    money (penalties, the risk weight) -- in that order (``lang="ko"``: :func:`headline_lines_ko`)."""
    if lang == "ko":
        return headline_lines_ko(res)
    cur = res.currency
    h = views.headline(res)
    lines = [h.outcome + ("" if res.proven_optimal else "  [NOT proven optimal]")]
    if res.status_message and not res.proven_optimal:
        lines.append(f"  solver: {res.status_message}")
    if h.money.empty:
        return lines
    un, st = h.missed_unmet, h.missed_stock
    lines.append("Targets missed:" if (un or st) else "Targets missed: none (all demand met, every stock target reached)")
    if un or st:
        lines.append("  Unmet demand: " + ("none" if not un else
                     f"{views.tonnes(sum(m.short_t for m in un))} in {len(un)} material-year(s), penalty "
                     f"{sum(m.penalty_m for m in un):,.2f} {cur} M (not money spent)"))
        for m in un[:10]:
            lines.append(f"    {m.text}")
        lines.append("  Stock below target: " + ("none" if not st else
                     f"{len(st)} material-year(s), {views.tonnes(sum(m.short_t for m in st))} short in all, penalty "
                     f"{sum(m.penalty_m for m in st):,.2f} {cur} M (not money spent)"))
        for m in st[:10]:
            lines.append(f"    {m.text}")
        if len(st) > 10:
            lines.append(f"    ... {len(st) - 10} more on the Stockpile sheet")
    undisc = ("" if h.money_total_undiscounted_m is None
              else f" ({h.money_total_undiscounted_m:,.2f} M undiscounted)")
    lines.append(f"Money spent: {h.money_total_m:,.2f} {cur} M discounted{undisc}")
    lines.append("  " + ", ".join(f"{r.part} {r.discounted_m:,.2f}" for r in h.money.itertuples()
                                  if abs(r.discounted_m) > 5e-3))
    risk = float(h.weights["value_m"].sum()) if not h.weights.empty else 0.0
    if abs(risk) > 5e-3:
        lines.append(f"Risk charge: {risk:,.2f} {cur} M-equivalent ({views.RISK_GLOSS})")
    lines.append(f"Objective minimised: {h.objective_m:,.2f} {cur} M = money spent + penalties + risk charge "
                 "(a weighted sum, not a cost)")
    return lines


def summary_text(res: RunResult, out_path: Path | None, lang: str = "en") -> str:
    """The terminal summary; ``lang="ko"`` puts the headline (outcome, missed targets, money, objective)
    and the result line in Korean -- the tables below it stay in English."""
    lines = headline_lines(res, lang)
    if res.shares is not None and len(res.shares):
        lines.append("China share by year (value-weighted) vs target:")
        for _, r in res.shares.iterrows():
            tgt = "  (no cap)" if math.isnan(r["target"]) else f"  target {r['target']:6.1%}"
            flag = "" if r["within_target"] else "  OVER TARGET"
            lines.append(f"  {int(r['year'])}  {r['scope']:<16} {r['china_share']:6.1%}{tgt}{flag}")
    lines += dependence_lines(res)
    for s in res.explanation:
        lines.append(f"  - {s}")
    lines += _tts_lines(res)
    t = res.manifest.get("timings", {})
    if t:
        lines.append("Timings (s): " + ", ".join(f"{k} {v:.3f}" for k, v in t.items()))
    if out_path is not None:
        lines.append(i18n.t("cli.result_workbook", lang, path=out_path))
    return "\n".join(lines)


def cmd_solve(args) -> int:
    workbook = args.workbook or str(SAMPLE)
    output = args.output or default_output(workbook, args.scenario)
    opts = RunOptions(backend=args.backend, solver=args.solver, time_limit=args.time_limit,
                      scenario=args.scenario, sensitivity=args.sensitivity)
    try:
        with i18n.workbook_language(getattr(args, "lang", None)):
            res, out = solve_workbook(workbook, output, opts)
    except InputError as err:
        C.print_issues(err)
        return C.EXIT_INPUT
    except ValueError as err:   # e.g. asked to overwrite the input workbook
        print(f"error: {err}", file=sys.stderr)
        return C.EXIT_USAGE
    print(summary_text(res, out, language(args, res)))
    return C.exit_code(res.status)


def register(sub) -> None:
    s = sub.add_parser("solve", help="solve a workbook and write the result workbook")
    s.add_argument("workbook", nargs="?", default=None,
                   help=f"input workbook (default: the bundled sample {SAMPLE.name})")
    s.add_argument("-o", "--output", default=None, help="result workbook (default: outputs/<name>_solve[_<scenario>].xlsx)")
    s.add_argument("--backend", choices=BACKEND_NAMES, default=None)
    s.add_argument("--solver", choices=SOLVER_NAMES, default=None)
    s.add_argument("--time-limit", type=C.TIME_LIMIT_ARG, default=None,
                   help=f"seconds ({C.TIME_LIMIT_ARG.range})")
    s.add_argument("--scenario", default=None, help="named scenario from the Scenarios sheet")
    s.add_argument("--sensitivity", choices=("auto", "exact", "dual"), default="auto",
                   help="China caps' prices and ranges: exact = re-solve each cap (right at kinks, for "
                        "caps that do not bind, at degenerate plans); dual = the solver's dual and ranging "
                        "only (fast, flagged 'range exact = no'); auto (default) = exact up to 50,000 "
                        "variables")
    s.set_defaults(func=cmd_solve)
