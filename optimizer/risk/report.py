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

from optimizer.core import i18n
from optimizer.core.workbook.layout import sheet_title
from optimizer.risk.report_periods import add_period_sheets
from optimizer.sourcing.report_tts import add_tts_sheets
from optimizer.core.workbook.writer import MONEY_3, save_atomic, write_table

GLOSSARY = {
    "expected": "probability-weighted mean of the scenario costs",
    "money": "purchases on contract and spot, holding, capex, opex",
    "penalties": "what the optimiser charges for unmet demand and stock below target: not money paid",
    "risk charge": "lambda x risk score x reference value x tonnes: a weight, not money paid",
    "cvar": "CVaR (conditional value at risk): the mean cost of the worst {tail:.0%} of scenarios",
    "var": "VaR (value at risk): the cost exceeded with probability at most {tail:.0%}",
    "objective": "expected cost + beta x CVaR: what the optimiser minimised (a weighted sum, not a cost)",
    "alpha": "the CVaR level: the worst 1 - alpha share of scenarios is averaged",
    "beta": "the weight of CVaR in the objective; 0 = risk neutral",
    "rp": "RP (recourse problem): this plan, chosen for every scenario at once",
    "ev": "EV (expected-value problem): a plan made for the average scenario",
    "eev": "EEV: that average plan's objective when every scenario happens as it does",
    "ws": "WS (wait-and-see): the objective if each scenario were known before planning",
    "vss": "VSS (value of the stochastic solution) = EEV - RP: what planning for every scenario saves "
           "over planning for the average one",
    "evpi": "EVPI (expected value of perfect information) = RP - WS: what knowing the scenario in "
            "advance would be worth",
}


METHOD_WORDS = {
    "benders": "L-shaped (Benders) method: a master plan refined by one cut per scenario",
    "ph": "progressive hedging (mpi-sppy), its best plan evaluated exactly",
}


def expected_split(res) -> dict:
    """Expected money spent, penalties and risk charge (currency M) of the plan."""
    if getattr(res, "split_expected", None):
        return dict(res.split_expected)
    if not res.split or res.prob is None:
        return {}
    return {k: float(np.asarray(res.prob) @ v) for k, v in res.split.items()}


def summary_frame(res, currency: str = "USD") -> pd.DataFrame:
    """Expected cost and CVaR first (with the expected money, penalties and risk charge apart),
    then the objective and the value of planning for risk, every term glossed."""
    tail = 1.0 - res.alpha
    g = {k: v.format(tail=tail) for k, v in GLOSSARY.items()}
    split = expected_split(res)
    m = f"{currency} M"
    rows = [
        ("status", res.status, "", ""),
        ("expected cost", res.expected, m, g["expected"]),
        ("  of which money spent", split.get("money"), m, g["money"]),
        ("  of which penalties of missed targets", split.get("penalties"), m, g["penalties"]),
        ("  of which risk charge", split.get("risk charge"), m, g["risk charge"]),
        (f"CVaR at alpha = {res.alpha:g}", res.cvar, m, g["cvar"]),
        (f"VaR at alpha = {res.alpha:g}", res.var, m, g["var"]),
        ("objective minimised (RP)", res.objective, m, g["objective"] + "; " + g["rp"]),
        ("alpha", res.alpha, "", g["alpha"]),
        ("beta", res.beta, "", g["beta"]),
        ("VSS", res.vss, m, g["vss"]),
        ("EVPI", res.evpi, m, g["evpi"]),
        ("EV objective", res.ev_objective, m, g["ev"]),
        ("EEV", res.eev, m, g["eev"]),
        ("WS", res.ws, m, g["ws"]),
    ]
    rows += bounds_rows(res, currency)
    rows += [("note", n, "", "") for n in res.notes]
    return pd.DataFrame(rows, columns=["measure", "value", "unit", "meaning"])


def _gap(g) -> str | None:
    return None if g is None else f"{g:.2e} ({g:.4%})"


def bounds_rows(res, currency: str = "USD") -> list[tuple]:
    """A decomposition's certified bounds (none for the extensive form, proven optimal or not)."""
    if getattr(res, "method", "ef") == "ef":
        return []
    m = f"{currency} M"
    return [("method", res.method, "", METHOD_WORDS.get(res.method, "")),
            ("lower bound (certified)", res.lower_bound, m,
             "no plan can have a lower objective: proven by the method's own bound"),
            ("upper bound = objective of the plan", res.objective, m,
             "the objective of the plan reported, every scenario solved exactly at it"),
            ("relative gap (certified)", _gap(res.gap), "",
             "(upper - lower) / |upper|: the plan is at most this far above the optimum"),
            ("target relative gap", _gap(res.target_gap), "", "where the method was asked to stop"),
            ("iterations", res.iterations, "", ""),
            ("solve time", res.solve_seconds, "s", ""),
            ("scenario workers", res.workers, "", "")]


def scenario_frame(res, risk=None) -> pd.DataFrame:
    out = pd.DataFrame({"scenario": res.scenarios, "probability": res.prob,
                        "cost (M)": res.scenario_costs})
    for kind in ("money", "penalties", "risk charge"):
        if kind in (res.split or {}):
            out[{"money": "money spent (M)", "penalties": "penalties (M, not money)",
                 "risk charge": "risk charge (M, a weight)"}[kind]] = res.split[kind]
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
                      f"Money in {currency} millions (discounted). A scenario's cost = money spent + penalties "
                      "of missed targets + risk charge; VSS and EVPI use the same objective (expected cost + "
                      "beta x CVaR).")
    summary = summary_frame(res, currency)
    for col in ("measure", "meaning"):     # row labels and their glosses in the workbook's language
        summary[col] = [i18n.label(v) for v in summary[col]]
    write_table(ws, top, summary, formats={"value": MONEY_3},
                widths={"measure": 40, "value": 16, "unit": 10, "meaning": 90})
    if res.scenario_costs is not None:
        ws = wb.create_sheet("ScenarioCosts")
        top = sheet_title(ws, "Cost per scenario", f"Cost of the stochastic plan in each scenario ({currency} "
                          "millions, discounted): money spent + penalties of missed targets + risk charge.")
        alpha = f"{1 - res.alpha:.0%}" if getattr(res, "alpha", None) is not None else "tail"
        write_table(ws, top, scenario_frame(res, risk),
                    formats={"probability": "0.00%", "cost (M)": MONEY_3, "money spent (M)": MONEY_3,
                             "penalties (M, not money)": MONEY_3, "risk charge (M, a weight)": MONEY_3,
                             "wait-and-see cost (M)": MONEY_3, "regret (M)": MONEY_3},
                    headers={"cost (M)": f"cost ({currency} M: money + penalties + risk charge)",
                             "money spent (M)": f"money spent ({currency} M)",
                             "penalties (M, not money)": f"penalties ({currency} M, not money)",
                             "risk charge (M, a weight)": f"risk charge ({currency} M, a weight)",
                             "wait-and-see cost (M)": f"wait-and-see cost ({currency} M: the scenario known "
                                                      "in advance)",
                             "regret (M)": f"regret ({currency} M: cost - wait-and-see cost)",
                             "above VaR": f"above VaR (among the worst {alpha})"})
        ws = wb.create_sheet("Contracts")
        top = sheet_title(ws, "First stage: volumes contracted in advance",
                     "Paid at the contract price on delivery; what a scenario needs beyond them is "
                     "bought spot.")
        write_table(ws, top, contracts_frame(res), formats={"contracted (t)": "#,##0.00", "capacity": "#,##0.0",
                                                           "unit_cost": "#,##0.00"},
                    headers={"capacity": "capacity (t)", "unit_cost": f"contract price ({currency}/kg)"})
    add_tts_sheets(wb, tts, ranking, currency=currency)
    add_period_sheets(wb, res)


def write_risk_workbook(path, res, tts=None, ranking=None, risk=None, currency: str = "USD",
                        protect: tuple = ()):
    wb = Workbook()
    wb.remove(wb.active)
    add_risk_sheets(wb, res, tts, ranking, risk, currency)
    return save_atomic(wb, path, protect=protect)
