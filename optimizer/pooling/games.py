"""Cooperative cost games on a coalition-cost table: Shapley, proportional, nucleolus,
least core and the core check.

A game on ``n`` players is a vector ``cost`` of length ``2**n`` indexed by the
coalition's bit mask (player ``i`` is bit ``1 << i``; ``cost[0] = 0``), so
``cost[0b101]`` is c({player 0, player 2}).  Everything here works on **cost**
games; a gains (savings) game ``v`` is the cost game ``c = -v`` and every answer is
converted back by a sign flip (:func:`Game.from_gains`, :meth:`Game.to_gains`).
That conversion is exact for Shapley, the nucleolus, the least core and the core.

Conventions (cost game):

* excess of coalition S under allocation x: ``e(S, x) = c(S) - x(S)`` -- what S
  pays above the allocation if it left; negative = S would gain ``-e`` by leaving.
* core: ``x(N) = c(N)`` and ``e(S, x) >= 0`` for every S (the stand-alone cost test).
* nucleolus: lexicographically maximise the sorted excess vector, over imputations
  (``x_i <= c({i})``) by default, by the sequential LPs of Kopelowitz (1967) /
  Maschler, Peleg & Shapley (1979), fixing at each level only the coalitions whose
  excess equals the level in **every** optimal solution (Guajardo & Jornsten 2015,
  EJOR 241(3):931-935: fixing every coalition tight in *one* optimal solution gives
  wrong answers).

The LP-based concepts (least core, nucleolus) are in :mod:`optimizer.pooling.nucleolus`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


EXACT_MAX_PLAYERS = 12        # 4,095 coalitions; beyond this use sampled Shapley


class GameError(ValueError):
    """A game the requested method cannot handle (the message says why)."""


# --------------------------------------------------------------------------- the game
@dataclass(frozen=True)
class Game:
    """A cost game: ``players`` in bit order and ``cost[mask]`` for every coalition."""

    players: tuple[str, ...]
    cost: np.ndarray

    def __post_init__(self):
        n = len(self.players)
        cost = np.asarray(self.cost, dtype=float)
        if cost.shape != (2 ** n,):
            raise GameError(f"a game on {n} players needs {2 ** n} coalition values, got {cost.shape}")
        if not np.isfinite(cost).all():
            raise GameError("coalition values must be finite numbers")
        cost = cost.copy()
        cost[0] = 0.0
        object.__setattr__(self, "cost", cost)

    @property
    def n(self) -> int:
        return len(self.players)

    @property
    def full(self) -> int:
        return (1 << self.n) - 1

    @property
    def grand(self) -> float:
        return float(self.cost[self.full])

    def standalone(self) -> np.ndarray:
        """c({i}) for every player, in player order."""
        return np.array([self.cost[1 << i] for i in range(self.n)])

    @classmethod
    def from_gains(cls, players, gains) -> "Game":
        """The cost game c = -v of a gains (savings) game v."""
        return cls(tuple(players), -np.asarray(gains, dtype=float))

    @classmethod
    def from_table(cls, players, values: dict) -> "Game":
        """From ``{coalition: value}`` where a coalition is an iterable of player names."""
        players = tuple(players)
        pos = {p: i for i, p in enumerate(players)}
        cost = np.full(2 ** len(players), np.nan)
        cost[0] = 0.0
        for coalition, value in values.items():
            cost[mask_of(coalition, pos)] = value
        missing = [label(m, players) for m in range(1, 2 ** len(players)) if np.isnan(cost[m])]
        if missing:
            raise GameError(f"{len(missing)} coalition value(s) missing, e.g. {', '.join(missing[:5])}")
        return cls(players, cost)

    def to_gains(self, x: np.ndarray) -> np.ndarray:
        """An allocation of this cost game read as an allocation of the gains game -c."""
        return -np.asarray(x, dtype=float)


def mask_of(coalition, pos: dict) -> int:
    m = 0
    for p in coalition:
        m |= 1 << pos[p]
    return m


def members(mask: int, n: int) -> list[int]:
    return [i for i in range(n) if mask >> i & 1]


def label(mask: int, players, sep: str = "+") -> str:
    """``"KR+JP"`` for a mask, players in bit order."""
    return sep.join(players[i] for i in members(mask, len(players)))


def popcount(masks: np.ndarray) -> np.ndarray:
    masks = np.asarray(masks, dtype=np.int64)
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(masks).astype(np.int64)
    out = np.zeros_like(masks)
    m = masks.copy()
    while m.any():
        out += m & 1
        m >>= 1
    return out


def incidence(masks: np.ndarray, n: int) -> np.ndarray:
    """0/1 matrix: row k has a 1 in column i when player i is in coalition masks[k]."""
    masks = np.asarray(masks, dtype=np.int64)
    return ((masks[:, None] >> np.arange(n)) & 1).astype(float)


# --------------------------------------------------------------------------- simple rules
def shapley(game: Game) -> np.ndarray:
    """Exact Shapley value  phi_i = sum_{S not containing i} |S|!(n-|S|-1)!/n! (c(S+i) - c(S)).

    Vectorised over the 2^n coalitions; meant for n <= ~20 (memory 2^n floats).
    """
    n = game.n
    masks = np.arange(2 ** n, dtype=np.int64)
    size = popcount(masks)
    weight = np.array([math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                       for k in range(n)])
    phi = np.zeros(n)
    for i in range(n):
        without = masks[(masks >> i & 1) == 0]
        phi[i] = np.sum(weight[size[without]] * (game.cost[without | (1 << i)] - game.cost[without]))
    return phi


@dataclass
class SampledShapley:
    value: np.ndarray            # estimate per player (sums exactly to c(N))
    half_width: np.ndarray       # 95 % confidence half-width per player (CLT: 1.96 s / sqrt(m))
    permutations: int
    coalitions_evaluated: int
    asked: int = 0               # permutations asked for
    budget: int | None = None    # the limit on coalition solves, when it stopped the sampling

    @property
    def bound_text(self) -> str:
        text = (f"Shapley value estimated from {self.permutations:,} random orders of arrival "
                f"({self.coalitions_evaluated:,} coalition costs); each share is within +/- its "
                "half-width of the exact value with about 95 % confidence (normal approximation).")
        if self.budget is not None:
            text += (f" Sampling stopped at the limit of {self.budget:,} coalition solves, before the "
                     f"{self.asked:,} orders asked for (shapley_permutations): the half-widths say how "
                     "precise the estimate is.")
        return text


def shapley_sampled(n: int, cost_of, permutations: int = 2000, seed: int = 0,
                    max_solves: int | None = None) -> SampledShapley:
    """Shapley value by random orders of arrival (Castro, Gomez & Tejada 2009).

    ``cost_of(mask) -> float`` is called lazily (results cached), so only the
    coalitions met along the sampled orders are ever solved.  Each order gives every
    player's marginal cost; the estimate is their mean and the stated error bound the
    95 % normal half-width ``1.96 * s_i / sqrt(m)`` (``s_i`` the sample standard deviation).
    Memory is O(n) (running sums, not one row per order).  With ``max_solves``, sampling
    stops before an order would need more than that many coalition costs in all (at least
    2 orders are always completed) and the result says so.
    """
    if permutations < 2:
        raise GameError("sampled Shapley needs at least 2 permutations")
    rng = np.random.default_rng(seed)
    cache: dict[int, float] = {0: 0.0}
    total, squares = np.zeros(n), np.zeros(n)
    done, stopped = 0, None
    for k in range(permutations):
        order = rng.permutation(n)
        masks, mask = [], 0
        for i in order:
            mask |= 1 << int(i)
            masks.append(mask)
        new = sum(1 for m in masks if m not in cache)
        if max_solves is not None and done >= 2 and len(cache) - 1 + new > max_solves:
            stopped = max_solves
            break
        prev, marg = 0.0, np.zeros(n)
        for i, m in zip(order, masks):
            if m not in cache:
                cache[m] = float(cost_of(m))
            marg[i] = cache[m] - prev
            prev = cache[m]
        total += marg
        squares += marg * marg
        done += 1
    value = total / done
    var = np.maximum(squares - done * value * value, 0.0) / (done - 1)
    half = 1.96 * np.sqrt(var) / math.sqrt(done)
    return SampledShapley(value, half, done, len(cache) - 1, permutations, stopped)


def proportional(total: float, weights) -> np.ndarray:
    """total * w_i / sum_j w_j  (NaN everywhere when the weights sum to zero)."""
    w = np.asarray(weights, dtype=float)
    s = w.sum()
    if s == 0 or not np.isfinite(s):
        return np.full(w.shape, np.nan)
    return total * w / s


def is_concave(game: Game, tol: float = 1e-9) -> bool:
    """Submodular cost (a "convex" game in gains terms): every player's marginal cost
    c(S+i) - c(S) does not increase as S grows.  Checked on the local condition
    c(S+i) + c(S+j) >= c(S+i+j) + c(S) for all S and i != j outside S.
    Such games have the Shapley value and the nucleolus in a non-empty core."""
    n, c = game.n, game.cost
    scale = max(1.0, float(np.abs(c).max()))
    masks = np.arange(2 ** n, dtype=np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            s = masks[((masks >> i & 1) == 0) & ((masks >> j & 1) == 0)]
            bi, bj = 1 << i, 1 << j
            if np.any(c[s | bi] + c[s | bj] < c[s | bi | bj] + c[s] - tol * scale):
                return False
    return True


# --------------------------------------------------------------------------- core check
@dataclass
class CoreCheck:
    in_core: bool
    efficiency_gap: float        # sum(x) - c(N); must be 0 (within tolerance) for the core
    blocking: str | None         # label of the coalition gaining most by leaving (None if none)
    blocking_mask: int | None
    gain: float                  # how much that coalition saves by leaving: -(c(S) - x(S)) > 0
    min_excess: float            # min over S != N of c(S) - x(S)
    blocking_count: int          # how many coalitions would gain by leaving

    def text(self) -> str:
        if self.in_core:
            return "in the core: no member or group of members pays more than it would alone"
        parts = []
        if abs(self.efficiency_gap) > 0:
            parts.append(f"shares add up to {self.efficiency_gap:+,.6g} vs the pooled cost")
        if self.blocking is not None:
            parts.append(f"{self.blocking} would save {self.gain:,.6g} by leaving "
                         f"({self.blocking_count} blocking coalition(s))")
        return "NOT in the core: " + "; ".join(parts)


def core_check(game: Game, x, rel_tol: float = 1e-9) -> CoreCheck:
    """Is ``x`` in the core of the cost game?  Names the coalition that gains most by leaving.

    x is in the core when sum_i x_i = c(N) and x(S) <= c(S) for every coalition S.
    Tolerance: ``rel_tol * max(1, max |c|)`` absolute.
    """
    x = np.asarray(x, dtype=float)
    if x.shape != (game.n,) or not np.isfinite(x).all():
        raise GameError(f"an allocation needs {game.n} finite shares")
    scale = max(1.0, float(np.abs(game.cost).max()))
    tol = rel_tol * scale
    masks = np.arange(1, game.full, dtype=np.int64)
    excess = game.cost[masks] - incidence(masks, game.n) @ x
    gap = float(x.sum() - game.grand)
    gap_shown = gap if abs(gap) > tol else 0.0
    if masks.size:
        k = int(np.argmin(excess))
        min_ex = float(excess[k])
    else:  # one player: only efficiency matters
        k, min_ex = -1, math.inf
    blocking = min_ex < -tol
    return CoreCheck(
        in_core=not blocking and gap_shown == 0.0,
        efficiency_gap=gap_shown,
        blocking=label(int(masks[k]), game.players) if blocking else None,
        blocking_mask=int(masks[k]) if blocking else None,
        gain=-min_ex if blocking else 0.0,
        min_excess=min_ex,
        blocking_count=int(np.sum(excess < -tol)),
    )
