"""Where the scenarios of a decomposed risk run are solved, and in which order the ranks act.

* ``benders`` in one process pool (``--workers N``, default: the cores this process may use; one
  HiGHS thread each) or, under ``mpiexec -n N``, on N ranks: every rank reads the workbook and
  builds the same structure, rank 0 runs the master and also solves its share of the scenarios,
  the other ranks answer its calls (:class:`optimizer.core.pool.MpiPool`).
* ``ph`` under ``mpiexec`` only (a multiple of 3 ranks: PH hub, Lagrangian spoke, xhat spoke):
  the ranks first compute the wait-and-see costs and the EV plan's value together (they bound
  VaR for PH's Lagrangian subproblems), then run mpi-sppy, then evaluate its best plan together.

Rank 0 returns the :class:`~optimizer.risk.metrics.RiskResult`; the other ranks return None.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from models.sourcing import build_model
from models.stochastic_twostage import two_stage_form
from models.twostage import TwoStageLP
from optimizer.core.pool import default_workers
from optimizer.risk import ph
from optimizer.risk.decompose import DEFAULT_GAP, open_pool, prepare, solve_two_stage, sourcing_result


def mpi_world():
    """COMM_WORLD when this process runs under mpiexec with more than one rank, else None."""
    try:
        from mpi4py import MPI   # optional: the [risk] extra
    except ImportError:
        return None
    comm = MPI.COMM_WORLD
    return comm if comm.Get_size() > 1 else None


def run_decomposed(data, risk, avail, spot, alpha: float, beta: float, tts_weeks, method: str, *,
                   with_vss: bool = True, gap: float = DEFAULT_GAP, time_limit: float | None = None,
                   max_iters: int = 1000, workers: int | None = None, progress=None, comm=None,
                   avail_periods=None):
    """``method`` benders or ph on the sourcing model (see the module docstring); ``comm``: the MPI
    communicator when under mpiexec (None: one process pool); ``avail_periods``: availability per
    period with periods within years (:func:`optimizer.risk.load.period_factors`)."""
    base = build_model(data, survival_weeks=tts_weeks)
    st = two_stage_form(data, avail, spot, risk.prob, alpha, beta, risk.names, base, avail_periods=avail_periods)
    opts = dict(gap=gap, time_limit=time_limit, max_iters=max_iters, progress=progress, with_vss=with_vss)
    if comm is not None:
        ans = solve_mpi(st.ts, method, comm, **opts)
        return None if ans is None else sourcing_result(st, ans)
    if method != "benders":
        raise ValueError("progressive hedging runs under mpiexec (a multiple of 3 ranks)")
    n = workers or default_workers()
    with open_pool(st.ts, "processes" if n > 1 else "local", n) as pool:
        return sourcing_result(st, solve_two_stage(st.ts, "benders", pool, **opts))


def solve_mpi(ts: TwoStageLP, method: str, comm, **opts):
    """:func:`~optimizer.risk.decompose.solve_two_stage` on the ranks of ``comm`` (collective: every
    rank calls it with the same ``ts``); rank 0 gets the answer, the others None."""
    rank = comm.Get_rank()
    pool = open_pool(ts, "mpi", comm=comm)
    if method == "benders":
        if rank != 0:
            pool.serve()
            return None
        with pool:
            return solve_two_stage(ts, "benders", pool, **opts)
    if method != "ph":
        raise ValueError(f"under mpiexec the methods are benders and ph, not {method!r}")
    pre = None
    if rank == 0:          # wait-and-see costs and the EV plan's value: VaR bounds, objective scale
        pre = prepare(ts, pool, with_vss=True)
        pool.release()
    else:
        pool.serve()
    setup = None
    if rank == 0:
        bounds = ph.eta_bounds(ts, pre.ws_costs, pre.eev) if pre.ws_costs is not None and pre.eev is not None \
            else (None, None)
        setup = (bounds, ph.objective_scale(pre.eev if pre.eev is not None else pre.ev_objective))
    bounds, scale = comm.bcast(setup, root=0)
    out = ph.run_ph(ts, gap=opts["gap"], time_limit=opts["time_limit"], max_iters=opts["max_iters"],
                    progress=opts["progress"], comm=comm, eta_range=bounds, scale=scale)
    if rank != 0:
        pool.serve()
        return None
    with pool:
        return solve_two_stage(ts, "ph", pool, plan=out, pre=pre, **opts)


def mpiexec() -> str | None:
    """The MPI launcher: the one next to this Python (the [risk] extra's mpich) or on PATH."""
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


def relaunch(argv: list[str], ranks: int, live_progress: bool) -> int | None:
    """Run ``sourcing <argv>`` on ``ranks`` MPI ranks (progressive hedging asked for outside
    mpiexec) and return its exit code; None when no launcher is installed."""
    launcher = mpiexec()
    if launcher is None:
        return None
    env = dict(os.environ, OMP_NUM_THREADS="1", SOURCING_PROGRESS="live" if live_progress else "")
    cmd = [launcher, "-n", str(ranks), sys.executable, "-m", "optimizer.cli", *argv]
    return subprocess.run(cmd, env=env).returncode
