"""The result workbook's Dependence and Conversion sheets: every country's share of demand on
every measure (direct, each processing stage, look-through), China direct against look-through
with a chart, the largest single country, the caps on other measures than China's direct share,
and what the Korean conversion lines made from whose inputs."""
from __future__ import annotations

from openpyxl.chart import LineChart, Reference

from optimizer.core import values as V
from optimizer.core.workbook import layout as L
from optimizer.core.workbook.writer import ITALIC, SHARE, TONNES, WEEKS, YEAR
from optimizer.sourcing import result as R
from optimizer.sourcing import views
from optimizer.sourcing.labels import measure_text
from optimizer.sourcing.views import MEASURE_HEADERS, china_by_measure, largest_by_year

NOTE = ("Share of each scope's demand value (reference-value weighted) that a country holds: direct = the "
        "country the supplier sells from; a stage = where that stage of the product happened (Origins sheet; "
        "the supplier's own country where none is given); look-through = a product's largest share at any "
        "stage. Korean conversion output inherits its inputs' origins; inputs bought to be converted count in "
        "the product they become. Purchases for stock can take a share above 100 %.")


def dependence_sheet(ws, result: R.RunResult, names: L.TableNames) -> None:
    dep = V.frame(result.dependence)
    L.sheet_title(ws, "Dependence by country, stage and year")
    for letter, w in zip("ABCDEFGHIJ", (10, 16, 12, 13, 13, 13, 13, 13, 13, 13)):
        ws.column_dimensions[letter].width = w
    L.paragraph(ws, 2, NOTE, 1, 8, font=ITALIC)
    if dep.empty:
        L.put(ws, 4, 1, views.no_plan_text(result) if not views.has_plan(result) else "No dependence to show.")
        ws.column_dimensions["A"].width = 90
        return
    r = L.section(ws, 4, "China's share of ALL capped materials, by measure")
    china = china_by_measure(dep)
    area = L.table(ws, r, 1, china, [L.Col("year", "year", YEAR, 8)] +
                   [L.Col(m, MEASURE_HEADERS[m], SHARE, 13) for m in china.columns if m != "year"], names,
                   "ChinaByMeasure")
    if "direct" in china and "look-through" in china:
        ch = LineChart()
        ch.title = "China's share of demand value: direct vs look-through"
        ch.y_axis.title, ch.x_axis.title = "share of demand value", "year"
        ch.y_axis.number_format = "0%"
        cols = list(china.columns)
        for key in ("direct", "look-through"):
            j = cols.index(key) + 1
            ch.add_data(Reference(ws, min_col=j, min_row=area.header_row, max_row=area.last_row), titles_from_data=True)
        ch.set_categories(Reference(ws, min_col=1, min_row=area.header_row + 1, max_row=area.last_row))
        ch.legend.position = "b"
        ch.width, ch.height = 18, 7.5
        ws.add_chart(ch, f"A{area.last_row + 2}")
    r = area.last_row + 18
    r = L.section(ws, r, "Largest single country (ALL)")
    big = largest_by_year(dep)
    area = L.table(ws, r, 1, big, [L.Col("year", "year", YEAR, 8),
                                   L.Col("direct_country", "largest, direct"), L.Col("direct_share", "its share", SHARE),
                                   L.Col("look-through_country", "largest, look-through"),
                                   L.Col("look-through_share", "its share ", SHARE)], names, "LargestCountry")
    r = area.last_row + 2
    caps = V.frame(result.cap_shares)
    if not caps.empty:
        r = L.section(ws, r, "Caps on other measures than China's direct share")
        caps = caps.assign(measure=[measure_text(s, c, st) for s, c, st in zip(caps["spec"], caps["country"],
                                                                             caps["stage"])])
        caps["within"] = ["yes" if s <= t + 1e-6 else "no" for s, t in zip(caps["share"], caps["max_china_share"])]
        area = L.table(ws, r, 1, caps, [L.Col("year", "year", YEAR, 8), L.Col("scope", "scope"),
                                        L.Col("measure", "what is capped", None, 50),
                                        L.Col("max_china_share", "target", SHARE), L.Col("share", "share", SHARE),
                                        L.Col("within", "within target")], names, "OtherCaps",
                       wrap_cols=("measure",))
        r = area.last_row + 2
    r = L.section(ws, r, "Every country, measure and scope (share of demand value; 0.5 % or more in some year)")
    wide = dep.pivot_table(index=["scope", "measure", "country"], columns="year", values="share",
                           aggfunc="sum").reset_index()
    order = {m: i for i, m in enumerate(MEASURE_HEADERS)}
    wide = wide.assign(_s=wide["scope"].map(lambda s: (s != "ALL", s)), _m=wide["measure"].map(order))
    wide = wide.sort_values(["_s", "_m", "country"]).drop(columns=["_s", "_m"])
    wide.columns = [str(c) for c in wide.columns]
    years = [c for c in wide.columns if c.isdigit()]
    wide = wide[wide[years].max(axis=1) >= 0.005]           # shares under 0.5 % in every year are left out
    wide["measure"] = wide["measure"].map(MEASURE_HEADERS)
    years = [c for c in wide.columns if c.isdigit()]
    L.table(ws, r, 1, wide, [L.Col("scope", "scope"), L.Col("measure", "measure", None, 20),
                             L.Col("country", "country")] + [L.Col(y, y, SHARE, 9) for y in years], names,
            "DependenceDetail")
    L.page_setup(ws)


def conversion_sheet(ws, result: R.RunResult, names: L.TableNames) -> None:
    conv = V.frame(result.conversion)
    L.sheet_title(ws, "Conversion in Korea", "What each Korean process made and from whose inputs (tonnes). "
                  "The output inherits the origins of these inputs on the stage measures.")
    if conv.empty:
        L.put(ws, 4, 1, "No conversion in the input (Conversion sheet)." if views.has_plan(result) else
              views.no_plan_text(result))
        ws.column_dimensions["A"].width = 90
        return
    L.table(ws, 4, 1, conv, [L.Col("process", "process"), L.Col("year", "year", YEAR, 8),
                             L.Col("output_material", "output"), L.Col("output_t", "output (t)", TONNES),
                             L.Col("input_material", "input"), L.Col("source", "input bought from"),
                             L.Col("input_t", "input used (t)", TONNES)], names, "Conversion")
    ws.freeze_panes = ws.cell(row=5, column=1)
    L.page_setup(ws)


def country_tts_sheet(ws, result: R.RunResult, names: L.TableNames) -> None:
    ct = V.frame(result.country_tts)
    L.sheet_title(ws, "Time-to-survive if a country stops",
                  "Weeks demand is met if every product from a country stops (direct), or every product with "
                  "that country's separation/refining content stops in proportion (refining), from the plan's "
                  "stock and what is left; shortest first; only years short of the whole year (52 weeks).")
    ct = ct[ct["tts_weeks"] < 52 - 1e-9] if len(ct) else ct
    if ct.empty:
        L.put(ws, 4, 1, "Every country's stop is survived for the whole year (or there is no plan).")
        ws.column_dimensions["A"].width = 90
        return
    ct = ct.assign(measure=ct["measure"].map(MEASURE_HEADERS))
    L.table(ws, 4, 1, ct, [L.Col("country", "country"), L.Col("measure", "what stops", None, 20),
                           L.Col("material", "material"), L.Col("year", "year", YEAR, 8),
                           L.Col("demand", "demand (t)", TONNES), L.Col("lost_capacity", "capacity lost (t)", TONNES),
                           L.Col("capacity_left", "capacity left (t)", TONNES),
                           L.Col("start_stock", "stock at the start (t)", TONNES),
                           L.Col("tts_weeks", "time to survive (weeks)", WEEKS)], names, "CountryTTS")
    ws.freeze_panes = ws.cell(row=5, column=1)
    L.page_setup(ws)
