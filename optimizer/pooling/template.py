"""Write pool workbooks: the empty documented template and filled ones (sample, tests).

``write_pool_workbook(path, tables)``: ``tables`` maps a sheet name of
:mod:`optimizer.pooling.schema` to a DataFrame or list of dicts keyed by the schema
column keys; Settings may be a dict ``{setting: value}``.  Headers, comments, number
formats and drop-down validation come from the schema, as for the main workbook.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from optimizer.core.workbook.template import table_rows, write_readme, write_sheet
from optimizer.core.workbook.writer import save_atomic
from optimizer.pooling import schema as P

USAGE = [
    ("What it does", "Pooled procurement: the pool's optimal joint purchase, what each member would pay "
                     "alone and in every sub-coalition, fair splits of the pooled cost (proportional, "
                     "Shapley, nucleolus, least core, Owen dual prices) and whether a proposed split is in "
                     "the core (no member or group would do better alone)."),
    ("Run", "sourcing pool FILE -o result.xlsx        (add --game to analyse the CoalitionCosts sheet "
            "instead of optimising; --mga-slack 0.03 for plans within 3 % of the optimum)"),
    ("Joint model", "Fill Settings (first_year, last_year), Members, MemberDemand, PooledOffers and/or "
                    "StandaloneOffers; optionally MemberPolicy (China caps) and ProposedSplit."),
    ("Typed game", "Fill CoalitionCosts (one row per coalition, e.g. KR+JP | cost), optionally Members, "
                   "ProposedSplit and the 'members' setting for the order."),
    ("Units", "Masses in tonnes (t); prices in currency per kg; results in currency millions. "
              "Shares as fractions or percent-formatted cells (50 % = 0.5)."),
    ("Data honesty", "Each data row has a 'basis' column: reference ids from the Sources sheet, or 'A' "
                     "(assumption) with a reason."),
]


def write_pool_workbook(path, tables: dict | None = None, protect: tuple = ()) -> Path:
    """Write a documented pool workbook (an empty template when ``tables`` is None)."""
    tables = tables or {}
    unknown = set(tables) - set(P.SHEET_BY_NAME)
    if unknown:
        raise ValueError(f"unknown sheet(s): {sorted(unknown)}")
    wb = Workbook()
    write_readme(wb.active, "Sourcing optimizer: pooled procurement workbook", USAGE,
                 [(sh, "") for sh in P.POOL_SHEETS], P.SETTING_SPECS, list_choices=False)
    for sheet in P.POOL_SHEETS:
        ws = wb.create_sheet(sheet.name)
        rows = table_rows(tables.get(sheet.name))
        if sheet is P.SETTINGS:
            given = {r["setting"]: r for r in rows}
            rows = [{"setting": s.name, "notes": s.doc,
                     "value": given.get(s.name, {}).get("value", "" if s.default is None else s.default)}
                    for s in P.SETTING_SPECS]
        write_sheet(ws, sheet, rows, validate=sheet is not P.SETTINGS)
        if sheet is P.SETTINGS:
            ws.column_dimensions["B"].width = 18
    return save_atomic(wb, path, protect=protect)
