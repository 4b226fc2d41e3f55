"""What binds: labels of LP rows and columns, binding sets, and the lowest achievable China share.

Helpers for :mod:`optimizer.curves.parametric` (kept apart so each module reads in one sitting).

* :class:`Labeller` turns a row or column position of a :class:`models.lp.LinearProgram`
  into its name in the one naming grammar (``buy[GA,JP,2030]``) without building every
  label of a 100 k-column model.
* :class:`BindingReader` - the rows with a non-zero dual and the column bounds with a
  non-zero reduced cost at a solved point (the constraints that *price* the solution).
* :func:`lowest_share` - the smallest parameter value ``t`` at which all demand can be
  served: an auxiliary LP with ``t`` as a variable (``tau``)::

      min tau   s.t.   A x - d tau <= base      (the moving China-cap rows)
                       every other row and bound of the model,  unmet = 0,  tau >= 0

  When demand cannot be served even without any China cap, ``unmet = 0`` is replaced by
  "penalty-weighted unmet demand at its minimum" (found by a first LP).  The duals of
  that LP say what holds the share up: ``d tau / d b`` per unit of each binding row or
  bound, reported in percentage points of share.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.units import PP_PER_SHARE, to_millions
from optimizer.core.solver import INFEASIBLE, INFEASIBLE_OR_UNBOUNDED, OPTIMAL, SolveOptions, open_resolver

DUAL_TOL = 1e-7          # |dual| (model units) below this counts as zero


class Labeller:
    """Names of LP rows and columns by position (``family[key,...]``), built lazily."""

    def __init__(self, lp):
        self._vars = list(lp.var_blocks.values())
        self._rows = list(lp.row_blocks.values())
        self._vstart = np.array([b.start for b in self._vars])
        self._rstart = np.array([b.start for b in self._rows])

    @staticmethod
    def _name(blocks, starts, pos: int) -> tuple[str, str]:
        k = int(np.searchsorted(starts, pos, side="right")) - 1
        # skip empty blocks that share a start with the next one
        while k > 0 and blocks[k].size == 0:
            k -= 1
        b = blocks[k]
        i = pos - b.start
        if b.index.shape[1] == 0:
            return b.family, b.doc
        parts = [str(v) for v in b.index.iloc[i].tolist()]
        return f"{b.family}[{','.join(parts)}]", b.doc

    def row(self, pos: int) -> str:
        return self._name(self._rows, self._rstart, int(pos))[0]

    def col(self, pos: int) -> str:
        return self._name(self._vars, self._vstart, int(pos))[0]

    def row_doc(self, pos: int) -> str:
        return self._name(self._rows, self._rstart, int(pos))[1]


class BindingReader:
    """Reads the binding set of solved points of one LP (bounds cached, labels on demand).

    A binding set is a sorted int64 array of codes: ``i`` for row i, ``m + j`` for column j
    at its upper bound, ``m + n + j`` for column j at a positive lower bound (m rows, n
    columns), so neighbouring sets compare with ``np.setdiff1d`` and only the changes
    need labels (:meth:`label`).
    """

    def __init__(self, lp, exclude_rows=("balance",)):
        _, self.cl, self.cu, _, _, _ = lp.arrays()
        self.m, self.n = lp.num_rows, lp.num_cols
        self.labels = Labeller(lp)
        self.skip = np.zeros(lp.num_rows, bool)
        for fam in exclude_rows:
            b = lp.row_blocks.get(fam)
            if b is not None and b.size:
                self.skip[b.start:b.start + b.size] = True
        self.tol_up = 1e-7 * (1.0 + np.abs(np.where(np.isfinite(self.cu), self.cu, 0.0)))
        self.has_up = np.isfinite(self.cu)
        self.has_lo = self.cl > 0

    def __call__(self, x, row_dual, col_dual) -> np.ndarray:
        """Codes of the constraints that price this solution.

        * rows with ``|dual| > DUAL_TOL`` (except balances: equalities, always priced);
        * column bounds that hold with ``|reduced cost| > DUAL_TOL``: ``at upper`` (a
          supplier's capacity, a project fully built) or ``at lower`` (only where the lower
          bound is positive: a minimum contract).
        """
        cl, cu = self.cl, self.cu
        rows = np.flatnonzero((np.abs(row_dual) > DUAL_TOL) & ~self.skip)
        at_up = self.has_up & (col_dual < -DUAL_TOL) & (np.abs(x - cu) <= self.tol_up)
        at_lo = self.has_lo & (col_dual > DUAL_TOL) & (np.abs(x - cl) <= 1e-7 * (1.0 + cl))
        return np.concatenate([rows, self.m + np.flatnonzero(at_up),
                               self.m + self.n + np.flatnonzero(at_lo)]).astype(np.int64)

    def label(self, code: int) -> str:
        code = int(code)
        if code < self.m:
            return self.labels.row(code)
        if code < self.m + self.n:
            return f"{self.labels.col(code - self.m)} at upper"
        return f"{self.labels.col(code - self.m - self.n)} at lower"


@dataclass
class Limit:
    """One constraint holding the lowest achievable share up."""

    item: str            # label in the naming grammar (+ " at upper"/" at lower" for bounds)
    what: str            # the family's description
    pp_per_unit: float   # change of the lowest share (percentage points) per +1 unit of the limit


@dataclass
class LowestShare:
    """The smallest parameter value at which demand is served (see the module docstring)."""

    t: float | None                  # None when the LP could not be solved
    status: str
    unmet_min: float = 0.0           # penalty-weighted unmet demand that cannot be avoided (k-currency)
    limits: list[Limit] = field(default_factory=list)
    note: str = ""


def lowest_share(model, direction, options: SolveOptions | None = None,
                 max_limits: int = 40) -> LowestShare:
    """Solve the auxiliary LP of the module docstring for ``direction`` (a CapDirection)."""
    lp = model.lp
    opts = options or SolveOptions()
    h = open_resolver(lp, opts, integrality=False)
    n = lp.num_cols
    inf = np.inf
    rows = direction.rows.astype(np.int32)
    cost0 = lp.arrays()[0]
    _, cl, cu, rl, _, _ = lp.arrays()
    # tau: cost 1, coefficient -d_i in each moving row; those rows' upper bound becomes base_i
    h.add_col(1.0, 0.0, inf, rows, -direction.slope.astype(float))
    h.set_row_bounds(rows, rl[rows], direction.base.astype(float))
    all_cols = np.arange(n, dtype=np.int32)
    h.set_costs(all_cols, np.zeros(n))
    unmet = lp.var_blocks["unmet"].positions.astype(np.int32)
    h.set_col_bounds(unmet, np.zeros(unmet.size), np.zeros(unmet.size))
    status = h.run()
    out = LowestShare(None, status)
    if status in (INFEASIBLE, INFEASIBLE_OR_UNBOUNDED):
        # demand cannot be served at any share: first minimise the penalty-weighted unmet demand
        h.set_col_bounds(unmet, np.zeros(unmet.size), np.full(unmet.size, inf))
        h.set_costs(unmet, cost0[unmet])
        h.set_cost(n, 0.0)
        if h.run() != OPTIMAL:
            out.status = h.status
            out.note = "the auxiliary LP (least unmet demand) has no proven optimum"
            return out
        u_star = h.objective
        out.unmet_min = u_star
        h.add_row(-inf, u_star * (1 + 1e-9) + 1e-9, unmet, cost0[unmet])
        h.set_costs(unmet, np.zeros(unmet.size))
        h.set_cost(n, 1.0)
        status = h.run()
        out.status = status
        out.note = (f"demand cannot be fully served at any China share (least unavoidable unmet-demand "
                    f"penalty {to_millions(u_star):,.3f} M): the curve ends where that least unmet demand "
                    "is first reached")
    if status != OPTIMAL:
        out.note = out.note or "the auxiliary LP (lowest achievable share) has no proven optimum"
    sol = h.solution()
    x = sol.x
    out.t = float(x[n])
    if out.t <= 1e-9:
        out.t = 0.0
        out.note = (out.note + " " if out.note else "") + "a China share of 0 % is achievable: nothing holds it up"
        return out
    row_dual = sol.row_duals[:lp.num_rows]
    col_dual = sol.col_duals[:n]
    out.limits = _limits(lp, x[:n], row_dual, col_dual, cl, cu, unmet, max_limits)
    return out


def _limits(lp, x, row_dual, col_dual, cl, cu, unmet, max_limits) -> list[Limit]:
    lab = Labeller(lp)
    items = []
    for i in np.flatnonzero(np.abs(row_dual) > DUAL_TOL):
        items.append(Limit(lab.row(i), lab.row_doc(i), float(row_dual[i]) * PP_PER_SHARE))
    skip = np.zeros(lp.num_cols, bool)
    skip[unmet] = True
    tol_x = 1e-7 * (1.0 + np.abs(np.where(np.isfinite(cu), cu, 0.0)))
    at_up = np.isfinite(cu) & (np.abs(x - cu) <= tol_x) & (col_dual < -DUAL_TOL) & ~skip
    at_lo = (cl > 0) & (np.abs(x - cl) <= 1e-7 * (1.0 + cl)) & (col_dual > DUAL_TOL) & ~skip
    docs = {b.family: b.doc for b in lp.var_blocks.values()}
    for j in np.flatnonzero(at_up | at_lo):
        name = lab.col(j)
        fam = name.split("[", 1)[0]
        side = "upper" if at_up[j] else "lower"
        what = {"buy": "supplier capacity" if side == "upper" else "minimum contract volume",
                "build": "project fully built"}.get(fam, f"{docs.get(fam, fam)} ({side} bound)")
        items.append(Limit(f"{name} at {side}", what, float(col_dual[j]) * PP_PER_SHARE))
    items.sort(key=lambda it: -abs(it.pp_per_unit))
    return items[:max_limits]
