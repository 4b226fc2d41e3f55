"""Every figure a person sees about one run, computed once from its :class:`RunResult`.

The result workbook (:mod:`.report`), the terminal summary (:mod:`.cli`) and the web page
(:mod:`optimizer.web.summary`) all take what they show from here, so the three cannot
disagree: the status in plain words, whether everything was met, unmet demand, the China
share per year against its target (all caps, and the glide path of scope ALL), the
sourcing mix by bloc, the main suppliers and the plan's weakest points.

Tables are pandas DataFrames; shares are fractions, money currency millions, masses t.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from models.sourcing import OPTIONAL_PARTS, PENALTY_PARTS, SPENDING_PARTS, WEIGHT_PARTS
from optimizer.core import i18n
from optimizer.core import values as V
from optimizer.core.solver import (INFEASIBLE, INFEASIBLE_OR_UNBOUNDED, OPTIMAL, SOLVER_ERROR, SOLVER_MISSING, TIME_LIMIT_FEASIBLE, TIME_LIMIT_NO_SOLUTION, UNBOUNDED)
from optimizer.sourcing.result import UNCAPPED, RunResult
from optimizer.sourcing.schema import BLOCS

BLOC_ORDER = BLOCS
WEEKS_IN_YEAR = 52.0
UNMET_TOL = 1e-9

STATUS_WORDS = {
    OPTIMAL: "Solved: the plan is proven optimal.",
    TIME_LIMIT_FEASIBLE: "Stopped at the time limit: a plan was found, but it is not proven optimal.",
    TIME_LIMIT_NO_SOLUTION: "Stopped at the time limit before any plan was found.",
    INFEASIBLE: "No plan can meet every hard rule of this workbook (infeasible); see the explanation.",
    UNBOUNDED: "The problem is unbounded: a cost or limit is missing in the workbook.",
    INFEASIBLE_OR_UNBOUNDED: "No plan can meet every hard rule (infeasible or unbounded); see the explanation.",
    SOLVER_ERROR: "The solver failed on this workbook.",
    SOLVER_MISSING: "The chosen solver is not installed on this computer.",
}


def status_words(res: RunResult) -> str:
    """The outcome in one plain sentence (the solver's own message when the status is unknown)."""
    return STATUS_WORDS.get(res.status, res.status_message or res.status)


def has_plan(res: RunResult) -> bool:
    return not V.frame(res.plan).empty


def no_plan_text(res: RunResult) -> str:
    return f"No plan exists for this run (status: {res.status_message or res.status})."


def unmet_rows(res: RunResult) -> pd.DataFrame:
    """Material-years with unmet demand (material, year, demand, unmet, unmet_share)."""
    df = V.frame(res.unmet)
    if df.empty or "unmet" not in df.columns:
        return df.iloc[0:0] if not df.empty else df
    return df[pd.to_numeric(df["unmet"], errors="coerce").fillna(0.0) > UNMET_TOL]


def all_clear(res: RunResult) -> bool:
    """Proven optimal and every tonne of demand met."""
    return bool(res.proven_optimal and res.status == OPTIMAL and unmet_rows(res).empty)


def bloc_order(blocs) -> list[str]:
    present = [str(b) for b in blocs]
    return [b for b in BLOC_ORDER if b in present] + sorted(set(present) - set(BLOC_ORDER))


def years(res: RunResult) -> list[int]:
    """Every year the run speaks of (planning years and any year in its tables)."""
    out = {int(y) for y in (res.years or []) if V.num(y) is not None}
    for df in (res.plan, res.shares, res.bloc_mix):
        df = V.frame(df)
        if "year" in df.columns:
            out.update(int(y) for y in df["year"].dropna().unique())
    return sorted(out)


# --------------------------------------------------------------------------- China share
def sorted_shares(df: pd.DataFrame) -> pd.DataFrame:
    """Rows by year; within a year ALL first, then the uncapped ALL row, then other scopes by name."""
    if df.empty or not {"year", "scope"} <= set(df.columns):
        return df
    rank = df["scope"].map(lambda s: 0 if s == "ALL" else (1 if s == UNCAPPED else 2))
    return (df.assign(_r=rank, _s=df["scope"].astype(str)).sort_values(["year", "_r", "_s"], kind="stable")
            .drop(columns=["_r", "_s"]))


def china_shares(res: RunResult) -> pd.DataFrame:
    """The China share per Policy row against its target, sorted; an uncapped row has no
    target and so no verdict (within_target None)."""
    df = sorted_shares(V.frame(res.shares).copy())
    if not df.empty and "scope" in df.columns and "within_target" in df.columns:
        df["within_target"] = [None if s == UNCAPPED else w for s, w in zip(df["scope"], df["within_target"])]
    return df


def glide_path(res: RunResult) -> pd.DataFrame:
    """One row per year: the China share of scope ALL (capped or not) and the ALL target
    (None where the year has no ALL cap)."""
    sh = V.frame(res.shares)
    if sh.empty or not {"year", "scope", "china_share"} <= set(sh.columns):
        return pd.DataFrame()
    a = sh[sh["scope"].isin(["ALL", UNCAPPED])]
    if a.empty:
        return pd.DataFrame()
    rows = []
    for y in sorted(int(v) for v in a["year"].dropna().unique()):
        ay = a[a["year"] == y]
        capped = ay[ay["scope"] == "ALL"]
        pick = capped if not capped.empty else ay
        target = V.num(capped["target"].iloc[0]) if (not capped.empty and "target" in capped.columns) else None
        rows.append({"year": y, "china_share": V.num(pick["china_share"].iloc[0]), "target": target})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- sourcing mix
@dataclass
class BlocMix:
    """Year x bloc: the value share of all capped materials (basis "value share"), or, when the
    run has no ALL mix, purchased tonnes and their tonnage share (basis "tonnage share")."""

    basis: str = ""
    blocs: list[str] = field(default_factory=list)
    share: pd.DataFrame = field(default_factory=pd.DataFrame)    # year + one column per bloc
    tonnes: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def years(self) -> list[int]:
        return [int(y) for y in self.share["year"]] if not self.share.empty else []


def _pivot(df: pd.DataFrame, value: str, blocs: list[str]) -> pd.DataFrame:
    tab = (df.assign(**{value: pd.to_numeric(df[value], errors="coerce")})
           .groupby(["year", "bloc"])[value].sum().unstack("bloc"))
    tab = tab.reindex(columns=blocs).fillna(0.0).reset_index()
    tab["year"] = tab["year"].astype(int)
    return tab[["year"] + blocs].sort_values("year").reset_index(drop=True)


def bloc_mix(res: RunResult) -> BlocMix:
    mix = V.frame(res.bloc_mix)
    if not mix.empty and {"year", "material", "bloc", "share"} <= set(mix.columns):
        a = mix[mix["material"] == "ALL"]
        if not a.empty:
            blocs = bloc_order(a["bloc"].unique())
            tonnes = _pivot(a, "tonnes", blocs) if "tonnes" in a.columns else pd.DataFrame()
            return BlocMix("value share", blocs, _pivot(a, "share", blocs), tonnes)
    plan = V.frame(res.plan)
    if not plan.empty and {"year", "bloc", "tonnes"} <= set(plan.columns):
        blocs = bloc_order(plan["bloc"].dropna().unique())
        tonnes = _pivot(plan, "tonnes", blocs)
        total = tonnes[blocs].sum(axis=1)
        share = tonnes.copy()
        for b in blocs:
            share[b] = [t / s if s > 0 else 0.0 for t, s in zip(tonnes[b], total)]
        return BlocMix("tonnage share", blocs, share, tonnes)
    return BlocMix()


# --------------------------------------------------------------------------- who and where
def top_suppliers(res: RunResult, limit: int = 12) -> pd.DataFrame:
    """The sources with the most spend (source, source_name, bloc, tonnes, cost in currency M)."""
    plan = V.frame(res.plan)
    if plan.empty or not {"source", "source_name", "bloc", "tonnes", "cost"} <= set(plan.columns):
        return pd.DataFrame()
    g = (plan.groupby(["source", "source_name", "bloc"], dropna=False)[["tonnes", "cost"]].sum()
         .reset_index().sort_values("cost", ascending=False))
    return g[g["tonnes"] > 1e-6].head(limit)


def weakest_points(res: RunResult, limit: int, shorter_than_a_year: bool = False) -> pd.DataFrame:
    """The shortest times-to-survive of the plan (weeks demand is met if the source stops at the
    start of the year), the most valuable loss first among equals; ``shorter_than_a_year``
    leaves out the sources whose loss the plan survives for the whole year."""
    tts = V.frame(res.time_to_survive)
    if tts.empty or not {"source", "material", "year", "tts_weeks", "impact"} <= set(tts.columns):
        return pd.DataFrame()
    if shorter_than_a_year:
        tts = tts[tts["tts_weeks"] < WEEKS_IN_YEAR - 1e-9]
    return tts.sort_values(["tts_weeks", "impact"], ascending=[True, False]).head(limit)


def most_exposed(res: RunResult, limit: int = 3) -> pd.DataFrame:
    """Sources ranked by the value of demand lost over a year without them (impact > 0)."""
    ex = V.frame(res.exposure)
    if ex.empty or "impact" not in ex.columns:
        return pd.DataFrame()
    return ex[ex["impact"] > 0].head(limit)


# --------------------------------------------------------------------------- the headline
def tonnes(v: float) -> str:
    """A mass for a sentence: whole tonnes when large, decimals when small."""
    v = float(v)
    if abs(v) < 5e-3:
        return "0 t"
    if abs(v) >= 100:
        return f"{v:,.0f} t"
    if abs(v) >= 1:
        return f"{v:,.1f} t"
    return f"{v:,.2f} t"


@dataclass
class Missed:
    """One target the plan does not meet, in its own units."""

    kind: str               # "unmet demand" | "stock below target"
    material: str
    year: int
    short_t: float          # tonnes missing
    text: str               # the line a person reads
    penalty_m: float        # what the objective charged for it (currency M, discounted; not money)


@dataclass
class Headline:
    """What a person is told first, in this order: the outcome, the targets missed, the money
    spent, then what the objective adds that is not money (penalties, the risk weight)."""

    outcome: str                                   # status in words, with the missed targets
    missed: list[Missed] = field(default_factory=list)
    money: pd.DataFrame = field(default_factory=pd.DataFrame)       # part, discounted_m, undiscounted_m
    penalties: pd.DataFrame = field(default_factory=pd.DataFrame)   # part, value_m
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)     # part, value_m
    money_total_m: float | None = None
    money_total_undiscounted_m: float | None = None
    objective_m: float | None = None
    outcome_ko: str = ""                           # the outcome in Korean (:func:`outcome_sentence`)

    @property
    def missed_unmet(self) -> list[Missed]:
        return [m for m in self.missed if m.kind == "unmet demand"]

    @property
    def missed_stock(self) -> list[Missed]:
        return [m for m in self.missed if m.kind == "stock below target"]


def missed_targets(res: RunResult) -> list[Missed]:
    """Unmet demand first, then stock below its target, each largest first."""
    out = []
    un = unmet_rows(res)
    for _, r in un.sort_values("unmet", ascending=False).iterrows() if len(un) else []:
        out.append(Missed("unmet demand", str(r["material"]), int(r["year"]), float(r["unmet"]),
                          f"{r['material']} {int(r['year'])}: {tonnes(r['unmet'])} of {tonnes(r['demand'])} demand "
                          f"unmet ({r['unmet_share']:.1%})", float(V.num(r.get("penalty_m")) or 0.0)))
    st = V.frame(res.stockpile)
    if not st.empty and "shortfall" in st.columns:
        short = st[pd.to_numeric(st["shortfall"], errors="coerce").fillna(0.0) > 1e-6]
        for _, r in short.sort_values("shortfall", ascending=False).iterrows():
            days = V.num(r.get("target_days"))
            cover = V.num(r.get("cover_days"))
            out.append(Missed(
                "stock below target", str(r["material"]), int(r["year"]), float(r["shortfall"]),
                f"{r['material']} {int(r['year'])}: {tonnes(r['shortfall'])} short ({tonnes(r['closing'])} held "
                f"against {tonnes(r['target'])}; {cover or 0:,.0f} days of cover against {days or 0:,.0f})",
                float(V.num(r.get("shortfall_penalty_m")) or 0.0)))
    return out


def _years_count(items: list[Missed]) -> str:
    n = len(items)
    return f"{n} material-year{'s' if n != 1 else ''}"


def outcome_sentence(res: RunResult, missed: list[Missed], lang: str = "en") -> str:
    """"Proven optimal, but stock targets are missed in 12 material-years (largest: MAG 2027,
    2,181 t short, 38 days of cover against 132)."  The status first, then every missed target.
    ``lang="ko"``: the same in Korean (the largest shortfall in tonnes)."""
    proven = res.proven_optimal and res.status == OPTIMAL
    if lang == "ko":
        return _outcome_ko(res, missed, proven)
    base = "Proven optimal" if proven else status_words(res).rstrip(".")
    if not missed:
        if res.objective is None:
            return base + "."
        return base + ": all demand met and every stock target reached."
    parts = []
    un = [m for m in missed if m.kind == "unmet demand"]
    st = [m for m in missed if m.kind == "stock below target"]
    if un:
        top = un[0]
        parts.append(f"demand is not met in {_years_count(un)} (largest: {top.material} {top.year}, "
                     f"{tonnes(top.short_t)} unmet)")
    if st:
        top = st[0]
        detail = top.text.split(": ", 1)[1].replace(" (", ", ").replace("; ", ", ").rstrip(")")
        parts.append(f"stock targets are missed in {_years_count(st)} (largest: {top.material} {top.year}, "
                     f"{detail})")
    return f"{base}, but " + " and ".join(parts) + "."


def _outcome_ko(res: RunResult, missed: list[Missed], proven: bool) -> str:
    base = i18n.t("outcome.proven", "ko") if proven else i18n.t("outcome.not_proven", "ko", status=status_words(res))
    if not missed:
        return base + ("." if res.objective is None else i18n.t("outcome.all_met", "ko"))
    un = [m for m in missed if m.kind == "unmet demand"]
    st = [m for m in missed if m.kind == "stock below target"]
    parts = []
    if un:
        parts.append(i18n.t("outcome.unmet", "ko", n=len(un), material=un[0].material, year=un[0].year,
                            t=tonnes(un[0].short_t)))
    if st:
        parts.append(i18n.t("outcome.stock", "ko", n=len(st), material=st[0].material, year=st[0].year,
                            t=tonnes(st[0].short_t)))
    return i18n.t("outcome.but", "ko", base=base, parts="; ".join(parts))


RISK_GLOSS = ("the risk charge is lambda x risk score x reference value x tonnes: a weight the optimiser "
              "trades against money, not money paid")
PENALTY_GLOSS = "penalties are what the optimiser charges for a missed target: not money paid"


def headline(res: RunResult) -> Headline:
    missed = missed_targets(res)
    h = Headline(outcome_sentence(res, missed), missed, objective_m=V.num(res.objective),
                 outcome_ko=outcome_sentence(res, missed, "ko"))
    parts, undisc = res.objective_parts or {}, res.objective_parts_undiscounted or {}
    if not parts:
        return h
    # a result without undiscounted parts (an older result) shows blanks, never zeros
    shown = [p for p in SPENDING_PARTS if p not in OPTIONAL_PARTS or parts.get(p) or undisc.get(p)]
    h.money = pd.DataFrame([{"part": p, "discounted_m": parts.get(p, 0.0),
                             "undiscounted_m": undisc.get(p, 0.0) if undisc else None}
                            for p in shown])
    h.money_total_m = float(h.money["discounted_m"].sum())
    h.money_total_undiscounted_m = float(h.money["undiscounted_m"].sum()) if undisc else None
    h.penalties = pd.DataFrame([{"part": p, "value_m": parts.get(p, 0.0)} for p in PENALTY_PARTS])
    h.weights = pd.DataFrame([{"part": p, "value_m": parts.get(p, 0.0)} for p in WEIGHT_PARTS])
    return h


# --------------------------------------------------------------------------- dependence
MEASURE_HEADERS = {"direct": "direct (seller)", "mining": "mining", "refining": "separation / refining",
                   "metal": "metal / alloy", "magnet": "magnet making", "look-through": "look-through"}


def china_by_measure(dep: pd.DataFrame, country: str = "CN", scope: str = "ALL") -> pd.DataFrame:
    """year x measure table of one country's share of one scope."""
    d = dep[(dep["country"] == country) & (dep["scope"] == scope)]
    if d.empty:
        return pd.DataFrame()
    t = d.pivot_table(index="year", columns="measure", values="share", aggfunc="sum").reset_index()
    cols = ["year"] + [m for m in MEASURE_HEADERS if m in t.columns]
    return t[cols].fillna(0.0)


def largest_by_year(dep: pd.DataFrame, scope: str = "ALL") -> pd.DataFrame:
    rows = []
    in_scope = dep[dep["scope"] == scope]
    groups = {key: d for key, d in in_scope.groupby(["year", "measure"], sort=False)}
    for year in sorted(dep["year"].unique()):
        row = {"year": int(year)}
        for m in ("direct", "look-through"):
            d = groups.get((year, m), in_scope.iloc[:0])     # the rows of that year and measure, in order
            if len(d):
                top = d.sort_values("share", ascending=False).iloc[0]
                row[f"{m}_country"], row[f"{m}_share"] = top["country"], float(top["share"])
        rows.append(row)
    return pd.DataFrame(rows)
