"""The plan's weak points as workbook sheets: TimeToSurvive (table), TTSHeatMap and RiskExposure.

Written into the result workbook of ``sourcing solve`` (times to recover: the whole year) and of
``sourcing risk`` (times to recover from the Disruptions sheet).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl.styles import Font, PatternFill

from optimizer.core.workbook.layout import sheet_title
from models.units import to_millions
from optimizer.core.workbook.writer import MONEY_3, RATIO, TONNES, WEEKS, write_cell, write_table

# heat-map fills by time-to-survive (weeks): < 4, < 13, < 26, < 52, whole year
HEAT = ((4.0, "C00000"), (13.0, "FF7C80"), (26.0, "FFC000"), (52.0 - 1e-9, "FFEB9C"), (np.inf, "C6EFCE"))
HEAT_FILLS = [(lim, PatternFill("solid", fgColor=c)) for lim, c in HEAT]


def heat_fill(weeks: float) -> PatternFill:
    for lim, fill in HEAT_FILLS:
        if weeks < lim:
            return fill
    return HEAT_FILLS[-1][1]




def heatmap(ws, tts: pd.DataFrame, top: int) -> int:
    """Rows source x material, columns years, TTS weeks with a fill colour per band."""
    years = sorted(tts["year"].unique())
    pivot = tts.pivot_table(index=["source", "material"], columns="year", values="tts_weeks", aggfunc="min")
    write_table(ws, top, pd.DataFrame(columns=["source", "material"] + [str(y) for y in years]))
    r = top
    for r, ((s, m), vals) in enumerate(pivot.iterrows(), start=top + 1):
        write_cell(ws, r, 1, s)
        write_cell(ws, r, 2, m)
        for j, y in enumerate(years, start=3):
            v = vals.get(y, np.nan)
            if not pd.isna(v):
                write_cell(ws, r, j, float(v), "0.0").fill = heat_fill(float(v))
    legend = r + 2
    write_cell(ws, legend, 1, "legend (weeks of demand met without the source)").font = Font(bold=True)
    labels = ["< 4", "4-13", "13-26", "26-52", "whole year"]
    for j, (lab, (_, fill)) in enumerate(zip(labels, HEAT_FILLS), start=2):
        write_cell(ws, legend, j, lab).fill = fill
    return legend



TTS_SHEET_MAX_ROWS = 20_000   # larger tables (e.g. synthetic 100k instances) get only the ranking


TTS_HEADERS = {
    "source": "source", "material": "material", "year": "year", "demand": "demand (t)",
    "capacity": "capacity of the source (t)", "alt_capacity": "capacity of the other sources (t)",
    "start_stock": "stock at the start of the year (t)", "tts_weeks": "time to survive (weeks)",
    "ttr_weeks": "time to recover (weeks)", "critical": "critical (recovery slower than survival)",
    "lost_t": "demand lost (t)", "impact_m": "value of demand lost ({cur} M)", "rank": "rank",
    "min_tts_weeks": "shortest time to survive (weeks)", "rei": "risk exposure index (0-1)",
}
TTS_FORMATS = {"demand": TONNES, "capacity": TONNES, "alt_capacity": TONNES, "start_stock": TONNES,
               "tts_weeks": WEEKS, "ttr_weeks": WEEKS, "lost_t": TONNES, "impact_m": MONEY_3,
               "min_tts_weeks": WEEKS, "rei": RATIO, "year": "0", "rank": "0"}


def _in_millions(df: pd.DataFrame) -> pd.DataFrame:
    """The impact (thousands of currency inside the model) as currency millions."""
    if "impact" not in df.columns:
        return df
    out = df.copy()
    out.insert(list(df.columns).index("impact"), "impact_m", to_millions(out.pop("impact")))
    return out


def add_tts_sheets(wb, tts: pd.DataFrame | None, ranking: pd.DataFrame | None,
                   ttr_from: str = "the Disruptions sheet", currency: str = "USD") -> None:
    """TimeToSurvive (table), TTSHeatMap and RiskExposure sheets, where given.  A table of more
    than TTS_SHEET_MAX_ROWS rows is left out (the ranking says so)."""
    too_big = tts is not None and len(tts) > TTS_SHEET_MAX_ROWS
    if tts is not None and not too_big:
        ws = wb.create_sheet("TimeToSurvive")
        top = sheet_title(ws, "Time-to-survive (weeks) per source, material and year",
                     "Weeks demand is met if the source stops at the start of the year, from stock "
                     f"and the other sources' capacity (52 = the whole year). TTR from {ttr_from}; "
                     "critical = TTR > TTS.")
        headers = {k: v.format(cur=currency) for k, v in TTS_HEADERS.items()}
        write_table(ws, top, _in_millions(tts), formats=TTS_FORMATS, headers=headers)
        ws = wb.create_sheet("TTSHeatMap")
        top = sheet_title(ws, "Time-to-survive heat map (weeks): rows source x material, columns years")
        heatmap(ws, tts, top)
    if ranking is not None:
        ws = wb.create_sheet("RiskExposure")
        note = (f"value of demand lost = tonnes lost over the time to recover x reference value ({currency} M); "
                "risk exposure index = that value / the largest one.")
        if too_big:
            note += (f" The time-to-survive table has {len(tts):,} rows (over {TTS_SHEET_MAX_ROWS:,}) "
                     "and is not written.")
        top = sheet_title(ws, "Risk exposure ranking of sources", note)
        headers = {k: v.format(cur=currency) for k, v in TTS_HEADERS.items()}
        write_table(ws, top, _in_millions(ranking), formats=TTS_FORMATS, headers=headers)
