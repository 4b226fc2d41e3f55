"""Small PoolData objects built in code (no workbook) for pooling tests."""
from __future__ import annotations

import numpy as np
import pandas as pd

from models.pool_data import PoolData, PoolSettings

POOLED_COLS = ["offer", "source", "material", "year", "tier", "tier_min", "tier_max", "unit_price", "min_lot"]
OWN_COLS = ["member", "source", "material", "year", "capacity", "unit_price"]


def make_pool(members, demand, pooled=(), standalone=(), access=(), policy=(), split=None,
              split_kind=None, **settings) -> PoolData:
    """PoolData built in code (no workbook); rows as tuples in the schema column order."""
    dem = pd.DataFrame(demand, columns=["member", "material", "year", "demand"])
    years = sorted(set(dem["year"]))
    s = dict(first_year=years[0], last_year=years[-1], members=tuple(members), mga_slack=0.0,
             unmet_penalty=10_000.0)
    s.update(settings)
    pooled = pd.DataFrame(list(pooled), columns=POOLED_COLS)
    pooled["tier_max"] = pooled["tier_max"].astype(float).fillna(np.inf)
    return PoolData(
        settings=PoolSettings(**s), mode="model", member_ids=tuple(members),
        members=pd.DataFrame({"member": list(members), "name": list(members), "country": ""}),
        demand=dem, pooled=pooled,
        access=pd.DataFrame(list(access), columns=["offer", "member", "capacity"]),
        standalone=pd.DataFrame(list(standalone), columns=OWN_COLS),
        policy=pd.DataFrame(list(policy), columns=["member", "material", "year", "max_china_share"]),
        split=split if split is not None else pd.DataFrame({"member": [], "share": []}), split_kind=split_kind)
