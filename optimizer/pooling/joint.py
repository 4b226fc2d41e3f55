"""The grand coalition's plan: its solve, Owen's dual allocation and near-optimal alternatives.

* :func:`solve_grand` solves the joint model for all members through
  :func:`optimizer.core.solver.solve_lp` (shared status mapping, feasibility re-check; for a
  MILP the duals come from the LP with integers fixed and are flagged indicative).
* :func:`owen_allocation`: Owen (1975) -- when the joint model is an LP, each member pays
  for the resources it brings at the grand coalition's shadow prices: its demand rows
  and China-cap rows (row dual x right-hand side), its access rights to pooled offers
  (access-row dual x its right) and its stand-alone capacities (reduced cost x capacity).  For every coalition S the same duals are feasible in S's
  dual LP (only right-hand sides and bounds change), so by weak duality the shares of
  S add up to at most c(S): the allocation is in the core -- provided no shared
  resource (a pooled offer's capacity with no access rights) carries a price, which
  would leave part of c(N) owned by nobody.  Not available for a MILP.
* :func:`alternatives` (modelling to generate alternatives, MGA): with total cost
  <= (1 + slack) C*, minimise and maximise each source's spend and each member's
  pooled tonnes -- the plans that differ most in those directions.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.lp import Terms
from models.pooling import PoolModel, build_pool_model
from models.units import to_millions
from optimizer.core.solver import OPTIMAL
from optimizer.core.solver import Solution, SolveOptions, solve_lp
from optimizer.core.tasks import map_tasks, open_pool

OWEN_TOL = 1e-6   # relative: shared-resource value below this x |c(N)| counts as zero


def solve_grand(model: PoolModel, options: SolveOptions) -> Solution:
    """The pool's optimal plan (all members), with duals (indicative for a MILP)."""
    return solve_lp(model.lp, SolveOptions(**{**options.__dict__, "want_duals": True, "ranging": False}))


@dataclass
class OwenResult:
    x: np.ndarray | None            # currency M per member, or None when not available
    reason: str                     # why not available / how it was formed
    shared_value: float = 0.0       # currency M of c(N) priced on shared resources


def owen_allocation(model: PoolModel, sol: Solution) -> OwenResult:
    """Owen's dual allocation of c(N) (see the module docstring); currency M per member.

    u_i = sum_{rows r of i} y_r * rhs_r + sum_{own columns j of i} d_j * bound_j, where a
    row's or column's contribution is dual x activity (non-zero only at an active bound).
    """
    lp = model.lp
    if lp.is_mip:
        return OwenResult(None, "not available: the joint model has integer tier/lot decisions (a MILP); Owen's "
                                "dual allocation needs the grand coalition's LP duals")
    if sol.status != OPTIMAL or sol.row_duals is None or sol.col_duals is None:
        return OwenResult(None, f"not available: the grand coalition's LP has no duals ({sol.status})")
    n = len(model.members)
    act = sol.row_activity if sol.row_activity is not None else lp.row_activity(sol.x)
    u = np.zeros(n)
    dem = lp.row_blocks["member_demand"]
    np.add.at(u, model.demand["member_pos"].to_numpy(), (sol.row_duals * act)[dem.positions])
    for family in ("member_china_cap", "member_country_cap"):
        cap = lp.row_blocks.get(family)
        if cap is not None and cap.size:
            owner = cap.index["member"].map({m: i for i, m in enumerate(model.members)}).to_numpy()
            np.add.at(u, owner, (sol.row_duals * act)[cap.positions])
    acc = lp.row_blocks["pool_access"]
    if acc.size:   # each member's share of an access row's right-hand side
        u += ((sol.row_duals[acc.positions])[:, None] * model.access.to_numpy(dtype=float)).sum(axis=0)
    own = lp.var_blocks["own"]
    np.add.at(u, model.own["member_pos"].to_numpy(), (sol.col_duals * sol.x)[own.positions])
    u = to_millions(u)
    grand = to_millions(sol.objective)
    shared = grand - u.sum()
    if abs(shared) > OWEN_TOL * max(1.0, abs(grand)):
        return OwenResult(None, f"not available: pooled-offer capacities bind and carry {shared:,.4f} M of the "
                                "pooled cost that no member owns (the Owen allocation would not add up to c(N))",
                          shared)
    return OwenResult(u, "each member pays for its demand (and China cap) at the grand coalition's shadow "
                         "prices, less the value of the stand-alone capacity it brings (Owen 1975); one point "
                         "of the Owen set when duals are not unique", shared)


# --------------------------------------------------------------------------- MGA
def _direction_vectors(model: PoolModel) -> list[tuple[str, str, np.ndarray]]:
    """(label, measure, vector over columns) for each source's spend and member's pooled tonnes."""
    lp = model.lp
    cost = lp.arrays()[0]
    qty, own, take = lp.var_blocks["tier_qty"], lp.var_blocks["own"], lp.var_blocks["take"]
    src_q = model.tiers["offer"].map(model.offers.set_index("offer")["source"]).to_numpy()
    out = []
    for s in sorted(set(src_q) | set(model.own["source"])):
        v = np.zeros(lp.num_cols)
        v[qty.positions[src_q == s]] = cost[qty.positions[src_q == s]]
        sel = model.own["source"].to_numpy() == s
        v[own.positions[sel]] = cost[own.positions[sel]]
        out.append((f"spend with {s}", "currency M", to_millions(v)))
    for i, m in enumerate(model.members):
        v = np.zeros(lp.num_cols)
        v[take.positions[model.takes["member_pos"].to_numpy() == i]] = 1.0
        out.append((f"pooled tonnes to {m}", "t", v))
    return out


def plan_measures(model: PoolModel, x: np.ndarray) -> dict:
    """Total cost, spend per source and pooled tonnes per member of a plan."""
    return {name: float(v @ x) for name, _, v in _direction_vectors(model)}


class MgaWorker:
    """The MGA model (the joint model with the cost ceiling) in one process; :meth:`solve` solves
    one (direction, sense) from scratch (:func:`~optimizer.core.solver.solve_lp`), so an answer is
    the same in whichever process it is solved."""

    def __init__(self, payload):
        alt, self.options = payload
        self.directions = _direction_vectors(alt)
        self.lp = copy.deepcopy(alt.lp)       # its own costs: the caller's model stays as built

    def solve(self, task) -> tuple[str, np.ndarray | None]:
        """``task`` = (direction index, "min" | "max") -> (status, x or None)."""
        k, sense = task
        vec = self.directions[k][2]
        lp = self.lp
        for fam, block in lp.var_blocks.items():
            lp.set_costs(fam, (vec if sense == "min" else -vec)[block.positions])
        sol = solve_lp(lp, self.options)
        return sol.status, (sol.x if sol.has_solution else None)


def mga_model(model: PoolModel, optimum: Solution, slack: float) -> PoolModel:
    """The joint model again, with one more row: total cost <= (1 + slack) C*."""
    alt = build_pool_model(model.data)
    lp = alt.lp
    cost = lp.arrays()[0]
    nz = np.flatnonzero(cost)
    lp.add_constraints("cost_ceiling", pd.DataFrame({"slack": [slack]}),
                       Terms().add(np.zeros(nz.size, int), nz, cost[nz]), upper=(1.0 + slack) * optimum.objective,
                       doc="total cost within the MGA slack")
    return alt


def alternatives(model: PoolModel, optimum: Solution, slack: float, options: SolveOptions,
                 workers: int = 1, pool_factory=None) -> pd.DataFrame:
    """Near-optimal plans: for each direction, min and max it with cost <= (1 + slack) C*.

    Returns one row per solve: direction, sense, status, value, total cost (M),
    cost above optimum (%), L1 distance from the optimal plan (t), then every measure.
    ``workers`` > 1: the solves go to this process and ``workers`` - 1 worker processes (one HiGHS
    thread each; ``pool_factory``: a Dask cluster's pool of ``workers`` instead); each is a
    solve from scratch, so the table is the serial one to the last bit.
    """
    if slack <= 0 or optimum.x is None:
        return pd.DataFrame()
    opts = SolveOptions(**{**options.__dict__, "want_duals": False, "ranging": False})
    alt = mga_model(model, optimum, slack)
    local = MgaWorker((alt, opts))
    tasks = [(k, sense) for k in range(len(local.directions)) for sense in ("min", "max")]
    pool, helps = open_pool(MgaWorker, (alt, opts), min(workers, len(tasks)), pool_factory)
    if pool is None:
        answers = [local.solve(t) for t in tasks]
    else:
        with pool:
            answers = map_tasks(pool, "solve", tasks, local=local if helps else None)
    lp = alt.lp
    cost = lp.arrays()[0]
    tonnes_cols = np.concatenate([lp.var_blocks[f].positions for f in ("tier_qty", "own", "take")])
    base = plan_measures(model, optimum.x)
    rows = [{"direction": "optimal plan", "sense": "", "status": optimum.status, "value": np.nan,
             "total_cost": to_millions(optimum.objective), "above_optimum": 0.0, "distance_t": 0.0, **base}]
    for (k, sense), (status, x) in zip(tasks, answers):
        name, unit, vec = local.directions[k]
        row = {"direction": name, "sense": sense, "status": status, "unit": unit}
        if x is not None:
            total = to_millions(float(cost @ x))
            row.update(value=float(vec @ x), total_cost=total,
                       above_optimum=total / to_millions(optimum.objective) - 1.0 if optimum.objective else np.nan,
                       distance_t=float(np.abs(x[tonnes_cols] - optimum.x[tonnes_cols]).sum()),
                       **plan_measures(model, x))
        rows.append(row)
    return pd.DataFrame(rows)
