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
    return res, path


def test_monthly_sample_solves_and_writes_its_period_sheets(monthly):
    res, path = monthly
    assert res.status == OPTIMAL and path is not None
    wb = openpyxl.load_workbook(path)
    assert {"PeriodStock", "PeriodCover", "RiskSummary", "TimeToSurvive"} <= set(wb.sheetnames)
    ws = wb["PeriodStock"]
    assert len(ws._charts) == 1
    labels = [r[0] for r in ws.iter_rows(min_row=1, values_only=True)]
    assert "2025-01" in labels and "2030-12" in labels
    assert sum(1 for v in labels if isinstance(v, str) and v[:2] == "20" and v[4] == "-") == 6 * 12


def test_a_disruption_draws_stock_down_within_its_year(monthly):
    res, _ = monthly
    stock = period_stock_frame(res)
    assert len(stock) == 5 * 6 * 12 and (stock["lowest stock (t)"] >= -1e-6).all()
    assert (stock["lowest stock (t)"] <= stock["expected stock (t)"] + 1e-6).all()
    y27 = stock[stock["year"] == 2027]
    dec = y27[y27["period"] == 12].set_index("material")["lowest stock (t)"]
    low = y27.groupby("material")["lowest stock (t)"].min()
    assert (low < dec - 1.0).any()          # some material ends 2027 above its lowest month
    cover = period_cover_frame(stock)
    assert set(cover["material"]) == set(stock["material"]) and len(cover) == 5 * 6
