"""Small SourcingData objects built in code (no workbook) for model tests."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from models.data import Settings, SourcingData


def make_data(materials, suppliers, supply, demand, policy=(), stockpile=(), investments=(),
              budget=(), **settings) -> SourcingData:
    years = sorted({d[1] for d in demand})
    base = dict(first_year=years[0], last_year=years[-1], base_year=years[0],
                unmet_penalty=1000.0, stock_shortfall_penalty=100.0)
    base.update(settings)
    mats = pd.DataFrame(materials, columns=["material", "reference_value", "holding_cost", "opening_stock"])
    mats.insert(1, "name", mats["material"])
    mats.insert(2, "group", "")
    mats.insert(3, "china_cap_applies", True)
    sup = pd.DataFrame(suppliers, columns=["source", "bloc", "risk"])
    sup.insert(1, "name", sup["source"])
    sup.insert(2, "country", sup["source"])
    sup["rationale"] = ""
    sp = pd.DataFrame(supply, columns=["material", "source", "year", "capacity", "unit_cost",
                                       "min_volume", "max_increase"])
    sp["min_volume"] = sp["min_volume"].astype(float)
    sp["max_increase"] = sp["max_increase"].astype(float)
    dem = pd.DataFrame(demand, columns=["material", "year", "demand"])
    pol = pd.DataFrame(list(policy), columns=["year", "scope", "max_china_share"])
    stk = pd.DataFrame(list(stockpile), columns=["material", "year", "target_days"])
    inv = pd.DataFrame(list(investments), columns=["project", "name", "material", "source", "capacity",
                                                   "capex", "opex", "earliest_year", "lead_time"])
    bud = pd.DataFrame(list(budget), columns=["year", "capex_budget"])
    for df in (sp, dem, pol, stk, inv, bud):
        if "year" in df:
            df["year"] = df["year"].astype(int)
    if len(inv):
        inv["earliest_year"] = inv["earliest_year"].astype(int)
    return SourcingData(settings=Settings(**base), materials=mats, suppliers=sup, supply=sp, demand=dem,
                        policy=pol, stockpile=stk, investments=inv, budget=bud,
                        scenarios=pd.DataFrame(), source_file="(in code)", source_sha256="")


def one_year(cap=0.6, cn_min=np.nan, jp_cap=100.0, **settings) -> SourcingData:
    """Material A, 2030: CN 10/kg (cap 100 t), JP 15/kg (cap jp_cap); demand 100 t; China cap `cap`.
    By hand: buy CN 100*cap, JP the rest; cost 1000*cap*10/1000 + ... (see tests)."""
    return make_data(
        materials=[("A", 10.0, 0.0, 0.0)],
        suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.3)],
        supply=[("A", "CN", 2030, 100.0, 10.0, cn_min, np.nan), ("A", "JP", 2030, jp_cap, 15.0, np.nan, np.nan)],
        demand=[("A", 2030, 100.0)],
        policy=[(2030, "ALL", cap)],
        **settings,
    )


def two_years_stock(**settings) -> SourcingData:
    """Material A, 2029-2030, demand 10 t each; CN 10/kg, JP 20/kg; holding 1/kg/yr;
    China cap 0 % in 2030 (uncapped in 2029).  By hand: buy 20 t CN in 2029, carry 10 t."""
    return make_data(
        materials=[("A", 10.0, 1.0, 0.0)],
        suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.3)],
        supply=[("A", "CN", 2029, 100.0, 10.0, np.nan, np.nan), ("A", "CN", 2030, 100.0, 10.0, np.nan, np.nan),
                ("A", "JP", 2029, 100.0, 20.0, np.nan, np.nan), ("A", "JP", 2030, 100.0, 20.0, np.nan, np.nan)],
        demand=[("A", 2029, 10.0), ("A", 2030, 10.0)],
        policy=[(2030, "ALL", 0.0)],
        **settings,
    )


def random_data(seed: int, n_mat=3, n_src=4, years=(2025, 2026, 2027), with_projects=True) -> SourcingData:
    """A random but always-feasible instance (unmet demand keeps it feasible)."""
    rng = np.random.default_rng(seed)
    mats = [(f"M{i}", float(rng.uniform(5, 50)), float(rng.uniform(0, 1)), float(rng.uniform(0, 20)))
            for i in range(n_mat)]
    blocs = ["china"] + ["ally", "domestic", "other"][: n_src - 1]
    blocs += ["ally"] * (n_src - len(blocs))
    sups = [(f"S{j}", blocs[j], float(rng.uniform(0, 1))) for j in range(n_src)]
    supply, demand = [], []
    for m, *_ in mats:
        for t in years:
            demand.append((m, t, float(rng.uniform(50, 150))))
            for s, b, _ in sups:
                if b == "china" or rng.random() < 0.8:
                    ramp = float(rng.uniform(5, 40)) if rng.random() < 0.3 else np.nan
                    supply.append((m, s, t, float(rng.uniform(10, 120)), float(rng.uniform(5, 60)), np.nan, ramp))
    policy = [(t, "ALL", float(th)) for t, th in zip(years, np.linspace(0.7, 0.5, len(years)))]
    policy.append((years[-1], "M0", 0.4))
    stock = [(m, t, 30.0) for m, *_ in mats for t in years]
    inv, bud = [], []
    if with_projects:
        inv = [("P1", "project one", "M0", "S2" if n_src > 2 else "S1", 40.0, 5.0, 20.0, years[1], 1)]
        bud = [(years[0], 3.0)]
    return make_data(mats, sups, supply, demand, policy, stock, inv, bud, risk_weight=0.1, discount_rate=0.05)


def converting():
    """M (value 10; all four stages) is made in Korea from oxide X (value 4; mining, refining) at
    0.5 t X per t; X from CN (5/kg) or AU (8/kg, separated in MY); M also from CN (20/kg).  Caps:
    China bloc direct 60 % of ALL, CN at refining 40 % of M, any single country 50 % of ALL on the
    look-through.  One year, no discounting."""
    d = make_data(materials=[("M", 10.0, 0.0, 0.0), ("X", 4.0, 0.0, 0.0)],
                  suppliers=[("CN", "china", 0.0), ("AU", "ally", 0.0), ("KR", "domestic", 0.0)],
                  supply=[("X", "CN", 2030, 100.0, 5.0, np.nan, np.nan), ("X", "AU", 2030, 100.0, 8.0, np.nan, np.nan),
                          ("M", "CN", 2030, 50.0, 20.0, np.nan, np.nan)],
                  demand=[("M", 2030, 100.0), ("X", 2030, 10.0)])
    return replace(
        d, materials=d.materials.assign(stages=["", "mining, refining"]),
        origins=pd.DataFrame([("X", "AU", np.nan, "refining", "MY", 1.0)],
                             columns=["material", "source", "year", "stage", "country", "share"]),
        conversion=pd.DataFrame([("KRM", "magnet line", "M", "KR", "metal, magnet", np.nan, 200.0, 2.0)],
                                columns=["process", "name", "material", "source", "stages", "year", "capacity",
                                         "unit_cost"]),
        conversion_inputs=pd.DataFrame([("KRM", "X", 0.5)], columns=["process", "material", "input_per_t"]),
        policy=pd.DataFrame([(2030, "ALL", 0.6, "", "direct"), (2030, "M", 0.4, "CN", "refining"),
                             (2030, "ALL", 0.5, "ANY", "look-through")],
                            columns=["year", "scope", "max_china_share", "country", "stage"]))
