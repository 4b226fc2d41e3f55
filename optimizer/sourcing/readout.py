"""Read a solved :class:`~models.sourcing.SourcingModel` back into report tables.

Everything here maps solver vectors to business labels through the LP's block
tables (the one naming grammar), converts units (k-currency -> currency millions,
duals per weighted unit -> per percentage point) and applies the sign convention
documented in :data:`optimizer.sourcing.result.SIGN_CONVENTION`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from models import conversion as CV
from models import expressions as E
from models import keys as K
from models.lp import at_bound, lookup, reaches
from models.periods import BALANCE_ROWS, period_stock, periods_of
from models.sourcing import SourcingModel
from models.units import PP_PER_SHARE, to_millions
from optimizer.core.solver import OPTIMAL, Solution, SolveOptions
from optimizer.sourcing import result as R
from optimizer.sourcing.dependence import cap_shares, dependence_table
from optimizer.sourcing.labels import Labels
from optimizer.sourcing.sensitivity import cap_table, demand_marginals

TOL = 1e-6


def _vals(model: SourcingModel, family: str, x: np.ndarray) -> pd.DataFrame:
    return model.lp.values(family, x)


def objective_parts(model: SourcingModel, x: np.ndarray, undiscounted: bool = False) -> dict[str, float]:
    """The objective split into its parts (currency millions, discounted unless asked), as the
    model declares them."""
    return {k: to_millions(v) for k, v in E.objective_parts(model, x, undiscounted).items()}


def part_per_row(model: SourcingModel, family: str, x: np.ndarray) -> pd.DataFrame:
    """The key table of ``family`` with ``value`` (the column's value) and ``money_m`` (its
    objective coefficient times the value, currency M, discounted)."""
    cost = model.lp.arrays()[0]
    b = model.lp.var_blocks[family]
    out = model.lp.values(family, x)
    out["money_m"] = to_millions(cost[b.positions] * x[b.positions])
    return out


def plan_table(model: SourcingModel, x: np.ndarray) -> pd.DataFrame:
    o = model.offers
    sup = model.data.suppliers.set_index("source")
    tonnes = x[model.lp.var_blocks["buy"].positions]
    plan = pd.DataFrame({
        "material": o["material"], "source": o["source"],
        "source_name": o["source"].map(sup["name"]), "bloc": o["bloc"], "year": o["year"],
        "tonnes": tonnes, "unit_cost": o["unit_cost"], "cost": to_millions(tonnes * o["unit_cost"]),
        "capacity": o["capacity"], "min_volume": o["min_volume"].fillna(0.0),
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        plan["utilisation"] = np.where(plan["capacity"] > 0, plan["tonnes"] / plan["capacity"], np.nan)
    # domestic projects appear in the plan as their own rows (source = project's supplier)
    make = model.lp.var_blocks["make"]
    if make.size:
        inv = model.data.investments.set_index("project")
        mk = _vals(model, "make", x)
        mk = mk[mk["value"] > TOL]
        rows = pd.DataFrame({
            "material": mk["project"].map(inv["material"]), "source": mk["project"].map(inv["source"]),
            "source_name": mk["project"].map(lambda p: f"project {p}: {inv.at[p, 'name']}"),
            "bloc": mk["project"].map(inv["source"]).map(sup["bloc"]), "year": mk["year"],
            "tonnes": mk["value"], "unit_cost": mk["project"].map(inv["opex"]),
            "cost": to_millions(mk["value"] * mk["project"].map(inv["opex"])),
            "capacity": mk["project"].map(inv["capacity"]), "min_volume": 0.0,
        })
        rows["utilisation"] = rows["tonnes"] / rows["capacity"].replace(0, np.nan)
        plan = pd.concat([plan, rows.assign(channel="project")], ignore_index=True)
    conv = model.lp.var_blocks["conv"]
    if conv.size:
        info = CV.process_info(model.data).set_index("process")
        procs = CV.processes(model.data).set_index(["process", "year"])
        cv = _vals(model, "conv", x)
        cv = cv[cv["value"] > TOL]
        key = list(zip(cv["process"], cv["year"]))
        rows = pd.DataFrame({
            "material": cv["process"].map(info["material"]), "source": cv["process"].map(info["source"]),
            "source_name": cv["process"].map(lambda q: f"conversion {q}: {info.at[q, 'name']}"),
            "bloc": cv["process"].map(info["source"]).map(sup["bloc"]), "year": cv["year"],
            "tonnes": cv["value"], "unit_cost": [procs.at[k, "unit_cost"] for k in key],
            "capacity": [procs.at[k, "capacity"] for k in key], "min_volume": 0.0, "channel": "conversion"})
        rows["cost"] = to_millions(rows["tonnes"] * rows["unit_cost"])
        rows["utilisation"] = rows["tonnes"] / rows["capacity"].replace(0, np.nan)
        plan = pd.concat([plan, rows], ignore_index=True)
    plan["channel"] = plan["channel"].fillna("purchase") if "channel" in plan else "purchase"
    return plan.sort_values(["material", "year", "bloc", "source"]).reset_index(drop=True)


def conversion_table(model: SourcingModel, x: np.ndarray) -> pd.DataFrame:
    """Per process, year and input: output made, tonnes of each input used and from whom."""
    use = model.lp.var_blocks["use"]
    cols = ["process", "year", "output_material", "output_t", "input_material", "source", "input_t"]
    if not use.size:
        return pd.DataFrame(columns=cols)
    info = CV.process_info(model.data).set_index("process")
    out = _vals(model, "conv", x).rename(columns={"value": "output_t"})
    u = use.index.assign(input_t=x[use.positions])
    u = u[u["input_t"] > TOL].rename(columns={"material": "input_material"})
    t = u.merge(out, on=["process", "year"], how="left")
    t["output_material"] = t["process"].map(info["material"])
    return t[cols].sort_values(["process", "year", "input_material", "source"]).reset_index(drop=True)


def share_tables(model: SourcingModel, plan: pd.DataFrame, caps: pd.DataFrame | None = None):
    """China share per China-bloc (direct) Policy row vs target -- the row's own activity over its
    weighted demand when ``caps`` (:func:`optimizer.sourcing.dependence.cap_shares`) is given --
    and the bloc mix per material/year."""
    data = model.data
    w = dict(zip(data.materials["material"], data.materials["reference_value"]))
    capped = set(data.materials.loc[data.materials["china_cap_applies"], "material"])
    dem = model.demand.assign(wdem=lambda d: d["material"].map(w) * d["demand"])
    mcode, mats = K.codes(plan["material"])
    bcode, blocs = K.codes(plan["bloc"])
    ycode, years = K.codes(plan["year"])
    tonnes = plan["tonnes"].to_numpy(dtype=float)
    value = np.append(pd.Series(mats).map(w).to_numpy(dtype=float), np.nan)[mcode] * tonnes
    china = np.flatnonzero(bcode == blocs.get_indexer(["china"])[0]) if "china" in blocs else np.zeros(0, np.int64)
    china_plan = pd.DataFrame({"material": plan["material"].to_numpy()[china], "year": plan["year"].to_numpy()[china],
                               "value": value[china]})
    rows = []
    cap = model.cap_rows
    cap = cap[cap["classic"]] if "classic" in cap else cap
    row_share = dict(zip(caps["row"], caps["share"])) if caps is not None and len(caps) else {}
    for scope, t, theta, wd, members, r in zip(cap.get("scope", []), cap.get("year", []),
                                               cap.get("max_china_share", []), cap.get("weighted_demand", []),
                                               cap.get("members", []), cap.get("row", [None] * len(cap))):
        if r in row_share:
            share = row_share[r]
        else:
            mem = members.split(",") if members else []
            china = china_plan[(china_plan["year"] == t) & china_plan["material"].isin(mem)]["value"].sum()
            share = china / wd if wd > 0 else np.nan
        rows.append((int(t), scope, share, theta))
    have_all = {t for t, s, *_ in rows if s == "ALL"}
    for t in data.years:
        if t in have_all:
            continue
        wd = dem[(dem["year"] == t) & dem["material"].isin(capped)]["wdem"].sum()
        china = china_plan[(china_plan["year"] == t) & china_plan["material"].isin(capped)]["value"].sum()
        rows.append((t, R.UNCAPPED, china / wd if wd > 0 else np.nan, np.nan))
    shares = pd.DataFrame(rows, columns=["year", "scope", "china_share", "target"])
    shares["within_target"] = shares["target"].isna() | (shares["china_share"] <= shares["target"] + 1e-6)
    shares["headroom_pp"] = (shares["target"] - shares["china_share"]) * PP_PER_SHARE
    shares = shares.sort_values(["year", "scope"]).reset_index(drop=True)

    both = np.column_stack([tonnes, value])
    (y, m, b), sums = K.group_sum(both, [ycode, mcode, bcode], [len(years), len(mats), len(blocs)])
    mix = pd.DataFrame({"year": years.to_numpy()[y], "material": K.text(mats, m), "bloc": K.text(blocs, b),
                        "tonnes": sums[:, 0], "value": sums[:, 1]})
    tot = mix.groupby(["year", "material"])["value"].transform("sum")
    mix["share"] = np.where(tot > 0, mix["value"] / tot, np.nan)
    sel = np.flatnonzero(np.asarray(mats.isin(list(capped)), dtype=bool)[mcode] & (mcode >= 0))
    (y, b), sums = K.group_sum(both[sel], [ycode[sel], bcode[sel]], [len(years), len(blocs)])
    allm = pd.DataFrame({"year": years.to_numpy()[y], "bloc": K.text(blocs, b), "tonnes": sums[:, 0],
                         "value": sums[:, 1]})
    allm["material"] = "ALL"
    tot = allm.groupby("year")["value"].transform("sum")
    allm["share"] = np.where(tot > 0, allm["value"] / tot, np.nan)
    mix = pd.concat([allm, mix], ignore_index=True)[["year", "material", "bloc", "tonnes", "share"]]
    return shares, mix.sort_values(["year", "material", "bloc"]).reset_index(drop=True)


def sensitivity_tables(model: SourcingModel, sol: Solution, shares: pd.DataFrame, options: SolveOptions,
                       mode: str = "auto", timings: dict | None = None):
    """The China caps (:func:`optimizer.sourcing.sensitivity.cap_table`), supplier capacities and
    the marginal cost of demand (:func:`optimizer.sourcing.sensitivity.demand_marginals`)."""
    lp, x = model.lp, sol.x
    rc, rg = sol.col_duals, sol.ranging
    cs = cap_table(model, sol, options, mode, timings)
    buy = lp.var_blocks["buy"]
    o = model.offers
    bp = buy.positions
    cap_sens = pd.DataFrame({"material": o["material"], "source": o["source"], "year": o["year"],
                             "capacity": o["capacity"], "tonnes": x[bp]})
    cap_sens["at_capacity"] = reaches(cap_sens["tonnes"], cap_sens["capacity"])
    if rc is not None:
        # reduced cost at the upper bound: objective change per +1 t of capacity (k-currency/t);
        # value of +1 t capacity = -rc (currency/kg), only where the bound is active
        val = np.where(cap_sens["at_capacity"] & (rc[bp] < 0), -rc[bp], 0.0)
        df = o["year"].map(model.discount).to_numpy()
        cap_sens["value_per_t"] = val / df   # undiscounted, in that year's money
    else:
        cap_sens["value_per_t"] = np.nan
    if rg is not None:
        df = o["year"].map(model.discount).to_numpy()
        lam = model.data.settings.risk_weight * o["risk"].to_numpy() * o["reference_value"].to_numpy()
        # ranging is on the discounted objective coefficient; convert to a unit-cost range
        cap_sens["cost_low"] = rg.col_cost_low[bp] / df - lam
        cap_sens["cost_high"] = rg.col_cost_high[bp] / df - lam
    else:
        cap_sens["cost_low"] = np.nan
        cap_sens["cost_high"] = np.nan
    cap_sens = cap_sens.sort_values(["at_capacity", "value_per_t"], ascending=[False, False]).reset_index(drop=True)

    dem = demand_marginals(model, sol)
    return cs, cap_sens, dem


def period_stock_table(model: SourcingModel, x: np.ndarray) -> pd.DataFrame:
    """Stock at the end of every period (models.periods) and its weeks of demand cover
    (stock / (the year's demand / 52))."""
    ps = period_stock(model, x)
    dem = ps.merge(model.demand, on=["material", "year"], how="left")["demand"].fillna(0.0).to_numpy()
    weekly = dem / 52.0
    ps["cover_weeks"] = np.where(weekly > 0, ps["stock"].to_numpy() / np.where(weekly > 0, weekly, 1.0), np.nan)
    return ps


def stockpile_table(model: SourcingModel, x: np.ndarray, plan: pd.DataFrame) -> pd.DataFrame:
    data = model.data
    st = _vals(model, "stock", x).rename(columns={"value": "closing"})
    un = _vals(model, "unmet", x).rename(columns={"value": "unmet"})
    t = st.merge(un, on=["material", "year"])
    mcode, mats = K.codes(plan["material"])
    ycode, years = K.codes(plan["year"])
    channel = plan["channel"].to_numpy()
    tonnes = plan["tonnes"].to_numpy(dtype=float)

    def by_channel(name):
        rows = np.flatnonzero(channel == name)
        if not len(rows):
            return 0.0
        (m, y), total = K.group_sum(tonnes[rows], [mcode[rows], ycode[rows]], [len(mats), len(years)])
        table = pd.DataFrame({"material": K.text(mats, m), "year": years.to_numpy()[y], "tonnes": total})
        return lookup(t, table, ["material", "year"], "tonnes")
    t["purchases"] = by_channel("purchase")
    t["project_output"] = by_channel("project")
    t["conversion_output"] = by_channel("conversion")
    use = model.lp.var_blocks["use"]
    if use.size:
        u = use.index.assign(t=x[use.positions]).groupby(["material", "year"], as_index=False)["t"].sum()
        t["used_in_conversion"] = lookup(t, u, ["material", "year"], "t")
    else:
        t["used_in_conversion"] = 0.0
    t["demand"] = lookup(t, model.demand, ["material", "year"], "demand")
    t = t.fillna({"purchases": 0.0, "project_output": 0.0, "conversion_output": 0.0, "used_in_conversion": 0.0,
                  "demand": 0.0})
    opening = dict(zip(data.materials["material"], data.materials["opening_stock"]))
    t = t.sort_values(["material", "year"]).reset_index(drop=True)
    t["opening"] = t.groupby("material")["closing"].shift(1)
    t["opening"] = t["opening"].fillna(t["material"].map(opening)).fillna(0.0)
    sp = data.stockpile if data.stockpile is not None else pd.DataFrame()
    if len(sp):
        t["target_days"] = lookup(t, sp, ["material", "year"], "target_days")
    else:
        t["target_days"] = np.nan
    t["target"] = t["target_days"] / 365.0 * t["demand"]
    with np.errstate(divide="ignore", invalid="ignore"):
        t["cover_days"] = np.where(t["demand"] > 0, t["closing"] / t["demand"] * 365.0, np.nan)
    sh = part_per_row(model, "shortfall", x)
    t["shortfall"] = lookup(t, sh, ["material", "year"], "value") if len(sh) else np.nan
    t["shortfall"] = t["shortfall"].fillna(0.0)
    t["shortfall_penalty_m"] = (lookup(t, sh, ["material", "year"], "money_m") if len(sh) else np.nan)
    t["shortfall_penalty_m"] = t["shortfall_penalty_m"].fillna(0.0)
    return t[["material", "year", "opening", "purchases", "project_output", "conversion_output",
              "used_in_conversion", "demand", "unmet", "closing", "target", "target_days", "cover_days",
              "shortfall", "shortfall_penalty_m"]]


def investment_table(model: SourcingModel, x: np.ndarray) -> pd.DataFrame:
    inv = model.data.investments
    cols = ["project", "name", "material", "source", "capacity", "capex", "built_share",
            "first_output_year", "capex_year", "total_output"]
    if inv is None or inv.empty:
        return pd.DataFrame(columns=cols)
    b = _vals(model, "build", x)
    mk = _vals(model, "make", x)
    rows = []
    for _, p in inv.iterrows():
        bp = b[b["project"] == p["project"]]
        built = float(bp["value"].sum())
        online = bp[bp["value"] > TOL]
        first = int(online["year"].min()) if len(online) else None
        pay = None
        if first is not None:
            pay = int(model.project_pay_year.loc[(p["project"], first)])
        out = float(mk[mk["project"] == p["project"]]["value"].sum())
        rows.append((p["project"], p["name"], p["material"], p["source"], p["capacity"], p["capex"],
                     built, first, pay, out))
    return pd.DataFrame(rows, columns=cols)


def _price_text(model: SourcingModel, family: str, j: int, dual: float, years: np.ndarray | None = None) -> str:
    """A row's shadow price in the row's own units (currency M per percentage point for a China
    cap, currency/kg per tonne for tonne rows, M per M of budget); ``years``: the family's year
    column, if already read."""
    block = model.lp.row_blocks[family]
    cur = model.data.settings.currency
    if family == "china_cap":
        wd = float(model.cap_rows["weighted_demand"].iloc[j])
        return f"{to_millions(dual * wd / PP_PER_SHARE):,.4g} {cur} M per +1 percentage point"
    if family in ("capex_budget", "capex_total"):
        return f"{to_millions(dual):,.4g} {cur} M per +1 {cur} M of budget"
    if family == "build_once":
        return f"{to_millions(dual):,.4g} {cur} M per project"
    if years is None and "year" in block.index.columns:
        years = block.index["year"].to_numpy()
    year = years[j] if years is not None else None
    df = model.discount.get(int(year), 1.0) if year is not None else 1.0
    return f"{dual / df:,.4g} {cur}/kg per +1 t ({year} money)"


def binding_diagnostics(model: SourcingModel, sol: Solution, labels: Labels,
                        caps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows that bind with a non-zero price: each as a sentence with its code, its limit and its
    shadow price in its own units; a China cap in shares and the re-solved prices of ``caps``
    (:func:`optimizer.sourcing.sensitivity.cap_table`, rows in the model's cap order)."""
    cur = model.data.settings.currency
    lp = model.lp
    _, cl, cu, rl, ru, _ = lp.arrays()
    out = []
    act, duals = sol.row_activity, sol.row_duals
    cap_cols = ("china_share", "target", "cost_per_pp_tighter", "saving_per_pp_looser")
    cap_vals = [caps[c].to_numpy() for c in cap_cols] if caps is not None and len(caps) else None
    for fam, block in lp.row_blocks.items():
        if fam == "balance" or fam in BALANCE_ROWS or not block.size:
            continue
        p = block.positions
        at_hi = np.isfinite(ru[p]) & at_bound(act[p], ru[p])
        at_lo = np.isfinite(rl[p]) & at_bound(act[p], rl[p])
        hit = at_hi | at_lo
        if duals is not None:
            hit &= ~(np.abs(duals[p]) <= 1e-9)
        rows = np.flatnonzero(hit)
        if not len(rows):
            continue
        codes = block.labels(rows)
        years = block.index["year"].to_numpy() if "year" in block.index.columns else None
        for code, k in zip(codes, rows):
            i = p[k]
            d = duals[i] if duals is not None else np.nan
            if fam == "china_cap" and cap_vals is not None and k < len(caps):
                share, target, tighter, looser = (v[k] for v in cap_vals)
                out.append(("binding", labels.with_code(code),
                            f"China share {share:.1%} at its target {target:.1%}: one point "
                            f"tighter costs {tighter:,.2f} {cur} M, one point looser saves "
                            f"{looser:,.2f} {cur} M (Sensitivity sheet)"))
                continue
            limit = ru[i] if at_hi[k] else rl[i]
            price = _price_text(model, fam, k, d, years) if np.isfinite(d) else "price not available"
            side = "upper" if at_hi[k] else "lower"
            out.append(("binding", labels.with_code(code),
                        f"{block.doc}: at its {side} limit {limit:,.4g}; shadow price {price}"))
    return pd.DataFrame(out, columns=["kind", "item", "detail"])


def build_result(model: SourcingModel, sol: Solution, options: SolveOptions | None = None,
                 sensitivity: str = "auto", timings: dict | None = None) -> R.RunResult:
    """Everything the reports show about one solve; ``sensitivity``: how the China caps' prices
    are found (:func:`optimizer.sourcing.sensitivity.cap_table`, which adds the seconds of its
    re-solves to ``timings``)."""
    data = model.data
    labels = Labels(data)
    res = R.RunResult(status=sol.status, status_message=sol.message,
                      proven_optimal=sol.status == OPTIMAL, currency=data.settings.currency,
                      language=data.settings.language,
                      duals_indicative=sol.duals_indicative, years=list(data.years))
    diag = []
    for n in sol.notes:
        diag.append(("check", "solver", n))
    for w in data.warnings:
        diag.append(("warning", f"{w.sheet}!{w.cell}" if w.cell else w.sheet, w.rule))
    if not sol.has_solution:
        res.diagnostics = pd.DataFrame(diag, columns=["kind", "item", "detail"])
        return res
    x = sol.x
    res.objective = to_millions(float(np.dot(model.lp.arrays()[0], x)))
    res.objective_parts = objective_parts(model, x)
    res.objective_parts_undiscounted = objective_parts(model, x, undiscounted=True)
    res.plan = plan_table(model, x)
    caps = cap_shares(model, x)
    res.shares, res.bloc_mix = share_tables(model, res.plan, caps)
    res.cap_shares = caps[~caps["classic"]].reset_index(drop=True)
    res.dependence = dependence_table(model, x)
    res.conversion = conversion_table(model, x)
    res.stockpile = stockpile_table(model, x, res.plan)
    res.periods_per_year = periods_of(data)
    if res.periods_per_year > 1:
        res.period_stock = period_stock_table(model, x)
    res.investments = investment_table(model, x)
    un = res.stockpile[["material", "year", "demand", "unmet"]]
    un = un[un["unmet"] > TOL].copy()
    un["unmet_share"] = un["unmet"] / un["demand"].replace(0, np.nan)
    pen = part_per_row(model, "unmet", x)
    un["penalty_m"] = lookup(un, pen, ["material", "year"], "money_m")
    res.unmet = un.reset_index(drop=True)
    if sol.row_duals is not None:
        res.cap_sensitivity, res.capacity_sensitivity, res.demand_sensitivity = \
            sensitivity_tables(model, sol, res.shares, options or SolveOptions(), sensitivity, timings)
        bind = binding_diagnostics(model, sol, labels, res.cap_sensitivity)
        diag += list(bind.itertuples(index=False, name=None))
    short = res.stockpile[res.stockpile["shortfall"] > TOL]
    for _, r in short.iterrows():
        code = f"stock_target[{r['material']},{r['year']}]"
        diag.append(("missed target", labels.with_code(code),
                     f"stock {r['closing']:,.1f} t is {r['shortfall']:,.1f} t below the target "
                     f"{r['target']:,.1f} t ({r['cover_days']:,.0f} days of cover against {r['target_days']:,.0f})"))
    res.diagnostics = pd.DataFrame(diag, columns=["kind", "item", "detail"])
    return res
