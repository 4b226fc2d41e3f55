"""Key columns as codes (models.keys) and the origin tables built on them (models.origins) give
what group-bys over the text columns and one look-up per key row give."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models import keys as K
from models import origins as OR
from models.sourcing import build_model
from optimizer.sourcing.validate import load_and_validate

ROOT = Path(__file__).resolve().parents[2]


def test_group_sum_equals_a_group_by_on_the_columns():
    rng = np.random.default_rng(7)
    n = 5_000
    df = pd.DataFrame({"material": rng.choice(["GA", "NDPR", "MAG", None], n),
                       "source": rng.choice(["CN", "JP", "VN", "AU", "KR"], n),
                       "year": rng.choice([2027, 2025, 2026], n), "t": rng.normal(size=n),
                       "v": rng.exponential(size=n)})
    want = df.groupby(["year", "material", "source"], as_index=False)[["t", "v"]].sum()
    cols = [K.codes(df[c]) for c in ("year", "material", "source")]
    (y, m, s), sums = K.group_sum(df[["t", "v"]].to_numpy(), [c for c, _ in cols], [len(u) for _, u in cols])
    got = pd.DataFrame({"year": cols[0][1].to_numpy()[y], "material": K.text(cols[1][1], m),
                        "source": K.text(cols[2][1], s), "t": sums[:, 0], "v": sums[:, 1]})
    pd.testing.assert_frame_equal(got, want, check_exact=True)     # same groups, order and sums
    assert None not in set(got["material"])                         # rows with a missing key dropped
    assert K.text(["a"], np.zeros(0, np.int64)) == []


def reference_origin_shares(data, keys):
    """One look-up per key row, and a group-by over (key, country) for the look-through."""
    keys = keys.reset_index(drop=True)
    country, stages = OR.supplier_country(data), OR.material_stages(data)
    out = {OR.DIRECT: pd.DataFrame({"key": np.arange(len(keys)), "country": [country.get(s, s) for s in keys["source"]],
                                    "share": np.ones(len(keys))})}
    for st in OR.STAGES:
        has = np.array([st in stages.get(m, OR.STAGES) for m in keys["material"]], dtype=bool)
        k = pd.DataFrame({"key": np.flatnonzero(has), "material": keys["material"].to_numpy()[has],
                          "source": keys["source"].to_numpy()[has], "year": keys["year"].to_numpy()[has]})
        o = data.origins[data.origins["stage"] == st]
        yearly = o[o["year"].notna()].astype({"year": int})
        every = o[o["year"].isna()].drop(columns=["year"])
        hit1 = k.merge(yearly[["material", "source", "year", "country", "share"]], on=["material", "source", "year"])
        rest = k[~k["key"].isin(set(hit1["key"]))]
        hit2 = rest.merge(every[["material", "source", "country", "share"]], on=["material", "source"])
        own = rest[~rest["key"].isin(set(hit2["key"]))]
        parts = [hit1[["key", "country", "share"]], hit2[["key", "country", "share"]],
                 pd.DataFrame({"key": own["key"].to_numpy(), "country": [country.get(s, s) for s in own["source"]],
                               "share": np.ones(len(own))})]
        t = pd.concat([p for p in parts if len(p)], ignore_index=True)
        out[st] = t[t["share"] > 0].reset_index(drop=True)
    lt = pd.concat([out[st] for st in OR.STAGES], ignore_index=True)
    out[OR.LOOK_THROUGH] = lt.groupby(["key", "country"], as_index=False)["share"].max()
    return out


@pytest.mark.parametrize("yearly", [False, True])
def test_origin_shares_equal_one_lookup_per_key_row(yearly):
    data = load_and_validate(str(ROOT / "inputs" / "korea_2024_2030.xlsx"))
    org = data.origins
    if yearly:       # some (material, source) pairs with a year of their own: those rows win that year
        extra = org.iloc[:12].assign(year=2027, share=lambda d: d["share"] * 0.5)
        data = replace(data, origins=pd.concat([org, extra], ignore_index=True).astype({"year": org["year"].dtype}))
    keys = build_model(data).offers[["material", "source", "year"]]
    want = reference_origin_shares(data, keys)
    got, codes, index = OR.origin_codes(data, keys)
    assert list(got) == list(OR.MEASURES) and index.is_monotonic_increasing
    for measure in OR.MEASURES:
        pd.testing.assert_frame_equal(got[measure], want[measure], check_exact=True)
        assert np.asarray(index, dtype=object)[codes[measure]].tolist() == got[measure]["country"].tolist()
    part, _, _ = OR.origin_codes(data, keys, ("refining",))
    assert list(part) == ["refining"]
    pd.testing.assert_frame_equal(part["refining"], want["refining"], check_exact=True)
