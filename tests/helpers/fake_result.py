"""A hand-built, internally consistent :class:`~optimizer.sourcing.result.RunResult` for report tests.

Fictional data (not sourced figures): two materials (GA gallium, NGR natural graphite),
four suppliers (CN1 china, JP1 ally, AU1 ally, KR1 domestic), years 2024-2027, a
material-level GA China cap in 2024 and an ALL cap 2025-2027, one recycling project,
a GA stockpile and 2 t of unmet GA demand in 2024 (with an explanation sentence).

The accounting identities hold, so tests may rely on them:
  * plan.cost = tonnes * unit_cost / 1000 (currency M), utilisation = tonnes / capacity;
  * stockpile.closing = opening + purchases + project_output - (demand - unmet);
  * purchases + project output + stock draw + unmet = demand;
  * shares.china_share = China purchase value / demand value (reference-value weighted),
    headroom_pp = (target - china_share) * 100;
  * bloc_mix shares (reference-value weighted) sum to 1 per (year, material);
  * objective = sum(objective_parts.values()).
"""
from __future__ import annotations

import math

import pandas as pd

from optimizer.core.solver import INFEASIBLE, OPTIMAL
from optimizer.sourcing import result as R

YEARS = [2024, 2025, 2026, 2027]
DISCOUNT = 0.05
MATERIALS = {"GA": 350.0, "NGR": 0.70}          # reference value (currency/kg) for weighting
SUPPLIERS = {
    "CN1": ("Shandong Gallium Co. (fictional)", "china"),
    "JP1": ("Hokuriku Metals KK (fictional)", "ally"),
    "AU1": ("Southern Graphite Pty (fictional)", "ally"),
    "KR1": ("Onsan Recovery Co. (fictional)", "domestic"),
}
DEMAND = {"GA": [60.0, 62.0, 65.0, 68.0], "NGR": [80000.0, 84000.0, 88000.0, 92000.0]}
# offers: (material, source) -> (unit cost currency/kg, capacity per year (t), min volume (t))
OFFERS = {
    ("GA", "CN1"): (320.0, [200.0] * 4, 0.0),
    ("GA", "JP1"): (430.0, [10.0, 14.0, 18.0, 22.0], 5.0),
    ("GA", "KR1"): (510.0, [0.0, 0.0, 8.0, 12.0], 0.0),
    ("NGR", "CN1"): (0.62, [120000.0] * 4, 0.0),
    ("NGR", "AU1"): (0.95, [25000.0, 30000.0, 35000.0, 40000.0], 10000.0),
}
# GA purchases by hand; NGR China tonnes are solved so the ALL cap binds in 2026-2027.
GA_BUY = {"CN1": [48.0, 48.0, 40.0, 38.0], "JP1": [10.0, 14.0, 18.0, 22.0], "KR1": [0.0, 0.0, 7.0, 8.0]}
GA_CAP_2024 = 0.80
ALL_CAPS = {2025: 0.85, 2026: 0.72, 2027: 0.65}
PROJECT_OUTPUT = {2026: 6.0, 2027: 6.0}          # P-GA-REC, GA into stock
STOCK_TARGET = {2024: 0.0, 2025: 0.0, 2026: 5.0, 2027: 8.0}
UNMET = {("GA", 2024): 2.0}
EXPLANATION = ("GA 2024: 2.0 t of 60.0 t demand (3.3 %) is unmet: the GA China cap of 80 % allows "
               "at most 48.0 t from China, the other suppliers can deliver 10.0 t (JP1 at capacity) "
               "and there is no opening stock.")


def _ngr_buys() -> dict[str, list[float]]:
    cn, au = [], []
    for i, y in enumerate(YEARS):
        ga_cn_value = GA_BUY["CN1"][i] * MATERIALS["GA"]
        demand_value = sum(DEMAND[m][i] * w for m, w in MATERIALS.items())
        if y in (2026, 2027):
            china = (ALL_CAPS[y] * demand_value - ga_cn_value) / MATERIALS["NGR"]
        else:
            china = {2024: 62000.0, 2025: 58000.0}[y]
        cn.append(china)
        au.append(DEMAND["NGR"][i] - china)
    return {"CN1": cn, "AU1": au}


def _plan() -> pd.DataFrame:
    buys = {"GA": GA_BUY, "NGR": _ngr_buys()}
    rows = []
    for (m, s), (cost, caps, minv) in OFFERS.items():
        for i, y in enumerate(YEARS):
            t = buys[m][s][i]
            cap = caps[i]
            if cap <= 0:
                continue
            rows.append({"material": m, "source": s, "source_name": SUPPLIERS[s][0], "bloc": SUPPLIERS[s][1],
                         "year": y, "tonnes": t, "unit_cost": cost, "cost": t * cost / 1000.0,
                         "capacity": cap, "min_volume": minv, "utilisation": t / cap})
    return pd.DataFrame(rows)


def _shares(plan: pd.DataFrame) -> pd.DataFrame:
    china = plan[plan["bloc"] == "china"]
    rows = []
    for i, y in enumerate(YEARS):
        cy = china[china["year"] == y]
        scopes = []
        if y == 2024:
            scopes.append(("GA", GA_CAP_2024, cy.loc[cy["material"] == "GA", "tonnes"].sum() / DEMAND["GA"][i]))
        value = sum(cy.loc[cy["material"] == m, "tonnes"].sum() * w for m, w in MATERIALS.items())
        share = value / sum(DEMAND[m][i] * w for m, w in MATERIALS.items())
        scopes.append(("ALL", ALL_CAPS[y], share) if y in ALL_CAPS else ("ALL (uncapped)", math.nan, share))
        for scope, target, s in scopes:
            capped = not math.isnan(target)
            rows.append({"year": y, "scope": scope, "china_share": s, "target": target,
                         "within_target": bool(s <= target + 1e-9) if capped else True,
                         "headroom_pp": (target - s) * 100.0 if capped else math.nan})
    return pd.DataFrame(rows)


def _bloc_mix(plan: pd.DataFrame) -> pd.DataFrame:
    p = plan.assign(value=plan["tonnes"] * plan["material"].map(MATERIALS))
    rows = []
    for y in YEARS:
        py = p[p["year"] == y]
        for m in list(MATERIALS) + ["ALL"]:
            pm = py if m == "ALL" else py[py["material"] == m]
            total = pm["value"].sum()
            for bloc in ("china", "ally", "domestic"):
                pb = pm[pm["bloc"] == bloc]
                if pb.empty:
                    continue
                rows.append({"year": y, "material": m, "bloc": bloc, "tonnes": pb["tonnes"].sum(),
                             "share": pb["value"].sum() / total})
    return pd.DataFrame(rows)


def _stockpile(plan: pd.DataFrame) -> pd.DataFrame:
    rows, opening = [], 0.0
    for i, y in enumerate(YEARS):
        purchases = plan[(plan["material"] == "GA") & (plan["year"] == y)]["tonnes"].sum()
        project = PROJECT_OUTPUT.get(y, 0.0)
        demand = DEMAND["GA"][i]
        unmet = UNMET.get(("GA", y), 0.0)
        closing = opening + purchases + project - (demand - unmet)
        target = STOCK_TARGET[y]
        rows.append({"material": "GA", "year": y, "opening": opening, "purchases": purchases,
                     "project_output": project, "demand": demand, "unmet": unmet, "closing": closing,
                     "target": target, "cover_days": closing / demand * 365.0,
                     "shortfall": max(0.0, target - closing)})
        opening = closing
    return pd.DataFrame(rows)


def fake_result(**overrides) -> R.RunResult:
    """A realistic proven-optimal run with 2 t unmet GA demand in 2024; ``overrides`` replace fields."""
    plan = _plan()
    shares = _shares(plan)
    bloc_mix = _bloc_mix(plan)
    stockpile = _stockpile(plan)

    disc = {y: 1.0 / (1.0 + DISCOUNT) ** (y - YEARS[0]) for y in YEARS}
    purchases = float(sum(plan["cost"] * plan["year"].map(disc)))
    parts = {"purchases": purchases, "holding": 0.0214, "capex": 18.0 * disc[2025],
             "project opex": 0.4 * (disc[2026] + disc[2027]), "risk charge": 1.25,
             "unmet demand penalty": 2.0 * 1000.0 / 1000.0, "stock shortfall penalty": 0.0}
    undiscounted = {"purchases": float(plan["cost"].sum()), "holding": 0.0225, "capex": 18.0,
                    "project opex": 0.8, "risk charge": 1.32, "unmet demand penalty": 2.0,
                    "stock shortfall penalty": 0.0}

    caps = shares[shares["scope"] != "ALL (uncapped)"]
    cap_sens = pd.DataFrame({
        "year": caps["year"].to_numpy(), "scope": caps["scope"].to_numpy(),
        "target": caps["target"].to_numpy(), "china_share": caps["china_share"].to_numpy(),
        "binding": (caps["headroom_pp"].abs() < 1e-7).to_numpy(),
    })
    prices = {(2024, "GA"): -0.65, (2025, "ALL"): 0.0, (2026, "ALL"): -0.3125, (2027, "ALL"): -0.2871}
    cap_sens["shadow_price_per_pp"] = [prices[(y, s)] for y, s in zip(cap_sens["year"], cap_sens["scope"])]
    cap_sens["rhs_share_low"] = [math.nan if not b else t - 0.04 for b, t in zip(cap_sens["binding"], cap_sens["target"])]
    cap_sens["rhs_share_high"] = [math.nan if not b else t + 0.025 for b, t in zip(cap_sens["binding"], cap_sens["target"])]
    # 2027 sits at a kink: one point tighter costs more than one point looser saves
    cap_sens["saving_per_pp_looser"] = [-p for p in cap_sens["shadow_price_per_pp"]]
    cap_sens["cost_per_pp_tighter"] = [0.4102 if (y, sc) == (2027, "ALL") else -p
                                       for y, sc, p in zip(cap_sens["year"], cap_sens["scope"],
                                                           cap_sens["shadow_price_per_pp"])]
    cap_sens["tightening_free_pp"] = [0.0 if b else (t - c) * 100.0 for b, t, c in
                                      zip(cap_sens["binding"], cap_sens["target"], cap_sens["china_share"])]
    cap_sens["range_exact"] = True

    at_cap = (plan["tonnes"] >= plan["capacity"] - 1e-6)
    capacity_sens = pd.DataFrame({
        "material": plan["material"], "source": plan["source"], "year": plan["year"],
        "capacity": plan["capacity"], "tonnes": plan["tonnes"], "at_capacity": at_cap,
        "value_per_t": [90.0 if (a and m == "GA") else (0.33 if a else 0.0)
                        for a, m in zip(at_cap, plan["material"])],
        "cost_low": [math.nan if a else c * 0.8 for a, c in zip(at_cap, plan["unit_cost"])],
        "cost_high": [c + (90.0 if m == "GA" else 0.33) if a else c * 1.2
                      for a, m, c in zip(at_cap, plan["material"], plan["unit_cost"])],
    })
    demand_sens = pd.DataFrame([{"material": m, "year": y, "demand": DEMAND[m][i],
                                 "marginal_cost": {"GA": 1000.0 if y == 2024 else 430.0, "NGR": 0.80}[m],
                                 "total_marginal_cost": {"GA": 1000.0 if y == 2024 else 310.0, "NGR": 0.80}[m]}
                                for m in MATERIALS for i, y in enumerate(YEARS)])
    investments = pd.DataFrame([{
        "project": "P-GA-REC", "name": "Onsan gallium recovery line (fictional)", "material": "GA",
        "source": "KR1", "capacity": 6.0, "capex": 18.0, "built_share": 1.0,
        "first_output_year": 2026, "capex_year": 2025, "total_output": sum(PROJECT_OUTPUT.values())}])
    unmet = pd.DataFrame([{"material": m, "year": y, "demand": DEMAND[m][YEARS.index(y)], "unmet": u,
                           "unmet_share": u / DEMAND[m][YEARS.index(y)]} for (m, y), u in UNMET.items()])
    diagnostics = pd.DataFrame([
        {"kind": "binding", "item": "china_cap[ALL,2026]", "detail": "China share 72.0 % = target 72.0 %"},
        {"kind": "binding", "item": "china_cap[ALL,2027]", "detail": "China share 65.0 % = target 65.0 %"},
        {"kind": "binding", "item": "capacity[GA,JP1,2024]", "detail": "JP1 delivers its full 10.0 t"},
        {"kind": "missed target", "item": "GA demand, 2024 (unmet[GA,2024])",
         "detail": "2.0 t of GA demand unmet in 2024"},
        {"kind": "warning", "item": "Materials!C3", "detail": "NGR reference value is an assumption (A)"},
        {"kind": "explanation", "item": "GA 2024", "detail": EXPLANATION},
        {"kind": "check", "item": "feasibility", "detail": "independent check: max violation 0 (tol 1e-06)"},
    ])
    manifest = {
        "tool_version": "0.1.0", "backend": "native", "solver": "highs",
        "input_file": "/data/korea_sourcing_2024.xlsx", "input_sha256": "ab" * 32,
        "scenario": "base", "started_at": "2025-03-01T09:30:00", "python": "3.11.9",
        "highspy": "1.11.0", "pulp": "3.3.2", "pyomo": "6.9.2", "openpyxl": "3.1.5",
        "timings": {"load": 0.12, "validate": 0.03, "build": 0.02, "solve": 0.015, "report": 0.2},
        "status": OPTIMAL,
    }
    fields = dict(
        status=OPTIMAL, status_message="proven optimal", proven_optimal=True,
        objective=float(sum(parts.values())), objective_parts=parts,
        objective_parts_undiscounted=undiscounted, plan=plan, shares=shares,
        bloc_mix=bloc_mix, cap_sensitivity=cap_sens, capacity_sensitivity=capacity_sens,
        demand_sensitivity=demand_sens, investments=investments, stockpile=stockpile, unmet=unmet,
        diagnostics=diagnostics, explanation=[EXPLANATION], manifest=manifest, currency="USD",
        duals_indicative=False, years=list(YEARS),
    )
    fields.update(overrides)
    return R.RunResult(**fields)


def infeasible_result() -> R.RunResult:
    """An infeasible run: no plan, every table empty, explanation lines and diagnostics only."""
    expl = ["The hard constraints cannot all hold: in 2027 the ALL China cap of 40 % needs at least "
            "55,200 t of non-China natural graphite but AU1 can supply at most 40,000 t.",
            "Allow unmet demand (setting allow_unmet = yes) or relax the 2027 target to see the cost "
            "of the gap."]
    return R.RunResult(
        status=INFEASIBLE, status_message="infeasible: the hard constraints cannot all hold",
        proven_optimal=False, explanation=expl,
        diagnostics=pd.DataFrame([{"kind": "explanation", "item": "china_cap[ALL,2027]", "detail": expl[0]}]),
        manifest={"tool_version": "0.1.0", "backend": "native", "solver": "highs",
                  "input_file": "in.xlsx", "status": INFEASIBLE, "timings": {"solve": 0.01}},
        years=list(YEARS),
    )
