"""Build inputs/korea_2024_2030_risk.xlsx: a COPY of the main sample plus the
RiskScenarios and Disruptions sheets read by ``sourcing risk``.

    python inputs/build_risk_sample.py

Events are drawn from the real 2023-2026 Chinese export-control timeline
(data-facts.md section 2 and the scenario proposal of section 3.7).  Durations and
depths follow the observed episodes (S); the scenario PROBABILITIES are assumptions (A):
the marginal annual probabilities of section 3.7 were turned into mutually exclusive
scenarios for one disruption window (late 2026 - 2027) that sum to 1.  Every row's
basis names its Sources ids; missing ids are appended to the Sources sheet.
"""
from __future__ import annotations

import sys
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optimizer.risk.schema import DISRUPTIONS, RISK_SCENARIOS  # noqa: E402
from optimizer.core.workbook.writer import save_atomic, write_cell, write_header  # noqa: E402

MAIN = ROOT / "inputs" / "korea_2024_2030.xlsx"
OUT = ROOT / "inputs" / "korea_2024_2030_risk.xlsx"

# S1 analogue: 3 months, 2 at x0.05 and 1 at x0.6  ->  loss (2*0.95 + 0.4)/3 = 0.767 over 3 months
SHOCK = round((2 * 0.95 + 0.4) / 3, 3)
EXTRA_SOURCES = [
    ("TL2010", "Sep-Nov 2010: de facto rare-earth export halt to Japan (Senkaku); about 2 months; "
               "international prices up to 9x", "≈2 months; up to 9x", "S", "B",
     "https://biz.chosun.com/en/en-industry/2025/12/10/ZZ42T3466BGNBN24GBSUM3T5K4/?outputType=amp"),
    ("P12", "SMM: within a month of the 4 Apr 2025 controls Europe Dy oxide nearly tripled, Tb more "
            "than doubled", "~3x / ~2x", "S", "B",
     "https://news.metal.com/newscontent/103310477/Dysprosium-and-Terbium-Supplies-Are-Tight-Overseas,-"
     "Price-Spread-Between-Rare-Earths-at-Home-and-Abroad-Widens-[[SMM-Analysis]]"),
    ("P14", "Gallium 99.99% Rotterdam: $250-265 (Jun 2023) to $500-600 (Dec 2023), +114% after the "
            "Aug 2023 licensing", "+114%", "S", "B",
     "https://fastmarkets.com/insights/a-make-or-break-year-for-non-chinese-gallium-market-2024-preview"),
    ("W17", "China's rare-earth imports from Myanmar -31.6% (Jan-Nov 2024) after the KIA seized a "
            "mining hub", "-31.6%", "S", "B",
     "https://newsfromrss.com/chinas-rare-earth-exports-in-2024-climb-as-home-demand-limited"),
    ("RA1", "Scenario probabilities: assumption. data-facts 3.7 annual probabilities (S1 0.35, S2 0.05, "
            "S3 0.30, S4 0.25, S5 0.15, S6 0.02) made mutually exclusive for one 2026-27 window, "
            "S1 split over Ga / DyTb / magnets, one S1+S3 combination; they sum to 1", "", "A", "-", ""),
    ("RA2", "Base spot premium: spot purchases cost 1.2x the contract price when nothing is disrupted "
            "(assumption)", "1.2x", "A", "-", ""),
]

# event, source, material, year, months, fraction lost, spot multiplier, description, basis
EVENTS = [
    ("GA_SHOCK", "CN", "GA", 2027, 3, SHOCK, 2.5, "new Ga licensing shock (Aug 2023 analogue)", "TL2023; P14; DF37"),
    ("DYTB_SHOCK", "CN", "DYTB", 2027, 3, SHOCK, 3.0, "Dy/Tb licensing shock (Apr 2025 analogue)", "TL2025A; P12; DF37"),
    ("MAG_SHOCK", "CN", "MAG", 2027, 3, SHOCK, 2.5, "magnet licensing shock (May 2025 analogue)", "TL2025A; K14; DF37"),
    ("KR_BAN", "CN", "GA", 2027, 12, 1.0, 3.0, "Korea-targeted ban: Ga stopped", "TL2024; TL2026; DF37"),
    ("KR_BAN", "CN", "GE", 2027, 12, 1.0, 3.0, "Korea-targeted ban: Ge stopped", "TL2024; TL2026; DF37"),
    ("KR_BAN", "CN", "DYTB", 2027, 12, 0.7, 3.0, "Korea-targeted ban: Dy/Tb x0.3", "TL2024; TL2026; DF37"),
    ("KR_BAN", "CN", "MAG", 2027, 12, 0.7, 3.0, "Korea-targeted ban: magnets x0.3", "TL2024; TL2026; DF37"),
]
OCT25 = ("OCT25", "the Oct-2025 package reactivates after 10 Nov 2026: x0.7 on Chinese-separated content, "
         "whoever sells it (the 0.1 % rule)", "TL2025O; DF37; A26")
# content-based (country CN at the refining stage): hits China's own offers and the Chinese-separated
# share of Japanese, Philippine, Vietnamese, Estonian and Belgian products alike (Origins sheet)
CONTENT_EVENTS = [(OCT25[0], "ALL", "ALL", 2026, 1.7, 0.3, 1.75, OCT25[1], OCT25[2], "CN", "refining"),
                  (OCT25[0], "ALL", "ALL", 2027, 10.3, 0.3, 1.75, OCT25[1], OCT25[2], "CN", "refining")]
EVENTS += [
    ("MYANMAR", "CN", "DYTB", 2027, 6, 0.2, 1.3, "Myanmar heavy-rare-earth feed disruption", "W17; DF37"),
    ("LYNAS", "AUMY", "ALL", 2027, 3, 0.3, 1.1, "ally plant outage (Lynas Dec-Q 2025 analogue)", "C9; DF37"),
    ("EMBARGO", "CN", "ALL", 2027, 6, 1.0, 5.0, "2010-style full embargo to Korea", "TL2010; DF37"),
]

# scenario, probability, events, base spot multiplier, description, basis
SCENARIOS = [
    ("baseline", 0.20, "", 1.2, "Aug-2023 and Apr-2025 licensing stay in force, no new shock", "RA1; RA2"),
    ("ga_shock", 0.10, "GA_SHOCK", 1.2, "S1 on gallium", "RA1; RA2"),
    ("dytb_shock", 0.10, "DYTB_SHOCK", 1.2, "S1 on Dy/Tb", "RA1; RA2"),
    ("mag_shock", 0.08, "MAG_SHOCK", 1.2, "S1 on magnets", "RA1; RA2"),
    ("kr_ban", 0.05, "KR_BAN", 1.2, "S2 Korea-targeted ban, 12 months", "RA1; RA2"),
    ("oct25_reactivation", 0.20, "OCT25", 1.2, "S3 Oct-2025 package from Nov 2026", "RA1; RA2"),
    ("oct25_and_dytb", 0.07, "OCT25, DYTB_SHOCK", 1.2, "S3 with an S1 Dy/Tb shock", "RA1; RA2"),
    ("myanmar", 0.10, "MYANMAR", 1.2, "S4 Myanmar feed disruption", "RA1; RA2"),
    ("lynas_outage", 0.08, "LYNAS", 1.2, "S5 ally plant outage", "RA1; RA2"),
    ("embargo", 0.02, "EMBARGO", 1.2, "S6 2010-style embargo, 6 months", "RA1; RA2"),
]


def _sheet(wb, decl, rows, keys):
    """Rows are tuples in the order of ``keys`` (column keys); other columns are left blank."""
    ws = wb.create_sheet(decl.name)
    write_header(ws, 1, decl.headers, [c.doc for c in decl.columns], [c.width for c in decl.columns])
    col = {c.key: j for j, c in enumerate(decl.columns, start=1)}
    for r, row in enumerate(rows, start=2):
        for k, v in zip(keys, row):
            write_cell(ws, r, col[k], v)


def build(out: Path = OUT) -> Path:
    assert abs(sum(s[1] for s in SCENARIOS) - 1.0) < 1e-9
    wb = openpyxl.load_workbook(MAIN)
    _sheet(wb, RISK_SCENARIOS, SCENARIOS, ("scenario", "probability", "events", "base_spot_multiplier",
                                           "description", "basis"))
    keys = ("event", "source", "material", "year", "months", "fraction_lost", "spot_multiplier", "description",
            "basis", "country", "stage")
    _sheet(wb, DISRUPTIONS, EVENTS + CONTENT_EVENTS, keys)
    src = wb["Sources"]
    have = {r[0] for r in src.iter_rows(min_row=2, values_only=True)}
    row = src.max_row + 1
    for rec in EXTRA_SOURCES:
        if rec[0] in have:
            continue
        for j, v in enumerate(rec, start=1):
            write_cell(src, row, j, v)
        row += 1
    return save_atomic(wb, out, protect=(MAIN,))


if __name__ == "__main__":
    print(f"written: {build()}")
