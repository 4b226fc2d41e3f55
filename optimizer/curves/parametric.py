"""Exact cost curves of the China-share target (parametric right-hand side).

The China cap rows of :func:`models.sourcing.add_china_share_cap` read
``sum_m w_m x[m,CN,y] <= theta[scope,y] * WD[scope,y]``: the target is a right-hand side.
Moving a set of cap rows along a direction ``d`` with one scalar ``t``::

    rhs_i(t) = base_i + d_i * t          C(t) = min { c x : A x <= rhs(t), ... }

gives a cost ``C(t)`` that is convex, piecewise linear and non-increasing in ``t``
(a looser cap never costs more).  Modes (:func:`cap_direction`):

* ``year`` - one cap row (scope, year): ``t`` is that year's target, ``d = WD``;
* ``path`` - every cap row: ``t`` is the reference row's target (default: the last
  year's ALL row) and every other row moves in proportion, ``theta_i(t) = theta_i0 * t /
  theta_ref0`` (the glide path scaled; shares above 100 % are simply loose).

Slope: ``dC/dt = sum_i y_i d_i`` with ``y_i`` the row dual (objective change per unit
increase of the row's bound, :mod:`optimizer.core.solver`).  Breakpoints, by the tangent
intersection ("sandwich") method on ONE HiGHS model whose cap-row bounds alone change
between solves (warm start): between two solved points with different slopes, solve
where their tangents cross; if ``C`` there equals the tangent value (relative 1e-9) it
is the single breakpoint between them, otherwise recurse on both sides.  Points that
land on an end are replaced by the midpoint, so a degenerate dual (any subgradient at
a breakpoint) cannot stall the search.  The curve is then read from the sorted solved
points: a vertex is a point off the chord of its neighbours, so spurious breakpoints
(degenerate bases, ranging) merge into one segment.  For one-row modes
:func:`ranging_points` walks the basis changes with HiGHS row-bound ranging instead.

Money inside the model is in thousands of currency (k); reports use currency millions.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from models import expressions as E
from models.sourcing import PENALTY_PARTS, SPENDING_PARTS, WEIGHT_PARTS
from models.units import CURRENCY_PER_K, CURRENCY_PER_M, PP_PER_SHARE
from optimizer.core.errors import NoProvenOptimum
from optimizer.core.solver import OPTIMAL, SolveOptions, open_resolver
from optimizer.curves.direction import (CapDirection, CurveError, cap_direction, measure_rows,  # noqa: F401
                                        measure_words, parse_measure, with_cap_row)
from optimizer.curves.limits import BindingReader, LowestShare, lowest_share
from optimizer.sourcing.labels import Labels

COST_RTOL = 1e-9      # "C equals the tangent value" / "point on the chord", relative to |C|
MAX_SOLVES = 100_000      # a guard against a stalled search, far above any real curve


class CurveSolveError(NoProvenOptimum):
    """A point of the curve has no proven optimum (time limit, solver failure)."""

    def __init__(self, t: float, status: str):
        super().__init__(f"no proven optimum at t = {t:.6g}: {status}")
        self.t, self.status = t, status


# --------------------------------------------------------------------------- one point
@dataclass
class CurvePoint:
    t: float
    cost: float                    # objective, k-currency (discounted)
    slope: float                   # dC/dt from the duals, k-currency per unit of t
    iterations: int = 0
    parts: dict = field(default_factory=dict)      # objective parts, k-currency
    shares: dict = field(default_factory=dict)     # year -> China share (ALL rows)
    unmet: float = 0.0             # tonnes of unmet demand (all materials and years)
    shortfall: float = np.nan      # tonnes of stock below target (all materials and years)
    risk: float = 0.0              # risk-weighted volume, k-currency-equivalent
    binding: np.ndarray | None = None    # codes, see curve_limits.BindingReader

    def part_sum(self, names) -> float:
        """The sum of the named objective parts at this point (k-currency; NaN without parts)."""
        if not self.parts:
            return np.nan
        return float(sum(self.parts.get(n, 0.0) for n in names))

    @property
    def money(self) -> float:
        """Money spent at this point (purchases, holding, capex, opex; k-currency, discounted)."""
        return self.part_sum(SPENDING_PARTS)

    @property
    def penalties(self) -> float:
        """The penalties of missed targets charged in the objective (k-currency; not money)."""
        return self.part_sum(PENALTY_PARTS)

    @property
    def risk_charge(self) -> float:
        return self.part_sum(WEIGHT_PARTS)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """a . b without BLAS (a threaded BLAS dot can cost milliseconds on a busy machine)."""
    return float(np.multiply(a, b).sum())


class ParametricCap:
    """One HiGHS model of ``model.lp``; :meth:`solve` changes only the moving rows' bounds."""

    def __init__(self, model, direction: CapDirection, options: SolveOptions | None = None,
                 risk: np.ndarray | None = None):
        self.model, self.direction = model, direction
        self.h = open_resolver(model.lp, options or SolveOptions(), integrality=False)
        self.relaxed = model.lp.is_mip
        _, _, _, rl, _, _ = model.lp.arrays()
        self.rows = direction.rows.astype(np.int32)
        self.lower = rl[self.rows]
        self.parts = E.part_vectors(model)
        self.risk = risk
        self.unmet_cols = model.lp.var_blocks["unmet"].positions
        self.shortfall_cols = model.lp.var_blocks["shortfall"].positions
        self.share_rows = direction.share_rows
        self.share_years = direction.share_years
        self.share_wd = direction.share_wd
        self.binding = BindingReader(model.lp)
        self.read_binding = False      # read the binding set at every solve (exact method)
        self.on_solve = None           # callback(t) after every solve (progress bars)
        self.last_t = float("nan")
        self.solves = 0
        self.iterations = 0
        self.seconds = 0.0

    def solve(self, t: float, detail: bool | None = None, full: bool = True) -> CurvePoint:
        """Solve at ``t`` (warm start from the previous basis).  Always: cost, slope, China
        shares (from row duals and values).  ``full`` adds what needs the primal values (parts,
        unmet demand, risk) and ``detail`` (default ``read_binding``) the binding set."""
        t0 = time.perf_counter()
        h = self.h
        h.set_row_bounds(self.rows, self.lower, self.direction.rhs(t))
        self.last_t = t
        status = h.run()
        self.solves += 1
        if status != OPTIMAL:
            raise CurveSolveError(t, status)
        its = h.iterations
        self.iterations += its
        sol = h.solution()
        row_dual = sol.row_duals
        row_value = sol.row_values
        slope = _dot(row_dual[self.rows], self.direction.slope)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(self.share_wd > 0, row_value[self.share_rows] / self.share_wd, np.nan)
        shares: dict = {}
        for y, v in zip(self.share_years.tolist(), share.tolist()):      # per year the largest (any country)
            shares[y] = v if y not in shares or not (v <= shares[y]) else shares[y]
        p = CurvePoint(t=float(t), cost=h.objective, slope=slope, iterations=its, shares=shares, unmet=np.nan)
        if full:   # the primal values: objective parts, unmet demand, risk (~10 ms at 100 k columns)
            x = sol.x
            p.parts = {k: _dot(x[q], c) for k, (q, c) in self.parts.items()}
            p.unmet = float(x[self.unmet_cols].sum())
            p.shortfall = float(x[self.shortfall_cols].sum())
            p.risk = _dot(self.risk, x) if self.risk is not None else np.nan
            if self.read_binding if detail is None else detail:
                p.binding = self.binding(x, row_dual, sol.col_duals)
        self.seconds += time.perf_counter() - t0
        if self.on_solve is not None:
            self.on_solve(t)
        return p

    def row_range_low(self) -> float | None:
        """For a one-row direction: the t at which the current basis stops being optimal going
        down (HiGHS row-bound ranging), or None when ranging is unavailable."""
        r = int(self.rows[0])
        rg = self.h.row_bound_range(r)
        if rg is None:
            return None
        act = float(self.h.solution().row_values[r])
        rhs = float(self.direction.rhs(self.last_t)[0])
        if act < rhs - 1e-9 * max(1.0, abs(rhs)):
            low = act   # a loose cap: the same solution stays optimal down to its activity
        else:
            low = rg[0]
        if not np.isfinite(low):
            return None
        return (low - float(self.direction.base[0])) / float(self.direction.slope[0])


# --------------------------------------------------------------------------- the methods
def _same(a: float, b: float, scale: float, rtol: float = COST_RTOL) -> bool:
    return abs(a - b) <= rtol * max(1.0, abs(scale))


def sandwich_points(solver: ParametricCap, t_lo: float, t_hi: float) -> list[CurvePoint]:
    """Every point the tangent-intersection method solves; the breakpoints are among them."""
    hi = solver.solve(t_hi)
    if t_hi <= t_lo:
        return [hi]
    lo = solver.solve(t_lo)
    points = [lo, hi]
    stack = [(lo, hi)]
    gap = 1e-12 * max(1.0, abs(t_hi), abs(t_lo))
    while stack:
        a, b = stack.pop()
        if b.t - a.t <= 1e3 * gap:
            continue
        scale = max(abs(a.cost), abs(b.cost))
        if _same(a.cost + a.slope * (b.t - a.t), b.cost, scale) or \
                _same(b.cost - b.slope * (b.t - a.t), a.cost, scale):
            # a supporting line through both ends: C is linear on [a, b] (convexity)
            continue
        mid = False
        if a.slope < b.slope:
            ts = (b.cost - a.cost + a.slope * a.t - b.slope * b.t) / (a.slope - b.slope)
        else:
            ts = np.nan
        if not (a.t + 1e3 * gap < ts < b.t - 1e3 * gap):
            ts, mid = 0.5 * (a.t + b.t), True
        if solver.solves >= MAX_SOLVES:
            raise CurveSolveError(ts, f"more than {MAX_SOLVES} solves: the curve did not converge")
        p = solver.solve(ts)
        points.append(p)
        if not mid and _same(p.cost, a.cost + a.slope * (ts - a.t), scale):
            continue   # the single breakpoint between a and b
        stack.append((a, p))
        stack.append((p, b))
    return sorted(points, key=lambda q: q.t)


def ranging_points(solver: ParametricCap, t_lo: float, t_hi: float) -> list[CurvePoint]:
    """One-row directions: from ``t_hi`` down, jump to where row-bound ranging says the basis
    changes, solve just below it, repeat.  The breakpoint itself gets the cost of the current
    segment extended to it (exact: the basis is optimal up to there)."""
    if solver.rows.size != 1:
        raise CurveError("ranging works for one moving row only (mode year)")
    p = solver.solve(t_hi)
    points = [p]
    while p.t > t_lo:
        low = solver.row_range_low()
        nudge = 1e-7 * max(1.0, abs(p.t))
        if low is None or low <= t_lo:
            nxt = t_lo
        else:
            if low < p.t:
                points.append(CurvePoint(t=low, cost=p.cost + p.slope * (low - p.t), slope=p.slope))
            nxt = max(t_lo, min(low, p.t) - nudge)
        if solver.solves >= MAX_SOLVES:
            raise CurveSolveError(nxt, f"more than {MAX_SOLVES} solves: ranging did not converge")
        p = solver.solve(nxt)
        points.append(p)
    return sorted(points, key=lambda q: q.t)


def grid_points(solver: ParametricCap, t_lo: float, t_hi: float, n: int) -> list[CurvePoint]:
    """``n`` evenly spaced targets from ``t_hi`` down to ``t_lo`` (the same warm-started model):
    cost, slope and China shares per point (no primal values: the grid is a sweep)."""
    out = [solver.solve(float(t), full=False) for t in np.linspace(t_hi, t_lo, max(int(n), 1))]
    return sorted(out, key=lambda q: q.t)


def vertices(points: list[CurvePoint]) -> list[CurvePoint]:
    """The ends and every point off the chord of its neighbours (collinear points merged)."""
    pts = sorted(points, key=lambda q: q.t)
    uniq = []
    for p in pts:
        if uniq and abs(p.t - uniq[-1].t) <= 1e-12 * max(1.0, abs(p.t)):
            continue
        uniq.append(p)
    if len(uniq) <= 2:
        return uniq
    keep = [uniq[0]]
    for k in range(1, len(uniq) - 1):
        a, p, b = keep[-1], uniq[k], uniq[k + 1]
        interp = a.cost + (b.cost - a.cost) * (p.t - a.t) / (b.t - a.t)
        if not _same(p.cost, interp, p.cost):
            keep.append(p)
    keep.append(uniq[-1])
    return keep


# --------------------------------------------------------------------------- the curve
@dataclass
class Segment:
    t_low: float
    t_high: float
    cost_low: float               # k-currency at t_low
    cost_high: float
    slope: float                  # chord, k-currency per unit of t (<= 0)
    dual_slope: float = np.nan    # from the duals at the segment's midpoint (a check)
    binding: np.ndarray | None = None   # codes, see curve_limits.BindingReader

    @property
    def cost_per_pp(self) -> float:
        """Currency per percentage point of tightening (>= 0): -slope / 100 k-currency."""
        return 0.0 - self.slope * (CURRENCY_PER_K / PP_PER_SHARE)     # 0.0 - x: a flat piece shows 0, not -0

    @property
    def cost_per_pp_m(self) -> float:
        """The same in currency millions."""
        return self.cost_per_pp / CURRENCY_PER_M


@dataclass
class Curve:
    direction: CapDirection
    t_low: float
    t_high: float
    lowest: LowestShare
    points: list[CurvePoint]                 # every point the exact method solved
    vertices: list[CurvePoint]               # ends and breakpoints, ascending t
    segments: list[Segment]                  # ascending t
    grid: list[CurvePoint] = field(default_factory=list)
    method: str = "sandwich"
    solves: dict = field(default_factory=dict)       # exact / detail / grid / lowest
    iterations: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    currency: str = "USD"
    scenario: str = ""
    reader: object = None                    # BindingReader: codes of binding rows and bounds
    labels: object = None                    # optimizer.sourcing.labels.Labels: their sentences

    def cost_at(self, t: float) -> float:
        """C(t) in k-currency, exact between breakpoints (linear interpolation)."""
        ts = np.array([v.t for v in self.vertices])
        cs = np.array([v.cost for v in self.vertices])
        if not ts[0] - 1e-12 <= t <= ts[-1] + 1e-12:
            raise CurveError(f"t = {t} is outside the curve [{ts[0]}, {ts[-1]}]")
        return float(np.interp(t, ts, cs))

    @property
    def breakpoints(self) -> list[CurvePoint]:
        return self.vertices[1:-1]


def _segments(solver: ParametricCap, verts: list[CurvePoint], points: list[CurvePoint],
              detail: bool) -> list[Segment]:
    """Segments between consecutive vertices; the binding set of each is read at a solved point
    strictly inside it, or at its midpoint (one more warm-started solve)."""
    out = []
    inside = sorted((p for p in points if p.binding is not None), key=lambda q: q.t)
    for a, b in zip(verts[:-1], verts[1:]):
        slope = (b.cost - a.cost) / (b.t - a.t)
        if _same(slope * (b.t - a.t), 0.0, max(abs(a.cost), abs(b.cost))):
            slope = 0.0                       # flat: the cap does not bind here
        seg = Segment(a.t, b.t, a.cost, b.cost, slope)
        if detail:
            eps = 1e-6 * (b.t - a.t)
            m = next((p for p in inside if a.t + eps < p.t < b.t - eps), None)
            if m is None:
                m = solver.solve(0.5 * (a.t + b.t), detail=True)
            seg.dual_slope, seg.binding = m.slope, m.binding
        out.append(seg)
    return out


def compute_curve(model, direction: CapDirection, t_high: float | None = None, t_low: float | None = None,
                  method: str = "auto", grid: int = 0, detail: bool = True,
                  options: SolveOptions | None = None, risk: np.ndarray | None = None,
                  on_solve=None) -> Curve:
    """The exact curve of ``direction`` from ``t_high`` (default: today's level, see
    :func:`todays_level`) down to ``t_low`` (default and floor: the lowest achievable share).

    ``method``: ``sandwich`` (tangent intersection), ``ranging`` (one-row directions only) or
    ``auto`` (= sandwich: on the 100 k benchmark it needs fewer solves than ranging, whose
    degenerate basis changes cost extra solves, and no ranging pass per solve; ranging needs
    fewer solves on the small sample, see the report).
    ``grid``: also solve that many evenly spaced points.  ``detail``: read the binding
    constraints of every segment.  ``on_solve(phase, t)`` is called after every solve.
    Raises :class:`CurveSolveError` when a point has no proven optimum and
    :class:`CurveError` for an impossible request.
    """
    timings, notes = {}, []
    t0 = time.perf_counter()
    low = lowest_share(model, direction, options)
    timings["lowest share"] = time.perf_counter() - t0
    if low.t is None:
        raise CurveSolveError(float("nan"), f"lowest achievable share: {low.status}. {low.note}".strip())
    if low.note:
        notes.append(low.note)
    hi = todays_level(model, direction) if t_high is None else float(t_high)
    lo = low.t if t_low is None else float(t_low)
    if lo < low.t - 1e-12:
        notes.append(f"the curve stops at the lowest achievable share {low.t:.4%} (asked for {lo:.4%}): "
                     "below it demand goes unmet and the unmet-demand penalty sets the cost")
        lo = low.t
    if hi < lo and t_high is None:
        notes.append(f"today's level {hi:.2%} is below the lowest achievable share {lo:.2%}: the curve "
                     f"starts 10 points above the lowest achievable share instead")
        hi = lo + 0.10
    if hi < lo:
        raise CurveError(f"the start {hi:.4%} is below the end {lo:.4%} (the lowest achievable share is "
                         f"{low.t:.4%})")
    if method == "auto":
        method = "sandwich"
    if method not in ("sandwich", "ranging"):
        raise CurveError(f"unknown method {method!r}: use auto, sandwich or ranging")
    solver = ParametricCap(model, direction, options, risk=risk)
    if solver.relaxed:
        notes.append("integer project decisions are relaxed: the exact curve is that of the LP "
                     "(projects may be part-built)")
    solver.read_binding = detail
    solver.on_solve = (lambda t: on_solve("exact", t)) if on_solve else None
    t0 = time.perf_counter()
    pts = (sandwich_points if method == "sandwich" else ranging_points)(solver, lo, hi)
    timings["exact"] = time.perf_counter() - t0
    solves, its = {"lowest share": 1, "exact": solver.solves}, {"exact": solver.iterations}
    verts = vertices(pts)
    t0 = time.perf_counter()
    n0, i0 = solver.solves, solver.iterations
    segs = _segments(solver, verts, pts, detail)
    solves["detail"], its["detail"] = solver.solves - n0, solver.iterations - i0
    timings["detail"] = time.perf_counter() - t0
    grid_pts = []
    if grid:
        solver.on_solve = (lambda t: on_solve("grid", t)) if on_solve else None
        t0 = time.perf_counter()
        n0, i0 = solver.solves, solver.iterations
        grid_pts = grid_points(solver, lo, hi, int(grid))
        solves["grid"], its["grid"] = solver.solves - n0, solver.iterations - i0
        timings["grid"] = time.perf_counter() - t0
    s = model.data.settings
    return Curve(direction, lo, hi, low, pts, verts, segs, grid_pts, method, solves, its, timings, notes,
                 currency=s.currency, scenario=s.scenario, reader=solver.binding, labels=Labels(model.data))


def todays_level(model, direction: CapDirection) -> float:
    """Default start of the curve: the first planning year's ALL target (today's level) or the
    workbook's own value of t, whichever is higher; 80 % when there is no first-year ALL row."""
    cap = model.cap_rows
    cap = cap[measure_rows(cap, direction.measure).to_numpy()] if len(cap) else cap
    first = cap[(cap["scope"] == "ALL") & (cap["year"] == model.data.settings.first_year)]
    today = float(first["max_china_share"].iloc[0]) if len(first) else 0.8
    return max(today, direction.current)
