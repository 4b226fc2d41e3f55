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

from optimizer.core.workbook.layout import sheet_title
from optimizer.sourcing.report_tts import add_tts_sheets
from optimizer.core.workbook.writer import MONEY_3, save_atomic, write_table

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
    rows += bounds_rows(res, currency)
    rows += [("note", n, "") for n in res.notes]
    return pd.DataFrame(rows, columns=["measure", "value", "unit"])


def _gap(g) -> str | None:
    return None if g is None else f"{g:.2e} ({g:.4%})"


def bounds_rows(res, currency: str = "USD") -> list[tuple]:
    """A decomposition's certified bounds (none for the extensive form, proven optimal or not)."""
    if getattr(res, "method", "ef") == "ef":
        return []
    return [("method", res.method, ""),
            ("lower bound (certified)", res.lower_bound, f"{currency} M"),
            ("upper bound = objective of the plan", res.objective, f"{currency} M"),
            ("relative gap (certified)", _gap(res.gap), ""),
            ("target relative gap", _gap(res.target_gap), ""),
            ("iterations", res.iterations, ""),
            ("solve time", res.solve_seconds, "s"),
            ("scenario workers", res.workers, "")]


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


def write_risk_workbook(path, res, tts=None, ranking=None, risk=None, currency: str = "USD",
                        protect: tuple = ()):
    wb = Workbook()
    wb.remove(wb.active)
    add_risk_sheets(wb, res, tts, ranking, risk, currency)
    return save_atomic(wb, path, protect=protect)
