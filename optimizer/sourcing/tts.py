"""Time-to-survive (TTS), time-to-recover (TTR) and a risk-exposure ranking of sources.

After Simchi-Levi et al. (Interfaces 45(5), 2015; methods.md 2.2), for one material at a
time (no bill of materials in this model), with constant weekly rates inside year t:

    d   = demand[m,t] / 52                     weekly demand
    a_n = sum_{s != n} capacity[m,s,t] / 52    weekly alternative capacity without source n
    I   = stock of m at the start of year t    (opening stock, or the plan's stock[m,t-1]; with
          periods within years the lowest stock at the start of any of the year's periods)

The TTS LP  max T  s.t.  I + a_n * T >= d * T,  0 <= T <= 52  has the exact closed form

    TTS[n,m,t] = 52                        if a_n >= d   (survives the year)
               = min(52, I / (d - a_n))    otherwise      (weeks)

so no LP is solved.  Only sources that supply m in year t are listed.  Weeks beyond the
year are not evaluated (52 means "at least the whole year").  Domestic projects are not
counted as alternative capacity (conservative).

TTR[n,m,t] (weeks) = the longest disruption of n on m in t on the Disruptions sheet
(months x 52/12); blank where no event is listed.  With periods within years and a start
month, it is read at the workbook's resolution: the periods from the one the disruption
starts in to the last one it reaches (cut at December, as the model does), x 52/P weeks --
the first period in which supply is whole again is where recovery is seen.

Risk exposure:  lost[n,m,t] = max(0, (d - a_n) * T - I) tonnes over T = TTR (or 52 weeks
where no TTR is given), impact Z_n = sum_{m,t} lost * reference_value[m] (k-currency),
REI_n = Z_n / max_k Z_k.

The constraint "TTS >= N weeks" is the model's (:func:`models.survival.add_survival_floor`):
stock[m,t-1] >= N/52 * max_n (demand[m,t] - sum_{s != n} capacity[m,s,t]) for every year t
after the first (the first year's opening stock is data; a shortfall there is reported, not
enforced).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from models import keys as K
from models import origins as OR

WEEKS = 52.0


def _at(s: pd.Series, materials, years, default: float = 0.0) -> np.ndarray:
    """``float(s.get((m, t), default))`` for every pair at once (``s`` indexed by unique
    (material, year) pairs): one index look-up for the whole column instead of one per row."""
    idx = pd.MultiIndex.from_arrays([np.asarray(materials, dtype=object), np.asarray(years)])
    if not s.index.is_unique:
        return np.array([float(s.get(k, default)) for k in zip(materials, years)], dtype=float)
    pos = s.index.get_indexer(idx)
    vals = s.to_numpy(dtype=float)
    if not len(vals):
        return np.full(len(idx), float(default))
    return np.where(pos >= 0, vals[np.maximum(pos, 0)], float(default))


def _not_negative(x: np.ndarray) -> np.ndarray:
    """``max(0.0, x)`` element by element as Python computes it (NaN -> 0.0)."""
    return np.where(x > 0.0, x, 0.0)


def _grid(s: pd.Series, materials: pd.Index, years: pd.Index, default: float = 0.0) -> np.ndarray:
    """:func:`_at` of every (material, year) pair, as a (materials, years) array."""
    return _at(s, np.repeat(np.asarray(materials, dtype=object), len(years)),
               np.tile(np.asarray(years), len(materials)), default).reshape(len(materials), len(years))


def _capacity_table(data) -> pd.DataFrame:
    """Capacity per (material, source, year) of the planning years, sorted by those keys."""
    sup = data.supply[data.supply["year"].isin(set(data.years))]
    keys = [K.codes(sup[c]) for c in ("material", "source", "year")]
    (m, s, y), cap = K.group_sum(sup["capacity"].to_numpy(dtype=float), [k[0] for k in keys],
                                [len(k[1]) for k in keys])
    return pd.DataFrame({"material": pd.array(keys[0][1], dtype="str").take(m),
                         "source": pd.array(keys[1][1], dtype="str").take(s),
                         "year": keys[2][1].to_numpy()[y], "capacity": cap})


def start_stock(data, stock: pd.DataFrame | None = None, period_stock: pd.DataFrame | None = None
                ) -> pd.DataFrame:
    """Stock at the start of each planning year: opening stock in the first year, the plan's
    end-of-year stock[m, t-1] afterwards (0 where no plan is given).  With ``period_stock``
    (material, year, period, value: the stock at the end of every period but the last, periods
    within years), the lowest stock at the start of any period of the year: the source stopping
    at the worst moment of the year."""
    rows = []
    plan = {} if stock is None else {(m, int(t)): v for m, t, v in
                                     zip(stock["material"], stock["year"], stock["value"])}
    low = {}
    if period_stock is not None and len(period_stock):
        low = period_stock.groupby(["material", "year"])["value"].min().to_dict()
    opening = dict(zip(data.materials["material"], data.materials["opening_stock"].fillna(0.0)))
    for m in data.materials["material"]:
        for t in data.years:
            v = opening[m] if t == data.settings.first_year else plan.get((m, t - 1), 0.0)
            rows.append((m, t, float(min(v, low.get((m, t), v)))))
    return pd.DataFrame(rows, columns=["material", "year", "start_stock"])


def time_to_survive(data, stock: pd.DataFrame | None = None, disruptions: pd.DataFrame | None = None,
                    period_stock: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (source, material, year) with supply: demand, alternative capacity,
    start stock, tts_weeks, ttr_weeks, lost_t, impact (see the module docstring).
    ``period_stock``: with periods within years, I is the lowest stock at the start of any
    period of the year (:func:`start_stock`)."""
    cap = _capacity_table(data)
    m, mats = K.codes(cap["material"])
    y, years = K.codes(cap["year"])
    (tm, ty), total = K.group_sum(cap["capacity"].to_numpy(dtype=float), [m, y], [len(mats), len(years)])
    cell_total = np.full(len(mats) * len(years), np.nan)
    cell_total[tm * len(years) + ty] = total
    out = cap.assign(total_capacity=cell_total[m * len(years) + y])
    dem = data.demand.set_index(["material", "year"])["demand"]
    out["demand"] = _grid(dem, mats, years)[m, y]
    out["alt_capacity"] = out["total_capacity"] - out["capacity"]
    st = start_stock(data, stock, period_stock).set_index(["material", "year"])["start_stock"]
    out["start_stock"] = _not_negative(_grid(st, mats, years)[m, y])
    gap = (out["demand"] - out["alt_capacity"]).to_numpy() / WEEKS     # weekly deficit
    I = out["start_stock"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        tts = np.where(gap <= 0, WEEKS, np.minimum(WEEKS, I / np.where(gap > 0, gap, 1.0)))
    out["tts_weeks"] = tts
    out["ttr_weeks"] = _ttr(out, disruptions, int(getattr(data.settings, "periods_per_year", 1) or 1))
    horizon = np.where(np.isnan(out["ttr_weeks"]), WEEKS, np.minimum(out["ttr_weeks"], WEEKS))
    out["lost_t"] = np.maximum(0.0, np.maximum(gap, 0.0) * horizon - I)
    ref = dict(zip(data.materials["material"], data.materials["reference_value"]))
    out["impact"] = out["lost_t"] * pd.Series(mats).map(ref).to_numpy(dtype=float)[m]
    out["critical"] = out["ttr_weeks"].to_numpy() > out["tts_weeks"].to_numpy()
    cols = ["source", "material", "year", "demand", "capacity", "alt_capacity", "start_stock",
            "tts_weeks", "ttr_weeks", "critical", "lost_t", "impact"]
    return out[cols].reset_index(drop=True)       # already by material, source, year


def disruption_weeks(months: float, start_month=None, periods: int = 1) -> float:
    """Weeks until supply is whole again: months x 52/12, or with P > 1 periods and a start month
    the whole periods from the one it starts in to the last one it reaches (cut at December)."""
    if periods <= 1 or start_month is None or pd.isna(start_month):
        return float(months) * WEEKS / 12.0
    width = 12.0 / periods
    lo = float(start_month) - 1.0
    hi = min(12.0, lo + float(months))
    if hi <= lo:
        return 0.0
    first, last = int(np.floor(lo / width)), int(np.ceil(hi / width - 1e-9)) - 1
    return (last - first + 1) * WEEKS / periods


def _ttr(out: pd.DataFrame, dis: pd.DataFrame | None, periods: int = 1) -> np.ndarray:
    ttr = np.full(len(out), np.nan)
    if dis is None or dis.empty:
        return ttr
    s = out["source"].to_numpy(dtype=object)
    m = out["material"].to_numpy(dtype=object)
    t = out["year"].to_numpy()
    for _, r in dis.iterrows():
        if r["fraction_lost"] <= 0:
            continue
        hit = ((s == r["source"]) | (r["source"] == "ALL")) & ((m == r["material"]) | (r["material"] == "ALL")) \
            & (t == r["year"])
        ttr[hit] = np.fmax(ttr[hit], disruption_weeks(r["months"], r.get("start_month"), periods))
    return ttr


def exposure_ranking(tts: pd.DataFrame) -> pd.DataFrame:
    """Sources ranked by impact Z_n (k-currency) with REI = Z_n / max Z and the worst TTS."""
    g = tts.groupby("source").agg(impact=("impact", "sum"), min_tts_weeks=("tts_weeks", "min"),
                                  lost_t=("lost_t", "sum")).reset_index()
    top = g["impact"].max()
    g["rei"] = g["impact"] / top if top > 0 else 0.0
    g = g.sort_values(["impact", "min_tts_weeks"], ascending=[False, True]).reset_index(drop=True)
    g.insert(0, "rank", np.arange(1, len(g) + 1))
    return g


def country_time_to_survive(data, stock: pd.DataFrame | None = None,
                            measures: tuple[str, ...] = ("direct", "refining")) -> pd.DataFrame:
    """Time-to-survive if a *country* stops at one stage: every offer loses the share of its
    product that passed through that country at that stage (:mod:`models.origins`), e.g. CN at
    refining stops Chinese oxide and the Chinese-separated share of Japanese magnets alike.

    One row per (country, measure, material, year) where the country holds capacity: demand,
    capacity lost, the capacity left, start stock, tts_weeks (the closed form above, with
    a = the capacity left / 52).
    """
    sup = data.supply[data.supply["year"].isin(set(data.years))].reset_index(drop=True)
    if sup.empty:
        return pd.DataFrame(columns=["country", "measure", "material", "year", "demand", "lost_capacity",
                                     "capacity_left", "start_stock", "tts_weeks"])
    tables, codes, countries = OR.origin_codes(data, sup[["material", "source", "year"]], tuple(measures))
    m_code, mats = K.codes(sup["material"])
    y_code, years = K.codes(sup["year"])
    sizes = [max(len(countries), 1), len(mats), len(years)]
    capacity = sup["capacity"].to_numpy()
    (tm, ty), total = K.group_sum(capacity.astype(float), [m_code, y_code], sizes[1:])
    cells = np.full(len(mats) * len(years), np.nan)
    cells[tm * len(years) + ty] = total
    frames = []
    measure_names = sorted(set(measures))          # codes in text order, as a sort by the column
    for measure in measures:
        t = tables[measure]
        k = t["key"].to_numpy(np.int64)
        (c, m, y), lost = K.group_sum(t["share"].to_numpy() * capacity[k], [codes[measure], m_code[k], y_code[k]],
                                     sizes)
        keep = lost > 1e-9
        frames.append((c[keep], np.full(int(keep.sum()), measure_names.index(measure)), m[keep], y[keep],
                       lost[keep]))
    c, measure_code, m, y, lost = (np.concatenate(a) for a in zip(*frames))
    demand = _grid(data.demand.set_index(["material", "year"])["demand"], mats, years)[m, y]
    left = np.maximum(0.0, cells[m * len(years) + y] - lost)
    start = _not_negative(_grid(start_stock(data, stock).set_index(["material", "year"])["start_stock"],
                                mats, years)[m, y])
    gap = (demand - left) / WEEKS
    with np.errstate(divide="ignore", invalid="ignore"):
        tts = np.where(gap <= 0, WEEKS, np.minimum(WEEKS, start / np.where(gap > 0, gap, 1.0)))
    rest = ((c * len(measure_names) + measure_code) * len(mats) + m) * len(years) + y
    order = np.lexsort((rest, tts))     # by tts, then country, measure, material, year
    return pd.DataFrame({
        "country": pd.array(list(countries), dtype="str").take(c[order]),
        "measure": pd.array(list(measure_names), dtype="str").take(measure_code[order]),
        "material": pd.array(list(mats), dtype="str").take(m[order]), "year": years.to_numpy()[y[order]],
        "demand": demand[order], "lost_capacity": lost[order], "capacity_left": left[order],
        "start_stock": start[order], "tts_weeks": tts[order]})
