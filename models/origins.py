"""Where what Korea buys comes from: the country of each processing stage behind every offer.

Stages, upstream first: ``mining``, ``refining`` (separation or refining), ``metal`` (metal or
alloy), ``magnet`` (magnet making).  A material lists the stages behind one kg of it
(Materials ``stages``; blank = all four).  A dependence *measure* is one of

* ``direct``: the country the supplier sells from (Suppliers ``country_id``; blank = the
  source id) -- what every workbook measured before stages existed;
* a stage: where that stage of the product happened, as shares by country (the Origins sheet;
  a stage without rows happened in the supplier's own country);
* ``look-through``: for each product, the largest share a country holds at any of its stages
  (a Japanese magnet from 90 %-Chinese-separated oxide is 90 % Chinese on this measure).

Every share here is data, so a cap on any measure stays linear with the target as its
right-hand side (:mod:`models.caps`).  Countries belong to blocs through their suppliers (every
supplier in one country has its bloc); a country named only on the Origins sheet is ``other``.

Shares come back as long tables ``(key, country, share)`` over the rows of a key table (supply
offers, or projects by year): a sparse form, so a million offers with four stages stay a few
million rows.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

STAGES = ("mining", "refining", "metal", "magnet")
DIRECT, LOOK_THROUGH = "direct", "look-through"
MEASURES = (DIRECT,) + STAGES + (LOOK_THROUGH,)
CHINA = "china"                      # the China bloc: the default country spec of a Policy row
ANY = "ANY"                          # any single country: one cap per country
BLOCS = ("china", "ally", "domestic", "other")


def parse_stages(text) -> tuple[str, ...]:
    """'mining, refining' -> ('mining', 'refining') in upstream order; blank -> every stage."""
    words = [w.strip().lower() for w in re.split(r"[,;+/\s]+", str(text or "")) if w.strip()]
    if not words:
        return STAGES
    return tuple(s for s in STAGES if s in set(words))


def unknown_stages(text) -> list[str]:
    words = [w.strip().lower() for w in re.split(r"[,;+/\s]+", str(text or "")) if w.strip()]
    return [w for w in words if w not in STAGES]


def supplier_country(data) -> dict[str, str]:
    sup = data.suppliers
    ids = sup["country_id"] if "country_id" in sup else pd.Series([""] * len(sup), index=sup.index)
    return {s: (str(c) if isinstance(c, str) and c.strip() else s) for s, c in zip(sup["source"], ids)}


def country_blocs(data) -> dict[str, str]:
    """country -> bloc (from its suppliers; a country only on the Origins sheet is 'other')."""
    country = supplier_country(data)
    out = {country[s]: b for s, b in zip(data.suppliers["source"], data.suppliers["bloc"])}
    org = getattr(data, "origins", None)
    if org is not None and len(org):
        for c in org["country"].unique():
            out.setdefault(str(c), "other")
    return out


def material_stages(data) -> dict[str, tuple[str, ...]]:
    mats = data.materials
    col = mats["stages"] if "stages" in mats else pd.Series([""] * len(mats), index=mats.index)
    return {m: parse_stages(s) for m, s in zip(mats["material"], col)}


def members_with(stage: str, members, stages: dict) -> list[str]:
    """The materials among ``members`` that a cap on ``stage`` counts."""
    if stage in (DIRECT, LOOK_THROUGH):
        return list(members)
    return [m for m in members if stage in stages.get(m, STAGES)]


def countries_of(spec: str, blocs: dict[str, str]) -> list[str]:
    """The countries a Policy country spec covers: a bloc's countries, or one country."""
    if spec in BLOCS:
        return sorted(c for c, b in blocs.items() if b == spec)
    return [spec]


# --------------------------------------------------------------------------- shares
def _stage_table(data, keys: pd.DataFrame, stage: str, country: dict, stages: dict) -> pd.DataFrame:
    """(key, country, share) of ``stage`` for every key row whose material has the stage."""
    has = np.array([stage in stages.get(m, STAGES) for m in keys["material"]], dtype=bool)
    k = pd.DataFrame({"key": np.flatnonzero(has), "material": keys["material"].to_numpy()[has],
                      "source": keys["source"].to_numpy()[has], "year": keys["year"].to_numpy()[has]})
    org = getattr(data, "origins", None)
    parts = []
    covered = np.zeros(len(k), dtype=bool)
    if org is not None and len(org):
        o = org[org["stage"] == stage]
        if len(o):
            yearly = o[o["year"].notna()].astype({"year": int})
            every = o[o["year"].isna()].drop(columns=["year"])
            if len(yearly):
                hit = k.merge(yearly[["material", "source", "year", "country", "share"]],
                              on=["material", "source", "year"], how="inner")
                parts.append(hit[["key", "country", "share"]])
                covered |= k["key"].isin(set(hit["key"])).to_numpy()
            if len(every):
                rest = k[~covered]
                hit = rest.merge(every[["material", "source", "country", "share"]],
                                 on=["material", "source"], how="inner")
                parts.append(hit[["key", "country", "share"]])
                covered |= k["key"].isin(set(hit["key"])).to_numpy()
    own = k[~covered]
    parts.append(pd.DataFrame({"key": own["key"].to_numpy(),
                               "country": [country.get(s, s) for s in own["source"]],
                               "share": np.ones(len(own))}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["key", "country", "share"])
    return out[out["share"] > 0].reset_index(drop=True)


def origin_shares(data, keys: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per measure, ``(key, country, share)`` for the rows of ``keys`` (material, source, year).

    direct: the supplier's country, share 1.  A stage: the Origins rows of (material, source,
    year), else of (material, source) for every year, else the supplier's country; only keys
    whose material has the stage.  look-through: per key and country, the largest share over
    the material's stages.
    """
    keys = keys.reset_index(drop=True)
    country = supplier_country(data)
    stages = material_stages(data)
    out = {DIRECT: pd.DataFrame({"key": np.arange(len(keys)),
                                 "country": [country.get(s, s) for s in keys["source"]],
                                 "share": np.ones(len(keys))})}
    for st in STAGES:
        out[st] = _stage_table(data, keys, st, country, stages)
    frames = [out[st] for st in STAGES if len(out[st])]
    if frames:
        lt = pd.concat(frames, ignore_index=True).groupby(["key", "country"], as_index=False)["share"].max()
    else:
        lt = out[DIRECT].copy()
    out[LOOK_THROUGH] = lt
    return out


def share_vector(table: pd.DataFrame, n: int, countries) -> np.ndarray:
    """For each of ``n`` keys: the summed share of ``countries`` in a (key, country, share) table."""
    vec = np.zeros(n)
    sel = table[table["country"].isin(set(countries))]
    if len(sel):
        np.add.at(vec, sel["key"].to_numpy(dtype=np.int64), sel["share"].to_numpy(dtype=float))
    return np.minimum(vec, 1.0)


def countries_present(tables: dict[str, pd.DataFrame], measure: str) -> list[str]:
    t = tables.get(measure)
    return sorted(set(t["country"])) if t is not None and len(t) else []
