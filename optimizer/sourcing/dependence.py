"""Dependence of a plan on each country, measured every way the policies measure it.

For every country, measure (direct, each processing stage, look-through), scope (ALL, each
group, each material) and year: the share of that scope's demand value that the country holds
on that measure, from the plan's purchases net of what Korea converts, project output and the
conversion output (which inherits its inputs' origins) -- the same expressions the caps of
:mod:`models.caps` limit, evaluated at the plan.  ``cap_shares`` gives each cap row's share of
the row itself (its activity over its weighted demand).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from models import origins as OR
from models.caps import Shares, scope_members
from models.sourcing import SourcingModel


def cap_shares(model: SourcingModel, x: np.ndarray) -> pd.DataFrame:
    """model.cap_rows with ``share`` = the row's activity / its weighted demand."""
    cap = model.cap_rows.reset_index(drop=True).copy()
    start, index, value = model.lp.csr()
    act = np.array([float(np.multiply(value[start[r]:start[r + 1]], x[index[start[r]:start[r + 1]]]).sum())
                    for r in cap["row"].to_numpy(np.int64)]) if len(cap) else np.zeros(0)
    wd = cap["weighted_demand"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap["share"] = np.where(wd > 0, act / wd, np.nan)
    return cap


def _conversion_values(model, sh: Shares, x: np.ndarray, stage: str) -> pd.DataFrame:
    """(process, year, material, country, value): the weighted conversion output each country holds
    at ``stage`` (a direct or own stage: the process's country; upstream: its inputs' origins)."""
    lp = model.lp
    conv, use = lp.var_blocks["conv"], lp.var_blocks["use"]
    out = []
    own_rows = []
    u_rows = []
    for j, (q, t) in enumerate(zip(conv.index["process"], conv.index["year"])):
        mat = sh.conv_material[q]
        if stage != OR.DIRECT and stage not in sh.stages.get(mat, OR.STAGES):
            continue
        alpha = sh.alpha(q, stage)
        w = sh.weight[mat]
        if not alpha:
            own_rows.append((q, int(t), mat, sh.country.get(sh.conv_source[q], sh.conv_source[q]),
                             w * float(x[conv.start + j])))
            continue
        sel = sh.use_cols.get((q, int(t)), np.zeros(0, np.int64))
        for k in sel:
            m = sh.use_material[k]
            f = w * alpha.get(m, 0.0) / sh.ratio[q][m]
            if f:
                u_rows.append((q, int(t), mat, int(sh.use_offer[k]), f * float(x[use.start + k])))
    if own_rows:
        out.append(pd.DataFrame(own_rows, columns=["process", "year", "material", "country", "value"]))
    if u_rows:
        u = pd.DataFrame(u_rows, columns=["process", "year", "material", "key", "flow"])
        u = u.merge(sh.offers[stage], on="key")
        u["value"] = u["flow"] * u["share"]
        out.append(u[["process", "year", "material", "country", "value"]])
    if not out:
        return pd.DataFrame(columns=["process", "year", "material", "country", "value"])
    v = pd.concat(out, ignore_index=True)
    return v.groupby(["process", "year", "material", "country"], as_index=False)["value"].sum()


def _values_by_material(model, sh: Shares, x: np.ndarray, measure: str) -> pd.DataFrame:
    """(material, year, country, value): reference-value-weighted tonnes held on ``measure``."""
    lp = model.lp
    o = model.offers
    net = x[lp.var_blocks["buy"].positions].astype(float).copy()
    use = lp.var_blocks["use"]
    if use.size:
        np.subtract.at(net, model.use_offer, x[use.positions])
    parts = []
    t = sh.offers[measure]
    if len(t):
        k = t["key"].to_numpy(np.int64)
        parts.append(pd.DataFrame({"material": o["material"].to_numpy()[k], "year": o["year"].to_numpy()[k],
                                   "country": t["country"].to_numpy(),
                                   "value": t["share"].to_numpy(float) * net[k]
                                   * o["material"].map(sh.weight).to_numpy(float)[k]}))
    make = lp.var_blocks["make"]
    t = sh.projects[measure]
    if make.size and len(t):
        k = t["key"].to_numpy(np.int64)
        mk = x[make.positions][k]
        parts.append(pd.DataFrame({"material": sh.pkeys["material"].to_numpy()[k],
                                   "year": sh.pkeys["year"].to_numpy()[k], "country": t["country"].to_numpy(),
                                   "value": t["share"].to_numpy(float) * mk
                                   * sh.pkeys["material"].map(sh.weight).to_numpy(float)[k]}))
    conv = lp.var_blocks["conv"]
    if conv.size:
        if measure == OR.LOOK_THROUGH:
            per_stage = [_conversion_values(model, sh, x, st) for st in OR.STAGES]
            cv = pd.concat(per_stage, ignore_index=True)
            cv = cv.groupby(["process", "year", "material", "country"], as_index=False)["value"].max()
        else:
            cv = _conversion_values(model, sh, x, measure)
        if len(cv):
            parts.append(cv[["material", "year", "country", "value"]])
    if not parts:
        return pd.DataFrame(columns=["material", "year", "country", "value"])
    out = pd.concat(parts, ignore_index=True)
    return out.groupby(["material", "year", "country"], as_index=False)["value"].sum()


def _material_scopes(data, dem: pd.DataFrame, vals: pd.DataFrame, measure: str, stages: dict) -> pd.DataFrame:
    """The one-material scopes of :func:`dependence_table` at once: the rows of every material
    (in the Materials sheet's order; years and countries sorted, as one group-by per material
    gave them) that ``measure`` counts."""
    mats = data.materials["material"].tolist()
    keep = set(OR.members_with(measure, mats, stages))
    order = {m: i for i, m in enumerate(mats)}
    v = vals[vals["material"].isin(keep)]
    v = v.assign(_p=v["material"].map(order)).sort_values(["_p", "year", "country"], kind="stable")
    wd = dem.groupby(["material", "year"])["wd"].sum()
    pos = wd.index.get_indexer(pd.MultiIndex.from_arrays([v["material"].to_numpy(dtype=object), v["year"].to_numpy()]))
    weighted = np.where(pos >= 0, wd.to_numpy(dtype=float)[np.maximum(pos, 0)], np.nan) if len(wd) else \
        np.full(len(v), np.nan)
    out = pd.DataFrame({"year": v["year"].to_numpy(), "country": v["country"].to_numpy(),
                        "value": v["value"].to_numpy(), "weighted_demand": weighted})
    out["share"] = np.where(out["weighted_demand"] > 0, out["value"] / out["weighted_demand"], np.nan)
    out["scope"], out["measure"] = v["material"].to_numpy(), measure
    return out


def dependence_table(model: SourcingModel, x: np.ndarray) -> pd.DataFrame:
    """year, scope, measure, country, share, value, weighted_demand for every country that holds
    a share; scopes ALL, each group and each material (a stage measure counts the materials that
    have the stage)."""
    data = model.data
    sh = model.shares if isinstance(model.shares, Shares) else Shares(model)
    dem = model.demand.assign(wd=lambda d: d["material"].map(sh.weight) * d["demand"])
    groups = sorted({g for g in data.materials["group"] if isinstance(g, str) and g})
    scopes = ["ALL"] + groups
    frames = []
    for measure in OR.MEASURES:
        vals = _values_by_material(model, sh, x, measure)
        for scope in scopes:
            members = OR.members_with(measure, scope_members(data, scope), sh.stages)
            if not members:
                continue
            v = vals[vals["material"].isin(set(members))].groupby(["year", "country"], as_index=False)["value"].sum()
            wd = dem[dem["material"].isin(set(members))].groupby("year")["wd"].sum()
            v["weighted_demand"] = v["year"].map(wd).astype(float)
            v["share"] = np.where(v["weighted_demand"] > 0, v["value"] / v["weighted_demand"], np.nan)
            v["scope"], v["measure"] = scope, measure
            frames.append(v)
        frames.append(_material_scopes(data, dem, vals, measure, sh.stages))
    if not frames:
        return pd.DataFrame(columns=["year", "scope", "measure", "country", "share", "value", "weighted_demand"])
    out = pd.concat(frames, ignore_index=True)
    out = out[out["value"].abs() > 1e-9]
    out["year"] = out["year"].astype(int)
    order = {m: i for i, m in enumerate(OR.MEASURES)}
    out = out.assign(_m=out["measure"].map(order)).sort_values(["year", "scope", "_m", "share"],
                                                                ascending=[True, True, True, False])
    return out.drop(columns="_m")[["year", "scope", "measure", "country", "share", "value",
                                   "weighted_demand"]].reset_index(drop=True)


def largest_country(dep: pd.DataFrame, scope: str = "ALL", measure: str = OR.DIRECT) -> pd.DataFrame:
    """Per year: the country with the largest share of ``scope`` on ``measure``, and its share."""
    d = dep[(dep["scope"] == scope) & (dep["measure"] == measure)]
    if d.empty:
        return pd.DataFrame(columns=["year", "country", "share"])
    return d.sort_values(["year", "share"], ascending=[True, False]).groupby("year", as_index=False).first()[
        ["year", "country", "share"]]
