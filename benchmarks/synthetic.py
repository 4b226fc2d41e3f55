"""Synthetic sourcing instances of any size, for benchmarks and scaling tests.

``synthetic_data(n_materials, n_sources, n_years, seed=0, density=1.0)`` returns a
validated-looking :class:`~models.data.SourcingData` built in code (no workbook):

* one china-bloc source ``CN`` that offers every material every year, cheapest on
  average (so the value-weighted China cap binds), plus ally / domestic / other
  sources; each (material, non-China source) pair is offered with probability
  ``density``, for every planning year when it is offered;
* demand per material and year (growing), opening stock, holding costs;
* a value-weighted ``ALL`` China-cap glide path (70 % -> 30 %) and per-material caps
  on a few materials in the second half of the horizon;
* ramp limits (``max_increase``) on ~30 % of offers, take-or-pay minimum volumes on
  ~2 % of non-China offers without a ramp limit;
* stockpile targets for half of the materials, a few domestic/ally projects (one in
  four booked to the China source, as a joint venture), yearly capex budgets and a
  total budget.

Always feasible: the model's ``unmet`` slack covers any shortfall, China purchases
are never forced (no minimum volumes on China offers) and min volumes never meet a
ramp limit.  Variables are dominated by ``buy`` = materials x offered sources x years.

Presets (``PRESETS``): ``small`` (~1 k variables), ``100k`` (~111 k), ``1m`` (~1.1 M), ``1m-monthly``
(~1.1 M from 81,600 Supply rows with 12 periods a year).
Run ``python benchmarks/synthetic.py 100k`` to print the exact counts.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.data import Settings, SourcingData

FIRST_YEAR = 2025


@dataclass(frozen=True)
class Preset:
    n_materials: int
    n_sources: int
    n_years: int
    density: float = 1.0
    periods_per_year: int = 1


PRESETS: dict[str, Preset] = {
    "small": Preset(6, 8, 16),        # 768 buy + ~300 others
    "100k": Preset(60, 90, 20),       # 108,000 buy
    "1m": Preset(200, 275, 20),       # 1,100,000 buy
    # 81,600 Supply rows, months: 1,091,614 variables from an input workbook our reader takes (an Excel
    # sheet holds 1,048,576 rows and the reader 200,000 data rows per sheet, so the 1m preset has none)
    "1m-monthly": Preset(60, 68, 20, periods_per_year=12),
}


def preset_data(name: str, seed: int = 0) -> SourcingData:
    p = PRESETS[name]
    return synthetic_data(p.n_materials, p.n_sources, p.n_years, seed=seed, density=p.density,
                          periods_per_year=p.periods_per_year)


def _source_blocs(n_sources: int) -> np.ndarray:
    """CN first, then a fixed mix of ally / domestic / other (at least one of each if room)."""
    pattern = np.array(["ally", "ally", "domestic", "other"])
    rest = pattern[np.arange(n_sources - 1) % len(pattern)]
    return np.concatenate([["china"], rest])


def synthetic_data(n_materials: int, n_sources: int, n_years: int, seed: int = 0,
                   density: float = 1.0, periods_per_year: int = 1) -> SourcingData:
    """A comparable synthetic sourcing instance (see the module docstring)."""
    if n_materials < 1 or n_sources < 2 or n_years < 1:
        raise ValueError("need >= 1 material, >= 2 sources (CN + one more) and >= 1 year")
    if not 0.0 < density <= 1.0:
        raise ValueError("density must be in (0, 1]")
    rng = np.random.default_rng(seed)
    M, S, T = n_materials, n_sources, n_years
    years = np.arange(FIRST_YEAR, FIRST_YEAR + T)
    width = max(3, len(str(M - 1)))
    mats = np.array([f"M{i:0{width}d}" for i in range(M)])
    swidth = max(3, len(str(S - 1)))
    srcs = np.array(["CN"] + [f"S{j:0{swidth}d}" for j in range(1, S)])
    blocs = _source_blocs(S)

    # ---------------------------------------------------------------- materials
    ref_value = rng.uniform(5.0, 200.0, M)                 # currency/kg
    base_demand = rng.uniform(100.0, 5000.0, M)            # t in the first year
    growth = rng.uniform(0.0, 0.06, M)
    materials = pd.DataFrame({
        "material": mats, "name": [f"material {m}" for m in mats],
        "group": [f"G{i % 5}" for i in range(M)],
        "china_cap_applies": rng.random(M) < 0.9,
        "reference_value": ref_value,
        "holding_cost": ref_value * rng.uniform(0.01, 0.05, M),
        "opening_stock": base_demand * rng.uniform(0.0, 0.2, M),
    })
    risk = np.where(blocs == "china", 0.8,
                    np.where(blocs == "domestic", 0.1, np.where(blocs == "ally", 0.3, 0.5)))
    risk = np.clip(risk + rng.uniform(-0.1, 0.1, S), 0.0, 1.0)
    suppliers = pd.DataFrame({
        "source": srcs, "name": [f"supplier {s}" for s in srcs], "country": srcs,
        "bloc": blocs, "risk": risk, "rationale": "synthetic",
    })

    # ---------------------------------------------------------------- demand
    t_off = np.arange(T)
    dem = base_demand[:, None] * (1.0 + growth[:, None]) ** t_off[None, :] \
        * rng.uniform(0.95, 1.05, (M, T))
    demand = pd.DataFrame({"material": np.repeat(mats, T), "year": np.tile(years, M),
                           "demand": dem.ravel()})

    # ---------------------------------------------------------------- supply offers
    # which (material, source) pairs exist: CN always, others with probability `density`
    pair = rng.random((M, S)) < density
    pair[:, 0] = True
    mi, si = np.nonzero(pair)                              # sorted by material then source
    n_pairs = mi.size
    is_cn = si == 0
    n_other = np.maximum(pair[:, 1:].sum(axis=1), 1)       # offered non-China sources per material
    # capacities: CN alone covers 60-110 % of demand; the others together ~ 90-180 %
    share = np.where(is_cn, rng.uniform(0.6, 1.1, n_pairs),
                     rng.uniform(0.3, 1.7, n_pairs) * 1.35 / n_other[mi])
    # unit costs relative to the material's value: CN cheapest on average
    cost_factor = np.where(is_cn, rng.uniform(0.55, 0.85, n_pairs), rng.uniform(0.8, 1.6, n_pairs))
    drift = rng.uniform(-0.01, 0.02, n_pairs)             # yearly cost drift per offer
    mo = np.repeat(mi, T)
    so = np.repeat(si, T)
    to = np.tile(t_off, n_pairs)
    po = np.repeat(np.arange(n_pairs), T)
    n_off = mo.size
    capacity = dem[mo, to] * share[po] * rng.uniform(0.9, 1.1, n_off)
    unit_cost = ref_value[mo] * cost_factor[po] * (1.0 + drift[po]) ** to * rng.uniform(0.97, 1.03, n_off)
    ramp = rng.random(n_off) < 0.3
    max_increase = np.where(ramp, capacity * rng.uniform(0.05, 0.3, n_off), np.nan)
    take_or_pay = (~ramp) & (so != 0) & (rng.random(n_off) < 0.02)
    min_volume = np.where(take_or_pay, capacity * rng.uniform(0.05, 0.2, n_off), np.nan)
    supply = pd.DataFrame({
        "material": mats[mo], "source": srcs[so], "year": years[to],
        "capacity": capacity, "unit_cost": unit_cost,
        "min_volume": min_volume, "max_increase": max_increase,
    })

    # ---------------------------------------------------------------- policy
    glide = np.linspace(0.7, 0.3, T) if T > 1 else np.array([0.5])
    pol_year = list(years)
    pol_scope = ["ALL"] * T
    pol_share = list(np.round(glide, 4))
    n_mat_caps = min(M, max(1, M // 20))
    capped = rng.choice(M, n_mat_caps, replace=False)
    for k, m in enumerate(sorted(capped)):
        for t in years[T // 2:]:
            pol_year.append(int(t))
            pol_scope.append(mats[m])
            pol_share.append(round(0.2 + 0.1 * (k % 3), 4))
    policy = pd.DataFrame({"year": np.array(pol_year, dtype=int), "scope": pol_scope,
                           "max_china_share": np.array(pol_share, dtype=float)})

    # ---------------------------------------------------------------- stockpile
    stock_mats = np.arange(0, M, 2)
    target = rng.uniform(30.0, 90.0, stock_mats.size)
    stockpile = pd.DataFrame({"material": np.repeat(mats[stock_mats], T),
                              "year": np.tile(years, stock_mats.size),
                              "target_days": np.repeat(np.round(target), T)})

    # ---------------------------------------------------------------- projects and budgets
    n_proj = min(M, max(4, M // 10))
    proj_mats = rng.choice(M, n_proj, replace=False)
    dom = np.flatnonzero(blocs == "domestic")
    ally = np.flatnonzero(blocs == "ally")
    home = dom if dom.size else (ally if ally.size else np.arange(1, S))
    proj_src = []
    for k in range(n_proj):
        if k % 4 == 3:
            proj_src.append(srcs[0])                       # a China joint venture
        else:
            proj_src.append(srcs[home[k % home.size]])
    early = FIRST_YEAR + np.minimum(rng.integers(1, 6, n_proj), T - 1)
    investments = pd.DataFrame({
        "project": [f"P{k:03d}" for k in range(n_proj)],
        "name": [f"project {k}" for k in range(n_proj)],
        "material": mats[proj_mats], "source": proj_src,
        "capacity": base_demand[proj_mats] * rng.uniform(0.1, 0.4, n_proj),
        "capex": rng.uniform(20.0, 300.0, n_proj),
        "opex": ref_value[proj_mats] * rng.uniform(0.7, 1.1, n_proj),
        "earliest_year": early.astype(int),
        "lead_time": rng.integers(0, 4, n_proj).astype(float),
    })
    budget = pd.DataFrame({"year": years[: max(1, T // 2)].astype(int),
                           "capex_budget": np.round(rng.uniform(50.0, 200.0, max(1, T // 2)), 1)})

    max_cost = float(unit_cost.max())
    settings = Settings(
        first_year=int(years[0]), last_year=int(years[-1]), base_year=int(years[0]),
        currency="USD", discount_rate=0.05, risk_weight=0.1,
        unmet_penalty=round(10.0 * max_cost, 2), stock_shortfall_penalty=round(2.0 * max_cost, 2),
        investment_budget_total=float(round(investments["capex"].sum() * 0.5, 1)),
        scenario="", periods_per_year=int(periods_per_year),
    )
    scenarios = pd.DataFrame(columns=["scenario", "sheet", "material", "source", "year", "target",
                                      "operation", "value", "note"])
    return SourcingData(settings=settings, materials=materials, suppliers=suppliers, supply=supply,
                        demand=demand, policy=policy, stockpile=stockpile, investments=investments,
                        budget=budget, scenarios=scenarios,
                        source_file=f"(synthetic {M}x{S}x{T} seed={seed} density={density})",
                        source_sha256="")


def workbook_tables(data: SourcingData) -> dict:
    """The tables of ``data`` in the form :func:`optimizer.sourcing.template.write_input_workbook` takes."""
    s = data.settings
    settings = {k: getattr(s, k) for k in (
        "first_year", "last_year", "base_year", "currency", "discount_rate", "risk_weight",
        "unmet_penalty", "stock_shortfall_penalty", "max_single_source_share",
        "investment_budget_total", "integer_investments", "backend", "solver", "time_limit", "periods_per_year")}
    settings = {k: v for k, v in settings.items() if v is not None}
    tables = {"Settings": settings}
    for name, df in (("Materials", data.materials), ("Suppliers", data.suppliers),
                     ("Supply", data.supply), ("Demand", data.demand), ("Policy", data.policy),
                     ("Stockpile", data.stockpile), ("Investments", data.investments),
                     ("Budget", data.budget)):
        df = df.astype(object).where(df.notna(), None)   # NaN -> blank cell
        tables[name] = df
    return tables


def counts(model) -> dict:
    """Exact sizes of a built :class:`~models.sourcing.SourcingModel`."""
    lp = model.lp
    return {
        "variables": lp.num_cols, "rows": lp.num_rows, "nonzeros": int(lp.csc()[2].size),
        "by_family": {k: b.size for k, b in lp.var_blocks.items()},
        "rows_by_family": {k: b.size for k, b in lp.row_blocks.items()},
    }


def describe(counts_: dict) -> str:
    fam = ", ".join(f"{k} {v:,}" for k, v in counts_["by_family"].items() if v)
    rows = ", ".join(f"{k} {v:,}" for k, v in counts_["rows_by_family"].items() if v)
    return (f"variables {counts_['variables']:,} ({fam})\n"
            f"rows {counts_['rows']:,} ({rows})\nnonzeros {counts_['nonzeros']:,}")


if __name__ == "__main__":  # python benchmarks/synthetic.py [preset ...]
    import time
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from models.sourcing import build_model
    for name in sys.argv[1:] or list(PRESETS):
        t0 = time.perf_counter()
        d = preset_data(name)
        t1 = time.perf_counter()
        m = build_model(d)
        c = counts(m)
        t2 = time.perf_counter()
        p = PRESETS[name]
        print(f"== {name}: {p.n_materials} materials x {p.n_sources} sources x {p.n_years} years "
              f"(density {p.density}); generate {t1 - t0:.2f} s, build {t2 - t1:.2f} s")
        print(describe(c))
