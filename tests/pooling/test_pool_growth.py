"""Pools beyond the exact-coalition limit (issue 12, class 7): memory flat in the number of
members, sampling bounded by a limit on coalition solves, and the result says so."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from optimizer.core import limits as LIM
from optimizer.pooling.games import EXACT_MAX_PLAYERS, shapley_sampled
from optimizer.pooling.load import load_pool_workbook
from optimizer.pooling.run import exact_limit, run_pool
from optimizer.pooling.template import write_pool_workbook
from optimizer.robustness import factory as F


def pool(tmp_path, n, tiers=False):
    return load_pool_workbook(write_pool_workbook(tmp_path / f"p{n}.xlsx", F.pool_tables(n, 2 if tiers else 1, 3,
                                                                                          tiers)))


@pytest.mark.parametrize("n", [13, 30])
def test_a_pool_beyond_the_exact_limit_is_sampled_within_the_solve_limit(tmp_path, n):
    data = pool(tmp_path, n)
    tracemalloc.start()
    try:
        res = run_pool(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.table.is_sparse and not res.mip
    assert res.table.solves <= LIM.MAX_SAMPLED_SOLVES + n + 1 + 10       # + singletons, grand, fallbacks
    assert f"{n} members: more than the {EXACT_MAX_PLAYERS}" in res.shapley_text
    assert f"limit of {LIM.MAX_SAMPLED_SOLVES:,} coalition solves" in res.shapley_text
    assert np.isfinite(res.allocations["shapley"]).all()
    assert res.allocations["shapley"].sum() == pytest.approx(res.grand, rel=1e-9)
    assert peak < 300 * 2 ** 20                     # 2^30 coalitions would need gigabytes


def test_a_milp_pool_is_solved_exactly_only_up_to_its_own_limit(tmp_path):
    assert exact_limit(True) == LIM.EXACT_MAX_MIP_PLAYERS < exact_limit(False) == EXACT_MAX_PLAYERS
    res = run_pool(pool(tmp_path, LIM.EXACT_MAX_MIP_PLAYERS + 1, tiers=True))
    assert res.mip and res.table.is_sparse and "MILP joint model" in res.shapley_text
    assert res.table.solves <= LIM.MAX_SAMPLED_MIP_SOLVES + LIM.EXACT_MAX_MIP_PLAYERS + 2 + 10


def test_sampling_keeps_running_sums_and_stops_at_the_budget():
    costs = {}

    def cost_of(mask):                  # an additive game: every estimate is exact
        costs[mask] = bin(mask).count("1") * 2.0
        return costs[mask]

    s = shapley_sampled(20, cost_of, permutations=100_000, seed=3, max_solves=400)
    assert s.budget == 400 and s.permutations < 100_000 and len(costs) <= 400
    assert s.value == pytest.approx(np.full(20, 2.0)) and s.half_width == pytest.approx(np.zeros(20), abs=1e-9)
    assert "stopped at the limit of 400 coalition solves" in s.bound_text
