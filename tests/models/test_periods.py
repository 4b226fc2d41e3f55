"""Periods within years (models.periods): with nothing disrupted the quarterly and monthly models
have exactly the annual optimum (one period per year is the annual model itself), and a
three-month embargo drains, at quarterly resolution, stock that the annual model keeps."""
import numpy as np
import pytest

from model_fixtures import converting, make_data, random_data
from models.periods import period_stock
from models.sourcing import build_model
from optimizer.core.solver import OPTIMAL, SolveOptions, solve_lp
from optimizer.risk.load import make_risk, period_factors, scenario_factors
from optimizer.risk.metrics import solve_stochastic

OPTS = SolveOptions(ranging=False, want_duals=False)


def _solve(data):
    m = build_model(data)
    sol = solve_lp(m.lp, OPTS)
    assert sol.status == OPTIMAL
    return m, sol


def test_one_period_per_year_is_the_annual_model():
    data = random_data(3)
    a, b = build_model(data), build_model(data.with_settings(periods_per_year=1))
    for x, y in zip(a.lp.arrays(), b.lp.arrays()):
        assert np.array_equal(x, y)
    assert list(a.lp.var_blocks) == list(b.lp.var_blocks) and "deliver" not in b.lp.var_blocks


@pytest.mark.parametrize("periods", [4, 12])
@pytest.mark.parametrize("make", [lambda: random_data(1), lambda: random_data(7, with_projects=True), converting],
                         ids=["random", "projects", "conversion"])
def test_even_periods_keep_the_annual_optimum(make, periods):
    data = make()
    _, annual = _solve(data)
    m, sol = _solve(data.with_settings(periods_per_year=periods))
    assert sol.objective == pytest.approx(annual.objective, rel=1e-9, abs=1e-9)
    ps = period_stock(m, sol.x)
    assert len(ps) == len(m.lp.var_blocks["stock"].index) * periods and (ps["stock"] >= -1e-9).all()


def _embargo_case(periods):
    """A, 2025-2026, demand 100 t/yr; CN 100 t/yr at 10/kg, JP 30 t/yr at 15/kg; 30 t opening
    stock and a 30 t target (109.5 days).  China delivers nothing April-June 2026."""
    data = make_data(
        materials=[("A", 10.0, 0.1, 30.0)],
        suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.3)],
        supply=[("A", s, t, cap, cost, np.nan, np.nan) for t in (2025, 2026)
                for s, cap, cost in (("CN", 100.0, 10.0), ("JP", 30.0, 15.0))],
        demand=[("A", 2025, 100.0), ("A", 2026, 100.0)],
        stockpile=[("A", 2025, 109.5), ("A", 2026, 109.5)],
        periods_per_year=periods)
    risk = make_risk([("embargo", 1.0, "cn3", 1.2)], [("cn3", "CN", "A", 2026, 3, 1.0, None)])
    risk.disruptions["start_month"] = 4.0
    offers = build_model(data).offers
    avail, spot = scenario_factors(risk, offers, data)
    res = solve_stochastic(data, avail, spot, risk.prob, risk.names, beta=0.0, with_vss=False,
                           avail_periods=period_factors(risk, offers, data))
    assert res.status == OPTIMAL
    return res


def test_period_factors_place_the_embargo_in_its_months():
    risk = make_risk([("e", 1.0, "x", 1.2)], [("x", "CN", "A", 2026, 3, 1.0, None)])
    risk.disruptions["start_month"] = 4.0
    data = make_data(
        materials=[("A", 10.0, 0.0, 0.0)], suppliers=[("CN", "china", 0.8)],
        supply=[("A", "CN", 2026, 100.0, 10.0, np.nan, np.nan)], demand=[("A", 2026, 100.0)], periods_per_year=12)
    offers = build_model(data).offers
    per = period_factors(risk, offers, data)
    assert per.shape == (1, 1, 12) and per[0, 0].tolist() == [1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert scenario_factors(risk, offers, data)[0][0, 0] == pytest.approx(0.75)   # the annual share
    quarterly = period_factors(risk, offers, data.with_settings(periods_per_year=4))
    assert quarterly[0, 0].tolist() == [1, 0, 1, 1]
    assert period_factors(risk, offers, data.with_settings(periods_per_year=1)) is None


def test_three_month_embargo_drains_at_quarterly_resolution_the_stock_the_annual_model_keeps():
    annual = _embargo_case(1)
    year_end = annual.model.lp.values("stock", annual.x)
    assert year_end.loc[year_end["year"] == 2026, "value"].min() >= 30.0 - 1e-6     # the year absorbs it
    quarterly = _embargo_case(4)
    inner = quarterly.model.lp.values("pstock", quarterly.x)
    q2 = inner[(inner["year"] == 2026) & (inner["period"] == 2)]["value"].iloc[0]
    # Q1: CN 25 + JP 7.5 against 25 builds at most 7.5 t; Q2: JP 7.5 against 25 draws 17.5 t:
    # at most 20 t are left at the end of June, whatever the plan (the path is not unique)
    assert q2 <= 20.0 + 1e-6
    assert inner[inner["year"] == 2026]["value"].min() < 30.0 - 9.0
    for r in (annual, quarterly):
        assert r.model.lp.values("unmet", r.x)["value"].sum() == pytest.approx(0.0, abs=1e-9)


def test_decomposition_reads_the_period_availability_too():
    """The two-stage structure of the quarterly embargo (deliver bounds per period and scenario)
    solved by the L-shaped method has the extensive form's optimum."""
    from models.stochastic_twostage import two_stage_form
    from optimizer.risk.decompose import solve_ef, solve_two_stage
    data = make_data(
        materials=[("A", 10.0, 0.1, 30.0)], suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.3)],
        supply=[("A", s, t, cap, cost, np.nan, np.nan) for t in (2025, 2026)
                for s, cap, cost in (("CN", 100.0, 10.0), ("JP", 30.0, 15.0))],
        demand=[("A", 2025, 100.0), ("A", 2026, 100.0)], stockpile=[("A", 2025, 109.5), ("A", 2026, 109.5)],
        periods_per_year=4)
    risk = make_risk([("calm", 0.7, "", 1.2), ("embargo", 0.3, "cn3", 1.5)], [("cn3", "CN", "A", 2026, 3, 1.0, 2.0)])
    risk.disruptions["start_month"] = 4.0
    offers = build_model(data).offers
    avail, spot = scenario_factors(risk, offers, data)
    per = period_factors(risk, offers, data)
    ef = solve_stochastic(data, avail, spot, risk.prob, risk.names, alpha=0.9, beta=1.0, with_vss=False,
                          avail_periods=per)
    st = two_stage_form(data, avail, spot, risk.prob, 0.9, 1.0, risk.names, avail_periods=per)
    assert solve_ef(st.ts).objective / 1000.0 == pytest.approx(ef.objective, rel=1e-9)
    bd = solve_two_stage(st.ts, "benders", gap=1e-8, with_vss=False).result
    assert bd.lower_bound / 1000.0 <= ef.objective * (1 + 1e-9) and bd.objective / 1000.0 == pytest.approx(ef.objective, rel=1e-7)


@pytest.mark.parametrize("value,ok", [(1, True), (4.0, True), (12, True), (2, False), (52, False)])
def test_periods_per_year_setting_is_1_4_or_12(value, ok):
    from optimizer.sourcing.validate import resolve_settings
    issues = []
    s = resolve_settings({"first_year": 2025, "last_year": 2030, "periods_per_year": value},
                         {"periods_per_year": "Settings!B18"}, {"first_year", "last_year", "periods_per_year"},
                         None, issues)
    if ok:
        assert s.periods_per_year == int(value) and isinstance(s.periods_per_year, int) and not issues
    else:
        assert s is None and "periods_per_year must be 1 (years), 4 (quarters) or 12 (months)" in issues[0].rule


def test_licence_delay_stops_deliveries_for_its_months_then_the_fraction_applies():
    risk = make_risk([("e", 1.0, "x", 1.2)], [("x", "CN", "A", 2026, 3, 0.4, None)])
    risk.disruptions["start_month"] = 8.0
    risk.disruptions["licence_delay"] = 2.0
    data = make_data(materials=[("A", 10.0, 0.0, 0.0)], suppliers=[("CN", "china", 0.8)],
                     supply=[("A", "CN", 2026, 120.0, 10.0, np.nan, np.nan)], demand=[("A", 2026, 100.0)],
                     periods_per_year=12)
    offers = build_model(data).offers
    per = period_factors(risk, offers, data)[0, 0]
    assert per.tolist() == pytest.approx([1] * 7 + [0, 0, 0.6, 1, 1])
    yearly = scenario_factors(risk, offers, data.with_settings(periods_per_year=1))[0][0, 0]
    assert yearly == pytest.approx(1 - (2 + 0.4) / 12) == pytest.approx(per.mean())


def test_the_plans_result_workbook_gets_the_period_stock_sheet_and_chart(tmp_path):
    import openpyxl
    from optimizer.sourcing.readout import build_result
    from optimizer.sourcing.report import write_result_workbook
    data = random_data(2).with_settings(periods_per_year=4)
    m = build_model(data)
    sol = solve_lp(m.lp, SolveOptions(ranging=False))
    res = build_result(m, sol)
    assert res.periods_per_year == 4 and len(res.period_stock) == len(m.lp.var_blocks["stock"].index) * 4
    year_end = res.period_stock[res.period_stock["period"] == 4].set_index(["material", "year"])["stock"]
    closing = res.stockpile.set_index(["material", "year"])["closing"]
    assert np.allclose(year_end.loc[closing.index].to_numpy(), closing.to_numpy(), atol=1e-9)
    wb = openpyxl.load_workbook(write_result_workbook(res, tmp_path / "plan.xlsx"))
    ws = wb["PeriodStock"]
    assert len(ws._charts) == 1
    labels = [r[0] for r in ws.iter_rows(values_only=True)]
    assert "2025 Q1" in labels and "2027 Q4" in labels
    plain = build_model(random_data(2))
    annual = build_result(plain, solve_lp(plain.lp, SolveOptions()))
    assert annual.period_stock.empty
    assert "PeriodStock" not in openpyxl.load_workbook(write_result_workbook(annual, tmp_path / "a.xlsx")).sheetnames


def test_time_to_survive_reads_the_lowest_period_start_stock():
    """Quarterly embargo: the year 2026 starts with 30 t, but by the end of June at most 20 t are
    left, and time-to-survive (CN stopping, JP 30 t/yr against 100 t/yr) is read from that."""
    from optimizer.risk.metrics import expected_values
    from optimizer.sourcing.tts import time_to_survive
    res = _embargo_case(4)
    data = res.model.base.data
    yearly = time_to_survive(data, expected_values(res, "stock"))
    by_period = time_to_survive(data, expected_values(res, "stock"), period_stock=expected_values(res, "pstock"))
    pick = lambda t: t[(t["source"] == "CN") & (t["year"] == 2026)].iloc[0]     # noqa: E731
    assert pick(yearly)["start_stock"] == pytest.approx(30.0, abs=1e-6)
    assert pick(by_period)["start_stock"] <= 20.0 + 1e-6
    gap = (100.0 - 30.0) / 52.0
    assert pick(by_period)["tts_weeks"] == pytest.approx(pick(by_period)["start_stock"] / gap)
    assert pick(by_period)["tts_weeks"] < pick(yearly)["tts_weeks"] - 7.0
