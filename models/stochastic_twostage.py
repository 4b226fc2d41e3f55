"""The two-stage sourcing model of :mod:`models.stochastic` as a :class:`models.twostage.TwoStageLP`.

The structure is read from the ONE-scenario extensive form (``build_extensive_form`` with one
scenario of full availability and spot multiplier 1, the *template*): its contract and build
columns are the first stage x, every other column (buy, stock, unmet, make, shortfall, spot) the
recourse y; rows touching only first-stage columns (build_once, capex budgets) become the first
stage's rows A, every other row a recourse row (its first-stage entries are T, the rest W).
A scenario w of the extensive form differs from the template only where
``build_extensive_form`` applies the scenario's factors, and exactly by them (a_wo = share of
offer o available, k_wo = its spot multiplier):

    buy[o]      upper  = a_wo * capacity[o],  lower = min(min_volume[o], a_wo * capacity[o])
    spot[o]     cost   = c_o * k_wo                        (template: c_o)
    contract[o] cost   = c_o * a_wo                        (template: c_o; paid on delivery)
    spot_link[o]: the coefficient of contract[o] is -a_wo  (template: -1)

so cost_w(x) = c_w . x + Q_w(x) is the extensive form's scenario cost (``StochasticModel.
scenario_costs``) and the EF of this structure is the EF of :mod:`models.stochastic`
(tests/models/test_twostage.py checks both, scenario by scenario).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.sourcing import SourcingModel, build_model
from models.stochastic import FIRST_STAGE_SHARED, StochasticModel, build_extensive_form, period_availability
from models.twostage import Sparse, TwoStageLP

FIRST_STAGE = ("contract",) + FIRST_STAGE_SHARED


@dataclass
class SourcingTwoStage:
    """The structure and the way back to the template's columns (for tables and reports)."""

    ts: TwoStageLP
    template: StochasticModel   # the one-scenario extensive form the structure was read from
    x_cols: np.ndarray          # template column of each first-stage entry
    y_cols: np.ndarray          # template column of each recourse entry

    def first_stage(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """contract and build (the families of :meth:`StochasticModel.first_stage`)."""
        full = np.zeros(self.template.lp.num_cols)
        full[self.x_cols] = x
        return self.template.first_stage(full)

    def template_vector(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """A vector over the template's columns: first stage ``x`` and recourse ``y`` (e.g. the
        probability-weighted recourse, which :func:`optimizer.risk.metrics.expected_values` reads)."""
        full = np.zeros(self.template.lp.num_cols)
        full[self.x_cols] = x
        full[self.y_cols] = y
        return full


def two_stage_form(data, avail, spot, prob, alpha: float = 0.95, beta: float = 0.0,
                   names: list[str] | None = None, base: SourcingModel | None = None,
                   with_mean: bool = True, avail_periods=None) -> SourcingTwoStage:
    """The TwoStageLP of the sourcing extensive form (arguments as ``build_extensive_form``).

    ``with_mean``: attach the expected-value problem of :mod:`optimizer.risk.metrics` (ONE
    scenario with the probability-weighted availability and spot multipliers) as ``ts.mean``.
    ``avail_periods``: (S, n_offers, P) with periods within years (the deliver columns' bounds
    scale by them as the buy columns' by ``avail``); None = ``avail`` in every period.
    """
    base = base or build_model(data)
    avail = np.atleast_2d(np.asarray(avail, float))
    spot = np.atleast_2d(np.asarray(spot, float))
    prob = np.asarray(prob, float)
    S, n_o = avail.shape
    names = list(names or [f"w{i + 1}" for i in range(S)])
    if spot.shape != (S, n_o) or prob.shape != (S,) or n_o != len(base.offers):
        raise ValueError(f"avail and spot must have shape ({prob.size}, {len(base.offers)})")
    tmpl = build_extensive_form(data, np.ones((1, n_o)), np.ones((1, n_o)), np.ones(1), alpha, 0.0,
                                ["template"], base=base)
    lp = tmpl.lp
    cost, cl, cu, rl, ru, integer = lp.arrays()
    if integer.any():
        raise ValueError("the two-stage structure is for LPs: the model has integer columns "
                         "(whole projects); solve its extensive form")
    start, index, value = lp.csc()
    cols = np.repeat(np.arange(lp.num_cols), np.diff(start))
    rows = index.astype(np.int64)
    is_x = np.zeros(lp.num_cols, bool)
    for fam in FIRST_STAGE:
        is_x[lp.var_blocks[fam].positions] = True
    x_cols, y_cols = np.flatnonzero(is_x), np.flatnonzero(~is_x)
    pos = np.empty(lp.num_cols, np.int64)
    pos[x_cols] = np.arange(x_cols.size)
    pos[y_cols] = np.arange(y_cols.size)
    has_y = np.zeros(lp.num_rows, bool)
    has_y[rows[~is_x[cols]]] = True
    r1, r2 = np.flatnonzero(~has_y), np.flatnonzero(has_y)
    rpos = np.empty(lp.num_rows, np.int64)
    rpos[r1] = np.arange(r1.size)
    rpos[r2] = np.arange(r2.size)
    in_a = ~has_y[rows]
    in_w = has_y[rows] & ~is_x[cols]
    in_t = has_y[rows] & is_x[cols]
    A = Sparse(rpos[rows[in_a]], pos[cols[in_a]], value[in_a], (r1.size, x_cols.size))
    W = Sparse(rpos[rows[in_w]], pos[cols[in_w]], value[in_w], (r2.size, y_cols.size))
    t_rows, t_cols, t_vals = rpos[rows[in_t]], pos[cols[in_t]], value[in_t]

    # local position (in x or in y) of each offer's contract, buy and spot column
    contract, buy, spot_y = (pos[lp.var_blocks[f].positions] for f in ("contract", "buy", "spot"))
    c = np.tile(cost[x_cols], (S, 1))
    c[:, contract] *= avail
    q = np.tile(cost[y_cols], (S, 1))
    q[:, spot_y] *= spot
    yl = np.tile(cl[y_cols], (S, 1))
    yu = np.tile(cu[y_cols], (S, 1))
    yu[:, buy] *= avail
    yl[:, buy] = np.minimum(yl[:, buy], yu[:, buy])
    per = period_availability(base, avail, avail_periods)
    if per is not None:
        deliver = pos[lp.var_blocks["deliver"].positions]
        yu[:, deliver] *= per
        yl[:, deliver] = np.minimum(yl[:, deliver], yu[:, deliver])
    offer_of_x = np.full(x_cols.size, -1)
    offer_of_x[contract] = np.arange(n_o)
    tv = np.tile(t_vals, (S, 1))
    k = offer_of_x[t_cols] >= 0
    tv[:, k] *= avail[:, offer_of_x[t_cols[k]]]
    labels = [lab for j, lab in enumerate(lp.column_labels()) if is_x[j]]
    mean = None
    if with_mean:
        mean_per = None if avail_periods is None else np.tensordot(prob, np.asarray(avail_periods, float), axes=1)[None]
        mean = two_stage_form(data, prob @ avail, prob @ spot, np.ones(1), alpha, 0.0, ["EV"], base,
                              with_mean=False, avail_periods=mean_per).ts
    ts = TwoStageLP(names, prob, c, cl[x_cols], cu[x_cols], A, rl[r1], ru[r1], W, t_rows, t_cols, tv,
                    q, yl, yu, rl[r2], ru[r2], alpha=alpha, beta=beta, mean=mean, x_labels=labels,
                    name="sourcing")
    return SourcingTwoStage(ts.check(), tmpl, x_cols, y_cols)
