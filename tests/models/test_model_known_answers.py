"""Known-answer models small enough to solve by hand: primal values, objective parts,
duals (in the documented sign convention) and ranging."""
import numpy as np
import pytest

from model_fixtures import make_data, one_year, two_years_stock
from optimizer.core.solver import INFEASIBLE, OPTIMAL
from optimizer.sourcing.run import solve_data


def buy(res, material, source, year):
    p = res.plan
    row = p[(p["material"] == material) & (p["source"] == source) & (p["year"] == year)]
    return float(row["tonnes"].sum())


def test_one_year_cap_splits_demand_and_prices_the_cap():
    # CN 10/kg, JP 15/kg, demand 100 t, China cap 60 %: CN 60 t, JP 40 t, cost 600 + 600 k.
    res, _, _ = solve_data(one_year(cap=0.6))
    assert res.status == OPTIMAL and res.proven_optimal
    assert buy(res, "A", "CN", 2030) == pytest.approx(60.0)
    assert buy(res, "A", "JP", 2030) == pytest.approx(40.0)
    assert res.objective == pytest.approx(1.2)
    assert res.objective_parts["purchases"] == pytest.approx(1.2)
    # +1 pp of allowed China share = +1 t CN, -1 t JP = 5 k saved = -0.005 M
    cs = res.cap_sensitivity.iloc[0]
    assert bool(cs["binding"])
    assert cs["shadow_price_per_pp"] == pytest.approx(-0.005)
    # the price holds while the target moves between 0 % (JP takes everything) and 100 %
    assert cs["rhs_share_low"] == pytest.approx(0.0, abs=1e-9)
    assert cs["rhs_share_high"] == pytest.approx(1.0)
    # one more tonne of demand is bought from JP at 15/kg
    assert res.demand_sensitivity["marginal_cost"].iloc[0] == pytest.approx(15.0)
    sh = res.shares.iloc[0]
    assert sh["china_share"] == pytest.approx(0.6) and bool(sh["within_target"])


def test_unbinding_cap_has_zero_shadow_price():
    res, _, _ = solve_data(one_year(cap=1.0))
    assert buy(res, "A", "CN", 2030) == pytest.approx(100.0)
    assert res.cap_sensitivity["shadow_price_per_pp"].iloc[0] == pytest.approx(0.0, abs=1e-12)
    assert res.demand_sensitivity["marginal_cost"].iloc[0] == pytest.approx(10.0)


def test_stock_carries_cheap_china_supply_into_capped_year():
    # 2030 China cap 0 %: buying 20 t CN in 2029 and holding 10 t (10 + 1 per kg) beats JP at 20.
    res, _, _ = solve_data(two_years_stock())
    assert buy(res, "A", "CN", 2029) == pytest.approx(20.0)
    assert buy(res, "A", "CN", 2030) == pytest.approx(0.0, abs=1e-9)
    assert buy(res, "A", "JP", 2030) == pytest.approx(0.0, abs=1e-9)
    st = res.stockpile.set_index("year")
    assert st.loc[2029, "closing"] == pytest.approx(10.0)
    assert st.loc[2030, "closing"] == pytest.approx(0.0, abs=1e-9)
    assert res.objective_parts["holding"] == pytest.approx(0.01)
    assert res.objective == pytest.approx(0.21)
    md = res.demand_sensitivity.set_index("year")["marginal_cost"]
    assert md[2029] == pytest.approx(10.0)
    assert md[2030] == pytest.approx(11.0)   # bought in 2029 and held a year
    # relaxing the 2030 cap by 1 pp (0.1 t) saves 0.1 t x (11 - 10) = 0.1 k
    assert res.cap_sensitivity["shadow_price_per_pp"].iloc[0] == pytest.approx(-0.0001)


def test_discounting_scales_the_objective():
    res, _, _ = solve_data(one_year(cap=0.6, discount_rate=0.1, base_year=2029))
    assert res.objective == pytest.approx(1.2 / 1.1)
    # marginal cost is reported in that year's money, undiscounted
    assert res.demand_sensitivity["marginal_cost"].iloc[0] == pytest.approx(15.0)


def test_risk_weight_moves_volume_to_the_safer_supplier():
    # lambda = 2: CN 10 + 2*0.8*10 = 26 per kg, JP 15 + 2*0.3*10 = 21 per kg -> all JP.
    res, _, _ = solve_data(one_year(cap=1.0, risk_weight=2.0))
    assert buy(res, "A", "JP", 2030) == pytest.approx(100.0)
    assert res.objective_parts["purchases"] == pytest.approx(1.5)
    assert res.objective_parts["risk charge"] == pytest.approx(2 * 0.3 * 10 * 100 / 1000)


def test_single_source_cap_limits_every_supplier():
    res, _, _ = solve_data(one_year(cap=1.0, max_single_source_share=0.55))
    assert buy(res, "A", "CN", 2030) == pytest.approx(55.0)
    assert buy(res, "A", "JP", 2030) == pytest.approx(45.0)


def test_ramp_limit_binds_and_is_explained_when_demand_goes_unmet():
    data = make_data(
        materials=[("A", 10.0, 0.0, 0.0)],
        suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.3)],
        supply=[("A", "CN", 2029, 100.0, 10.0, np.nan, np.nan), ("A", "CN", 2030, 100.0, 10.0, np.nan, np.nan),
                ("A", "JP", 2029, 100.0, 15.0, np.nan, np.nan), ("A", "JP", 2030, 100.0, 15.0, np.nan, 20.0)],
        demand=[("A", 2029, 50.0), ("A", 2030, 50.0)],
        policy=[(2029, "ALL", 0.9), (2030, "ALL", 0.5)],
    )
    res, _, _ = solve_data(data)
    # 2029: CN 45, JP 5; 2030: JP <= 5 + 20 = 25, CN <= 25 -> 50 met exactly (cheapest)
    assert buy(res, "A", "JP", 2030) - buy(res, "A", "JP", 2029) <= 20.0 + 1e-6
    assert res.unmet.empty
    tight = make_data(
        materials=[("A", 10.0, 0.0, 0.0)],
        suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.3)],
        supply=[("A", "CN", 2029, 100.0, 10.0, np.nan, np.nan), ("A", "CN", 2030, 100.0, 10.0, np.nan, np.nan),
                ("A", "JP", 2029, 0.0, 15.0, np.nan, np.nan), ("A", "JP", 2030, 100.0, 15.0, np.nan, 10.0)],
        demand=[("A", 2029, 50.0), ("A", 2030, 50.0)],
        policy=[(2029, "ALL", 1.0), (2030, "ALL", 0.5)],
    )
    res, _, _ = solve_data(tight)
    # The cap is written against demand, so even at 100 % China can sell at most 50 t in 2029
    # (no stock build-up beyond demand from China).  2030 needs 50 t: CN <= 25, JP <= 0 + 10
    # by the ramp -> 15 t short in total (where it falls is a tie between the years).
    assert res.unmet["unmet"].sum() == pytest.approx(15.0)
    assert buy(res, "A", "JP", 2030) == pytest.approx(10.0)
    assert any("ramp[A,JP,2030]" in i for i in res.diagnostics["item"])
    assert any("ramp limit of JP" in s or "China cap" in s for s in res.explanation)


def test_unmet_demand_is_reported_with_causes_and_required_share():
    res, _, _ = solve_data(one_year(cap=0.0, jp_cap=50.0))
    assert res.status == OPTIMAL
    assert res.unmet["unmet"].iloc[0] == pytest.approx(50.0)
    text = " ".join(res.explanation)
    assert "A 2030" in text and "China cap for ALL in 2030" in text and "JP 50.0 t" in text
    assert "50.0%" in text   # the China share that would serve all demand


def test_infeasible_min_contract_is_explained():
    # A take-or-pay minimum of 80 t from China contradicts a 60 % cap on 100 t of demand.
    res, _, _ = solve_data(one_year(cap=0.6, cn_min=80.0))
    assert res.status == INFEASIBLE
    assert not res.proven_optimal
    text = " ".join(res.explanation)
    assert ("min_volume[A,CN,2030]" in text and "20.0 t" in text) or "china_cap[ALL,2030]" in text


def _stock_data(capacity: float, stock_targets: str):
    # 365 t a year of A: a 10-day target is 10 t; China at 10 USD/kg; a shortfall costs 5 USD/kg
    return make_data(materials=[("A", 10.0, 0.0, 0.0)], suppliers=[("CN", "china", 0.0)],
                     supply=[("A", "CN", 2030, capacity, 10.0, np.nan, np.nan)],
                     demand=[("A", 2030, 365.0)], stockpile=[("A", 2030, 10.0)],
                     stock_shortfall_penalty=5.0, stock_targets=stock_targets)


def test_soft_stock_target_is_given_up_when_its_penalty_is_cheaper():
    res, _, _ = solve_data(_stock_data(1000.0, "soft"))
    st = res.stockpile.iloc[0]
    # 10 t bought at 10 USD/kg would cost 0.1 M; the shortfall penalty is 0.05 M: the target is missed
    assert st["closing"] == pytest.approx(0.0, abs=1e-9) and st["shortfall"] == pytest.approx(10.0)
    assert res.objective_parts["stock shortfall penalty"] == pytest.approx(0.05)
    assert res.objective_parts["purchases"] == pytest.approx(3.65)


def test_hard_stock_target_is_met_at_its_cost():
    res, _, _ = solve_data(_stock_data(1000.0, "hard"))
    st = res.stockpile.iloc[0]
    assert st["closing"] == pytest.approx(10.0) and st["shortfall"] == pytest.approx(0.0, abs=1e-9)
    assert res.objective_parts["purchases"] == pytest.approx(3.75)          # 375 t x 10 USD/kg
    assert res.objective_parts["stock shortfall penalty"] == pytest.approx(0.0, abs=1e-12)


def test_hard_stock_target_that_cannot_be_held_is_explained():
    # 200 t of capacity for 365 t of demand: even leaving demand unmet, the year-end stock is at most... the
    # balance closing = buy - (demand - unmet) <= 200 - 365 + 365 = 200 t -> a 10-day target is reachable by
    # leaving demand unmet; a 365-day target (365 t) is not: it must be lowered by 165 t.
    data = _stock_data(200.0, "hard")
    data = data.__class__(**{**data.__dict__, "stockpile": data.stockpile.assign(target_days=365.0)})
    res, _, _ = solve_data(data)
    assert res.status == INFEASIBLE
    text = " ".join(res.explanation)
    assert "A stockpile target, end of 2030 (stock_target[A,2030])" in text
    assert "must be lowered by 165.0 t" in text


def test_hard_stock_target_leaves_demand_unmet_and_says_why():
    res, _, _ = solve_data(_stock_data(360.0, "hard"))
    # 360 t bought, 10 t must stay in stock: 15 t of demand is unmet
    assert res.unmet["unmet"].sum() == pytest.approx(15.0)
    assert "the hard stock target of 10.0 t at the end of 2030 must be held" in " ".join(res.explanation)


def _project_data(integer: bool):
    # cap 0 % in 2030: JP at 20/kg, or project P (capacity 50 t/yr, capex 0.05 M, opex 12/kg).
    return make_data(
        materials=[("A", 10.0, 0.0, 0.0)],
        suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.3), ("KR", "domestic", 0.2)],
        supply=[("A", "CN", 2030, 100.0, 10.0, np.nan, np.nan), ("A", "JP", 2030, 100.0, 20.0, np.nan, np.nan)],
        demand=[("A", 2030, 10.0)],
        policy=[(2030, "ALL", 0.0)],
        investments=[("P", "plant", "A", "KR", 50.0, 0.05, 12.0, 2030, 1)],
        integer_investments=integer,
    )


def test_project_lp_builds_the_fraction_it_needs():
    res, _, _ = solve_data(_project_data(False))
    inv = res.investments.iloc[0]
    # output 10 t needs 10/50 = 20 % of the plant: capex 0.01 M + opex 0.12 M < JP 0.2 M
    assert inv["built_share"] == pytest.approx(0.2)
    assert inv["first_output_year"] == 2030 and inv["capex_year"] == 2030
    assert res.objective == pytest.approx(0.13)
    assert not res.duals_indicative


def test_project_mip_builds_whole_plant_and_flags_duals_indicative():
    res, _, _ = solve_data(_project_data(True))
    assert res.investments.iloc[0]["built_share"] == pytest.approx(1.0)
    assert res.objective == pytest.approx(0.17)
    assert res.duals_indicative


def test_capex_budget_limits_the_build():
    data = _project_data(False)
    data = data.__class__(**{**data.__dict__, "budget": data.budget.__class__({"year": [2030], "capex_budget": [0.005]})})
    res, _, _ = solve_data(data)
    # budget 0.005 M buys 10 % of the plant = 5 t; the other 5 t come from JP
    assert res.investments.iloc[0]["built_share"] == pytest.approx(0.1)
    assert buy(res, "A", "JP", 2030) == pytest.approx(5.0)


def test_stockpile_target_is_met_or_its_shortfall_priced():
    data = make_data(
        materials=[("A", 10.0, 0.0, 0.0)],
        suppliers=[("CN", "china", 0.8)],
        supply=[("A", "CN", 2030, 1000.0, 10.0, np.nan, np.nan)],
        demand=[("A", 2030, 365.0)],
        stockpile=[("A", 2030, 10.0)],
    )
    res, _, _ = solve_data(data)
    st = res.stockpile.iloc[0]
    assert st["closing"] == pytest.approx(10.0)
    assert st["cover_days"] == pytest.approx(10.0)
    assert st["shortfall"] == pytest.approx(0.0, abs=1e-9)
    short = make_data(
        materials=[("A", 10.0, 0.0, 0.0)],
        suppliers=[("CN", "china", 0.8)],
        supply=[("A", "CN", 2030, 370.0, 10.0, np.nan, np.nan)],
        demand=[("A", 2030, 365.0)],
        stockpile=[("A", 2030, 10.0)],
    )
    res, _, _ = solve_data(short)
    assert res.stockpile.iloc[0]["shortfall"] == pytest.approx(5.0)
    assert any(k == "missed target" for k in res.diagnostics["kind"])


def test_shares_never_exceed_targets_on_random_instances():
    from model_fixtures import random_data
    for seed in range(5):
        res, model, sol = solve_data(random_data(seed))
        assert res.status == OPTIMAL
        capped = res.shares[res.shares["target"].notna()]
        assert (capped["china_share"] <= capped["target"] + 1e-7).all()
        # every purchase within its capacity, demand met or reported unmet
        assert (res.plan["tonnes"] <= res.plan["capacity"] + 1e-6).all()
        st = res.stockpile
        served = st["opening"] + st["purchases"] + st["project_output"] + st["unmet"] - st["closing"]
        assert np.allclose(served, st["demand"], atol=1e-6)
        assert model.lp.check_feasible(sol.x) == []


def test_penalty_precedence_material_then_setting_then_default():
    from models.penalties import material_penalties
    data = one_year(cap=0.6)                       # fixture sets unmet 1000, shortfall 100
    pen = material_penalties(data).iloc[0]
    assert pen["unmet_penalty"] == pytest.approx(1000.0)
    assert pen["shortfall_penalty"] == pytest.approx(100.0)
    blank = data.with_settings(unmet_penalty=None, stock_shortfall_penalty=None)
    pen = material_penalties(blank).iloc[0]
    assert pen["unmet_penalty"] == pytest.approx(150.0)     # max(10, 2 x 1 year) x highest unit cost 15
    assert pen["shortfall_penalty"] == pytest.approx(22.5)  # 1.5 x 15
    own = blank.materials.assign(unmet_penalty=[42.0], shortfall_penalty=[np.nan])
    pen = material_penalties(blank.__class__(**{**blank.__dict__, "materials": own})).iloc[0]
    assert pen["unmet_penalty"] == pytest.approx(42.0)
    assert pen["shortfall_penalty"] == pytest.approx(22.5)
    res, _, _ = solve_data(one_year(cap=0.0, jp_cap=50.0).with_settings(unmet_penalty=None))
    assert res.objective_parts["unmet demand penalty"] == pytest.approx(50 * 150 / 1000)


def test_default_penalties_scale_with_the_horizon():
    from models.penalties import material_penalties
    from model_fixtures import random_data
    data = random_data(2, years=tuple(range(2025, 2037))).with_settings(unmet_penalty=None,
                                                                         stock_shortfall_penalty=None)
    pen = material_penalties(data).set_index("material")
    top = data.supply.groupby("material")["unit_cost"].max()
    assert pen["unmet_penalty"].to_numpy() == pytest.approx(24.0 * top[pen.index].to_numpy())  # 2 x 12 years
    assert pen["shortfall_penalty"].to_numpy() == pytest.approx(1.5 * top[pen.index].to_numpy())


def test_unmet_demand_never_creates_stock():
    """A stock target worth more than unmet demand (shortfall 5,000/kg vs unmet 1,000/kg) with 1 t of
    capacity for 365 t of demand: at most the 365 t of demand go unmet, and the year-end stock is
    the 1 t bought; "unmet" beyond demand would conjure the 10 t target out of nothing."""
    data = make_data(materials=[("A", 10.0, 0.0, 0.0)], suppliers=[("CN", "china", 0.0)],
                     supply=[("A", "CN", 2030, 1.0, 10.0, np.nan, np.nan)],
                     demand=[("A", 2030, 365.0)], stockpile=[("A", 2030, 10.0)],
                     unmet_penalty=1000.0, stock_shortfall_penalty=5000.0)
    res, _, _ = solve_data(data)
    assert res.unmet["unmet"].sum() == pytest.approx(365.0)
    st = res.stockpile.iloc[0]
    assert st["closing"] == pytest.approx(1.0) and st["shortfall"] == pytest.approx(9.0)
