"""The key numbers of one run as plain JSON-able data (what the results page and the API show).

Everything here is computed from :class:`~optimizer.sourcing.result.RunResult` tables; no number is
re-derived from the model.  Shares are fractions, money in currency millions, masses in t.
"""
from __future__ import annotations



from optimizer.core import values as V
from optimizer.core.solver import OPTIMAL
from optimizer.pooling.run import METHODS, allocation_table
from optimizer.sourcing import views
from optimizer.sourcing.result import RunResult
from optimizer.sourcing.views import STATUS_WORDS


def _num(v) -> float | None:
    return V.num(v)


def china_share_rows(res: RunResult) -> list[dict]:
    """One row per shares row, ALL first then uncapped then other scopes, by year."""
    sh = views.china_shares(res)
    if sh.empty or not {"year", "scope", "china_share"} <= set(sh.columns):
        return []
    rows = []
    for _, r in sh.iterrows():
        target = _num(r.get("target"))
        within = r.get("within_target")
        rows.append({"year": int(r["year"]), "scope": str(r["scope"]), "china_share": _num(r["china_share"]),
                     "target": target,
                     "within_target": None if target is None or within is None else bool(within)})
    return rows


def glide_path(res: RunResult) -> list[dict]:
    """Per year: China share of the whole (scope ALL, capped or not) and the ALL target (None if none)."""
    gp = views.glide_path(res)
    return [{"year": int(r["year"]), "china_share": _num(r["china_share"]), "target": _num(r["target"])}
            for _, r in gp.iterrows()]


def bloc_mix(res: RunResult) -> dict:
    """Year x bloc share with tonnes (value share of the capped materials, else tonnage share)."""
    mix = views.bloc_mix(res)
    if not mix.basis:
        return {"basis": "", "years": [], "blocs": [], "series": {}}
    series = {b: [{"share": _num(sh) or 0.0, "tonnes": _num(t) or 0.0}
                  for sh, t in zip(mix.share[b], mix.tonnes[b] if b in mix.tonnes else [0.0] * len(mix.share))]
              for b in mix.blocs}
    return {"basis": mix.basis, "years": mix.years, "blocs": mix.blocs, "series": series}


def top_suppliers(res: RunResult, limit: int = 12) -> list[dict]:
    g = views.top_suppliers(res, limit)
    return [{"source": str(r.source), "name": str(r.source_name), "bloc": str(r.bloc),
             "tonnes": float(r.tonnes), "cost": float(r.cost)} for r in g.itertuples()]


def weak_points(res: RunResult, limit: int = 8) -> list[dict]:
    """The shortest times-to-survive of the plan that last less than the whole year."""
    top = views.weakest_points(res, limit, shorter_than_a_year=True)
    return [{"source": str(r.source), "material": str(r.material), "year": int(r.year),
             "tts_weeks": _num(r.tts_weeks), "lost_t": _num(r.lost_t)} for r in top.itertuples()]


def headline(res: RunResult) -> dict:
    """The outcome sentence, the targets missed, money spent, and what the objective adds that is
    not money (:func:`optimizer.sourcing.views.headline`)."""
    h = views.headline(res)
    out = {"outcome": h.outcome, "outcome_ko": h.outcome_ko, "missed": [{"kind": m.kind, "material": m.material, "year": m.year,
                                             "short_t": _num(m.short_t), "text": m.text, "penalty": _num(m.penalty_m)}
                                            for m in h.missed],
           "money_total": _num(h.money_total_m), "money_total_undiscounted": _num(h.money_total_undiscounted_m),
           "money": [], "penalties": [], "weights": [], "objective": _num(h.objective_m),
           "penalty_gloss": views.PENALTY_GLOSS, "risk_gloss": views.RISK_GLOSS}
    if not h.money.empty:
        out["money"] = [{"part": r.part, "discounted": _num(r.discounted_m), "undiscounted": _num(r.undiscounted_m)}
                        for r in h.money.itertuples()]
        out["penalties"] = [{"part": r.part, "value": _num(r.value_m)} for r in h.penalties.itertuples()]
        out["weights"] = [{"part": r.part, "value": _num(r.value_m)} for r in h.weights.itertuples()]
    return out


def summarize(res: RunResult) -> dict:
    """JSON-able key results of one run."""
    unmet_rows = [{"material": str(r["material"]), "year": int(r["year"]), "demand": _num(r["demand"]),
                   "unmet": _num(r["unmet"]), "unmet_share": _num(r["unmet_share"])}
                  for _, r in views.unmet_rows(res).iterrows()]
    shares = china_share_rows(res)
    return {
        "status": res.status, "status_text": views.status_words(res), "proven_optimal": bool(res.proven_optimal),
        "currency": res.currency or "USD",
        "objective": _num(res.objective),
        "objective_parts": {k: _num(v) for k, v in (res.objective_parts or {}).items()},
        "scenario": (res.manifest or {}).get("scenario", ""),
        "china_share": shares, "glide_path": glide_path(res),
        "unmet": unmet_rows, "explanation": [str(s) for s in res.explanation],
        "mix": bloc_mix(res), "suppliers": top_suppliers(res), "weak_points": weak_points(res),
        "headline": headline(res), "dependence": dependence_rows(res),
    }


def dependence_rows(res: RunResult) -> list[dict]:
    """Per year: China's share of ALL direct and on the look-through, and the largest single country
    on each (:func:`optimizer.sourcing.views.china_by_measure`)."""
    dep = res.dependence
    if dep is None or dep.empty:
        return []
    china = views.china_by_measure(dep)
    big = views.largest_by_year(dep).set_index("year")
    out = []
    for _, r in china.iterrows():
        y = int(r["year"])
        b = big.loc[y] if y in big.index else {}
        out.append({"year": y, "china_direct": _num(r.get("direct")), "china_look_through": _num(r.get("look-through")),
                    "largest_direct": {"country": str(b.get("direct_country", "")), "share": _num(b.get("direct_share"))},
                    "largest_look_through": {"country": str(b.get("look-through_country", "")),
                                             "share": _num(b.get("look-through_share"))}})
    return out


def pool_summary(res) -> dict:
    """JSON-able key results of a pooled-procurement run (:class:`optimizer.pooling.run.PoolResult`)."""
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
