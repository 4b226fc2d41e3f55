"""``run_pool``: coalition values, cost shares, the proposed split's verdict, the joint plan.

The order: (joint model) build once -> grand coalition plan -> every coalition by
bound changes -> game -> allocations (proportional x2, pay-as-you-take, Shapley,
nucleolus, least core, Owen) -> core check of each and of the proposed split ->
near-optimal alternatives.  A typed game (CoalitionCosts sheet) skips the model steps.
Every allocation is a cost share (what each member pays); for a savings game the
report shows the same numbers with the sign flipped (each member's share of savings).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.pooling import build_pool_model, plan_tables
from models.units import to_millions
from optimizer.core import limits as LIM
from optimizer.core.solver import OPTIMAL, SOLVER_ERROR, SOLVER_MISSING, TIME_LIMIT_FEASIBLE
from optimizer.pooling import coalitions as C
from optimizer.pooling import joint as J
from optimizer.pooling.games import (EXACT_MAX_PLAYERS, CoreCheck, Game, GameError, core_check, is_concave, proportional, shapley, shapley_sampled)
from models.pool_data import PoolData
from optimizer.pooling.nucleolus import least_core, nucleolus
from optimizer.core.solver import SolveOptions

METHODS = {   # key -> column title in the report
    "prop_volume": "Proportional to volume",
    "prop_standalone": "Proportional to stand-alone cost",
    "pay_as_you_take": "Own deliveries at pool prices",
    "shapley": "Shapley",
    "nucleolus": "Nucleolus",
    "least_core": "Least core (nearest Shapley)",
    "owen": "Owen (dual prices)",
    "proposed": "Proposed split",
}
DUALS_NOTE = ("The joint model is a MILP (volume tiers / minimum lots): its shadow prices come from the LP "
              "with the integer decisions fixed at their optimal values and are indicative only.")


@dataclass
class PoolResult:
    data: PoolData
    status: str                                   # overall: optimal unless some solve was not
    kind: str                                     # "cost" or "savings" (how the game is presented)
    unit: str                                     # e.g. "USD M" or "as typed"
    members: tuple[str, ...]
    game: Game | None = None                      # exact game (cost form), None when sampled
    table: C.CoalitionTable | None = None
    standalone: np.ndarray | None = None          # c({i}) (cost form)
    allocations: dict[str, np.ndarray | None] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    checks: dict[str, CoreCheck] = field(default_factory=dict)
    least_core_epsilon: float | None = None
    nucleolus_note: str = ""
    shapley_half_width: np.ndarray | None = None
    shapley_text: str = ""
    concave: bool | None = None
    grand_status: str = ""
    grand_parts: dict = field(default_factory=dict)    # the grand plan's cost parts (currency M, discounted)
    mip: bool = False
    plan: dict = field(default_factory=dict)
    alternatives: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    @property
    def grand_money(self) -> float | None:
        """Money the pool spends in its joint plan (pooled and stand-alone purchases, currency M)."""
        if not self.grand_parts:
            return None
        return float(sum(v for k, v in self.grand_parts.items() if k.endswith("purchases")))

    @property
    def grand_penalty(self) -> float:
        """The unmet-demand penalty inside c(N) (not money; 0 when every member's demand is met)."""
        return float(self.grand_parts.get("unmet demand penalty", 0.0))

    @property
    def grand(self) -> float:
        return float(self.table.grand_cost if self.table is not None else self.game.grand)

    def shown(self, x):
        """A cost-form number as presented: cost shares, or savings shares for a savings game."""
        return None if x is None else (x if self.kind == "cost" else -np.asarray(x))


def _options(data: PoolData) -> SolveOptions:
    return SolveOptions(time_limit=data.settings.time_limit, mip_gap=1e-9, ranging=False, want_duals=False)


def run_pool(data: PoolData, mga_slack: float | None = None, workers: int = 1,
             pool_factory=None) -> PoolResult:
    """Everything ``sourcing pool`` reports, for validated pool data (``workers``: processes for
    the exact coalition table and the near-optimal alternatives, one HiGHS thread each;
    ``pool_factory``: e.g. a Dask cluster's)."""
    if data.mode == "game":
        res = PoolResult(data, OPTIMAL, data.game_kind, "as typed", data.member_ids, game=data.game)
        res.standalone = data.game.standalone()
        _allocate(res, volumes=None, usage=None, owen=None)
        return res
    s = data.settings
    res = PoolResult(data, OPTIMAL, "cost", f"{s.currency} M", data.member_ids)
    t0 = time.perf_counter()
    model = build_pool_model(data)
    res.mip = model.lp.is_mip
    res.timings["build"] = time.perf_counter() - t0
    opts = _options(data)
    t0 = time.perf_counter()
    grand = J.solve_grand(model, opts)
    res.timings["grand"] = time.perf_counter() - t0
    res.grand_status = grand.status
    if grand.status in (SOLVER_MISSING, SOLVER_ERROR):
        res.status = grand.status
        res.notes.append(f"grand coalition: {grand.message}")
        return res
    if res.mip:
        res.notes.append(DUALS_NOTE)
    t0 = time.perf_counter()
    n = len(data.member_ids)
    if n <= exact_limit(res.mip):
        res.table = C.coalition_table(model, opts, workers=workers, pool_factory=pool_factory)
    else:
        res.table = C.CoalitionTable.sparse(tuple(data.member_ids), model.lp.is_mip)
        cost_of = C.coalition_cost_function(model, res.table, opts)
        for i in range(n):
            cost_of(1 << i)
        cost_of(2 ** n - 1)
    res.timings["coalitions"] = time.perf_counter() - t0
    if not res.table.all_optimal:
        bad = [r["coalition"] for r in res.table.rows() if r["status"] != OPTIMAL]
        res.status = TIME_LIMIT_FEASIBLE if all(st == TIME_LIMIT_FEASIBLE for st in res.table.statuses()
                                                  if st not in ("", OPTIMAL)) else SOLVER_ERROR
        res.notes.append(f"{len(bad)} coalition(s) not solved to proven optimality ({', '.join(bad[:5])}): "
                         "the shares below use their best known costs and are not reliable")
    if res.table.total_unmet() > 1e-6:
        res.notes.append("some coalitions leave demand unmet; their costs include the unmet-demand penalty "
                         f"({s.unmet_penalty:,.2f} {s.currency}/kg)")
    res.standalone = res.table.standalone()
    if res.table.complete:
        res.game = res.table.game()
    if grand.has_solution:
        res.plan = plan_tables(model, grand.x)
        res.grand_parts = {k: to_millions(v) for k, v in model.lp.part_values(grand.x).items()}
    volumes = data.demand.groupby("member")["demand"].sum().reindex(list(data.member_ids)).fillna(0.0).to_numpy()
    usage = _pay_as_you_take(res, model, grand)
    owen = J.owen_allocation(model, grand)
    _allocate(res, volumes, usage, owen, model=model, opts=opts)
    slack = s.mga_slack if mga_slack is None else mga_slack
    t0 = time.perf_counter()
    if grand.status == OPTIMAL and slack > 0:
        res.alternatives = J.alternatives(model, grand, slack, opts, workers=workers, pool_factory=pool_factory)
    res.timings["alternatives"] = time.perf_counter() - t0
    return res


def exact_limit(mip: bool) -> int:
    """Members up to which every coalition is solved: 12 for an LP joint model (4,095 fast
    re-solves), 10 for a MILP one (1,023 branch-and-bound solves); beyond, sampled Shapley."""
    return EXACT_MAX_PLAYERS if not mip else min(EXACT_MAX_PLAYERS, LIM.EXACT_MAX_MIP_PLAYERS)


def _pay_as_you_take(res: PoolResult, model, grand) -> np.ndarray | None:
    """Each member pays for what it receives at the pool's prices, plus its unmet penalty."""
    if not grand.has_solution:
        return None
    dl = res.plan["deliveries"]
    pay = dl.groupby("member")["cost"].sum().reindex(list(res.members)).fillna(0.0).to_numpy()
    unmet = res.plan["members"]
    df = (1.0 + res.data.settings.discount_rate) ** -(unmet["year"] - res.data.settings.first_year)
    pen = to_millions(unmet["unmet"] * df * res.data.settings.unmet_penalty).groupby(unmet["member"]).sum()
    return pay + pen.reindex(list(res.members)).fillna(0.0).to_numpy()


def _allocate(res: PoolResult, volumes, usage, owen, model=None, opts=None) -> None:
    """Fill res.allocations / unavailable / checks for every method and the proposed split."""
    grand, alone = res.grand, res.standalone
    A, U = res.allocations, res.unavailable
    if volumes is not None:
        A["prop_volume"] = proportional(grand, volumes)
    else:
        U["prop_volume"] = "not available for a typed game (no volumes)"
    A["prop_standalone"] = proportional(grand, alone)
    if np.isnan(A["prop_standalone"]).all():
        A["prop_standalone"] = None
        U["prop_standalone"] = "not available: the stand-alone costs add up to zero"
    if usage is not None:
        A["pay_as_you_take"] = usage
    else:
        U["pay_as_you_take"] = "not available for a typed game (no joint plan)"
    game = res.game
    if game is not None:
        A["shapley"] = shapley(game)
        res.shapley_text = "exact Shapley value over all orders of arrival"
        res.concave = is_concave(game)
        try:
            nuc = nucleolus(game)
            A["nucleolus"] = nuc.x
            res.nucleolus_note = nuc.note or (f"{len(nuc.levels)} excess level(s), {nuc.lp_count} LPs "
                                              "(only coalitions tight in every optimal solution fixed)")
            lc = least_core(game)
            A["least_core"] = lc.x
            res.least_core_epsilon = lc.epsilon
        except GameError as err:
            U["nucleolus"] = U["least_core"] = f"not available: {err}"
    else:
        s = res.data.settings
        cost_of = C.coalition_cost_function(model, res.table, opts)
        budget = LIM.MAX_SAMPLED_MIP_SOLVES if res.mip else LIM.MAX_SAMPLED_SOLVES
        sampled = shapley_sampled(len(res.members), cost_of, s.shapley_permutations, s.seed, max_solves=budget)
        A["shapley"] = sampled.value
        res.shapley_half_width = sampled.half_width
        limit = exact_limit(res.mip)
        res.shapley_text = (f"{len(res.members)} members: more than the {limit} for which every coalition is "
                            f"solved ({'MILP' if res.mip else 'LP'} joint model), so it is sampled. " + sampled.bound_text)
        for k in ("nucleolus", "least_core"):
            U[k] = (f"not computed above {limit} members (needs all "
                    f"{2 ** len(res.members) - 1:,} coalition costs)")
    if owen is None:
        U["owen"] = "not available for a typed game (needs the joint LP's dual prices)"
    elif owen.x is None:
        U["owen"] = owen.reason
    else:
        A["owen"] = owen.x
    split = proposed_allocation(res)
    if split is not None:
        A["proposed"] = split
    if game is not None:
        for k, x in A.items():
            if x is not None and np.isfinite(x).all():
                res.checks[k] = core_check(game, x)
    for k in METHODS:
        if k not in A and k not in U and k != "proposed":
            U[k] = "not available"


def proposed_allocation(res: PoolResult) -> np.ndarray | None:
    """The ProposedSplit sheet as cost shares (cost form).

    Share of pooled cost:  x_i = share_i * c(N).
    Share of savings:      x_i = c({i}) - share_i * (sum_j c({j}) - c(N)).
    """
    d = res.data
    if d.split_kind is None or d.split.empty:
        return None
    share = d.split.set_index("member")["share"].reindex(list(res.members)).fillna(0.0).to_numpy()
    alone, grand = res.standalone, res.grand
    if d.split_kind == "cost":
        return share * grand
    return alone - share * (alone.sum() - grand)


def verdict_table(res: PoolResult) -> pd.DataFrame:
    """Per member under the proposed split: share, pays, stand-alone cost, saving, saving %, better off?"""
    x = res.allocations.get("proposed")
    if x is None:
        return pd.DataFrame()
    alone = res.standalone
    share = res.data.split.set_index("member")["share"].reindex(list(res.members)).to_numpy()
    out = pd.DataFrame({"member": list(res.members), "share": share, "pays": x, "standalone": alone,
                        "saving": alone - x})
    out["saving_pct"] = np.where(alone != 0, out["saving"] / np.where(alone != 0, alone, 1.0), np.nan)
    out["better_off"] = out["saving"] >= -1e-9 * max(1.0, float(np.abs(alone).max()))
    return out


def allocation_table(res: PoolResult) -> pd.DataFrame:
    """Members x methods (as presented: cost shares, or savings shares for a savings game)."""
    cols = {"member": list(res.members), "standalone": res.shown(res.standalone)}
    for k, title in METHODS.items():
        x = res.allocations.get(k)
        if x is not None:
            cols[k] = res.shown(x)
    return pd.DataFrame(cols)


__all__ = ["PoolResult", "run_pool", "allocation_table", "verdict_table", "METHODS"]
