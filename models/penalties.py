"""Penalty prices of the sourcing model's elastic slacks: unmet demand and stock shortfall.

Penalties exist so that an impossible target is reported (and explained) instead of making the
model infeasible; they are never money spent.  Reports show them apart from the cost parts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from models.data import SourcingData


SHORTFALL_DEFAULT_MULTIPLE = 1.5   # x the material's highest unit cost, per kg and year


def unmet_default_multiple(n_years: int) -> float:
    """x the material's highest unit cost, per kg: max(10, 2 x horizon years)."""
    return max(10.0, 2.0 * n_years)


def material_penalties(data: SourcingData) -> pd.DataFrame:
    """Per material: unmet-demand and stock-shortfall penalties (currency/kg).

    Precedence: the Materials sheet's own column, then the Settings value, then a default
    proportional to the material's highest unit cost c_m over the planning years (its
    reference value if it has no offer):

        shortfall_m = 1.5 c_m per kg and year     unmet_m = max(10, 2 n) c_m per kg

    with n the number of planning years.  Why these multiples:
    * shortfall > c_m: topping up a stock shortfall is always worth buying where supply
      allows, also in the last planning year (no end-of-horizon run-down of the stockpile);
    * unmet > 1.5 c_m x n: a tonne of demand left unserved always costs more than a tonne
      of stock missing for the whole horizon, so stock targets never crowd out demand;
    * proportional to each material's value, so a value-weighted China cap never makes it
      "cheap" to leave a high-value material unserved.
    """
    mats = data.materials
    s = data.settings
    sup = data.supply[data.supply["year"].isin(set(data.years))]
    top = sup.groupby("material")["unit_cost"].max()
    base = mats["material"].map(top).fillna(mats["reference_value"]).clip(lower=1.0).to_numpy(dtype=float)
    out = pd.DataFrame({"material": mats["material"]})
    for col, setting, mult in (("unmet_penalty", s.unmet_penalty, unmet_default_multiple(len(data.years))),
                               ("shortfall_penalty", s.stock_shortfall_penalty, SHORTFALL_DEFAULT_MULTIPLE)):
        own = mats[col].to_numpy(dtype=float) if col in mats else np.full(len(mats), np.nan)
        fallback = np.full(len(mats), float(setting)) if setting is not None else mult * base
        out[col] = np.where(np.isnan(own), fallback, own)
    return out
