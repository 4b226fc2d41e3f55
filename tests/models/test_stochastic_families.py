"""One golden test per constraint family of the two-stage model (:mod:`models.stochastic`).

Fixture: material A, 2030, demand 60 t; one offer CN (100 t at 10/kg); unmet 100/kg; two
scenarios: w1 (p 0.75, everything delivered, spot 1.2x), w2 (p 0.25, half the capacity lost,
spot 2x); CVaR at alpha 0.5 with weight beta 1.
"""
from __future__ import annotations

import numpy as np
import pytest

from model_fixtures import make_data
from models.stochastic import build_extensive_form
from test_families import columns, rows, same

INF = np.inf


@pytest.fixture(scope="module")
def lp():
    data = make_data(materials=[("A", 10.0, 0.0, 0.0)], suppliers=[("CN", "china", 0.8)],
                     supply=[("A", "CN", 2030, 100.0, 10.0, np.nan, np.nan)], demand=[("A", 2030, 60.0)],
                     unmet_penalty=100.0)
    return build_extensive_form(data, avail=[[1.0], [0.5]], spot=[[1.2], [2.0]], prob=[0.75, 0.25],
                                alpha=0.5, beta=1.0, names=["w1", "w2"]).lp


def test_add_first_stage_contracts(lp):
    # paid on delivery at the contract price: 10 x E[availability] = 10 x (0.75 + 0.125)
    same(columns(lp, "contract"), {"contract[A,CN,2030]": (0.0, 100.0, 8.75)})
    assert lp.var_blocks["build"].size == 0


def test_add_scenario_copies(lp):
    # the scenario's purchases carry only the risk term (0 here): the price is paid on contract or spot
    same(columns(lp, "buy"), {"buy[w1,A,CN,2030]": (0.0, 100.0, 0.0), "buy[w2,A,CN,2030]": (0.0, 50.0, 0.0)})
    same(columns(lp, "unmet"), {"unmet[w1,A,2030]": (0.0, 60.0, 75.0), "unmet[w2,A,2030]": (0.0, 60.0, 25.0)})
    same(columns(lp, "stock"), {"stock[w1,A,2030]": (0.0, INF, 0.0), "stock[w2,A,2030]": (0.0, INF, 0.0)})


def test_add_scenario_rows(lp):
    same(rows(lp, "balance"), {
        "balance[w1,A,2030]": ({"buy[w1,A,CN,2030]": 1, "unmet[w1,A,2030]": 1, "stock[w1,A,2030]": -1}, 60.0, 60.0),
        "balance[w2,A,2030]": ({"buy[w2,A,CN,2030]": 1, "unmet[w2,A,2030]": 1, "stock[w2,A,2030]": -1}, 60.0, 60.0)})


def test_add_spot_link(lp):
    same(columns(lp, "spot"), {"spot[w1,A,CN,2030]": (0.0, INF, 0.75 * 10 * 1.2),
                               "spot[w2,A,CN,2030]": (0.0, INF, 0.25 * 10 * 2.0)})
    same(rows(lp, "spot_link"), {
        "spot_link[w1,A,CN,2030]": ({"buy[w1,A,CN,2030]": 1, "spot[w1,A,CN,2030]": -1, "contract[A,CN,2030]": -1.0},
                                    -INF, 0.0),
        "spot_link[w2,A,CN,2030]": ({"buy[w2,A,CN,2030]": 1, "spot[w2,A,CN,2030]": -1, "contract[A,CN,2030]": -0.5},
                                    -INF, 0.0)})


def test_add_cvar(lp):
    same(columns(lp, "eta"), {"eta": (-INF, INF, 1.0)})
    same(columns(lp, "delta"), {"delta[w1]": (0.0, INF, 0.75 / 0.5), "delta[w2]": (0.0, INF, 0.25 / 0.5)})
    # cost_w = delivered contract + spot + unmet penalty, per scenario (not probability-weighted)
    same(rows(lp, "cvar_excess"), {
        "cvar_excess[w1]": ({"contract[A,CN,2030]": 10.0, "spot[w1,A,CN,2030]": 12.0, "unmet[w1,A,2030]": 100.0,
                             "eta": -1, "delta[w1]": -1}, -INF, 0.0),
        "cvar_excess[w2]": ({"contract[A,CN,2030]": 5.0, "spot[w2,A,CN,2030]": 20.0, "unmet[w2,A,2030]": 100.0,
                             "eta": -1, "delta[w2]": -1}, -INF, 0.0)})
