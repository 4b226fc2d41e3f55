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

from models import keys as K

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
def _stage_table(keys: pd.DataFrame, key_country, key_code: np.ndarray, has: np.ndarray,
                 org: pd.DataFrame | None, vocab: pd.Index) -> tuple[pd.DataFrame, np.ndarray]:
    """(key, country, share) of one stage for every key row whose material has it (``has``), and
    the row's country as a code into ``vocab`` (-1: no country); ``key_country``/``key_code``:
    every key row's supplier country; ``org``: the Origins rows of the stage."""
    kk = np.flatnonzero(has)
    parts, codes = [], []
    covered = np.zeros(len(keys), dtype=bool)        # by key row
    if org is not None and len(org):
        k = pd.DataFrame({"key": kk, "material": keys["material"].to_numpy()[has],
                          "source": keys["source"].to_numpy()[has], "year": keys["year"].to_numpy()[has]})
        yearly = org[org["year"].notna()].astype({"year": int})
        every = org[org["year"].isna()].drop(columns=["year"])
        if len(yearly):
            hit = k.merge(yearly[["material", "source", "year", "country", "share"]],
                          on=["material", "source", "year"], how="inner")
            parts.append(hit[["key", "country", "share"]])
            covered[hit["key"].to_numpy(np.int64)] = True
        if len(every):
            rest = k[~covered[kk]]
            hit = rest.merge(every[["material", "source", "country", "share"]], on=["material", "source"],
                             how="inner")
            parts.append(hit[["key", "country", "share"]])
            covered[hit["key"].to_numpy(np.int64)] = True
        codes = [vocab.get_indexer(p["country"]) for p in parts]
    own = kk[~covered[kk]]
    parts.append(pd.DataFrame({"key": own, "country": K.text(key_country, own), "share": np.ones(len(own))}))
    codes.append(key_code[own])
    out = pd.concat(parts, ignore_index=True)
    keep = (out["share"] > 0).to_numpy()
    return out[keep].reset_index(drop=True), np.concatenate(codes)[keep]


def _largest_share(tables: list[pd.DataFrame], codes: list[np.ndarray], vocab: pd.Index
                   ) -> tuple[pd.DataFrame, np.ndarray]:
    """Per key and country (sorted; rows without a country dropped): the largest share in
    ``tables``, and the rows' country codes."""
    key = np.concatenate([t["key"].to_numpy(np.int64) for t in tables])
    share = np.concatenate([t["share"].to_numpy(float) for t in tables])
    code = np.concatenate(codes)
    ok = code >= 0
    key, share, code = key[ok], share[ok], code[ok]
    combined = key * max(len(vocab), 1) + code
    order = np.argsort(combined, kind="stable")
    combined, share = combined[order], share[order]
    first = np.flatnonzero(np.r_[True, combined[1:] != combined[:-1]]) if len(combined) else np.zeros(0, np.int64)
    top = np.maximum.reduceat(share, first) if len(first) else np.zeros(0)
    c = combined[first]
    code = c % max(len(vocab), 1)
    return pd.DataFrame({"key": c // max(len(vocab), 1), "country": K.text(vocab, code),
                         "share": top}), code


def origin_shares(data, keys: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per measure, ``(key, country, share)`` for the rows of ``keys`` (material, source, year).

    direct: the supplier's country, share 1.  A stage: the Origins rows of (material, source,
    year), else of (material, source) for every year, else the supplier's country; only keys
    whose material has the stage.  look-through: per key and country, the largest share over
    the material's stages.
    """
    return origin_codes(data, keys)[0]


def origin_codes(data, keys: pd.DataFrame, measures: tuple[str, ...] = MEASURES
                 ) -> tuple[dict[str, pd.DataFrame], dict[str, np.ndarray], pd.Index]:
    """:func:`origin_shares` of ``measures`` with, per measure, each row's country as a code into
    the sorted country index returned last (-1: no country); every lookup is made once per
    distinct material and source, not per key row."""
    keys = keys.reset_index(drop=True)
    country = supplier_country(data)
    stages = material_stages(data)
    src_code, src = pd.factorize(keys["source"], use_na_sentinel=False)
    src_country = [country.get(s, s) for s in src]
    org = getattr(data, "origins", None)
    org = org if org is not None and len(org) else None
    found = {c for c in list(country.values()) + src_country if isinstance(c, str)}
    if org is not None:
        found |= {c for c in org["country"] if isinstance(c, str)}
    vocab = pd.Index(sorted(found), dtype=object)
    key_country = pd.array(src_country, dtype="str").take(src_code)
    key_code = vocab.get_indexer(src_country)[src_code] if len(src_country) else np.zeros(0, np.int64)
    mat_code, mats = pd.factorize(keys["material"], use_na_sentinel=False)
    n = len(keys)
    out = {DIRECT: pd.DataFrame({"key": np.arange(n), "country": K.text(key_country, np.arange(n)),
                                 "share": np.ones(n)})}
    codes = {DIRECT: key_code}
    for st in STAGES if LOOK_THROUGH in measures else [m for m in STAGES if m in measures]:
        has = np.array([st in stages.get(m, STAGES) for m in mats], dtype=bool)[mat_code] if n else \
            np.zeros(0, dtype=bool)
        o = org[org["stage"] == st] if org is not None else None
        out[st], codes[st] = _stage_table(keys, key_country, key_code, has, o, vocab)
    used = [st for st in STAGES if st in out and len(out[st])]
    if LOOK_THROUGH not in measures:
        pass
    elif used:
        out[LOOK_THROUGH], codes[LOOK_THROUGH] = _largest_share([out[st] for st in used],
                                                                [codes[st] for st in used], vocab)
    else:
        out[LOOK_THROUGH], codes[LOOK_THROUGH] = out[DIRECT].copy(), key_code.copy()
    return {m: out[m] for m in measures}, {m: codes[m] for m in measures}, vocab


def recode(codes: np.ndarray, old: pd.Index, new: pd.Index) -> np.ndarray:
    """Country codes into ``old`` as codes into ``new`` (which holds every country of ``old``)."""
    if old.equals(new):
        return codes
    table = np.append(new.get_indexer(old), -1)        # code -1 stays -1
    return table[codes]


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
