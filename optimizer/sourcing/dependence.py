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


def _conversion_frame(model, sh: Shares, x: np.ndarray, measure: str) -> pd.DataFrame:
    """(material, year, country, value) of the conversion output on ``measure`` (look-through:
    per process, year and country the largest stage value)."""
    if measure == OR.LOOK_THROUGH:
        cv = pd.concat([_conversion_values(model, sh, x, st) for st in OR.STAGES], ignore_index=True)
        cv = cv.groupby(["process", "year", "material", "country"], as_index=False)["value"].max()
    else:
        cv = _conversion_values(model, sh, x, measure)
    return cv[["material", "year", "country", "value"]]


class _Cells:
    """Codes of the (material, year, country) cells a plan's values fall in: materials in the
    Materials sheet's order, years and countries sorted (the order one group-by gives)."""

    def __init__(self, model, sh: Shares, conv: dict[str, pd.DataFrame]):
        o, data = model.offers, model.data
        self.materials = pd.Index(pd.unique(data.materials["material"].to_numpy(dtype=object)))
        extra = {c for cv in conv.values() for c in cv["country"] if isinstance(c, str)}
        self.countries = sh.country_index.union(pd.Index(sorted(extra), dtype=object)) if extra else sh.country_index
        years = [pd.unique(o["year"].to_numpy()), pd.unique(sh.pkeys["year"].to_numpy())]
        years += [cv["year"].to_numpy() for cv in conv.values()]
        self.years = np.unique(np.concatenate([np.asarray(y, dtype=np.int64) for y in years]))
        self.offer_m = self.materials.get_indexer(o["material"])
        self.offer_y = np.searchsorted(self.years, o["year"].to_numpy(np.int64))
        self.project_m = self.materials.get_indexer(sh.pkeys["material"]) if len(sh.pkeys) else np.zeros(0, np.int64)
        self.project_y = np.searchsorted(self.years, sh.pkeys["year"].to_numpy(np.int64))
        weight = np.array([float(sh.weight.get(m, np.nan)) for m in self.materials] + [np.nan])
        self.offer_w, self.project_w = weight[self.offer_m], weight[self.project_m]
        self.size = len(self.materials) * len(self.years) * max(len(self.countries), 1)

    def member_mask(self, members: list[str]) -> np.ndarray:
        """Per material code: is it one of ``members``."""
        mask = np.zeros(len(self.materials), dtype=bool)
        pos = self.materials.get_indexer(members)
        mask[pos[pos >= 0]] = True
        return mask

    def key(self, m: np.ndarray, y: np.ndarray, c: np.ndarray) -> np.ndarray:
        return (m * len(self.years) + y) * max(len(self.countries), 1) + c


def _sum_by_cell(key: np.ndarray, value: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The cells (ascending) holding values and each cell's sum; a cell whose sum is exactly zero
    may be left out (every caller drops values within 1e-9 of zero)."""
    if size <= 8 * len(key) + (1 << 20):           # a dense count is cheaper than sorting
        s = np.bincount(key, weights=value, minlength=size)
        cells = np.flatnonzero(s != 0)
        return cells, s[cells]
    cells, inv = np.unique(key, return_inverse=True)
    return cells, np.bincount(inv, weights=value, minlength=len(cells))


def _values_by_cell(model, sh: Shares, x: np.ndarray, measure: str, ix: _Cells, net: np.ndarray,
                    conv: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """(cells, value): reference-value-weighted tonnes held on ``measure`` per (material, year,
    country) cell, from the purchases net of conversion use, project output and conversion output."""
    make = model.lp.var_blocks["make"]
    parts = []                                      # (material, year, country codes, value)
    t = sh.offers[measure]
    if len(t):
        k = t["key"].to_numpy(np.int64)
        parts.append((ix.offer_m[k], ix.offer_y[k], OR.recode(sh.offer_codes[measure], sh.country_index,
                                                              ix.countries),
                      t["share"].to_numpy(float) * net[k] * ix.offer_w[k]))
    t = sh.projects[measure]
    if make.size and len(t):
        k = t["key"].to_numpy(np.int64)
        mk = x[make.positions][k]
        parts.append((ix.project_m[k], ix.project_y[k], OR.recode(sh.project_codes[measure], sh.country_index,
                                                                  ix.countries),
                      t["share"].to_numpy(float) * mk * ix.project_w[k]))
    if conv is not None and len(conv):
        parts.append((ix.materials.get_indexer(conv["material"]),
                      np.searchsorted(ix.years, conv["year"].to_numpy(np.int64)),
                      ix.countries.get_indexer(conv["country"]), conv["value"].to_numpy(float)))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0)
    m, y, c, value = (np.concatenate(a) for a in zip(*parts))
    ok = (m >= 0) & (c >= 0)       # a material off the Materials sheet or no country: in no scope
    value = np.where(np.isnan(value), 0.0, value)   # a sum skips missing values
    return _sum_by_cell(ix.key(m[ok], y[ok], c[ok]), value[ok], ix.size)


def dependence_table(model: SourcingModel, x: np.ndarray) -> pd.DataFrame:
    """year, scope, measure, country, share, value, weighted_demand for every country that holds
    a share; scopes ALL, each group and each material (a stage measure counts the materials that
    have the stage).  Rows by year, scope, measure (in :data:`models.origins.MEASURES` order) and
    share (largest first; ties: countries in order)."""
    data, lp = model.data, model.lp
    sh = model.shares if isinstance(model.shares, Shares) else Shares(model)
    dem = model.demand.assign(wd=lambda d: d["material"].map(sh.weight) * d["demand"])
    groups = sorted({g for g in data.materials["group"] if isinstance(g, str) and g})
    conv = {m: _conversion_frame(model, sh, x, m) for m in OR.MEASURES} if lp.var_blocks["conv"].size else {}
    ix = _Cells(model, sh, conv)
    ny, nc = len(ix.years), max(len(ix.countries), 1)
    net = x[lp.var_blocks["buy"].positions].astype(float).copy()
    use = lp.var_blocks["use"]
    if use.size:
        np.subtract.at(net, model.use_offer, x[use.positions])
    # weighted demand per (material, year) and per scope's members and year (NaN: no demand row)
    g = dem.groupby(["material", "year"])["wd"].sum()
    wd_cell = np.full((len(ix.materials) + 1, ny), np.nan)
    if len(g):
        gm = ix.materials.get_indexer(g.index.get_level_values(0))
        gy = pd.Index(ix.years).get_indexer(g.index.get_level_values(1))
        ok = (gm >= 0) & (gy >= 0)
        wd_cell[gm[ok], gy[ok]] = g.to_numpy(float)[ok]
    wd_of: dict[tuple, np.ndarray] = {}
    scope_names = ["ALL"] + groups + list(ix.materials)
    cols = {"y": [], "s": [], "m": [], "c": [], "value": [], "wd": []}

    def add(y, scope, measure, c, value, wd):
        for name, v in zip(cols, (y, scope, np.full(len(y), measure), c, value, wd)):
            cols[name].append(np.asarray(v))

    in_scope = {scope: scope_members(data, scope) for scope in ["ALL"] + groups}
    for mi, measure in enumerate(OR.MEASURES):
        cells, value = _values_by_cell(model, sh, x, measure, ix, net, conv.get(measure))
        cm, cy, cc = cells // (ny * nc), (cells // nc) % ny, cells % nc
        for si, scope in enumerate(["ALL"] + groups):
            members = OR.members_with(measure, in_scope[scope], sh.stages)
            if not members:
                continue
            key = tuple(members)
            if key not in wd_of:
                w = dem[dem["material"].isin(set(members))].groupby("year")["wd"].sum()
                wd_of[key] = w.reindex(ix.years).to_numpy(dtype=float)
            sel = ix.member_mask(members)[cm]
            total = np.bincount(cy[sel] * nc + cc[sel], weights=value[sel], minlength=ny * nc)
            hit = np.flatnonzero(np.abs(total) > 1e-9)
            add(hit // nc, np.full(len(hit), si), mi, hit % nc, total[hit], wd_of[key][hit // nc])
        keep = ix.member_mask(OR.members_with(measure, list(ix.materials), sh.stages))
        sel = np.flatnonzero(keep[cm] & (np.abs(value) > 1e-9))
        add(cy[sel], 1 + len(groups) + cm[sel], mi, cc[sel], value[sel], wd_cell[cm[sel], cy[sel]])
    y, s, m, c, value, wd = (np.concatenate(cols[k]) if cols[k] else np.zeros(0, np.int64) for k in cols)
    value, wd = value.astype(float), wd.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(wd > 0, value / wd, np.nan)
    names = pd.Index(scope_names, dtype=object)
    rank = pd.Index(sorted(set(scope_names)), dtype=object).get_indexer(names)     # scopes in text order
    # by year, scope (as text), measure, then share largest first (NaN last); ties keep their order
    block = (y.astype(np.int64) * (rank.max(initial=0) + 1) + rank[s.astype(np.int64)]) * len(OR.MEASURES) + m
    order = np.argsort(np.where(np.isnan(share), np.inf, -share), kind="stable")
    if block.max(initial=0) < 2 ** 16:
        block = block.astype(np.uint16)          # a stable sort of 16-bit keys is a radix sort
    order = order[np.argsort(block[order], kind="stable")]
    y, s, m, c = (a.astype(np.int64)[order] for a in (y, s, m, c))
    return pd.DataFrame({"year": ix.years[y], "scope": pd.array(scope_names, dtype="str").take(s),
                         "measure": pd.array(list(OR.MEASURES), dtype="str").take(m),
                         "country": pd.array(list(ix.countries), dtype="str").take(c),
                         "share": share[order], "value": value[order], "weighted_demand": wd[order]})


def largest_country(dep: pd.DataFrame, scope: str = "ALL", measure: str = OR.DIRECT) -> pd.DataFrame:
    """Per year: the country with the largest share of ``scope`` on ``measure``, and its share."""
    d = dep[(dep["scope"] == scope) & (dep["measure"] == measure)]
    if d.empty:
        return pd.DataFrame(columns=["year", "country", "share"])
    return d.sort_values(["year", "share"], ascending=[True, False]).groupby("year", as_index=False).first()[
        ["year", "country", "share"]]
