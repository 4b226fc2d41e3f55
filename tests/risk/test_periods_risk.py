"""The monthly risk sample (periods_per_year 12, 2025-2030, disruptions placed in their months):
it solves, and its risk workbook has the period sheets and the monthly stock chart; a disruption
draws stock down inside its year that the year-end figures do not show."""
from pathlib import Path

import openpyxl
import pytest

from optimizer.core.solver import OPTIMAL
from optimizer.risk.report_periods import period_cover_frame, period_stock_frame
from optimizer.risk.run import run_risk

MONTHLY = Path(__file__).resolve().parents[2] / "inputs" / "korea_2025_2030_monthly_risk.xlsx"


@pytest.fixture(scope="module")
def monthly(tmp_path_factory):
    out = tmp_path_factory.mktemp("monthly") / "monthly.xlsx"
    res, tts, ranking, path = run_risk(MONTHLY, out)
    return res, path, tts


def test_monthly_sample_solves_and_writes_its_period_sheets(monthly):
    res, path, _ = monthly
    assert res.status == OPTIMAL and path is not None
    wb = openpyxl.load_workbook(path)
    assert {"PeriodStock", "PeriodCover", "RiskSummary", "TimeToSurvive"} <= set(wb.sheetnames)
    ws = wb["PeriodStock"]
    assert len(ws._charts) == 1
    labels = [r[0] for r in ws.iter_rows(min_row=1, values_only=True)]
    assert "2025-01" in labels and "2030-12" in labels
    assert sum(1 for v in labels if isinstance(v, str) and v[:2] == "20" and v[4] == "-") == 6 * 12


def test_a_disruption_draws_stock_down_within_its_year(monthly):
    res, _, _ = monthly
    stock = period_stock_frame(res)
    assert len(stock) == 5 * 6 * 12 and (stock["lowest stock (t)"] >= -1e-6).all()
    assert (stock["lowest stock (t)"] <= stock["expected stock (t)"] + 1e-6).all()
    y27 = stock[stock["year"] == 2027]
    dec = y27[y27["period"] == 12].set_index("material")["lowest stock (t)"]
    low = y27.groupby("material")["lowest stock (t)"].min()
    assert (low < dec - 1.0).any()          # some material ends 2027 above its lowest month
    cover = period_cover_frame(stock)
    assert set(cover["material"]) == set(stock["material"]) and len(cover) == 5 * 6


def test_time_to_recover_at_period_resolution():
    """A 2-month disruption from 1 August is whole again from October: 2 months = 8.67 weeks in a
    monthly workbook; from mid-August (start 8.5) it reaches into October (3 months, 13 weeks); in a
    quarterly one Q3 to Q3... from 1 August to 1 October touches Q3 only (13 weeks), from 1 September
    for 2 months Q3 and Q4 (26 weeks); yearly: months x 52/12; cut at December."""
    from optimizer.sourcing.tts import disruption_weeks
    assert disruption_weeks(2, 8, 12) == pytest.approx(2 * 52 / 12)
    assert disruption_weeks(2, 8.5, 12) == pytest.approx(3 * 52 / 12)
    assert disruption_weeks(2, 8, 4) == pytest.approx(13.0)
    assert disruption_weeks(2, 9, 4) == pytest.approx(26.0)
    assert disruption_weeks(2, None, 12) == pytest.approx(2 * 52 / 12)
    assert disruption_weeks(2, 8, 1) == pytest.approx(2 * 52 / 12)
    assert disruption_weeks(6, 11, 12) == pytest.approx(2 * 52 / 12)      # November and December only


def test_monthly_sample_ttr_follows_its_months(monthly):
    """TimeToSurvive's TTR in the monthly sample: each dated Disruptions row's weeks at month
    resolution, the longest where several hit the same source, material and year."""
    from optimizer.risk.load import read_risk_scenarios
    from optimizer.sourcing.tts import disruption_weeks
    from optimizer.sourcing.validate import load_and_validate
    _, _, tts = monthly
    dis = read_risk_scenarios(MONTHLY, load_and_validate(str(MONTHLY))).disruptions
    dated = dis[dis["start_month"].notna() & (dis["fraction_lost"] > 0) & (dis["source"] != "ALL")
                & (dis["material"] != "ALL")]
    assert len(dated)
    checked = 0
    for (s_, m, y), g in dated.groupby(["source", "material", "year"]):
        row = tts[(tts["source"] == s_) & (tts["material"] == m) & (tts["year"] == y)]
        if len(row):
            want = max(disruption_weeks(r["months"], r["start_month"], 12) for _, r in g.iterrows())
            assert row["ttr_weeks"].iloc[0] >= want - 1e-9
            checked += 1
    assert checked
