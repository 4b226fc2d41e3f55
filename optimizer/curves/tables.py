"""Report tables of a cost curve and a frontier (DataFrames shared by the workbook, PNG and terminal).

Units: targets and shares as fractions (0.5 = 50 %); money in currency millions (M),
discounted like the objective; the marginal cost of diversification in currency (and
currency M) per percentage point of tightening, a positive number (the curve's slope with
the sign flipped, see :data:`optimizer.sourcing.result.SIGN_CONVENTION`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

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


def breakpoint_table(curve) -> pd.DataFrame:
    """One row per vertex (ends and breakpoints), tightest target first."""
    segs = curve.segments
    rows = []
    for k, v in enumerate(curve.vertices):
        below = segs[k - 1].cost_per_pp_m if k > 0 else np.nan       # tighter side
        above = segs[k].cost_per_pp_m if k < len(segs) else np.nan   # looser side
        row = {"kind": vertex_kind(curve, k), "target": v.t, "cost_m": to_millions(v.cost),
               "cost_per_pp_m_tighter": below, "cost_per_pp_m_looser": above}
        for y, s in sorted(v.shares.items()):
            row[f"share_{y}"] = s
        row["unmet_t"] = v.unmet
        for name, val in v.parts.items():
            row[f"{name} (M)"] = to_millions(val)
        rows.append(row)
    return pd.DataFrame(rows)


def segment_table(curve) -> pd.DataFrame:
    """One row per linear piece, loosest first: the marginal cost of each point of diversification."""
    rows = []
    for s in reversed(curve.segments):
        rows.append({"from_target": s.t_high, "to_target": s.t_low,
                     "length_pp": (s.t_high - s.t_low) * PP_PER_SHARE,
                     "cost_from_m": to_millions(s.cost_high), "cost_to_m": to_millions(s.cost_low),
                     "cost_per_pp": s.cost_per_pp, "cost_per_pp_m": s.cost_per_pp_m,
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
                rows.append({"breakpoint": t, "change": change, "constraint": lab})
            if len(labels) > limit:
                rows.append({"breakpoint": t, "change": change,
                             "constraint": f"... and {len(labels) - limit} more"})
    return pd.DataFrame(rows, columns=["breakpoint", "change", "constraint"])


def changes_at(curve, k: int) -> tuple[list[str], list[str]]:
    """(becomes binding, stops binding) labels at vertex ``k`` (1..len-2)."""
    segs = curve.segments
    looser, tighter = segs[k].binding, segs[k - 1].binding
    if looser is None or tighter is None:
        return [], []
    lab = curve.reader.label
    return (sorted(lab(c) for c in np.setdiff1d(tighter, looser)),
            sorted(lab(c) for c in np.setdiff1d(looser, tighter)))


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
    return pd.DataFrame([{"constraint": lim.item, "what": lim.what, "pp_per_unit": lim.pp_per_unit}
                         for lim in curve.lowest.limits], columns=["constraint", "what", "pp_per_unit"])


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
    """The Pareto points, cheapest first: cost and risk in currency M, China share per year."""
    rows = []
    shares = _share_reader(model) if model is not None else None
    for p in frontier.points:
        row = {"grid": p.grid, "risk_bound_m": to_millions(p.bound), "cost_m": to_millions(p.f1),
               "risk_m": to_millions(p.f2), "slack_m": to_millions(p.slack)}
        if shares is not None and p.x is not None:
            row.update(shares(p.x))
        rows.append(row)
    return pd.DataFrame(rows)


def _share_reader(model):
    cap = model.cap_rows.reset_index(drop=True)
    sel = (cap["scope"] == "ALL").to_numpy()
    pos = model.lp.row_blocks["china_cap"].positions[sel]
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
