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
