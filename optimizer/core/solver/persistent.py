"""One model kept for many solves: change bounds, costs, a row or a column, solve again.

Curves, the frontier, the lowest achievable share, coalition tables and the nucleolus
all solve one LP many times with small changes.  :func:`open_resolver` gives them an
object with neutral methods (infinite bounds are ``±inf``; statuses are those of
:mod:`.types`; duals follow its sign convention) backed by

* :class:`HighsResolver` where the backend declares ``warm_resolve`` (native HiGHS):
  one ``Highs`` instance, each change applied in place, each solve warm-started from
  the previous basis;
* :class:`RebuildResolver` for the other backends: the changes are applied to a copy of
  the arrays and every solve goes through :func:`optimizer.core.solver.adapter.solve_lp`
  with the chosen backend and solver (slower, the same answers, the user's choice kept).

Only this package touches highspy.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from models.lp import LinearProgram
from optimizer.core.solver import highs, registry
from optimizer.core.solver.adapter import solve_lp
from optimizer.core.solver.types import SolveOptions


def open_resolver(lp: LinearProgram, options: SolveOptions | None = None, integrality: bool = True,
                  ranging: bool = False):
    """A resolver for ``lp`` with the backend and solver of ``options`` (see the module docstring).
    ``integrality=False`` solves the LP relaxation.  ``ranging=True``: the re-solves serve
    sensitivity ranging, which a backend without the ``ranging`` capability gets from HiGHS on
    the same matrix (as the adapter does for bound and cost ranging)."""
    options = options or SolveOptions()
    chosen, _ = registry.resolve(options.backend, options.solver)
    if chosen.warm_resolve or (ranging and not chosen.ranging):
        return HighsResolver(lp, options, integrality)
    return RebuildResolver(lp, options, integrality)


class _Snapshot:
    """The last solve's vectors, converted to numpy on first access."""

    def __init__(self, get):
        self._get = get
        self._cache: dict = {}

    def _arr(self, name):
        if name not in self._cache:
            self._cache[name] = np.asarray(self._get(name), dtype=float)
        return self._cache[name]

    @property
    def x(self) -> np.ndarray:
        return self._arr("col_value")

    @property
    def col_duals(self) -> np.ndarray:
        return self._arr("col_dual")

    @property
    def row_duals(self) -> np.ndarray:
        return self._arr("row_dual")

    @property
    def row_values(self) -> np.ndarray:
        return self._arr("row_value")


class HighsResolver:
    """The LP in one HiGHS instance; every method maps to one highspy call."""

    warm = True

    def __init__(self, lp: LinearProgram, options: SolveOptions, integrality: bool = True):
        highs.silence_banner()
        self.h = highs.new_highs(options)
        highs.pass_lp(self.h, lp, integrality=integrality)
        self.inf = highs.highspy.kHighsInf
        self.backend, self.solver = "native", "highs"
        self.status = ""

    def _b(self, a, sign: float) -> np.ndarray:
        a = np.asarray(a, dtype=float)
        return np.where(np.isinf(a), sign * self.inf, a)

    @property
    def num_cols(self) -> int:
        return int(self.h.getNumCol())

    @property
    def num_rows(self) -> int:
        return int(self.h.getNumRow())

    def set_row_bounds(self, rows, lower, upper) -> None:
        rows = np.asarray(rows, dtype=np.int32)
        self.h.changeRowsBounds(int(rows.size), rows, self._b(lower, -1), self._b(upper, 1))

    def set_row_bound(self, row: int, lower: float, upper: float) -> None:
        self.h.changeRowBounds(int(row), float(self._b(lower, -1)), float(self._b(upper, 1)))

    def set_col_bounds(self, cols, lower, upper) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        self.h.changeColsBounds(int(cols.size), cols, self._b(lower, -1), self._b(upper, 1))

    def set_costs(self, cols, costs) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        self.h.changeColsCost(int(cols.size), cols, np.asarray(costs, dtype=float))

    def set_cost(self, col: int, cost: float) -> None:
        self.h.changeColCost(int(col), float(cost))

    def add_col(self, cost: float, lower: float, upper: float, rows, vals) -> int:
        rows = np.asarray(rows, dtype=np.int32)
        self.h.addCol(float(cost), float(self._b(lower, -1)), float(self._b(upper, 1)), int(rows.size), rows,
                      np.asarray(vals, dtype=float))
        return self.num_cols - 1

    def add_row(self, lower: float, upper: float, cols, vals) -> int:
        cols = np.asarray(cols, dtype=np.int32)
        self.h.addRow(float(self._b(lower, -1)), float(self._b(upper, 1)), int(cols.size), cols,
                      np.asarray(vals, dtype=float))
        return self.num_rows - 1

    def add_rows(self, lower, upper, starts, cols, vals) -> np.ndarray:
        """Several rows at once (CSR: row k's entries are ``cols/vals[starts[k]:starts[k+1]]``,
        ``starts`` without the final end); returns their positions."""
        lower, upper = self._b(lower, -1), self._b(upper, 1)
        first = self.num_rows
        self.h.addRows(int(lower.size), lower, upper, int(len(vals)), np.asarray(starts, dtype=np.int32),
                       np.asarray(cols, dtype=np.int32), np.asarray(vals, dtype=float))
        return np.arange(first, first + lower.size)

    def delete_row(self, row: int) -> None:
        self.h.deleteRows(1, np.array([row], dtype=np.int32))

    def delete_rows(self, rows) -> None:
        """Delete several rows; the rows after each one move up (HiGHS keeps the order)."""
        rows = np.asarray(rows, dtype=np.int32)
        if rows.size:
            self.h.deleteRows(int(rows.size), rows)

    def basis(self):
        """The current basis, an opaque copy to give back to :meth:`set_basis` (warm starts of
        many similar LPs from one model, e.g. the scenarios of a decomposition)."""
        return self.h.getBasis()

    def set_basis(self, basis) -> None:
        """Start the next :meth:`run` from ``basis`` (from :meth:`basis`; None: from scratch)."""
        if basis is None:
            self.h.clearSolver()
        else:
            self.h.setBasis(basis)

    def run(self) -> str:
        self.h.run()
        self.status = highs.map_status(self.h)
        return self.status

    @property
    def objective(self) -> float:
        return float(self.h.getInfo().objective_function_value)

    @property
    def iterations(self) -> int:
        return int(self.h.getInfo().simplex_iteration_count)

    def solution(self) -> _Snapshot:
        s = self.h.getSolution()
        return _Snapshot(lambda name: getattr(s, name))

    def row_bound_range(self, row: int) -> tuple[float, float] | None:
        """(lowest, highest) value of ``row``'s active bound keeping the basis optimal (HiGHS
        ranging); None when ranging is unavailable.  Unbounded ends are ±inf."""
        status, rg = self.h.getRanging()
        if status != highs.highspy.HighsStatus.kOk:
            return None
        lo, hi = float(rg.row_bound_dn.value_[row]), float(rg.row_bound_up.value_[row])
        return (-np.inf if abs(lo) >= 1e29 else lo), (np.inf if abs(hi) >= 1e29 else hi)


class RebuildResolver:
    """The same methods on a copy of the arrays; each :meth:`run` is a fresh
    :func:`~optimizer.core.solver.adapter.solve_lp` through the chosen backend."""

    warm = False

    def __init__(self, lp: LinearProgram, options: SolveOptions, integrality: bool = True):
        cost, cl, cu, rl, ru, integer = lp.arrays()
        self.cost, self.cl, self.cu, self.rl, self.ru = (a.copy() for a in (cost, cl, cu, rl, ru))
        self.integer = integer.copy() if integrality else np.zeros(lp.num_cols, bool)
        start, index, value = lp.csc()
        self.coo_r = index.astype(np.int64)
        self.coo_c = np.repeat(np.arange(lp.num_cols), np.diff(start)).astype(np.int64)
        self.coo_v = value.astype(float)
        self.options = replace(options, ranging=False, want_duals=True)
        self.backend, self.solver = options.backend, options.solver
        self.name = lp.name
        self.sol = None
        self.status = ""

    @property
    def num_cols(self) -> int:
        return int(self.cost.size)

    @property
    def num_rows(self) -> int:
        return int(self.rl.size)

    def set_row_bounds(self, rows, lower, upper) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        self.rl[rows], self.ru[rows] = lower, upper

    def set_row_bound(self, row: int, lower: float, upper: float) -> None:
        self.rl[row], self.ru[row] = lower, upper

    def set_col_bounds(self, cols, lower, upper) -> None:
        cols = np.asarray(cols, dtype=np.int64)
        self.cl[cols], self.cu[cols] = lower, upper

    def set_costs(self, cols, costs) -> None:
        self.cost[np.asarray(cols, dtype=np.int64)] = costs

    def set_cost(self, col: int, cost: float) -> None:
        self.cost[col] = cost

    def add_col(self, cost: float, lower: float, upper: float, rows, vals) -> int:
        j = self.num_cols
        self.cost, self.cl, self.cu = (np.append(a, v) for a, v in ((self.cost, cost), (self.cl, lower),
                                                                     (self.cu, upper)))
        self.integer = np.append(self.integer, False)
        rows = np.asarray(rows, dtype=np.int64)
        self._extend(rows, np.full(rows.size, j), vals)
        return j

    def add_row(self, lower: float, upper: float, cols, vals) -> int:
        i = self.num_rows
        self.rl, self.ru = np.append(self.rl, lower), np.append(self.ru, upper)
        cols = np.asarray(cols, dtype=np.int64)
        self._extend(np.full(cols.size, i), cols, vals)
        return i

    def _extend(self, rows, cols, vals) -> None:
        self.coo_r = np.concatenate([self.coo_r, np.asarray(rows, dtype=np.int64)])
        self.coo_c = np.concatenate([self.coo_c, np.asarray(cols, dtype=np.int64)])
        self.coo_v = np.concatenate([self.coo_v, np.asarray(vals, dtype=float)])

    def add_rows(self, lower, upper, starts, cols, vals) -> np.ndarray:
        ends = list(starts[1:]) + [len(vals)]
        return np.array([self.add_row(lo, up, cols[a:b], vals[a:b])
                         for lo, up, a, b in zip(lower, upper, starts, ends)], dtype=np.int64)

    def delete_rows(self, rows) -> None:
        for row in sorted(np.asarray(rows, dtype=np.int64).tolist(), reverse=True):
            self.delete_row(row)

    def basis(self):
        return None

    def set_basis(self, basis) -> None:
        """Every solve starts from scratch here."""

    def delete_row(self, row: int) -> None:
        keep = self.coo_r != row
        self.coo_r, self.coo_c, self.coo_v = self.coo_r[keep], self.coo_c[keep], self.coo_v[keep]
        self.coo_r = np.where(self.coo_r > row, self.coo_r - 1, self.coo_r)
        self.rl, self.ru = np.delete(self.rl, row), np.delete(self.ru, row)

    def lp(self) -> LinearProgram:
        return LinearProgram.from_arrays(self.cost, self.cl, self.cu, self.rl, self.ru, self.integer,
                                         self.coo_r, self.coo_c, self.coo_v, name=self.name)

    def run(self) -> str:
        self.sol = solve_lp(self.lp(), self.options)
        self.status = self.sol.status
        return self.status

    @property
    def objective(self) -> float:
        return float(self.sol.objective) if self.sol is not None and self.sol.objective is not None else np.nan

    @property
    def iterations(self) -> int:
        return 0

    def solution(self) -> _Snapshot:
        sol = self.sol
        n, m = self.num_cols, self.num_rows
        vec = {"col_value": sol.x, "col_dual": sol.col_duals if sol.col_duals is not None else np.full(n, np.nan),
               "row_dual": sol.row_duals if sol.row_duals is not None else np.full(m, np.nan),
               "row_value": sol.row_activity if sol.row_activity is not None else np.full(m, np.nan)}
        return _Snapshot(vec.__getitem__)

    def row_bound_range(self, row: int):
        return None


__all__ = ["open_resolver", "HighsResolver", "RebuildResolver"]
