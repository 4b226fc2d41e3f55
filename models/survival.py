"""Time-to-survive as a constraint: the year-end stock that lets demand be met for N weeks if any
one source stops (the ``--survive-weeks`` option of ``solve``; the same floor in every scenario of
``risk``).  Kept apart from :mod:`models.sourcing` because it is optional and reads only the data
and the ``stock`` block of the LP.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from models.data import SourcingData

WEEKS_PER_YEAR = 52.0


def survival_stock_floor(data: SourcingData, weeks: float) -> pd.DataFrame:
    """Year-end stock that lets demand be met for ``weeks`` weeks if any one source stops:

        floor[m, t-1] = weeks/52 * max(0, max_n (demand[m,t] - sum_{s != n} capacity[m,s,t]))

    For each material m and planning year t after the first (the first year's opening stock is
    data), over the sources n that offer m in t.  Returns material, year (t-1), floor (t).
    """
    sup = data.supply[data.supply["year"].isin(set(data.years))]
    cap = sup.groupby(["material", "source", "year"], as_index=False)["capacity"].sum()
    alt = cap.groupby(["material", "year"])["capacity"].transform("sum") - cap["capacity"]
    dem = data.demand.set_index(["material", "year"])["demand"]
    demand = np.array([float(dem.get((m, t), 0.0)) for m, t in zip(cap["material"], cap["year"])])
    cap["floor"] = np.clip(demand - alt.to_numpy(), 0.0, None) * weeks / WEEKS_PER_YEAR
    later = cap[cap["year"] > data.settings.first_year]
    floor = later.groupby(["material", "year"], as_index=False)["floor"].max()
    floor["year"] = floor["year"] - 1
    return floor


def add_survival_floor(model, weeks: float) -> None:
    """stock[m,t] >= floor[m,t] of :func:`survival_stock_floor` (a raised lower bound, not a row).

    For each material and planning year with a positive floor.  Makes the time-to-survive of
    every source at least ``weeks`` weeks (a hard requirement; infeasible if capacity cannot
    build the stock).
    """
    floor = survival_stock_floor(model.data, weeks)
    lp = model.lp
    b = lp.var_blocks["stock"]
    lower = lp.col_lower[list(lp.var_blocks).index("stock")].copy()
    pos = {(m, int(t)): i for i, (m, t) in enumerate(zip(b.index["material"], b.index["year"]))}
    for m, t, v in zip(floor["material"], floor["year"], floor["floor"]):
        i = pos.get((m, int(t)))
        if i is not None:
            lower[i] = max(lower[i], float(v))
    lp.set_bounds("stock", lower=lower)
