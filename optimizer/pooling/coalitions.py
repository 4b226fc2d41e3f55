"""The cost c(S) of every coalition, from ONE built joint model by changing bounds.

:func:`coalition_table` keeps the joint model in one resolver
(:func:`optimizer.core.solver.open_resolver`: one HiGHS instance with the native backend) and,
for each coalition, changes only bounds (:func:`models.pooling.coalition_bounds`: non-members'
demand rows set to 0, access rows cut to the members' rights, non-members' ``take``/``own``
columns fixed to 0) and re-runs, changing only the bounds that differ from the previous
coalition's.  Coalitions are visited in Gray-code order, so consecutive coalitions differ by one
member and the LP warm-starts from the previous basis; the order is cut into pieces of
:data:`TABLE_CHUNK` coalitions, each started from scratch, so a piece gives the same answers
whichever worker solves it (the table of ``workers`` processes is the serial one, bit for bit).
Statuses are
the solver layer's (the same mapping as every solve) and every solution is re-checked against its own coalition's bounds and rows; a
coalition that does not end proven optimal is re-solved once through
:func:`optimizer.core.solver.solve_lp` (which re-checks infeasible/unbounded verdicts with
presolve off) before it is reported as such.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from models.pooling import PoolModel, apply_coalition, build_pool_model, coalition_bounds, coalition_maps
from models.units import to_millions
from optimizer.core.solver import OPTIMAL, SolveOptions, open_resolver, solve_lp
from optimizer.core.tasks import chunks, map_tasks, open_pool
from optimizer.pooling.games import EXACT_MAX_PLAYERS, Game, label

CHECK_TOL = 1e-6
TABLE_CHUNK = 64      # coalitions per piece of the table (each piece starts from scratch)


class MaskValues(dict):
    """Values by coalition mask, stored only where set: a sampled table of up to 30 members keeps
    the coalitions it solved, not 2^30 slots (memory flat in the number of members)."""

    def __init__(self, default):
        super().__init__()
        self.default = default

    def __missing__(self, mask):
        return self.default


@dataclass
class CoalitionTable:
    """c(S) per coalition mask (currency M), with status and unmet demand; NaN = not solved.

    Exact tables (every coalition) hold arrays of 2^n entries; sampled ones (:meth:`sparse`)
    hold :class:`MaskValues` with the solved coalitions only."""

    members: tuple[str, ...]
    cost: np.ndarray | MaskValues
    status: np.ndarray | MaskValues     # status strings ("" = not solved)
    unmet: np.ndarray | MaskValues      # tonnes of unmet demand in the coalition's plan
    mip: bool = False
    solves: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @classmethod
    def sparse(cls, members: tuple[str, ...], mip: bool = False) -> "CoalitionTable":
        table = cls(tuple(members), MaskValues(np.nan), MaskValues(""), MaskValues(np.nan), mip)
        table.cost[0], table.unmet[0] = 0.0, 0.0
        return table

    @property
    def n(self) -> int:
        return len(self.members)

    @property
    def is_sparse(self) -> bool:
        return isinstance(self.status, MaskValues)

    def masks(self) -> list[int]:
        """The solved coalitions, in mask order."""
        if self.is_sparse:
            return sorted(m for m, st in self.status.items() if m and st != "")
        return [m for m in range(1, 2 ** self.n) if self.status[m] != ""]

    @property
    def grand_cost(self) -> float:
        return float(self.cost[(1 << self.n) - 1])

    @property
    def complete(self) -> bool:
        if self.is_sparse:
            return len(self.masks()) == 2 ** self.n - 1 and all(np.isfinite(self.cost[m]) for m in self.masks())
        return bool(np.isfinite(self.cost[1:]).all())

    def statuses(self) -> list[str]:
        return [self.status[m] for m in self.masks()]

    @property
    def all_optimal(self) -> bool:
        return all(st == OPTIMAL for st in self.statuses())

    def total_unmet(self) -> float:
        return float(np.nansum([self.unmet[m] for m in self.masks()]))

    def standalone(self) -> np.ndarray:
        return np.array([self.cost[1 << i] for i in range(self.n)])

    def game(self) -> Game:
        if not self.complete:
            raise ValueError("the coalition table is incomplete (sampled); no exact game")
        if self.is_sparse:
            return Game(self.members, np.array([self.cost[m] for m in range(2 ** self.n)]))
        return Game(self.members, self.cost)

    def rows(self) -> list[dict]:
        """One dict per solved coalition: coalition, size, cost, standalone_sum, savings, ..."""
        alone = self.standalone()
        out = []
        for m in self.masks():
            ids = [i for i in range(self.n) if m >> i & 1]
            base = float(alone[ids].sum()) if np.isfinite(alone[ids]).all() else np.nan
            out.append({"coalition": label(m, self.members), "size": len(ids), "cost": self.cost[m],
                        "standalone_sum": base, "savings": base - self.cost[m],
                        "savings_pct": (base - self.cost[m]) / base if base else np.nan,
                        "status": self.status[m], "unmet_t": self.unmet[m], "mask": m})
        return out


class CoalitionSolver:
    """One resolver holding the joint model; ``solve(mask)`` changes bounds and runs (warm start)."""

    def __init__(self, model: PoolModel, options: SolveOptions | None = None):
        self.model = model
        self.options = options or SolveOptions(ranging=False, want_duals=False)
        lp = model.lp
        self.h = open_resolver(lp, self.options)
        self.maps = coalition_maps(model)
        self.cost, self.cl, self.cu, self.rl, self.ru, integer = lp.arrays()
        self.mip = bool(integer.any())
        start, self.index, self.value = lp.csc()
        self.col_of_nz = np.repeat(np.arange(lp.num_cols), np.diff(start))
        self.unmet = lp.var_blocks["unmet"].positions
        self._rows32 = self.maps.demand_rows.astype(np.int32)
        self._acc32 = self.maps.access_rows.astype(np.int32)
        self._acc_lo = np.full(self._acc32.size, -np.inf)
        self._cols32 = self.maps.cols.astype(np.int32)
        self._col_lo = self.cl[self.maps.cols]
        self._last = None                   # the coalition bounds in the resolver (None: unknown)
        self._check_static()
        self.solves = 0

    def restart(self) -> None:
        """The next solve starts from scratch (no basis) and sets every coalition bound."""
        self.h.set_basis(None)
        self._last = None

    def _set(self, mask: int):
        """Give the resolver coalition ``mask``'s bounds: all of them after :meth:`restart`,
        else only those that differ from the previous coalition's."""
        bounds = coalition_bounds(self.maps, mask)
        rhs, acc, cup = bounds
        if self._last is None:
            self.h.set_row_bounds(self._rows32, rhs, rhs)
            if self._acc32.size:
                self.h.set_row_bounds(self._acc32, self._acc_lo, acc)
            self.h.set_col_bounds(self._cols32, self._col_lo, cup)
        else:
            d = np.flatnonzero(rhs != self._last[0])
            if d.size:
                self.h.set_row_bounds(self._rows32[d], rhs[d], rhs[d])
            d = np.flatnonzero(acc != self._last[1])
            if d.size:
                self.h.set_row_bounds(self._acc32[d], self._acc_lo[d], acc[d])
            d = np.flatnonzero(cup != self._last[2])
            if d.size:
                self.h.set_col_bounds(self._cols32[d], self._col_lo[d], cup[d])
        self._last = bounds
        return bounds

    def solve(self, mask: int) -> tuple[str, float, np.ndarray | None]:
        """(status, cost in currency M, x) of coalition ``mask``."""
        bounds = self._set(mask)
        status = self.h.run()
        self.solves += 1
        if status != OPTIMAL:
            return self._fallback(mask)
        x = self.h.solution().x
        if self._violated(x, *bounds):
            return self._fallback(mask)
        return status, to_millions(self.h.objective), x

    def _check_static(self) -> None:
        """What :meth:`_violated` needs that no coalition changes: |finite bounds| and the
        tolerances of the columns and rows whose bounds stay."""
        fin = lambda a: np.abs(np.where(np.isfinite(a), a, 0.0))
        self._acl, self._arl = fin(self.cl), fin(self.rl)
        self._col_tol = CHECK_TOL * (1.0 + self._acl + fin(self.cu))
        self._row_tol = CHECK_TOL * (1.0 + self._arl + fin(self.ru))
        self._fin = fin

    def _violated(self, x, rhs, acc, cup) -> bool:
        """Our own check of a solution against this coalition's bounds and rows, each within
        CHECK_TOL x (1 + |lower| + |upper|) (finite bounds)."""
        cols, dem, accr = self.maps.cols, self.maps.demand_rows, self.maps.access_rows
        cu, ctol = self.cu.copy(), self._col_tol.copy()
        cu[cols] = cup
        ctol[cols] = CHECK_TOL * (1.0 + self._acl[cols] + self._fin(cup))
        rl, ru, rtol = self.rl.copy(), self.ru.copy(), self._row_tol.copy()
        rl[dem] = ru[dem] = rhs
        rtol[dem] = CHECK_TOL * (1.0 + 2.0 * np.abs(rhs))
        ru[accr] = acc
        rtol[accr] = CHECK_TOL * (1.0 + self._arl[accr] + self._fin(acc))
        act = np.bincount(self.index, weights=self.value * x[self.col_of_nz], minlength=self.rl.size)
        return bool(np.any(x < self.cl - ctol) or np.any(x > cu + ctol)
                    or np.any(act < rl - rtol) or np.any(act > ru + rtol))

    def _fallback(self, mask: int):
        """Re-solve the coalition from scratch through solve_lp (shared retries and checks)."""
        model = build_pool_model(self.model.data)
        apply_coalition(model, mask)
        sol = solve_lp(model.lp, replace(self.options, ranging=False, want_duals=False))
        self.solves += 1
        if sol.status == OPTIMAL:
            return sol.status, to_millions(sol.objective), sol.x
        return sol.status, np.nan, sol.x


class TableWorker:
    """A worker's share of the table: its own joint model and resolver; :meth:`run` solves one
    piece of the Gray order from scratch (each coalition then warm-starts from its neighbour)."""

    def __init__(self, payload):
        model, options = payload
        self.solver = CoalitionSolver(model, options)

    @classmethod
    def around(cls, solver: CoalitionSolver) -> "TableWorker":
        """The worker of this process, on the caller's solver."""
        worker = cls.__new__(cls)
        worker.solver = solver
        return worker

    def run(self, masks) -> tuple[list, int]:
        """[(mask, status, cost, unmet)] for the piece ``masks``, and the solves it took."""
        s = self.solver
        s.restart()
        n0, out = s.solves, []
        for m in masks:
            status, cost, x = s.solve(int(m))
            out.append((int(m), status, cost, float(x[s.unmet].sum()) if x is not None else np.nan))
        return out, s.solves - n0


def coalition_table(model: PoolModel, options: SolveOptions | None = None,
                    masks=None, workers: int = 1, pool_factory=None, chunk: int = TABLE_CHUNK) -> CoalitionTable:
    """Solve every non-empty coalition (Gray-code order) or only ``masks``, in pieces of ``chunk``.

    ``workers`` > 1: the pieces go to whichever worker is free -- this process and ``workers`` - 1
    child processes with one HiGHS thread each (:class:`~optimizer.core.pool.ProcessPool`, started
    while this process already solves); every piece starts from scratch wherever it runs, so the
    table is the serial one to the last bit.  ``pool_factory(factory, payloads)``: the pool to
    use instead, with ``workers`` workers and this process only handing out pieces (e.g.
    :meth:`~optimizer.core.pool.DaskCluster.pool`)."""
    n = len(model.members)
    if masks is None and n > EXACT_MAX_PLAYERS:
        raise ValueError(f"{n} members: the exact table has {2 ** n - 1:,} coalitions; above "
                         f"{EXACT_MAX_PLAYERS} members use sampled Shapley (coalition_cost_function)")
    t0 = time.perf_counter()
    solver = CoalitionSolver(model, options)
    table = CoalitionTable(tuple(model.members), np.full(2 ** n, np.nan), np.full(2 ** n, "", dtype=object),
                           np.full(2 ** n, np.nan), solver.mip)
    table.cost[0], table.unmet[0] = 0.0, 0.0
    order = gray_order(n) if masks is None else [int(m) for m in masks]
    pieces = chunks(order, chunk)
    local = TableWorker.around(solver)
    pool, helps = open_pool(TableWorker, (model, solver.options), min(workers, len(pieces)),
                            pool_factory if pieces else None)
    if pool is None:
        answers = [local.run(p) for p in pieces]
    else:
        with pool:
            answers = map_tasks(pool, "run", pieces, local=local if helps else None)
    for rows, _ in answers:
        for m, status, cost, unmet in rows:
            table.status[m], table.cost[m], table.unmet[m] = status, cost, unmet
    table.solves = sum(k for _, k in answers)
    table.seconds = time.perf_counter() - t0
    return table


def coalition_cost_function(model: PoolModel, table: CoalitionTable, options: SolveOptions | None = None):
    """``cost_of(mask)`` for sampled Shapley: solves on demand into ``table``."""
    solver = CoalitionSolver(model, options)

    def cost_of(mask: int) -> float:
        if table.status[mask] == "":
            status, cost, x = solver.solve(mask)
            table.status[mask], table.cost[mask] = status, cost
            table.unmet[mask] = float(x[solver.unmet].sum()) if x is not None else np.nan
            table.solves += 1
        return float(table.cost[mask])      # NaN when not proven optimal (its status says why)

    return cost_of


def gray_order(n: int) -> list[int]:
    """Every non-empty coalition once, consecutive ones differing by one member."""
    return [k ^ (k >> 1) for k in range(1, 2 ** n)]


def subadditivity_violations(table: CoalitionTable, rel_tol: float = 1e-7) -> list[tuple[int, int, float]]:
    """Disjoint pairs (S, T), S < T, with c(S u T) > c(S) + c(T): [(S, T, excess)].  Exact table only."""
    n, c = table.n, table.cost
    scale = max(1.0, float(np.nanmax(np.abs(c))))
    masks = np.arange(1, 2 ** n)
    out = []
    for s in masks:
        ts = masks[((masks & int(s)) == 0) & (masks > s)]
        gap = c[int(s) | ts] - c[int(s)] - c[ts]
        bad = gap > rel_tol * scale
        out += [(int(s), int(t), float(g)) for t, g in zip(ts[bad], gap[bad])]
    return out
