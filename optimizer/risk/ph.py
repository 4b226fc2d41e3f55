"""Progressive hedging with mpi-sppy for a :class:`models.twostage.TwoStageLP`, with certified bounds.

Configured as mpi-sppy's CVaR design note (doc/designs/cvar_design.md) advises:

* CVaR by mpi-sppy's own transform (``mpisppy.utils.cvar.add_cvar``): each scenario's Pyomo model
  is its deterministic LP (objective cost_w = c_w . x + q_w . y); the transform adds the VaR eta to
  the root node's non-anticipative variables and delta_w >= cost_w - eta, objective
  cost_w + beta eta + beta delta_w / (1 - alpha), whose probability-weighted sum is the EF's;
* gradient-based rho (``GradRho``, order statistic 0.5 over the scenarios) instead of one uniform
  rho: eta's cost scale dwarfs the tonnes' and a uniform rho stalls.  GradRho gives each variable
  ONE rho for all scenarios of its node, which the Lagrangian bound needs (sum_w p_w W_w stays 0);
* three cylinders: the PH hub, a Lagrangian spoke (lower bound: each scenario solved with the hub's
  W and no proximal term) and an xhat-shuffle spoke (upper bound: a scenario's first stage fixed in
  every scenario).  So ``mpiexec -n 3`` at least (one rank per cylinder; more ranks split the
  scenarios, a multiple of 3).  The hub stops at the relative gap asked for, the iteration or the
  time limit.

What it takes for the printed gap to be a certified one (each found on the bundled sample):

* eta gets finite bounds that hold the optimal VaR (:func:`eta_bounds`, from the wait-and-see costs
  and a plan's value): with eta free, a Lagrangian subproblem is unbounded as soon as eta's
  multiplier leaves [-beta, beta alpha / (1 - alpha)];
* :class:`BoundGuard` on the Lagrangian spoke: a subproblem not solved to optimality contributes
  -inf (mpi-sppy would keep that scenario's previous value, which bounds nothing);
* the plan of the xhat spoke is evaluated exactly afterwards (every scenario re-solved with it fixed,
  eta at its best; :func:`optimizer.risk.decompose.from_plan`): that is the upper bound printed.

PH subproblems carry the quadratic proximal term, so the solver is Pyomo's ``highs`` (HiGHS's QP
solver).  Its objective is scaled to about 1e3 (:func:`objective_scale`; HiGHS works to absolute
tolerances) and its active-set iterations are capped (:data:`QP_ITERATION_LIMIT`: it can cycle on a
PH subproblem; PH then keeps that scenario's previous solution, the bounds are unaffected).

mpi-sppy is imported only inside these functions (the optional ``[risk]`` extra); its own screen
output (tic-toc lines, iteration tables) and log files are kept off the terminal and out of the
current folder; :class:`ProgressExtension` reports iteration, bounds, gap and time to the caller's
progress callback instead.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace

import numpy as np

from models.twostage import TwoStageLP, extensive_form
from optimizer.core.solver.pyomo_backend import build as pyomo_build

MIN_RANKS = 3                 # hub + Lagrangian spoke + xhat spoke
QP_ITERATION_LIMIT = 20_000
_PROGRESS = {"fn": None, "t0": 0.0}


def _quiet_mpisppy():
    """Import mpi-sppy with its start-up line and tic-toc output (every ``global_toc`` line: the
    iteration table, "Terminating based on ...") sent to /dev/null (the stream stays open: loggers
    created meanwhile may hold it), and the modules that open log files at import (hub.log,
    xhatclp.log, xhateval.log) imported in a scratch folder, not the user's current one."""
    if "null" not in _PROGRESS:
        _PROGRESS["null"] = open(os.devnull, "w")
    here, scratch = os.getcwd(), tempfile.mkdtemp(prefix="sourcing-mpisppy-")
    try:
        os.chdir(scratch)
        with contextlib.redirect_stdout(_PROGRESS["null"]):
            import mpisppy   # optional: the [risk] extra
            import mpisppy.cylinders.hub  # noqa: F401
            import mpisppy.cylinders.lagrangian_bounder  # noqa: F401
            import mpisppy.cylinders.xhatshufflelooper_bounder  # noqa: F401
            import mpisppy.utils.xhat_eval  # noqa: F401
    finally:
        os.chdir(here)
        shutil.rmtree(scratch, ignore_errors=True)
    mpisppy.tt_timer.ostream = _PROGRESS["null"]
    return mpisppy


def scenario_creator(scenario_name: str, ts: TwoStageLP = None, scale: float = 1.0):
    """Pyomo model of one scenario (its deterministic LP, probability p_w) with the root node."""
    from mpisppy.utils import sputils   # optional: the [risk] extra
    w = ts.names.index(scenario_name)
    one = replace(ts.scenario(w), beta=0.0, mean=None)
    if scale != 1.0:
        one = replace(one, c=one.c * scale, q=one.q * scale)
    ef = extensive_form(one)
    ef.lp.name = scenario_name
    m, v = pyomo_build(ef.lp)
    _, cl, cu, *_ = ef.lp.arrays()
    nonants = [v[c] for c in ef.x]
    for c in ef.x:          # a column that appears nowhere still needs a value
        v[c].set_value(float(np.clip(0.0, cl[c], cu[c])), skip_validation=True)
    sputils.attach_root_node(m, m.obj, nonants)
    m._mpisppy_probability = float(ts.prob[w])
    return m


def cvar_creator(scenario_name: str, ts: TwoStageLP = None, eta_bounds=(None, None), scale: float = 1.0):
    """:func:`scenario_creator` with mpi-sppy's CVaR transform, and eta (VaR) kept in bounds that
    contain the optimal VaR: without them a Lagrangian subproblem is unbounded in eta as soon as its
    multiplier leaves [-beta, beta alpha / (1 - alpha)], and its bound is then meaningless."""
    from mpisppy.utils.cvar import add_cvar   # optional: the [risk] extra
    m = scenario_creator(scenario_name, ts, scale)
    add_cvar(m, cvar_weight=ts.beta, cvar_alpha=ts.alpha)
    m._mpisppy_cvar_eta.setlb(eta_bounds[0] * scale)
    m._mpisppy_cvar_eta.setub(eta_bounds[1] * scale)
    return m


def objective_scale(typical: float | None) -> float:
    """A power of ten bringing the objective to about 1e3: HiGHS's QP solver works to absolute
    tolerances, and at 1e7 (the sourcing model's k-currency) PH's subproblems lose accuracy.  PH
    is invariant under this (gradient rho scales with the costs); bounds are reported unscaled."""
    if typical is None or not np.isfinite(typical) or typical == 0:
        return 1.0
    return float(10.0 ** (3 - np.round(np.log10(abs(typical)))))


def eta_bounds(ts: TwoStageLP, ws_costs, plan_objective: float) -> tuple[float, float]:
    """An interval holding VaR_alpha at the optimum x*: its scenario costs are at least their
    wait-and-see optima, so VaR >= min_w WS_w, and VaR <= CVaR = (F* - E*) / beta with
    F* <= F(any plan) and E* >= sum_w p_w WS_w.  Widened by 1e-6 relative, plus 1."""
    ws = np.asarray(ws_costs, float)
    lo = float(ws.min())
    hi = float((plan_objective - ts.prob @ ws) / ts.beta) if ts.beta > 0 else float(ws.max())
    hi = max(hi, lo)
    pad = 1.0 + 1e-6 * max(abs(lo), abs(hi))
    return lo - pad, hi + pad


class BoundGuard:
    """(A subclass of mpi-sppy's Extension, see :func:`_extensions`.)  On the Lagrangian spoke: a
    scenario whose solve did not end optimal contributes -inf to the bound (mpi-sppy would keep the
    bound of its previous solve, which is not a bound for the current multipliers)."""

    def post_solve(self, subproblem, results):
        # Pyomo's TerminationCondition is a str enum: compare with its value (no Pyomo import here)
        ok = results is not None and results.solver.termination_condition == "optimal"
        if not ok:
            subproblem._mpisppy_data.outer_bound = -np.inf if self.opt.is_minimizing else np.inf
        return results


def scenario_denouement(rank, scenario_name, scenario):
    """Nothing to do per scenario at the end (mpi-sppy's hook)."""


class ProgressExtension:
    """Made by :func:`_extensions` into a subclass of mpi-sppy's Extension: after every PH
    iteration (once the bounds are synchronised) the hub's rank 0 reports to the callback."""

    def enditer_after_sync(self):
        fn = _PROGRESS["fn"]
        sp = self.opt.spcomm
        if fn is None or sp is None or self.opt.cylinder_rank != 0:
            return
        lower, upper = sp.BestOuterBound / _PROGRESS["scale"], sp.BestInnerBound / _PROGRESS["scale"]
        gap = (upper - lower) / max(abs(upper), 1e-10) if np.isfinite(lower) and np.isfinite(upper) else np.inf
        fn(self.opt._PHIter, lower, upper, max(gap, 0.0), time.perf_counter() - _PROGRESS["t0"])


def _extensions():
    """(progress extension for the hub, bound guard for the Lagrangian spoke) as mpi-sppy classes."""
    from mpisppy.extensions.extension import Extension   # optional: the [risk] extra
    return (type("SourcingProgress", (ProgressExtension, Extension), {}),
            type("SourcingBoundGuard", (BoundGuard, Extension), {}))


@dataclass
class PHOutcome:
    """On rank 0: the best plan's first stage (None elsewhere or without one) and the bounds."""

    x: np.ndarray | None
    lower: float | None
    upper: float | None
    iterations: int | None
    ranks: int
    info: str = ""
    seconds: float = 0.0


def config(ts: TwoStageLP, gap: float, time_limit: float | None, max_iters: int):
    """The mpi-sppy Config of the module docstring."""
    from mpisppy.utils import config as mconfig   # optional: the [risk] extra
    cfg = mconfig.Config()
    cfg.popular_args()
    cfg.two_sided_args()
    cfg.ph_args()
    cfg.lagrangian_args()
    cfg.xhatshuffle_args()
    cfg.dynamic_rho_args()        # gradient-rho options
    cfg.cvar_args()
    cfg.solver_name = "highs"
    cfg.default_rho = 1.0         # only where the gradient gives no usable rho (GradRho's fallback)
    cfg.grad_rho = True
    cfg.grad_order_stat = 0.5     # the probability-weighted mean over scenarios: one rho per variable
    cfg.max_iterations = int(max_iters)
    cfg.rel_gap = float(gap)
    cfg.abs_gap = 0.0
    cfg.max_stalled_iters = 10 ** 6
    cfg.time_limit = None if time_limit is None else float(time_limit)
    cfg.lagrangian, cfg.xhatshuffle = True, True
    # HiGHS threads: the process's scheduler, sized before PH by the scenario workers (one thread;
    # optimizer.core.pool.MpiPool); an explicit 'threads' here would clash with it
    # HiGHS's active-set QP solver can cycle on a PH subproblem: stop it, PH goes on with that
    # scenario's previous solution (bounds are unaffected: see BoundGuard and the exact evaluation)
    cfg.solver_options = f"qp_iteration_limit={QP_ITERATION_LIMIT}"
    return cfg


def run_ph(ts: TwoStageLP, gap: float = 1e-4, time_limit: float | None = None, max_iters: int = 500,
           progress=None, comm=None, eta_range=(None, None), scale: float = 1.0) -> PHOutcome:
    """Progressive hedging on every rank of ``comm`` (collective; a multiple of :data:`MIN_RANKS`).
    ``eta_range``: bounds on VaR (:func:`eta_bounds`), needed when beta > 0; ``scale``: every
    scenario's objective is multiplied by it (:func:`objective_scale`), the bounds returned are not."""
    _quiet_mpisppy()
    from mpi4py import MPI   # optional: the [risk] extra
    from mpisppy.extensions.extension import MultiExtension
    from mpisppy.extensions.grad_rho import GradRho
    from mpisppy.spin_the_wheel import WheelSpinner
    from mpisppy.utils import cfg_vanilla as vanilla
    from mpisppy.utils import sputils
    comm = comm or MPI.COMM_WORLD
    size, rank = comm.Get_size(), comm.Get_rank()
    if size < MIN_RANKS or size % MIN_RANKS:
        raise ValueError(f"progressive hedging runs a hub, a Lagrangian spoke and an xhat spoke: start it on "
                         f"a multiple of {MIN_RANKS} MPI ranks (mpiexec -n {MIN_RANKS} ...), not {size}")
    check_bounded(ts)
    cfg = config(ts, gap, time_limit, max_iters)
    creator, kwargs = scenario_creator, {"ts": ts}
    if ts.beta > 0 and ts.alpha > 0:
        if eta_range[0] is None or eta_range[1] is None:
            raise ValueError("with CVaR, progressive hedging needs bounds on VaR (eta_bounds)")
        creator, kwargs = cvar_creator, {"ts": ts, "eta_bounds": tuple(eta_range), "scale": scale}
    else:                                # CVaR_0 = E: the objective is (1 + beta) E[cost]
        kwargs["scale"] = scale * (1.0 + ts.beta)
    progress_ext, guard = _extensions()
    beans = (cfg, creator, scenario_denouement, list(ts.names))
    hub = vanilla.ph_hub(*beans, scenario_creator_kwargs=kwargs)
    hub["opt_kwargs"]["options"]["cfg"] = cfg
    hub["opt_kwargs"]["options"]["grad_rho_options"] = {"cfg": cfg}
    hub["opt_kwargs"]["extensions"] = MultiExtension
    hub["opt_kwargs"]["extension_kwargs"] = {"ext_classes": [GradRho, progress_ext]}
    spokes = [vanilla.lagrangian_spoke(*beans, scenario_creator_kwargs=kwargs, ph_extensions=guard),
              vanilla.xhatshuffle_spoke(*beans, scenario_creator_kwargs=kwargs)]
    _PROGRESS.update(fn=progress if rank == 0 else None, t0=time.perf_counter(), scale=scale)
    wheel = WheelSpinner(hub, spokes)
    pyomo_log = logging.getLogger("pyomo.core")
    level = pyomo_log.level
    pyomo_log.setLevel(logging.ERROR)    # "Loading ... an 'aborted' status": the QP limit above, handled
    try:
        wheel.spin()
    finally:
        pyomo_log.setLevel(level)
        _PROGRESS["fn"] = None
    seconds = time.perf_counter() - _PROGRESS["t0"]
    path = comm.bcast(os.path.join(tempfile.mkdtemp(prefix="sourcing-ph-"), "xhat.npy") if rank == 0 else None,
                      root=0)
    wheel.write_first_stage_solution(path, first_stage_solution_writer=sputils.first_stage_nonant_npy_serializer)
    comm.Barrier()
    if rank != 0:
        return PHOutcome(None, None, None, None, size)
    x = np.load(path)[:ts.n1] if os.path.exists(path) else None
    if os.path.exists(path):
        os.remove(path)
    os.rmdir(os.path.dirname(path))
    it = getattr(wheel.spcomm.opt, "_PHIter", None)
    lower, upper = wheel.BestOuterBound / scale, wheel.BestInnerBound / scale
    info = (f"progressive hedging (mpi-sppy) on {size} MPI ranks, {it} iterations; gradient-based rho, "
            "CVaR by mpi-sppy's transform")
    return PHOutcome(x, None if lower is None else float(lower), None if upper is None else float(upper), it,
                     size, info, seconds)


def check_bounded(ts: TwoStageLP) -> None:
    """PH's Lagrangian subproblems have no first-stage rows to hold x: every first-stage column
    needs finite bounds (its own or implied by the first-stage rows)."""
    lo, hi = implied_bounds(ts)
    free = np.flatnonzero(~(np.isfinite(lo) & np.isfinite(hi)))
    if free.size:
        names = [ts.x_labels[j] if ts.x_labels else f"x[{j}]" for j in free[:5]]
        raise ValueError("progressive hedging needs finite bounds on every first-stage variable: "
                         f"{', '.join(names)} {'is' if free.size == 1 else 'are'} unbounded")


def implied_bounds(ts: TwoStageLP):
    """Column bounds tightened once by each first-stage row (activity bounds of the other entries)."""
    lo, hi = ts.xl.astype(float).copy(), ts.xu.astype(float).copy()
    A = ts.A
    with np.errstate(invalid="ignore"):
        _tighten(ts, A, lo, hi)
    return lo, hi


def _tighten(ts, A, lo, hi) -> None:
    for i in range(ts.rl.size):
        k = A.rows == i
        cols, vals = A.cols[k], A.vals[k]
        amin = np.where(vals > 0, vals * lo[cols], vals * hi[cols])
        amax = np.where(vals > 0, vals * hi[cols], vals * lo[cols])
        for j, a in enumerate(vals):
            rest_min = amin.sum() - amin[j]
            rest_max = amax.sum() - amax[j]
            top = (ts.ru[i] - rest_min) / a if a > 0 else (ts.rl[i] - rest_max) / a
            bot = (ts.rl[i] - rest_max) / a if a > 0 else (ts.ru[i] - rest_min) / a
            c = cols[j]
            if np.isfinite(top):
                hi[c] = min(hi[c], top)
            if np.isfinite(bot):
                lo[c] = max(lo[c], bot)
