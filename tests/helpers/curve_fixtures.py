"""Fixtures for the curve, frontier and comparison tests (built in code; nothing binary committed)."""
from __future__ import annotations

import numpy as np

from model_fixtures import make_data
from optimizer.sourcing.template import write_input_workbook

YEARS = (2025, 2026, 2027)


def three_suppliers(cap=0.6, risk_weight=0.0):
    """Material A (reference value 10/kg), 2030, demand 100 t; CN 10/kg (100 t), JP 15/kg (30 t),
    AU 20/kg (40 t).  By hand, with the China cap t (share of demand value):

        t >= 1.0        C = 1,000 k   (all CN; the cap does not bind)
        0.7 <= t <= 1   C = 1000 t + 1500 (1 - t) = 1500 - 500 t     (CN + JP)
        0.3 <= t <= 0.7 C = 1000 t + 450 + 20 (70 - 100 t) = 1850 - 1000 t   (JP full, AU)
        t < 0.3         demand cannot be served: lowest achievable share 0.3 (JP and AU full)

    Breakpoints at 1.0 (the cap starts to bind) and 0.7 (JP's capacity runs out); slopes
    500 and 1,000 k per unit of share = 5,000 and 10,000 currency per percentage point.
    """
    return make_data(
        materials=[("A", 10.0, 0.0, 0.0)],
        suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.3), ("AU", "ally", 0.2)],
        supply=[("A", "CN", 2030, 100.0, 10.0, np.nan, np.nan), ("A", "JP", 2030, 30.0, 15.0, np.nan, np.nan),
                ("A", "AU", 2030, 40.0, 20.0, np.nan, np.nan)],
        demand=[("A", 2030, 100.0)], policy=[(2030, "ALL", cap)], risk_weight=risk_weight)


def tiny_tables(scenarios=True) -> dict:
    """Gallium 2025-2027 from CN (350/kg, 15 t), BEDE (725/kg, 6 t) and JP (900/kg, 10 t); holding
    1,000/kg/yr so no year buys for another (each year is its own small LP); glide path 70/65/60 %."""
    tables = {
        "Settings": {"first_year": 2025, "last_year": 2027, "currency": "USD", "risk_weight": 0.1},
        "Materials": [{"material": "GA", "name": "Gallium", "group": "", "china_cap_applies": True,
                       "reference_value": 350, "holding_cost": 1000, "opening_stock": 0, "basis": "A"}],
        "Suppliers": [{"source": "CN", "name": "China", "country": "China", "bloc": "china", "risk": 0.77},
                      {"source": "BEDE", "name": "Belgium/Germany", "country": "Belgium", "bloc": "ally",
                       "risk": 0.34},
                      {"source": "JP", "name": "Japan", "country": "Japan", "bloc": "ally", "risk": 0.3}],
        "Supply": [{"material": "GA", "source": s, "year": y, "capacity": c, "unit_cost": p}
                   for y in YEARS for s, c, p in (("CN", 15, 350), ("BEDE", 6, 725), ("JP", 10, 900))],
        "Demand": [{"material": "GA", "year": y, "demand": d} for y, d in zip(YEARS, (13, 14, 15))],
        "Policy": [{"year": y, "scope": "ALL", "max_china_share": s} for y, s in zip(YEARS, (0.7, 0.65, 0.6))],
    }
    if scenarios:
        tables["Scenarios"] = [
            {"scenario": "cn_cut", "sheet": "Supply", "material": "GA", "source": "CN", "year": 2026,
             "target": "capacity", "operation": "multiply", "value": 0, "note": "China Ga x 0 in 2026"},
            {"scenario": "demand_up", "sheet": "Demand", "material": "GA", "year": 2027,
             "target": "demand", "operation": "multiply", "value": 1.2},
            {"scenario": "tight_2027", "sheet": "Policy", "material": "ALL", "year": 2027,
             "target": "max_china_share", "operation": "set", "value": 0.5},
        ]
    return tables


def tiny_workbook(folder, scenarios=True):
    path = folder / "tiny.xlsx"
    write_input_workbook(path, tiny_tables(scenarios))
    return path
