"""The risk workbook's period sheets when the workbook plans in quarters or months
(``periods_per_year`` 4 or 12, :mod:`models.periods`): PeriodStock (stock at the end of every
period, expected over the scenarios and in the scenario that draws it lowest, with its weeks of
demand cover) and a stock chart by period, and PeriodCover (per material and year, the lowest
weeks of cover of any period: the time-to-survive read from period-level stock)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl.chart import LineChart, Reference
from openpyxl.utils import get_column_letter

from models.periods import periods_of
from optimizer.core.workbook import layout as L
from optimizer.core.workbook.writer import TONNES, WEEKS, YEAR
from optimizer.risk.metrics import expected_values
from optimizer.sourcing.report_periods import period_label

WEEKS_PER_YEAR = 52.0


def _stock_values(model, x, P: int) -> pd.DataFrame:
    """(scenario?, material, year, period, value) of every period's closing stock."""
    end = model.lp.values("stock", x).assign(period=P)
    inner = model.lp.values("pstock", x)
    return pd.concat([inner, end], ignore_index=True)


def period_stock_frame(res) -> pd.DataFrame:
    """material, year, period, label, expected stock, lowest stock over the scenarios (blank for a
    decomposition, which keeps only the expected recourse), weeks of cover of each."""
    base = res.model.base
    P = periods_of(base.data)
    exp = pd.concat([expected_values(res, "pstock"), expected_values(res, "stock").assign(period=P)],
                    ignore_index=True).rename(columns={"value": "expected stock (t)"})
    if res.mean_x is None and res.x is not None:
        low = _stock_values(res.model, res.x, P).groupby(["material", "year", "period"], as_index=False)["value"].min()
        exp = exp.merge(low.rename(columns={"value": "lowest stock (t)"}), on=["material", "year", "period"],
                        how="left")
    else:
        exp["lowest stock (t)"] = np.nan
    exp = exp.merge(base.demand, on=["material", "year"], how="left")
    weekly = exp["demand"].fillna(0.0) / WEEKS_PER_YEAR
    for src, dst in (("expected stock (t)", "expected cover (weeks)"), ("lowest stock (t)", "lowest cover (weeks)")):
        exp[dst] = np.where(weekly > 0, exp[src] / weekly.where(weekly > 0, 1.0), np.nan)
    exp["label"] = [period_label(int(t), int(k), P) for t, k in zip(exp["year"], exp["period"])]
    exp = exp.sort_values(["material", "year", "period"]).reset_index(drop=True)
    return exp[["material", "year", "period", "label", "expected stock (t)", "lowest stock (t)",
                "expected cover (weeks)", "lowest cover (weeks)"]]


def period_cover_frame(stock: pd.DataFrame) -> pd.DataFrame:
    """Per material and year: the lowest weeks of cover of any period and the period it falls in."""
    rows = []
    for (m, t), g in stock.groupby(["material", "year"], sort=True):
        col = "lowest cover (weeks)" if g["lowest cover (weeks)"].notna().any() else "expected cover (weeks)"
        if g[col].notna().any():
            i = g[col].idxmin()
            rows.append((m, t, g.at[i, col], g.at[i, "label"], g["expected cover (weeks)"].min()))
    return pd.DataFrame(rows, columns=["material", "year", "lowest cover (weeks)", "in period",
                                       "lowest expected cover (weeks)"])


def add_period_sheets(wb, res) -> None:
    """PeriodStock with its chart and PeriodCover (nothing for a yearly workbook)."""
    if res.model is None or "pstock" not in res.model.lp.var_blocks:
        return
    P = periods_of(res.model.base.data)
    stock = period_stock_frame(res)
    words = {4: "quarter", 12: "month"}.get(P, "period")
    ws = wb.create_sheet("PeriodStock")
    top = L.sheet_title(ws, f"Stock at the end of every {words}",
                        "Expected over the scenarios, and the lowest in any scenario (the one that draws it "
                        "down most); cover = stock / (that year's demand / 52). Demand and domestic output "
                        f"run evenly over the year; deliveries follow each {words}'s available capacity.")
    wide = stock.pivot_table(index=["year", "period", "label"], columns="material", values="expected stock (t)",
                             aggfunc="sum").reset_index().sort_values(["year", "period"])
    mats = [c for c in wide.columns if c not in ("year", "period", "label")]
    area = L.table(ws, top + 1, 1, wide[["label"] + mats],
                   [L.Col("label", words, None, 10)] + [L.Col(m, f"{m} expected stock (t)", TONNES, 14) for m in mats])
    ch = LineChart()
    ch.title = f"Expected stock at the end of every {words} (t)"
    ch.y_axis.title, ch.x_axis.title = "tonnes", words
    for j in range(len(mats)):
        ch.add_data(Reference(ws, min_col=2 + j, min_row=area.header_row, max_row=area.last_row), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=area.header_row + 1, max_row=area.last_row))
    ch.legend.position = "b"
    ch.width, ch.height = 26, 9
    L.show_axes(ch)
    ws.add_chart(ch, f"{get_column_letter(len(mats) + 3)}{top + 1}")
    r = area.last_row + 2
    r = L.section(ws, r, f"Every material and {words}")
    L.table(ws, r, 1, stock.drop(columns=["period"]),
            [L.Col("material", "material"), L.Col("year", "year", YEAR, 8), L.Col("label", words, None, 10),
             L.Col("expected stock (t)", "expected stock (t)", TONNES),
             L.Col("lowest stock (t)", "lowest stock, any scenario (t)", TONNES),
             L.Col("expected cover (weeks)", "expected cover (weeks)", WEEKS),
             L.Col("lowest cover (weeks)", "lowest cover, any scenario (weeks)", WEEKS)])
    ws = wb.create_sheet("PeriodCover")
    top = L.sheet_title(ws, f"Time-to-survive from {words}-end stock (weeks of demand cover)",
                        f"Per material and year, the lowest cover at the end of any {words}: what the year-end "
                        "figures of TimeToSurvive cannot show (a stock drawn down within the year and refilled "
                        "by December).")
    L.table(ws, top + 1, 1, period_cover_frame(stock),
            [L.Col("material", "material"), L.Col("year", "year", YEAR, 8),
             L.Col("lowest cover (weeks)", "lowest cover (weeks, any scenario)", WEEKS),
             L.Col("in period", words, None, 10),
             L.Col("lowest expected cover (weeks)", "lowest expected cover (weeks)", WEEKS)])
