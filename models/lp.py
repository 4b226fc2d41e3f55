"""A small, backend-neutral linear program built block by block with numpy.

Constraint-family functions (see :mod:`models.sourcing`) add *blocks*: a family of
variables or rows indexed by a key table (e.g. ``buy`` indexed by material, source,
year).  The finished program is a column-wise sparse matrix that can be handed to
HiGHS directly or translated by a thin adapter into PuLP or Pyomo objects, so the
formulation is written exactly once.

Naming grammar (used by every report and by the backends' side tables)::

    <family>[<key1>,<key2>,...]      e.g.  buy[GA,CN,2026]   china_cap[ALL,2027]

Rows are ``lower <= a.x <= upper`` with ``-inf``/``+inf`` for open sides.  The
objective is always minimised.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

INF = float("inf")
BINDING_RTOL = 1e-6     # a row or bound within this (relative to 1 + |bound|) of its limit binds


def at_bound(value, bound, rtol: float = BINDING_RTOL):
    """``value`` sits at ``bound`` (elementwise): |value - bound| <= rtol * (1 + |bound|)."""
    return np.abs(value - bound) <= rtol * (1 + np.abs(bound))


def reaches(value, bound, rtol: float = BINDING_RTOL):
    """``value`` is at or beyond the upper ``bound`` (elementwise), with the same tolerance."""
    return value >= bound - rtol * (1 + np.abs(bound))


@dataclass
class Block:
    """A family of variables or rows: positions ``start .. start+size-1``."""

    family: str
    index: pd.DataFrame      # one row per member, key columns only
    start: int
    doc: str = ""

    @property
    def size(self) -> int:
        return len(self.index)

    @property
    def positions(self) -> np.ndarray:
        return np.arange(self.start, self.start + self.size)

    def labels(self, rows: np.ndarray | None = None) -> list[str]:
        """Each member's name in the naming grammar (only the members at ``rows``, if given)."""
        if self.index.shape[1] == 0:
            return [self.family] * (self.size if rows is None else len(rows))
        index = self.index if rows is None else self.index.iloc[rows]
        cols = [index[c].astype(str).to_numpy() for c in index.columns]
        return [f"{self.family}[{','.join(parts)}]" for parts in zip(*cols)]


@dataclass
class LinearProgram:
    name: str = "sourcing"
    var_blocks: dict[str, Block] = field(default_factory=dict)
    row_blocks: dict[str, Block] = field(default_factory=dict)
    col_lower: list[np.ndarray] = field(default_factory=list)
    col_upper: list[np.ndarray] = field(default_factory=list)
    col_cost: list[np.ndarray] = field(default_factory=list)
    col_integer: list[np.ndarray] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    _coo_rows: list[np.ndarray] = field(default_factory=list)
    _coo_cols: list[np.ndarray] = field(default_factory=list)
    _coo_vals: list[np.ndarray] = field(default_factory=list)
    num_cols: int = 0
    num_rows: int = 0
    _csc_cache: tuple | None = None
    # named parts of the objective as built: name -> [(column positions, coefficients, discount), ...]
    cost_parts: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_arrays(cls, cost, col_lower, col_upper, row_lower, row_upper, integer, rows, cols, vals,
                    name: str = "lp") -> "LinearProgram":
        """One variable family ``x`` and one row family ``r`` from plain arrays (and COO triplets)."""
        lp = cls(name)
        n, m = len(cost), len(row_lower)
        xs = lp.add_variables("x", pd.DataFrame({"j": np.arange(n)}), lower=col_lower, upper=col_upper,
                              cost=cost)
        lp.col_integer[0] = np.asarray(integer, dtype=bool).copy()
        lp.add_constraints("r", pd.DataFrame({"i": np.arange(m)}),
                           Terms().add(rows, xs[np.asarray(cols, dtype=np.int64)], vals),
                           lower=row_lower, upper=row_upper)
        return lp

    def add_variables(self, family: str, index: pd.DataFrame, lower=0.0, upper=INF, cost=0.0,
                      integer: bool = False, doc: str = "", parts: dict | str | None = None,
                      discount=1.0) -> np.ndarray:
        """Add one variable per row of ``index``; returns their column positions.

        ``parts`` names what the objective coefficients are made of, for every report to read
        (:meth:`part_values`): a name (the whole ``cost`` is that part) or ``{name: coefficients}``
        whose sum is ``cost`` (``cost`` itself is the coefficient the solver gets).
        ``discount``: the discount factor inside those coefficients, per column (so a part can
        also be read undiscounted).
        """
        if family in self.var_blocks:
            raise ValueError(f"variable family {family!r} added twice")
        n = len(index)
        block = Block(family, index.reset_index(drop=True), self.num_cols, doc)
        self.var_blocks[family] = block
        self.col_lower.append(_broadcast(lower, n))
        self.col_upper.append(_broadcast(upper, n))
        self.col_cost.append(_broadcast(cost, n))
        self.col_integer.append(np.full(n, bool(integer)))
        self.num_cols += n
        self._csc_cache = None
        if isinstance(parts, str):
            self.add_cost_part(parts, block.positions, self.col_cost[-1], discount)
        elif parts:
            for name, coef in parts.items():
                self.add_cost_part(name, block.positions, _broadcast(coef, n), discount)
        return block.positions

    def add_cost_part(self, name: str, positions, coefficients, discount=1.0) -> None:
        """Record that ``coefficients`` on ``positions`` are part ``name`` of the objective,
        discounted by ``discount`` (per column)."""
        positions = np.asarray(positions, dtype=np.int64)
        self.cost_parts.setdefault(name, []).append((positions, np.asarray(coefficients, dtype=float),
                                                     _broadcast(discount, positions.size)))

    def part_vectors(self, undiscounted: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each cost part as ``(positions, coefficients)``: ``sum(x[positions] * coefficients)``
        (the coefficients divided by their discount factors with ``undiscounted``)."""
        out = {}
        for name, pieces in self.cost_parts.items():
            pos = np.concatenate([p for p, _, _ in pieces]) if pieces else np.zeros(0, np.int64)
            coef = np.concatenate([c / d if undiscounted else c for _, c, d in pieces]) if pieces else np.zeros(0)
            out[name] = (pos, coef)
        return out

    def cost_vector(self, exclude: tuple[str, ...] = ()) -> np.ndarray:
        """Objective coefficients over all columns as the sum of the cost parts, less ``exclude``."""
        vec = np.zeros(self.num_cols)
        for name, (p, c) in self.part_vectors().items():
            if name not in exclude:
                np.add.at(vec, p, c)
        return vec

    def part_values(self, x: np.ndarray, undiscounted: bool = False) -> dict[str, float]:
        """The value of every cost part at ``x``, in the order the parts were first declared."""
        return {name: float(np.multiply(x[p], c).sum())
                for name, (p, c) in self.part_vectors(undiscounted).items()}

    def add_constraints(self, family: str, index: pd.DataFrame, terms: "Terms",
                        lower=-INF, upper=INF, doc: str = "") -> np.ndarray:
        """Add one row per row of ``index``; ``terms`` holds (local row, column, coefficient)."""
        if family in self.row_blocks:
            raise ValueError(f"constraint family {family!r} added twice")
        n = len(index)
        block = Block(family, index.reset_index(drop=True), self.num_rows, doc)
        self.row_blocks[family] = block
        rows, cols, vals = terms.arrays()
        if rows.size and (rows.min() < 0 or rows.max() >= n):
            raise ValueError(f"{family}: term row outside 0..{n - 1}")
        self.row_lower.append(_broadcast(lower, n))
        self.row_upper.append(_broadcast(upper, n))
        self._coo_rows.append(rows + self.num_rows)
        self._coo_cols.append(cols)
        self._coo_vals.append(vals)
        self.num_rows += n
        self._csc_cache = None
        return block.positions

    def extend_rows(self, rows, cols, vals) -> None:
        """Add coefficients to existing rows (global row and column positions); used to
        attach elastic slack columns to rows of a built model."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        self._coo_rows.append(rows)
        self._coo_cols.append(cols)
        self._coo_vals.append(_broadcast(vals, rows.size))
        self._csc_cache = None

    def set_costs(self, family: str, cost) -> None:
        """Replace the objective coefficients of one variable family."""
        k = list(self.var_blocks).index(family)
        self.col_cost[k] = _broadcast(cost, self.var_blocks[family].size)

    def set_bounds(self, family: str, lower=None, upper=None) -> None:
        k = list(self.var_blocks).index(family)
        n = self.var_blocks[family].size
        if lower is not None:
            self.col_lower[k] = _broadcast(lower, n)
        if upper is not None:
            self.col_upper[k] = _broadcast(upper, n)

    # ------------------------------------------------------------------ reading
    def arrays(self):
        """(cost, col_lower, col_upper, row_lower, row_upper, integrality) as numpy arrays."""
        cat = lambda parts, dtype=float: (np.concatenate(parts).astype(dtype) if parts
                                          else np.zeros(0, dtype))
        return (cat(self.col_cost), cat(self.col_lower), cat(self.col_upper),
                cat(self.row_lower), cat(self.row_upper), cat(self.col_integer, bool))

    def csc(self):
        """Column-wise matrix (start, index, value); duplicate entries are summed."""
        if self._csc_cache is None:
            if self._coo_rows:
                rows = np.concatenate(self._coo_rows).astype(np.int64)
                cols = np.concatenate(self._coo_cols).astype(np.int64)
                vals = np.concatenate(self._coo_vals).astype(float)
            else:
                rows = cols = np.zeros(0, np.int64)
                vals = np.zeros(0)
            # sum duplicates and drop explicit zeros
            key = cols * max(self.num_rows, 1) + rows
            order = np.argsort(key, kind="stable")
            key, vals = key[order], vals[order]
            # key is sorted: each run of equal keys starts where it differs from its left
            # neighbour (what np.unique(..., return_index=True) returns, without a re-sort)
            new_run = np.ones(key.size, dtype=bool)
            np.not_equal(key[1:], key[:-1], out=new_run[1:])
            first = np.flatnonzero(new_run)
            uniq = key[first]
            if first.size == vals.size:
                summed = vals  # no duplicate entries
            else:
                summed = np.add.reduceat(vals, first) if vals.size else vals
            keep = summed != 0.0
            uniq, summed = uniq[keep], summed[keep]
            cols_u = uniq // max(self.num_rows, 1)
            rows_u = uniq % max(self.num_rows, 1)
            start = np.zeros(self.num_cols + 1, dtype=np.int64)
            if cols_u.size == 0 or (cols_u[0] >= 0 and cols_u[-1] < self.num_cols):
                start[1:] = np.bincount(cols_u, minlength=self.num_cols)
            else:  # a term outside the columns: same outcome as before (error or not)
                np.add.at(start, cols_u + 1, 1)
            start = np.cumsum(start)
            self._csc_cache = (start, rows_u.astype(np.int32), summed)
        return self._csc_cache

    def csr(self):
        """Row-wise view (start, index, value) built from the CSC form."""
        start, index, value = self.csc()
        cols = np.repeat(np.arange(self.num_cols), np.diff(start))
        order = np.lexsort((cols, index))
        rstart = np.zeros(self.num_rows + 1, dtype=np.int64)
        np.add.at(rstart, index.astype(np.int64) + 1, 1)
        return np.cumsum(rstart), cols[order].astype(np.int32), value[order]

    @property
    def is_mip(self) -> bool:
        return bool(any(a.any() for a in self.col_integer))

    def column_labels(self) -> list[str]:
        return [lab for b in self.var_blocks.values() for lab in b.labels()]

    def row_labels(self) -> list[str]:
        return [lab for b in self.row_blocks.values() for lab in b.labels()]

    def row_activity(self, x: np.ndarray) -> np.ndarray:
        start, index, value = self.csc()
        act = np.zeros(self.num_rows)
        cols = np.repeat(np.arange(self.num_cols), np.diff(start))
        np.add.at(act, index, value * x[cols])
        return act

    def values(self, family: str, x: np.ndarray) -> pd.DataFrame:
        """The key table of a variable (or row) family with a ``value`` column from ``x``."""
        block = self.var_blocks.get(family) or self.row_blocks[family]
        out = block.index.copy()
        out["value"] = x[block.start:block.start + block.size]
        return out

    def row_values(self, family: str, values: np.ndarray) -> pd.DataFrame:
        block = self.row_blocks[family]
        out = block.index.copy()
        out["value"] = values[block.start:block.start + block.size]
        return out

    def check_feasible(self, x: np.ndarray, tol: float = 1e-6) -> list[str]:
        """Our own check of a returned solution: every bound and row within ``tol``
        (relative to the size of the bound).  Returns labels of violated items."""
        cost, cl, cu, rl, ru, integer = self.arrays()
        bad = []
        scale_c = 1.0 + np.abs(np.where(np.isfinite(cl), cl, 0)) + np.abs(np.where(np.isfinite(cu), cu, 0))
        viol_c = (x < cl - tol * scale_c) | (x > cu + tol * scale_c)
        act = self.row_activity(x)
        scale_r = 1.0 + np.abs(np.where(np.isfinite(rl), rl, 0)) + np.abs(np.where(np.isfinite(ru), ru, 0))
        viol_r = (act < rl - tol * scale_r) | (act > ru + tol * scale_r)
        if viol_c.any():
            labels = self.column_labels()
            bad += [labels[i] for i in np.flatnonzero(viol_c)]
        if viol_r.any():
            labels = self.row_labels()
            bad += [labels[i] for i in np.flatnonzero(viol_r)]
        return bad


class Terms:
    """Accumulates (local row, column, coefficient) triplets for one constraint block."""

    def __init__(self):
        self._r: list[np.ndarray] = []
        self._c: list[np.ndarray] = []
        self._v: list[np.ndarray] = []

    def add(self, rows, cols, coefs=1.0) -> "Terms":
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if rows.shape != cols.shape:
            raise ValueError("rows and cols must have the same shape")
        self._r.append(rows)
        self._c.append(cols)
        self._v.append(_broadcast(coefs, rows.size))
        return self

    def arrays(self):
        if not self._r:
            z = np.zeros(0, np.int64)
            return z, z, np.zeros(0)
        return np.concatenate(self._r), np.concatenate(self._c), np.concatenate(self._v)


def _broadcast(value, n: int) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"expected {n} values, got shape {arr.shape}")
    return arr.astype(float)


def lookup(keys: pd.DataFrame, table: pd.DataFrame, on: list[str], column: str | None = None):
    """Position of each row of ``keys`` in ``table`` matched on ``on`` columns (-1 if absent),
    or, with ``column``, the matched value (NaN if absent).  Vectorised via a merge."""
    t = table[on].copy()
    t["_pos"] = np.arange(len(table))
    merged = keys[on].merge(t, how="left", on=on, validate="many_to_one")
    pos = merged["_pos"].to_numpy()
    if column is None:
        return np.where(np.isnan(pos), -1, pos).astype(np.int64)
    vals = table[column].to_numpy(dtype=float)
    out = np.full(len(keys), np.nan)
    ok = ~np.isnan(pos)
    out[ok] = vals[pos[ok].astype(np.int64)]
    return out
