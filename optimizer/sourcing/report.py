"""The result workbook: what a procurement planner forwards to their boss.

``write_result_workbook(result, path, protect=())`` turns a :class:`~optimizer.sourcing.result.RunResult`
into an .xlsx file with these sheets, in order:

1. Summary      status in plain words (green / orange), total objective and its parts, China
                share per year vs target, unmet demand, explanation sentences, run manifest.
2. Plan         purchase plan (one row per material x source x year) and, beside it, a pivot
                of tonnes by material x source with the years as columns.
3. Shares       bloc mix table, value share by bloc per year for "ALL" (chart data), China
                share vs glide path (chart data) and the full China share vs target table.
4. Sensitivity  sign convention, then shadow prices of the China caps, capacities (binding
                first) and demand, with the ranging columns.
5. Investments  projects: capacity, capex, share built, first output, total output.
6. Stockpile    stock balance per material and year.
7. Diagnostics  binding constraints, slack use, warnings, checks; explanation sentences.
8. Charts       native Excel charts: sourcing mix by year (stacked columns, one series per
                bloc) and China share vs glide path (line chart, share and target).

Every cell goes through :func:`optimizer.core.workbook.writer.write_cell` (text is always stored as
text, never as a formula); the file is saved with :func:`optimizer.core.workbook.writer.save_atomic`
(temporary file + rename; never over a protected path such as the input workbook).
Data tables are Excel tables (filter buttons, banded rows); pivots and chart data are
plain ranges of numbers, so the charts keep working when a reader filters a table.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from optimizer.core import values as V
from optimizer.core import i18n
from optimizer.core.workbook import layout as L
from optimizer.core.workbook.writer import (BOLD, GOOD_FILL, MONEY, NOTE_FONT, ORANGE_FILL, PRICE, SECONDS, SHARE, SUBTITLE_FONT, TONNES, WARN_FILL, YEAR, save_atomic)
from optimizer.sourcing.report_periods import period_stock_sheet
from optimizer.sourcing import result as R
from optimizer.sourcing import views
from optimizer.sourcing.report_dependence import conversion_sheet, country_tts_sheet, dependence_sheet
from optimizer.sourcing.report_sheets import (DUALS_NOTE, charts_sheet, diagnostics_sheet, investments_sheet, share_cols,
                                              share_fill, sensitivity_sheet, shares_sheet, stockpile_sheet)
from optimizer.sourcing.report_tts import add_tts_sheets
from optimizer.sourcing.views import BLOC_ORDER

SHEETS = ("Summary", "Plan", "Shares", "Dependence", "Sensitivity", "Investments", "Conversion", "Stockpile",
          "Diagnostics", "Charts")


STATUS_OK_FILL = GOOD_FILL       # proven optimal, all demand met
STATUS_WARN_FILL = ORANGE_FILL   # anything else

MANIFEST_ORDER = ("tool_version", "status", "backend", "solver", "scenario", "input_file",
                  "input_sha256", "started_at", "python", "highspy", "pulp", "pyomo", "openpyxl")
MANIFEST_LABELS = {"tool_version": "tool version", "input_file": "input file",
                   "input_sha256": "input file SHA-256", "started_at": "started at"}


# ----------------------------------------------------------------------------- sheets

SUMMARY_WIDTHS = (34, 14, 14, 12, 44, 16, 12)     # columns A-G; every table on the sheet keeps to them


def _summary(ws, result: R.RunResult, names: L.TableNames) -> None:
    cur = result.currency or "USD"
    ws.sheet_view.showGridLines = False
    for letter, w in zip("ABCDEFG", SUMMARY_WIDTHS):
        ws.column_dimensions[letter].width = w
    scen = result.manifest.get("scenario") if isinstance(result.manifest, dict) else None
    title = "Sourcing optimisation result" + (f": scenario {scen}" if isinstance(scen, str) and scen.strip() else "")
    r = L.sheet_title(ws, title, f"Money in {cur} millions (discounted unless a column says otherwise); "
                          f"masses in tonnes (t); shares in % of value.")
    h = views.headline(result)
    L.put(ws, r, 1, "Outcome", font=BOLD)
    fill = STATUS_OK_FILL if (views.all_clear(result) and not h.missed) else STATUS_WARN_FILL
    L.paragraph(ws, r, h.outcome, 2, 6, font=BOLD, fill=fill)
    r += 1
    L.put(ws, r, 1, "Solver status", font=NOTE_FONT)
    L.put(ws, r, 2, f"{result.status_message or result.status} ({result.status})", font=NOTE_FONT)
    r += 2

    if h.missed or views.has_plan(result):
        r = L.section(ws, r, "Targets missed")
        if not h.missed:
            L.put(ws, r, 1, "none: all demand is met and every stock target is reached")
            r += 2
        else:
            missed = pd.DataFrame([{"kind": m.kind, "material": m.material, "year": m.year, "short_t": m.short_t,
                                    "detail": m.text.split(": ", 1)[1], "penalty_m": m.penalty_m} for m in h.missed])
            area = L.table(ws, r, 1, missed, [
                L.Col("kind", "target missed", None, 34), L.Col("material", "material", None, 14),
                L.Col("year", "year", YEAR, 14, "left"), L.Col("short_t", "missing (t)", TONNES, 12),
                L.Col("detail", "detail", None, 44),
                L.Col("penalty_m", f"penalty in the objective ({cur} M, not money spent)", MONEY, 16)],
                row_fill=lambda rec: WARN_FILL, wrap_cols=("detail",))
            r = L.note(ws, area.last_row + 2, "Stock targets are soft (a shortfall is penalised) unless the "
                       "stock_targets setting is 'hard'. The Stockpile sheet has every year.") + 1

    if not h.money.empty:
        r = L.section(ws, r, "Money spent")
        money = pd.concat([h.money, pd.DataFrame([{"part": "total money spent", "discounted_m": h.money_total_m,
                                                   "undiscounted_m": h.money_total_undiscounted_m}])],
                          ignore_index=True)
        area = L.table(ws, r, 1, money, [L.Col("part", "part", None, 34),
                                         L.Col("discounted_m", f"{cur} M, discounted", MONEY, 16),
                                         L.Col("undiscounted_m", f"{cur} M, undiscounted", MONEY, 16)],
                       bold_rows=lambda rec: rec["part"] == "total money spent")
        r = area.last_row + 2
        r = L.section(ws, r, "In the objective but not money")
        extra = pd.concat([h.penalties.assign(meaning=views.PENALTY_GLOSS),
                           h.weights.assign(meaning=views.RISK_GLOSS),
                           pd.DataFrame([{"part": "objective minimised", "value_m": h.objective_m,
                                          "meaning": "money spent + penalties + risk charge: a weighted sum, "
                                                     "not a cost"}])],
                          ignore_index=True)
        area = L.table(ws, r, 1, extra, [L.Col("part", "part", None, 34),
                                         L.Col("value_m", f"{cur} M, discounted", MONEY, 14),
                                         L.Col("meaning", "meaning", None, 14)],
                       bold_rows=lambda rec: str(rec["part"]).startswith("objective"), wrap_cols=("meaning",))
        span = sum(SUMMARY_WIDTHS[2:6])
        meanings = extra["meaning"].tolist()
        for row in range(area.header_row, area.last_row + 1):      # the meaning spreads over C-F
            ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=6)
            if row > area.header_row:                               # the header keeps its own height
                text = str(L.cell_value(meanings[row - area.header_row - 1]) or "")
                ws.row_dimensions[row].height = max(15.0, 15.0 * math.ceil(len(text) * 1.1 / span))
        r = area.last_row + 2

    shares = views.china_shares(result)
    if not shares.empty:
        r = L.section(ws, r, "China share per year vs target")
        area = L.table(ws, r, 1, shares, share_cols(cur, "left"), row_fill=share_fill)
        r = area.last_row + 2
        r = L.note(ws, r, "Rows in orange are above their target. Headroom = target - share, in percentage "
                         "points. 'ALL (uncapped)': years without an ALL cap.")
        r += 1

    if result.explanation:
        r = L.section(ws, r, "Explanation")
        for line in result.explanation:
            r = L.paragraph(ws, r, line, 1, 7)
        r += 1

    if result.duals_indicative:
        r = L.section(ws, r, "Note on shadow prices")
        r = L.paragraph(ws, r, DUALS_NOTE, 1, 7) + 1

    r = L.section(ws, r, "Run manifest")
    for key, value, fmt in _manifest_rows(result.manifest):
        L.put(ws, r, 1, key, font=NOTE_FONT)
        c = L.put(ws, r, 2, value, fmt)
        c.alignment = Alignment(horizontal="left")
        r += 1
    L.page_setup(ws, landscape=False)


def _manifest_rows(manifest) -> list[tuple[str, object, str | None]]:
    manifest = manifest if isinstance(manifest, dict) else {}
    keys = [k for k in MANIFEST_ORDER if k in manifest] + [k for k in manifest if k not in MANIFEST_ORDER]
    rows = []
    for k in keys:
        v = manifest[k]
        label = MANIFEST_LABELS.get(k, str(k).replace("_", " "))
        if isinstance(v, dict):
            if k == "timings":
                for name, secs in v.items():
                    rows.append((f"timing: {name} (s)", secs, SECONDS))
            else:
                for name, x in v.items():
                    rows.append((f"{label}: {name}", x, None))
        else:
            rows.append((label, v, None))
    return rows


def _plan_sheet(ws, result: R.RunResult, names: L.TableNames) -> None:
    cur = result.currency or "USD"
    if not views.has_plan(result):
        L.sheet_title(ws, "Purchase plan")
        L.put(ws, 3, 1, views.no_plan_text(result))
        ws.column_dimensions["A"].width = 90
        return
    plan = V.frame(result.plan)
    cols = [L.Col("material", "material"), L.Col("source", "source"), L.Col("source_name", "source name"),
            L.Col("bloc", "bloc", None, 10), L.Col("year", "year", YEAR, 8), L.Col("tonnes", "tonnes (t)", TONNES, 12),
            L.Col("unit_cost", f"unit cost ({cur}/kg)", PRICE, 13), L.Col("cost", f"cost ({cur} M, undiscounted)", MONEY, 15),
            L.Col("capacity", "capacity (t)", TONNES, 12), L.Col("min_volume", "min volume (t)", TONNES, 12),
            L.Col("utilisation", "utilisation", SHARE, 11)]
    cols = L.with_extras(plan, cols)
    pivot_left = len(cols) + 2
    L.sheet_title(ws, "Purchase plan",
           f"One row per material, source and year; cost = tonnes x unit cost. "
           f"Tonnes by year (pivot) from column {get_column_letter(pivot_left)}.")
    top = 4
    L.put(ws, top - 1, 1, "Purchases by material, source and year", font=SUBTITLE_FONT)
    order = [c for c in ("material", "year", "bloc", "source") if c in plan.columns]
    if "bloc" in order:
        plan = plan.assign(_b=plan["bloc"].map(lambda b: BLOC_ORDER.index(b) if b in BLOC_ORDER else 9))
        order = [("_b" if c == "bloc" else c) for c in order]
        plan = plan.sort_values(order, kind="stable").drop(columns="_b")
    elif order:
        plan = plan.sort_values(order, kind="stable")
    L.table(ws, top, 1, plan, cols, names, "Plan", extras=False)

    pivot, pcols = _plan_pivot(plan, views.years(result))
    if not pivot.empty:
        L.put(ws, top - 1, pivot_left, "Tonnes (t) by material x source, years as columns", font=SUBTITLE_FONT)
        L.table(ws, top, pivot_left, pivot, pcols, names, "PlanByYear",
               bold_rows=lambda rec: rec.get("source") == "all sources", extras=False)
    ws.freeze_panes = ws.cell(row=top + 1, column=1)
    L.page_setup(ws)
    if not pivot.empty:
        # print: the detail table on one page width, the pivot on the next
        ws.col_breaks.append(Break(id=pivot_left - 1))
        ws.page_setup.fitToWidth = 2


def _plan_pivot(plan: pd.DataFrame, years: list[int]) -> tuple[pd.DataFrame, list[L.Col]]:
    """Tonnes by (material, source, source name) with one column per year, plus an "all sources"
    row per material.  Source name is part of the key: a project's output is reported under its
    supplier's source id but with its own name, and must not be merged with that supplier's purchases."""
    need = {"material", "source", "year", "tonnes"}
    if plan.empty or not need <= set(plan.columns):
        return pd.DataFrame(), []
    p = plan[plan["year"].notna()].copy()
    p["tonnes"] = pd.to_numeric(p["tonnes"], errors="coerce").fillna(0.0)
    p["year"] = p["year"].astype(int)
    p["material"] = p["material"].astype(str)
    for c in ("source_name", "bloc"):
        if c not in p.columns:
            p[c] = None
    names, uniq = pd.factorize(p["source_name"], use_na_sentinel=True)
    shown = np.asarray(["" if L.cell_value(v) is None else str(v) for v in uniq] + [""], dtype=object)
    p["_key"] = p["source"].astype(str) + "\x00" + pd.Series(shown[names], index=p.index, dtype=object)
    years = sorted(set(years) | set(p["year"].unique()))
    ycols = [f"y{y}" for y in years]
    by_year = (p.pivot_table(index=["material", "_key"], columns="year", values="tonnes", aggfunc="sum",
                             fill_value=0.0, sort=False)
               .reindex(columns=years, fill_value=0.0).set_axis(ycols, axis=1))
    by_year["total"] = by_year[ycols].sum(axis=1)
    meta = p.drop_duplicates(["material", "_key"]).set_index(["material", "_key"])[["source", "source_name", "bloc"]]
    by_source = by_year.join(meta).reset_index()
    by_source["_b"] = by_source["bloc"].map(lambda b: BLOC_ORDER.index(b) if b in BLOC_ORDER else 9)
    by_source = by_source.sort_values(["material", "_b", "_key"], kind="stable").drop(columns=["_b", "_key"])
    totals = by_source.groupby("material", sort=True)[ycols + ["total"]].sum().reset_index()
    totals = totals.assign(source="all sources", source_name=None, bloc=None, _last=1)
    # each material's sources, then its "all sources" row (by_source is sorted by material already)
    out = (pd.concat([by_source.assign(_last=0), totals], ignore_index=True)
           .sort_values(["material", "_last"], kind="stable").drop(columns="_last").reset_index(drop=True))
    out = out[["material", "source", "source_name", "bloc"] + ycols + ["total"]]
    cols = [L.Col("material", "material"), L.Col("source", "source"), L.Col("source_name", "source name"),
            L.Col("bloc", "bloc", None, 10)]
    cols += [L.Col(f"y{y}", f"{y} (t)", TONNES, 12) for y in years] + [L.Col("total", "total (t)", TONNES, 13)]
    return out, cols


def build_result_workbook(result: R.RunResult) -> Workbook:
    """The result workbook in memory (see the module docstring for the sheets)."""
    wb = Workbook()
    wb.properties.creator = "sourcing-optimizer"
    wb.properties.title = "Sourcing optimisation result"
    names = L.TableNames()
    ws = wb.active
    ws.title = SHEETS[0]
    sheets = {SHEETS[0]: ws}
    for name in SHEETS[1:]:
        sheets[name] = wb.create_sheet(name)
    _summary(sheets["Summary"], result, names)
    _plan_sheet(sheets["Plan"], result, names)
    areas = shares_sheet(sheets["Shares"], result, names)
    dependence_sheet(sheets["Dependence"], result, names)
    sensitivity_sheet(sheets["Sensitivity"], result, names)
    investments_sheet(sheets["Investments"], result, names)
    conversion_sheet(sheets["Conversion"], result, names)
    stockpile_sheet(sheets["Stockpile"], result, names)
    diagnostics_sheet(sheets["Diagnostics"], result, names)
    charts_sheet(sheets["Charts"], result, sheets["Shares"], areas)
    if len(result.country_tts):
        country_tts_sheet(wb.create_sheet("CountryTTS"), result, names)
    if len(result.period_stock):
        period_stock_sheet(wb.create_sheet("PeriodStock"), result, names)
    if len(result.time_to_survive) or len(result.exposure):
        add_tts_sheets(wb, result.time_to_survive if len(result.time_to_survive) else None,
                       result.exposure if len(result.exposure) else None,
                       ttr_from="no disruption scenarios here: the whole year is assumed (see "
                                "'sourcing risk' for scenario-based times to recover)",
                       currency=result.currency or "USD")
    wb.active = 0
    return wb


def write_result_workbook(result: R.RunResult, path, protect: tuple = ()) -> Path:
    """Write the result workbook to ``path`` atomically; refuses to overwrite a ``protect`` path.

    Returns the resolved path written.  Raises ValueError for a protected target.  Labels are in
    the language chosen around the call (:func:`optimizer.core.i18n.workbook_language`: ``--lang``,
    the web page's language), else the workbook's Settings row language; sheet names never change.
    """
    with i18n.workbook_language(None if i18n.workbook_lang() else (result.language or None)):
        wb = build_result_workbook(result)
    return save_atomic(wb, path, protect=protect)
