"""Dependence the way the policies define it, on instances small enough to solve by hand: any
single country, at a processing stage, through what Korea converts itself."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from model_fixtures import make_data
from models import origins as OR
from models.sourcing import build_model
from optimizer.core.solver import OPTIMAL
from optimizer.sourcing.run import solve_data

NAN = np.nan


def policy(rows):
    return pd.DataFrame(rows, columns=["year", "scope", "max_china_share", "country", "stage"]).astype({"year": int})


def origins(rows):
    return pd.DataFrame(rows, columns=["material", "source", "year", "stage", "country", "share"])


def three_countries(**settings):
    """A: 100 t in 2030; CN 10/kg, JP 12/kg, US 15/kg, 100 t each."""
    d = make_data(materials=[("A", 1.0, 0.0, 0.0)],
                  suppliers=[("CN", "china", 0.0), ("JP", "ally", 0.0), ("US", "ally", 0.0)],
                  supply=[("A", "CN", 2030, 100.0, 10.0, NAN, NAN), ("A", "JP", 2030, 100.0, 12.0, NAN, NAN),
                          ("A", "US", 2030, 100.0, 15.0, NAN, NAN)],
                  demand=[("A", 2030, 100.0)], **settings)
    return d


def bought(res, source):
    p = res.plan
    return float(p.loc[p["source"] == source, "tonnes"].sum())


def test_any_country_cap_is_the_set_of_per_country_caps():
    base = three_countries()
    anyc = replace(base, policy=policy([(2030, "ALL", 0.4, "ANY", "direct")]))
    each = replace(base, policy=policy([(2030, "ALL", 0.4, c, "direct") for c in ("CN", "JP", "US")]))
    ra, ma, _ = solve_data(anyc)
    re_, _, _ = solve_data(each)
    assert ra.status == re_.status == OPTIMAL
    # by hand: CN 40 t at 10, JP 40 t at 12, US 20 t at 15 -> 400 + 480 + 300 = 1,180 k = 1.18 M
    assert (bought(ra, "CN"), bought(ra, "JP"), bought(ra, "US")) == pytest.approx((40.0, 40.0, 20.0))
    assert ra.objective == pytest.approx(1.18) and re_.objective == pytest.approx(ra.objective)
    rows = ma.cap_rows
    assert set(rows["country"]) == {"CN", "JP", "US"} and (rows["family"] == "country_cap").all()
    # a China-bloc cap alone only moves tonnes from CN to the next cheapest: JP takes 60 t
    china = replace(base, policy=policy([(2030, "ALL", 0.4, "", "direct")]))
    rc, mc, _ = solve_data(china)
    assert (bought(rc, "CN"), bought(rc, "JP")) == pytest.approx((40.0, 60.0))
    assert list(mc.cap_rows["family"]) == ["china_cap"]


def test_a_product_separated_in_china_counts_fully_at_that_stage():
    """JP sells A separated 100 % in China: on the refining measure it is Chinese, so a 30 % cap
    at refining sends 70 t to US (separated in the US); the direct China share is 0 all along."""
    base = three_countries()
    base = replace(base, supply=base.supply[base.supply["source"] != "CN"].reset_index(drop=True),
                   origins=origins([("A", "JP", NAN, "refining", "CN", 1.0)]))
    data = replace(base, policy=policy([(2030, "ALL", 0.3, "CN", "refining")]))
    res, model, _ = solve_data(data)
    assert (bought(res, "JP"), bought(res, "US")) == pytest.approx((30.0, 70.0))
    assert res.objective == pytest.approx((30 * 12 + 70 * 15) / 1000)
    dep = res.dependence
    at = lambda c, m: float(dep[(dep["country"] == c) & (dep["measure"] == m) & (dep["scope"] == "ALL")  # noqa: E731
                                & (dep["year"] == 2030)]["share"].sum())      # no row = no share
    assert at("CN", "refining") == pytest.approx(0.3) and at("CN", "direct") == pytest.approx(0.0, abs=1e-12)
    assert at("CN", "look-through") == pytest.approx(0.3)
    assert at("JP", "direct") == pytest.approx(0.3) and at("US", "direct") == pytest.approx(0.7)


def conversion_chain(cap_share: float, stage: str):
    """Korea makes M (stages metal, magnet) from oxide X at 0.5 t X per t M; X from CN (5/kg,
    separated in CN) or AU (8/kg, separated in AU); 100 t of M demanded, none of X."""
    d = make_data(materials=[("M", 10.0, 0.0, 0.0), ("X", 4.0, 0.0, 0.0)],
                  suppliers=[("CN", "china", 0.0), ("AU", "ally", 0.0), ("KR", "domestic", 0.0)],
                  supply=[("X", "CN", 2030, 100.0, 5.0, NAN, NAN), ("X", "AU", 2030, 100.0, 8.0, NAN, NAN)],
                  demand=[("M", 2030, 100.0), ("X", 2030, 0.0)])
    mats = d.materials.assign(stages=["mining, refining, metal, magnet", "mining, refining"])
    conv = pd.DataFrame([("KRM", "Korean magnet line", "M", "KR", "metal, magnet", NAN, 200.0, 2.0)],
                        columns=["process", "name", "material", "source", "stages", "year", "capacity", "unit_cost"])
    ins = pd.DataFrame([("KRM", "X", 0.5)], columns=["process", "material", "input_per_t"])
    return replace(d, materials=mats, conversion=conv, conversion_inputs=ins,
                   policy=policy([(2030, "M", cap_share, "CN", stage)]))


@pytest.mark.parametrize("stage", ["refining", "mining", "look-through"])
def test_conversion_carries_the_origin_of_its_inputs(stage):
    """A 40 % Chinese cap on M at an upstream stage: M's origin is its oxide's, so at most
    0.4 x 50 t = 20 t of the 50 t of X may come from CN.  Cost: 20 x 5 + 30 x 8 + 100 x 2 = 540 k."""
    res, model, _ = solve_data(conversion_chain(0.4, stage))
    assert res.status == OPTIMAL
    assert (bought(res, "CN"), bought(res, "AU")) == pytest.approx((20.0, 30.0))
    assert res.objective == pytest.approx(0.54)
    conv = res.conversion
    assert float(conv.drop_duplicates(["process", "year"])["output_t"].sum()) == pytest.approx(100.0)
    assert float(conv["input_t"].sum()) == pytest.approx(50.0)
    assert res.unmet.empty
    dep = res.dependence
    row = dep[(dep["country"] == "CN") & (dep["scope"] == "M") & (dep["year"] == 2030)]
    assert float(row[row["measure"] == stage]["share"].iloc[0]) == pytest.approx(0.4)
    assert float(row[row["measure"] == "direct"]["share"].sum()) == pytest.approx(0.0, abs=1e-12)
    assert float(dep[(dep["country"] == "KR") & (dep["scope"] == "M") & (dep["measure"] == "direct")]
                 ["share"].iloc[0]) == pytest.approx(1.0)


def test_direct_cap_on_a_converted_product_does_not_see_its_inputs():
    res, _, _ = solve_data(conversion_chain(0.0, "direct"))
    # Korean-made M is 0 % Chinese on the direct measure: the cheap Chinese oxide is used in full
    assert (bought(res, "CN"), bought(res, "AU")) == pytest.approx((50.0, 0.0))


def test_conversion_mass_balance_with_its_yield():
    res, model, sol = solve_data(conversion_chain(1.0, "direct"))
    use = model.lp.var_blocks["use"]
    conv = model.lp.var_blocks["conv"]
    assert float(sol.x[use.positions].sum()) == pytest.approx(0.5 * float(sol.x[conv.positions].sum()))
    st = res.stockpile.set_index("material")
    assert st.loc["X", "used_in_conversion"] == pytest.approx(50.0)
    assert st.loc["X", "closing"] == pytest.approx(0.0, abs=1e-9)


def test_china_look_through_is_at_least_direct_on_every_fixture():
    for seed in range(6):
        from model_fixtures import random_data
        data = random_data(seed)
        rng = np.random.default_rng(seed)
        rows = []
        for m, s in {(m, s) for m, s in zip(data.supply["material"], data.supply["source"])}:
            if rng.random() < 0.5:
                cn = float(rng.uniform(0, 1))
                rows += [(m, s, NAN, "refining", "S0", cn), (m, s, NAN, "refining", s, 1 - cn)] if s != "S0" else []
        data = replace(data, origins=origins(rows))
        res, _, _ = solve_data(data)
        # China (S0): what it sells has Chinese stages, so its look-through share is at least its
        # direct one, and at least its share at any stage
        dep = res.dependence[res.dependence["country"] == "S0"].pivot_table(
            index=["scope", "year"], columns="measure", values="share").fillna(0.0)
        assert (dep["look-through"] >= dep["direct"] - 1e-9).all()
        for st in OR.STAGES:
            if st in dep:
                assert (dep["look-through"] >= dep[st] - 1e-9).all()


def test_old_workbook_data_builds_the_same_model():
    """No Origins, no Conversion, Policy without country or stage: the rows of every workbook
    before stages existed (china_cap), nothing else."""
    data = three_countries()
    data = replace(data, policy=pd.DataFrame({"year": [2030], "scope": ["ALL"], "max_china_share": [0.5]}))
    model = build_model(data)
    assert list(model.cap_rows["family"]) == ["china_cap"]
    assert model.lp.var_blocks["conv"].size == model.lp.var_blocks["use"].size == 0
    assert model.lp.row_blocks["country_cap"].size == 0
