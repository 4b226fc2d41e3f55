"""What one run produces: the object the report writers (workbook, terminal, web) read.

All money in report tables is in currency **millions** unless a column says otherwise;
masses in tonnes; shares as fractions (0.5 = 50 %).  Tables are pandas DataFrames
with exactly the columns documented below (the report writers rely on them).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

UNCAPPED = "ALL (uncapped)"   # scope of the shares rows for planning years without an ALL cap

SIGN_CONVENTION = (
    "Shadow prices are the change in total objective (discounted, currency millions) per unit "
    "increase of the constraint's right-hand side, all else fixed. For a China cap they are "
    "quoted per +1 percentage point of allowed China share: a negative number is money saved "
    "by relaxing the cap by one point (equivalently, the cost of tightening it by one point is "
    "the same number with the sign flipped). Duals may not be unique when the LP is degenerate; "
    "the allowable ranges say how far the right-hand side can move before the price changes."
)


@dataclass
class RunResult:
    """Everything a report needs about one solve.

    status / status_message / proven_optimal: outcome in plain words.
    objective: total objective in currency millions (discounted, incl. penalties).
    objective_parts: {"purchases", "holding", "capex", "project opex", "risk charge",
        "unmet demand penalty", "stock shortfall penalty"} -> currency millions (discounted).
    plan: material, source, source_name, bloc, year, tonnes, unit_cost (currency/kg),
        cost (currency M, undiscounted), capacity (t), min_volume (t), utilisation (0-1).
    shares: one row per Policy row and year: year, scope, china_share, target,
        within_target (bool), headroom_pp (target - share, in percentage points).
        Plus rows with scope "ALL (uncapped)" for planning years without an ALL cap.
    bloc_mix: year, material ("ALL" = value-weighted over capped materials), bloc,
        tonnes, share (value share within that material/year).
    cap_sensitivity: year, scope, target, china_share, binding (bool),
        shadow_price_per_pp (currency M per +1 pp), rhs_share_low, rhs_share_high
        (range of the target, as shares, over which that price holds; NaN = unknown/unbounded).
    capacity_sensitivity: material, source, year, capacity, tonnes, at_capacity (bool),
        value_per_t (currency/kg saved per extra tonne of capacity, >= 0),
        cost_low, cost_high (unit-cost range over which the purchase plan stays optimal;
        NaN = unknown/unbounded).
    demand_sensitivity: material, year, demand, marginal_cost (currency/kg per +1 t demand).
    investments: project, name, material, source, capacity, capex (currency M),
        built_share (0-1), first_output_year (or None), capex_year (or None),
        total_output (t).
    stockpile: material, year, opening, purchases, project_output, demand, unmet, closing,
        target (t), cover_days, shortfall (t).
    unmet: material, year, demand, unmet (t), unmet_share.
    diagnostics: kind, item, detail   (kind in: binding, slack, warning, explanation, check).
    explanation: plain-language sentences explaining unmet demand / infeasibility.
    time_to_survive: source, material, year, demand, capacity, alt_capacity, start_stock,
        tts_weeks, ttr_weeks, critical, lost_t, impact -- weeks demand is met if the source
        stops at the start of the year, from the plan's stock and the other sources'
        capacity (:mod:`optimizer.sourcing.tts`).
    exposure: rank, source, impact, min_tts_weeks, lost_t, rei (risk exposure ranking).
    manifest: tool_version, backend, solver, input_file, input_sha256, scenario,
        started_at (ISO), python, highspy, pulp, pyomo, openpyxl versions,
        timings {load, validate, build, solve, report} in seconds, status.
    currency: currency label.
    """

    status: str
    status_message: str
    proven_optimal: bool
    objective: float | None = None
    objective_parts: dict = field(default_factory=dict)
    plan: pd.DataFrame = field(default_factory=pd.DataFrame)
    shares: pd.DataFrame = field(default_factory=pd.DataFrame)
    bloc_mix: pd.DataFrame = field(default_factory=pd.DataFrame)
    cap_sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    capacity_sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    demand_sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    investments: pd.DataFrame = field(default_factory=pd.DataFrame)
    stockpile: pd.DataFrame = field(default_factory=pd.DataFrame)
    unmet: pd.DataFrame = field(default_factory=pd.DataFrame)
    diagnostics: pd.DataFrame = field(default_factory=pd.DataFrame)
    time_to_survive: pd.DataFrame = field(default_factory=pd.DataFrame)
    exposure: pd.DataFrame = field(default_factory=pd.DataFrame)
    explanation: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    currency: str = "USD"
    duals_indicative: bool = False   # True for a MIP (integers fixed, LP re-solved)
    years: list[int] = field(default_factory=list)
