"""Expressions over the sourcing model's columns that every report reads: the objective's parts
(declared once, by the ``add_*`` functions of :mod:`models.sourcing`) and the risk-weighted
volume (the frontier's second objective)."""
from __future__ import annotations

import numpy as np

from models.sourcing import COST_PARTS, SourcingModel

def objective_parts(model: SourcingModel, x: np.ndarray, undiscounted: bool = False) -> dict[str, float]:
    """Every part of :data:`COST_PARTS` at ``x`` (k-currency, discounted unless ``undiscounted``;
    0 for a part the model does not have), in that order."""
    values = model.lp.part_values(x, undiscounted)
    return {name: values.get(name, 0.0) for name in COST_PARTS}


def part_vectors(model: SourcingModel) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every part of :data:`COST_PARTS` as ``(positions, coefficients)`` (empty where absent)."""
    vec = model.lp.part_vectors()
    empty = (np.zeros(0, np.int64), np.zeros(0))
    return {name: vec.get(name, empty) for name in COST_PARTS}


def risk_weighted_volume(model: SourcingModel) -> np.ndarray:
    """sum risk_s * reference_value_m * tonnes (k-currency-equivalent, undiscounted) over
    purchases and project output (the project's source's risk); a tonne of unmet demand
    counts with risk 1 (certain non-supply), so lowering risk never means serving less.
    A vector over the LP's columns (the frontier's second objective)."""
    lp, data = model.lp, model.data
    vec = np.zeros(lp.num_cols)
    o = model.offers
    vec[lp.var_blocks["buy"].positions] = o["risk"].to_numpy(float) * o["reference_value"].to_numpy(float)
    ref = dict(zip(data.materials["material"], data.materials["reference_value"]))
    make = lp.var_blocks["make"]
    if make.size:
        inv = data.investments.set_index("project")
        risk = dict(zip(data.suppliers["source"], data.suppliers["risk"]))
        vec[make.positions] = [risk.get(inv.at[p, "source"], 1.0) * ref[inv.at[p, "material"]]
                               for p in make.index["project"]]
    un = lp.var_blocks["unmet"]
    vec[un.positions] = un.index["material"].map(ref).to_numpy(float)
    return vec


def purchase_prices(model: SourcingModel) -> np.ndarray:
    """The discounted price per tonne of every supply offer (k-currency/t, in offer order): the
    model's "purchases" cost part on its ``buy`` columns."""
    buy = model.lp.var_blocks["buy"]
    out = np.zeros(buy.size)
    pos, coef = model.lp.part_vectors().get("purchases", (np.zeros(0, np.int64), np.zeros(0)))
    out[pos - buy.start] = coef
    return out
