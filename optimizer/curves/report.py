"""Workbooks for cost curves, the cost-vs-risk frontier and the scenario comparison.

Every cell is written through :func:`optimizer.core.workbook.writer.write_cell` (text never becomes a
formula) and every workbook is saved with :func:`optimizer.core.workbook.writer.save_atomic` (never
over the input).  Charts are native Excel scatter charts with straight lines, drawn from
plain ranges on the same sheet, with the 70 / 60 / 50 % China-share targets as separate
dashed vertical series.

* curve workbook: Summary (what the curve is, money spent and what is given up at its ends,
  the lowest achievable share and what holds it up, solves), Breakpoints, Segments (money and
  objective per percentage point, stock given up per point), Binding changes, Grid (with
  ``--grid``), Chart (money spent and penalties against the target, tighter to the right, as
  in the PNG);
* frontier workbook: Summary (payoff table), Points, Chart;
* comparison workbook: Summary, Shares, China tonnes, Changes, Overrides, Curves (data) and
  Chart (every scenario's money-spent curve on its own sheet, distinct colours, legend beside).

Column headers are words with units (:func:`optimizer.curves.tables.headers`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment

from models.units import to_millions
from optimizer.curves import tables as T
from optimizer.curves.palette import TARGET_COLORS, TARGET_DASHES, TARGETS, series_color
from optimizer.core.workbook.layout import chart_title, sheet_title, show_axes
from optimizer.core.workbook.writer import (MONEY, MONEY_3, MONEY_4, NOTE_FONT, SHARE_2, TITLE_FONT, TONNES, WHOLE,
                                            mark_header_row, save_atomic, write_cell, write_table)

# --------------------------------------------------------------------------- helpers

def _pairs(ws, top: int, pairs: list[tuple[str, object, str | None]]) -> int:
    """Key / value rows; returns the next free row."""
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 44)
    ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width or 0, 70)
    r = top
    for key, value, fmt in pairs:
        write_cell(ws, r, 1, key).font = NOTE_FONT
        c = write_cell(ws, r, 2, value, fmt)
        c.alignment = Alignment(wrap_text=isinstance(value, str), vertical="top", horizontal="left")
        r += 1
    return r + 1


def _format(key) -> str | None:
    k = str(key)
    if k.startswith("share_") or k in ("target", "from_target", "to_target", "breakpoint"):
        return SHARE_2
    if k.endswith("_t") or k.endswith("_per_pp_t"):
        return TONNES
    if "per_pp" in k and k.endswith("_m"):
        return MONEY_4
    if k.endswith("_m"):
        return MONEY
    if k in ("length_pp",):
        return "0.00"
    if k in ("binding_count", "iterations", "grid"):
        return WHOLE
    return None


def _table(ws, top: int, frame: pd.DataFrame, currency: str, formats: dict | None = None, title: str = "",
           headers: dict | None = None) -> int:
    if title:
        write_cell(ws, top, 1, title).font = TITLE_FONT
        top += 1
    if frame is None or frame.empty:
        write_cell(ws, top, 1, "(none)").font = NOTE_FONT
        return top + 2
    fmts = {c: f for c in frame.columns if (f := _format(c))}
    fmts.update(formats or {})
    names = T.headers(frame, currency)
    names.update(headers or {})
    return write_table(ws, top, frame, formats=fmts, headers=names) + 2


def _scatter(title: str, x_title: str, y_title: str, x_fmt: str = "0%", y_fmt: str = "#,##0",
             reverse_x: bool = False) -> ScatterChart:
    ch = ScatterChart()
    ch.title = chart_title(title)
    ch.style = 13
    ch.scatterStyle = "lineMarker"
    ch.x_axis.title, ch.y_axis.title = x_title, y_title
    ch.x_axis.number_format, ch.y_axis.number_format = x_fmt, y_fmt
    if reverse_x:      # tighter targets to the right, as in the PNG
        ch.x_axis.scaling.orientation = "maxMin"
    show_axes(ch)
    ch.legend.position = "r"
    ch.width, ch.height = 24, 13
    return ch


def _line(ws, ch, xcol: int, ycol: int, r0: int, r1: int, title_cell: int | None, color: str,
          dash: str | None = None, marker: str = "circle", width: int = 22000) -> None:
    xs = Reference(ws, min_col=xcol, min_row=r0, max_row=r1)
    ys = Reference(ws, min_col=ycol, min_row=(title_cell or r0), max_row=r1)
    s = Series(ys, xs, title_from_data=title_cell is not None)
    s.graphicalProperties.line.solidFill = color
    s.graphicalProperties.line.width = width
    if dash:
        s.graphicalProperties.line.dashStyle = dash
    s.marker.symbol = marker
    if marker != "none":
        s.marker.size = 4
        s.marker.graphicalProperties.solidFill = color
        s.marker.graphicalProperties.line.solidFill = color
    s.smooth = False
    ch.series.append(s)


def _target_lines(ws, ch, row: int, y_low: float, y_high: float, x_low: float, x_high: float) -> int:
    """The 70/60/50 % targets as dashed vertical two-point series, data from ``row`` down in
    columns A-C; returns the next free row."""
    write_cell(ws, row, 1, "target line")
    write_cell(ws, row, 2, "share")
    write_cell(ws, row, 3, "y")
    r = row + 1
    for t, color, dash in zip(TARGETS, TARGET_COLORS, TARGET_DASHES):
        if not x_low - 0.05 <= t <= x_high + 0.05:
            continue
        write_cell(ws, r, 1, f"{t:.0%} target")
        for k, y in enumerate((y_low, y_high)):
            write_cell(ws, r + k, 2, t, SHARE_2)
            write_cell(ws, r + k, 3, y, MONEY)
        _line(ws, ch, 2, 3, r, r + 1, None, color, dash=dash, marker="none", width=15875)
        ch.series[-1].tx = SeriesLabel(v=f"{t:.0%} target")
        r += 3
    return r


# --------------------------------------------------------------------------- curve
def curve_summary_pairs(curve, input_path: str = "") -> list:
    d = curve.direction
    cur = curve.currency
    low = curve.lowest
    start, end = curve.vertices[-1], curve.vertices[0]
    pairs = [
        ("Input workbook", input_path or "", None),
        ("Scenario", curve.scenario or "(base data)", None),
        ("Curve", f"money spent ({cur} M, discounted) and what is given up, against the {d.label}", None),
        ("Mode", {"year": "one year's target moves (the other years stay)",
                  "path": "the whole glide path moves in proportion to this target"}[d.mode], None),
        ("Range", f"from {curve.t_high:.2%} (start) down to {curve.t_low:.2%}", None),
        ("Money spent at the start (M)", to_millions(start.money), MONEY),
        ("Money spent at the end (M)", to_millions(end.money), MONEY),
        ("Stock below target at the start / end (t)", f"{start.shortfall:,.1f} / {end.shortfall:,.1f}", None),
        ("Unmet demand at the start / end (t)", f"{start.unmet:,.1f} / {end.unmet:,.1f}", None),
        ("Penalties at the start / end (M, not money)",
         f"{to_millions(start.penalties):,.2f} / {to_millions(end.penalties):,.2f}", None),
        ("Objective at the start / end (M)",
         f"{to_millions(start.cost):,.2f} / {to_millions(end.cost):,.2f} (money + penalties + risk charge: "
         "what the optimiser trades; its breakpoints define the curve)", None),
        ("Lowest achievable share", low.t, SHARE_2),
        ("  meaning", "the tightest target at which all demand can still be served; below it the "
                      "unmet-demand penalty sets the cost, so the curve stops there", None),
        ("Breakpoints", len(curve.breakpoints), WHOLE),
        ("Method", f"{curve.method} (exact breakpoints; one model, only the cap rows' bounds "
                   "change between solves)", None),
        ("Solves", ", ".join(f"{k} {v}" for k, v in curve.solves.items()), None),
        ("Simplex iterations", ", ".join(f"{k} {v}" for k, v in curve.iterations.items()), None),
        ("Seconds", ", ".join(f"{k} {v:.3f}" for k, v in curve.seconds.items()), None),
    ]
    cur_t = T.current_target(curve)
    if cur_t:
        pairs.append(("Workbook's own target", cur_t["target"], SHARE_2))
        pairs.append(("  objective there (M)", cur_t["cost_m"], MONEY))
        for side in ("tighter", "looser"):
            if f"cost_per_pp_m_{side}" in cur_t:
                pairs.append((f"  objective for 1 pp {'tighter' if side == 'tighter' else 'looser (saving)'} "
                              f"({cur} M)", cur_t[f"cost_per_pp_m_{side}"], MONEY_4))
    for n in curve.notes:
        pairs.append(("Note", n, None))
    return pairs


def curve_workbook(curve, input_path: str = "") -> Workbook:
    cur = curve.currency
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    r = sheet_title(ws, "China-share cost curve",
                    f"Money in {cur} millions, discounted. Money spent is shown apart from the penalties of "
                    "targets given up (stock below target, unmet demand) and the risk charge; per percentage "
                    "point = for tightening the target by one point (positive).")
    r = _pairs(ws, r, curve_summary_pairs(curve, input_path))
    _table(ws, r, T.limits_table(curve), cur, {"pp_per_unit": "0.000000"},
           "What holds the lowest achievable share up (pp of share per +1 unit of the limit)")
    # the per-year China shares on a sheet of their own: the breakpoint table prints readably
    bp = T.breakpoint_table(curve)
    years = [c for c in bp.columns if str(c).startswith("share_")]
    _table(wb.create_sheet("Breakpoints"), 1, bp.drop(columns=years), cur)
    if years:
        _table(wb.create_sheet("Shares at breakpoints"), 1, bp[["kind", "target"] + years], cur)
    _table(wb.create_sheet("Segments"), 1, T.segment_table(curve), cur)
    _table(wb.create_sheet("Binding changes"), 1, T.binding_changes_table(curve), cur)
    if curve.grid:
        _table(wb.create_sheet("Grid"), 1, T.grid_table(curve), cur)
    chart = wb.create_sheet("Chart")
    _curve_chart_sheet(chart, [("money spent", curve)], curve.direction.label, cur, penalties=True,
                       data_ws=wb.create_sheet("Chart data"))
    return wb


def _curve_chart_sheet(ws, curves: list, x_label: str, currency: str, title: str = "",
                       penalties: bool = False, data_ws=None) -> None:
    """One scatter chart of money spent against the target for every curve (and, for one curve,
    the penalties of what is given up), tighter targets to the right.  The data blocks go on
    ``data_ws`` (default: below the chart on the same sheet)."""
    data_ws = data_ws or ws
    ch = _scatter(title or "Money spent against the China-share target", x_label,
                  f"{currency} M, discounted", reverse_x=True)
    top = 30 if data_ws is ws else 1            # below the chart, or at the top of the data sheet
    mark_header_row(data_ws, top)
    col, ys, xs = 1, [], []
    for k, (name, c) in enumerate(curves):
        write_cell(data_ws, top, col, "target")
        write_cell(data_ws, top, col + 1, name)
        if penalties:
            write_cell(data_ws, top, col + 2, "penalties of targets given up (not money)")
        for i, v in enumerate(c.vertices, start=top + 1):
            write_cell(data_ws, i, col, v.t, SHARE_2)
            write_cell(data_ws, i, col + 1, to_millions(v.money), MONEY)
            if penalties:
                write_cell(data_ws, i, col + 2, to_millions(v.penalties), MONEY)
        end = top + len(c.vertices)
        _line(data_ws, ch, col, col + 1, top + 1, end, top, series_color(k))
        ys += [to_millions(v.money) for v in c.vertices]
        if penalties:
            _line(data_ws, ch, col, col + 2, top + 1, end, top, series_color(k + 1), dash="sysDot", marker="none")
            ys += [to_millions(v.penalties) for v in c.vertices]
        xs += [v.t for v in c.vertices]
        col += 4 if penalties else 3
    if ys:
        span = max(ys) - min(ys) or max(1.0, abs(max(ys)) * 0.01)
        lines_row = max(top + 1 + max(len(c.vertices) for _, c in curves) + 2, top)
        _target_lines(data_ws, ch, lines_row, min(ys) - 0.05 * span, max(ys) + 0.05 * span, min(xs), max(xs))
        ch.y_axis.scaling.min = float(np.floor(min(ys) - 0.05 * span))
        ch.y_axis.scaling.max = float(np.ceil(max(ys) + 0.05 * span))
    ws.add_chart(ch, "A1")


def write_curve_workbook(curve, path, input_path: str = "") -> Path:
    return save_atomic(curve_workbook(curve, input_path), path, protect=(input_path,) if input_path else ())


# --------------------------------------------------------------------------- frontier
def frontier_workbook(frontier, model, risk_label: str, currency: str, input_path: str = "") -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    r = sheet_title(ws, "Cost-vs-risk Pareto frontier (AUGMECON)",
                    f"Cost: money spent plus the penalties of missed targets ({currency} M, discounted; the "
                    f"risk charge is left out because risk is the other axis). Risk: {risk_label}.")
    r = _pairs(ws, r, [
        ("Input workbook", input_path or "", None),
        ("Scenario", model.data.settings.scenario or "(base data)", None),
        ("Method", "augmented epsilon-constraint (Mavrotas 2009): lexicographic payoff table, risk bound "
                   "gridded from the cheapest plan's risk down to the least risk, slack term against "
                   "weakly efficient points, bypass of redundant grid points, early exit", None),
        ("Grid points", len(frontier.grid), WHOLE),
        ("Solves", frontier.solves, WHOLE),
        ("Grid points bypassed", frontier.skipped, WHOLE),
        ("Pareto points", len(frontier.points), WHOLE),
    ] + [("Note", n, None) for n in frontier.notes])
    pay = pd.DataFrame({"optimised first": ["cost", "risk"],
                        "money_and_penalties_m": to_millions(frontier.payoff[:, 0]),
                        "risk_m": to_millions(frontier.payoff[:, 1])})
    _table(ws, r, pay, currency, title="Payoff table (lexicographic)")
    pts = T.frontier_table(frontier, model)
    _table(wb.create_sheet("Points"), 1, pts, currency)
    cs = wb.create_sheet("Chart")
    ch = _scatter("Cost against risk (Pareto frontier)", f"risk: {risk_label}",
                  f"{currency} M, discounted", x_fmt="#,##0", y_fmt="#,##0")
    data = wb.create_sheet("Chart data")
    for j, h in enumerate(("risk (M)", "money spent (M)", "money spent + penalties (M)"), start=1):
        write_cell(data, 1, j, h)
    for i, rec in enumerate(pts.to_dict("records"), start=2):
        write_cell(data, i, 1, rec.get("risk_m"), MONEY)
        write_cell(data, i, 2, rec.get("money_m"), MONEY)
        write_cell(data, i, 3, rec.get("money_and_penalties_m"), MONEY)
    if len(pts):
        _line(data, ch, 1, 2, 2, 1 + len(pts), 1, series_color(0))
        _line(data, ch, 1, 3, 2, 1 + len(pts), 1, series_color(1), dash="sysDot")
    cs.add_chart(ch, "A1")
    return wb


def write_frontier_workbook(frontier, model, path, risk_label: str, currency: str, input_path: str = "") -> Path:
    return save_atomic(frontier_workbook(frontier, model, risk_label, currency, input_path), path,
                       protect=(input_path,) if input_path else ())


# --------------------------------------------------------------------------- comparison
def summary_row_format(measure: str) -> str:
    """The number format of one row of the comparison summary, from the unit in its name."""
    if "(t" in measure:
        return TONNES
    if "share" in measure or "curve start" in measure:
        return SHARE_2
    if "breakpoints" in measure:
        return WHOLE
    return MONEY_3


def comparison_workbook(runs, tables: dict, currency: str, x_label: str, input_path: str = "") -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    r = sheet_title(ws, "Scenario comparison",
                    f"Input: {input_path}. Money in {currency} millions (discounted). Each scenario is the "
                    "base data with its Scenarios-sheet overrides applied (sheet Overrides lists every change).")
    fm = {c: MONEY_3 for c in tables["summary"].columns if c != "measure"}
    _table(ws, r, tables["summary"], currency, fm)
    ws.column_dimensions["A"].width = 48
    for i, measure in enumerate(tables["summary"]["measure"], start=r + 1):   # each row in its own unit
        fmt = summary_row_format(str(measure))
        for j in range(2, tables["summary"].shape[1] + 1):
            ws.cell(row=i, column=j).number_format = fmt
    _table(wb.create_sheet("Shares"), 1, tables["shares"], currency,
           {c: SHARE_2 for c in tables["shares"].columns if c != "year"})
    _table(wb.create_sheet("China tonnes"), 1, tables["china_tonnes"], currency,
           {c: TONNES for c in tables["china_tonnes"].columns if c != "material"})
    _table(wb.create_sheet("Changes"), 1, tables["changes"], currency,
           {"base_t": TONNES, "scenario_t": TONNES, "change_t": TONNES})
    _table(wb.create_sheet("Overrides"), 1, tables["overrides"], currency)
    curves = [(r_.name, r_.curve) for r_ in runs if r_.curve is not None]
    chart = wb.create_sheet("Chart")
    data = wb.create_sheet("Curves")
    if curves:
        _curve_chart_sheet(chart, curves, x_label, currency,
                           "Money spent against the China-share target, by scenario", data_ws=data)
    else:
        write_cell(chart, 1, 1, "No curve was computed.")
    return wb


def write_comparison_workbook(runs, tables, path, currency: str, x_label: str, input_path: str = "") -> Path:
    return save_atomic(comparison_workbook(runs, tables, currency, x_label, input_path), path,
                       protect=(input_path,) if input_path else ())
