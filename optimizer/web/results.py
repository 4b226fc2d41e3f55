"""Each analysis's key results as plain JSON, read from the feature's own views and tables.

No figure is computed here: the plan comes from :mod:`optimizer.sourcing.views` (through
:mod:`.summary`), the risk run from :mod:`optimizer.risk.report`'s frames (the ones the risk
workbook writes), the curve, frontier and comparison from :mod:`optimizer.curves.tables` and
:mod:`optimizer.curves.compare`, the pool from :mod:`optimizer.pooling.run`'s tables and core
checks.  Money in currency millions, shares as fractions.
"""
from __future__ import annotations


from models.units import to_millions

from optimizer.core import values as V
from optimizer.core.solver import OPTIMAL
from optimizer.curves import tables as T
from optimizer.pooling.games import label as coalition_label
from optimizer.pooling.run import verdict_table
from optimizer.risk.report import contracts_frame, expected_split, scenario_frame, summary_frame
from optimizer.web.summary import pool_summary, summarize


def _num(v):
    return V.num(v)


def plan(res) -> dict:
    out = summarize(res)
    out["kind"] = "plan"
    return out


def risk(res, ranking, currency: str) -> dict:
    """Expected cost, CVaR/VaR, VSS/EVPI (with the risk workbook's glosses), the cost per scenario,
    the first-stage contracts and the sources the plan is most exposed to."""
    out = {"kind": "risk", "status": res.status, "status_text": res.message or res.status,
           "proven_optimal": res.status == OPTIMAL, "currency": currency, "alpha": res.alpha, "beta": res.beta,
           "tail": 1.0 - res.alpha, "notes": [str(n) for n in res.notes]}
    for k in ("expected", "cvar", "var", "objective", "vss", "evpi", "ev_objective", "eev", "ws"):
        out[k] = _num(getattr(res, k))
    out["split"] = {k: _num(v) for k, v in expected_split(res).items()}
    out["measures"] = [{"measure": str(r.measure), "value": (_num(r.value) if not isinstance(r.value, str)
                                                               else r.value),
                        "unit": str(r.unit), "meaning": str(r.meaning)}
                       for r in summary_frame(res, currency).itertuples()]
    out["scenarios"] = []
    if res.scenario_costs is not None:
        sc = scenario_frame(res)
        for _, r in sc.iterrows():
            out["scenarios"].append({"scenario": str(r["scenario"]), "probability": _num(r["probability"]),
                                     "cost": _num(r["cost (M)"]), "above_var": bool(r["above VaR"]),
                                     "wait_and_see": _num(r.get("wait-and-see cost (M)"))})
        con = contracts_frame(res).sort_values("contracted (t)", ascending=False).head(12)
        out["contracts"] = [{"material": str(r["material"]), "source": str(r["source"]), "year": int(r["year"]),
                             "tonnes": _num(r["contracted (t)"]), "price": _num(r["unit_cost"])}
                            for _, r in con.iterrows()]
    else:
        out["contracts"] = []
    out["weak_points"] = []
    if ranking is not None and len(ranking):
        out["weak_points"] = [{"source": str(r.source), "rei": _num(r.rei), "min_tts_weeks": _num(r.min_tts_weeks)}
                              for r in ranking.head(8).itertuples()]
    return out


def curve(c) -> dict:
    """The exact curve: every vertex (ends and breakpoints) with money spent, the objective and the
    cost of one point tighter (:func:`optimizer.curves.tables.breakpoint_table`)."""
    table = T.breakpoint_table(c)
    pts = []
    for _, r in table.iterrows():
        pts.append({"kind": str(r["kind"]), "target": _num(r["target"]), "money": _num(r["money_m"]),
                    "money_per_pp": _num(r["money_per_pp_m_tighter"]), "cost": _num(r["cost_m"]),
                    "cost_per_pp": _num(r["cost_per_pp_m_tighter"]), "shortfall": _num(r["shortfall_t"]),
                    "penalties": _num(r["penalties_m"])})
    low = c.lowest
    return {"kind": "curve", "status": "optimal", "proven_optimal": True, "currency": c.currency,
            "label": c.direction.label, "scenario": c.scenario or "", "t_high": _num(c.t_high), "t_low": _num(c.t_low),
            "lowest": _num(low.t), "lowest_note": low.note or "", "breakpoints": len(c.breakpoints),
            "method": c.method, "solves": dict(c.solves), "notes": [str(n) for n in c.notes], "points": pts}


def frontier(run) -> dict:
    fr = run.frontier
    table = T.frontier_table(fr, run.model)
    pts = [{"grid": int(r["grid"]), "cost": _num(r["money_and_penalties_m"]), "risk": _num(r["risk_m"]),
            "money": _num(r.get("money_m")), "penalties": _num(r.get("penalties_m"))}
           for _, r in table.iterrows()]
    return {"kind": "frontier", "status": "optimal", "proven_optimal": True, "currency": run.currency,
            "risk_label": run.risk_label, "grid": len(fr.grid), "solves": fr.solves, "skipped": fr.skipped,
            "notes": [str(n) for n in fr.notes], "points": pts}


COMPARE_MEASURES = (("money", "money spent (M, discounted)"), ("shortfall", "stock below target (t, all years)"),
                    ("unmet", "unmet demand (t)"), ("penalties", "penalties of missed targets (M, not money)"),
                    ("objective", "objective (M: money + penalties + risk charge)"),
                    ("lowest", "lowest achievable share (curve parameter)"))


def compare(cmp) -> dict:
    """Per scenario the comparison workbook's summary column, and every curve's vertices."""
    summary = cmp.tables["summary"].set_index("measure")
    rows = []
    for r in cmp.runs:
        col = summary[r.name] if r.name in summary.columns else {}
        row = {"scenario": r.name, "status": str(col.get("status", "")) if len(col) else "", "error": r.error or ""}
        for key, measure in COMPARE_MEASURES:
            row[key] = _num(col.get(measure)) if len(col) and measure in col.index else None
        row["curve"] = [{"target": _num(v.t), "money": _num(to_millions(v.money)), "cost": _num(to_millions(v.cost))}
                        for v in (r.curve.vertices if r.curve is not None else [])]
        rows.append(row)
    proven = all(r.result is None or r.result.proven_optimal for r in cmp.runs)
    return {"kind": "compare", "status": "optimal" if proven else "not proven", "proven_optimal": proven,
            "currency": cmp.currency, "label": cmp.label, "runs": rows}


def pool(res) -> dict:
    """The pool summary plus the proposed split's verdict (the blocking coalition and its gain) and,
    for three members, the game's coalition costs (for the imputation triangle)."""
    out = pool_summary(res)
    out["verdict"] = None
    chk = res.checks.get("proposed")
    if chk is not None:
        vt = verdict_table(res)
        out["verdict"] = {"in_core": bool(chk.in_core), "text": chk.text(), "blocking": chk.blocking,
                          "gain": _num(chk.gain) if chk.blocking is not None else None,
                          "blocking_count": int(chk.blocking_count),
                          "members": [{"member": str(r["member"]), "share": _num(r["share"]), "pays": _num(r["pays"]),
                                       "standalone": _num(r["standalone"]), "saving": _num(r["saving"]),
                                       "better_off": bool(r["better_off"])} for _, r in vt.iterrows()]}
    out["game3"] = None
    if res.game is not None and len(res.members) == 3:
        g = res.game
        out["game3"] = {"members": list(g.players),
                        "cost": {coalition_label(m, g.players): float(g.cost[m]) for m in range(1, g.full + 1)},
                        "allocations": {k: [float(v) for v in x] for k, x in res.allocations.items() if x is not None}}
    return out
