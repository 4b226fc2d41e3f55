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

Every cell goes through :func:`optimizer.xlsx_util.write_cell` (text is always stored as
text, never as a formula); the file is saved with :func:`optimizer.xlsx_util.save_atomic`
(temporary file + rename; never over a protected path such as the input workbook).
Data tables are Excel tables (filter buttons, banded rows); pivots and chart data are
plain ranges of numbers, so the charts keep working when a reader filters a table.
"""
from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo

from optimizer.core.solver import OPTIMAL, TIME_LIMIT_FEASIBLE
from optimizer.sourcing import result as R
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun

from optimizer.xlsx_util import GOOD_FILL, HEADER_FILL, WARN_FILL, save_atomic, write_cell

SHEETS = ("Summary", "Plan", "Shares", "Sensitivity", "Investments", "Stockpile", "Diagnostics", "Charts")
BLOC_ORDER = ("china", "ally", "domestic", "other")
BLOC_COLORS = {"china": "C00000", "ally": "2F5597", "domestic": "548235", "other": "A5A5A5"}

TONNES, MONEY, SHARE, PRICE, YEAR, PP, DAYS, SECONDS = (
    "#,##0.0", "#,##0.00", "0.0%", "#,##0.00", "0", "0.0", "#,##0", "0.000")

STATUS_OK_FILL = GOOD_FILL                                   # proven optimal, all demand met
STATUS_WARN_FILL = PatternFill("solid", fgColor="F8CBAD")    # anything else: orange
# Fonts name their face: a font without a name renders in a serif fallback in LibreOffice.
FONT = "Calibri"
TITLE_FONT = Font(name=FONT, bold=True, size=14, color="1F4E78")
SUBTITLE_FONT = Font(name=FONT, bold=True, size=12, color="1F4E78")
HEADER_FONT = Font(name=FONT, bold=True, color="FFFFFF")
NOTE_FONT = Font(name=FONT, italic=True, color="595959")
BOLD = Font(name=FONT, bold=True)
ITALIC = Font(name=FONT, italic=True)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
UNCAPPED = "ALL (uncapped)"
CHINA_ALL_HEADER = "China share of demand (ALL)"
SHARE_BASIS_NOTE = ("The mix by bloc divides by purchases (including stock building); the China share vs "
                    "target divides by demand, as the cap does. The two differ in years when stock is built "
                    "or drawn down, or demand is unmet.")

MANIFEST_ORDER = ("tool_version", "status", "backend", "solver", "scenario", "input_file",
                  "input_sha256", "started_at", "python", "highspy", "pulp", "pyomo", "openpyxl")
MANIFEST_LABELS = {"tool_version": "tool version", "input_file": "input file",
                   "input_sha256": "input file SHA-256", "started_at": "started at"}
DUALS_NOTE = ("Shadow prices are indicative: the model has integer (build / no-build) decisions, so they "
              "were fixed at their optimal values and the LP re-solved. The prices hold only for small "
              "changes that do not alter those decisions.")


# ----------------------------------------------------------------------------- cells

def _value(v):
    """Pre-clean a value for write_cell: pandas missing markers -> blank, bools -> yes/no,
    characters XML cannot hold (control characters other than tab/LF/CR) -> U+FFFD."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={x}" for k, x in v.items())
    return v


def _put(ws, row: int, col: int, value, fmt: str | None = None, font=None, fill=None, align=None):
    cell = write_cell(ws, row, col, _value(value), fmt)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if align is not None:
        cell.alignment = align
    return cell


def _title(ws, title: str, note: str | None = None) -> int:
    """Sheet title in row 1, optional note in row 2; returns the next free row."""
    _put(ws, 1, 1, title, font=TITLE_FONT)
    ws.row_dimensions[1].height = 22
    if note:
        _put(ws, 2, 1, note, font=NOTE_FONT)
    return 4


def _paragraph(ws, row: int, text: str, first_col: int, last_col: int, font=None, fill=None) -> int:
    """Merged, wrapped text block over first_col..last_col; returns the next free row."""
    text = "" if text is None else str(text)
    chars = sum(ws.column_dimensions[get_column_letter(c)].width or 10 for c in range(first_col, last_col + 1))
    lines = sum(max(1, math.ceil(len(part) * 1.1 / max(chars, 10))) for part in text.splitlines() or [""])
    _put(ws, row, first_col, text, font=font, fill=fill, align=WRAP_TOP)
    if last_col > first_col:
        ws.merge_cells(start_row=row, start_column=first_col, end_row=row, end_column=last_col)
    ws.row_dimensions[row].height = max(15.0, 15.0 * lines)
    return row + 1


def _page_setup(ws, landscape: bool = True) -> None:
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = False


# ----------------------------------------------------------------------------- tables

@dataclass
class Col:
    key: str
    header: str
    fmt: str | None = None
    width: int | None = None
    align: str | None = None      # horizontal alignment of the data cells (default: Excel's)


@dataclass
class Area:
    """Where a table landed: header row, last data row, first and last column (1-based)."""
    header_row: int
    last_row: int
    first_col: int
    last_col: int

    def col_of(self, index: int) -> int:
        return self.first_col + index


class _Names:
    """Unique Excel table names per workbook."""

    def __init__(self):
        self.used: set[str] = set()

    def __call__(self, base: str) -> str:
        name, k = base, 2
        while name.lower() in self.used:
            name, k = f"{base}{k}", k + 1
        self.used.add(name.lower())
        return name


def _frame(df) -> pd.DataFrame:
    return df if isinstance(df, pd.DataFrame) else pd.DataFrame(df)


def _with_extras(df: pd.DataFrame, cols: list[Col]) -> list[Col]:
    """Documented columns plus any undocumented ones (so nothing is silently dropped)."""
    known = {c.key for c in cols}
    headers = {c.header for c in cols}
    extra = []
    for k in df.columns:
        if k not in known:
            h = str(k)
            while h in headers:
                h += " (extra)"
            headers.add(h)
            extra.append(Col(k, h))
    return cols + extra


def _width(header: str, values, fmt: str | None) -> int:
    # headers wrap (the header row is made tall enough), so a long header need not widen the column
    longest = max(max((len(w) for w in header.split()), default=0) + 2, min(len(header) + 2, 16))
    for v in values[:200]:
        v = _value(v)
        if v is None:
            continue
        if isinstance(v, (int, float)):
            n = len(f"{v:,.2f}") + 1
        else:
            n = max(len(line) for line in str(v).splitlines() or [""]) + 2
        longest = max(longest, n)
    return int(min(48, max(9, longest)))


def _table(ws, top: int, left: int, df: pd.DataFrame, cols: list[Col], names: _Names | None = None,
           table_name: str | None = None, row_fill=None, bold_rows=None, extras: bool = True,
           wrap_header: bool = True, wrap_cols: tuple = ()) -> Area:
    """Write ``df`` with a styled header at (top, left).

    ``row_fill(record) -> fill | None`` highlights rows; ``bold_rows(record) -> bool`` bolds them.
    With ``table_name`` (and at least one data row) the range becomes an Excel table with
    filter buttons.  Column widths are widened, never narrowed.  ``wrap_header=False`` keeps
    the header on one line (for a table whose header row is a data row of a table beside it);
    ``wrap_cols``: keys of text columns to wrap (their rows are made tall enough).
    """
    df = _frame(df)
    if extras:
        cols = _with_extras(df, cols)
    records = df.to_dict("records")
    for j, c in enumerate(cols):
        letter = get_column_letter(left + j)
        values = df[c.key].tolist() if c.key in df.columns else []
        w = c.width or _width(c.header, values, c.fmt)
        if not wrap_header:
            w = max(w, int(len(c.header) * 1.1) + 3)
        current = ws.column_dimensions[letter].width if letter in ws.column_dimensions else 0
        ws.column_dimensions[letter].width = max(w, current or 0)
    aligns = []
    for j, c in enumerate(cols):
        numeric = c.fmt is not None or any(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                                           for v in (rec.get(c.key) for rec in records[:20]))
        flags = any(isinstance(v, (bool, np.bool_)) for v in (rec.get(c.key) for rec in records[:20]))
        align = c.align or ("center" if (c.fmt == YEAR or flags) else None)
        aligns.append(align)
        _put(ws, top, left + j, c.header, font=HEADER_FONT, fill=HEADER_FILL,
             align=Alignment(wrap_text=wrap_header, vertical="center",
                             horizontal=align or ("right" if numeric else "left")))
    r = top
    for r, rec in enumerate(records, start=top + 1):
        fill = row_fill(rec) if row_fill else None
        bold = bool(bold_rows(rec)) if bold_rows else False
        lines = 1
        for j, c in enumerate(cols):
            v = rec.get(c.key)
            align = aligns[j] or ("center" if isinstance(v, (bool, np.bool_)) else None)
            wrap = c.key in wrap_cols
            cell = _put(ws, r, left + j, v, c.fmt, font=BOLD if bold else None, fill=fill,
                        align=Alignment(horizontal=align, vertical="top", wrap_text=wrap)
                        if (align or wrap_cols) else None)
            if wrap and isinstance(cell.value, str):
                width = ws.column_dimensions[get_column_letter(left + j)].width or 10
                lines = max(lines, sum(_wrapped_lines(part, width) for part in cell.value.splitlines() or [""]))
        if lines > 1:
            ws.row_dimensions[r].height = 15.0 * lines
    if wrap_header:
        lines = 1
        for j, c in enumerate(cols):
            width = ws.column_dimensions[get_column_letter(left + j)].width or 10
            lines = max(lines, _wrapped_lines(c.header, width))
        ws.row_dimensions[top].height = max(ws.row_dimensions[top].height or 15.0, 15.0 * lines)
    area = Area(top, r, left, left + len(cols) - 1)
    if table_name and names is not None and records:
        ref = f"{get_column_letter(left)}{top}:{get_column_letter(area.last_col)}{r}"
        tab = Table(displayName=names(table_name), ref=ref)
        tab.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True,
                                            showColumnStripes=False, showFirstColumn=False,
                                            showLastColumn=False)
        ws.add_table(tab)
    return area


def _wrapped_lines(text: str, width: float) -> int:
    """Rough number of lines ``text`` takes in a wrapped cell ``width`` characters wide."""
    usable = max(1.0, width - 1.5)
    lines, current = 1, 0.0
    for word in str(text).split():
        n = len(word) * 1.1
        if current and current + 1 + n > usable:
            lines, current = lines + 1, n
        else:
            current = current + (1 if current else 0) + n
    return lines


def _section(ws, row: int, text: str, col: int = 1) -> int:
    _put(ws, row, col, text, font=SUBTITLE_FONT)
    return row + 1


def _note(ws, row: int, text: str, col: int = 1) -> int:
    _put(ws, row, col, text, font=NOTE_FONT)
    return row + 1


# ----------------------------------------------------------------------------- helpers

def _truthy(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, str):
        return v.strip().lower() in ("yes", "true", "1")
    if v is None or v is pd.NA:
        return False
    try:
        return bool(v) and not (isinstance(v, float) and math.isnan(v))
    except (TypeError, ValueError):
        return False


def _num(v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


def _years(result: R.RunResult) -> list[int]:
    years = set()
    for y in result.years or []:
        if _num(y) is not None:
            years.add(int(y))
    for df in (result.plan, result.shares, result.bloc_mix):
        df = _frame(df)
        if "year" in df.columns:
            years.update(int(y) for y in df["year"].dropna().unique())
    return sorted(years)


def _has_plan(result: R.RunResult) -> bool:
    return not _frame(result.plan).empty


def _no_plan_text(result: R.RunResult) -> str:
    return f"No plan exists for this run (status: {result.status_message or result.status})."


def _unmet_rows(result: R.RunResult) -> pd.DataFrame:
    df = _frame(result.unmet)
    if df.empty or "unmet" not in df.columns:
        return df.iloc[0:0] if not df.empty else df
    return df[pd.to_numeric(df["unmet"], errors="coerce").fillna(0.0) > 1e-9]


def _all_clear(result: R.RunResult) -> bool:
    return bool(result.proven_optimal and result.status == OPTIMAL and _unmet_rows(result).empty)


def _bloc_order(blocs) -> list[str]:
    present = [str(b) for b in blocs]
    return [b for b in BLOC_ORDER if b in present] + sorted(set(present) - set(BLOC_ORDER))


def _sorted_shares(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty or not {"year", "scope"} <= set(df.columns):
        return df
    rank = df["scope"].map(lambda s: 0 if s == "ALL" else (1 if s == UNCAPPED else 2))
    return (df.assign(_r=rank, _s=df["scope"].astype(str)).sort_values(["year", "_r", "_s"], kind="stable")
            .drop(columns=["_r", "_s"]))


def _share_fill(rec):
    w = rec.get("within_target")
    if isinstance(w, (bool, np.bool_)) and not w:
        return WARN_FILL
    return None


def _share_cols(cur: str, year_align: str | None = None) -> list[Col]:
    return [Col("year", "year", YEAR, 8, year_align), Col("scope", "scope"), Col("china_share", "China share", SHARE, 12),
            Col("target", "target (max China share)", SHARE, 14), Col("within_target", "within target", None, 11),
            Col("headroom_pp", "headroom (pp)", PP, 12)]


def _shares_for_display(result: R.RunResult) -> pd.DataFrame:
    df = _sorted_shares(_frame(result.shares).copy())
    if not df.empty and "scope" in df.columns and "within_target" in df.columns:
        # an uncapped row has no target to be within: show a blank, not "yes"
        df["within_target"] = [None if s == UNCAPPED else w for s, w in zip(df["scope"], df["within_target"])]
    return df


# ----------------------------------------------------------------------------- sheets

def _summary(ws, result: R.RunResult, names: _Names) -> None:
    cur = result.currency or "USD"
    ws.sheet_view.showGridLines = False
    for letter, w in zip("ABCDEFG", (34, 16, 14, 16, 14, 14, 14)):
        ws.column_dimensions[letter].width = w
    scen = result.manifest.get("scenario") if isinstance(result.manifest, dict) else None
    title = "Sourcing optimisation result" + (f": scenario {scen}" if isinstance(scen, str) and scen.strip() else "")
    r = _title(ws, title, f"Money in {cur} millions (discounted unless a column says otherwise); "
                          f"masses in tonnes (t); shares in % of value.")
    _put(ws, r, 1, "Status", font=BOLD)
    fill = STATUS_OK_FILL if _all_clear(result) else STATUS_WARN_FILL
    msg = result.status_message or result.status
    unmet = _unmet_rows(result)
    if not unmet.empty and result.status in (OPTIMAL, TIME_LIMIT_FEASIBLE):
        total = pd.to_numeric(unmet["unmet"], errors="coerce").sum()
        msg = f"{msg}; demand NOT fully met ({total:,.1f} t unmet, see below)"
    _paragraph(ws, r, msg, 2, 7, font=BOLD, fill=fill)
    r += 1
    _put(ws, r, 1, "Status code", font=NOTE_FONT)
    _put(ws, r, 2, result.status, font=NOTE_FONT)
    r += 1
    if result.objective is not None and _num(result.objective) is not None:
        _put(ws, r, 1, f"Total objective ({cur} M, discounted)", font=BOLD)
        _put(ws, r, 2, result.objective, MONEY, font=BOLD)
        r += 1
    r += 1

    if result.objective_parts:
        r = _section(ws, r, "Objective parts")
        parts = pd.DataFrame([{"part": k, "value": v} for k, v in result.objective_parts.items()])
        if result.objective is not None:
            parts = pd.concat([parts, pd.DataFrame([{"part": "total objective", "value": result.objective}])],
                              ignore_index=True)
        area = _table(ws, r, 1, parts, [Col("part", "part", None, 34), Col("value", f"{cur} M (discounted)", MONEY, 16)],
                      bold_rows=lambda rec: rec["part"] == "total objective")
        r = area.last_row + 2

    shares = _shares_for_display(result)
    if not shares.empty:
        r = _section(ws, r, "China share per year vs target")
        area = _table(ws, r, 1, shares, _share_cols(cur, "left"), row_fill=_share_fill)
        r = area.last_row + 2
        r = _note(ws, r, "Rows in orange are above their target. Headroom = target - share, in percentage "
                         "points. 'ALL (uncapped)': years without an ALL cap.")
        r += 1

    if _has_plan(result) or not _frame(result.unmet).empty:
        r = _section(ws, r, "Unmet demand")
        if unmet.empty:
            _put(ws, r, 1, "none: all demand is met")
            r += 2
        else:
            area = _table(ws, r, 1, unmet, [Col("material", "material", None, 34), Col("year", "year", YEAR, None, "left"),
                                            Col("demand", "demand (t)", TONNES), Col("unmet", "unmet (t)", TONNES),
                                            Col("unmet_share", "unmet share", SHARE)], row_fill=lambda rec: WARN_FILL)
            r = area.last_row + 2

    if result.explanation:
        r = _section(ws, r, "Explanation")
        for line in result.explanation:
            r = _paragraph(ws, r, line, 1, 7)
        r += 1

    if result.duals_indicative:
        r = _section(ws, r, "Note on shadow prices")
        r = _paragraph(ws, r, DUALS_NOTE, 1, 7) + 1

    r = _section(ws, r, "Run manifest")
    for key, value, fmt in _manifest_rows(result.manifest):
        _put(ws, r, 1, key, font=NOTE_FONT)
        c = _put(ws, r, 2, value, fmt)
        c.alignment = Alignment(horizontal="left")
        r += 1
    _page_setup(ws, landscape=False)


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


def _plan_sheet(ws, result: R.RunResult, names: _Names) -> None:
    cur = result.currency or "USD"
    if not _has_plan(result):
        _title(ws, "Purchase plan")
        _put(ws, 3, 1, _no_plan_text(result))
        ws.column_dimensions["A"].width = 90
        return
    plan = _frame(result.plan)
    cols = [Col("material", "material"), Col("source", "source"), Col("source_name", "source name"),
            Col("bloc", "bloc", None, 10), Col("year", "year", YEAR, 8), Col("tonnes", "tonnes (t)", TONNES, 12),
            Col("unit_cost", f"unit cost ({cur}/kg)", PRICE, 13), Col("cost", f"cost ({cur} M, undiscounted)", MONEY, 15),
            Col("capacity", "capacity (t)", TONNES, 12), Col("min_volume", "min volume (t)", TONNES, 12),
            Col("utilisation", "utilisation", SHARE, 11)]
    cols = _with_extras(plan, cols)
    pivot_left = len(cols) + 2
    _title(ws, "Purchase plan",
           f"One row per material, source and year; cost = tonnes x unit cost. "
           f"Tonnes by year (pivot) from column {get_column_letter(pivot_left)}.")
    top = 4
    _put(ws, top - 1, 1, "Purchases by material, source and year", font=SUBTITLE_FONT)
    order = [c for c in ("material", "year", "bloc", "source") if c in plan.columns]
    if "bloc" in order:
        plan = plan.assign(_b=plan["bloc"].map(lambda b: BLOC_ORDER.index(b) if b in BLOC_ORDER else 9))
        order = [("_b" if c == "bloc" else c) for c in order]
        plan = plan.sort_values(order, kind="stable").drop(columns="_b")
    elif order:
        plan = plan.sort_values(order, kind="stable")
    _table(ws, top, 1, plan, cols, names, "Plan", extras=False)

    pivot, pcols = _plan_pivot(plan, _years(result))
    if not pivot.empty:
        _put(ws, top - 1, pivot_left, "Tonnes (t) by material x source, years as columns", font=SUBTITLE_FONT)
        _table(ws, top, pivot_left, pivot, pcols, names, "PlanByYear",
               bold_rows=lambda rec: rec.get("source") == "all sources", extras=False)
    ws.freeze_panes = ws.cell(row=top + 1, column=1)
    _page_setup(ws)
    if not pivot.empty:
        # print: the detail table on one page width, the pivot on the next
        ws.col_breaks.append(Break(id=pivot_left - 1))
        ws.page_setup.fitToWidth = 2


def _plan_pivot(plan: pd.DataFrame, years: list[int]) -> tuple[pd.DataFrame, list[Col]]:
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
    p["_key"] = p["source"].astype(str) + "\x00" + p["source_name"].map(lambda v: "" if _value(v) is None else str(v))
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
    totals = by_source.groupby("material", sort=True)[ycols + ["total"]].sum()
    rows = []
    for mat, block in by_source.groupby("material", sort=True):
        rows += block.to_dict("records")
        rows.append({"material": mat, "source": "all sources", "source_name": None, "bloc": None,
                     **totals.loc[mat].to_dict()})
    out = pd.DataFrame(rows, columns=["material", "source", "source_name", "bloc"] + ycols + ["total"])
    cols = [Col("material", "material"), Col("source", "source"), Col("source_name", "source name"),
            Col("bloc", "bloc", None, 10)]
    cols += [Col(f"y{y}", f"{y} (t)", TONNES, 12) for y in years] + [Col("total", "total (t)", TONNES, 13)]
    return out, cols


def _shares_sheet(ws, result: R.RunResult, names: _Names) -> dict:
    """Writes the Shares sheet; returns the chart data areas {"mix": (Area, kind), "china": Area}."""
    out: dict = {}
    _title(ws, "China share and sourcing mix by bloc",
           "value share = share of purchase value (reference-value weighted) within that material and year; "
           "'ALL' = over the materials under a China cap. " + SHARE_BASIS_NOTE)
    if not _has_plan(result) and _frame(result.bloc_mix).empty and _frame(result.shares).empty:
        _put(ws, 3, 1, _no_plan_text(result))
        ws.column_dimensions["A"].width = 90
        return out
    top = 4
    mix = _frame(result.bloc_mix)
    cols = [Col("year", "year", YEAR, 8), Col("material", "material"), Col("bloc", "bloc", None, 10),
            Col("tonnes", "tonnes (t)", TONNES, 13), Col("share", "value share", SHARE, 11)]
    cols = _with_extras(mix, cols)
    right = len(cols) + 2
    _put(ws, top - 1, 1, "Bloc mix by year and material", font=SUBTITLE_FONT)
    if mix.empty:
        _put(ws, top, 1, "No bloc mix in this result.")
    else:
        if {"year", "material", "bloc"} <= set(mix.columns):
            mix = mix.assign(_a=(mix["material"] != "ALL").astype(int),
                             _b=mix["bloc"].map(lambda b: BLOC_ORDER.index(b) if b in BLOC_ORDER else 9))
            mix = mix.sort_values(["year", "_a", "material", "_b"], kind="stable").drop(columns=["_a", "_b"])
        _table(ws, top, 1, mix, cols, names, "BlocMix", extras=False)
        ws.freeze_panes = ws.cell(row=top + 1, column=1)

    r = top
    pivot, kind = _mix_pivot(result)
    if not pivot.empty:
        blocs = [c for c in pivot.columns if c != "year"]
        label = ("Value share by bloc, all capped materials (ALL)" if kind == "share"
                 else "Purchased tonnes (t) by bloc, all materials")
        _put(ws, r - 1, right, label, font=SUBTITLE_FONT)
        fmt = SHARE if kind == "share" else TONNES
        pcols = [Col("year", "year", YEAR, 8)] + [Col(b, b, fmt, 11) for b in blocs]
        area = _table(ws, r, right, pivot, pcols, names, "MixByYear", extras=False, wrap_header=False)
        out["mix"] = (area, kind)
        r = area.last_row + 3

    china = _china_vs_target(result)
    if not china.empty:
        _put(ws, r - 1, right, "China share vs glide path (ALL)", font=SUBTITLE_FONT)
        area = _table(ws, r, right, china, [Col("year", "year", YEAR, 8), Col("china_share", CHINA_ALL_HEADER, SHARE, 13),
                                            Col("target", "target (glide path)", SHARE, 13)], names, "ChinaVsTarget",
                      extras=False, wrap_header=False)
        out["china"] = area
        r = area.last_row + 3

    shares = _shares_for_display(result)
    if not shares.empty:
        _put(ws, r - 1, right, "China share per year vs target (all caps)", font=SUBTITLE_FONT)
        area = _table(ws, r, right, shares, _share_cols(result.currency), names, "ChinaShares",
                      row_fill=_share_fill, wrap_header=False)
        _note(ws, area.last_row + 2, "Rows in orange are above their target.", right)
    _page_setup(ws)
    return out


def _mix_pivot(result: R.RunResult) -> tuple[pd.DataFrame, str]:
    """Year x bloc: value share for material ALL, else (no ALL rows) purchased tonnes from the plan."""
    mix = _frame(result.bloc_mix)
    if not mix.empty and {"year", "material", "bloc", "share"} <= set(mix.columns):
        a = mix[mix["material"] == "ALL"]
        if not a.empty:
            blocs = _bloc_order(a["bloc"].unique())
            tab = (a.assign(share=pd.to_numeric(a["share"], errors="coerce"))
                   .groupby(["year", "bloc"])["share"].sum().unstack("bloc"))
            tab = tab.reindex(columns=blocs).fillna(0.0).reset_index()
            tab["year"] = tab["year"].astype(int)
            return tab[["year"] + blocs].sort_values("year"), "share"
    plan = _frame(result.plan)
    if not plan.empty and {"year", "bloc", "tonnes"} <= set(plan.columns):
        blocs = _bloc_order(plan["bloc"].dropna().unique())
        tab = (plan.assign(tonnes=pd.to_numeric(plan["tonnes"], errors="coerce"))
               .groupby(["year", "bloc"])["tonnes"].sum().unstack("bloc"))
        tab = tab.reindex(columns=blocs).fillna(0.0).reset_index()
        tab["year"] = tab["year"].astype(int)
        return tab[["year"] + blocs].sort_values("year"), "tonnes"
    return pd.DataFrame(), ""


def _china_vs_target(result: R.RunResult) -> pd.DataFrame:
    """One row per year: China share of scope ALL (capped or not) and the ALL target (blank if none)."""
    sh = _frame(result.shares)
    if sh.empty or not {"year", "scope", "china_share"} <= set(sh.columns):
        return pd.DataFrame()
    a = sh[sh["scope"].isin(["ALL", UNCAPPED])]
    if a.empty:
        return pd.DataFrame()
    rows = []
    for y in sorted(int(v) for v in a["year"].dropna().unique()):
        ay = a[a["year"] == y]
        capped = ay[ay["scope"] == "ALL"]
        pick = capped if not capped.empty else ay
        target = _num(capped["target"].iloc[0]) if (not capped.empty and "target" in capped.columns) else None
        rows.append({"year": y, "china_share": _num(pick["china_share"].iloc[0]), "target": target})
    return pd.DataFrame(rows)


def _sensitivity_sheet(ws, result: R.RunResult, names: _Names) -> None:
    for letter, w in zip("ABCDEFGHI", (12, 12, 10, 12, 12, 14, 18, 16, 16)):
        ws.column_dimensions[letter].width = w
    _title(ws, "Sensitivity: shadow prices and ranging")
    text = R.SIGN_CONVENTION + (" " + DUALS_NOTE if result.duals_indicative else "")
    # merged, wrapped region above the tables (rows 2-7, columns A-I), tall enough for the text
    cell = _put(ws, 2, 1, text, align=WRAP_TOP)
    cell.font = ITALIC
    ws.merge_cells(start_row=2, start_column=1, end_row=7, end_column=9)
    _sensitivity_tables(ws, result, names, 9)
    # the tables may have widened columns A-I: size the merged rows for the final width
    chars = sum(ws.column_dimensions[get_column_letter(c)].width or 10 for c in range(1, 10))
    lines = math.ceil(len(text) * 1.1 / chars) + 0.5
    for rr in range(2, 8):
        ws.row_dimensions[rr].height = max(15.0, 15.0 * lines / 6)
    _page_setup(ws)


def _sensitivity_tables(ws, result: R.RunResult, names: _Names, r: int) -> int:
    cur = result.currency or "USD"
    caps = _frame(result.cap_sensitivity)
    capacity = _frame(result.capacity_sensitivity)
    demand = _frame(result.demand_sensitivity)
    if caps.empty and capacity.empty and demand.empty:
        why = (_no_plan_text(result) if not _has_plan(result) else
               "No shadow prices for this run: they are reported for a proven-optimal solve only.")
        _put(ws, r, 1, why)
        return r + 1

    r = _section(ws, r, "China share caps")
    if caps.empty:
        r = _note(ws, r, "No China caps in the input (or no prices for this run).") + 1
    else:
        caps = _sorted_shares(caps)
        area = _table(ws, r, 1, caps, [
            Col("year", "year", YEAR), Col("scope", "scope"), Col("target", "target", SHARE),
            Col("china_share", "China share", SHARE), Col("binding", "binding"),
            Col("shadow_price_per_pp", f"shadow price ({cur} M per +1 pp)", MONEY),
            Col("rhs_share_low", "price holds for target from", SHARE),
            Col("rhs_share_high", "price holds for target to", SHARE)], names, "CapSensitivity")
        r = _note(ws, area.last_row + 2, "Blank range = unknown or unbounded.") + 2

    r = _section(ws, r, "Supplier capacities (binding first)")
    if capacity.empty:
        r = _note(ws, r, "No capacity prices for this run.") + 1
    else:
        cap = capacity.copy()
        sort_at = [(0 if _truthy(v) else 1) for v in cap.get("at_capacity", pd.Series([False] * len(cap)))]
        val = pd.to_numeric(cap["value_per_t"], errors="coerce").fillna(0.0) if "value_per_t" in cap else 0.0
        cap = cap.assign(_a=sort_at, _v=-val)
        keys = ["_a", "_v"] + [c for c in ("material", "source", "year") if c in cap.columns]
        cap = cap.sort_values(keys, kind="stable").drop(columns=["_a", "_v"])
        area = _table(ws, r, 1, cap, [
            Col("material", "material"), Col("source", "source"), Col("year", "year", YEAR),
            Col("capacity", "capacity (t)", TONNES), Col("tonnes", "tonnes (t)", TONNES),
            Col("at_capacity", "at capacity"), Col("value_per_t", f"value of +1 t capacity ({cur}/kg)", PRICE),
            Col("cost_low", f"plan optimal for unit cost from ({cur}/kg)", PRICE),
            Col("cost_high", f"plan optimal for unit cost to ({cur}/kg)", PRICE)], names, "CapacitySensitivity",
            row_fill=lambda rec: GOOD_FILL if _truthy(rec.get("at_capacity")) else None)
        r = _note(ws, area.last_row + 2, "Green rows: supplier at capacity (binding). Blank range = unknown "
                                         "or unbounded.") + 2

    r = _section(ws, r, "Demand")
    if demand.empty:
        return _note(ws, r, "No demand prices for this run.")
    area = _table(ws, r, 1, demand, [Col("material", "material"), Col("year", "year", YEAR),
                                     Col("demand", "demand (t)", TONNES),
                                     Col("marginal_cost", f"marginal cost of +1 t demand ({cur}/kg)", PRICE)],
                  names, "DemandSensitivity")
    return area.last_row + 1


def _simple_sheet(ws, result: R.RunResult, names: _Names, title: str, df, cols: list[Col], table: str,
                  empty_text: str, note: str | None = None, row_fill=None) -> None:
    df = _frame(df)
    _title(ws, title, note)
    if df.empty:
        _put(ws, 4, 1, empty_text if _has_plan(result) else _no_plan_text(result))
        ws.column_dimensions["A"].width = 90
        return
    _table(ws, 4, 1, df, cols, names, table, row_fill=row_fill)
    ws.freeze_panes = ws.cell(row=5, column=1)
    _page_setup(ws)


def _investments_sheet(ws, result, names) -> None:
    cur = result.currency or "USD"
    _simple_sheet(ws, result, names, "Investments", result.investments, [
        Col("project", "project"), Col("name", "name"), Col("material", "material"), Col("source", "source"),
        Col("capacity", "capacity (t/yr)", TONNES), Col("capex", f"capex ({cur} M)", MONEY),
        Col("built_share", "share built", SHARE), Col("first_output_year", "first output year", YEAR),
        Col("capex_year", "capex year", YEAR), Col("total_output", "total output (t)", TONNES)],
        "Investments", "No projects in the input.",
        "Capex undiscounted; share built = fraction of the project's full size chosen by the optimiser.")


def _stockpile_sheet(ws, result, names) -> None:
    def fill(rec):
        return WARN_FILL if ((_num(rec.get("shortfall")) or 0) > 1e-9 or (_num(rec.get("unmet")) or 0) > 1e-9) else None
    _simple_sheet(ws, result, names, "Stockpile", result.stockpile, [
        Col("material", "material"), Col("year", "year", YEAR), Col("opening", "opening (t)", TONNES),
        Col("purchases", "purchases (t)", TONNES), Col("project_output", "project output (t)", TONNES),
        Col("demand", "demand (t)", TONNES), Col("unmet", "unmet (t)", TONNES), Col("closing", "closing (t)", TONNES),
        Col("target", "target (t)", TONNES), Col("cover_days", "cover (days)", DAYS),
        Col("shortfall", "shortfall vs target (t)", TONNES)],
        "Stockpile", "No stockpile in this result.",
        "closing = opening + purchases + project output - (demand - unmet). Orange: unmet demand or stock "
        "below target.", row_fill=fill)


def _diagnostics_sheet(ws, result, names) -> None:
    diag = _frame(result.diagnostics)
    _title(ws, "Diagnostics", "binding constraints, slack use, warnings, checks and explanations")
    r = 4
    if diag.empty:
        _put(ws, r, 1, "No diagnostics.")
        r += 2
    else:
        kinds = {"warning": WARN_FILL}
        area = _table(ws, r, 1, diag, [Col("kind", "kind", None, 13), Col("item", "item", None, 30),
                                       Col("detail", "detail", None, 100)], names, "Diagnostics",
                      row_fill=lambda rec: kinds.get(rec.get("kind")), wrap_cols=("detail",))
        ws.freeze_panes = ws.cell(row=r + 1, column=1)
        r = area.last_row + 2
    if result.explanation:
        r = _section(ws, r, "Explanation")
        ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 13)
        for line in result.explanation:
            r = _paragraph(ws, r, line, 1, 3)
    _page_setup(ws)


def _charts_sheet(ws, result: R.RunResult, shares_ws, areas: dict) -> None:
    ws.sheet_view.showGridLines = False
    sources = []
    if "mix" in areas:
        sources.append("'Value share by bloc'" if areas["mix"][1] == "share" else "'Purchased tonnes by bloc'")
    if "china" in areas:
        sources.append("'China share vs glide path'")
    _title(ws, "Charts")
    if sources:
        _paragraph(ws, 2, "Data: sheet Shares, tables " + " and ".join(sources) + ". " + SHARE_BASIS_NOTE,
                   1, 9, font=NOTE_FONT)
    _page_setup(ws, landscape=False)
    placed = 0
    if "mix" in areas:
        area, kind = areas["mix"]
        bar = BarChart()
        bar.type = "col"
        bar.grouping = "stacked"
        bar.overlap = 100
        bar.gapWidth = 60
        bar.title = _chart_title("Sourcing mix by year (share of purchase value by bloc)" if kind == "share"
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
        _show_axes(bar)
        bar.legend.position = "b"
        bar.width, bar.height = 16, 8.5
        ws.add_chart(bar, "A4")
        placed += 1
    if "china" in areas:
        area = areas["china"]
        line = LineChart()
        line.title = _chart_title("China share vs glide path")
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
        _show_axes(line)
        line.legend.position = "b"
        line.width, line.height = 16, 8.5
        ws.add_chart(line, "A22")
        placed += 1
    if not placed:
        _put(ws, 4, 1, _no_plan_text(result) if not _has_plan(result) else "No data to chart.")
        ws.column_dimensions["A"].width = 90


def _chart_title(text: str, size: int = 1300) -> Title:
    """A chart title in a readable size (openpyxl's default renders at 18 pt)."""
    props = CharacterProperties(sz=size, b=True)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def _show_axes(chart) -> None:
    # openpyxl >= 3.1 leaves <c:delete> unset; some Excel versions then hide the axes.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


# ----------------------------------------------------------------------------- saving

class _CarriageReturnSafe:
    """Saves like the wrapped workbook, then writes carriage returns in cell text as ``&#13;``.

    openpyxl writes a CR raw into the XML, and every XML parser (Excel, LibreOffice,
    openpyxl itself) normalises a raw CR to LF on reading, so a text such as "\\r=1+1"
    would not come back unchanged.  A character reference survives.
    """

    def __init__(self, wb):
        self.wb = wb

    def save(self, filename) -> None:
        self.wb.save(filename)
        _escape_carriage_returns(filename)


def _cell_text_part(name: str) -> bool:
    return name == "xl/sharedStrings.xml" or (name.startswith("xl/worksheets/sheet") and name.endswith(".xml"))


def _escape_carriage_returns(filename) -> None:
    """Replace raw CR bytes in the parts holding cell text (openpyxl writes no CR in markup)."""
    with zipfile.ZipFile(filename) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    if not any(_cell_text_part(i.filename) and b"\r" in data for i, data in items):
        return
    with zipfile.ZipFile(filename, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if _cell_text_part(info.filename):
                data = data.replace(b"\r", b"&#13;")
            z.writestr(info, data)


def build_result_workbook(result: R.RunResult) -> Workbook:
    """The result workbook in memory (see the module docstring for the sheets)."""
    wb = Workbook()
    wb.properties.creator = "sourcing-optimizer"
    wb.properties.title = "Sourcing optimisation result"
    names = _Names()
    ws = wb.active
    ws.title = SHEETS[0]
    sheets = {SHEETS[0]: ws}
    for name in SHEETS[1:]:
        sheets[name] = wb.create_sheet(name)
    _summary(sheets["Summary"], result, names)
    _plan_sheet(sheets["Plan"], result, names)
    areas = _shares_sheet(sheets["Shares"], result, names)
    _sensitivity_sheet(sheets["Sensitivity"], result, names)
    _investments_sheet(sheets["Investments"], result, names)
    _stockpile_sheet(sheets["Stockpile"], result, names)
    _diagnostics_sheet(sheets["Diagnostics"], result, names)
    _charts_sheet(sheets["Charts"], result, sheets["Shares"], areas)
    if len(result.time_to_survive) or len(result.exposure):
        from optimizer.risk.report import add_tts_sheets
        add_tts_sheets(wb, result.time_to_survive if len(result.time_to_survive) else None,
                       result.exposure if len(result.exposure) else None,
                       ttr_from="no disruption scenarios here: the whole year is assumed (see "
                                "'sourcing risk' for scenario-based times to recover)")
    wb.active = 0
    return wb


def write_result_workbook(result: R.RunResult, path, protect: tuple = ()) -> Path:
    """Write the result workbook to ``path`` atomically; refuses to overwrite a ``protect`` path.

    Returns the resolved path written.  Raises ValueError for a protected target.
    """
    wb = build_result_workbook(result)
    return save_atomic(_CarriageReturnSafe(wb), path, protect=protect)
