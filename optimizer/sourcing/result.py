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
    "Prices are changes in the objective the optimiser minimises (money spent plus the penalties of "
    "missed targets plus the risk charge; discounted, currency millions) when one constraint moves, "
    "all else fixed. For each China cap the sheet gives two prices, both positive: the cost of one "
    "percentage point tighter and the saving of one point looser, each with the range of the target "
    "over which it holds; they differ where the target sits at a kink of the cost curve. They are "
    "checked by re-solving the model (column 'range exact'), so they hold even where the solver's "
    "dual alone would not (a degenerate plan, a cap that does not bind). The shadow price column is the solver's sign "
    "convention: the change per +1 point of allowed China share (negative = relaxing saves)."
)


@dataclass
class RunResult:
    """Everything a report needs about one solve.

    status / status_message / proven_optimal: outcome in plain words.
    objective: what the optimiser minimised, currency millions (discounted): money spent plus
        the penalties of missed targets plus the risk charge (a weight).  Reports never show it as
        "cost": see :mod:`optimizer.sourcing.views` for money, missed targets and weights apart.
    objective_parts: {"purchases", "risk charge", "holding", "capex", "project opex",
        "unmet demand penalty", "stock shortfall penalty"} -> currency millions (discounted);
        objective_parts_undiscounted the same without discounting.
    plan: material, source, source_name, bloc, year, tonnes, unit_cost (currency/kg),
        cost (currency M, undiscounted), capacity (t), min_volume (t), utilisation (0-1).
    shares: one row per Policy row and year: year, scope, china_share, target,
        within_target (bool), headroom_pp (target - share, in percentage points).
        Plus rows with scope "ALL (uncapped)" for planning years without an ALL cap.
    bloc_mix: year, material ("ALL" = value-weighted over capped materials), bloc,
        tonnes, share (value share within that material/year).
    cap_sensitivity: year, scope, target, china_share, binding (bool),
        cost_per_pp_tighter (currency M for one percentage point tighter, >= 0), valid for the
        target down to rhs_share_low; saving_per_pp_looser (currency M for one point looser, >= 0)
        valid up to rhs_share_high (inf = no limit); shadow_price_per_pp = -saving_per_pp_looser;
        tightening_free_pp (points the target can tighten before it costs anything);
        range_exact (False: the range is at least this wide).
    capacity_sensitivity: material, source, year, capacity, tonnes, at_capacity (bool),
        value_per_t (currency/kg saved per extra tonne of capacity, >= 0),
        cost_low, cost_high (unit-cost range over which the purchase plan stays optimal;
        NaN = unknown/unbounded).
    demand_sensitivity: material, year, demand, marginal_cost (currency/kg: the balance row's
        dual alone), total_marginal_cost (currency/kg per +1 t of demand, with the China caps,
        single-source caps and stock target that move with demand).
    investments: project, name, material, source, capacity, capex (currency M),
        built_share (0-1), first_output_year (or None), capex_year (or None),
        total_output (t).
    stockpile: material, year, opening, purchases, project_output, demand, unmet, closing,
        target (t), target_days, cover_days, shortfall (t), shortfall_penalty_m (currency M,
        discounted: the penalty charged in the objective, not money paid).
    unmet: material, year, demand, unmet (t), unmet_share, penalty_m (currency M, discounted).
    diagnostics: kind, item, detail   (kind in: binding, missed target, warning, explanation,
        check; item is a sentence with its code in the naming grammar).
    explanation: plain-language sentences explaining unmet demand / infeasibility.
    dependence: year, scope, measure, country, share, value, weighted_demand -- every country's
        share on every measure (optimizer.sourcing.dependence.dependence_table).
    cap_shares: the caps on other measures than the China bloc's direct share (models.caps:
        scope, year, spec, country, stage, max_china_share = the target, share, row, ...).
    conversion: process, year, output_material, output_t, input_material, source, input_t.
    country_tts: time-to-survive if a country stops, directly or at the refining stage
        (optimizer.sourcing.tts.country_time_to_survive).
    time_to_survive: source, material, year, demand, capacity, alt_capacity, start_stock,
        tts_weeks, ttr_weeks, critical, lost_t, impact -- weeks demand is met if the source
        stops at the start of the year, from the plan's stock and the other sources'
        capacity (:mod:`optimizer.sourcing.tts`).
    exposure: rank, source, impact, min_tts_weeks, lost_t, rei (risk exposure ranking).
    manifest: tool_version, backend, solver, input_file, input_sha256, scenario,
        started_at (ISO), python, highspy, pulp, pyomo, openpyxl versions,
        timings in seconds {load_validate, build, solve, analyse, write}; within them
        "ranging (part of solve)" (HiGHS's ranging) and "re-solves (part of analyse)" (the
        China caps' sensitivity re-solves and the explanation's diagnostic LPs, build and
        solve), each shown only when it ran; status.
    currency: currency label.
    """

    status: str
    status_message: str
    proven_optimal: bool
    objective: float | None = None
    objective_parts: dict = field(default_factory=dict)
    objective_parts_undiscounted: dict = field(default_factory=dict)
    plan: pd.DataFrame = field(default_factory=pd.DataFrame)
    shares: pd.DataFrame = field(default_factory=pd.DataFrame)
    bloc_mix: pd.DataFrame = field(default_factory=pd.DataFrame)
    cap_sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    capacity_sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    demand_sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    investments: pd.DataFrame = field(default_factory=pd.DataFrame)
    stockpile: pd.DataFrame = field(default_factory=pd.DataFrame)
    # periods within years (periods_per_year > 1): material, year, period, stock, cover_weeks
    period_stock: pd.DataFrame = field(default_factory=pd.DataFrame)
    periods_per_year: int = 1
    unmet: pd.DataFrame = field(default_factory=pd.DataFrame)
    diagnostics: pd.DataFrame = field(default_factory=pd.DataFrame)
    time_to_survive: pd.DataFrame = field(default_factory=pd.DataFrame)
    exposure: pd.DataFrame = field(default_factory=pd.DataFrame)
    dependence: pd.DataFrame = field(default_factory=pd.DataFrame)
    country_tts: pd.DataFrame = field(default_factory=pd.DataFrame)
    cap_shares: pd.DataFrame = field(default_factory=pd.DataFrame)
    conversion: pd.DataFrame = field(default_factory=pd.DataFrame)
    explanation: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    currency: str = "USD"
    language: str = ""                   # the Settings row language (en | ko; blank = English)
    duals_indicative: bool = False   # True for a MIP (integers fixed, LP re-solved)
    years: list[int] = field(default_factory=list)
