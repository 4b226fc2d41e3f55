"""Corpus sections on numbers and on work (classes 5 and 7 of issue 12).

* magnitudes: 1e300 (and -1e300, 1e13) in every kind of number column and in the settings; a
  scenario multiplying by 1e300, or by a factor that is fine itself but whose result is not;
  and workbooks with legitimately large numbers (prices in KRW, tonnes by the million) that must
  solve, to the same plan as the original scaled;
* growth: 20,000 suppliers with 10,000 Supply rows naming unknown ids, thousands of unknown ids
  against a few known ones, too many scenarios; pools of 11 (MILP), 13 and 30 members (sampled,
  memory flat, saying so), and of 31 (refused).
"""
from __future__ import annotations

from pathlib import Path

from optimizer.core import limits as LIM
from optimizer.pooling.template import write_pool_workbook
from optimizer.robustness import factory as F
from optimizer.robustness.items import Corpus
from optimizer.sourcing.template import write_input_workbook

HUGE = 1e300
FULL_ONLY = {"huge_opening_stock.xlsx", "huge_holding_cost.xlsx", "huge_max_increase.xlsx", "huge_opex.xlsx",
             "huge_budget.xlsx", "huge_penalty_setting.xlsx", "huge_time_limit_setting.xlsx", "negative_huge_demand.xlsx",
             "scenario_add_huge.xlsx", "tonnes_by_the_million.xlsx", "unknown_ids_few_known.xlsx",
             "pool_30_members_milp.xlsx", "pool_11_members_milp.xlsx", "too_many_scenario_rows.xlsx",
             "pool_30_members.xlsx", "large_and_dear.xlsx", "unit_cost_1e13.xlsx", "huge_min_volume.xlsx"}


# ----------------------------------------------------------------------------- 5. magnitudes
def magnitudes(c: Corpus) -> None:
    c.cls = "magnitudes"
    at_most = f"at most {LIM.MAX_TONNES:,.0f}"
    cases = [   # name, sheet, column key, row, value, what the message contains
        ("huge_demand", "Demand", "demand", 2, HUGE, at_most),
        ("negative_huge_demand", "Demand", "demand", 2, -HUGE, "at least 0"),
        ("huge_capacity", "Supply", "capacity", 2, HUGE, at_most),
        ("huge_unit_cost", "Supply", "unit_cost", 2, HUGE, at_most),
        ("unit_cost_1e13", "Supply", "unit_cost", 2, 1e13, at_most),
        ("huge_min_volume", "Supply", "min_volume", 3, HUGE, at_most),
        ("huge_max_increase", "Supply", "max_increase", 4, HUGE, at_most),
        ("huge_reference_value", "Materials", "reference_value", 2, HUGE, at_most),
        ("huge_holding_cost", "Materials", "holding_cost", 2, HUGE, at_most),
        ("huge_opening_stock", "Materials", "opening_stock", 2, HUGE, at_most),
        ("huge_capex", "Investments", "capex", 2, HUGE, at_most),
        ("huge_opex", "Investments", "opex", 2, HUGE, at_most),
        ("huge_budget", "Budget", "capex_budget", 2, HUGE, at_most),
    ]
    for name, sheet, key, row, value, text in cases:
        addr = F.cell(sheet, key, row)
        c.edited(f"{name}.xlsx", sheet, {addr: value}, "error", (f"{sheet}!{addr}", text),
                 f"{value:g} in {sheet}!{addr} ({key})")
    settings = list(F.SETTINGS)
    for name, setting, value, text in (("huge_penalty_setting", "unmet_penalty", HUGE, at_most),
                                       ("huge_time_limit_setting", "time_limit", HUGE, "at most")):
        row = len(settings) + 2
        c.edited(f"{name}.xlsx", "Settings", {f"A{row}": setting, f"B{row}": value}, "error",
                 (f"Settings!B{row}", text), f"setting {setting} = {value:g}")
    value_cell = F.cell("Scenarios", "value", 2)
    c.edited("scenario_multiply_huge.xlsx", "Scenarios", {value_cell: HUGE}, "error",
             (f"Scenarios!{value_cell}", f"{LIM.MAX_MAGNITUDE:,.0f}"), "a scenario multiplying capacity by 1e300")
    c.edited("scenario_result_too_large.xlsx", "Scenarios", {value_cell: 1e10}, "error",
             (f"Scenarios!{value_cell}", "would be 1e+12", "at most"),
             "a scenario multiplying a capacity of 100 t by 1e10 (fine itself, the result is not)",
             item=dict(argv=("solve", "{input}", "-o", "{out}", "--scenario", "ga_embargo")))
    demand_value = F.cell("Scenarios", "value", 4)
    c.edited("scenario_add_huge.xlsx", "Scenarios", {demand_value: 1e11}, "error",
             (f"Scenarios!{demand_value}", "would be", "at most"), "a scenario adding 1e11 t of demand",
             item=dict(argv=("solve", "{input}", "-o", "{out}", "--scenario", "demand_up")))
    for name, tonnes, price in (("prices_in_krw.xlsx", 1.0, 1_400.0), ("tonnes_by_the_million.xlsx", 1e4, 1.0),
                                ("large_and_dear.xlsx", 1e3, 1e3)):
        if c.skip(name):
            continue
        write_input_workbook(c.path(name), scaled(F.valid_tables(), tonnes, price))
        c.add(name, "ok", ("Proven optimal",), f"the valid workbook with tonnes x {tonnes:g} and prices x {price:g}")


def scaled(tables: dict, tonnes: float, price: float) -> dict:
    """The valid tables in other units: masses x ``tonnes``, prices x ``price`` (money x both)."""
    for m in tables["Materials"]:
        m.update(reference_value=m["reference_value"] * price, holding_cost=m["holding_cost"] * price,
                 opening_stock=m["opening_stock"] * tonnes)
    for r in tables["Supply"]:
        r.update(capacity=r["capacity"] * tonnes, unit_cost=r["unit_cost"] * price,
                 **{k: r[k] * tonnes for k in ("min_volume", "max_increase") if k in r})
    for r in tables["Demand"]:
        r["demand"] *= tonnes
    for r in tables["Investments"]:
        r.update(capacity=r["capacity"] * tonnes, capex=r["capex"] * tonnes * price, opex=r["opex"] * price)
    for r in tables["Budget"]:
        r["capex_budget"] *= tonnes * price
    for r in tables["Conversion"]:
        r.update(capacity=r["capacity"] * tonnes, unit_cost=r["unit_cost"] * price)
    tables["Scenarios"] = [s for s in tables["Scenarios"] if s["sheet"] != "Demand"]
    return tables


# ----------------------------------------------------------------------------- 7. growth
def growth(c: Corpus) -> None:
    c.cls = "growth"
    tables = F.valid_tables()
    known, unknown = (6_000, 3_000) if c.quick else (20_000, 10_000)
    name = f"unknown_ids_{known // 1000}k_suppliers.xlsx"
    F.with_rows(c.base, c.path(name), {
        "Suppliers": tables["Suppliers"] + [dict(source=f"S{i:05d}", name=f"supplier {i}", country="X", bloc="ally",
                                                 risk=0.2) for i in range(known)],
        "Supply": tables["Supply"] + [dict(material="GA", source=f"U{i:05d}", year=2025 + i % 3, capacity=1.0,
                                           unit_cost=1.0) for i in range(unknown)]})
    c.add(name, "error", ("Supply!B14", "'U00000'", "not on the Suppliers sheet",
                          f"more than the limit of {LIM.MAX_SUGGESTION_CANDIDATES:,}"),
          f"{known:,} suppliers, {unknown:,} Supply rows naming unknown ids")
    if not c.skip("unknown_ids_few_known.xlsx"):
        F.with_rows(c.base, c.path("unknown_ids_few_known.xlsx"), {"Supply": F.valid_tables()["Supply"] + [
            dict(material="GA", source=f"C{i:04d}", year=2025 + i % 3, capacity=1.0, unit_cost=1.0)
            for i in range(3_000)]})
        c.add("unknown_ids_few_known.xlsx", "error", ("did you mean", f"first {LIM.MAX_SUGGESTIONS} unknown"),
              "3,000 unknown ids against 3 known suppliers")
    tables = F.valid_tables()
    tables["Scenarios"] = [dict(scenario=f"s{i}", sheet="Supply", material="GA", source="CN", year=2026,
                                target="capacity", operation="multiply", value=0.5) for i in range(150)]
    write_input_workbook(c.path("too_many_scenarios.xlsx"), tables)
    c.add("too_many_scenarios.xlsx", "error", ("Scenarios", f"limit of {LIM.MAX_SCENARIOS:,}"), "150 scenarios")
    if not c.skip("too_many_scenario_rows.xlsx"):
        tables["Scenarios"] = [dict(scenario=f"s{i % 20}", sheet="Supply", material="GA", source="CN", year=2026,
                                    target="capacity", operation="multiply", value=0.99) for i in range(2_500)]
        write_input_workbook(c.path("too_many_scenario_rows.xlsx"), tables)
        c.add("too_many_scenario_rows.xlsx", "error", ("Scenarios", f"limit of {LIM.MAX_SCENARIO_ROWS:,}"),
              "2,500 scenario rows")
    pools = (("pool_13_members.xlsx", 13, False, "ok", ("13 members", "sampled", "coalition solves")),
             ("pool_30_members.xlsx", 30, False, "ok", ("30 members", "sampled", "coalition solves")),
             ("pool_11_members_milp.xlsx", 11, True, "ok", ("11 members", "MILP", "sampled")),
             ("pool_30_members_milp.xlsx", 30, True, "ok", ("30 members", "MILP", "sampled")),
             ("pool_31_members.xlsx", 31, False, "error", ("Members", "at most 30 members")))
    for name, n, tiers, expect, contains in pools:
        if c.skip(name):
            continue
        write_pool_workbook(Path(c.path(name)), F.pool_tables(n, 2 if tiers else 1, 3, tiers))
        c.add(name, expect, contains, f"a pool of {n} members" + (" with volume tiers (MILP)" if tiers else ""),
              argv=("pool", "{input}", "-o", "{out}"))


SECTIONS = (magnitudes, growth)
