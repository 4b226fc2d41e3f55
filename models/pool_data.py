"""The validated, typed data contract between a pool workbook and the pooled-procurement model
(:mod:`models.pooling`).  Built by :func:`optimizer.pooling.load.load_pool_workbook`."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class PoolSettings:
    first_year: int | None = None
    last_year: int | None = None
    currency: str = "USD"
    members: tuple[str, ...] = ()
    mga_slack: float = 0.03
    china_sources: tuple[str, ...] = ("CN",)
    unmet_penalty: float = 0.0
    discount_rate: float = 0.0
    time_limit: float | None = None
    shapley_permutations: int = 2000
    seed: int = 0

    @property
    def years(self) -> list[int]:
        if self.first_year is None or self.last_year is None:
            return []
        return list(range(self.first_year, self.last_year + 1))


@dataclass(frozen=True)
class PoolData:
    """A validated pool workbook.

    Tables (columns are schema keys of :mod:`optimizer.pooling.schema`):
      members:    member, name, country
      demand:     member, material, year, demand       (planning years only)
      pooled:     offer, source, material, year, tier, tier_min, tier_max (inf = unlimited),
                  unit_price, min_lot
      access:     offer, member, capacity          (offers with access rights only)
      standalone: member, source, material, year, capacity, unit_price
      policy:     member, material, year, max_china_share, stage (direct, a stage or look-through)
      origins:    material, source, stage, country, share   (may be empty)
      split:      member, share (fraction of the pooled cost or of the savings)
    ``split_kind`` is "cost", "savings" or None; ``game`` the typed game (cost form) with
    ``game_kind`` "cost" or "savings", or None.  ``mode`` is "model" or "game".
    """

    settings: PoolSettings
    mode: str
    member_ids: tuple[str, ...]
    members: pd.DataFrame
    demand: pd.DataFrame
    pooled: pd.DataFrame
    access: pd.DataFrame
    standalone: pd.DataFrame
    policy: pd.DataFrame
    split: pd.DataFrame
    split_kind: str | None = None
    origins: pd.DataFrame | None = None   # None or empty: every stage happened where the source is
    game: object = None           # optimizer.pooling.games.Game (cost form) of a typed table
    game_kind: str | None = None
    warnings: tuple = ()          # validation warnings (optimizer.core.issues.Issue)
    source_file: str = ""
    source_sha256: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def member_names(self) -> dict[str, str]:
        if self.members.empty:
            return {m: m for m in self.member_ids}
        return dict(zip(self.members["member"], self.members["name"]))
