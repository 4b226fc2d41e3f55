"""LP-based solution concepts of a cost game: the least core and the nucleolus.

See :mod:`optimizer.pooling.games` for the game representation and conventions
(cost games, excess ``e(S, x) = c(S) - x(S)``).  The nucleolus follows the sequential
LPs of Kopelowitz (1967) / Maschler, Peleg & Shapley (1979) and fixes at each level
only the coalitions whose excess equals the level in **every** optimal solution, as
Guajardo & Jornsten (2015, EJOR 241(3):931-935) show is required: fixing every
coalition tight in *one* optimal solution gives wrong answers (it does on the Lemaire,
Hasan et al., Oh & Shin and Sakawa et al. games in tests/test_games.py).

The LPs are solved through :func:`optimizer.core.solver.solve_lp` (same status mapping and
checks as every other solve) with tight feasibility tolerances.  Values are scaled to max |c| = 1 inside the LPs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from models.lp import LinearProgram
from optimizer.core.solver import OPTIMAL, SolveOptions, solve_lp
from optimizer.pooling.games import Game, GameError, incidence, shapley

TIGHT_TOL = 1e-7              # scaled excess within this of the level = tight
SLACK_TOL = 1e-6              # scaled excess above the level by more than this = not always tight
DUAL_TOL = 1e-7               # |dual| above this proves tightness (complementary slackness)
FACE_RELAX = 1e-9             # the optimal face is taken with this much room (round-off)
TOLERANCES = {"primal_feasibility_tolerance": 1e-9, "dual_feasibility_tolerance": 1e-9}


# --------------------------------------------------------------------------- small LP helper
@dataclass
class _LPResult:
    status: str
    objective: float = math.nan
    x: np.ndarray | None = None
    row_duals: np.ndarray | None = None


def _solve_dense(cost, A, row_lo, row_hi, col_lo, col_hi) -> _LPResult:
    """min cost.x  s.t. row_lo <= A x <= row_hi, col_lo <= x <= col_hi  (dense A, HiGHS)."""
    A = np.asarray(A, dtype=float)
    r, c = np.nonzero(A)
    return _solve_sparse(cost, r, c, A[r, c], A.shape, row_lo, row_hi, col_lo, col_hi)


def _solve_sparse(cost, rows, cols, vals, shape, row_lo, row_hi, col_lo, col_hi) -> _LPResult:
    """The same with A given as (row, column, value) triplets of a ``shape`` matrix."""
    m, k = shape
    lp = LinearProgram.from_arrays(np.asarray(cost, float), np.asarray(col_lo, float), np.asarray(col_hi, float),
                                   np.asarray(row_lo, float), np.asarray(row_hi, float), np.zeros(k, bool),
                                   np.asarray(rows), np.asarray(cols), np.asarray(vals, float), name="nucleolus")
    sol = solve_lp(lp, SolveOptions(ranging=False, tolerances=TOLERANCES))
    if sol.status != OPTIMAL:
        return _LPResult(sol.status)
    return _LPResult(sol.status, float(sol.objective), sol.x, sol.row_duals)


def _need(res: _LPResult, what: str) -> _LPResult:
    if res.status != OPTIMAL:
        raise GameError(f"{what}: the LP ended '{res.status}' instead of optimal")
    return res


# --------------------------------------------------------------------------- least core
@dataclass
class LeastCore:
    epsilon: float           # least-core value: max over S of x(S) - c(S) at its best
    x: np.ndarray            # the least-core point nearest (L1) to the Shapley value

    @property
    def core_empty(self) -> bool:
        return self.epsilon > 0


def least_core(game: Game, anchor=None) -> LeastCore:
    """Least core: min eps s.t. x(S) <= c(S) + eps for all S != N, x(N) = c(N).

    eps* <= 0 means the core is non-empty (every coalition keeps at least -eps* of
    margin); eps* > 0 is the smallest subsidy per coalition that makes it non-empty.
    The least core is a set; the point returned is the one nearest in L1 distance to
    ``anchor`` (default: the Shapley value), found by a second LP.
    """
    n = game.n
    scale = max(1.0, float(np.abs(game.cost).max()))
    c = game.cost / scale
    masks = np.arange(1, game.full, dtype=np.int64)
    B = incidence(masks, n)
    m = masks.size
    # stage 1: variables (x, eps)
    A = np.vstack([np.hstack([B, -np.ones((m, 1))]), np.hstack([np.ones((1, n)), np.zeros((1, 1))])])
    lo = np.concatenate([np.full(m, -np.inf), [c[-1]]])
    hi = np.concatenate([c[masks], [c[-1]]])
    cost = np.zeros(n + 1)
    cost[n] = 1.0
    r = _need(_solve_dense(cost, A, lo, hi, np.full(n + 1, -np.inf), np.full(n + 1, np.inf)), "least core")
    eps = r.objective
    # stage 2: variables (x, d+, d-) with x - anchor = d+ - d-, eps fixed (plus a hair)
    anchor = shapley(game) / scale if anchor is None else np.asarray(anchor, float) / scale
    I = np.eye(n)
    A2 = np.vstack([np.hstack([B, np.zeros((m, 2 * n))]),
                    np.hstack([np.ones((1, n)), np.zeros((1, 2 * n))]),
                    np.hstack([I, -I, I])])
    lo2 = np.concatenate([np.full(m, -np.inf), [c[-1]], anchor])
    hi2 = np.concatenate([c[masks] + eps + FACE_RELAX, [c[-1]], anchor])
    cost2 = np.concatenate([np.zeros(n), np.ones(2 * n)])
    col_lo = np.concatenate([np.full(n, -np.inf), np.zeros(2 * n)])
    r2 = _need(_solve_dense(cost2, A2, lo2, hi2, col_lo, np.full(3 * n, np.inf)), "least core point")
    return LeastCore(eps * scale, r2.x[:n] * scale)


# --------------------------------------------------------------------------- nucleolus
@dataclass
class Nucleolus:
    x: np.ndarray
    levels: list[float] = field(default_factory=list)   # excess level fixed at each round
    lp_count: int = 0
    over_imputations: bool = True                       # False: pre-nucleolus (see note)
    note: str = ""


def nucleolus(game: Game, imputations: bool = True, test: str = "joint") -> Nucleolus:
    """The nucleolus by sequential LPs, done as Guajardo & Jornsten (2015) require.

    Round k solves (cost game, F = free coalitions, fixed coalitions keep their level)::

        max t  s.t.  x(S) + t <= c(S)          for S in F
                     x(S)     =  c(S) - t_S    for S fixed earlier at level t_S
                     x(N)     =  c(N),   x_i <= c({i}) (imputations only)

    A coalition is fixed at level t_k* only if its excess equals t_k* in EVERY optimal
    solution of round k:

    * a tight row with a non-zero dual is tight in every optimal solution
      (complementary slackness) -- fixed without further work;
    * every other tight coalition is tested with extra LPs over the optimal face
      (t held at t_k*).  ``test="each"``: one LP per candidate, max c(S) - x(S);
      ``test="joint"`` (default): max sum_S s_S with x(S) + s_S <= c(S) - t_k*,
      0 <= s_S <= 1, dropping every candidate with s_S > 0 and repeating until the
      optimum is 0 -- each LP proves some candidates slack in an optimal solution, and
      an optimum of 0 proves all remaining ones tight in every optimal solution
      (otherwise that solution would score > 0).  Both give the same answer; "joint"
      needs far fewer LPs when many coalitions tie.

    Free coalitions whose incidence vector lies in the span of the fixed ones (and N)
    have a constant excess and are dropped.  The rounds stop when the fixed coalitions
    determine x (rank n); x is then the solution of those equations.

    ``imputations=True`` gives the nucleolus proper (over x_i <= c({i})); when no
    imputation exists (sum_i c({i}) < c(N)) the pre-nucleolus is returned with a note.
    """
    if test not in ("joint", "each"):
        raise ValueError("test must be 'joint' or 'each'")
    n = game.n
    if n == 1:
        return Nucleolus(np.array([game.grand]), [], 0, imputations)
    scale = max(1.0, float(np.abs(game.cost).max()))
    c = game.cost / scale
    note = ""
    if imputations and c[[1 << i for i in range(n)]].sum() < c[-1] - TIGHT_TOL:
        imputations = False
        note = ("no imputation exists (the members' stand-alone costs add up to less than the pooled "
                "cost), so the pre-nucleolus (no individual-rationality bounds) is reported")
    x_hi = c[[1 << i for i in range(n)]] if imputations else np.full(n, np.inf)
    free = np.arange(1, game.full, dtype=np.int64)
    fixed: list[int] = []
    fixed_level: list[float] = []
    levels: list[float] = []
    lps = 0
    while True:
        F, Fx = incidence(free, n), incidence(np.array(fixed, dtype=np.int64), n)
        nf, nx = len(free), len(fixed)
        # columns (x_1..x_n, t); rows: free, fixed, efficiency
        A = np.vstack([np.hstack([F, np.ones((nf, 1))]),
                       np.hstack([Fx, np.zeros((nx, 1))]),
                       np.hstack([np.ones((1, n)), np.zeros((1, 1))])])
        fx_rhs = c[np.array(fixed, dtype=np.int64)] - np.array(fixed_level) if nx else np.zeros(0)
        lo = np.concatenate([np.full(nf, -np.inf), fx_rhs, [c[-1]]])
        hi = np.concatenate([c[free], fx_rhs, [c[-1]]])
        cost = np.zeros(n + 1)
        cost[n] = -1.0
        col_lo, col_hi = np.full(n + 1, -np.inf), np.concatenate([x_hi, [np.inf]])
        r = _need(_solve_dense(cost, A, lo, hi, col_lo, col_hi), f"nucleolus round {len(levels) + 1}")
        lps += 1
        t = -r.objective
        x = r.x[:n]
        slack = c[free] - F @ x - t
        tight = np.flatnonzero(slack <= TIGHT_TOL)
        sure = tight[np.abs(r.row_duals[:nf][tight]) > DUAL_TOL]
        unsure = np.setdiff1d(tight, sure)
        face = (F, Fx, fx_rhs, x_hi, t)
        extra, used = (_always_tight_joint if test == "joint" else _always_tight_each)(c, free, unsure, face, n)
        lps += used
        always = np.union1d(sure, extra).astype(np.int64)
        if always.size == 0:       # numerically impossible in exact arithmetic: fix the tight ones
            always = tight if tight.size else np.array([int(np.argmin(slack))])
        levels.append(t * scale)
        fixed += [int(m) for m in free[always]]
        fixed_level += [t] * always.size
        free = np.delete(free, always)
        basis = _orthonormal_rows(np.vstack([incidence(np.array(fixed, dtype=np.int64), n), np.ones((1, n))]))
        if basis.shape[0] >= n or free.size == 0:
            break
        rest = incidence(free, n)
        resid = rest - (rest @ basis.T) @ basis
        free = free[np.linalg.norm(resid, axis=1) > 1e-9]
        if free.size == 0:
            break
    E = np.vstack([incidence(np.array(fixed, dtype=np.int64), n), np.ones((1, n))])
    rhs = np.concatenate([c[np.array(fixed, dtype=np.int64)] - np.array(fixed_level), [c[-1]]])
    x, *_ = np.linalg.lstsq(E, rhs, rcond=None)
    return Nucleolus(x * scale, levels, lps, imputations, note)


def _orthonormal_rows(M: np.ndarray) -> np.ndarray:
    """Orthonormal basis (rows) of the row space of M."""
    u, s, vt = np.linalg.svd(M, full_matrices=False)
    rank = int(np.sum(s > 1e-9 * max(1.0, s.max() if s.size else 1.0)))
    return vt[:rank]


def _face_rows(free, F, Fx, fx_rhs, c, n, t):
    """Rows of the optimal face of a nucleolus round, in x only: x(S) <= c(S) - t (free),
    x(S) = fixed rhs, x(N) = c(N)."""
    A = np.vstack([F, Fx, np.ones((1, n))])
    lo = np.concatenate([np.full(len(free), -np.inf), fx_rhs, [c[-1]]])
    hi = np.concatenate([c[free] - t + FACE_RELAX, fx_rhs, [c[-1]]])
    return A, lo, hi


def _always_tight_each(c, free, unsure, face, n):
    """Candidates (positions in ``free``) tight in every optimal solution: one LP each,
    max c(S) - x(S) over the optimal face; tight iff the maximum stays at the level."""
    F, Fx, fx_rhs, x_hi, t = face
    if unsure.size == 0:
        return np.zeros(0, np.int64), 0
    A, lo, hi = _face_rows(free, F, Fx, fx_rhs, c, n, t)
    keep = []
    for k in unsure:
        r = _need(_solve_dense(F[k], A, lo, hi, np.full(n, -np.inf), x_hi), "nucleolus tightness test")
        if c[free[k]] - r.objective - t <= SLACK_TOL:
            keep.append(k)
    return np.array(keep, dtype=np.int64), int(unsure.size)


def _always_tight_joint(c, free, unsure, face, n):
    """Candidates tight in every optimal solution, by repeated joint LPs (see nucleolus)."""
    F, Fx, fx_rhs, x_hi, t = face
    cand = np.asarray(unsure, dtype=np.int64)
    used = 0
    A0, lo0, hi0 = _face_rows(free, F, Fx, fx_rhs, c, n, t)
    r0, c0 = np.nonzero(A0)
    v0 = A0[r0, c0]
    m0 = A0.shape[0]
    while cand.size:
        k = cand.size
        # columns (x, s_1..s_k); extra rows x(S) + s_S <= c(S) - t for the candidates (sparse: k can
        # be in the thousands for n = 12)
        r1, c1 = np.nonzero(F[cand])
        rows = np.concatenate([r0, m0 + r1, m0 + np.arange(k)])
        cols = np.concatenate([c0, c1, n + np.arange(k)])
        vals = np.concatenate([v0, np.ones(r1.size), np.ones(k)])
        lo = np.concatenate([lo0, np.full(k, -np.inf)])
        hi = np.concatenate([hi0, c[free[cand]] - t + FACE_RELAX])
        cost = np.concatenate([np.zeros(n), -np.ones(k)])
        col_lo = np.concatenate([np.full(n, -np.inf), np.zeros(k)])
        col_hi = np.concatenate([x_hi, np.ones(k)])
        r = _need(_solve_sparse(cost, rows, cols, vals, (m0 + k, n + k), lo, hi, col_lo, col_hi),
                  "nucleolus tightness test")
        used += 1
        slack = r.x[n:] > SLACK_TOL
        if not slack.any():
            break
        cand = cand[~slack]
    return cand, used
