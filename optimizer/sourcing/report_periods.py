"""The result workbook's PeriodStock sheet when the workbook plans in quarters or months
(``periods_per_year`` 4 or 12, :mod:`models.periods`): the stock at the end of every period with
its weeks of demand cover, and a stock chart by period."""
from __future__ import annotations

from openpyxl.chart import LineChart, Reference
from openpyxl.utils import get_column_letter

from optimizer.core import values as V
from optimizer.core.workbook import layout as L
from optimizer.core.workbook.writer import TONNES, WEEKS, YEAR


def period_label(year: int, period: int, P: int) -> str:
    """``2026-04`` (months), ``2026 Q2`` (quarters)."""
    return f"{year}-{period:02d}" if P == 12 else f"{year} Q{period}" if P == 4 else f"{year} P{period}"


def period_stock_sheet(ws, result, names: L.TableNames) -> None:
    """Stock by period (wide, with the chart beside it), then every material and period with its cover."""
    ps = V.frame(result.period_stock)
    P = int(result.periods_per_year or 1)
    words = {4: "quarter", 12: "month"}.get(P, "period")
    top = L.sheet_title(ws, f"Stock at the end of every {words}",
                        "cover = stock / (that year's demand / 52), in weeks. Demand and domestic output run "
                        f"evenly over the year; deliveries follow each {words}'s share of the capacity. The last "
                        f"{words}'s stock is the year-end stock of the Stockpile sheet.")
    ps = ps.assign(label=[period_label(int(t), int(k), P) for t, k in zip(ps["year"], ps["period"])])
    wide = ps.pivot_table(index=["year", "period", "label"], columns="material", values="stock",
                          aggfunc="sum").reset_index().sort_values(["year", "period"])
    mats = [c for c in wide.columns if c not in ("year", "period", "label")]
    area = L.table(ws, top + 1, 1, wide[["label"] + mats],
                   [L.Col("label", words, None, 10)] + [L.Col(m, f"{m} stock (t)", TONNES, 13) for m in mats],
                   names, "PeriodStockByMaterial")
    ch = LineChart()
    ch.title = f"Stock at the end of every {words} (t)"
    ch.y_axis.title, ch.x_axis.title = "tonnes", words
    for j in range(len(mats)):
        ch.add_data(Reference(ws, min_col=2 + j, min_row=area.header_row, max_row=area.last_row), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=area.header_row + 1, max_row=area.last_row))
    ch.legend.position = "b"
    ch.width, ch.height = 26, 9
    L.show_axes(ch)
    ws.add_chart(ch, f"{get_column_letter(len(mats) + 3)}{top + 1}")
    r = L.section(ws, area.last_row + 2, f"Every material and {words}")
    L.table(ws, r, 1, ps[["material", "year", "label", "stock", "cover_weeks"]],
            [L.Col("material", "material"), L.Col("year", "year", YEAR, 8), L.Col("label", words, None, 10),
             L.Col("stock", "stock (t)", TONNES), L.Col("cover_weeks", "cover (weeks of demand)", WEEKS)],
            names, "PeriodStock")
