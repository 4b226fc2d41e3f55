"""The multi-year sourcing LP, one function per variable or constraint family.

Sets: materials m, suppliers s (bloc china / ally / domestic / other), planning years
t = first..last, supply offers o = (m, s, t) from the Supply sheet, projects p.
Money inside the model is in thousands of currency (t x currency/kg); capex inputs
in currency millions are multiplied by 1,000.  ``df_t = (1 + r)^-(t - base_year)``.

``build_model`` calls the ``add_*`` functions below in a fixed, readable order.
Every function is pure with respect to files: it reads the validated
:class:`~models.data.SourcingData` and adds blocks to a :class:`LinearProgram`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.data import SourcingData
from models.lp import INF, LinearProgram, Terms, lookup
from models.caps import add_share_caps
from models.conversion import (add_conversion_recipe, add_conversion_use_limit, add_conversion_variables,
                               balance_terms)
from models.penalties import material_penalties
from models.periods import add_periods
from models.survival import add_survival_floor
from models.units import K_PER_M

# The objective's parts, in report order: money spent, then the risk charge (a weight), then the
# penalties of targets missed.  Each add_* function declares its part(s) on the LP.
SPENDING_PARTS = ("purchases", "holding", "capex", "project opex", "conversion")
WEIGHT_PARTS = ("risk charge",)
OPTIONAL_PARTS = ("conversion",)   # shown only when the workbook has them (a Conversion sheet)
PENALTY_PARTS = ("unmet demand penalty", "stock shortfall penalty")
COST_PARTS = ("purchases", "risk charge", "holding", "capex", "project opex", "conversion",
              "unmet demand penalty", "stock shortfall penalty")


@dataclass
class SourcingModel:
    """The built LP plus the index tables the report needs to read it back."""

    lp: LinearProgram
    data: SourcingData
    offers: pd.DataFrame               # buy index + capacity, unit_cost, bloc, risk, ...
    demand: pd.DataFrame               # material, year, demand
    cap_rows: pd.DataFrame = field(default_factory=pd.DataFrame)  # every share cap: models.caps
    use_offer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # offer of each use column
    shares: object = None              # models.caps.Shares: origin tables, built once by add_share_caps
    discount: dict = field(default_factory=dict)
    project_pay_year: pd.Series = field(default_factory=pd.Series)  # (project, year) -> capex year


def discount_factors(data) -> dict[int, float]:
    s = data.settings
    return {t: (1.0 + s.discount_rate) ** -(t - s.base_year) for t in data.years}


def build_model(data: SourcingData, survival_weeks: float | None = None,
                period_avail: np.ndarray | None = None) -> SourcingModel:
    """Build the whole LP in a fixed order: variables, then balances, policy, projects.
    ``survival_weeks``: also require time-to-survive >= that many weeks for every source
    (:func:`models.survival.add_survival_floor`).  With ``periods_per_year`` > 1 the period
    families of :mod:`models.periods` follow the annual balance (``period_avail``: the share of
    each offer's capacity available in each period, (n_offers, P); default 1)."""
    lp = LinearProgram("sourcing")
    model = SourcingModel(lp=lp, data=data, offers=_offer_table(data),
                          demand=_demand_table(data), discount=discount_factors(data))
    add_purchase_variables(model)
    add_stock_variables(model)
    add_unmet_demand_variables(model)
    add_project_variables(model)
    add_conversion_variables(model)
    add_material_balance(model)
    add_periods(model, _MatYearPositions(data), period_avail)
    add_share_caps(model)
    add_single_source_cap(model)
    add_ramp_limits(model)
    add_stockpile_target(model)
    add_project_build_once(model)
    add_project_output_limit(model)
    add_capex_budget(model)
    add_conversion_recipe(model)
    add_conversion_use_limit(model)
    if survival_weeks:
        add_survival_floor(model, survival_weeks)
    return model


# --------------------------------------------------------------------------- indices
def _offer_table(data) -> pd.DataFrame:
    years = set(data.years)
    offers = data.supply[data.supply["year"].isin(years)].copy()
    offers = offers.merge(data.suppliers[["source", "bloc", "risk"]], on="source", how="left")
    offers = offers.merge(data.materials[["material", "reference_value"]], on="material", how="left")
    return offers.sort_values(["material", "source", "year"]).reset_index(drop=True)


def _demand_table(data) -> pd.DataFrame:
    dem = data.demand[data.demand["year"].isin(set(data.years))]
    return dem.sort_values(["material", "year"]).reset_index(drop=True)[["material", "year", "demand"]]


def _mat_year_index(data) -> pd.DataFrame:
    mats = data.materials["material"].tolist()
    return pd.DataFrame([(m, t) for m in mats for t in data.years], columns=["material", "year"])


class _MatYearPositions:
    """Row of each (material, year) key in :func:`_mat_year_index` order, vectorised.

    Same answer as the dict ``{(m, t): i for i, (m, t) in enumerate(idx)}`` looked up
    key by key (the last occurrence wins for a repeated material; a key that is not
    there raises ``KeyError``), without a Python loop over the keys.
    """

    def __init__(self, data):
        self.mat_pos = {m: i for i, m in enumerate(data.materials["material"].tolist())}
        self.years = list(data.years)
        self.year_pos = {t: j for j, t in enumerate(self.years)}

    def __call__(self, materials, years) -> np.ndarray:
        mats = np.asarray(materials, dtype=object)
        yrs = np.asarray(years)
        if mats.size == 0:
            return np.zeros(0, np.int64)
        codes, uniq = pd.factorize(mats, use_na_sentinel=False)
        mpos = np.array([self.mat_pos.get(m, -1) for m in uniq], dtype=np.int64)[codes]
        ycodes, yuniq = pd.factorize(yrs, use_na_sentinel=False)
        ypos = np.array([self.year_pos.get(t, -1) for t in yuniq], dtype=np.int64)[ycodes]
        bad = (mpos < 0) | (ypos < 0)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise KeyError((mats[k], yrs[k]))
        return mpos * len(self.years) + ypos


def _project_year_index(data) -> pd.DataFrame:
    inv = data.investments
    if inv is None or inv.empty:
        return pd.DataFrame({"project": pd.Series(dtype=str), "year": pd.Series(dtype=int)})
    rows = [(p, t) for p, e in zip(inv["project"], inv["earliest_year"]) for t in data.years if t >= e]
    return pd.DataFrame(rows, columns=["project", "year"]).astype({"year": int})


# --------------------------------------------------------------------------- variables
def add_purchase_variables(model: SourcingModel) -> None:
    """buy[m,s,t]: tonnes bought from supplier s of material m in year t.

    min_volume[m,s,t] <= buy[m,s,t] <= capacity[m,s,t]
    cost: df_t * (unit_cost[m,s,t] + lambda * risk[s] * reference_value[m])  per tonne (k-currency)

    For each supply offer (m, s, t) whose year is a planning year.
    """
    o, s = model.offers, model.data.settings
    df = o["year"].map(model.discount).to_numpy()
    risk = s.risk_weight * o["risk"].to_numpy() * o["reference_value"].to_numpy()
    cost = df * (o["unit_cost"].to_numpy() + risk)
    lower = o["min_volume"].fillna(0.0).to_numpy()
    model.lp.add_variables("buy", o[["material", "source", "year"]], lower=lower,
                           upper=o["capacity"].to_numpy(), cost=cost,
                           parts={"purchases": df * o["unit_cost"].to_numpy(), "risk charge": df * risk}, discount=df,
                           doc="tonnes bought per material, supplier and year")


def add_stock_variables(model: SourcingModel) -> None:
    """stock[m,t] >= 0: tonnes held at the end of year t; cost df_t * holding_cost[m] per tonne.

    For each material and planning year.
    """
    idx = _mat_year_index(model.data)
    hold = lookup(idx, model.data.materials, ["material"], "holding_cost")
    df = idx["year"].map(model.discount).to_numpy()
    model.lp.add_variables("stock", idx, cost=df * np.nan_to_num(hold), parts="holding", discount=df,
                           doc="end-of-year stock (t)")


def add_unmet_demand_variables(model: SourcingModel) -> None:
    """0 <= unmet[m,t] <= demand[m,t]: demand not served (elastic slack); cost df_t *
    unmet_penalty[m] per tonne.  The upper bound keeps the slack from creating material (more
    "unmet" than demand would feed the stock when a stock target is worth more than the penalty).

    For each material and planning year.  A positive value means the policy or the
    capacities cannot be met; the report explains which constraints forced it.
    unmet_penalty[m] comes from :func:`material_penalties`.
    """
    idx = _mat_year_index(model.data)
    df = idx["year"].map(model.discount).to_numpy()
    pen = lookup(idx, material_penalties(model.data), ["material"], "unmet_penalty")
    dem = np.nan_to_num(lookup(idx, model.demand, ["material", "year"], "demand"))
    model.lp.add_variables("unmet", idx, cost=df * pen, parts="unmet demand penalty", discount=df,
                           upper=dem, doc="unserved demand (t)")


def add_project_variables(model: SourcingModel) -> None:
    """build[p,t] in [0,1] (binary if integer_investments): share of project p whose first
    output year is t; make[p,t] >= 0: tonnes produced by p in year t.

    build cost: df_{pay(t)} * capex[p] * K_PER_M, pay(t) = max(first_year, t - lead_time[p])
    make cost:  df_t * opex[p] per tonne
    For each project p and each planning year t >= earliest_year[p].
    """
    data = model.data
    idx = _project_year_index(data)
    inv = data.investments
    if idx.empty:
        model.lp.add_variables("build", idx)
        model.lp.add_variables("make", idx)
        return
    capex = lookup(idx, inv, ["project"], "capex")
    lead = np.nan_to_num(lookup(idx, inv, ["project"], "lead_time"))
    opex = lookup(idx, inv, ["project"], "opex")
    pay_year = np.maximum(data.settings.first_year, idx["year"].to_numpy() - np.ceil(lead)).astype(int)
    df_pay = np.array([model.discount[int(y)] for y in pay_year])
    df = idx["year"].map(model.discount).to_numpy()
    model.lp.add_variables("build", idx, upper=1.0, cost=df_pay * capex * K_PER_M, parts="capex", discount=df_pay,
                           integer=data.settings.integer_investments,
                           doc="share of project coming online in year t")
    model.lp.add_variables("make", idx, cost=df * opex, parts="project opex", discount=df, doc="project output (t)")
    model.project_pay_year = pd.Series(pay_year, index=pd.MultiIndex.from_frame(idx))


# --------------------------------------------------------------------------- constraints
def add_material_balance(model: SourcingModel) -> None:
    """balance[m,t]:
        stock[m,t-1] + sum_s buy[m,s,t] + sum_p make[p,t] + sum_q conv[q,t] - sum_{q,o} use[q,o]
            + unmet[m,t] - stock[m,t] = demand[m,t]

    conv: output of a conversion process making m; use: purchases of m a process consumes
    (:mod:`models.conversion`).
    stock[m,first-1] is the opening stock (moved to the right-hand side).
    For each material m and planning year t (missing demand counts as 0).
    The dual is the marginal cost of one more tonne of demand (k-currency/t = currency/kg).
    """
    lp, data = model.lp, model.data
    idx = _mat_year_index(data)
    n = len(idx)
    pos = _MatYearPositions(data)
    terms = Terms()
    buy = lp.var_blocks["buy"]
    o = buy.index
    terms.add(pos(o["material"], o["year"]), buy.positions, 1.0)
    stock = lp.var_blocks["stock"]
    terms.add(np.arange(n), stock.positions, -1.0)
    prev = idx.copy()
    prev["year"] = prev["year"] + 1
    has_next = prev["year"] <= data.settings.last_year
    terms.add(pos(prev["material"][has_next], prev["year"][has_next]),
              stock.positions[has_next.to_numpy()], 1.0)
    terms.add(np.arange(n), lp.var_blocks["unmet"].positions, 1.0)
    make = lp.var_blocks["make"]
    if make.size:
        mat = lookup(make.index, data.investments, ["project"], None)
        mat_of = data.investments["material"].to_numpy()[mat]
        terms.add(pos(mat_of, make.index["year"]), make.positions, 1.0)
    for rows, cols, coefs in balance_terms(model, pos):
        terms.add(rows, cols, coefs)
    dem = lookup(idx, model.demand, ["material", "year"], "demand")
    rhs = np.nan_to_num(dem)
    opening = lookup(idx, data.materials, ["material"], "opening_stock")
    first = (idx["year"] == data.settings.first_year).to_numpy()
    rhs = rhs - np.where(first, np.nan_to_num(opening), 0.0)
    lp.add_constraints("balance", idx, terms, lower=rhs, upper=rhs,
                       doc="material balance (t)")


def add_single_source_cap(model: SourcingModel) -> None:
    """single_source[m,s,t]:  buy[m,s,t] <= sigma * demand[m,t]

    Only where the setting max_single_source_share (sigma) is given and the offer's
    capacity exceeds sigma * demand (otherwise the row could never bind).
    For each supply offer (m, s, t).
    """
    sigma = model.data.settings.max_single_source_share
    buy = model.lp.var_blocks["buy"]
    o = model.offers
    if sigma is None:
        model.lp.add_constraints("single_source", o.iloc[:0][["material", "source", "year"]], Terms())
        return
    dem = np.nan_to_num(lookup(o, model.demand, ["material", "year"], "demand"))
    limit = sigma * dem
    sel = o["capacity"].to_numpy() > limit
    idx = o.loc[sel, ["material", "source", "year"]]
    terms = Terms().add(np.arange(int(sel.sum())), buy.positions[sel], 1.0)
    model.lp.add_constraints("single_source", idx, terms, upper=limit[sel],
                             doc="single-supplier share of demand")


def add_ramp_limits(model: SourcingModel) -> None:
    """ramp[m,s,t]:  buy[m,s,t] - buy[m,s,t-1] <= max_increase[m,s,t]

    buy[m,s,t-1] is taken as 0 when there is no offer in t-1 (a new supplier can
    start at most at max_increase).  Only where max_increase is given and t is not
    the first planning year.  For each such supply offer.
    """
    lp, o = model.lp, model.offers
    buy = lp.var_blocks["buy"]
    first = model.data.settings.first_year
    sel = o["max_increase"].notna().to_numpy() & (o["year"] > first).to_numpy()
    idx = o.loc[sel, ["material", "source", "year"]].reset_index(drop=True)
    terms = Terms().add(np.arange(len(idx)), buy.positions[sel], 1.0)
    ppos = _previous_offer(o, sel)
    if ppos is None:  # offers not sorted by (material, source, year) or keys repeated
        prev = idx.copy()
        prev["year"] = prev["year"] - 1
        ppos = lookup(prev, o, ["material", "source", "year"])
    has = ppos >= 0
    terms.add(np.flatnonzero(has), buy.positions[ppos[has]], -1.0)
    lp.add_constraints("ramp", idx, terms, upper=o.loc[sel, "max_increase"].to_numpy(),
                       doc="year-on-year purchase increase (t)")


def _previous_offer(o: pd.DataFrame, sel: np.ndarray) -> np.ndarray | None:
    """For the offers ``o[sel]``: position in ``o`` of the same material and source one
    year earlier, -1 if there is none.  Uses the (material, source, year) order of the
    offer table: when its keys are strictly increasing the earlier offer can only be the
    row just above.  Returns None when the table is not in that order (the caller then
    looks the keys up by merge, which also reports repeated keys)."""
    n = len(o)
    if n < 2:
        return None
    m = np.asarray(o["material"].to_numpy(), dtype=object)
    s = np.asarray(o["source"].to_numpy(), dtype=object)
    y = o["year"].to_numpy()
    if y.dtype.kind not in "iu":
        return None
    same_m = m[1:] == m[:-1]
    same_ms = same_m & (s[1:] == s[:-1])
    try:
        increasing = (m[1:] > m[:-1]) | (same_m & (s[1:] > s[:-1])) | (same_ms & (y[1:] > y[:-1]))
    except TypeError:  # ids that do not compare (should not happen after validation)
        return None
    if not increasing.all():
        return None
    prev_ok = np.zeros(n, dtype=bool)
    prev_ok[1:] = same_ms & (y[1:] - 1 == y[:-1])
    rows = np.flatnonzero(sel)
    return np.where(prev_ok[rows], rows - 1, -1).astype(np.int64)


def add_stockpile_target(model: SourcingModel) -> None:
    """stock_target[m,t]:  stock[m,t] + shortfall[m,t] >= target_days[m,t] / 365 * demand[m,t]

    shortfall[m,t] >= 0 costs df_t * shortfall_penalty[m] per tonne (a soft target; the
    penalty comes from :func:`material_penalties`).  With the setting stock_targets = hard,
    shortfall[m,t] <= 0: the target must be met (an impossible one makes the model infeasible,
    and the explanation names it).
    Only where the Stockpile sheet gives a positive target for a planning year.
    """
    lp, data = model.lp, model.data
    sp = data.stockpile
    if sp is None or sp.empty:
        sp = pd.DataFrame({"material": pd.Series(dtype=str), "year": pd.Series(dtype=int),
                           "target_days": pd.Series(dtype=float)})
    sp = sp[sp["year"].isin(set(data.years)) & (sp["target_days"] > 0)].reset_index(drop=True)
    idx = sp[["material", "year"]]
    df = idx["year"].map(model.discount).to_numpy(dtype=float) if len(idx) else np.zeros(0)
    pen = lookup(idx, material_penalties(data), ["material"], "shortfall_penalty") if len(idx) else np.zeros(0)
    hard = model.data.settings.stock_targets == "hard"
    short = lp.add_variables("shortfall", idx, cost=df * pen, parts="stock shortfall penalty", discount=df,
                             upper=0.0 if hard else INF, doc="stock below target (t)")
    stock = lp.var_blocks["stock"]
    spos = lookup(idx, stock.index, ["material", "year"])
    terms = Terms().add(np.arange(len(idx)), stock.start + spos, 1.0).add(np.arange(len(idx)), short, 1.0)
    dem = np.nan_to_num(lookup(idx, model.demand, ["material", "year"], "demand"))
    lp.add_constraints("stock_target", idx, terms, lower=sp["target_days"].to_numpy() / 365.0 * dem,
                       doc="stockpile target (t)")


def add_project_build_once(model: SourcingModel) -> None:
    """build_once[p]:  sum_t build[p,t] <= 1

    For each project (a project comes online at most once, possibly in part in the LP).
    """
    lp = model.lp
    build = lp.var_blocks["build"]
    inv = model.data.investments
    projects = pd.DataFrame({"project": [] if inv is None or inv.empty else inv["project"].tolist()})
    p = lookup(build.index, projects, ["project"]) if build.size else np.zeros(0, int)
    terms = Terms().add(p, build.positions, 1.0)
    lp.add_constraints("build_once", projects, terms, upper=1.0, doc="project built at most once")


def add_project_output_limit(model: SourcingModel) -> None:
    """project_output[p,t]:  make[p,t] - capacity[p] * sum_{tau <= t} build[p,tau] <= 0

    For each project p and planning year t >= earliest_year[p].
    """
    lp = model.lp
    make, build = lp.var_blocks["make"], lp.var_blocks["build"]
    idx = make.index
    terms = Terms().add(np.arange(make.size), make.positions, 1.0)
    if make.size:
        cap = lookup(idx, model.data.investments, ["project"], "capacity")
        for p, grp in idx.groupby("project", sort=False):
            rows = grp.index.to_numpy()
            years = grp["year"].to_numpy()
            # every (r, tau) pair of the project with year(tau) <= year(r), row by row
            a, b = np.nonzero(years[None, :] <= years[:, None])
            terms.add(rows[a], build.start + rows[b], -cap[rows[a]])
    lp.add_constraints("project_output", idx, terms, upper=0.0, doc="output within built capacity")


def add_capex_budget(model: SourcingModel) -> None:
    """capex_budget[t]:   sum_{p,tau : pay(p,tau) = t} capex[p] * build[p,tau] <= budget[t]
    capex_total:          sum_{p,tau} capex[p] * build[p,tau] <= investment_budget_total

    (currency millions).  Per-year rows only for Budget-sheet years that are planning
    years; the total row only when the setting is given.
    """
    lp, data = model.lp, model.data
    build = lp.var_blocks["build"]
    bud = data.budget
    if bud is None or bud.empty:
        bud = pd.DataFrame({"year": pd.Series(dtype=int), "capex_budget": pd.Series(dtype=float)})
    bud = bud[bud["year"].isin(set(data.years))].reset_index(drop=True)
    terms = Terms()
    if build.size:
        capex = lookup(build.index, data.investments, ["project"], "capex")
        pay = model.project_pay_year.to_numpy()
        for r, t in enumerate(bud["year"]):
            sel = pay == t
            terms.add(np.full(int(sel.sum()), r), build.positions[sel], capex[sel])
    lp.add_constraints("capex_budget", bud[["year"]], terms, upper=bud["capex_budget"].to_numpy(),
                       doc="capex per year (currency M)")
    total = data.settings.investment_budget_total
    tidx = pd.DataFrame({"scope": ["total"] if total is not None else []})
    tterms = Terms()
    if total is not None and build.size:
        capex = lookup(build.index, data.investments, ["project"], "capex")
        tterms.add(np.zeros(build.size, int), build.positions, capex)
    lp.add_constraints("capex_total", tidx, tterms,
                       upper=np.array([total], dtype=float) if total is not None else np.zeros(0),
                       doc="total capex (currency M)")
