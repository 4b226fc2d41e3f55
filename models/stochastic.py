"""Two-stage stochastic sourcing LP (extensive form) with a CVaR term.

The deterministic model of :mod:`models.sourcing` is built ONCE with
:func:`models.sourcing.build_model`; the extensive form holds one copy of its
second-stage variable and row families per scenario w (key column ``scenario``
first: ``buy[w1,GA,CN,2026]``).  A scenario's copy differs from the deterministic
model only in the bounds and costs of ``buy`` (capacity x availability, spot price),
so every copy is exactly ``build_model`` of the scenario-modified data.

Stages
    first stage (shared by all scenarios, i.e. non-anticipativity by shared columns):
        contract[o]  tonnes committed in advance per supply offer o = (m, s, t)
        build[p,t]   domestic projects (the spine's family, shared)
    second stage, per scenario w:
        buy, stock (stock release = drawdown), unmet (shortfall at the unmet penalty),
        make, shortfall (the spine's families) and spot[w,o] (tonnes bought on the spot
        market at the scenario's price multiplier).

Stockpile build-up is contracted volume above demand carried as stock; it is released
in the scenario's years.  This is the usual two-stage approximation of a multi-year
plan: every first-stage decision is taken now for the whole horizon, the recourse is
chosen knowing the scenario.

Costs (k-currency), with df_t the discount factor and c_o = df_t * unit_cost[o]:
    cost_w = sum_o c_o * a_wo * contract[o]              contracted volume delivered, paid
           + sum_o c_o * k_wo * spot[w,o]                spot premium k_wo >= 1
           + capex of build + (the spine's other costs of scenario w's copy, with buy
             charged only its risk term df * lambda * risk * reference_value)
Objective:  min  sum_w p_w cost_w + beta * (eta + 1/(1-alpha) sum_w p_w delta_w)
(Rockafellar-Uryasev CVaR of the scenario cost; eta* = VaR_alpha).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.lp import INF, LinearProgram, Terms
from models.expressions import purchase_prices
from models.sourcing import SourcingModel, build_model

FIRST_STAGE_SHARED = ("build",)
# what a scenario-cost term of each second-stage family is: the purchases' own term is the risk
# charge (the price is paid on contract or spot), unmet demand and stock shortfall are penalties
_KIND = {"buy": "risk charge", "unmet": "penalties", "shortfall": "penalties"}


@dataclass
class StochasticModel:
    lp: LinearProgram
    base: SourcingModel
    scenarios: list[str]
    prob: np.ndarray
    avail: np.ndarray          # (S, n_offers) share of capacity available
    spot: np.ndarray           # (S, n_offers) spot price multiplier
    alpha: float
    beta: float
    cost_terms: tuple = field(default_factory=tuple)   # (scenario, column, coefficient) of cost_w
    cost_kinds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # per term: what it is
    avail_periods: np.ndarray | None = None   # (S, n_offers x P) on the deliver columns (periods within years)

    def scenario_costs(self, x: np.ndarray) -> np.ndarray:
        """cost_w of every scenario at the EF solution ``x`` (k-currency)."""
        s, c, v = self.cost_terms
        return np.bincount(s, weights=v * x[c], minlength=len(self.scenarios))

    def scenario_cost_split(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """cost_w split into money spent, the penalties of missed targets and the risk charge (a
        weight), each per scenario (k-currency)."""
        s, c, v = self.cost_terms
        out = {}
        for kind in ("money", "penalties", "risk charge"):
            sel = self.cost_kinds == kind
            out[kind] = np.bincount(s[sel], weights=(v * x[c])[sel], minlength=len(self.scenarios))
        return out

    def first_stage(self, x: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for fam in ("contract",) + FIRST_STAGE_SHARED:
            b = self.lp.var_blocks[fam]
            out[fam] = x[b.start:b.start + b.size].copy()
        return out


def _tiled_index(names: list[str], index: pd.DataFrame) -> pd.DataFrame:
    S, n = len(names), len(index)
    out = {"scenario": np.repeat(np.asarray(names, dtype=object), n)}
    for c in index.columns:
        out[c] = np.tile(index[c].to_numpy(), S)
    return pd.DataFrame(out)


def build_extensive_form(data, avail, spot, prob, alpha: float = 0.95, beta: float = 0.0,
                         names: list[str] | None = None, base: SourcingModel | None = None,
                         avail_periods=None) -> StochasticModel:
    """Assemble the extensive form; see the module docstring for the formulation.

    Parameters
    ----------
    data : SourcingData (validated)
    avail, spot : arrays (S, n_offers) in the order of ``build_model(data).offers``
    prob : (S,) probabilities summing to 1
    alpha, beta : CVaR level and weight (beta = 0: risk neutral, no CVaR rows)
    avail_periods : (S, n_offers, P) share of capacity available per period when the model has
        periods within years (:mod:`models.periods`); default: ``avail`` in every period
    """
    base = base or build_model(data)
    avail = np.atleast_2d(np.asarray(avail, float))
    spot = np.atleast_2d(np.asarray(spot, float))
    prob = np.asarray(prob, float)
    S = prob.size
    names = names or [f"w{i + 1}" for i in range(S)]
    if not 0.0 <= alpha < 1.0:
        raise ValueError("alpha must be in [0, 1)")
    n_o = len(base.offers)
    if avail.shape != (S, n_o) or spot.shape != (S, n_o):
        raise ValueError(f"avail and spot must have shape ({S}, {n_o})")
    ef = LinearProgram("stochastic")
    model = StochasticModel(ef, base, list(names), prob, avail, spot, alpha, beta)
    model.avail_periods = period_availability(base, avail, avail_periods)
    colmap = add_first_stage_contracts(model)
    colmap = add_scenario_copies(model, colmap)
    add_scenario_rows(model, colmap)
    add_spot_link(model)
    add_cvar(model)
    return model


def period_availability(base: SourcingModel, avail: np.ndarray, avail_periods=None) -> np.ndarray | None:
    """(S, n_offers x P) factors on the deliver columns (offer-major), or None without periods."""
    dlv = base.lp.var_blocks.get("deliver")
    if dlv is None:
        return None
    S, n = avail.shape
    P = dlv.size // max(n, 1)
    if avail_periods is None:
        return np.repeat(avail, P, axis=1)
    per = np.asarray(avail_periods, float)
    if per.shape != (S, n, P):
        raise ValueError(f"avail_periods must have shape ({S}, {n}, {P})")
    return per.reshape(S, n * P)


def _base_arrays(base: SourcingModel):
    cost, cl, cu, rl, ru, integer = base.lp.arrays()
    start, index, value = base.lp.csc()
    cols = np.repeat(np.arange(base.lp.num_cols), np.diff(start))
    return cost, cl, cu, rl, ru, integer, (index.astype(np.int64), cols, value)


def add_first_stage_contracts(model: StochasticModel) -> dict:
    """contract[o] in [0, capacity[o]]: tonnes committed now for offer o (first stage);
    build[p,t] in [0,1]: the spine's project family, one shared copy.

    objective:  sum_w p_w * c_o * a_wo * contract[o]   + capex cost of build
    For each supply offer o (contract) and each project-year (build).
    Returns the column map of the base model's shared families.
    """
    ef, base = model.lp, model.base
    o = base.offers
    model._unit = purchase_prices(base)      # c_o, the spine's own purchase cost part
    exp_avail = model.prob @ model.avail
    ef.add_variables("contract", o[["material", "source", "year"]], upper=o["capacity"].to_numpy(float),
                     cost=model._unit * exp_avail, doc="tonnes contracted in advance (first stage)")
    cost, cl, cu, *_rest, integer, _ = _base_arrays(base)
    colmap = {}
    for fam in FIRST_STAGE_SHARED:
        b = base.lp.var_blocks[fam]
        sl = slice(b.start, b.start + b.size)
        pos = ef.add_variables(fam, b.index, lower=cl[sl], upper=cu[sl], cost=cost[sl],
                               integer=bool(integer[sl].any()), doc=b.doc)
        colmap[fam] = pos
    return colmap


def add_scenario_copies(model: StochasticModel, colmap: dict) -> dict:
    """One copy per scenario w of each second-stage family of the spine (buy, stock,
    unmet, make, shortfall), bounds and costs as in the deterministic model except:

        buy[w,o] <= a_wo * capacity[o];  buy[w,o] >= min(min_volume[o], a_wo * capacity[o])
        cost of buy[w,o] = (spine cost - c_o) (the risk term only; the price is paid on
                           contract or spot)
    objective coefficient = p_w x cost.  For each scenario w and base column.
    """
    ef, base = model.lp, model.base
    cost, cl, cu, *_rest, integer, _ = _base_arrays(base)
    S, p = len(model.scenarios), model.prob
    ns = np.arange(S)
    terms_s, terms_c, terms_v, kinds = [], [], [], []
    for fam, b in base.lp.var_blocks.items():
        if fam in FIRST_STAGE_SHARED:
            continue
        sl = slice(b.start, b.start + b.size)
        c0, lo, up = cost[sl], cl[sl], cu[sl]
        if fam == "buy":
            up_w = model.avail * up[None, :]
            lo_w = np.minimum(lo[None, :], up_w)
            c_w = np.broadcast_to(c0 - model._unit, (S, b.size))
        elif fam == "deliver":              # periods within years: each period's share available
            up_w = model.avail_periods * up[None, :]
            lo_w = np.minimum(lo[None, :], up_w)
            c_w = np.broadcast_to(c0, (S, b.size))
        else:
            up_w = np.broadcast_to(up, (S, b.size))
            lo_w = np.broadcast_to(lo, (S, b.size))
            c_w = np.broadcast_to(c0, (S, b.size))
        pos = ef.add_variables(fam, _tiled_index(model.scenarios, b.index), lower=lo_w.ravel(),
                               upper=up_w.ravel(), cost=(p[:, None] * c_w).ravel(),
                               integer=bool(integer[sl].any()), doc=b.doc + " (per scenario)")
        colmap[fam] = pos.reshape(S, b.size)
        nz = np.flatnonzero(c0 if fam != "buy" else c0 - model._unit)
        terms_s.append(np.repeat(ns, nz.size))
        terms_c.append(colmap[fam][:, nz].ravel())
        terms_v.append(c_w[:, nz].ravel())
        kinds.append(np.full(S * nz.size, _KIND.get(fam, "money"), dtype=object))
    model._cost_parts = (terms_s, terms_c, terms_v, kinds)
    return colmap


def add_scenario_rows(model: StochasticModel, colmap: dict) -> None:
    """Every constraint family of the spine, one copy per scenario w, same coefficients
    and right-hand sides; columns of shared families (build) point at the one first-stage
    copy (non-anticipativity).  For each scenario w and base row."""
    ef, base = model.lp, model.base
    *_a, rl, ru, _i, (rows, cols, vals) = _base_arrays(base)
    S = len(model.scenarios)
    # EF column of base column j in scenario w:  shared[j]  or  copy[w, j]
    nb = base.lp.num_cols
    shared = np.full(nb, -1, np.int64)
    local = np.zeros(nb, np.int64)
    fam_start = np.zeros(nb, np.int64)
    fam_size = np.ones(nb, np.int64)
    for fam, b in base.lp.var_blocks.items():
        sl = slice(b.start, b.start + b.size)
        if fam in FIRST_STAGE_SHARED:
            shared[sl] = colmap[fam]
        elif b.size:
            fam_start[sl] = colmap[fam][0, 0]
            fam_size[sl] = b.size
            local[sl] = np.arange(b.size)
    for fam, b in base.lp.row_blocks.items():
        sel = (rows >= b.start) & (rows < b.start + b.size)
        r, c, v = rows[sel] - b.start, cols[sel], vals[sel]
        w = np.repeat(np.arange(S), r.size)
        rr = np.tile(r, S) + w * b.size
        cc = np.tile(c, S)
        ef_col = np.where(shared[cc] >= 0, shared[cc], fam_start[cc] + w * fam_size[cc] + local[cc])
        terms = Terms().add(rr, ef_col, np.tile(v, S))
        sl = slice(b.start, b.start + b.size)
        ef.add_constraints(fam, _tiled_index(model.scenarios, b.index), terms,
                           lower=np.tile(rl[sl], S), upper=np.tile(ru[sl], S), doc=b.doc + " (per scenario)")
    model._colmap = colmap


def add_spot_link(model: StochasticModel) -> None:
    """spot_link[w,o]:  buy[w,o] - spot[w,o] - a_wo * contract[o] <= 0

    spot[w,o] >= 0 costs p_w * c_o * k_wo: what is bought beyond the delivered contract
    volume is paid at the spot price (contracted volume not taken is still paid:
    take-or-pay).  For each scenario w and supply offer o.
    """
    ef, o = model.lp, model.base.offers
    S, n = model.avail.shape
    idx = _tiled_index(model.scenarios, o[["material", "source", "year"]])
    spot_cost = model._unit[None, :] * model.spot
    spot = ef.add_variables("spot", idx, cost=(model.prob[:, None] * spot_cost).ravel(),
                            doc="tonnes bought spot (per scenario)")
    buy = model._colmap["buy"].ravel()
    contract = np.tile(ef.var_blocks["contract"].positions, S)
    k = np.arange(S * n)
    terms = Terms().add(k, buy, 1.0).add(k, spot, -1.0).add(k, contract, -model.avail.ravel())
    ef.add_constraints("spot_link", idx, terms, upper=0.0, doc="purchases beyond contract are spot")
    ts, tc, tv, kinds = model._cost_parts
    w = np.repeat(np.arange(S), n)
    ts += [w, w]
    tc += [spot, contract]
    tv += [spot_cost.ravel(), (model._unit[None, :] * model.avail).ravel()]
    kinds += [np.full(2 * w.size, "money", dtype=object)]
    for fam in FIRST_STAGE_SHARED:          # capex: the same in every scenario
        b = ef.var_blocks[fam]
        c = ef.col_cost[list(ef.var_blocks).index(fam)]
        nz = np.flatnonzero(c)
        ts.append(np.repeat(np.arange(S), nz.size))
        tc.append(np.tile(b.positions[nz], S))
        tv.append(np.tile(c[nz], S))
        kinds.append(np.full(S * nz.size, "money", dtype=object))
    model.cost_terms = tuple(np.concatenate(a) for a in (ts, tc, tv))
    model.cost_kinds = np.concatenate(kinds) if kinds else np.zeros(0, dtype=object)


def add_cvar(model: StochasticModel) -> None:
    """eta free (VaR), delta[w] >= 0 (excess over eta); only where beta > 0:

        cvar_excess[w]:  cost_w - eta - delta[w] <= 0
        objective      += beta * eta + beta * p_w / (1 - alpha) * delta[w]

    For each scenario w.  At the optimum eta + sum_w p_w delta_w / (1 - alpha) = CVaR_alpha.
    """
    ef = model.lp
    S = len(model.scenarios)
    if model.beta <= 0.0:
        return
    beta, alpha = model.beta, model.alpha
    eta = ef.add_variables("eta", pd.DataFrame(index=range(1)), lower=-INF, cost=beta, doc="VaR_alpha")
    idx = pd.DataFrame({"scenario": model.scenarios})
    delta = ef.add_variables("delta", idx, cost=beta * model.prob / (1.0 - alpha), doc="cost above VaR")
    s, c, v = model.cost_terms
    terms = Terms().add(s, c, v).add(np.arange(S), np.full(S, eta[0]), -1.0).add(np.arange(S), delta, -1.0)
    ef.add_constraints("cvar_excess", idx, terms, upper=0.0, doc="scenario cost above VaR")


def fix_first_stage(model: StochasticModel, first: dict[str, np.ndarray]) -> None:
    """Fix contract and build at given values (used for the EEV of the VSS)."""
    for fam, val in first.items():
        model.lp.set_bounds(fam, lower=val, upper=val)
