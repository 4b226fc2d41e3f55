"""mpi-sppy adapter: the same two-stage model solved by progressive hedging over MPI.

Each scenario's Pyomo model is the ONE-scenario extensive form of
:mod:`models.stochastic` (probability 1 inside, the scenario probability given to
mpi-sppy), translated by the solver layer's Pyomo adapter (:mod:`optimizer.core.solver.pyomo_backend`).
Its objective is  cost_w + beta * (eta + delta_w / (1 - alpha)),  so the probability-
weighted sum over scenarios is exactly the EF objective E[cost] + beta * CVaR_alpha;
the non-anticipative (root-node) variables are contract, build and eta.

PH subproblems carry a quadratic proximal term, so the solver is Pyomo's ``highs``
(pyomo.contrib.solver HiGHS, which accepts QPs).

Run (scenarios are spread over the ranks; rank 0 prints the result)::

    mpiexec -n 2 sourcing risk inputs/korea_2024_2030_risk.xlsx --mpi \
        --alpha 0.95 --beta 1 --rho 1 --iters 200     (or: python -m mpi4py -m optimizer.risk.ph ...)

The consensus first stage (xbar) is then evaluated exactly: it is fixed in the extensive
form and the recourse re-optimised (:func:`evaluate_first_stage`), which gives the
objective reported and compared with the extensive form's.
"""
from __future__ import annotations


import numpy as np

from models.sourcing import build_model
from models.stochastic import build_extensive_form, fix_first_stage
from models.units import to_millions
from optimizer.core.solver import OPTIMAL, SolveOptions, solve_lp
from optimizer.core.solver.pyomo_backend import build as pyomo_build
from optimizer.risk.load import read_risk_scenarios, scenario_factors
from optimizer.sourcing.validate import load_and_validate

NONANT_FAMILIES = ("contract", "build", "eta")


def scenario_creator(scenario_name: str, data=None, avail=None, spot=None, prob=None, names=None,
                     alpha: float = 0.95, beta: float = 0.0, base=None):
    """Pyomo model of one scenario with its root node attached (mpi-sppy's entry point)."""
    from mpisppy.utils import sputils   # optional: the [risk] extra
    i = list(names).index(scenario_name)
    one = build_extensive_form(data, avail[i:i + 1], spot[i:i + 1], np.ones(1), alpha, beta,
                               [scenario_name], base=base)
    one.lp.name = scenario_name
    m, x = pyomo_build(one.lp)
    nonant_cols = [c for fam in NONANT_FAMILIES if fam in one.lp.var_blocks
                   for c in one.lp.var_blocks[fam].positions]
    _, cl, cu, *_ = one.lp.arrays()
    for c in nonant_cols:   # a contract with nothing delivered appears nowhere: give it a value
        x[c].set_value(float(np.clip(0.0, cl[c], cu[c])), skip_validation=True)
    sputils.attach_root_node(m, m.obj, [x[c] for c in nonant_cols])
    m._mpisppy_probability = float(prob[i])
    m._nonant_cols = nonant_cols
    return m


def run_ph(data, avail, spot, prob, names, alpha: float = 0.95, beta: float = 0.0, rho: float = 1.0,
           iters: int = 200, convthresh: float = 1e-6, base=None):
    """Progressive hedging under the current MPI communicator.

    Returns (xbar: dict family -> array, PH info dict) on every rank.
    """
    from mpisppy.opt.ph import PH   # optional: the [risk] extra
    base = base if base is not None else build_model(data)
    options = {"solver_name": "highs", "PHIterLimit": int(iters), "defaultPHrho": float(rho),
               "convthresh": float(convthresh), "verbose": False, "display_progress": False,
               "display_timing": False, "iter0_solver_options": {}, "iterk_solver_options": {}}
    kwargs = dict(data=data, avail=avail, spot=spot, prob=prob, names=list(names), alpha=alpha,
                  beta=beta, base=base)
    ph = PH(options, list(names), scenario_creator, scenario_creator_kwargs=kwargs)
    conv, eobj, trivial = ph.ph_main()
    # the consensus first stage: xbar of any local scenario (identical on every rank)
    s = next(iter(ph.local_scenarios.values()))
    xbar = np.array([s._mpisppy_model.xbars[k].value for k in s._mpisppy_data.nonant_indices])
    template = build_extensive_form(data, avail[:1], spot[:1], np.ones(1), alpha, beta, [names[0]], base=base)
    first, k = {}, 0
    for fam in NONANT_FAMILIES:
        if fam in template.lp.var_blocks:
            n = template.lp.var_blocks[fam].size
            first[fam] = xbar[k:k + n]
            k += n
    info = {"convergence": conv, "ph_expected_objective": eobj, "trivial_bound": trivial,
            "iterations": getattr(ph, "_PHIter", None)}
    return first, info


def evaluate_first_stage(data, avail, spot, prob, names, first: dict, alpha: float = 0.95,
                         beta: float = 0.0):
    """EF objective (currency M) with contract and build fixed at ``first`` (eta re-optimised).
    Values are clipped into their bounds (PH averages may sit 1e-9 outside)."""
    ef = build_extensive_form(data, avail, spot, prob, alpha, beta, list(names))
    fixed = {}
    _, cl, cu, *_ = ef.lp.arrays()
    for fam in ("contract", "build"):
        b = ef.lp.var_blocks[fam]
        fixed[fam] = np.clip(first[fam], cl[b.start:b.start + b.size], cu[b.start:b.start + b.size])
    fix_first_stage(ef, fixed)
    sol = solve_lp(ef.lp, SolveOptions(ranging=False, want_duals=False))
    if sol.status != OPTIMAL:
        return None
    return to_millions(sol.objective)


def ph_for_workbook(workbook, alpha: float = 0.95, beta: float = 1.0, rho: float = 1.0, iters: int = 200,
                    convthresh: float = 1e-6, tts_weeks: float | None = None):
    """Read and validate the workbook on every rank, run PH; (first stage, PH info, data).
    Raises InputError (on every rank) for a bad workbook."""
    data = load_and_validate(str(workbook))
    risk = read_risk_scenarios(workbook, data)
    base = build_model(data, survival_weeks=tts_weeks)
    avail, spot = scenario_factors(risk, base.offers, data)
    first, info = run_ph(data, avail, spot, risk.prob, risk.names, alpha, beta, rho, iters, convthresh,
                         base=base)
    return first, info, data


def ph_note(info: dict, ranks: int) -> str:
    it = info.get("iterations")
    return (f"first stage by progressive hedging (mpi-sppy) on {ranks} MPI ranks"
            f"{'' if it is None else f', {it} iterations'}, convergence metric {info['convergence']:.3g}; "
            "contracts and builds fixed at the consensus and the recourse re-optimised exactly in every scenario")


def ph_gap_note(info: dict, objective, currency: str = "USD") -> str:
    """The plan's distance from PH's iteration-0 (wait-and-see) lower bound, if both exist."""
    bound = info.get("trivial_bound")
    if objective is None or bound is None or not np.isfinite(bound):
        return ""
    bound = to_millions(float(bound))
    gap = max(0.0, objective - bound) / max(1e-9, abs(objective))
    return (f"PH lower bound (iteration 0, each scenario alone) {bound:,.3f} {currency} M: the plan's "
            f"objective is at most {gap:.3%} above the optimum")
