"""Solve the two-stage model and read back expected cost, VaR, CVaR, VSS and EVPI.

Definitions (F = the objective functional, F(cost) = E[cost] + beta * CVaR_alpha(cost)):

* RP   = F at the stochastic optimum (the extensive form of :mod:`models.stochastic`).
* EV   = the expected-value problem: ONE scenario with probability-weighted availability
         and spot multiplier; its first stage is x_EV.
* EEV  = F with the first stage fixed at x_EV and the recourse re-optimised in every
         scenario.  VSS = EEV - RP >= 0.
* WS   = F of the wait-and-see costs z_w (each scenario solved alone, knowing it).
         EVPI = RP - WS >= 0 (F is monotone and z_w <= cost_w(x) for every x).

With beta = 0 these are the textbook (Birge-Louveaux) VSS and EVPI.
Money: the model works in k-currency; results here are in currency millions.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.lp import INF, LinearProgram, Terms
from models.sourcing import build_model
from models.stochastic import StochasticModel, build_extensive_form, fix_first_stage
from models.twostage import risk_objective, var_cvar
from models.units import to_millions
from optimizer.core.solver import OPTIMAL, SolveOptions, solve_lp


def cvar_lp(losses, probs, alpha: float) -> tuple[float, float]:
    """The same numbers from the Rockafellar-Uryasev LP (eta, delta), solved by HiGHS:
    min eta + 1/(1-alpha) sum p_w delta_w,  delta_w >= l_w - eta,  delta_w >= 0."""
    l = np.asarray(losses, float)
    p = np.asarray(probs, float)
    lp = LinearProgram("cvar")
    eta = lp.add_variables("eta", pd.DataFrame(index=range(1)), lower=-INF, cost=1.0)
    n = l.size
    d = lp.add_variables("delta", pd.DataFrame({"w": range(n)}), cost=p / (1.0 - alpha))
    terms = Terms().add(np.arange(n), np.full(n, eta[0]), 1.0).add(np.arange(n), d, 1.0)
    lp.add_constraints("excess", pd.DataFrame({"w": range(n)}), terms, lower=l)
    sol = solve_lp(lp, SolveOptions(ranging=False, want_duals=False))
    if sol.status != OPTIMAL:
        raise RuntimeError(sol.message)
    return float(sol.x[eta[0]]), float(sol.objective)


@dataclass
class RiskResult:
    """One risk run (money in currency M).  A scenario's cost is what its plan spends plus the
    penalties of the targets it misses plus the risk charge (``split`` has the three apart);
    ``expected`` is their probability-weighted mean, ``cvar`` the mean of the worst 1 - alpha of
    them, ``objective`` = expected + beta x CVaR (a weighted sum, not a cost)."""

    status: str
    message: str
    scenarios: list[str]
    prob: np.ndarray
    alpha: float
    beta: float
    objective: float | None = None            # RP, currency M
    scenario_costs: np.ndarray | None = None  # currency M
    expected: float | None = None
    var: float | None = None
    cvar: float | None = None
    ev_objective: float | None = None
    eev: float | None = None
    ws: float | None = None
    ws_costs: np.ndarray | None = None
    vss: float | None = None
    evpi: float | None = None
    split: dict = field(default_factory=dict)  # "money" | "penalties" | "risk charge" -> per scenario, currency M
    # the same three as expected values only (decompositions, which keep the mean recourse, not each one)
    split_expected: dict = field(default_factory=dict)
    first_stage: dict = field(default_factory=dict)
    model: StochasticModel | None = None
    x: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    # decomposition (--method benders | ph): certified bounds; objective is the upper bound
    method: str = "ef"
    lower_bound: float | None = None          # currency M
    gap: float | None = None                  # (upper - lower) / |upper|
    target_gap: float | None = None
    iterations: int | None = None
    solve_seconds: float | None = None
    workers: str = ""
    mean_x: np.ndarray | None = None          # probability-weighted recourse on model's columns


def _solve(model: StochasticModel, options: SolveOptions):
    sol = solve_lp(model.lp, options)
    if sol.status != OPTIMAL:
        return sol, None
    return sol, to_millions(model.scenario_costs(sol.x))


def solve_stochastic(data, avail, spot, prob, names=None, alpha: float = 0.95, beta: float = 0.0,
                     with_vss: bool = True, options: SolveOptions | None = None,
                     tts_weeks: float | None = None, first_stage: dict | None = None,
                     avail_periods=None) -> RiskResult:
    """Solve RP and (optionally) EV/EEV/WS; never raises for solver outcomes.
    ``avail_periods``: (S, n_offers, P) availability per period (periods within years,
    :func:`optimizer.risk.load.period_factors`); None = ``avail`` in every period.

    ``tts_weeks``: optional constraint time-to-survive >= N weeks, as year-end stock floors
    (:func:`models.survival.add_survival_floor`) in every scenario.
    ``first_stage``: contract and build fixed at these values (e.g. progressive hedging's
    consensus, clipped into their bounds) and only the recourse optimised: the "RP" figures
    are then those of that plan, evaluated exactly in every scenario.
    """
    options = options or SolveOptions(ranging=False, want_duals=False)
    prob = np.asarray(prob, float)
    base = build_model(data, survival_weeks=tts_weeks)
    model = build_extensive_form(data, avail, spot, prob, alpha, beta, names, base=base, avail_periods=avail_periods)
    per = None if avail_periods is None else np.asarray(avail_periods, float)
    if first_stage is not None:
        _, cl, cu, *_ = model.lp.arrays()
        fix_first_stage(model, {fam: np.clip(np.asarray(first_stage[fam], float), cl[b.start:b.start + b.size],
                                              cu[b.start:b.start + b.size])
                                for fam, b in ((f, model.lp.var_blocks[f]) for f in ("contract", "build"))})
    res = RiskResult(OPTIMAL, "", list(model.scenarios), prob, alpha, beta, model=model)
    sol, costs = _solve(model, options)
    if costs is None:
        res.status, res.message = sol.status, sol.message
        return res
    res.message = sol.message if first_stage is None else \
        "given first stage; recourse proven optimal in every scenario"
    res.x = sol.x
    res.objective = to_millions(sol.objective)
    res.scenario_costs = costs
    res.expected = float(prob @ costs)
    res.var, res.cvar = var_cvar(costs, prob, alpha)
    res.split = {k: to_millions(v) for k, v in model.scenario_cost_split(sol.x).items()}
    res.first_stage = model.first_stage(sol.x)
    if not with_vss:
        return res
    avail, spot = model.avail, model.spot
    ev = build_extensive_form(data, prob @ avail, prob @ spot, np.ones(1), alpha, 0.0, ["EV"], base=base,
                              avail_periods=None if per is None else np.tensordot(prob, per, axes=1)[None])
    ev_sol, ev_costs = _solve(ev, options)
    if ev_costs is None:
        res.notes.append(f"expected-value problem: {ev_sol.message}; VSS not computed")
    else:
        res.ev_objective = float(ev_costs[0])
        fixed = build_extensive_form(data, avail, spot, prob, alpha, beta, names, base=base, avail_periods=per)
        fix_first_stage(fixed, ev.first_stage(ev_sol.x))
        eev_sol, eev_costs = _solve(fixed, options)
        if eev_costs is None:
            res.notes.append(f"EV first stage in the scenarios: {eev_sol.message}; VSS not computed")
        else:
            res.eev = to_millions(eev_sol.objective)
            res.vss = res.eev - res.objective
    ws = []
    for i in range(prob.size):
        one = build_extensive_form(data, avail[i:i + 1], spot[i:i + 1], np.ones(1), alpha, 0.0,
                                   [model.scenarios[i]], base=base, avail_periods=None if per is None else per[i:i + 1])
        s_sol, s_costs = _solve(one, options)
        if s_costs is None:
            res.notes.append(f"wait-and-see {model.scenarios[i]}: {s_sol.message}; EVPI not computed")
            ws = None
            break
        ws.append(float(s_costs[0]))
    if ws is not None:
        res.ws_costs = np.array(ws)
        res.ws = risk_objective(res.ws_costs, prob, alpha, beta)
        res.evpi = res.objective - res.ws
    return res


def expected_values(res: RiskResult, family: str) -> pd.DataFrame:
    """Probability-weighted value of a per-scenario family (e.g. stock) at the RP solution:
    the family's key columns without ``scenario``, plus ``value``."""
    if res.mean_x is not None:     # decomposition: model is the one-scenario template, already weighted
        vals = res.model.lp.values(family, res.mean_x)
        return vals.drop(columns="scenario").reset_index(drop=True)
    vals = res.model.lp.values(family, res.x)
    p = dict(zip(res.scenarios, res.prob))
    vals["value"] = vals["value"] * vals["scenario"].map(p).astype(float)
    keys = [c for c in vals.columns if c not in ("scenario", "value")]
    return vals.groupby(keys, as_index=False, sort=False)["value"].sum()
