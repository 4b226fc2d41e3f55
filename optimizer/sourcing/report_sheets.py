"""The result workbook's sheets after the plan: Shares, Sensitivity, Investments, Stockpile,
Diagnostics and Charts (see :mod:`optimizer.sourcing.report` for the workbook as a whole)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.utils import get_column_letter

from optimizer.core import values as V
from optimizer.core.workbook import layout as L
from optimizer.core.workbook.layout import WRAP_TOP
from optimizer.core.workbook.writer import (GOOD_FILL, ITALIC, MONEY, NOTE_FONT, PP, PRICE, SHARE, SUBTITLE_FONT, TONNES, WARN_FILL, WHOLE, YEAR)
from optimizer.sourcing import result as R
from optimizer.sourcing.labels import measure_text
from optimizer.sourcing import views
from optimizer.sourcing.views import BLOC_ORDER


BLOC_COLORS = {"china": "C00000", "ally": "2F5597", "domestic": "548235", "other": "A5A5A5"}

DAYS = WHOLE

CHINA_ALL_HEADER = "China share of demand (ALL)"
SHARE_BASIS_NOTE = ("The mix by bloc divides by purchases (including stock building); the China share vs "
                    "target divides by demand, as the cap does. The two differ in years when stock is built "
                    "or drawn down, or demand is unmet.")

DUALS_NOTE = ("Shadow prices are indicative: the model has integer (build / no-build) decisions, so they "
              "were fixed at their optimal values and the LP re-solved. The prices hold only for small "
              "changes that do not alter those decisions.")


# ----------------------------------------------------------------------------- helpers


def share_fill(rec):
    w = rec.get("within_target")
    if isinstance(w, (bool, np.bool_)) and not w:
        return WARN_FILL
    return None


def share_cols(cur: str, year_align: str | None = None) -> list[L.Col]:
    return [L.Col("year", "year", YEAR, 8, year_align), L.Col("scope", "scope"), L.Col("china_share", "China share", SHARE, 12),
            L.Col("target", "target (max China share)", SHARE, 14), L.Col("within_target", "within target", None, 11),
            L.Col("headroom_pp", "headroom (pp)", PP, 12)]


def shares_sheet(ws, result: R.RunResult, names: L.TableNames) -> dict:
    """Writes the Shares sheet; returns the chart data areas {"mix": (Area, kind), "china": Area}."""
    out: dict = {}
    L.sheet_title(ws, "China share and sourcing mix by bloc",
           "value share = share of purchase value (reference-value weighted) within that material and year; "
           "'ALL' = over the materials under a China cap. " + SHARE_BASIS_NOTE)
    if not views.has_plan(result) and V.frame(result.bloc_mix).empty and V.frame(result.shares).empty:
        L.put(ws, 3, 1, views.no_plan_text(result))
        ws.column_dimensions["A"].width = 90
        return out
    top = 4
    mix = V.frame(result.bloc_mix)
    cols = [L.Col("year", "year", YEAR, 8), L.Col("material", "material"), L.Col("bloc", "bloc", None, 10),
            L.Col("tonnes", "tonnes (t)", TONNES, 13), L.Col("share", "value share", SHARE, 11)]
    cols = L.with_extras(mix, cols)
    right = len(cols) + 2
    L.put(ws, top - 1, 1, "Bloc mix by year and material", font=SUBTITLE_FONT)
    if mix.empty:
        L.put(ws, top, 1, "No bloc mix in this result.")
    else:
        if {"year", "material", "bloc"} <= set(mix.columns):
            mix = mix.assign(_a=(mix["material"] != "ALL").astype(int),
                             _b=mix["bloc"].map(lambda b: BLOC_ORDER.index(b) if b in BLOC_ORDER else 9))
            mix = mix.sort_values(["year", "_a", "material", "_b"], kind="stable").drop(columns=["_a", "_b"])
        L.table(ws, top, 1, mix, cols, names, "BlocMix", extras=False)
        ws.freeze_panes = ws.cell(row=top + 1, column=1)

    r = top
    mix_view = views.bloc_mix(result)
    pivot, kind = ((mix_view.share, "share") if mix_view.basis == "value share" else
                   (mix_view.tonnes, "tonnes") if mix_view.basis else (pd.DataFrame(), ""))
    if not pivot.empty:
        blocs = [c for c in pivot.columns if c != "year"]
        label = ("Value share by bloc, all capped materials (ALL)" if kind == "share"
                 else "Purchased tonnes (t) by bloc, all materials")
        L.put(ws, r - 1, right, label, font=SUBTITLE_FONT)
        fmt = SHARE if kind == "share" else TONNES
        pcols = [L.Col("year", "year", YEAR, 8)] + [L.Col(b, b, fmt, 11) for b in blocs]
        area = L.table(ws, r, right, pivot, pcols, names, "MixByYear", extras=False, wrap_header=False)
        out["mix"] = (area, kind)
        r = area.last_row + 3

    china = views.glide_path(result)
    if not china.empty:
        L.put(ws, r - 1, right, "China share vs glide path (ALL)", font=SUBTITLE_FONT)
        area = L.table(ws, r, right, china, [L.Col("year", "year", YEAR, 8), L.Col("china_share", CHINA_ALL_HEADER, SHARE, 13),
                                            L.Col("target", "target (glide path)", SHARE, 13)], names, "ChinaVsTarget",
                      extras=False, wrap_header=False)
        out["china"] = area
        r = area.last_row + 3

    shares = views.china_shares(result)
    if not shares.empty:
        L.put(ws, r - 1, right, "China share per year vs target (all caps)", font=SUBTITLE_FONT)
        area = L.table(ws, r, right, shares, share_cols(result.currency), names, "ChinaShares",
                      row_fill=share_fill, wrap_header=False)
        L.note(ws, area.last_row + 2, "Rows in orange are above their target.", right)
    L.page_setup(ws)
    return out


def sensitivity_sheet(ws, result: R.RunResult, names: L.TableNames) -> None:
    for letter, w in zip("ABCDEFGHI", (12, 12, 10, 12, 12, 14, 18, 16, 16)):
        ws.column_dimensions[letter].width = w
    L.sheet_title(ws, "Sensitivity: shadow prices and ranging")
    text = R.SIGN_CONVENTION + (" " + DUALS_NOTE if result.duals_indicative else "")
    # merged, wrapped region above the tables (rows 2-7, columns A-I), tall enough for the text
    cell = L.put(ws, 2, 1, text, align=WRAP_TOP)
    cell.font = ITALIC
    ws.merge_cells(start_row=2, start_column=1, end_row=7, end_column=9)
    _sensitivity_tables(ws, result, names, 9)
    # the tables may have widened columns A-I: size the merged rows for the final width
    chars = sum(ws.column_dimensions[get_column_letter(c)].width or 10 for c in range(1, 10))
    lines = math.ceil(len(text) * 1.1 / chars) + 0.5
    for rr in range(2, 8):
        ws.row_dimensions[rr].height = max(15.0, 15.0 * lines / 6)
    L.page_setup(ws)


def _sensitivity_tables(ws, result: R.RunResult, names: L.TableNames, r: int) -> int:
    cur = result.currency or "USD"
    caps = V.frame(result.cap_sensitivity)
    capacity = V.frame(result.capacity_sensitivity)
    demand = V.frame(result.demand_sensitivity)
    if caps.empty and capacity.empty and demand.empty:
        why = (views.no_plan_text(result) if not views.has_plan(result) else
               "No shadow prices for this run: they are reported for a proven-optimal solve only.")
        L.put(ws, r, 1, why)
        return r + 1

    r = L.section(ws, r, "China share caps")
    if caps.empty:
        r = L.note(ws, r, "No China caps in the input (or no prices for this run).") + 1
    else:
        caps = views.sorted_shares(caps)
        caps = caps.assign(rhs_share_high=caps["rhs_share_high"].where(caps["rhs_share_high"] < 1e12))
        other = "family" in caps and (caps["family"] != "china_cap").any()
        if other:
            caps["measure"] = [measure_text(s, c, st) if f != "china_cap" else "the China bloc's share"
                               for f, s, c, st in zip(caps["family"], caps["spec"], caps["country"], caps["stage"])]
        area = L.table(ws, r, 1, caps, [
            L.Col("year", "year", YEAR), L.Col("scope", "scope")] +
            ([L.Col("measure", "what is capped", None, 34)] if other else []) + [
            L.Col("target", "target", SHARE),
            L.Col("china_share", "share" if other else "China share", SHARE), L.Col("binding", "binds"),
            L.Col("cost_per_pp_tighter", f"cost of 1 pp tighter ({cur} M)", MONEY),
            L.Col("rhs_share_low", "that cost holds down to the target", SHARE),
            L.Col("tightening_free_pp", "points of tightening at no cost (pp)", PP),
            L.Col("saving_per_pp_looser", f"saving of 1 pp looser ({cur} M)", MONEY),
            L.Col("rhs_share_high", "that saving holds up to the target", SHARE),
            L.Col("shadow_price_per_pp", f"shadow price ({cur} M per +1 pp)", MONEY),
            L.Col("range_exact", "range exact")], names, "CapSensitivity")
        exact = [V.truthy(v) for v in caps.get("range_exact", pd.Series([False] * len(caps)))]
        checked = ("Each price was checked by re-solving: it holds over its range and changes just beyond it."
                   if all(exact) else
                   f"{sum(exact)} of {len(exact)} prices were checked by re-solving (range exact = yes); the "
                   "others are the solver's dual and ranging (a large model: 'sourcing solve --sensitivity "
                   "exact' re-solves every cap), which can miss a kink or understate a range at a degenerate "
                   "plan.")
        r = L.note(ws, area.last_row + 2, checked + " Tightening and loosening prices differ where the target "
                   "sits at a kink of the cost curve. Blank 'up to' = loosening never changes the price.") + 2

    r = L.section(ws, r, "Supplier capacities (binding first)")
    if capacity.empty:
        r = L.note(ws, r, "No capacity prices for this run.") + 1
    else:
        cap = capacity.copy()
        sort_at = [(0 if V.truthy(v) else 1) for v in cap.get("at_capacity", pd.Series([False] * len(cap)))]
        val = pd.to_numeric(cap["value_per_t"], errors="coerce").fillna(0.0) if "value_per_t" in cap else 0.0
        cap = cap.assign(_a=sort_at, _v=-val)
        keys = ["_a", "_v"] + [c for c in ("material", "source", "year") if c in cap.columns]
        cap = cap.sort_values(keys, kind="stable").drop(columns=["_a", "_v"])
        area = L.table(ws, r, 1, cap, [
            L.Col("material", "material"), L.Col("source", "source"), L.Col("year", "year", YEAR),
            L.Col("capacity", "capacity (t)", TONNES), L.Col("tonnes", "tonnes (t)", TONNES),
            L.Col("at_capacity", "at capacity"), L.Col("value_per_t", f"value of +1 t capacity ({cur}/kg)", PRICE),
            L.Col("cost_low", f"plan optimal for unit cost from ({cur}/kg)", PRICE),
            L.Col("cost_high", f"plan optimal for unit cost to ({cur}/kg)", PRICE)], names, "CapacitySensitivity",
            row_fill=lambda rec: GOOD_FILL if V.truthy(rec.get("at_capacity")) else None)
        r = L.note(ws, area.last_row + 2, "Green rows: supplier at capacity (binding). Blank range = unknown "
                                         "or unbounded.") + 2

    r = L.section(ws, r, "Demand")
    if demand.empty:
        return L.note(ws, r, "No demand prices for this run.")
    area = L.table(ws, r, 1, demand, [L.Col("material", "material"), L.Col("year", "year", YEAR),
                                     L.Col("demand", "demand (t)", TONNES),
                                     L.Col("total_marginal_cost", f"cost of +1 t demand, all effects ({cur}/kg)",
                                           PRICE),
                                     L.Col("marginal_cost", f"balance-row dual alone ({cur}/kg)", PRICE)],
                  names, "DemandSensitivity")
    return L.note(ws, area.last_row + 2, "One more tonne of demand also raises the China caps (target x "
                  "value), the single-source caps and the stock target that are written against demand; the "
                  "first column counts them all. In that year's money (undiscounted).") + 1


def _simple_sheet(ws, result: R.RunResult, names: L.TableNames, title: str, df, cols: list[L.Col], table: str,
                  empty_text: str, note: str | None = None, row_fill=None) -> None:
    df = V.frame(df)
    L.sheet_title(ws, title, note)
    if df.empty:
        L.put(ws, 4, 1, empty_text if views.has_plan(result) else views.no_plan_text(result))
        ws.column_dimensions["A"].width = 90
        return
    L.table(ws, 4, 1, df, cols, names, table, row_fill=row_fill)
    ws.freeze_panes = ws.cell(row=5, column=1)
    L.page_setup(ws)


def investments_sheet(ws, result, names) -> None:
    cur = result.currency or "USD"
    _simple_sheet(ws, result, names, "Investments", result.investments, [
        L.Col("project", "project"), L.Col("name", "name"), L.Col("material", "material"), L.Col("source", "source"),
        L.Col("capacity", "capacity (t/yr)", TONNES), L.Col("capex", f"capex ({cur} M)", MONEY),
        L.Col("built_share", "share built", SHARE), L.Col("first_output_year", "first output year", YEAR),
        L.Col("capex_year", "capex year", YEAR), L.Col("total_output", "total output (t)", TONNES)],
        "Investments", "No projects in the input.",
        "Capex undiscounted; share built = fraction of the project's full size chosen by the optimiser.")


def stockpile_sheet(ws, result, names) -> None:
    def fill(rec):
        return WARN_FILL if ((V.num(rec.get("shortfall")) or 0) > 1e-9 or (V.num(rec.get("unmet")) or 0) > 1e-9) else None
    _simple_sheet(ws, result, names, "Stockpile", result.stockpile, [
        L.Col("material", "material"), L.Col("year", "year", YEAR), L.Col("opening", "opening (t)", TONNES),
        L.Col("purchases", "purchases (t)", TONNES), L.Col("project_output", "project output (t)", TONNES),
        L.Col("demand", "demand (t)", TONNES), L.Col("unmet", "unmet (t)", TONNES), L.Col("closing", "closing (t)", TONNES),
        L.Col("target_days", "target (days of demand)", DAYS), L.Col("target", "target (t)", TONNES),
        L.Col("cover_days", "cover (days)", DAYS), L.Col("shortfall", "shortfall vs target (t)", TONNES),
        L.Col("shortfall_penalty_m", f"shortfall penalty ({result.currency or 'USD'} M, in the objective, "
              "not money spent)", MONEY)],
        "Stockpile", "No stockpile in this result.",
        "closing = opening + purchases + project output - (demand - unmet). Orange: unmet demand or stock "
        "below target.", row_fill=fill)


def diagnostics_sheet(ws, result, names) -> None:
    diag = V.frame(result.diagnostics)
    L.sheet_title(ws, "Diagnostics", "binding constraints, slack use, warnings, checks and explanations")
    r = 4
    if diag.empty:
        L.put(ws, r, 1, "No diagnostics.")
        r += 2
    else:
        kinds = {"warning": WARN_FILL}
        area = L.table(ws, r, 1, diag, [L.Col("kind", "kind", None, 13), L.Col("item", "item", None, 30),
                                       L.Col("detail", "detail", None, 100)], names, "Diagnostics",
                      row_fill=lambda rec: kinds.get(rec.get("kind")), wrap_cols=("detail",))
        ws.freeze_panes = ws.cell(row=r + 1, column=1)
        r = area.last_row + 2
    if result.explanation:
        r = L.section(ws, r, "Explanation")
        ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 13)
        for line in result.explanation:
            r = L.paragraph(ws, r, line, 1, 3)
    L.page_setup(ws)


def charts_sheet(ws, result: R.RunResult, shares_ws, areas: dict) -> None:
    ws.sheet_view.showGridLines = False
    sources = []
    if "mix" in areas:
        sources.append("'Value share by bloc'" if areas["mix"][1] == "share" else "'Purchased tonnes by bloc'")
    if "china" in areas:
        sources.append("'China share vs glide path'")
    L.sheet_title(ws, "Charts")
    if sources:
        L.paragraph(ws, 2, "Data: sheet Shares, tables " + " and ".join(sources) + ". " + SHARE_BASIS_NOTE,
                   1, 9, font=NOTE_FONT)
    L.page_setup(ws, landscape=False)
    placed = 0
    if "mix" in areas:
        area, kind = areas["mix"]
        bar = BarChart()
        bar.type = "col"
        bar.grouping = "stacked"
        bar.overlap = 100
        bar.gapWidth = 60
        bar.title = L.chart_title("Sourcing mix by year (share of purchase value by bloc)" if kind == "share"
                                 else "Sourcing mix by year (tonnes by bloc)")
        data = Reference(shares_ws, min_col=area.first_col + 1, max_col=area.last_col,
                         min_row=area.header_row, max_row=area.last_row)
        cats = Reference(shares_ws, min_col=area.first_col, min_row=area.header_row + 1, max_row=area.last_row)
        bar.add_data(data, titles_from_data=True)
        bar.set_categories(cats)
        for j, s in enumerate(bar.series):
            bloc = shares_ws.cell(row=area.header_row, column=area.first_col + 1 + j).value
            color = BLOC_COLORS.get(bloc)
            if color:
                s.graphicalProperties.solidFill = color
                s.graphicalProperties.line.solidFill = color
        bar.y_axis.title = "share of purchase value" if kind == "share" else "tonnes (t)"
        bar.y_axis.number_format = "0%" if kind == "share" else "#,##0"
        if kind == "share":
            bar.y_axis.scaling.min = 0
            bar.y_axis.scaling.max = 1
            bar.y_axis.majorUnit = 0.2
        bar.x_axis.title = "year"
        bar.x_axis.number_format = "0"
        L.show_axes(bar)
        bar.legend.position = "b"
        bar.width, bar.height = 16, 8.5
        ws.add_chart(bar, "A4")
        placed += 1
    if "china" in areas:
        area = areas["china"]
        line = LineChart()
        line.title = L.chart_title("China share vs glide path")
        data = Reference(shares_ws, min_col=area.first_col + 1, max_col=area.first_col + 2,
                         min_row=area.header_row, max_row=area.last_row)
        cats = Reference(shares_ws, min_col=area.first_col, min_row=area.header_row + 1, max_row=area.last_row)
        line.add_data(data, titles_from_data=True)
        line.set_categories(cats)
        share_s, target_s = line.series[0], line.series[1]
        share_s.graphicalProperties.line.solidFill = BLOC_COLORS["china"]
        share_s.graphicalProperties.line.width = 28575
        share_s.marker.symbol = "circle"
        share_s.smooth = False
        target_s.graphicalProperties.line.solidFill = "404040"
        target_s.graphicalProperties.line.dashStyle = "dash"
        target_s.graphicalProperties.line.width = 19050
        target_s.marker.symbol = "none"
        target_s.smooth = False
        line.y_axis.title = "China purchases / demand (value)"
        line.y_axis.number_format = "0%"
        line.y_axis.scaling.min = 0
        line.x_axis.title = "year"
        line.x_axis.number_format = "0"
        line.display_blanks = "gap"
        L.show_axes(line)
        line.legend.position = "b"
        line.width, line.height = 16, 8.5
        ws.add_chart(line, "A22")
        placed += 1
    if not placed:
        L.put(ws, 4, 1, views.no_plan_text(result) if not views.has_plan(result) else "No data to chart.")
        ws.column_dimensions["A"].width = 90


