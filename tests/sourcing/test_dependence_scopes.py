"""The analysis tables made over integer key codes equal the same tables made by group-bys over
the text columns themselves (the Dependence table, the country time-to-survive), row for row."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models import origins as OR
from models.caps import scope_members
from optimizer.sourcing import dependence as D
from optimizer.sourcing import tts as TTS
from optimizer.sourcing.run import solve_data
from optimizer.sourcing.validate import load_and_validate

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "inputs" / "korea_2024_2030.xlsx"


def reference_dependence(model, x):
    """Per measure one group-by over (material, year, country), then one per scope."""
    data, lp, sh, o = model.data, model.lp, model.shares, model.offers
    net = x[lp.var_blocks["buy"].positions].astype(float).copy()
    use = lp.var_blocks["use"]
    if use.size:
        np.subtract.at(net, model.use_offer, x[use.positions])
    dem = model.demand.assign(wd=lambda d: d["material"].map(sh.weight) * d["demand"])
    groups = sorted({g for g in data.materials["group"] if isinstance(g, str) and g})
    frames = []
    for measure in OR.MEASURES:
        t = sh.offers[measure]
        k = t["key"].to_numpy(np.int64)
        parts = [pd.DataFrame({"material": o["material"].to_numpy()[k], "year": o["year"].to_numpy()[k],
                               "country": t["country"].to_numpy(),
                               "value": t["share"].to_numpy() * net[k] * o["material"].map(sh.weight).to_numpy()[k]})]
        t = sh.projects[measure]
        if lp.var_blocks["make"].size and len(t):
            k = t["key"].to_numpy(np.int64)
            parts.append(pd.DataFrame({"material": sh.pkeys["material"].to_numpy()[k],
                                       "year": sh.pkeys["year"].to_numpy()[k], "country": t["country"].to_numpy(),
                                       "value": t["share"].to_numpy() * x[lp.var_blocks["make"].positions][k]
                                       * sh.pkeys["material"].map(sh.weight).to_numpy()[k]}))
        if lp.var_blocks["conv"].size:
            parts.append(D._conversion_frame(model, sh, x, measure))
        vals = pd.concat(parts, ignore_index=True)
        vals = vals.groupby(["material", "year", "country"], as_index=False)["value"].sum()
        for scope in ["ALL"] + groups + list(data.materials["material"]):
            members = OR.members_with(measure, scope_members(data, scope), sh.stages)
            if not members:
                continue
            v = vals[vals["material"].isin(members)].groupby(["year", "country"], as_index=False)["value"].sum()
            wd = dem[dem["material"].isin(members)].groupby("year")["wd"].sum()
            v["weighted_demand"] = v["year"].map(wd).astype(float)
            v["share"] = np.where(v["weighted_demand"] > 0, v["value"] / v["weighted_demand"], np.nan)
            v["scope"], v["measure"] = scope, measure
            frames.append(v)
    out = pd.concat(frames, ignore_index=True)
    out = out[out["value"].abs() > 1e-9]
    out = out.assign(_m=out["measure"].map({m: i for i, m in enumerate(OR.MEASURES)}))
    out = out.sort_values(["year", "scope", "_m", "share"], ascending=[True, True, True, False])
    return out[["year", "scope", "measure", "country", "share", "value", "weighted_demand"]].reset_index(drop=True)


def reference_country_tts(data, stock, measures=("direct", "refining")):
    """One group-by over (country, material, year) per measure, then one sort."""
    sup = data.supply[data.supply["year"].isin(set(data.years))].reset_index(drop=True)
    tables = OR.origin_shares(data, sup[["material", "source", "year"]])
    total = sup.groupby(["material", "year"])["capacity"].sum()
    frames = []
    for measure in measures:
        t = tables[measure]
        k = t["key"].to_numpy(np.int64)
        lost = t.assign(material=sup["material"].to_numpy()[k], year=sup["year"].to_numpy()[k],
                        lost=t["share"].to_numpy() * sup["capacity"].to_numpy()[k])
        lost = lost.groupby(["country", "material", "year"], as_index=False)["lost"].sum()
        lost = lost[lost["lost"] > 1e-9].assign(measure=measure)
        frames.append(lost)
    out = pd.concat(frames, ignore_index=True).rename(columns={"lost": "lost_capacity"})
    mats, years = out["material"], out["year"]
    out["demand"] = TTS._at(data.demand.set_index(["material", "year"])["demand"], mats, years)
    out["capacity_left"] = np.maximum(0.0, TTS._at(total, mats, years) - out["lost_capacity"])
    st = TTS.start_stock(data, stock).set_index(["material", "year"])["start_stock"]
    out["start_stock"] = TTS._not_negative(TTS._at(st, mats, years))
    gap = (out["demand"] - out["capacity_left"]).to_numpy() / TTS.WEEKS
    with np.errstate(divide="ignore", invalid="ignore"):
        out["tts_weeks"] = np.where(gap <= 0, TTS.WEEKS, np.minimum(TTS.WEEKS, out["start_stock"].to_numpy()
                                                                    / np.where(gap > 0, gap, 1.0)))
    cols = ["country", "measure", "material", "year", "demand", "lost_capacity", "capacity_left", "start_stock",
            "tts_weeks"]
    return out[cols].sort_values(["tts_weeks", "country", "measure", "material", "year"]).reset_index(drop=True)


@pytest.fixture(scope="module", params=[None, "lynas_delay", "per_material_targets"])
def solved(request):
    data = load_and_validate(str(SAMPLE), scenario=request.param)
    res, model, sol = solve_data(data)
    return data, res, model, sol


def test_dependence_equals_the_group_by_per_scope(solved):
    _, res, model, sol = solved
    want = reference_dependence(model, sol.x)
    assert len(want) > 100 and want["measure"].nunique() == len(OR.MEASURES)
    pd.testing.assert_frame_equal(res.dependence, want, check_exact=False, rtol=1e-12, atol=0.0)


def test_country_tts_equals_the_group_by_per_measure(solved):
    data, res, _, _ = solved
    stock = res.stockpile[["material", "year", "closing"]].rename(columns={"closing": "value"})
    for measures in (("direct", "refining"), ("look-through", "mining")):
        want = reference_country_tts(data, stock, measures)
        got = TTS.country_time_to_survive(data, stock, measures)
        assert len(want) > 10
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_cell_sums_dense_and_sorted_agree():
    rng = np.random.default_rng(3)
    key = rng.integers(0, 40, 2_000) * 7_919
    value = rng.normal(size=key.size)
    dense_cells, dense = D._sum_by_cell(key, value, 40 * 7_919)          # counted densely
    cells, sums = D._sum_by_cell(key, value, 10 ** 12)                    # beyond the dense limit: sorted
    want = pd.Series(value).groupby(key).sum()
    assert dense_cells.tolist() == cells.tolist() == want.index.tolist()
    assert dense == pytest.approx(want.to_numpy(), rel=1e-12) and sums == pytest.approx(want.to_numpy(), rel=1e-12)
