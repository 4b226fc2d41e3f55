"""Two-stage problems with known answers, as :class:`models.twostage.TwoStageLP`.

* :func:`farmer` - Birge & Louveaux, *Introduction to Stochastic Programming* (2nd ed., 2011),
  section 1.1: 500 acres of wheat, corn and sugar beets; yields 20 % above / at / below the
  mean with probability 1/3 each.  Known: RP -108,390 (plan 170 / 80 / 250 acres);
  WS -115,405.56; EVPI 7,015.56; EV plan 120 / 80 / 300 acres; EEV -107,240; VSS 1,150.
* :func:`newsvendor` - a tiny mean-CVaR case solved by hand (see its docstring).
"""
from __future__ import annotations

import numpy as np

from models.twostage import Sparse, TwoStageLP

FARMER = {"RP": -108390.0, "WS": -115405.56, "EVPI": 7015.56, "EEV": -107240.0, "VSS": 1150.0,
          "EV_objective": -118600.0, "plan": [170.0, 80.0, 250.0], "EV_plan": [120.0, 80.0, 300.0]}


def farmer(beta: float = 0.0, alpha: float = 0.95) -> TwoStageLP:
    """x = acres of wheat, corn, beets (planting cost 150, 230, 260 /acre, sum <= 500);
    recourse y = (buy wheat 238, buy corn 210, sell wheat -170, sell corn -150,
    sell beets at 36 up to 6000 t, sell beets beyond at 10):

        yield_w x_w + buy_w - sell_w >= 200     (feed: wheat)
        yield_c x_c + buy_c - sell_c >= 240     (feed: corn)
        sell_hi + sell_lo - yield_b x_b <= 0    (beets sold <= harvest)

    yields (2.5, 3, 20) t/acre times 1.2, 1.0, 0.8."""
    factors = np.array([1.2, 1.0, 0.8])
    mean_yield = np.array([2.5, 3.0, 20.0])
    yields = factors[:, None] * mean_yield[None, :]
    A = Sparse(np.zeros(3, np.int64), np.arange(3), np.ones(3), (1, 3))
    W = Sparse(np.array([0, 0, 1, 1, 2, 2]), np.array([0, 2, 1, 3, 4, 5]),
               np.array([1.0, -1.0, 1.0, -1.0, 1.0, 1.0]), (3, 6))
    inf = np.inf
    return TwoStageLP(
        names=["above", "average", "below"], prob=np.full(3, 1 / 3),
        c=np.array([150.0, 230.0, 260.0]), xl=np.zeros(3), xu=np.full(3, inf),
        A=A, rl=np.array([-inf]), ru=np.array([500.0]), W=W,
        T_rows=np.arange(3), T_cols=np.arange(3), T_vals=yields * np.array([1.0, 1.0, -1.0]),
        q=np.array([238.0, 210.0, -170.0, -150.0, -36.0, -10.0]),
        yl=np.zeros(6), yu=np.array([inf, inf, inf, inf, 6000.0, inf]),
        hl=np.array([200.0, 240.0, -inf]), hu=np.array([inf, inf, 0.0]),
        alpha=alpha, beta=beta, x_labels=["wheat", "corn", "beets"], name="farmer").check()


# newsvendor: order x in [0, 10] at 1/unit; demand 2, 6, 10 with p .5, .3, .2; a shortage is
# bought at 3/unit.  cost_w = x + 3 (d_w - x)+.  With alpha = 0.7 (by hand, F piecewise linear):
#   x in [2, 6]:  E = 11.4 - 0.5x,  CVaR = 26 - 2x;   x in [6, 10]: E = 6 + 0.4x,  CVaR = 20 - x
#   beta = 0.2: F = 16.6 - 0.9x then 10 + 0.2x  -> x* = 6,  F = 11.2 (E 8.4, VaR 6, CVaR 14)
#   beta = 1:   F = 41.4 - 2.5x then 26 - 0.6x  -> x* = 10, F = 20   (E 10, VaR 10, CVaR 10)
NEWSVENDOR = {0.2: {"x": 6.0, "F": 11.2, "E": 8.4, "VaR": 6.0, "CVaR": 14.0},
              1.0: {"x": 10.0, "F": 20.0, "E": 10.0, "VaR": 10.0, "CVaR": 10.0}}


def newsvendor(beta: float, alpha: float = 0.7) -> TwoStageLP:
    """One order x, one recourse y >= d_w - x (see the table above)."""
    one = lambda i, j: (np.array(i, np.int64), np.array(j, np.int64))
    return TwoStageLP(
        names=["low", "mid", "high"], prob=np.array([0.5, 0.3, 0.2]),
        c=np.array([1.0]), xl=np.zeros(1), xu=np.array([10.0]),
        A=Sparse.empty(0, 1), rl=np.zeros(0), ru=np.zeros(0),
        W=Sparse(*one([0], [0]), np.ones(1), (1, 1)),
        T_rows=np.zeros(1, np.int64), T_cols=np.zeros(1, np.int64), T_vals=np.ones(1),
        q=np.array([3.0]), yl=np.zeros(1), yu=np.array([np.inf]),
        hl=np.array([[2.0], [6.0], [10.0]]), hu=np.array([np.inf]),
        alpha=alpha, beta=beta, x_labels=["order"], name="newsvendor").check()
