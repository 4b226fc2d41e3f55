"""Cost-vs-risk Pareto frontier by the augmented epsilon-constraint method (AUGMECON).

Mavrotas (2009), "Effective implementation of the epsilon-constraint method in
Multi-Objective Mathematical Programming problems", Appl. Math. Comput. 213:455-465.
Both objectives are *minimised* here (negate a maximised one):

1. **Payoff table, lexicographic**: minimise f1, then f2 with f1 held at its optimum -> row 1;
   minimise f2, then f1 with f2 held at its optimum -> row 2.  Every row is Pareto-optimal.
2. **Grid**: f2 from its worst payoff value ``ub`` (loose) down to its best ``lb`` (tight) in
   ``points`` steps of ``step = (ub - lb) / (points - 1)``.
3. **Augmented problem** at each grid value e::

       min  f1(x) - eps * (r1 / r2) * s      s.t.   f2(x) + s = e,   s >= 0,   the LP's rows

   ``r1, r2`` are the payoff ranges; the slack term makes every solution Pareto-optimal
   (no weakly efficient points).  ``eps`` = 1e-3 as in the paper (scaled by r1 so that it
   means the same whatever the objectives' units).
4. **Bypass**: a slack ``s >= step`` means the next ``floor(s / step)`` grid values give the
   same solution: they are skipped.  **Early exit**: an infeasible grid value ends the loop
   (every tighter one is infeasible too).

The core :func:`augmecon` works on any :class:`models.lp.LinearProgram` and two cost vectors;
:func:`sourcing_frontier` applies it to the sourcing model with f1 = cost (the objective
without the risk charge) and f2 = a risk measure from :data:`RISK_MEASURES` (a function
returning a cost vector over the LP's columns, so CVaR can be plugged in later).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models import expressions as E
from models import sourcing as M
from optimizer.core.errors import NoProvenOptimum
from optimizer.core.solver import INFEASIBLE, INFEASIBLE_OR_UNBOUNDED, OPTIMAL, SolveOptions, open_resolver

EPS = 1e-3
LEX_RTOL = 1e-9          # a lexicographic level may give way by this much (relative)


class FrontierError(NoProvenOptimum):
    """A payoff-table LP has no proven optimum."""


@dataclass
class FrontierPoint:
    grid: int              # grid index (0 = loosest bound on f2)
    bound: float           # e, the bound on f2
    f1: float
    f2: float
    slack: float
    x: np.ndarray | None = None


@dataclass
class Frontier:
    payoff: np.ndarray                     # [[f1, f2] optimising f1 first], [... f2 first]]
    points: list[FrontierPoint]            # Pareto points, f2 descending (f1 ascending)
    grid: np.ndarray                       # every grid value e
    solves: int = 0
    skipped: int = 0                       # grid values bypassed
    early_exit: bool = False
    notes: list[str] = field(default_factory=list)


def _dot(a, b) -> float:
    return float(np.multiply(a, b).sum())


def _solve(h) -> tuple[str, np.ndarray | None]:
    status = h.run()
    if status != OPTIMAL:
        return status, None
    return status, h.solution().x


def _lexicographic(h, n: int, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Minimise ``first``, hold it at its optimum, minimise ``second``; returns x."""
    cols = np.arange(n, dtype=np.int32)
    h.set_costs(cols, first)
    status, x = _solve(h)
    if x is None:
        raise FrontierError(f"payoff table: {status}")
    best = _dot(first, x)
    nz = np.flatnonzero(first).astype(np.int32)
    row = h.add_row(-np.inf, best + LEX_RTOL * max(1.0, abs(best)), nz, first[nz])
    h.set_costs(cols, second)
    status, x2 = _solve(h)
    h.delete_row(row)
    if x2 is None:
        raise FrontierError(f"payoff table (lexicographic step): {status}")
    return x2


def augmecon(lp, f1: np.ndarray, f2: np.ndarray, points: int = 10, eps: float = EPS,
             options: SolveOptions | None = None, on_solve=None) -> Frontier:
    """The AUGMECON frontier of min f1, min f2 over ``lp`` (see the module docstring)."""
    f1 = np.asarray(f1, dtype=float)
    f2 = np.asarray(f2, dtype=float)
    n = lp.num_cols
    h = open_resolver(lp, options or SolveOptions())
    solves = 0
    x_a = _lexicographic(h, n, f1, f2)
    x_b = _lexicographic(h, n, f2, f1)
    solves += 4
    payoff = np.array([[_dot(f1, x_a), _dot(f2, x_a)], [_dot(f1, x_b), _dot(f2, x_b)]])
    ub, lb = payoff[0, 1], payoff[1, 1]
    r1, r2 = abs(payoff[1, 0] - payoff[0, 0]), ub - lb
    points = max(int(points), 2)
    out = Frontier(payoff, [], np.array([ub]), solves)
    if r2 <= 1e-9 * max(1.0, abs(ub)):
        out.points = [FrontierPoint(0, ub, payoff[0, 0], payoff[0, 1], 0.0, x_a)]
        out.notes.append("the two objectives do not conflict: one point is optimal for both")
        return out
    grid = ub - np.arange(points) * (r2 / (points - 1))
    grid[-1] = lb
    out.grid = grid
    step = r2 / (points - 1)
    # the augmented problem: slack column s, row f2 x + s = e
    h.set_costs(np.arange(n, dtype=np.int32), f1)
    weight = eps * (r1 if r1 > 0 else 1.0) / r2
    h.add_col(-weight, 0.0, np.inf, np.zeros(0, np.int32), np.zeros(0))
    nz = np.flatnonzero(f2).astype(np.int32)
    idx = np.concatenate([nz, np.array([n], dtype=np.int32)])
    vals = np.concatenate([f2[nz], [1.0]])
    row = h.add_row(grid[0], grid[0], idx, vals)
    k = 0
    while k < points:
        e = float(grid[k])
        h.set_row_bound(row, e, e)
        status, x = _solve(h)
        out.solves += 1
        if on_solve:
            on_solve(k, e)
        if x is None:
            if status in (INFEASIBLE, INFEASIBLE_OR_UNBOUNDED):
                out.early_exit = True
                out.notes.append(f"grid value {k} infeasible: the tighter ones are skipped (early exit)")
                break
            raise FrontierError(f"grid value {k} (f2 <= {e:.6g}): {status}")
        s = max(float(x[n]), 0.0)
        out.points.append(FrontierPoint(k, e, _dot(f1, x[:n]), _dot(f2, x[:n]), s, x[:n]))
        jump = int(np.floor(s / step + 1e-9)) if step > 0 else 0
        out.skipped += max(0, min(jump, points - 1 - k))
        k += 1 + jump
    out.points = _pareto(out.points)
    return out


def _pareto(points: list[FrontierPoint]) -> list[FrontierPoint]:
    """Drop repeated and dominated points; order by f2 descending (cheapest first)."""
    pts = sorted(points, key=lambda p: (p.f1, p.f2))
    keep: list[FrontierPoint] = []
    for p in pts:
        tol2 = 1e-9 * max(1.0, abs(p.f2))
        if keep and p.f2 >= keep[-1].f2 - tol2:
            continue   # costs at least as much and is no less risky
        keep.append(p)
    return keep


# --------------------------------------------------------------------------- sourcing use
def cost_vector(model) -> np.ndarray:
    """The objective without the risk charge: money spent and penalties (the model's cost parts)."""
    return model.lp.cost_vector(exclude=M.WEIGHT_PARTS)

RISK_MEASURES = {"volume": E.risk_weighted_volume}
RISK_UNITS = {"volume": "risk-weighted purchase value ({currency} M)"}   # .format(currency=...)


def sourcing_frontier(model, risk: str = "volume", points: int = 10,
                      options: SolveOptions | None = None, on_solve=None) -> Frontier:
    """Cost (currency-k, discounted, without the risk charge) vs ``risk`` over the sourcing LP."""
    if risk not in RISK_MEASURES:
        raise ValueError(f"unknown risk measure {risk!r}: use {', '.join(RISK_MEASURES)}")
    return augmecon(model.lp, cost_vector(model), RISK_MEASURES[risk](model), points, options=options,
                    on_solve=on_solve)
