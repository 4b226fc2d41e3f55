"""Periods within years (the setting ``periods_per_year`` P = 4 or 12): deliveries, stock and
unmet demand per period k = 1..P of every planning year, under the annual model.

The annual families stay as they are (buy, stock = stock at the end of the year's last period,
unmet, the annual material balance), and with them every annual rule: China-share and single-
supplier caps, budgets, contracts and ramp limits read the annual buy.  This module adds, only
when P > 1 (with P = 1 the model is exactly the annual one):

    deliver[o,k] in [0, a_ok * capacity[o] / P]   tonnes of offer o delivered in period k
                                                  (a_ok: the share available in that period,
                                                  1 unless a disruption says otherwise)
    pstock[m,t,k] >= 0, k < P                     stock at the end of period k of year t
    punmet[m,t,k] in [0, demand[m,t] / P]         demand not served in period k

    delivery_split[o]:   sum_k deliver[o,k] - buy[o] = 0
    unmet_split[m,t]:    sum_k punmet[m,t,k] - unmet[m,t] = 0
    period_balance[m,t,k], k = 1..P-1:
        prev + sum_s deliver[m,s,t,k] + (make + conv - use)[m,t] / P + punmet[m,t,k]
             - pstock[m,t,k] = demand[m,t] / P
        prev = pstock[m,t,k-1], or stock[m,t-1] for k = 1 (the opening stock in the first year)

The balance of the last period is the annual balance minus the others (so it is not written
twice, and the annual balance keeps its dual).  Demand and domestic output run evenly over the
year (an assumption of the model: the workbooks give them per year); deliveries may be bunched
within a period's share of the capacity.  Holding cost stays on the year-end stock.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from models.conversion import balance_terms
from models.lp import Terms, lookup


#: rows that are balances or accounting identities, never a limit a planner could relax
BALANCE_ROWS = ("delivery_split", "unmet_split", "period_balance")


def periods_of(data) -> int:
    """P, the periods per year of the workbook's settings (1 = annual)."""
    return int(getattr(data.settings, "periods_per_year", 1) or 1)


def month_span(P: int) -> np.ndarray:
    """(P, 2): first and one-past-last month (0-based, fractional for none) of each period."""
    k = np.arange(P)
    return np.stack([k * 12.0 / P, (k + 1) * 12.0 / P], axis=1)


def _period_index(frame: pd.DataFrame, periods) -> pd.DataFrame:
    n, ks = len(frame), np.asarray(list(periods), int)
    out = {c: np.repeat(frame[c].to_numpy(), ks.size) for c in frame.columns}
    out["period"] = np.tile(ks, n)
    return pd.DataFrame(out)


def add_period_variables(model, period_avail: np.ndarray | None = None) -> None:
    """deliver[o,k], pstock[m,t,k] (k < P) and punmet[m,t,k] as in the module docstring.
    ``period_avail``: (n_offers, P) shares of capacity available per period (default 1)."""
    P = periods_of(model.data)
    lp, o = model.lp, model.offers
    avail = np.ones((len(o), P)) if period_avail is None else np.asarray(period_avail, float).reshape(len(o), P)
    cap = o["capacity"].to_numpy(float)[:, None] / P * avail
    lp.add_variables("deliver", _period_index(o[["material", "source", "year"]], range(1, P + 1)),
                     upper=cap.ravel(), doc="tonnes delivered per offer and period")
    my = lp.var_blocks["stock"].index
    lp.add_variables("pstock", _period_index(my, range(1, P)), doc="stock at the end of a period (t)")
    dem = np.nan_to_num(lookup(my, model.demand, ["material", "year"], "demand"))
    lp.add_variables("punmet", _period_index(my, range(1, P + 1)), upper=np.repeat(dem / P, P),
                     doc="unserved demand per period (t)")


def add_delivery_split(model) -> None:
    """delivery_split[o]: the year's purchase of offer o is what its periods deliver."""
    P = periods_of(model.data)
    lp = model.lp
    buy, dlv = lp.var_blocks["buy"], lp.var_blocks["deliver"]
    n = buy.size
    terms = Terms().add(np.repeat(np.arange(n), P), dlv.positions, 1.0).add(np.arange(n), buy.positions, -1.0)
    lp.add_constraints("delivery_split", buy.index, terms, lower=0.0, upper=0.0,
                       doc="annual purchase = sum of its period deliveries")


def add_unmet_split(model) -> None:
    """unmet_split[m,t]: the year's unmet demand is the sum over its periods."""
    P = periods_of(model.data)
    lp = model.lp
    un, pun = lp.var_blocks["unmet"], lp.var_blocks["punmet"]
    n = un.size
    terms = Terms().add(np.repeat(np.arange(n), P), pun.positions, 1.0).add(np.arange(n), un.positions, -1.0)
    lp.add_constraints("unmet_split", un.index, terms, lower=0.0, upper=0.0,
                       doc="annual unmet demand = sum over its periods")


def add_period_balance(model, year_row) -> None:
    """period_balance[m,t,k] for k = 1..P-1 (module docstring).  ``year_row(materials, years)``
    gives the (material, year) position in the stock family's order."""
    P = periods_of(model.data)
    if P <= 1:
        return
    lp, data = model.lp, model.data
    stock = lp.var_blocks["stock"]
    my = stock.index
    K = P - 1
    row = lambda r, k: r * K + (k - 1)       # noqa: E731  row of (material-year r, period k)
    terms = Terms()
    dlv = lp.var_blocks["deliver"].index
    dpos = lp.var_blocks["deliver"].positions
    keep = dlv["period"].to_numpy() < P
    terms.add(row(year_row(dlv["material"][keep], dlv["year"][keep]), dlv["period"].to_numpy()[keep]), dpos[keep], 1.0)
    ps = lp.var_blocks["pstock"]
    pk = ps.index["period"].to_numpy()
    pr = year_row(ps.index["material"], ps.index["year"])
    terms.add(row(pr, pk), ps.positions, -1.0)                        # end of period k
    later = pk < K
    terms.add(row(pr[later], pk[later] + 1), ps.positions[later], 1.0)  # start of period k+1
    # period 1 starts from last year's closing stock
    years = my["year"].to_numpy()
    has_next = years + 1 <= data.settings.last_year
    nxt = year_row(my["material"][has_next], years[has_next] + 1)
    terms.add(row(nxt, 1), stock.positions[has_next], 1.0)
    pu = lp.var_blocks["punmet"]
    uk = pu.index["period"].to_numpy()
    keep = uk < P
    terms.add(row(year_row(pu.index["material"][keep], pu.index["year"][keep]), uk[keep]), pu.positions[keep], 1.0)
    for rows, cols, coefs in _production_terms(model, year_row):    # spread evenly over the year
        for k in range(1, P):
            terms.add(row(rows, k), cols, coefs / P)
    dem = np.nan_to_num(lookup(my, model.demand, ["material", "year"], "demand"))
    opening = np.nan_to_num(lookup(my, data.materials, ["material"], "opening_stock"))
    first = years == data.settings.first_year
    rhs = np.repeat(dem / P, K)
    rhs[row(np.flatnonzero(first), 1)] -= opening[first]
    lp.add_constraints("period_balance", _period_index(my, range(1, P)), terms, lower=rhs, upper=rhs,
                       doc="material balance per period (t); the last period's is the annual balance")


def _production_terms(model, year_row):
    """(rows, columns, coefficients) of domestic output and conversion on the annual balances."""
    lp, data = model.lp, model.data
    out = []
    make = lp.var_blocks["make"]
    if make.size:
        mat = lookup(make.index, data.investments, ["project"], None)
        mat_of = data.investments["material"].to_numpy()[mat]
        out.append((year_row(mat_of, make.index["year"]), make.positions, np.ones(make.size)))
    out += balance_terms(model, year_row)
    return out


def add_periods(model, year_row, period_avail=None) -> None:
    """Every period family, in order (nothing when P = 1)."""
    if periods_of(model.data) <= 1:
        return
    add_period_variables(model, period_avail)
    add_delivery_split(model)
    add_unmet_split(model)
    add_period_balance(model, year_row)


def period_stock(model, x: np.ndarray) -> pd.DataFrame:
    """Stock at the end of every period (material, year, period, stock), the last period's being
    the year-end stock, from a solution ``x`` of the model (or a vector of its columns)."""
    P = periods_of(model.data)
    lp = model.lp
    st = lp.var_blocks["stock"]
    year_end = st.index.assign(period=P, stock=x[st.positions])
    if P <= 1:
        return year_end
    ps = lp.var_blocks["pstock"]
    inner = ps.index.assign(stock=x[ps.positions])
    out = pd.concat([inner, year_end], ignore_index=True)
    return out.sort_values(["material", "year", "period"]).reset_index(drop=True)
