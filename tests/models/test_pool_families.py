"""One golden test per constraint family of the pooled-procurement model (:mod:`models.pooling`).

Fixture: members A (60 t of X in 2030) and B (40 t); pooled offer P from JP with all-units
tiers 0-80 t at 10/kg and 80 t+ at 8/kg, minimum lot 50 t; access rights A 70 t, B 50 t;
A may also buy 30 t alone from CN at 12/kg; A's China share at most 50 %; unmet 10,000/kg.
"""
from __future__ import annotations

import numpy as np
import pytest

from models.pooling import build_pool_model
from pool_fixtures import make_pool
from test_families import columns, rows, same

INF = np.inf


@pytest.fixture(scope="module")
def lp():
    data = make_pool(["A", "B"], [("A", "X", 2030, 60.0), ("B", "X", 2030, 40.0)],
                     pooled=[("P", "JP", "X", 2030, 1, 0.0, 80.0, 10.0, 50.0),
                             ("P", "JP", "X", 2030, 2, 80.0, None, 8.0, 50.0)],
                     standalone=[("A", "CN", "X", 2030, 30.0, 12.0)],
                     access=[("P", "A", 70.0), ("P", "B", 50.0)],
                     policy=[("A", "X", 2030, 0.5)], china_sources=("CN",))
    return build_pool_model(data).lp


def test_variables(lp):
    same(columns(lp, "tier_qty"), {"tier_qty[P,1]": (0.0, INF, 10.0), "tier_qty[P,2]": (0.0, INF, 8.0)})
    same(columns(lp, "tier_on"), {"tier_on[P,1]": (0.0, 1.0, 0.0), "tier_on[P,2]": (0.0, 1.0, 0.0)})
    assert lp.is_mip
    same(columns(lp, "take"), {"take[A,P]": (0.0, INF, 0.0), "take[B,P]": (0.0, INF, 0.0)})
    same(columns(lp, "surplus"), {"surplus[P]": (0.0, INF, 0.0)})
    same(columns(lp, "own"), {"own[A,CN,X,2030]": (0.0, 30.0, 12.0)})
    same(columns(lp, "unmet"), {"unmet[A,X,2030]": (0.0, INF, 10_000.0), "unmet[B,X,2030]": (0.0, INF, 10_000.0)})
    assert set(lp.part_vectors()) == {"pooled purchases", "standalone purchases", "unmet demand penalty"}


def test_add_pool_split(lp):
    same(rows(lp, "pool_split"), {"pool_split[P]": ({"take[A,P]": 1, "take[B,P]": 1, "surplus[P]": 1,
                                                     "tier_qty[P,1]": -1, "tier_qty[P,2]": -1}, 0.0, 0.0)})


def test_add_one_tier(lp):
    same(rows(lp, "one_tier"), {"one_tier[P]": ({"tier_on[P,1]": 1, "tier_on[P,2]": 1}, -INF, 1.0)})


def test_add_tier_range(lp):
    # an open top tier is bounded by everything useful: max(tier min 80, lot 50, demand 100) = 100
    same(rows(lp, "tier_upper"), {"tier_upper[P,1]": ({"tier_qty[P,1]": 1, "tier_on[P,1]": -80}, -INF, 0.0),
                                  "tier_upper[P,2]": ({"tier_qty[P,2]": 1, "tier_on[P,2]": -100}, -INF, 0.0)})
    same(rows(lp, "tier_lower"), {"tier_lower[P,1]": ({"tier_qty[P,1]": 1, "tier_on[P,1]": -50}, 0.0, INF),
                                  "tier_lower[P,2]": ({"tier_qty[P,2]": 1, "tier_on[P,2]": -80}, 0.0, INF)})


def test_add_pool_access(lp):
    same(rows(lp, "pool_access"), {"pool_access[P]": ({"tier_qty[P,1]": 1, "tier_qty[P,2]": 1}, -INF, 120.0)})


def test_add_member_demand(lp):
    same(rows(lp, "member_demand"), {
        "member_demand[A,X,2030]": ({"take[A,P]": 1, "own[A,CN,X,2030]": 1, "unmet[A,X,2030]": 1}, 60.0, 60.0),
        "member_demand[B,X,2030]": ({"take[B,P]": 1, "unmet[B,X,2030]": 1}, 40.0, 40.0)})


def test_add_member_china_cap(lp):
    same(rows(lp, "member_china_cap"), {"member_china_cap[A,X,2030]": ({"own[A,CN,X,2030]": 1}, -INF, 30.0)})


def test_every_family_is_covered(lp):
    assert set(lp.var_blocks) == {"tier_qty", "tier_on", "take", "surplus", "own", "unmet"}
    assert set(lp.row_blocks) == {"pool_split", "one_tier", "tier_upper", "tier_lower", "pool_access",
                                  "member_demand", "member_china_cap", "member_country_cap"}
