"""Risk sheets for a result workbook: summary (expected cost, VaR, CVaR, VSS, EVPI),
scenario costs, first-stage contracts, time-to-survive table and heat map, exposure ranking.

:func:`add_risk_sheets` appends the sheets to any openpyxl Workbook (e.g. the main
result workbook); :func:`write_risk_workbook` writes them as a workbook of their own.
Every cell goes through :mod:`optimizer.core.workbook.writer`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from optimizer.core.workbook.layout import sheet_title
from optimizer.core.workbook.writer import MONEY_3, save_atomic, write_cell, write_table

# heat-map fills by time-to-survive (weeks): < 4, < 13, < 26, < 52, whole year
HEAT = ((4.0, "C00000"), (13.0, "FF7C80"), (26.0, "FFC000"), (52.0 - 1e-9, "FFEB9C"), (np.inf, "C6EFCE"))
HEAT_FILLS = [(lim, PatternFill("solid", fgColor=c)) for lim, c in HEAT]


def heat_fill(weeks: float) -> PatternFill:
    for lim, fill in HEAT_FILLS:
        if weeks < lim:
            return fill
    return HEAT_FILLS[-1][1]



def summary_frame(res, currency: str = "USD") -> pd.DataFrame:
    rows = [
        ("status", res.status, ""),
        ("alpha (CVaR level)", res.alpha, ""),
        ("beta (CVaR weight)", res.beta, ""),
        ("objective = E[cost] + beta x CVaR (RP)", res.objective, f"{currency} M"),
        ("expected cost", res.expected, f"{currency} M"),
        ("VaR at alpha", res.var, f"{currency} M"),
        ("CVaR at alpha", res.cvar, f"{currency} M"),
        ("expected-value problem (EV)", res.ev_objective, f"{currency} M"),
        ("EV first stage in all scenarios (EEV)", res.eev, f"{currency} M"),
        ("wait-and-see (WS)", res.ws, f"{currency} M"),
        ("VSS = EEV - RP", res.vss, f"{currency} M"),
        ("EVPI = RP - WS", res.evpi, f"{currency} M"),
    ]
    rows += [("note", n, "") for n in res.notes]
    return pd.DataFrame(rows, columns=["measure", "value", "unit"])


def scenario_frame(res, risk=None) -> pd.DataFrame:
    out = pd.DataFrame({"scenario": res.scenarios, "probability": res.prob,
                        "cost (M)": res.scenario_costs})
    if res.ws_costs is not None:
        out["wait-and-see cost (M)"] = res.ws_costs
        out["regret (M)"] = out["cost (M)"] - out["wait-and-see cost (M)"]
    if risk is not None:
        sc = risk.scenarios.set_index("scenario")
        out["events"] = [", ".join(sc.at[s, "events"]) if s in sc.index else "" for s in res.scenarios]
        out["description"] = [sc.at[s, "description"] if s in sc.index else "" for s in res.scenarios]
    out["above VaR"] = out["cost (M)"] > (res.var if res.var is not None else np.inf) + 1e-9
    return out


def contracts_frame(res) -> pd.DataFrame:
    o = res.model.base.offers
    out = o[["material", "source", "year", "capacity", "unit_cost"]].copy()
    out["contracted (t)"] = res.first_stage["contract"]
    return out[out["contracted (t)"] > 1e-9].reset_index(drop=True)


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


def add_risk_sheets(wb, res, tts: pd.DataFrame | None = None, ranking: pd.DataFrame | None = None,
                    risk=None, currency: str = "USD") -> None:
    ws = wb.create_sheet("RiskSummary")
    top = sheet_title(ws, "Disruption risk: two-stage stochastic plan",
                 "Money in currency millions (discounted). RP = stochastic optimum; VSS and EVPI "
                 "are measured with the same objective (expected cost + beta x CVaR).")
    write_table(ws, top, summary_frame(res, currency), formats={"value": MONEY_3},
                widths={"measure": 44, "value": 16})
    if res.scenario_costs is not None:
        ws = wb.create_sheet("ScenarioCosts")
        top = sheet_title(ws, "Cost per scenario", "Cost of the stochastic plan in each scenario (currency M).")
        write_table(ws, top, scenario_frame(res, risk),
                    formats={"probability": "0.00%", "cost (M)": MONEY_3,
                             "wait-and-see cost (M)": MONEY_3, "regret (M)": MONEY_3})
        ws = wb.create_sheet("Contracts")
        top = sheet_title(ws, "First stage: volumes contracted in advance",
                     "Paid at the contract price on delivery; what a scenario needs beyond them is "
                     "bought spot.")
        write_table(ws, top, contracts_frame(res), formats={"contracted (t)": "#,##0.00"})
    add_tts_sheets(wb, tts, ranking)


TTS_SHEET_MAX_ROWS = 20_000   # larger tables (e.g. synthetic 100k instances) get only the ranking


def add_tts_sheets(wb, tts: pd.DataFrame | None, ranking: pd.DataFrame | None,
                   ttr_from: str = "the Disruptions sheet") -> None:
    """TimeToSurvive (table), TTSHeatMap and RiskExposure sheets, where given.  A table of more
    than TTS_SHEET_MAX_ROWS rows is left out (the ranking says so)."""
    too_big = tts is not None and len(tts) > TTS_SHEET_MAX_ROWS
    if tts is not None and not too_big:
        ws = wb.create_sheet("TimeToSurvive")
        top = sheet_title(ws, "Time-to-survive (weeks) per source, material and year",
                     "Weeks demand is met if the source stops at the start of the year, from stock "
                     f"and the other sources' capacity (52 = the whole year). TTR from {ttr_from}; "
                     "critical = TTR > TTS.")
        write_table(ws, top, tts, formats={"tts_weeks": "0.0", "ttr_weeks": "0.0", "lost_t": "#,##0.00",
                                           "impact": "#,##0.0"})
        ws = wb.create_sheet("TTSHeatMap")
        top = sheet_title(ws, "Time-to-survive heat map (weeks): rows source x material, columns years")
        heatmap(ws, tts, top)
    if ranking is not None:
        ws = wb.create_sheet("RiskExposure")
        note = ("impact = value of demand lost over the time to recover (k-currency); "
                "REI = impact / largest impact.")
        if too_big:
            note += (f" The time-to-survive table has {len(tts):,} rows (over {TTS_SHEET_MAX_ROWS:,}) "
                     "and is not written.")
        top = sheet_title(ws, "Risk exposure ranking of sources", note)
        write_table(ws, top, ranking, formats={"impact": "#,##0.0", "rei": "0.00", "min_tts_weeks": "0.0",
                                               "lost_t": "#,##0.00"})


def write_risk_workbook(path, res, tts=None, ranking=None, risk=None, currency: str = "USD",
                        protect: tuple = ()):
    wb = Workbook()
    wb.remove(wb.active)
    add_risk_sheets(wb, res, tts, ranking, risk, currency)
    return save_atomic(wb, path, protect=protect)
