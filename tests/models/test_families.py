"""One small golden test per constraint family of the sourcing model (:mod:`models.sourcing`):
on a fixture small enough to write down by hand, the exact columns (bounds, cost, cost parts)
and rows (coefficients, bounds) each ``add_*`` function must emit.

Fixture (all numbers chosen so every entry can be checked by hand):
  material A (reference value 10/kg, holding 1/kg/yr, opening stock 5 t);
  suppliers CN (china, risk 0.8), JP (ally, 0.2), KR (domestic, 0.1);
  three offers: A-CN-2029 (100 t, 10/kg, minimum 2 t), A-CN-2030 (100 t, 10/kg, ramp +30 t),
  A-JP-2030 (50 t, 15/kg); demand 40 t (2029) and 60 t (2030); ALL China cap 50 % in 2030;
  stock target 73 days in 2030 (= 12 t); project P (KR, 20 t/yr, capex 3 M, opex 12/kg, first
  output 2030, lead time 1 yr); capex budget 2 M in 2029, 5 M in total; single-source cap 80 %;
  discount 10 %/yr from 2029, risk weight 0.5, unmet 1000/kg, shortfall 100/kg.
"""
from __future__ import annotations

import numpy as np
import pytest

from model_fixtures import converting, make_data
from models import expressions as E
from models.sourcing import build_model

D = 1 / 1.1      # discount factor of 2030


def fixture():
    return make_data(
        materials=[("A", 10.0, 1.0, 5.0)],
        suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.2), ("KR", "domestic", 0.1)],
        supply=[("A", "CN", 2029, 100.0, 10.0, 2.0, np.nan), ("A", "CN", 2030, 100.0, 10.0, np.nan, 30.0),
                ("A", "JP", 2030, 50.0, 15.0, np.nan, np.nan)],
        demand=[("A", 2029, 40.0), ("A", 2030, 60.0)],
        policy=[(2030, "ALL", 0.5)],
        stockpile=[("A", 2030, 73.0)],
        investments=[("P", "plant", "A", "KR", 20.0, 3.0, 12.0, 2030, 1.0)],
        budget=[(2029, 2.0)],
        discount_rate=0.1, risk_weight=0.5, unmet_penalty=1000.0, stock_shortfall_penalty=100.0,
        max_single_source_share=0.8, investment_budget_total=5.0)


@pytest.fixture(scope="module")
def lp():
    return build_model(fixture(), survival_weeks=26.0).lp


def columns(lp, family):
    """{label: (lower, upper, cost)} of one variable family."""
    cost, cl, cu, *_ = lp.arrays()
    b = lp.var_blocks[family]
    return {lab: (cl[j], cu[j], cost[j]) for lab, j in zip(b.labels(), b.positions)}


def rows(lp, family):
    """{label: ({column label: coefficient}, lower, upper)} of one row family."""
    *_, rl, ru, _ = lp.arrays()
    start, index, value = lp.csr()
    names = lp.column_labels()
    b = lp.row_blocks[family]
    out = {}
    for lab, i in zip(b.labels(), b.positions):
        terms = {names[j]: v for j, v in zip(index[start[i]:start[i + 1]], value[start[i]:start[i + 1]])}
        out[lab] = (terms, rl[i], ru[i])
    return out


def same(actual: dict, expected: dict):
    assert set(actual) == set(expected)
    for k, e in expected.items():
        a = actual[k]
        if isinstance(e, tuple):
            assert len(a) == len(e), k
            for x, y in zip(a, e):
                if isinstance(y, dict):
                    assert x == pytest.approx(y), k
                else:
                    assert x == pytest.approx(y), k
        else:
            assert a == pytest.approx(e), k


INF = np.inf


# --------------------------------------------------------------------------- variables
def test_add_purchase_variables(lp):
    same(columns(lp, "buy"), {
        "buy[A,CN,2029]": (2.0, 100.0, 10 + 0.5 * 0.8 * 10),
        "buy[A,CN,2030]": (0.0, 100.0, D * (10 + 4)),
        "buy[A,JP,2030]": (0.0, 50.0, D * (15 + 0.5 * 0.2 * 10))})
    pos, coef = lp.part_vectors()["purchases"]
    assert coef == pytest.approx([10, 10 * D, 15 * D])
    pos, coef = lp.part_vectors()["risk charge"]
    assert coef == pytest.approx([4, 4 * D, 1 * D])


def test_add_stock_variables(lp):
    # the 26-week survival floor raises stock[A,2029]: 2030 demand 60 t, without CN only JP's 50 t
    # -> 10 t short a year -> 5 t for half a year (add_survival_floor)
    same(columns(lp, "stock"), {"stock[A,2029]": (5.0, INF, 1.0), "stock[A,2030]": (0.0, INF, D)})


def test_add_unmet_demand_variables(lp):
    # at most the demand (40 t, 60 t): the slack cannot create material
    same(columns(lp, "unmet"), {"unmet[A,2029]": (0.0, 40.0, 1000.0), "unmet[A,2030]": (0.0, 60.0, 1000 * D)})


def test_add_project_variables(lp):
    # capex paid in max(2029, 2030 - 1) = 2029 (no discount), in thousands: 3 M = 3000 k
    same(columns(lp, "build"), {"build[P,2030]": (0.0, 1.0, 3000.0)})
    same(columns(lp, "make"), {"make[P,2030]": (0.0, INF, 12 * D)})


# --------------------------------------------------------------------------- rows
def test_add_material_balance(lp):
    same(rows(lp, "balance"), {
        "balance[A,2029]": ({"buy[A,CN,2029]": 1, "unmet[A,2029]": 1, "stock[A,2029]": -1}, 35.0, 35.0),
        "balance[A,2030]": ({"buy[A,CN,2030]": 1, "buy[A,JP,2030]": 1, "stock[A,2029]": 1, "stock[A,2030]": -1,
                             "unmet[A,2030]": 1, "make[P,2030]": 1}, 60.0, 60.0)})


def test_add_china_share_cap(lp):
    same(rows(lp, "china_cap"), {"china_cap[ALL,2030]": ({"buy[A,CN,2030]": 10.0}, -INF, 0.5 * 10 * 60)})


def test_add_single_source_cap(lp):
    same(rows(lp, "single_source"), {
        "single_source[A,CN,2029]": ({"buy[A,CN,2029]": 1}, -INF, 32.0),
        "single_source[A,CN,2030]": ({"buy[A,CN,2030]": 1}, -INF, 48.0),
        "single_source[A,JP,2030]": ({"buy[A,JP,2030]": 1}, -INF, 48.0)})


def test_add_ramp_limits(lp):
    same(rows(lp, "ramp"), {"ramp[A,CN,2030]": ({"buy[A,CN,2030]": 1, "buy[A,CN,2029]": -1}, -INF, 30.0)})


def test_add_stockpile_target(lp):
    same(columns(lp, "shortfall"), {"shortfall[A,2030]": (0.0, INF, 100 * D)})
    same(rows(lp, "stock_target"), {"stock_target[A,2030]": ({"stock[A,2030]": 1, "shortfall[A,2030]": 1}, 12.0, INF)})


def test_add_project_build_once(lp):
    same(rows(lp, "build_once"), {"build_once[P]": ({"build[P,2030]": 1}, -INF, 1.0)})


def test_add_project_output_limit(lp):
    same(rows(lp, "project_output"), {"project_output[P,2030]": ({"make[P,2030]": 1, "build[P,2030]": -20}, -INF, 0.0)})


def test_add_capex_budget(lp):
    same(rows(lp, "capex_budget"), {"capex_budget[2029]": ({"build[P,2030]": 3.0}, -INF, 2.0)})
    same(rows(lp, "capex_total"), {"capex_total[total]": ({"build[P,2030]": 3.0}, -INF, 5.0)})


# --------------------------------------------------------------------------- conversion, country caps
@pytest.fixture(scope="module")
def clp():
    return build_model(converting()).lp


def test_add_conversion_variables(clp):
    same(columns(clp, "conv"), {"conv[KRM,2030]": (0.0, 200.0, 2.0)})
    same(columns(clp, "use"), {"use[KRM,X,AU,2030]": (0.0, INF, 0.0), "use[KRM,X,CN,2030]": (0.0, INF, 0.0)})
    pos, coef = clp.part_vectors()["conversion"]
    assert coef == pytest.approx([2.0])


def test_add_conversion_recipe_and_use_limit(clp):
    same(rows(clp, "recipe"), {"recipe[KRM,X,2030]": ({"use[KRM,X,AU,2030]": 1, "use[KRM,X,CN,2030]": 1,
                                                      "conv[KRM,2030]": -0.5}, 0.0, 0.0)})
    same(rows(clp, "use_limit"), {
        "use_limit[X,AU,2030]": ({"use[KRM,X,AU,2030]": 1, "buy[X,AU,2030]": -1}, -INF, 0.0),
        "use_limit[X,CN,2030]": ({"use[KRM,X,CN,2030]": 1, "buy[X,CN,2030]": -1}, -INF, 0.0)})


def test_balance_takes_conversion_output_and_input(clp):
    bal = rows(clp, "balance")
    assert bal["balance[M,2030]"][0] == pytest.approx({"buy[M,CN,2030]": 1, "conv[KRM,2030]": 1, "unmet[M,2030]": 1,
                                                       "stock[M,2030]": -1})
    assert bal["balance[X,2030]"][0] == pytest.approx({"buy[X,AU,2030]": 1, "buy[X,CN,2030]": 1, "unmet[X,2030]": 1,
                                                       "stock[X,2030]": -1, "use[KRM,X,AU,2030]": -1,
                                                       "use[KRM,X,CN,2030]": -1})


def test_add_share_caps(clp):
    # China bloc, direct: Korean-made M is not Chinese; oxide converted counts in M, not in X
    same(rows(clp, "china_cap"), {"china_cap[ALL,2030]": (
        {"buy[M,CN,2030]": 10.0, "buy[X,CN,2030]": 4.0, "use[KRM,X,CN,2030]": -4.0}, -INF, 0.6 * 1040)})
    caps = rows(clp, "country_cap")
    # CN at refining on M: Chinese M (10), and Chinese oxide through the line: 10 x 1 / 0.5 = 20 per t used
    assert caps["country_cap[M,2030,CN,CN,refining]"] == (
        pytest.approx({"buy[M,CN,2030]": 10.0, "use[KRM,X,CN,2030]": 20.0}), -INF, pytest.approx(400.0))
    # any single country on the look-through: one row per country holding a share, z for the line
    look = {k: v for k, v in caps.items() if "look-through" in k}
    assert set(look) == {f"country_cap[ALL,2030,ANY,{c},look-through]" for c in ("AU", "CN", "KR", "MY")}
    # rows in order: CN at refining (0), then AU, CN, KR, MY (1-4); each with its own z column
    assert look["country_cap[ALL,2030,ANY,MY,look-through]"] == (pytest.approx(
        {"buy[X,AU,2030]": 4.0, "use[KRM,X,AU,2030]": -4.0, "lt_share[country_cap,4,KRM,2030]": 10.0}),
        -INF, pytest.approx(520.0))
    assert look["country_cap[ALL,2030,ANY,KR,look-through]"][0] == pytest.approx({"lt_share[country_cap,3,KRM,2030]": 10.0})


def test_look_through_links(clp):
    same(columns(clp, "lt_share"), {f"lt_share[country_cap,{k},KRM,2030]": (0.0, INF, 0.0) for k in (1, 2, 3, 4)})
    links = rows(clp, "lt_link")          # links in order AU, CN, KR, MY; one row per stage of M
    assert len(links) == 4 * 4
    z = "lt_share[country_cap,4,KRM,2030]"          # MY: its share is the oxide separated in MY
    assert links["lt_link[3,refining]"] == (pytest.approx({z: 1.0, "use[KRM,X,AU,2030]": -2.0}), 0.0, INF)
    assert links["lt_link[3,mining]"] == (pytest.approx({z: 1.0}), 0.0, INF)        # AU mined it
    cn = "lt_share[country_cap,2,KRM,2030]"         # CN: mined and separated the Chinese oxide
    assert links["lt_link[1,mining]"] == (pytest.approx({cn: 1.0, "use[KRM,X,CN,2030]": -2.0}), 0.0, INF)
    kr = "lt_share[country_cap,3,KRM,2030]"          # KR: the stages the line performs itself
    assert links["lt_link[2,magnet]"] == (pytest.approx({kr: 1.0, "conv[KRM,2030]": -1.0}), 0.0, INF)
    assert links["lt_link[2,refining]"] == (pytest.approx({kr: 1.0}), 0.0, INF)


def test_every_family_is_covered(lp):
    """A new family gets its golden test here (this list is the model's, not a copy)."""
    tested = {"buy", "stock", "unmet", "build", "make", "shortfall", "conv", "use", "lt_share"}
    assert set(lp.var_blocks) == tested
    assert set(lp.row_blocks) == {"balance", "china_cap", "country_cap", "single_source", "ramp", "stock_target",
                                  "build_once", "project_output", "capex_budget", "capex_total", "recipe",
                                  "use_limit", "lt_link"}


def test_cost_parts_add_up_to_the_objective(lp):
    cost = lp.arrays()[0]
    assert lp.cost_vector() == pytest.approx(cost)
    x = np.linspace(1.0, 2.0, lp.num_cols)
    assert sum(lp.part_values(x).values()) == pytest.approx(float(cost @ x))
    model = build_model(fixture())
    assert list(E.objective_parts(model, x)) == ["purchases", "risk charge", "holding", "capex", "project opex",
                                                 "conversion", "unmet demand penalty", "stock shortfall penalty"]


def test_rows_only_where_their_data_says():
    """Without a single-source share, a ramp, stock targets, projects or budgets those families are empty."""
    d = make_data(materials=[("A", 10.0, 0.0, 0.0)], suppliers=[("CN", "china", 0.8)],
                  supply=[("A", "CN", 2030, 10.0, 1.0, np.nan, np.nan)], demand=[("A", 2030, 5.0)])
    lp = build_model(d).lp
    for fam in ("single_source", "ramp", "stock_target", "china_cap", "project_output", "capex_budget",
                "capex_total"):
        assert lp.row_blocks[fam].size == 0, fam
    assert lp.var_blocks["build"].size == lp.var_blocks["shortfall"].size == 0
