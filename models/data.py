"""The validated, typed data contract between the workbook and the model.

The model (``models/``) only ever sees a :class:`SourcingData`; it never touches a
file.  Tables are pandas DataFrames whose columns are the ``key`` names declared in
:mod:`optimizer.sourcing.schema` (not the workbook's header text), with ids as ``str``,
years as ``int`` and numbers as ``float`` (NaN only where the schema allows a blank).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd


@dataclass(frozen=True)
class Settings:
    first_year: int
    last_year: int
    base_year: int
    currency: str = "USD"
    discount_rate: float = 0.0
    risk_weight: float = 0.0
    unmet_penalty: float | None = None   # currency/kg; None = per-material default (models.sourcing)
    stock_shortfall_penalty: float | None = None  # currency/kg/yr; None = per-material default
    stock_targets: str = "soft"          # soft: a shortfall is penalised and reported; hard: must be met
    max_single_source_share: float | None = None
    investment_budget_total: float | None = None
    integer_investments: bool = False
    backend: str = "native"
    solver: str = "highs"
    time_limit: float | None = None
    scenario: str = ""
    periods_per_year: int = 1            # 1, 4 or 12: stock, deliveries and disruptions run per period
    language: str = ""                   # en | ko: the language of terminal summaries (blank = English)

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


@dataclass(frozen=True)
class SourcingData:
    """Everything the model needs, validated.

    Tables (columns are schema keys):
      materials:   material, name, group, china_cap_applies, reference_value, holding_cost, opening_stock,
                   unmet_penalty, shortfall_penalty (NaN = default), stages (optional: "" = all)
      suppliers:   source, name, country, bloc, risk, rationale, country_id (optional: "" = source)
      supply:      material, source, year, capacity, unit_cost, min_volume, max_increase (NaN = none)
      demand:      material, year, demand
      policy:      year, scope, max_china_share (the cap, whatever it measures), country ("china" =
                   the China bloc, a bloc, a country id or "ANY"), stage (a measure of
                   models.origins.MEASURES); the last two optional (China bloc, direct)
      stockpile:   material, year, target_days
      investments: project, name, material, source, capacity, capex, opex, earliest_year, lead_time
      budget:      year, capex_budget
      scenarios:   scenario, sheet, material, source, year, target, operation, value, note
      origins:     material, source, year (NaN = every year), stage, country, share
      conversion:  process, name, material (output), source, stages, year (NaN = every year), capacity,
                   unit_cost
      conversion_inputs: process, material (input), input_per_t
    """

    settings: Settings
    materials: pd.DataFrame
    suppliers: pd.DataFrame
    supply: pd.DataFrame
    demand: pd.DataFrame
    policy: pd.DataFrame
    stockpile: pd.DataFrame
    investments: pd.DataFrame
    budget: pd.DataFrame
    scenarios: pd.DataFrame = field(default_factory=pd.DataFrame)
    origins: pd.DataFrame = field(default_factory=pd.DataFrame)
    conversion: pd.DataFrame = field(default_factory=pd.DataFrame)
    conversion_inputs: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: tuple = ()          # validation warnings (optimizer.core.issues.Issue)
    source_file: str = ""
    source_sha256: str = ""

    @property
    def years(self) -> list[int]:
        return self.settings.years

    def with_settings(self, **changes) -> "SourcingData":
        return replace(self, settings=replace(self.settings, **changes))

    def scenario_names(self) -> list[str]:
        if self.scenarios is None or self.scenarios.empty:
            return []
        return list(dict.fromkeys(self.scenarios["scenario"].tolist()))
