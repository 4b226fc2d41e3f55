"""Report tables of a cost curve and a frontier (DataFrames shared by the workbook, PNG and terminal).

Units: targets and shares as fractions (0.5 = 50 %); money in currency millions (M),
discounted like the objective; the marginal cost of diversification in currency M per
percentage point of tightening, a positive number (the curve's slope with the sign flipped,
see :data:`optimizer.sourcing.result.SIGN_CONVENTION`).

Money spent is shown apart from what the optimiser also weighs: the penalties of targets it
gives up (stock below target, unmet demand, in tonnes and in penalty value) and the risk
charge.  The curve's breakpoints are those of the objective (money + penalties + risk charge),
which is what the optimiser trades; the money spent between two breakpoints is reported as the
average per point over that piece.

Column keys are short; :func:`headers` gives each its words and unit for the workbook.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from models import expressions as E
from models.sourcing import PENALTY_PARTS, SPENDING_PARTS
from models.units import PP_PER_SHARE, to_millions



def vertex_kind(curve, k: int) -> str:
    v = curve.vertices[k]
    if k == 0:
        if curve.lowest.t is not None and abs(v.t - curve.lowest.t) <= 1e-9:
            return "lowest achievable share"
        return "end of range"
    if k == len(curve.vertices) - 1:
        return "start"
    return "breakpoint"


HEADERS = {
    "kind": "point", "target": "target (max China share)", "money_m": "money spent ({cur} M)",
    "money_per_pp_m_tighter": "money for 1 pp tighter ({cur} M, average to the next point)",
    "shortfall_t": "stock below target (t)", "unmet_t": "unmet demand (t)",
    "penalties_m": "penalties of missed targets ({cur} M, not money)",
    "risk_charge_m": "risk charge ({cur} M-equivalent, a weight)",
    "cost_m": "objective ({cur} M: money + penalties + risk charge)",
    "cost_per_pp_m_tighter": "objective for 1 pp tighter ({cur} M)",
    "cost_per_pp_m_looser": "objective saved by 1 pp looser ({cur} M)",
    "from_target": "from target", "to_target": "to target", "length_pp": "length (pp)",
    "money_from_m": "money spent at the start ({cur} M)", "money_to_m": "money spent at the end ({cur} M)",
    "money_per_pp_m": "money per pp ({cur} M)", "shortfall_per_pp_t": "stock given up per pp (t)",
    "penalties_per_pp_m": "penalties per pp ({cur} M)",
    "cost_from_m": "objective at the start ({cur} M)", "cost_to_m": "objective at the end ({cur} M)",
    "cost_per_pp_m": "objective per pp ({cur} M)", "dual_check_per_pp_m": "check: from the duals ({cur} M per pp)",
    "binding_count": "constraints binding", "breakpoint": "at target", "change": "change",
    "constraint": "constraint", "code": "code", "exact_cost_m": "objective on the exact curve ({cur} M)",
    "iterations": "simplex iterations", "what": "what", "pp_per_unit": "lowest share moves (pp per +1 unit)",
    "grid": "grid point", "risk_bound_m": "risk bound ({cur} M)", "risk_m": "risk ({cur} M)",
    "slack_m": "slack ({cur} M)", "scenario": "scenario",
    "money_and_penalties_m": "money spent + penalties ({cur} M, the frontier's cost)",
}


def headers(frame: pd.DataFrame, currency: str) -> dict:
    """{column key: words and unit} for the columns of ``frame`` (share_YYYY -> China share YYYY)."""
    out = {}
    for c in frame.columns:
        if str(c).startswith("share_"):
            out[c] = f"China share {str(c)[6:]}"
        elif c in HEADERS:
            out[c] = HEADERS[c].format(cur=currency)
    return out


def _money_m(p) -> float:
    return to_millions(p.money)


def breakpoint_table(curve) -> pd.DataFrame:
    """One row per vertex (ends and breakpoints), tightest target first: money spent, what was
    given up (stock below target, unmet demand, their penalties), the risk charge, the objective."""
    segs = curve.segments
    verts = curve.vertices
    rows = []
    for k, v in enumerate(verts):
        below = segs[k - 1].cost_per_pp_m if k > 0 else np.nan       # tighter side
        above = segs[k].cost_per_pp_m if k < len(segs) else np.nan   # looser side
        money_below = ((_money_m(verts[k - 1]) - _money_m(v)) / ((v.t - verts[k - 1].t) * PP_PER_SHARE)
                       if k > 0 else np.nan)
        row = {"kind": vertex_kind(curve, k), "target": v.t, "money_m": _money_m(v),
               "money_per_pp_m_tighter": money_below, "shortfall_t": v.shortfall, "unmet_t": v.unmet,
               "penalties_m": to_millions(v.penalties), "risk_charge_m": to_millions(v.risk_charge),
               "cost_m": to_millions(v.cost), "cost_per_pp_m_tighter": below, "cost_per_pp_m_looser": above}
        for y, s in sorted(v.shares.items()):
            row[f"share_{y}"] = s
        rows.append(row)
    return pd.DataFrame(rows)


def segment_table(curve) -> pd.DataFrame:
    """One row per linear piece, loosest first: the marginal cost of each point of diversification."""
    rows = []
    verts = curve.vertices
    for k in range(len(curve.segments) - 1, -1, -1):
        s, a, b = curve.segments[k], verts[k], verts[k + 1]     # a at t_low, b at t_high
        pp = (s.t_high - s.t_low) * PP_PER_SHARE
        rows.append({"from_target": s.t_high, "to_target": s.t_low, "length_pp": pp,
                     "money_from_m": _money_m(b), "money_to_m": _money_m(a),
                     "money_per_pp_m": (_money_m(a) - _money_m(b)) / pp if pp > 0 else np.nan,
                     "shortfall_per_pp_t": (a.shortfall - b.shortfall) / pp if pp > 0 else np.nan,
                     "penalties_per_pp_m": to_millions(a.penalties - b.penalties) / pp if pp > 0 else np.nan,
                     "cost_from_m": to_millions(s.cost_high), "cost_to_m": to_millions(s.cost_low),
                     "cost_per_pp_m": s.cost_per_pp_m,
                     "dual_check_per_pp_m": 0.0 - to_millions(s.dual_slope / PP_PER_SHARE)
                     if np.isfinite(s.dual_slope) else np.nan,
                     "binding_count": len(s.binding) if s.binding is not None else np.nan})
    return pd.DataFrame(rows)


def binding_changes_table(curve, limit: int = 200) -> pd.DataFrame:
    """At each breakpoint (loosest first): constraints that become / stop binding as the target
    tightens through it (binding sets of the neighbouring segments compared)."""
    rows = []
    segs = curve.segments
    reader = curve.reader
    for k in range(len(segs) - 1, 0, -1):
        looser, tighter = segs[k].binding, segs[k - 1].binding
        if looser is None or tighter is None:
            continue
        t = curve.vertices[k].t
        for change, codes in (("becomes binding", np.setdiff1d(tighter, looser)),
                              ("stops binding", np.setdiff1d(looser, tighter))):
            labels = sorted(reader.label(c) for c in codes)
            for lab in labels[:limit]:
                rows.append({"breakpoint": t, "change": change, "constraint": _sentence(curve, lab), "code": lab})
            if len(labels) > limit:
                rows.append({"breakpoint": t, "change": change,
                             "constraint": f"... and {len(labels) - limit} more", "code": ""})
    return pd.DataFrame(rows, columns=["breakpoint", "change", "constraint", "code"])


def _sentence(curve, code: str) -> str:
    return curve.labels.sentence(code) if curve.labels is not None else code


def changes_at(curve, k: int) -> tuple[list[str], list[str]]:
    """(becomes binding, stops binding) labels at vertex ``k`` (1..len-2)."""
    segs = curve.segments
    looser, tighter = segs[k].binding, segs[k - 1].binding
    if looser is None or tighter is None:
        return [], []
    lab = curve.reader.label
    return (sorted(_sentence(curve, lab(c)) for c in np.setdiff1d(tighter, looser)),
            sorted(_sentence(curve, lab(c)) for c in np.setdiff1d(looser, tighter)))


def grid_table(curve) -> pd.DataFrame:
    rows = []
    for p in sorted(curve.grid, key=lambda q: -q.t):
        row = {"target": p.t, "cost_m": to_millions(p.cost),
               "cost_per_pp_m": 0.0 - to_millions(p.slope / PP_PER_SHARE),
               "exact_cost_m": to_millions(curve.cost_at(p.t)), "iterations": p.iterations}
        for y, s in sorted(p.shares.items()):
            row[f"share_{y}"] = s
        rows.append(row)
    return pd.DataFrame(rows)


def limits_table(curve) -> pd.DataFrame:
    return pd.DataFrame([{"constraint": _sentence(curve, lim.item), "code": lim.item, "what": lim.what,
                          "pp_per_unit": lim.pp_per_unit} for lim in curve.lowest.limits],
                        columns=["constraint", "code", "what", "pp_per_unit"])


def current_target(curve) -> dict:
    """Cost and marginal costs at the workbook's own target (when it lies on the curve)."""
    t = curve.direction.current
    if not curve.t_low - 1e-12 <= t <= curve.t_high + 1e-12:
        return {}
    out = {"target": t, "cost_m": to_millions(curve.cost_at(t))}
    for s in curve.segments:
        if s.t_low - 1e-12 <= t <= s.t_high + 1e-12:
            if t < s.t_high - 1e-12:
                out["cost_per_pp_m_looser"] = s.cost_per_pp_m
            if t > s.t_low + 1e-12:
                out["cost_per_pp_m_tighter"] = s.cost_per_pp_m
    return out


def frontier_table(frontier, model=None) -> pd.DataFrame:
    """The Pareto points, cheapest first: money spent and penalties (together the frontier's cost),
    risk (currency M), China share per year."""
    rows = []
    shares = _share_reader(model) if model is not None else None
    for p in frontier.points:
        row = {"grid": p.grid, "risk_bound_m": to_millions(p.bound)}
        if model is not None and p.x is not None:
            parts = E.objective_parts(model, p.x)
            row["money_m"] = to_millions(sum(parts[n] for n in SPENDING_PARTS))
            row["penalties_m"] = to_millions(sum(parts[n] for n in PENALTY_PARTS))
        row.update({"money_and_penalties_m": to_millions(p.f1), "risk_m": to_millions(p.f2),
                    "slack_m": to_millions(p.slack)})
        if shares is not None and p.x is not None:
            row.update(shares(p.x))
        rows.append(row)
    return pd.DataFrame(rows)


def _share_reader(model):
    cap = model.cap_rows.reset_index(drop=True)
    sel = ((cap["scope"] == "ALL") & cap["classic"]).to_numpy()
    pos = cap["row"].to_numpy(np.int64)[sel]
    years = cap["year"].to_numpy()[sel].astype(int)
    wd = cap["weighted_demand"].to_numpy(float)[sel]
    start, index, value = model.lp.csr()

    def read(x):
        out = {}
        for r, y, w in zip(pos, years, wd):
            a, b = start[r], start[r + 1]
            act = float(np.multiply(value[a:b], x[index[a:b]]).sum())
            out[f"share_{y}"] = act / w if w > 0 else np.nan
        return out
    return read
