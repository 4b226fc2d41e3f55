"""The pool result workbook: Summary, Coalitions, Allocations (+ chart), Verdict, Plan,
Deliveries, Members, Alternatives.

Every cell is written through :func:`optimizer.core.workbook.writer.write_cell` / ``write_table``
(strings never become formulas) and the file is saved with ``save_atomic`` (temporary
file, then rename; never over the input).  Money is in the unit of the game: currency
millions for the joint model, the typed unit for a CoalitionCosts game.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from optimizer.pooling.run import METHODS, PoolResult, allocation_table, verdict_table
from optimizer.pooling.games import label
from optimizer.core.workbook.layout import sheet_title, chart_title, show_axes
from optimizer.core.workbook.writer import (GOOD_FILL, MONEY_3, NOTE_FONT, SHARE_2, TONNES, WARN_FILL, save_atomic, write_cell, write_table)




def _note(ws, row: int, text: str, col: int = 1) -> int:
    write_cell(ws, row, col, text).font = NOTE_FONT
    return row + 1


def _pairs(ws, row: int, items: list[tuple[str, object]], fmt: dict | None = None) -> int:
    fmt = fmt or {}
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 100
    for k, v in items:
        write_cell(ws, row, 1, k).font = NOTE_FONT
        write_cell(ws, row, 2, v, fmt.get(k))
        row += 1
    return row


# --------------------------------------------------------------------------- sheets
def _summary(ws, res: PoolResult) -> None:
    d, unit = res.data, res.unit
    sheet_title(ws, "Pooled procurement: coalition values and fair cost shares")
    word = "cost" if res.kind == "cost" else "savings"
    alone = res.standalone
    items = [
        ("Status", "proven optimal" if res.status == "optimal" else f"{res.status}  -- NOT every solve is proven optimal"),
        ("Analysis", "joint model (every coalition optimised)" if d.mode == "model"
         else f"typed game from the CoalitionCosts sheet ({res.data.game_kind} values)"),
        ("Members (player order)", ", ".join(f"{m} ({d.member_names.get(m, m)})" for m in res.members)),
        ("Unit", unit),
    ]
    if res.kind == "cost" and alone is not None:
        grand = res.grand
        items += [("Pooled cost c(N)", grand)]
        if res.grand_money is not None:
            items += [("  of which money spent", res.grand_money),
                      ("  of which unmet-demand penalty (not money)", res.grand_penalty)]
        items += [("Sum of stand-alone costs", float(alone.sum())),
                  ("Savings from pooling", float(alone.sum()) - grand),
                  ("Savings, % of stand-alone", (float(alone.sum()) - grand) / float(alone.sum())
                   if alone.sum() else None)]
    elif alone is not None:
        items += [("Grand-coalition savings v(N)", -res.grand)]
    if res.least_core_epsilon is not None:
        eps = res.least_core_epsilon
        items.append(("Core", f"non-empty: every coalition can be left at least {-eps:,.6g} better off than "
                      "alone (least-core value)" if eps <= 0 else
                      f"EMPTY: some coalition always gains; the least core needs a subsidy of {eps:,.6g} "
                      "per coalition"))
    if res.concave is not None:
        items.append(("Game shape", "concave (submodular costs): Shapley value and nucleolus are in the core"
                      if res.concave else "not concave: the Shapley value may fall outside the core"))
    items.append(("Shapley value", res.shapley_text))
    if res.nucleolus_note:
        items.append(("Nucleolus", res.nucleolus_note))
    for k, why in res.unavailable.items():
        items.append((METHODS.get(k, k), why))
    if "proposed" in res.checks:
        items.append(("Proposed split", res.checks["proposed"].text()))
    for i, n in enumerate(res.notes, start=1):
        items.append((f"Note {i}", n))
    if d.mode == "model" and res.table is not None:
        items += [("Model", "MILP (integer tier and lot decisions)" if res.mip else "LP"),
                  ("Coalitions solved", f"{res.table.solves:,} solves in {res.table.seconds:.3f} s "
                   "(one built model, bounds changed per coalition)")]
    items += [("Input file", d.source_file), ("Input SHA-256", d.source_sha256),
              ("Written at (UTC)", _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()),
              ("Timings (s)", ", ".join(f"{k} {v:.3f}" for k, v in res.timings.items()))]
    fmt = {k: MONEY_3 for k in ("Pooled cost c(N)", "  of which money spent", "  of which unmet-demand penalty (not money)",
                                "Sum of stand-alone costs", "Savings from pooling",
                               "Grand-coalition savings v(N)")}
    fmt["Savings, % of stand-alone"] = SHARE_2
    r = _pairs(ws, 3, items, fmt)
    _note(ws, r + 1, f"All allocations are {word} shares in {unit}. A coalition 'blocks' a split when its "
                     "members together would pay less on their own than the split charges them.")


def _coalitions(ws, res: PoolResult) -> None:
    sheet_title(ws, "Coalition values: every group's optimal cost when it buys on its own")
    if res.table is not None:
        frame = pd.DataFrame(res.table.rows()).drop(columns="mask")
        headers = {"coalition": "coalition", "size": "members", "cost": f"cost c(S) ({res.unit})",
                   "standalone_sum": "sum of members' stand-alone costs", "savings": "savings",
                   "savings_pct": "savings %", "status": "status", "unmet_t": "unmet demand (t)"}
        fmts = {"cost": MONEY_3, "standalone_sum": MONEY_3, "savings": MONEY_3, "savings_pct": SHARE_2, "unmet_t": TONNES}
    else:
        g = res.game
        alone = g.standalone()
        rows = []
        for m in range(1, 2 ** g.n):
            ids = [i for i in range(g.n) if m >> i & 1]
            rows.append({"coalition": label(m, g.players), "size": len(ids),
                         "value": res.shown(g.cost[m]), "standalone_sum": res.shown(alone[ids].sum()),
                         "savings": alone[ids].sum() - g.cost[m]})
        frame = pd.DataFrame(rows)
        headers = {"coalition": "coalition", "size": "members",
                   "value": "cost c(S)" if res.kind == "cost" else "savings v(S)",
                   "standalone_sum": "sum of singletons", "savings": "gain over singletons"}
        fmts = {"value": MONEY_3, "standalone_sum": MONEY_3, "savings": MONEY_3}
    write_table(ws, 3, frame, formats=fmts, headers=headers, widths={"coalition": 28})


def _allocations(ws, res: PoolResult) -> None:
    word = "cost share" if res.kind == "cost" else "share of savings"
    sheet_title(ws, f"Allocations side by side ({word}, {res.unit})")
    table = allocation_table(res)
    methods = [c for c in table.columns if c in METHODS]
    headers = {"member": "member", "standalone": "stand-alone " + ("cost" if res.kind == "cost" else "value"),
               **METHODS}
    last = write_table(ws, 3, table, formats={c: MONEY_3 for c in table.columns if c != "member"},
                       headers=headers, widths={c: 18 for c in table.columns})
    r = last + 1
    write_cell(ws, r, 1, "total").font = NOTE_FONT
    for j, c in enumerate(table.columns[1:], start=2):
        write_cell(ws, r, j, float(np.nansum(table[c])), MONEY_3)
    checks = {"in the core?": lambda ck: "yes" if ck.in_core else "NO",
              "blocking coalition": lambda ck: ck.blocking or ("" if ck.efficiency_gap == 0 else "(does not add up)"),
              "its gain by leaving": lambda ck: ck.gain if ck.blocking else None}
    for name, f in checks.items():
        r += 1
        write_cell(ws, r, 1, name).font = NOTE_FONT
        for j, c in enumerate(table.columns[1:], start=2):
            ck = res.checks.get(c)
            if ck is not None:
                cell = write_cell(ws, r, j, f(ck), MONEY_3 if name == "its gain by leaving" else None)
                if name == "in the core?":
                    cell.fill = GOOD_FILL if ck.in_core else WARN_FILL
    # savings per member (what the chart shows: differences are invisible on total costs)
    r += 2
    _note(ws, r, "Savings per member under each method (stand-alone minus share)" if res.kind == "cost"
          else "Savings per member under each method")
    sav = pd.DataFrame({"member": table["member"]})
    for c in methods:
        sav[c] = (table["standalone"] - table[c]) if res.kind == "cost" else table[c]
    top = r + 1
    last = write_table(ws, top, sav, formats={c: MONEY_3 for c in methods}, headers=METHODS)
    r = last + 2
    for k, why in res.unavailable.items():
        r = _note(ws, r, f"{METHODS.get(k, k)}: {why}")
    if res.shapley_half_width is not None:
        r = _note(ws, r, res.shapley_text + " Half-widths: " + ", ".join(
            f"{m} +/- {h:,.4g}" for m, h in zip(res.members, res.shapley_half_width)))
    ws.freeze_panes = None
    shown = _chart_methods(sav, methods)
    left_out = [METHODS[c] for c in methods if c not in shown]
    if left_out:
        r = _note(ws, r, "Left out of the chart (its savings are far larger in size than the others' and would "
                         "hide them): " + ", ".join(left_out))
    if shown:
        bar = BarChart()
        bar.type = "col"
        bar.grouping = "clustered"
        bar.title = chart_title("Savings per member by allocation method" if res.kind == "cost"
                                 else "Share of savings per member by allocation method")
        for c in shown:
            j = 2 + methods.index(c)
            bar.add_data(Reference(ws, min_col=j, max_col=j, min_row=top, max_row=top + len(sav)),
                         titles_from_data=True)
        cats = Reference(ws, min_col=1, min_row=top + 1, max_row=top + len(sav))
        bar.set_categories(cats)
        bar.y_axis.title = res.unit
        bar.x_axis.title = "member"
        show_axes(bar)
        bar.legend.position = "b"
        bar.width, bar.height = 18, 9
        ws.add_chart(bar, f"A{r + 2}")


def _chart_methods(sav: pd.DataFrame, methods: list[str], factor: float = 5.0) -> list[str]:
    """Methods to chart: those whose largest |saving| is within ``factor`` x the median of the
    methods' largest |saving| (one absurd method would otherwise flatten every other bar)."""
    size = {c: float(np.nanmax(np.abs(sav[c].to_numpy(dtype=float)))) if len(sav) else 0.0 for c in methods}
    if not size:
        return []
    med = float(np.median(list(size.values())))
    return [c for c in methods if med == 0 or size[c] <= factor * med]


def _verdict(ws, res: PoolResult) -> None:
    sheet_title(ws, "Proposed split: does it hold?")
    v = verdict_table(res)
    if v.empty:
        _note(ws, 3, "No ProposedSplit sheet in the input: add one row per member with its share of the pooled "
                     "cost or of the savings to get a verdict.")
        return
    kind = "share of pooled cost" if res.data.split_kind == "cost" else "share of savings"
    word = "pays" if res.kind == "cost" else "gets"
    last = write_table(ws, 3, v, formats={"share": SHARE_2, "pays": MONEY_3, "standalone": MONEY_3, "saving": MONEY_3,
                                          "saving_pct": SHARE_2},
                       headers={"member": "member", "share": kind, "pays": f"{word} under the split",
                                "standalone": "stand-alone", "saving": "saving vs alone",
                                "saving_pct": "saving %", "better_off": "better off than alone?"})
    ck = res.checks.get("proposed")
    r = last + 2
    if ck is None:
        _note(ws, r, "Core check not available (the coalition table is sampled).")
        return
    cell = write_cell(ws, r, 1, ck.text())
    cell.fill = GOOD_FILL if ck.in_core else WARN_FILL
    r += 2
    game, x = res.game, res.allocations["proposed"]
    rows = []
    for m in range(1, game.full):
        ids = [i for i in range(game.n) if m >> i & 1]
        excess = game.cost[m] - float(x[ids].sum())
        rows.append({"coalition": label(m, game.players), "charged": res.shown(float(x[ids].sum())),
                     "alone": res.shown(game.cost[m]), "gain_by_leaving": max(0.0, -excess)})
    frame = pd.DataFrame(rows).sort_values("gain_by_leaving", ascending=False)
    _note(ws, r, "Every coalition: what the split charges its members together vs what they would pay alone")
    write_table(ws, r + 1, frame, formats={"charged": MONEY_3, "alone": MONEY_3, "gain_by_leaving": MONEY_3},
                headers={"coalition": "coalition", "charged": "charged by the split", "alone": "cost alone c(S)",
                         "gain_by_leaving": "gain by leaving"}, widths={"coalition": 28})


def _frame_sheet(ws, title: str, frame: pd.DataFrame, formats: dict, headers: dict, note: str = "") -> None:
    sheet_title(ws, title)
    r = 2
    if note:
        r = _note(ws, r, note)
    if frame is None or frame.empty:
        _note(ws, r + 1, "(nothing to show)")
        return
    write_table(ws, r + 1, frame, formats=formats, headers=headers)


def _plan_sheets(wb, res: PoolResult) -> None:
    if not res.plan:
        return
    cur = res.data.settings.currency
    p = res.plan["pooled"].copy()
    p["tier_max"] = p["tier_max"].where(np.isfinite(p["tier_max"]), None)
    _frame_sheet(wb.create_sheet("Plan"), "Joint plan: what the pool buys", p,
                 {"tier_min": TONNES, "tier_max": TONNES, "unit_price": "#,##0.00", "min_lot": TONNES,
                  "tonnes": TONNES, "cost": MONEY_3},
                 {"offer": "offer", "tier": "tier bought", "tier_min": "tier min (t)", "tier_max": "tier max (t)",
                  "unit_price": f"unit price ({cur}/kg)", "min_lot": "minimum lot (t)", "source": "source",
                  "material": "material", "year": "year", "tonnes": "tonnes", "cost": f"cost ({cur} M)"},
                 note=("Duals are indicative only: the model is a MILP (integers fixed, LP re-solved)."
                       if res.mip else "The joint model is an LP."))
    _frame_sheet(wb.create_sheet("Deliveries"), "Who receives what (pooled and own purchases)",
                 res.plan["deliveries"],
                 {"tonnes": TONNES, "unit_price": "#,##0.00", "cost": MONEY_3},
                 {"member": "member", "channel": "channel", "source": "source", "material": "material",
                  "year": "year", "tonnes": "tonnes", "unit_price": f"unit price ({cur}/kg)",
                  "cost": f"cost ({cur} M)"},
                 note="Pooled tonnes are valued at the offer's cost per delivered tonne: the chosen tier's price "
                      "(all-units), raised when surplus was bought to reach a lot or tier.")
    _frame_sheet(wb.create_sheet("Members"), "Each member's demand, receipts and China share",
                 res.plan["members"],
                 {"demand": TONNES, "received": TONNES, "china_tonnes": TONNES, "unmet": TONNES,
                  "china_share": SHARE_2, "max_china_share": SHARE_2},
                 {"member": "member", "material": "material", "year": "year", "demand": "demand (t)",
                  "received": "received (t)", "china_tonnes": "from China (t)", "unmet": "unmet (t)",
                  "china_share": "China share", "max_china_share": "China cap"})
    caps = res.plan.get("caps")
    if caps is not None and len(caps):
        _frame_sheet(wb.create_sheet("StageCaps"), "Caps at a processing stage, on look-through or on any country",
                     caps, {"demand": TONNES, "held_tonnes": TONNES, "share": SHARE_2, "max_china_share": SHARE_2},
                     {"member": "member", "material": "material", "year": "year", "country": "country",
                      "stage": "measured at", "demand": "demand (t)", "held_tonnes": "content held (t)",
                      "share": "share of demand", "max_china_share": "cap"},
                     note="Content held = tonnes received x the country's share of that stage of the product "
                          "(Origins sheet; a stage without rows happened where the source is; direct = the "
                          "source's own country); look-through = the largest stage share, product by product. "
                          "country 'china' = CN and the china_sources; ANY rows give one line per country.")


def _alternatives(wb, res: PoolResult) -> None:
    if res.data.mode != "model":
        return
    ws = wb.create_sheet("Alternatives")
    a = res.alternatives
    slack = res.data.settings.mga_slack
    sheet_title(ws, "Near-optimal alternatives (modelling to generate alternatives)")
    r = _note(ws, 2, f"Plans costing at most {slack:.1%} more than the optimum that push one measure as low or as "
                     "high as possible: the range of each measure is the room negotiators have.")
    if a.empty:
        _note(ws, r + 1, "None computed (mga_slack is 0 or the grand coalition has no optimal plan).")
        return
    fm = {c: MONEY_3 for c in a.columns if c.startswith("spend with")}
    fm.update({c: TONNES for c in a.columns if c.startswith("pooled tonnes")})
    fm.update({"value": "#,##0.000", "total_cost": MONEY_3, "above_optimum": SHARE_2, "distance_t": TONNES})
    write_table(ws, r + 1, a, formats=fm, headers={"total_cost": f"total cost ({res.unit})",
                                                    "above_optimum": "above optimum",
                                                    "distance_t": "distance from optimum (t)"},
                widths={"direction": 24})


def build_pool_workbook(res: PoolResult) -> Workbook:
    wb = Workbook()
    wb.properties.creator = "sourcing-optimizer"
    wb.properties.title = "Pooled procurement result"
    ws = wb.active
    ws.title = "Summary"
    _summary(ws, res)
    if res.game is not None or res.table is not None:
        _coalitions(wb.create_sheet("Coalitions"), res)
    if res.standalone is not None:
        _allocations(wb.create_sheet("Allocations"), res)
        _verdict(wb.create_sheet("Verdict"), res)
    _plan_sheets(wb, res)
    _alternatives(wb, res)
    wb.active = 0
    return wb


def write_pool_result(res: PoolResult, path, protect: tuple = ()) -> Path:
    """Write the result workbook atomically; refuses to overwrite a ``protect`` path."""
    return save_atomic(build_pool_workbook(res), path, protect=protect)
