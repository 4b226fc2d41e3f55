"""Build inputs/korea_2025_2030_monthly_risk.xlsx: the risk sample planned month by month
(``periods_per_year`` = 12) over 2025-2030, its disruptions placed in the months the export-control
timeline gives them.

    python inputs/build_monthly_risk_sample.py

A COPY of inputs/korea_2024_2030_risk.xlsx (build that first) with:

* Settings: first_year 2025 (the 2024 rows of Supply, Demand, Policy, Stockpile and Budget are
  left out; the opening stock is then the stock at the start of 2025, an assumption: RM3),
  periods_per_year 12;
* Disruptions: every event with its start month (the sourced timeline, data-facts section 2:
  TL2023 1 Aug, TL2025A 4 Apr, TL2025O 10 Nov, TL2010 September, C9 the December quarter) or, where
  the timeline gives none, an assumed one (RM1); the 6-month 2010-style embargo from September is
  split at the year end into 4 months of 2027 and 2 of 2028 (RM2); the three licensing shocks get
  a 2-month licence delay (nothing delivered while licences are pending, TL2023) and lose 40 % in
  their third month, the risk sample's own derivation of its 0.767.  Other depths, durations and
  the probabilities are those of the risk sample (its builder documents them).
"""
from __future__ import annotations

import sys
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optimizer.core.workbook.writer import save_atomic, write_cell  # noqa: E402
from optimizer.risk.schema import DISRUPTIONS  # noqa: E402

RISK = ROOT / "inputs" / "korea_2024_2030_risk.xlsx"
OUT = ROOT / "inputs" / "korea_2025_2030_monthly_risk.xlsx"

# event -> (start month, basis added); 11.33 = 10 November
START = {
    "GA_SHOCK": (8, "TL2023 (1 Aug)"),
    "DYTB_SHOCK": (4, "TL2025A (4 Apr)"),
    "MAG_SHOCK": (4, "TL2025A (4 Apr; May low K14)"),
    "KR_BAN": (1, "12 months: the whole window year"),
    "MYANMAR": (1, "RM1"),
    "LYNAS": (10, "C9 (the December quarter)"),
}
# the licensing shocks (S1 analogues): about 2 months near zero while licences are pending, then
# x0.6 (the risk sample's SHOCK = (2 x 0.95 + 0.4) / 3 spread over 3 months; here as a lag)
LICENSING = {"GA_SHOCK", "DYTB_SHOCK", "MAG_SHOCK"}
LAG_MONTHS, AFTER_LAG_LOST = 2, 0.4
OCT25_START = {2026: (11.33, "TL2025O (10 Nov 2026)"), 2027: (1, "TL2025O (to 10 Nov 2027)")}
EXTRA_SOURCES = [
    ("RM1", "Start month of a disruption the timeline dates to no month (Myanmar feed): assumed January "
            "of its year, so its 6 months fall in one year", "", "A", "-", "assumption"),
    ("RM2", "The 6-month 2010-style embargo starts in September (TL2010: Sep-Nov 2010) and is split at "
            "the year end: 4 months of 2027, 2 of 2028 (a Disruptions row covers one year)", "4 + 2 months",
            "A", "-", "assumption"),
    ("RM3", "Monthly sample over 2025-2030: the opening stock of the 2024 sample is taken as the stock "
            "at the start of 2025; demand and domestic output run evenly over each year", "", "A", "-",
            "assumption"),
]


def _set_setting(ws, name, value, note):
    for row in ws.iter_rows(min_row=2):
        if row[0].value == name:
            row[1].value, row[2].value = value, note
            return
    r = ws.max_row + 1
    for j, v in enumerate((name, value, note), start=1):
        write_cell(ws, r, j, v)


def build(out: Path = OUT) -> Path:
    wb = openpyxl.load_workbook(RISK)
    st = wb["Settings"]
    _set_setting(st, "first_year", 2025, "RM3: the monthly sample runs 2025-2030 (data-facts timeline)")
    _set_setting(st, "periods_per_year", 12, "months: stock, deliveries and disruptions per month (RM3)")
    for name in ("Supply", "Demand", "Policy", "Stockpile", "Budget"):   # 2024 is outside the horizon
        sh = wb[name]
        yc = next(j for j, c in enumerate(sh[1]) if str(c.value).startswith("year"))
        for r in range(sh.max_row, 1, -1):
            if sh.cell(r, yc + 1).value == 2024:
                sh.delete_rows(r)
    ws = wb[DISRUPTIONS.name]
    head = [c.value for c in ws[1]]
    col = {c.key: head.index(c.header) + 1 for c in DISRUPTIONS.columns if c.header in head}
    for key in ("start_month", "licence_delay"):         # a risk sample built before the columns existed
        if key not in col:
            spec = next(c for c in DISRUPTIONS.columns if c.key == key)
            col[key] = ws.max_column + 1
            ws.cell(1, col[key]).value = spec.header
            ws.cell(1, col[key])._style = ws.cell(1, col[key] - 1)._style
    rows = list(ws.iter_rows(min_row=2))
    extra = []
    for row in rows:
        get = lambda k: row[col[k] - 1].value           # noqa: E731
        event, year = get("event"), get("year")
        if event is None:
            continue
        if event == "OCT25":
            start, why = OCT25_START[int(year)]
        elif event == "EMBARGO":
            start, why = 9, "TL2010 (September); RM2"
            extra.append([c.value for c in row])
            row[col["months"] - 1].value = 4
        else:
            start, why = START[event]
        row[col["start_month"] - 1].value = start
        basis = row[col["basis"] - 1]
        basis.value = f"{basis.value}; start: {why}"
        if event in LICENSING:
            row[col["licence_delay"] - 1].value = LAG_MONTHS
            row[col["fraction_lost"] - 1].value = AFTER_LAG_LOST
            basis.value += "; licence delay 2 months (TL2023: exports about 0 in Aug-Sep 2023), then x0.6"
    for values in extra:                                # the embargo's January-February 2028
        r = ws.max_row + 1
        for j, v in enumerate(values, start=1):
            write_cell(ws, r, j, v)
        ws.cell(r, col["year"]).value = 2028
        ws.cell(r, col["months"]).value = 2
        ws.cell(r, col["start_month"]).value = 1
        ws.cell(r, col["basis"]).value = "TL2010; DF37; start: January 2028, the rest of the 6 months (RM2)"
    src = wb["Sources"]
    have = {r[0] for r in src.iter_rows(min_row=2, values_only=True)}
    r = src.max_row + 1
    for rec in EXTRA_SOURCES:
        if rec[0] not in have:
            for j, v in enumerate(rec, start=1):
                write_cell(src, r, j, v)
            r += 1
    return save_atomic(wb, out, protect=(RISK,))


if __name__ == "__main__":
    print(f"written: {build()}")
