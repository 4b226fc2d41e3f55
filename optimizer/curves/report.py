"""Workbooks for cost curves, the cost-vs-risk frontier and the scenario comparison.

Every cell is written through :func:`optimizer.core.workbook.writer.write_cell` (text never becomes a
formula) and every workbook is saved with :func:`optimizer.core.workbook.writer.save_atomic` (never
over the input).  Charts are native Excel scatter charts with straight lines, drawn from
plain ranges on the same sheet, with the 70 / 60 / 50 % China-share targets as separate
dashed vertical series.

* curve workbook: Summary (what the curve is, lowest achievable share and what holds it
  up, solves), Breakpoints, Segments (cost per percentage point), Binding changes, Grid
  (with ``--grid``), Chart;
* frontier workbook: Summary (payoff table), Points, Chart;
* comparison workbook: Summary, Shares, China tonnes, Changes, Overrides, Curves (one chart
  with every scenario's curve).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from models.units import to_millions
from optimizer.curves import tables as T
from optimizer.core.workbook.layout import sheet_title
from optimizer.core.workbook.writer import (MONEY, MONEY_4, NOTE_FONT, SHARE_2, TITLE_FONT, WHOLE, save_atomic, write_cell, write_table)

TARGETS = (0.70, 0.60, 0.50)
TARGET_COLORS = ("404040", "ED7D31", "C00000")
SERIES_COLORS = ("1F4E78", "C00000", "548235", "7030A0", "ED7D31", "2F5597", "A5A5A5", "BF8F00",
                 "00B0F0", "FF66CC", "375623", "833C0B")


# --------------------------------------------------------------------------- helpers

def _pairs(ws, top: int, pairs: list[tuple[str, object, str | None]]) -> int:
    """Key / value rows; returns the next free row."""
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 44)
    ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width or 0, 60)
    r = top
    for key, value, fmt in pairs:
        write_cell(ws, r, 1, key).font = NOTE_FONT
        c = write_cell(ws, r, 2, value, fmt)
        c.alignment = Alignment(wrap_text=isinstance(value, str), vertical="top", horizontal="left")
        r += 1
    return r + 1


def _table(ws, top: int, frame: pd.DataFrame, formats: dict | None = None, title: str = "") -> int:
    if title:
        write_cell(ws, top, 1, title).font = TITLE_FONT
        top += 1
    if frame is None or frame.empty:
        write_cell(ws, top, 1, "(none)").font = NOTE_FONT
        return top + 2
    fmts = dict(formats or {})
    for c in frame.columns:
        if str(c).startswith("share_") or c in ("target", "from_target", "to_target", "breakpoint",
                                                "lowest share"):
            fmts.setdefault(c, SHARE_2)
        elif str(c).endswith("_m") or str(c).endswith("(M)") or "_per_pp_m" in str(c):
            fmts.setdefault(c, MONEY_4 if "per_pp" in str(c) else MONEY)
    return write_table(ws, top, frame, formats=fmts) + 2


def _scatter(title: str, x_title: str, y_title: str, x_fmt: str = "0%", y_fmt: str = "#,##0") -> ScatterChart:
    ch = ScatterChart()
    ch.title = title
    ch.style = 13
    ch.scatterStyle = "lineMarker"
    ch.x_axis.title, ch.y_axis.title = x_title, y_title
    ch.x_axis.number_format, ch.y_axis.number_format = x_fmt, y_fmt
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    ch.legend.position = "b"
    ch.width, ch.height = 22, 12
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
        s.marker.size = 5
        s.marker.graphicalProperties.solidFill = color
        s.marker.graphicalProperties.line.solidFill = color
    s.smooth = False
    ch.series.append(s)


def _target_lines(ws, ch, col: int, y_low: float, y_high: float, x_low: float, x_high: float) -> None:
    """The 70/60/50 % targets as dashed vertical two-point series (data written at ``col``)."""
    r = 1
    write_cell(ws, r, col, "target line")
    write_cell(ws, r, col + 1, "share")
    write_cell(ws, r, col + 2, "cost (M)")
    r += 1
    for t, color in zip(TARGETS, TARGET_COLORS):
        if not x_low - 0.05 <= t <= x_high + 0.05:
            continue
        write_cell(ws, r, col, f"{t:.0%} target")
        for k, y in enumerate((y_low, y_high)):
            write_cell(ws, r + k, col + 1, t, SHARE_2)
            write_cell(ws, r + k, col + 2, y, MONEY)
        _line(ws, ch, col + 1, col + 2, r, r + 1, None, color, dash="dash", marker="none", width=15875)
        ch.series[-1].tx = SeriesLabel(v=f"{t:.0%} target")
        r += 3


# --------------------------------------------------------------------------- curve
def curve_summary_pairs(curve, input_path: str = "") -> list:
    d = curve.direction
    cur = curve.currency
    low = curve.lowest
    pairs = [
        ("Input workbook", input_path or "", None),
        ("Scenario", curve.scenario or "(base data)", None),
        ("Curve", f"total discounted cost (objective, {cur} M) against the {d.label}", None),
        ("Mode", {"year": "one year's target moves (the other years stay)",
                  "path": "the whole glide path moves in proportion to this target"}[d.mode], None),
        ("Range", f"from {curve.t_high:.2%} (start) down to {curve.t_low:.2%}", None),
        ("Lowest achievable share", low.t, SHARE_2),
        ("  meaning", "the tightest target at which all demand can still be served; below it the "
                      "unmet-demand penalty sets the cost, so the curve stops there", None),
        ("Cost at the start (M)", to_millions(curve.vertices[-1].cost), MONEY),
        ("Cost at the end (M)", to_millions(curve.vertices[0].cost), MONEY),
        ("Breakpoints", len(curve.breakpoints), WHOLE),
        ("Method", f"{curve.method} (exact breakpoints; one HiGHS model, only the cap rows' bounds "
                   "change between solves)", None),
        ("Solves", ", ".join(f"{k} {v}" for k, v in curve.solves.items()), None),
        ("Simplex iterations", ", ".join(f"{k} {v}" for k, v in curve.iterations.items()), None),
        ("Seconds", ", ".join(f"{k} {v:.3f}" for k, v in curve.seconds.items()), None),
    ]
    cur_t = T.current_target(curve)
    if cur_t:
        pairs.append(("Workbook's own target", cur_t["target"], SHARE_2))
        pairs.append(("  cost there (M)", cur_t["cost_m"], MONEY))
        for side in ("tighter", "looser"):
            if f"cost_per_pp_m_{side}" in cur_t:
                pairs.append((f"  cost of 1 pp {'tighter' if side == 'tighter' else 'looser (saving)'} "
                              f"({cur} M)", cur_t[f"cost_per_pp_m_{side}"], MONEY_4))
    for n in curve.notes:
        pairs.append(("Note", n, None))
    return pairs


def curve_workbook(curve, input_path: str = "") -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    r = sheet_title(ws, "China-share cost curve",
               f"Money in {curve.currency} millions, discounted; cost per percentage point = cost of "
               "tightening the target by one point (positive).")
    r = _pairs(ws, r, curve_summary_pairs(curve, input_path))
    _table(ws, r, T.limits_table(curve), {"pp_per_unit": "0.000000"},
           "What holds the lowest achievable share up (pp of share per +1 unit of the limit)")
    _table(wb.create_sheet("Breakpoints"), 1, T.breakpoint_table(curve))
    _table(wb.create_sheet("Segments"), 1, T.segment_table(curve), {"cost_per_pp": "#,##0", "length_pp": "0.0000"})
    _table(wb.create_sheet("Binding changes"), 1, T.binding_changes_table(curve))
    if curve.grid:
        _table(wb.create_sheet("Grid"), 1, T.grid_table(curve))
    _curve_chart_sheet(wb.create_sheet("Chart"), [("cost", curve)], curve.direction.label, curve.currency)
    return wb


def _curve_chart_sheet(ws, curves: list, x_label: str, currency: str, title: str = "") -> None:
    """Data blocks (one x/y column pair per curve) and one scatter chart with every curve."""
    ch = _scatter(title or "Total cost against the China-share target", x_label,
                  f"total discounted cost ({currency} M)")
    col, ys, xs = 1, [], []
    for k, (name, c) in enumerate(curves):
        write_cell(ws, 1, col, "target")
        write_cell(ws, 1, col + 1, name)
        for i, v in enumerate(c.vertices, start=2):
            write_cell(ws, i, col, v.t, SHARE_2)
            write_cell(ws, i, col + 1, to_millions(v.cost), MONEY)
        _line(ws, ch, col, col + 1, 2, 1 + len(c.vertices), 1, SERIES_COLORS[k % len(SERIES_COLORS)])
        ys += [to_millions(v.cost) for v in c.vertices]
        xs += [v.t for v in c.vertices]
        col += 3
    if ys:
        span = max(ys) - min(ys) or max(1.0, abs(max(ys)) * 0.01)
        _target_lines(ws, ch, col, min(ys) - 0.05 * span, max(ys) + 0.05 * span, min(xs), max(xs))
        ch.y_axis.scaling.min = float(np.floor(min(ys) - 0.05 * span))
        ch.y_axis.scaling.max = float(np.ceil(max(ys) + 0.05 * span))
    ws.add_chart(ch, f"{get_column_letter(col + 4)}2")


def write_curve_workbook(curve, path, input_path: str = "") -> Path:
    return save_atomic(curve_workbook(curve, input_path), path, protect=(input_path,) if input_path else ())


# --------------------------------------------------------------------------- frontier
def frontier_workbook(frontier, model, risk_label: str, currency: str, input_path: str = "") -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    r = sheet_title(ws, "Cost-vs-risk Pareto frontier (AUGMECON)",
               f"Cost: discounted objective without the risk charge ({currency} M). Risk: {risk_label}.")
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
    pay = pd.DataFrame({"optimised first": ["cost", "risk"], "cost_m": to_millions(frontier.payoff[:, 0]),
                        "risk_m": to_millions(frontier.payoff[:, 1])})
    _table(ws, r, pay, title="Payoff table (lexicographic)")
    pts = T.frontier_table(frontier, model)
    _table(wb.create_sheet("Points"), 1, pts)
    cs = wb.create_sheet("Chart")
    ch = _scatter("Cost against risk (Pareto frontier)", f"risk: {risk_label}",
                  f"cost without risk charge ({currency} M)", x_fmt="#,##0", y_fmt="#,##0")
    write_cell(cs, 1, 1, "risk (M)")
    write_cell(cs, 1, 2, "cost (M)")
    for i, (x, y) in enumerate(zip(pts.get("risk_m", []), pts.get("cost_m", [])), start=2):
        write_cell(cs, i, 1, x, MONEY)
        write_cell(cs, i, 2, y, MONEY)
    if len(pts):
        _line(cs, ch, 1, 2, 2, 1 + len(pts), 1, SERIES_COLORS[0])
    cs.add_chart(ch, "D2")
    return wb


def write_frontier_workbook(frontier, model, path, risk_label: str, currency: str, input_path: str = "") -> Path:
    return save_atomic(frontier_workbook(frontier, model, risk_label, currency, input_path), path,
                       protect=(input_path,) if input_path else ())


# --------------------------------------------------------------------------- comparison
def comparison_workbook(runs, tables: dict, currency: str, x_label: str, input_path: str = "") -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    r = sheet_title(ws, "Scenario comparison",
               f"Input: {input_path}. Money in {currency} millions (discounted). Each scenario is the "
               "base data with its Scenarios-sheet overrides applied (sheet Overrides lists every change).")
    fm = {c: "#,##0.000" for c in tables["summary"].columns if c != "measure"}
    _table(ws, r, tables["summary"], fm)
    ws.column_dimensions["A"].width = 44
    _table(wb.create_sheet("Shares"), 1, tables["shares"],
           {c: SHARE_2 for c in tables["shares"].columns if c != "year"})
    _table(wb.create_sheet("China tonnes"), 1, tables["china_tonnes"],
           {c: "#,##0.0" for c in tables["china_tonnes"].columns if c != "material"})
    _table(wb.create_sheet("Changes"), 1, tables["changes"],
           {"base_t": "#,##0.0", "scenario_t": "#,##0.0", "change_t": "#,##0.0"})
    _table(wb.create_sheet("Overrides"), 1, tables["overrides"])
    curves = [(r_.name, r_.curve) for r_ in runs if r_.curve is not None]
    cs = wb.create_sheet("Curves")
    if curves:
        _curve_chart_sheet(cs, curves, x_label, currency, "Total cost against the China-share target, by scenario")
    else:
        write_cell(cs, 1, 1, "No curve was computed.")
    return wb


def write_comparison_workbook(runs, tables, path, currency: str, x_label: str, input_path: str = "") -> Path:
    return save_atomic(comparison_workbook(runs, tables, currency, x_label, input_path), path,
                       protect=(input_path,) if input_path else ())
