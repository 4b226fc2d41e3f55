"""mpi-sppy adapter: the same two-stage model solved by progressive hedging over MPI.

Each scenario's Pyomo model is the ONE-scenario extensive form of
:mod:`models.stochastic` (probability 1 inside, the scenario probability given to
mpi-sppy), translated by the project's Pyomo adapter (:mod:`optimizer.backends.pyomo_backend`).
Its objective is  cost_w + beta * (eta + delta_w / (1 - alpha)),  so the probability-
weighted sum over scenarios is exactly the EF objective E[cost] + beta * CVaR_alpha;
the non-anticipative (root-node) variables are contract, build and eta.

PH subproblems carry a quadratic proximal term, so the solver is Pyomo's ``highs``
(pyomo.contrib.solver HiGHS, which accepts QPs).

Run (scenarios are spread over the ranks; rank 0 prints the result)::

    mpiexec -n 2 python -m mpi4py -m models.sppy_adapter inputs/korea_2024_2030_risk.xlsx \
        --alpha 0.95 --beta 1 --rho 1 --iters 200

The consensus first stage (xbar) is then evaluated exactly: it is fixed in the extensive
form and the recourse re-optimised (:func:`evaluate_first_stage`), which gives the
objective reported and compared with the extensive form's.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from models.stochastic import build_extensive_form, fix_first_stage

NONANT_FAMILIES = ("contract", "build", "eta")


def scenario_creator(scenario_name: str, data=None, avail=None, spot=None, prob=None, names=None,
                     alpha: float = 0.95, beta: float = 0.0, base=None):
    """Pyomo model of one scenario with its root node attached (mpi-sppy's entry point)."""
    from mpisppy.utils import sputils
    from optimizer.backends.pyomo_backend import build as pyomo_build
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
           iters: int = 200, convthresh: float = 1e-6):
    """Progressive hedging under the current MPI communicator.

    Returns (xbar: dict family -> array, PH info dict) on every rank.
    """
    from mpisppy.opt.ph import PH
    from models.sourcing import build_model
    base = build_model(data)
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
    from optimizer import result as R
    from optimizer.solve import SolveOptions, solve_lp
    ef = build_extensive_form(data, avail, spot, prob, alpha, beta, list(names))
    fixed = {}
    _, cl, cu, *_ = ef.lp.arrays()
    for fam in ("contract", "build"):
        b = ef.lp.var_blocks[fam]
        fixed[fam] = np.clip(first[fam], cl[b.start:b.start + b.size], cu[b.start:b.start + b.size])
    fix_first_stage(ef, fixed)
    sol = solve_lp(ef.lp, SolveOptions(ranging=False, want_duals=False))
    if sol.status != R.OPTIMAL:
        return None
    return sol.objective / 1000.0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="models.sppy_adapter",
                                description="two-stage risk model by progressive hedging (mpi-sppy)")
    p.add_argument("workbook")
    p.add_argument("--alpha", type=float, default=0.95)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--rho", type=float, default=1.0)
    p.add_argument("--iters", type=int, default=200)
    p.add_argument("--convthresh", type=float, default=1e-6)
    args = p.parse_args(argv)
    from mpi4py import MPI
    from models.sourcing import build_model
    from optimizer.cli import _print_issues
    from optimizer.data import InputError
    from optimizer.risk.scenarios import read_risk_scenarios, scenario_factors
    from optimizer.validate import load_and_validate
    rank = MPI.COMM_WORLD.Get_rank()
    try:
        data = load_and_validate(args.workbook)
        risk = read_risk_scenarios(args.workbook, data)
    except InputError as err:
        if rank == 0:
            _print_issues(err)
        return 1
    avail, spot = scenario_factors(risk, build_model(data).offers)
    first, info = run_ph(data, avail, spot, risk.prob, risk.names, args.alpha, args.beta, args.rho,
                         args.iters, args.convthresh)
    if rank == 0:
        obj = evaluate_first_stage(data, avail, spot, risk.prob, risk.names, first, args.alpha, args.beta)
        print(f"PH: {len(risk.names)} scenarios on {MPI.COMM_WORLD.Get_size()} rank(s); "
              f"convergence metric {info['convergence']:.3g}")
        print(f"objective at the PH first stage (EF evaluation): "
              f"{'n/a' if obj is None else f'{obj:,.6f}'} {data.settings.currency} M")
    return 0


if __name__ == "__main__":
    sys.exit(main())
