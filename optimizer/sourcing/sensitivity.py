"""Shadow prices that hold on every row: the price of tightening and of loosening a constraint,
each with the range of the right-hand side over which it holds, found by re-solves.

A dual value alone misleads in three cases the China caps hit often: a row that does not bind
(price 0, and HiGHS's bound ranging then describes the activity, not the target), a row that
binds at a kink of the cost curve (the cost of tightening differs from the saving of
loosening; the solver reports one of them or anything between), and a degenerate basis (the
basis changes before the price does).  For a row with right-hand side ``b`` the cost
``C(b)`` is convex and piecewise linear, so the honest answer is the slope on each side of
``b`` and the nearest point on each side where that slope changes (:func:`row_ranges`):

* probe just beyond ``b`` on each side: at a point where ``C`` is differentiable every dual
  solution gives the same value, the slope;
* walk in that direction: the current basis stays optimal up to its bound-ranging limit (a
  row that does not bind: up to its activity going tighter, without limit going looser);
  re-solve just past it; if the slope is the same the walk continues, otherwise the price
  changes exactly there.

Every step is a warm-started re-solve of one model (:func:`optimizer.core.solver.open_resolver`);
a backend without ranging gets these re-solves from HiGHS on the same matrix, as it gets bound
ranging; a resolver without ``row_bound_range`` finds each end by bisection on the price.

The marginal cost of one more tonne of demand (:func:`demand_marginals`) counts every row whose
right-hand side moves with demand: the balance, the China caps (theta x weight), the
single-source caps (sigma) and the stock target (days/365).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from models.lp import LinearProgram, at_bound, lookup
from models.sourcing import SourcingModel
from models.units import K_PER_M, PP_PER_SHARE
from optimizer.core.solver import OPTIMAL, Solution, SolveOptions, open_resolver

SLOPE_RTOL = 1e-7        # two slopes are the same price within this (relative to 1 + |slope|)
MAX_STEPS = 40           # basis changes walked on one side before the range is reported as a bound
EXACT_ROWS = 400         # rows analysed by re-solves in one run; beyond, dual and ranging only
# mode "auto": re-solves up to this many columns (the sample: 288; re-solving 50 caps of a
# 111 k-column model takes ~30 raw solves, see benchmarks/bench_sensitivity.py); beyond it the
# dual and HiGHS's ranging, flagged "range exact = no" -- ask for "exact" to re-solve anyway
EXACT_MAX_COLUMNS = 50_000
MODES = ("auto", "exact", "dual")
# the manifest's timing of the LP solves the analysis runs after the plan's own solve (these
# re-solves, the explanation's diagnostic LPs): part of the analyse stage, shown on their own
RESOLVES = "re-solves (part of analyse)"


def exact_wanted(lp: LinearProgram, mode: str) -> bool:
    if mode not in MODES:
        raise ValueError(f"sensitivity mode must be one of {', '.join(MODES)}, not {mode!r}")
    return mode == "exact" or (mode == "auto" and lp.num_cols <= EXACT_MAX_COLUMNS)


@dataclass
class RowRange:
    """One row's prices and their ranges, in the row's own units (objective k-currency per unit).

    ``tighten`` is the cost of moving the bound one unit tighter (>= 0), valid down to ``low``
    for an upper-bound row (up to ``high`` for a lower-bound row); ``loosen`` the saving of one
    unit looser, valid up to ``high`` (down to ``low``).  ``binds_at`` is where tightening starts
    to cost (the current bound when it already costs).  ``exact`` is False when the walk stopped
    after MAX_STEPS basis changes (the range is then at least that wide) or re-solves were not run.
    """

    row: int
    bound: float
    activity: float
    tighten: float
    loosen: float
    low: float
    high: float
    binds_at: float
    exact: bool = True


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= SLOPE_RTOL * (1.0 + max(abs(a), abs(b)))


class _Walker:
    """Probes one row of a resolver whose other rows are at their model values."""

    def __init__(self, h, row: int, lower: float, upper: float, upper_row: bool):
        self.h, self.row, self.lo0, self.hi0, self.upper_row = h, row, lower, upper, upper_row

    def set(self, b: float) -> None:
        if self.upper_row:
            self.h.set_row_bounds([self.row], [self.lo0], [b])
        else:
            self.h.set_row_bounds([self.row], [b], [self.hi0])

    def slope(self, b: float) -> tuple[float, float] | None:
        """(dC/db, row activity) at ``b``, or None without a proven optimum."""
        self.set(b)
        if self.h.run() != OPTIMAL:
            return None
        sol = self.h.solution()
        return float(sol.row_duals[self.row]), float(sol.row_values[self.row])

    def restore(self) -> None:
        self.h.set_row_bounds([self.row], [self.lo0], [self.hi0])

    def basis_end(self, b: float, activity: float, direction: int) -> float:
        """How far the bound can move from ``b`` in ``direction`` with the current solution optimal."""
        slack = (b - activity) if self.upper_row else (activity - b)
        if slack > 1e-9 * (1.0 + abs(b)):                  # the row does not bind here
            if (direction < 0) == self.upper_row:            # tighter: until it starts to bind
                return activity
            return np.inf if direction > 0 else -np.inf      # looser: never
        rg = self.h.row_bound_range(self.row)
        if rg is None:
            return np.nan
        return rg[0] if direction < 0 else rg[1]

    def side(self, b0: float, direction: int) -> tuple[float, float, bool] | None:
        """(slope just beyond b0, where that slope ends, exact) walking in ``direction`` (+1/-1)."""
        eps = 1e-7 * max(1.0, abs(b0))
        first = self.slope(b0 + direction * eps)
        if first is None:
            return None
        price, activity = first
        cur, last_end = b0 + direction * eps, None
        scale = max(1.0, abs(b0))
        for _ in range(MAX_STEPS):
            end = self.basis_end(cur, activity, direction)
            if np.isnan(end):
                return self._bisect(b0, price, direction)
            if not np.isfinite(end):
                return price, end, True
            if last_end is not None and abs(end - last_end) <= 1e-8 * scale:
                return price, last_end, True     # no progress: nothing changes beyond (a natural limit)
            last_end = end
            nxt = end + direction * 1e-7 * max(1.0, abs(end))
            probe = self.slope(nxt)
            if probe is None:
                return price, end, True
            if not _close(probe[0], price):
                return price, end, True
            cur, activity = nxt, probe[1]
        return price, cur, False

    def _bisect(self, b0: float, price: float, direction: int) -> tuple[float, float, bool]:
        """Without ranging: the first point where the slope differs, by doubling then bisection."""
        step, inside, outside = 1e-3 * max(1.0, abs(b0)), b0, None
        for _ in range(60):
            p = b0 + direction * step
            s = self.slope(p)
            if s is None or not _close(s[0], price):
                outside = p
                break
            inside, step = p, step * 2
        if outside is None:
            return price, np.inf * direction, False
        for _ in range(50):
            mid = 0.5 * (inside + outside)
            s = self.slope(mid)
            if s is not None and _close(s[0], price):
                inside = mid
            else:
                outside = mid
        return price, inside, True


def row_ranges(lp: LinearProgram, sol: Solution, rows: np.ndarray, options: SolveOptions,
               integers: np.ndarray | None = None) -> list[RowRange]:
    """:class:`RowRange` of each row in ``rows`` (inequality rows with one finite side).

    ``integers``: for a MIP, the integer columns are fixed at the solution (prices indicative).
    """
    _, cl, cu, rl, ru, integer = lp.arrays()
    act = sol.row_activity
    out = []
    h = open_resolver(lp, replace(options, ranging=False, want_duals=True), integrality=False, ranging=True)
    if integer.any():
        cols = np.flatnonzero(integer)
        vals = np.round(sol.x[cols])
        h.set_col_bounds(cols, vals, vals)
    for i in rows[:EXACT_ROWS]:
        i = int(i)
        upper_row = np.isfinite(ru[i])
        b0 = float(ru[i] if upper_row else rl[i])
        w = _Walker(h, i, float(rl[i]), float(ru[i]), upper_row)
        down, up = w.side(b0, -1), w.side(b0, +1)
        w.restore()
        if down is None or up is None:
            out.append(RowRange(i, b0, float(act[i]), np.nan, np.nan, np.nan, np.nan, np.nan, False))
            continue
        (s_dn, low, ex_dn), (s_up, high, ex_up) = down, up
        if upper_row:    # C decreases as the upper bound rises: slopes <= 0
            tighten, loosen = max(0.0, -s_dn), max(0.0, -s_up)
            binds_at = b0 if tighten > 0 else low
        else:            # C increases as the lower bound rises: slopes >= 0
            tighten, loosen = max(0.0, s_up), max(0.0, s_dn)
            binds_at = b0 if tighten > 0 else high
        out.append(RowRange(i, b0, float(act[i]), tighten, loosen, low, high, binds_at, ex_dn and ex_up))
    return out


def dual_ranges(lp: LinearProgram, sol: Solution, rows: np.ndarray) -> list[RowRange]:
    """Without re-solves: what the dual and HiGHS's bound ranging say, every row flagged not exact.

    A row that does not bind: loosening saves nothing, at any bound (exact: the plan stays
    optimal); tightening is free at least down to the activity (further if another optimal plan
    has less).  A binding row: the dual as both prices (one side of a kink), valid at least over
    the current basis's bound range.
    """
    _, cl, cu, rl, ru, _ = lp.arrays()
    act, duals = sol.row_activity, sol.row_duals
    rg = sol.ranging
    out = []
    for i in rows:
        i = int(i)
        upper_row = np.isfinite(ru[i])
        b0 = float(ru[i] if upper_row else rl[i])
        a = float(act[i])
        slack = (b0 - a) if upper_row else (a - b0)
        if slack > 1e-9 * (1.0 + abs(b0)):
            low, high = (a, np.inf) if upper_row else (-np.inf, a)
            out.append(RowRange(i, b0, a, 0.0, 0.0, low, high, a, False))
            continue
        price = abs(float(duals[i])) if duals is not None else np.nan
        low = float(rg.row_bound_low[i]) if rg is not None else np.nan
        high = float(rg.row_bound_high[i]) if rg is not None else np.nan
        out.append(RowRange(i, b0, a, price, price, low, high, b0 if price > 0 else (low if upper_row else high),
                            False))
    return out


def cap_table(model: SourcingModel, sol: Solution, options: SolveOptions,
              mode: str = "auto", timings: dict | None = None) -> pd.DataFrame:
    """The China caps: share against target, the cost of one point tighter and the saving of one
    point looser (currency M, >= 0), the range of the target over which each holds, and how many
    points the target can tighten before it costs anything.  ``mode``: "exact" re-solves every
    cap (:func:`row_ranges`), "dual" reads the dual and ranging (:func:`dual_ranges`), "auto"
    re-solves up to :data:`EXACT_MAX_COLUMNS` columns.  ``timings``: gets the seconds spent in
    those re-solves under ``RESOLVES``."""
    lp = model.lp
    cap = model.cap_rows.reset_index(drop=True)
    pos = cap["row"].to_numpy(np.int64) if len(cap) else np.zeros(0, np.int64)
    cs = cap[["year", "scope", "max_china_share", "family", "spec", "country", "stage", "row"]].rename(
        columns={"max_china_share": "target"})
    wd = cap["weighted_demand"].to_numpy(dtype=float)
    rhs = cap["max_china_share"].to_numpy(dtype=float) * wd
    with np.errstate(divide="ignore", invalid="ignore"):
        cs["china_share"] = np.where(wd > 0, sol.row_activity[pos] / wd, np.nan) if len(pos) else []
    cs["binding"] = at_bound(sol.row_activity[pos], rhs) if len(pos) else []
    if not len(pos):
        ranges = []
    elif exact_wanted(lp, mode):
        t0 = time.perf_counter()
        ranges = row_ranges(lp, sol, pos, options)
        if timings is not None:
            timings[RESOLVES] = timings.get(RESOLVES, 0.0) + time.perf_counter() - t0
        ranges += dual_ranges(lp, sol, pos[EXACT_ROWS:])
    else:
        ranges = dual_ranges(lp, sol, pos)
    get = lambda attr: np.array([getattr(r, attr) for r in ranges], dtype=float)  # noqa: E731
    per_pp = wd / PP_PER_SHARE / K_PER_M     # objective units per weighted unit -> currency M per point
    with np.errstate(divide="ignore", invalid="ignore"):
        cs["cost_per_pp_tighter"] = get("tighten") * per_pp
        cs["saving_per_pp_looser"] = get("loosen") * per_pp
        cs["shadow_price_per_pp"] = 0.0 - cs["saving_per_pp_looser"]
        cs["rhs_share_low"] = np.where(wd > 0, get("low") / wd, np.nan) + 0.0
        cs["rhs_share_high"] = np.where(wd > 0, get("high") / wd, np.nan) + 0.0
        cs["tightening_free_pp"] = np.maximum(0.0, (cs["target"] - get("binds_at") / wd) * 100.0)
    cs["range_exact"] = [r.exact for r in ranges]
    return cs


def demand_marginals(model: SourcingModel, sol: Solution) -> pd.DataFrame:
    """Per material and year: the balance row's dual and the total marginal cost of one more tonne
    of demand (currency/kg, in that year's money): every row whose right-hand side moves with
    demand, each dual times d(rhs)/d(demand)."""
    lp, data = model.lp, model.data
    duals = sol.row_duals
    bal = lp.row_blocks["balance"]
    dem = bal.index.copy()
    dem["demand"] = np.nan_to_num(lookup(dem, model.demand, ["material", "year"], "demand"))
    df = dem["year"].map(model.discount).to_numpy()
    if duals is None:
        dem["marginal_cost"] = dem["total_marginal_cost"] = np.nan
        return dem
    total = duals[bal.positions].astype(float).copy()
    key = {(m, int(t)): k for k, (m, t) in enumerate(zip(dem["material"], dem["year"]))}
    w = dict(zip(data.materials["material"], data.materials["reference_value"]))
    cap = model.cap_rows.reset_index(drop=True)
    for row, members, t, theta in zip(cap.get("row", []), cap.get("members", []), cap.get("year", []),
                                      cap.get("max_china_share", [])):
        for m in (members.split(",") if members else []):
            k = key.get((m, int(t)))
            if k is not None:
                total[k] += duals[int(row)] * theta * w[m]
    ss = lp.row_blocks["single_source"]
    sigma = data.settings.max_single_source_share
    if ss.size and sigma is not None:
        for j, (m, t) in enumerate(zip(ss.index["material"], ss.index["year"])):
            total[key[(m, int(t))]] += duals[ss.start + j] * sigma
    st = lp.row_blocks["stock_target"]
    if st.size:
        days = lookup(st.index, data.stockpile, ["material", "year"], "target_days")
        for j, (m, t) in enumerate(zip(st.index["material"], st.index["year"])):
            total[key[(m, int(t))]] += duals[st.start + j] * days[j] / 365.0
    dem["marginal_cost"] = duals[bal.positions] / df
    dem["total_marginal_cost"] = total / df
    return dem
