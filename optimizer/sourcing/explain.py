"""Explain why a policy cannot be met, in business terms.

Two situations:

* **Unmet demand** (the model solved, but the penalised ``unmet`` slack is used): for
  each material and year we name the China caps that bind, the non-China offers used
  to capacity, binding ramp limits and budgets, and we re-solve a diagnostic LP in
  which the China caps are elastic to find the China share each year would need for
  all demand to be met.
* **Infeasible** (hard constraints contradict each other, e.g. a minimum contract with
  China above the cap): an elastic copy of the model relaxes every cap, ramp, budget
  and minimum volume with a priced slack; the slacks the solver has to use say which
  constraints conflict and by how much.

Both diagnostics rebuild the model from the same data (the formulation is pure) and
attach slack columns to its rows, so the labels are the model's own.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from models.lp import Terms, reaches
from models.sourcing import SourcingModel, build_model
from models.units import PP_PER_SHARE
from optimizer.sourcing import result as R
from optimizer.sourcing.labels import Labels, measure_text
from optimizer.core.solver import SolveOptions, solve_lp

TOL = 1e-6


def _fmt_t(v: float) -> str:
    return f"{v:,.1f} t" if abs(v) >= 0.05 else f"{v:,.3f} t"


def explain_unmet(model: SourcingModel, sol, res: R.RunResult, options: SolveOptions) -> list[str]:
    """Sentences (and diagnostics rows appended to ``res``) explaining unmet demand."""
    if res.unmet is None or res.unmet.empty:
        return []
    lp = model.lp
    act = sol.row_activity
    _, cl, cu, rl, ru, _ = lp.arrays()
    cap = model.cap_rows.reset_index(drop=True)
    cap_pos = cap["row"].to_numpy(np.int64)
    needed = required_china_share(model, options)
    plan = res.plan
    hard = model.data.settings.stock_targets == "hard"
    sentences, diag = [], []
    for _, u in res.unmet.iterrows():
        m, t = u["material"], int(u["year"])
        causes = []
        for k, (scope, year, members) in enumerate(zip(cap["scope"], cap["year"], cap["members"])):
            i = cap_pos[k]
            if year == t and m in members.split(",") and reaches(act[i], ru[i]):
                if cap.at[k, "classic"]:
                    causes.append(f"the China cap for {scope} in {t} ({cap.at[k, 'max_china_share']:.1%}) binds")
                else:
                    what = measure_text(cap.at[k, "spec"], cap.at[k, "country"], cap.at[k, "stage"])
                    causes.append(f"the cap on {what} of {scope} in {t} ({cap.at[k, 'max_china_share']:.1%}) binds")
        full = plan[(plan["material"] == m) & (plan["year"] == t) & (plan["bloc"] != "china")
                    & (plan["utilisation"] >= 1 - 1e-6)]
        if len(full):
            causes.append("non-China supply is used to capacity (" +
                          ", ".join(f"{s} {c:,.1f} t" for s, c in zip(full["source"], full["tonnes"])) + ")")
        ramp = lp.row_blocks["ramp"]
        if ramp.size:
            ri = ramp.index
            sel = ((ri["material"] == m) & (ri["year"] == t)).to_numpy()
            for j in np.flatnonzero(sel):
                i = ramp.start + j
                if reaches(act[i], ru[i]):
                    causes.append(f"the ramp limit of {ri.at[j, 'source']} (+{ru[i]:,.1f} t on {t - 1}) binds")
        stock = res.stockpile[(res.stockpile["material"] == m) & (res.stockpile["year"] == t)]
        if hard and len(stock) and (stock["target"].fillna(0.0).iloc[0] > TOL):
            causes.append(f"the hard stock target of {_fmt_t(stock['target'].iloc[0])} at the end of {t} must "
                          "be held (stock_targets = hard: demand goes unmet before the stock does)")
        if len(stock) and stock["closing"].iloc[0] <= TOL and stock["opening"].iloc[0] > TOL:
            causes.append(f"the stock is drawn down to zero (from {_fmt_t(stock['opening'].iloc[0])})")
        text = (f"{m} {t}: {_fmt_t(u['unmet'])} of demand ({u['unmet_share']:.1%}) cannot be met"
                + (" because " + "; ".join(causes) if causes else "") + ".")
        sentences.append(text)
        diag.append(("explanation", f"unmet[{m},{t}]", text))
    relaxed = needed[needed["relaxation_pp"] > 1e-4]
    if len(relaxed):
        sentences.append("The smallest relaxation of the China caps that serves all demand (the caps "
                         "below taken together, stock timing re-optimised):")
    for _, r in relaxed.iterrows():
        what = "China share" if r["classic"] else measure_text(r["spec"], r["country"], r["stage"])
        what = what[0].upper() + what[1:]
        text = (f"{what} for {r['scope']} in {int(r['year'])}: from the {r['target']:.1%} target "
                f"to {r['required_share']:.1%} (+{r['relaxation_pp']:.2f} percentage points).")
        sentences.append(text)
        code = (f"china_cap[{r['scope']},{int(r['year'])}]" if r["classic"] else
                f"country_cap[{r['scope']},{int(r['year'])},{r['spec']},{r['country']},{r['stage']}]")
        diag.append(("explanation", code, text))
    if needed.attrs.get("still_unmet", 0.0) > TOL:
        text = (f"Even with the China caps lifted, {_fmt_t(needed.attrs['still_unmet'])} of demand stays unmet: "
                "total capacity (China included) is short of demand.")
        sentences.append(text)
        diag.append(("explanation", "capacity", text))
    if diag:
        res.diagnostics = pd.concat([res.diagnostics, pd.DataFrame(diag, columns=["kind", "item", "detail"])],
                                    ignore_index=True)
    return sentences


def required_china_share(model: SourcingModel, options: SolveOptions) -> pd.DataFrame:
    """Diagnostic LP: with elastic China caps, the smallest relaxation that serves all demand.

    min  K * sum_{m,t} w_m unmet[m,t] + sum_{scope,t} relax[scope,t] + eps * sum_{m,t} w_m stock[m,t]
    relax[scope,t] >= 0 enters china_cap[scope,t] with coefficient -1 (weighted units);
    every other cost is zero (but a tie-breaking eps = 0.001 on stock, so the extra China
    supply is attributed to the year it is used), so the answer is the least cap relaxation
    (lexicographically after the least unmet demand).
    """
    diag = build_model(model.data)
    lp = diag.lp
    for fam, block in lp.var_blocks.items():
        lp.set_costs(fam, np.zeros(block.size))
    w = dict(zip(model.data.materials["material"], model.data.materials["reference_value"]))
    un = lp.var_blocks["unmet"]
    lp.set_costs("unmet", 1e4 * un.index["material"].map(w).to_numpy(dtype=float))
    # tie-breaker: holding stock costs 0.1 % of the material's value per year, so the China
    # supply needed is attributed to the year it is consumed, not bought years ahead
    st = lp.var_blocks["stock"]
    lp.set_costs("stock", 1e-3 * st.index["material"].map(w).to_numpy(dtype=float))
    cap = diag.cap_rows
    relax = lp.add_variables("cap_relax", cap[["scope", "year"]], cost=1.0)
    lp.extend_rows(cap["row"].to_numpy(np.int64), relax, -1.0)
    sol = solve_lp(lp, replace(options, ranging=False, want_duals=False))
    out = diag.cap_rows.copy().rename(columns={"max_china_share": "target"})
    if sol.x is None:
        out["required_share"] = np.nan
        out["relaxation_pp"] = np.nan
        return out
    r = sol.x[relax]
    wd = out["weighted_demand"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["required_share"] = np.where(wd > 0, out["target"] + r / wd, np.nan)
    out["relaxation_pp"] = (out["required_share"] - out["target"]) * PP_PER_SHARE
    out.attrs["still_unmet"] = float(sol.x[un.positions].sum())
    return out


ELASTIC_ROWS = ("china_cap", "country_cap", "single_source", "ramp", "capex_budget", "capex_total")


def explain_infeasible(model: SourcingModel, options: SolveOptions) -> tuple[list[str], pd.DataFrame]:
    """Elastic filter: relax caps, ramps, budgets, minimum volumes and hard stock targets with
    priced slacks.

    min sum_i (slack_i / scale_i)   where scale_i = 1 + |bound_i|
    Each slack used is a constraint that has to give way, by the amount shown.
    """
    data = model.data
    names = Labels(data)
    diag = build_model(data)
    lp = diag.lp
    for fam, block in lp.var_blocks.items():
        lp.set_costs(fam, np.zeros(block.size))
    _, cl, cu, rl, ru, _ = lp.arrays()
    slack_info = []
    for fam in ELASTIC_ROWS:
        block = lp.row_blocks.get(fam)
        if block is None or not block.size:
            continue
        p = block.positions
        scale = 1.0 + np.abs(np.where(np.isfinite(ru[p]), ru[p], 0.0))
        cols = lp.add_variables(f"relax_{fam}", block.index, cost=1.0 / scale)
        lp.extend_rows(p, cols, -1.0)
        slack_info.append((fam, block, cols))
    # minimum volumes: lower bound -> elastic row  buy + short >= min_volume
    buy = lp.var_blocks["buy"]
    mins = diag.offers["min_volume"].fillna(0.0).to_numpy()
    has_min = np.flatnonzero(mins > 0)
    if has_min.size:
        lp.set_bounds("buy", lower=np.zeros(buy.size))
        idx = diag.offers.loc[has_min, ["material", "source", "year"]].reset_index(drop=True)
        short = lp.add_variables("relax_min_volume", idx, cost=1.0 / (1.0 + mins[has_min]))
        terms = Terms().add(np.arange(has_min.size), buy.positions[has_min], 1.0)
        terms.add(np.arange(has_min.size), short, 1.0)
        lp.add_constraints("min_volume", idx, terms, lower=mins[has_min])
    # hard stock targets (stock_targets = hard): the shortfall column, held at 0, may grow again
    short_block = lp.var_blocks.get("shortfall")
    hard_stock = data.settings.stock_targets == "hard" and short_block is not None and short_block.size > 0
    if hard_stock:
        target = rl[lp.row_blocks["stock_target"].positions]
        lp.set_bounds("shortfall", upper=np.full(short_block.size, np.inf))
        lp.set_costs("shortfall", 1.0 / (1.0 + np.abs(target)))
    sol = solve_lp(lp, replace(options, ranging=False, want_duals=False))
    rows, sentences = [], []
    if sol.x is None:
        sentences.append("The elastic diagnostic could not be solved either (" + sol.message + "); "
                         "check the data for contradictory bounds.")
        return sentences, pd.DataFrame(rows, columns=["kind", "item", "detail"])
    for fam, block, cols in slack_info:
        v = sol.x[cols]
        labels = block.labels()
        for k in np.flatnonzero(v > TOL):
            what = block.doc or fam
            extra = ""
            if fam in ("china_cap", "country_cap"):
                cr = diag.cap_rows[diag.cap_rows["row"] == block.positions[k]].iloc[0]
                wd = cr["weighted_demand"]
                extra = (f" (from {cr['max_china_share']:.1%} to "
                         f"{cr['max_china_share'] + v[k] / wd:.1%} of demand)") if wd > 0 else ""
            text = f"{names.with_code(labels[k])} must be exceeded by {v[k]:,.4g} ({what}){extra}"
            rows.append(("explanation", labels[k], text))
            sentences.append(text + ".")
    if has_min.size:
        short_v = sol.x[lp.var_blocks["relax_min_volume"].positions]
        labels = lp.var_blocks["relax_min_volume"].labels()
        for k in np.flatnonzero(short_v > TOL):
            lab = labels[k].replace("relax_min_volume", "min_volume")
            text = f"{names.with_code(lab)}: the minimum contract volume must be cut by {_fmt_t(short_v[k])}"
            rows.append(("explanation", lab, text))
            sentences.append(text + ".")
    if hard_stock:
        short_v = sol.x[short_block.positions]
        codes = lp.row_blocks["stock_target"].labels()
        for k in np.flatnonzero(short_v > TOL):
            text = (f"{names.with_code(codes[k])}: the hard stock target of {_fmt_t(target[k])} cannot be held; "
                    f"it must be lowered by {_fmt_t(short_v[k])} (or set stock_targets = soft to price the "
                    "shortfall instead)")
            rows.append(("explanation", codes[k], text))
            sentences.append(text + ".")
    if not sentences:
        sentences.append("The solver reported infeasibility, but relaxing caps, ramps, budgets, "
                         "minimum volumes and hard stock targets was not needed: the model may be numerically difficult.")
    head = ("The plan is infeasible: these constraints conflict. The smallest changes that make it "
            "feasible are:")
    return [head] + sentences, pd.DataFrame(rows, columns=["kind", "item", "detail"])
