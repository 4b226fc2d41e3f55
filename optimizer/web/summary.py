"""The key numbers of one run as plain JSON-able data (what the results page and the API show).

Everything here is computed from :class:`~optimizer.sourcing.result.RunResult` tables; no number is
re-derived from the model.  Shares are fractions, money in currency millions, masses in t.
"""
from __future__ import annotations

import math

import pandas as pd

from optimizer.core.solver import (INFEASIBLE, INFEASIBLE_OR_UNBOUNDED, OPTIMAL, SOLVER_ERROR, SOLVER_MISSING, TIME_LIMIT_FEASIBLE, TIME_LIMIT_NO_SOLUTION, UNBOUNDED)
from optimizer.sourcing import result as R

BLOC_ORDER = ("china", "ally", "domestic", "other")
UNCAPPED = "ALL (uncapped)"

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


def _num(v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _frame(df) -> pd.DataFrame:
    return df if isinstance(df, pd.DataFrame) else pd.DataFrame()


def status_words(res: R.RunResult) -> str:
    return STATUS_WORDS.get(res.status, res.status_message or res.status)


def china_share_rows(res: R.RunResult) -> list[dict]:
    """One row per shares row, ALL first then uncapped then other scopes, by year."""
    sh = _frame(res.shares)
    if sh.empty or not {"year", "scope", "china_share"} <= set(sh.columns):
        return []
    rank = {"ALL": 0, UNCAPPED: 1}
    rows = []
    for _, r in sh.iterrows():
        target = _num(r.get("target"))
        within = r.get("within_target")
        rows.append({"year": int(r["year"]), "scope": str(r["scope"]), "china_share": _num(r["china_share"]),
                     "target": target,
                     "within_target": None if target is None or within is None else bool(within)})
    return sorted(rows, key=lambda x: (x["year"], rank.get(x["scope"], 2), x["scope"]))


def glide_path(rows: list[dict]) -> list[dict]:
    """Per year: China share of the whole (scope ALL, capped or not) and the ALL target (None if none)."""
    out: dict[int, dict] = {}
    for r in rows:
        if r["scope"] == "ALL" or (r["scope"] == UNCAPPED and r["year"] not in out):
            out[r["year"]] = {"year": r["year"], "china_share": r["china_share"],
                              "target": r["target"] if r["scope"] == "ALL" else None}
    return [out[y] for y in sorted(out)]


def bloc_mix(res: R.RunResult) -> dict:
    """Year x bloc value share (material ALL) with tonnes; falls back to plan tonnes."""
    mix = _frame(res.bloc_mix)
    years: list[int] = []
    series: dict[str, list] = {}
    if not mix.empty and {"year", "material", "bloc", "share", "tonnes"} <= set(mix.columns):
        a = mix[mix["material"] == "ALL"]
        if not a.empty:
            years = sorted(int(y) for y in a["year"].unique())
            present = [str(b) for b in a["bloc"].unique()]
            blocs = [b for b in BLOC_ORDER if b in present] + sorted(set(present) - set(BLOC_ORDER))
            share = a.groupby(["year", "bloc"])["share"].sum()
            tonnes = a.groupby(["year", "bloc"])["tonnes"].sum()
            for b in blocs:
                series[b] = [{"share": _num(share.get((y, b), 0.0)) or 0.0,
                              "tonnes": _num(tonnes.get((y, b), 0.0)) or 0.0} for y in years]
            return {"basis": "value share", "years": years, "blocs": blocs, "series": series}
    plan = _frame(res.plan)
    if plan.empty or not {"year", "bloc", "tonnes"} <= set(plan.columns):
        return {"basis": "", "years": [], "blocs": [], "series": {}}
    tot = plan.groupby(["year", "bloc"])["tonnes"].sum()
    years = sorted(int(y) for y in plan["year"].unique())
    blocs = [b for b in BLOC_ORDER if b in set(plan["bloc"])]
    per_year = plan.groupby("year")["tonnes"].sum()
    for b in blocs:
        series[b] = [{"tonnes": _num(tot.get((y, b), 0.0)) or 0.0,
                      "share": (_num(tot.get((y, b), 0.0)) or 0.0) / per_year[y] if per_year[y] > 0 else 0.0}
                     for y in years]
    return {"basis": "tonnage share", "years": years, "blocs": blocs, "series": series}


def top_suppliers(res: R.RunResult, limit: int = 12) -> list[dict]:
    plan = _frame(res.plan)
    if plan.empty or not {"source", "source_name", "bloc", "tonnes", "cost"} <= set(plan.columns):
        return []
    g = (plan.groupby(["source", "source_name", "bloc"], dropna=False)[["tonnes", "cost"]].sum()
         .reset_index().sort_values("cost", ascending=False))
    g = g[g["tonnes"] > 1e-6].head(limit)
    return [{"source": str(r.source), "name": str(r.source_name), "bloc": str(r.bloc),
             "tonnes": float(r.tonnes), "cost": float(r.cost)} for r in g.itertuples()]


def weak_points(res: R.RunResult, limit: int = 8) -> list[dict]:
    """The shortest times-to-survive of the plan (weeks demand is met if the source stops at the
    start of the year), most valuable losses first among equals."""
    tts = _frame(res.time_to_survive)
    if tts.empty or not {"source", "material", "year", "tts_weeks", "impact"} <= set(tts.columns):
        return []
    top = tts[tts["tts_weeks"] < 52.0 - 1e-9].sort_values(["tts_weeks", "impact"], ascending=[True, False])
    return [{"source": str(r.source), "material": str(r.material), "year": int(r.year),
             "tts_weeks": _num(r.tts_weeks), "lost_t": _num(r.lost_t)} for r in top.head(limit).itertuples()]


def summarize(res: R.RunResult) -> dict:
    """JSON-able key results of one run."""
    unmet = _frame(res.unmet)
    unmet_rows = []
    if not unmet.empty and "unmet" in unmet.columns:
        for _, r in unmet.iterrows():
            if (_num(r["unmet"]) or 0.0) > 1e-9:
                unmet_rows.append({"material": str(r["material"]), "year": int(r["year"]),
                                   "demand": _num(r["demand"]), "unmet": _num(r["unmet"]),
                                   "unmet_share": _num(r["unmet_share"])})
    shares = china_share_rows(res)
    return {
        "status": res.status, "status_text": status_words(res), "proven_optimal": bool(res.proven_optimal),
        "currency": res.currency or "USD",
        "objective": _num(res.objective),
        "objective_parts": {k: _num(v) for k, v in (res.objective_parts or {}).items()},
        "scenario": (res.manifest or {}).get("scenario", ""),
        "china_share": shares, "glide_path": glide_path(shares),
        "unmet": unmet_rows, "explanation": [str(s) for s in res.explanation],
        "mix": bloc_mix(res), "suppliers": top_suppliers(res), "weak_points": weak_points(res),
    }


def pool_summary(res) -> dict:
    """JSON-able key results of a pooled-procurement run (:class:`optimizer.pooling.analysis.PoolResult`)."""
    from optimizer.pooling.analysis import METHODS, allocation_table
    out = {"kind": "pool", "status": res.status,
           "status_text": STATUS_WORDS.get(res.status, str(res.status)),
           "proven_optimal": res.status == OPTIMAL, "game": res.kind, "unit": res.unit,
           "members": list(res.members), "notes": [str(n) for n in res.notes],
           "grand": None, "standalone_total": None, "savings": None, "core": None,
           "methods": [], "rows": []}
    if res.standalone is None:
        return out
    alone = float(res.standalone.sum())
    out["grand"] = _num(res.grand)
    out["standalone_total"] = _num(alone)
    out["savings"] = _num(alone - res.grand) if res.kind == "cost" else _num(-res.grand)
    eps = res.least_core_epsilon
    out["core"] = None if eps is None else ("non-empty" if eps <= 0 else "empty")
    table = allocation_table(res)
    methods = [c for c in table.columns if c in METHODS]
    out["methods"] = [{"key": k, "title": METHODS[k],
                       "in_core": (bool(res.checks[k].in_core) if k in res.checks else None)} for k in methods]
    for _, row in table.iterrows():
        out["rows"].append({"member": str(row["member"]), "standalone": _num(row["standalone"]),
                            "shares": [_num(row[k]) for k in methods]})
    return out
