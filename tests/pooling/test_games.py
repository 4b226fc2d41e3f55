"""Cooperative-game maths on coalition tables: known-answer games, Shapley axioms, the
nucleolus (including the Guajardo & Jornsten pitfall), least core and the core check.

Known answers: methods.md section 4 (Lemaire, Ferguson) and the games Guajardo & Jornsten
(2015) use to show published nucleoli were wrong (as in ForecastVal-E tests/test_Nucleolus.jl:
Hasan et al. 2011, Oh & Shin 2012, Sakawa et al. 2001).  Their tables list coalitions in
depth-first order (1, 12, 123, 13, 2, 23, 3 for three players), converted by ``_dfs_game``.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from optimizer.pooling.games import (Game, GameError, core_check, incidence, is_concave, label, proportional, shapley, shapley_sampled)
from optimizer.pooling.nucleolus import _solve_dense, least_core, nucleolus

LEMAIRE = [46125, 69187.5, 90000, 53812.5, 17437.5, 30750, 5812.5]        # gains game
FERGUSON = [-1, 3, 5, 4, 0, 2, 1]                                           # gains game
HASAN = [8, 8, 10, 20, 19, 10, 20, 19, 1, 10, 13, 12, 10, 12, 11]          # cost game, 4 players
OH_SHIN = [375144, 568232, 772500, 551055, 245280, 452411, 211239]          # cost game
SAKAWA = [0.060, 0.378, 0.536, 0.906, 1, 0.573, 0.747, 0.874, 0.485, 0.144, 0.546, 0.634, 0.255, 0.408,
          0.561, 0.182, 0.168, 0.337, 0.706, 0.801, 0.379, 0.538, 0.668, 0.279, 0.03, 0.383, 0.473, 0.083,
          0.249, 0.386, 0]                                                  # gains game, 5 players


def _dfs_game(n: int, values, gains: bool) -> Game:
    """A game from a table in depth-first coalition order (1, 12, 123, ..., 13, 2, 23, 3, ...)."""
    order: list[list[int]] = []

    def rec(start, cur):
        for i in range(start, n):
            order.append(cur + [i])
            rec(i + 1, cur + [i])

    rec(0, [])
    vec = np.zeros(2 ** n)
    for members, v in zip(order, values):
        vec[sum(1 << i for i in members)] = v
    players = tuple(f"P{i + 1}" for i in range(n))
    return Game.from_gains(players, vec) if gains else Game(players, vec)


def _random_game(rng, n: int) -> Game:
    return Game(tuple(f"M{i}" for i in range(n)), np.concatenate([[0.0], rng.uniform(1, 10, 2 ** n - 1)]))


def _concave_game(rng, n: int) -> Game:
    """Submodular cost: a concave function of a weighted size plus an additive part."""
    masks = np.arange(2 ** n)
    inc = incidence(masks, n)
    w = rng.uniform(1, 10, n)
    return Game(tuple(f"M{i}" for i in range(n)),
                10 * np.sqrt(inc @ w) + inc @ rng.uniform(0, 2, n) + rng.uniform(0, 5) * (masks > 0))


def _sorted_excess(game: Game, x) -> np.ndarray:
    masks = np.arange(1, game.full)
    return np.sort(game.cost[masks] - incidence(masks, game.n) @ np.asarray(x))


# --------------------------------------------------------------------------- known answers
def test_lemaire_gains_game_nucleolus_and_shapley():
    g = _dfs_game(3, LEMAIRE, gains=True)
    assert g.to_gains(nucleolus(g).x) == pytest.approx([52687.5, 24468.75, 12843.75], abs=1e-6)
    assert g.to_gains(shapley(g)) == pytest.approx([51750, 25875, 12375], abs=1e-6)


def test_ferguson_gains_game_nucleolus_and_shapley():
    g = _dfs_game(3, FERGUSON, gains=True)
    assert g.to_gains(nucleolus(g).x) == pytest.approx([8 / 3, 2 / 3, 5 / 3], abs=1e-9)
    assert g.to_gains(shapley(g)) == pytest.approx([5 / 3, 7 / 6, 13 / 6], abs=1e-12)


@pytest.mark.parametrize("test", ["joint", "each"])
@pytest.mark.parametrize("n, values, gains, expected", [
    (3, LEMAIRE, True, [52687.5, 24468.75, 12843.75]),
    (4, HASAN, False, [7.5, 0.5, 1.5, 10.5]),
    (3, OH_SHIN, False, [331695.25, 233051.25, 207753.5]),
    (5, SAKAWA, True, [0.165, 0.3205, 0.0845, 0.3745, 0.0555]),
])
def test_guajardo_jornsten_games(n, values, gains, expected, test):
    g = _dfs_game(n, values, gains)
    x = nucleolus(g, test=test).x
    got = g.to_gains(x) if gains else x
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_naive_fixing_of_tight_coalitions_gives_a_wrong_nucleolus():
    """Hasan et al.'s game: x = (7, 1, 1, 11) is an optimal solution of the first LP (its
    smallest excess is the optimal level 0), and seven coalitions are tight there.  Fixing
    them all (the mistake G&J describe) pins x = (7, 1, 1, 11); only some of them are tight in
    every optimal solution, and the true nucleolus (7.5, 0.5, 1.5, 10.5) has a
    lexicographically larger excess vector."""
    g = _dfs_game(4, HASAN, gains=False)
    nuc = nucleolus(g)
    assert nuc.levels[0] == pytest.approx(0.0, abs=1e-9)
    naive = np.array([7.0, 1.0, 1.0, 11.0])
    ex = _sorted_excess(g, naive)
    assert naive.sum() == pytest.approx(g.grand) and ex[0] == pytest.approx(nuc.levels[0], abs=1e-12)
    assert np.all(naive <= g.standalone())                      # an imputation: feasible for LP 1
    masks = np.arange(1, g.full)
    tight = masks[np.isclose(g.cost[masks] - incidence(masks, 4) @ naive, 0.0)]
    assert [label(m, ("1", "2", "3", "4"), "") for m in tight] == ["2", "12", "4", "24", "124", "34", "234"]
    assert np.linalg.matrix_rank(np.vstack([incidence(tight, 4), np.ones(4)])) == 4    # naive stops here
    assert nuc.x == pytest.approx([7.5, 0.5, 1.5, 10.5])
    assert not np.allclose(naive, nuc.x)
    diff = _sorted_excess(g, nuc.x) - ex
    first = np.flatnonzero(np.abs(diff) > 1e-9)[0]
    assert diff[first] > 0                                      # the nucleolus is lexicographically better


# --------------------------------------------------------------------------- properties
@pytest.mark.parametrize("seed", range(5))
def test_efficiency_of_every_rule(seed):
    rng = np.random.default_rng(seed)
    g = _random_game(rng, int(rng.integers(2, 6)))
    for x in (shapley(g), nucleolus(g).x, least_core(g).x, proportional(g.grand, g.standalone())):
        assert x.sum() == pytest.approx(g.grand, rel=1e-9)


def test_shapley_symmetry_and_dummy():
    rng = np.random.default_rng(3)
    n = 4
    base = np.concatenate([[0.0], rng.uniform(1, 10, 2 ** 3 - 1)])      # a game on players 0, 1, 2

    def sym(m):   # players 0 and 1 symmetric: the value depends on |S & {0,1}| only
        a, b = m & 1, m >> 1 & 1
        swapped = (m & ~3) | (b) | (a << 1)
        return min(m, swapped)

    costs = np.zeros(2 ** n)
    for m in range(1, 2 ** n):
        core = m & 0b111
        costs[m] = (base[sym(core)] if core else 0.0) + (7.0 if m & 0b1000 else 0.0)   # player 3 is a dummy
    g = Game(("a", "b", "c", "dummy"), costs)
    phi = shapley(g)
    assert phi[0] == pytest.approx(phi[1])
    assert phi[3] == pytest.approx(7.0)
    assert phi.sum() == pytest.approx(g.grand)


@pytest.mark.parametrize("seed", range(6))
def test_nucleolus_lies_in_the_core_of_concave_games(seed):
    rng = np.random.default_rng(seed)
    g = _concave_game(rng, int(rng.integers(3, 7)))
    assert is_concave(g)
    assert least_core(g).epsilon <= 1e-9
    assert core_check(g, nucleolus(g).x).in_core
    assert core_check(g, shapley(g)).in_core           # concave games: Shapley is in the core too


@pytest.mark.parametrize("seed", range(8))
def test_nucleolus_in_core_whenever_core_is_non_empty(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(3, 6))
    g = _random_game(rng, n)
    # make the core non-empty by lowering c(N) to the least-core-feasible level when needed
    lc = least_core(g)
    if lc.epsilon > 0:
        g = Game(g.players, np.concatenate([g.cost[:-1], [g.grand - lc.epsilon * n - 0.5]]))
    assert least_core(g).epsilon <= 1e-9
    assert core_check(g, nucleolus(g).x).in_core


def _balanced(n: int, masks) -> bool:
    """Kohlberg: a collection is balanced iff positive weights make its indicator vectors sum
    to the all-ones vector; LP: weights >= 1, sum_S w_S 1_S = mu 1_N, mu free."""
    B = incidence(np.asarray(masks), n)
    k = len(masks)
    A = np.hstack([B.T, -np.ones((n, 1))])
    r = _solve_dense(np.zeros(k + 1), A, np.zeros(n), np.zeros(n),
                     np.concatenate([np.ones(k), [-np.inf]]), np.full(k + 1, np.inf))
    return r.status == "optimal"


@pytest.mark.parametrize("seed", range(10))
def test_prenucleolus_satisfies_kohlberg_criterion(seed):
    """Independent check (Kohlberg 1971): x is the pre-nucleolus iff every collection of the
    coalitions with the k smallest excesses (cost form) is balanced."""
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(3, 6))
    g = _random_game(rng, n)
    x = nucleolus(g, imputations=False).x
    masks = np.arange(1, g.full)
    ex = g.cost[masks] - incidence(masks, n) @ x
    for level in np.unique(np.round(ex, 7)):
        assert _balanced(n, masks[ex <= level + 1e-7]), f"unbalanced at level {level}"


@pytest.mark.parametrize("seed", range(5))
def test_nucleolus_excess_vector_is_lexicographically_maximal(seed):
    rng = np.random.default_rng(300 + seed)
    g = _concave_game(rng, 4)
    x = nucleolus(g).x
    best = _sorted_excess(g, x)
    for _ in range(200):
        d = rng.normal(size=4)
        d -= d.mean()
        y = x + rng.uniform(1e-3, 1.0) * d
        if np.any(y > g.standalone()):
            continue
        diff = _sorted_excess(g, y) - best
        nz = np.flatnonzero(np.abs(diff) > 1e-9)
        assert nz.size == 0 or diff[nz[0]] < 0


@pytest.mark.parametrize("seed", range(6))
def test_joint_and_per_candidate_tightness_tests_agree(seed):
    rng = np.random.default_rng(400 + seed)
    n = int(rng.integers(3, 6))
    # integer-valued games have many ties, which is where the tests matter
    g = Game(tuple(f"M{i}" for i in range(n)),
             np.concatenate([[0.0], rng.integers(1, 6, 2 ** n - 1).astype(float)]))
    assert nucleolus(g, test="joint").x == pytest.approx(nucleolus(g, test="each").x, abs=1e-7)


def test_no_imputation_falls_back_to_prenucleolus_with_a_note():
    g = Game(("a", "b"), [0, 1, 1, 5])            # pooling costs more than alone
    nuc = nucleolus(g)
    assert not nuc.over_imputations and "pre-nucleolus" in nuc.note
    assert nuc.x == pytest.approx([2.5, 2.5])


# --------------------------------------------------------------------------- core check, least core
def test_core_check_names_the_blocking_coalition_and_its_gain():
    g = Game.from_table(("KR", "JP", "SG"), {("KR",): 10, ("JP",): 6, ("SG",): 4, ("KR", "JP"): 14,
                                             ("KR", "SG"): 12, ("JP", "SG"): 8, ("KR", "JP", "SG"): 17})
    ok = core_check(g, [9.0, 5.0, 3.0])       # every pair exactly at its cost: the only core point
    assert ok.in_core and ok.blocking is None
    # JP+SG are charged 5 + 4 = 9 but pay 8 alone: they gain 1 by leaving
    bad = core_check(g, [8.0, 5.0, 4.0])
    assert not bad.in_core
    assert bad.blocking == "JP+SG" and bad.gain == pytest.approx(1.0)
    assert bad.blocking_count == 1
    assert "JP+SG would save 1" in bad.text()
    short = core_check(g, [9.0, 4.0, 3.0])        # adds up to 16, not 17
    assert not short.in_core and short.efficiency_gap == pytest.approx(-1.0)


def test_least_core_of_an_empty_core_game():
    # each member or pair costs 1, all three 1.6: the core needs x_i + x_j <= 1 for every pair,
    # i.e. a total of at most 1.5 < 1.6, so it is empty; symmetric least core: x_i = 1.6 / 3,
    # every pair charged 3.2 / 3 = 1 + 1/15
    g = Game(("a", "b", "c"), [0, 1, 1, 1, 1, 1, 1, 1.6])
    lc = least_core(g)
    assert lc.core_empty and lc.epsilon == pytest.approx(1 / 15)
    assert lc.x == pytest.approx([1.6 / 3] * 3)
    ck = core_check(g, lc.x)
    assert not ck.in_core and ck.gain == pytest.approx(1 / 15)


def test_label_and_table_round_trip():
    g = Game.from_table(("A", "B"), {("A",): 1, ("B",): 2, ("A", "B"): 2.5})
    assert label(3, g.players) == "A+B" and g.grand == 2.5
    with pytest.raises(GameError, match="missing"):
        Game.from_table(("A", "B"), {("A",): 1, ("B",): 2})


def test_sampled_shapley_is_efficient_and_within_its_stated_bound():
    rng = np.random.default_rng(7)
    g = _random_game(rng, 6)
    calls = []

    def cost_of(m):
        calls.append(m)
        return g.cost[m]

    s = shapley_sampled(6, cost_of, permutations=4000, seed=1)
    exact = shapley(g)
    assert s.value.sum() == pytest.approx(g.grand)
    assert np.all(np.abs(s.value - exact) <= 3 * s.half_width + 1e-12)
    assert len(set(calls)) == len(calls) == s.coalitions_evaluated     # each coalition solved once
    assert "95 %" in s.bound_text


def test_all_pairs_small_game_by_brute_force_core():
    # brute force over a grid: the nucleolus maximises the smallest excess among imputations
    g = _dfs_game(3, OH_SHIN, gains=False)
    x = nucleolus(g).x
    best = _sorted_excess(g, x)[0]
    grid = np.linspace(0, 1, 41)
    for a, b in itertools.product(grid, grid):
        if a + b > 1:
            continue
        y = np.array([a, b, 1 - a - b]) * g.grand
        if np.any(y > g.standalone()):
            continue
        assert _sorted_excess(g, y)[0] <= best + 1e-6
