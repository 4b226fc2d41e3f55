"""What Korea makes from what it buys: domestic conversion of purchased inputs.

A process q (Conversion sheet) makes its output material from inputs (ConversionInputs: tonnes
of input i per tonne of output, r_qi = 1 / yield), in the same year it buys them:

    conv[q,t]   tonnes of output, 0 <= conv <= capacity[q], cost df_t * conversion_cost[q]
    use[q,o]    tonnes of input offer o = (i, s, t) the process consumes

    recipe[q,i,t]:   sum_{o of input i in t} use[q,o] - r_qi * conv[q,t] = 0
    use_limit[o]:    sum_q use[q,o] - buy[o] <= 0             (only what was bought is used)

and the material balances take ``+conv`` for the output and ``-use`` for the inputs
(:func:`balance_terms`).  Because every tonne used is a named purchase, the output inherits
its inputs' origins linearly (:mod:`models.caps`): at an upstream stage the output of q is
``sum_i alpha_i / r_qi * sum_o share(o) * use[q,o]`` with alpha_i the input's value weight
(r_qi * w_i over the inputs that have that stage); at the stages q performs itself, and on the
direct measure, it is the country of q's source.  Inputs bought for conversion count in the
product they become, not in the input's own share (whose denominator is the demand for the
input itself), so no tonne is counted twice and every cap keeps its target as a right-hand side.

For each process q and planning year t with a capacity (Conversion rows: a year's own row, else
the row without a year); for each input offer o of q in those years.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from models.lp import Terms
from models.origins import parse_stages


def processes(data) -> pd.DataFrame:
    """One row per (process, planning year) it can run, with that year's capacity and cost: a
    row with a year sets that year, a row without one every other year; capacity 0 = idle."""
    conv = getattr(data, "conversion", None)
    if conv is None or conv.empty:
        return pd.DataFrame({"process": pd.Series(dtype=str), "year": pd.Series(dtype=int),
                             "capacity": pd.Series(dtype=float), "unit_cost": pd.Series(dtype=float)})
    rows = {}
    for r in conv.itertuples(index=False):
        if pd.isna(r.year):
            for t in data.years:
                rows.setdefault((r.process, t), (r.capacity, r.unit_cost))
    for r in conv.itertuples(index=False):
        if not pd.isna(r.year) and int(r.year) in set(data.years):
            rows[(r.process, int(r.year))] = (r.capacity, r.unit_cost)
    out = pd.DataFrame([(q, t, c, u) for (q, t), (c, u) in sorted(rows.items()) if c > 0],
                       columns=["process", "year", "capacity", "unit_cost"])
    return out.astype({"year": int})


def process_info(data) -> pd.DataFrame:
    """One row per process: material, source, stages, name (the first row of the process)."""
    conv = getattr(data, "conversion", None)
    if conv is None or conv.empty:
        return pd.DataFrame(columns=["process", "name", "material", "source", "stages"])
    return conv.drop_duplicates("process")[["process", "name", "material", "source", "stages"]].reset_index(drop=True)


def inputs(data) -> pd.DataFrame:
    ci = getattr(data, "conversion_inputs", None)
    if ci is None or ci.empty:
        return pd.DataFrame({"process": pd.Series(dtype=str), "material": pd.Series(dtype=str),
                             "input_per_t": pd.Series(dtype=float)})
    return ci[["process", "material", "input_per_t"]].reset_index(drop=True)


def own_stages(data) -> dict[str, tuple[str, ...]]:
    info = process_info(data)
    return {q: parse_stages(s) for q, s in zip(info["process"], info["stages"])}


def add_conversion_variables(model) -> None:
    """conv[q,t] in [0, capacity[q]], cost df_t * conversion_cost[q] per tonne (part
    "conversion"); use[q,o] >= 0 for every input offer o of q in the years q runs."""
    lp, data = model.lp, model.data
    idx = processes(data)
    if idx.empty:
        lp.add_variables("conv", idx[["process", "year"]])
        lp.add_variables("use", pd.DataFrame({"process": pd.Series(dtype=str), "material": pd.Series(dtype=str),
                                              "source": pd.Series(dtype=str), "year": pd.Series(dtype=int)}))
        model.use_offer = np.zeros(0, np.int64)
        return
    cap = idx["capacity"].to_numpy(float)
    cost = idx["unit_cost"].to_numpy(float)
    idx = idx[["process", "year"]]
    df = idx["year"].map(model.discount).to_numpy()
    lp.add_variables("conv", idx, upper=cap, cost=df * cost, parts="conversion", discount=df,
                     doc="tonnes made by domestic conversion")
    o = model.offers.reset_index(drop=True)
    o["offer"] = np.arange(len(o))
    uses = idx.merge(inputs(data), on="process").merge(o[["material", "source", "year", "offer"]],
                                                      on=["material", "year"])
    uses = uses.sort_values(["process", "material", "source", "year"]).reset_index(drop=True)
    lp.add_variables("use", uses[["process", "material", "source", "year"]],
                     doc="tonnes of a purchase converted")
    model.use_offer = uses["offer"].to_numpy(np.int64)


def add_conversion_recipe(model) -> None:
    """recipe[q,i,t]: sum_o use[q,o] - r_qi * conv[q,t] = 0 (see the module docstring)."""
    lp, data = model.lp, model.data
    conv, use = lp.var_blocks["conv"], lp.var_blocks["use"]
    rows = conv.index.merge(inputs(data), on="process")[["process", "material", "year", "input_per_t"]]
    keys = rows[["process", "material", "year"]]
    terms = Terms()
    if len(rows):
        rpos = {k: i for i, k in enumerate(zip(keys["process"], keys["material"], keys["year"]))}
        cpos = {k: i for i, k in enumerate(zip(conv.index["process"], conv.index["year"]))}
        u = use.index
        terms.add(np.array([rpos[k] for k in zip(u["process"], u["material"], u["year"])], dtype=np.int64),
                  use.positions, 1.0)
        terms.add(np.arange(len(rows)),
                  conv.start + np.array([cpos[(q, t)] for q, t in zip(keys["process"], keys["year"])], dtype=np.int64),
                  -rows["input_per_t"].to_numpy(float))
    zero = np.zeros(len(rows))
    lp.add_constraints("recipe", keys, terms, lower=zero, upper=zero,
                       doc="inputs used per tonne converted (t)")


def add_conversion_use_limit(model) -> None:
    """use_limit[o]: sum_q use[q,o] - buy[o] <= 0, for every offer some process can use."""
    lp = model.lp
    use, buy = lp.var_blocks["use"], lp.var_blocks["buy"]
    offers = np.unique(model.use_offer)
    keys = model.offers.iloc[offers][["material", "source", "year"]].reset_index(drop=True)
    terms = Terms()
    if offers.size:
        row_of = {int(o): i for i, o in enumerate(offers)}
        terms.add(np.array([row_of[int(o)] for o in model.use_offer], dtype=np.int64), use.positions, 1.0)
        terms.add(np.arange(offers.size), buy.positions[offers], -1.0)
    lp.add_constraints("use_limit", keys, terms, upper=np.zeros(offers.size),
                       doc="tonnes converted within the tonnes bought")


def balance_terms(model, row_of) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(rows, columns, coefficients) the conversion adds to the balances: +conv on the output
    material's balance, -use on the input's; ``row_of(materials, years)`` gives balance rows."""
    lp, data = model.lp, model.data
    conv, use = lp.var_blocks.get("conv"), lp.var_blocks.get("use")
    out = []
    if conv is not None and conv.size:
        mat = process_info(data).set_index("process").loc[conv.index["process"], "material"].to_numpy()
        out.append((row_of(mat, conv.index["year"]), conv.positions, np.ones(conv.size)))
    if use is not None and use.size:
        out.append((row_of(use.index["material"], use.index["year"]), use.positions, -np.ones(use.size)))
    return out
