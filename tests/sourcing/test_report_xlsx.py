"""The result workbook (optimizer.sourcing.report): sheets, key cells, formula injection, charts,
atomic writing, empty / infeasible results."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_to_tuple


from fake_result import EXPLANATION, fake_result, infeasible_result  # noqa: E402

from optimizer.core.solver import SOLVER_MISSING, TIME_LIMIT_FEASIBLE
from optimizer.sourcing import result as R  # noqa: E402
from optimizer.sourcing.report import SHEETS, STATUS_OK_FILL, STATUS_WARN_FILL, write_result_workbook  # noqa: E402
from optimizer.core.workbook.writer import WARN_FILL  # noqa: E402

C = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
     "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}

PAYLOADS = ['=HYPERLINK("http://x","y")', "=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1+1 tab", "\r=1+1 cr"]


# ----------------------------------------------------------------------------- helpers

def _write(tmp_path, result=None, name="result.xlsx"):
    path = write_result_workbook(result if result is not None else fake_result(), tmp_path / name)
    return path, load_workbook(path)


def _find(ws, value, col=None):
    """First cell whose value equals ``value`` (optionally in column ``col``)."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == value and (col is None or cell.column == col):
                return cell
    raise AssertionError(f"{value!r} not found on sheet {ws.title}")


def _right(ws, cell, k=1):
    return ws.cell(row=cell.row, column=cell.column + k)


def _header_map(ws, header_cell):
    """{header text: column} for the header row of the table starting at header_cell."""
    out, c = {}, header_cell.column
    while ws.cell(row=header_cell.row, column=c).value is not None:
        out[ws.cell(row=header_cell.row, column=c).value] = c
        c += 1
    return out


def _rows_below(ws, header_cell):
    cols = _header_map(ws, header_cell)
    r = header_cell.row + 1
    rows = []
    while ws.cell(row=r, column=header_cell.column).value is not None:
        rows.append({h: ws.cell(row=r, column=c) for h, c in cols.items()})
        r += 1
    return rows


def _fill(cell):
    return (cell.fill.fgColor.rgb or "")[-6:] if cell.fill and cell.fill.fill_type == "solid" else None


def _resolve(wb, ref):
    """Values of a chart reference such as 'Shares'!$H$5:$H$8 (a list, row-major)."""
    sheet, (c1, r1, c2, r2) = range_to_tuple(ref)
    ws = wb[sheet.strip("'")]
    return [ws.cell(row=r, column=c).value for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _charts(path):
    with zipfile.ZipFile(path) as z:
        return {n: ET.fromstring(z.read(n)) for n in z.namelist() if n.startswith("xl/charts/chart")}


def _series(plot):
    out = []
    for ser in plot.findall("c:ser", C):
        out.append({"tx": ser.find("c:tx/c:strRef/c:f", C).text,
                    "cat": ser.find("c:cat//c:f", C).text,
                    "val": ser.find("c:val/c:numRef/c:f", C).text})
    return out


# ----------------------------------------------------------------------------- content

def test_sheets_in_order_and_key_cells(tmp_path):
    res = fake_result()
    path, wb = _write(tmp_path, res)
    assert path == (tmp_path / "result.xlsx").resolve()
    assert wb.sheetnames == list(SHEETS)

    s = wb["Summary"]
    outcome = _right(s, _find(s, "Outcome", col=1))
    assert outcome.row == 4                                       # the first thing on the page
    assert outcome.value == "Proven optimal, but demand is not met in 1 material-year (largest: GA 2024, 2.0 t unmet)."
    assert _fill(outcome) == STATUS_WARN_FILL.fgColor.rgb[-6:]    # orange: unmet demand
    assert _right(s, _find(s, "Solver status", col=1)).value.startswith("proven optimal")
    # missed targets come before any money
    missed = _find(s, "Targets missed", col=1)
    assert missed.row < _find(s, "Money spent", col=1).row
    # money spent: the spending parts only, discounted and undiscounted
    money = _find(s, "total money spent", col=1)
    parts = res.objective_parts
    spent = parts["purchases"] + parts["holding"] + parts["capex"] + parts["project opex"]
    assert _right(s, money).value == pytest.approx(spent)
    assert _right(s, money).number_format == "#,##0.00"
    undisc = res.objective_parts_undiscounted
    assert _right(s, money, 2).value == pytest.approx(
        undisc["purchases"] + undisc["holding"] + undisc["capex"] + undisc["project opex"])
    # what is in the objective but not money, each with its meaning
    risk = _find(s, "risk charge", col=1)
    assert _right(s, risk).value == pytest.approx(1.25) and "not money paid" in _right(s, risk, 2).value
    assert _right(s, _find(s, "unmet demand penalty", col=1)).value == pytest.approx(2.0)
    obj = _right(s, _find(s, "objective minimised", col=1))
    assert "money spent + penalties + risk charge" in _right(s, obj, 1).value
    assert obj.value == pytest.approx(res.objective) and obj.value > _right(s, money).value

    p = wb["Plan"]
    rows = _rows_below(p, _find(p, "material", col=1))
    assert len(rows) == len(res.plan)
    jp = [r for r in rows if r["source"].value == "JP1" and r["year"].value == 2024 and r["material"].value == "GA"]
    assert len(jp) == 1
    assert jp[0]["tonnes (t)"].value == pytest.approx(10.0)
    assert jp[0]["cost (USD M, undiscounted)"].value == pytest.approx(4.3)
    assert jp[0]["utilisation"].value == pytest.approx(1.0)
    assert jp[0]["source name"].value == "Hokuriku Metals KK (fictional)"
    assert jp[0]["tonnes (t)"].number_format == "#,##0.0"
    assert jp[0]["utilisation"].number_format == "0.0%"
    assert jp[0]["unit cost (USD/kg)"].number_format == "#,##0.00"
    assert p.freeze_panes == "A5"

    sh = wb["Shares"]
    china = _rows_below(sh, _find(sh, "China share of demand (ALL)"))
    china = {r["China share of demand (ALL)"].offset(column=-1).value: r for r in china}
    assert china[2026]["China share of demand (ALL)"].value == pytest.approx(0.72)
    assert china[2026]["target (glide path)"].value == pytest.approx(0.72)
    assert china[2024]["target (glide path)"].value is None       # 2024 has no ALL cap
    assert china[2026]["China share of demand (ALL)"].number_format == "0.0%"


def test_green_status_when_optimal_and_all_demand_met(tmp_path):
    _, wb = _write(tmp_path, fake_result(unmet=pd.DataFrame(columns=["material", "year", "demand", "unmet",
                                                                     "unmet_share"])))
    s = wb["Summary"]
    outcome = _right(s, _find(s, "Outcome", col=1))
    assert outcome.value == "Proven optimal: all demand met and every stock target reached."
    assert _fill(outcome) == STATUS_OK_FILL.fgColor.rgb[-6:]
    none = _find(s, "none: all demand is met and every stock target is reached")
    assert none.row == _find(s, "Targets missed").row + 1


def test_time_limit_result_is_orange_even_without_unmet(tmp_path):
    res = fake_result(status=TIME_LIMIT_FEASIBLE, proven_optimal=False, unmet=pd.DataFrame(),
                      status_message="time limit reached: feasible solution, NOT proven optimal")
    _, wb = _write(tmp_path, res)
    outcome = _right(wb["Summary"], _find(wb["Summary"], "Outcome", col=1))
    assert outcome.value.startswith("Stopped at the time limit: a plan was found, but it is not proven optimal")
    assert _fill(outcome) == STATUS_WARN_FILL.fgColor.rgb[-6:]
    assert _right(wb["Summary"], _find(wb["Summary"], "Solver status", col=1)).value.startswith("time limit")


def test_summary_share_table_highlights_rows_above_target(tmp_path):
    res = fake_result()
    shares = res.shares.copy()
    i = shares.index[(shares["year"] == 2027) & (shares["scope"] == "ALL")][0]
    shares.loc[i, ["china_share", "within_target", "headroom_pp"]] = [0.70, False, -5.0]
    _, wb = _write(tmp_path, fake_result(shares=shares))
    s = wb["Summary"]
    rows = _rows_below(s, _find(s, "China share per year vs target").offset(row=1))
    by_key = {(r["year"].value, r["scope"].value): r for r in rows}
    assert by_key[(2027, "ALL")]["within target"].value == "no"
    assert by_key[(2027, "ALL")]["headroom (pp)"].value == pytest.approx(-5.0)
    assert _fill(by_key[(2027, "ALL")]["China share"]) == WARN_FILL.fgColor.rgb[-6:]
    assert _fill(by_key[(2026, "ALL")]["China share"]) is None
    assert by_key[(2026, "ALL")]["within target"].value == "yes"
    assert by_key[(2024, "ALL (uncapped)")]["within target"].value is None   # no cap, no verdict
    assert by_key[(2024, "ALL (uncapped)")]["target (max China share)"].value is None


def test_summary_unmet_explanation_and_manifest(tmp_path):
    res = fake_result()
    _, wb = _write(tmp_path, res)
    s = wb["Summary"]
    unmet = _rows_below(s, _find(s, "Targets missed").offset(row=1))
    assert [(r["target missed"].value, r["material"].value, r["year"].value) for r in unmet] == \
        [("unmet demand", "GA", 2024)]
    assert unmet[0]["missing (t)"].value == pytest.approx(2.0)
    assert _find(s, EXPLANATION).column == 1
    assert _right(s, _find(s, "input file SHA-256")).value == "ab" * 32
    assert _right(s, _find(s, "input file")).value == "/data/korea_sourcing_2024.xlsx"
    solve = _right(s, _find(s, "timing: solve (s)"))
    assert solve.value == pytest.approx(0.015)
    for key in ("timing: load (s)", "timing: validate (s)", "timing: build (s)", "timing: report (s)",
                "tool version", "backend", "solver", "scenario", "started at", "highspy", "openpyxl"):
        _find(s, key)
    with pytest.raises(AssertionError):
        _find(s, "Note on shadow prices")          # LP run: no indicative-duals note


def test_indicative_duals_note(tmp_path):
    _, wb = _write(tmp_path, fake_result(duals_indicative=True))
    _find(wb["Summary"], "Note on shadow prices")
    assert "indicative" in wb["Sensitivity"]["A2"].value


def test_plan_pivot_years_as_columns(tmp_path):
    res = fake_result()
    _, wb = _write(tmp_path, res)
    p = wb["Plan"]
    head = [c for c in p[4] if c.value == "2024 (t)"][0]
    cols = _header_map(p, p.cell(row=4, column=head.column - 4))
    assert list(cols)[:4] == ["material", "source", "source name", "bloc"]
    assert [h for h in cols if h.endswith("(t)")] == ["2024 (t)", "2025 (t)", "2026 (t)", "2027 (t)", "total (t)"]
    rows = _rows_below(p, p.cell(row=4, column=head.column - 4))
    ga_total = [r for r in rows if r["material"].value == "GA" and r["source"].value == "all sources"][0]
    assert ga_total["2024 (t)"].value == pytest.approx(58.0)          # 60 demand - 2 unmet
    assert ga_total["total (t)"].value == pytest.approx(res.plan.loc[res.plan.material == "GA", "tonnes"].sum())
    assert ga_total["2024 (t)"].font.b
    kr = [r for r in rows if r["source"].value == "KR1"][0]
    assert kr["2024 (t)"].value == 0.0 and kr["2026 (t)"].value == pytest.approx(7.0)
    # sources in bloc order china, ally, domestic within a material
    assert [r["bloc"].value for r in rows if r["material"].value == "GA"][:3] == ["china", "ally", "domestic"]


def test_plan_pivot_keeps_project_output_apart_from_purchases(tmp_path):
    res = fake_result()
    project = pd.DataFrame([{"material": "GA", "source": "KR1", "source_name": "project P-GA-REC: recovery line",
                             "bloc": "domestic", "year": y, "tonnes": 6.0, "unit_cost": 150.0, "cost": 0.9,
                             "capacity": 6.0, "min_volume": 0.0, "utilisation": 1.0} for y in (2026, 2027)])
    _, wb = _write(tmp_path, fake_result(plan=pd.concat([res.plan, project], ignore_index=True)))
    p = wb["Plan"]
    head = [c for c in p[4] if c.value == "2024 (t)"][0]
    rows = _rows_below(p, p.cell(row=4, column=head.column - 4))
    kr = {r["source name"].value: r for r in rows if r["source"].value == "KR1"}
    assert set(kr) == {"Onsan Recovery Co. (fictional)", "project P-GA-REC: recovery line"}
    assert kr["project P-GA-REC: recovery line"]["2026 (t)"].value == pytest.approx(6.0)
    assert kr["Onsan Recovery Co. (fictional)"]["2026 (t)"].value == pytest.approx(7.0)
    ga_total = [r for r in rows if r["material"].value == "GA" and r["source"].value == "all sources"][0]
    assert ga_total["2026 (t)"].value == pytest.approx(65.0 + 6.0)


def test_shares_sheet_tables(tmp_path):
    res = fake_result()
    _, wb = _write(tmp_path, res)
    sh = wb["Shares"]
    mix = _rows_below(sh, _find(sh, "value share"))
    assert len(mix) == len(res.bloc_mix)
    hdr = _find(sh, "Value share by bloc, all capped materials (ALL)").offset(row=1)
    pivot = _rows_below(sh, hdr)
    assert list(_header_map(sh, hdr)) == ["year", "china", "ally", "domestic"]
    for r in pivot:
        assert sum(r[b].value for b in ("china", "ally", "domestic")) == pytest.approx(1.0)
    full = _rows_below(sh, _find(sh, "China share per year vs target (all caps)").offset(row=1))
    assert len(full) == len(res.shares)


def test_sensitivity_sheet(tmp_path):
    res = fake_result()
    _, wb = _write(tmp_path, res)
    ws = wb["Sensitivity"]
    assert ws["A2"].value == R.SIGN_CONVENTION
    merged = [m for m in ws.merged_cells.ranges if m.min_row == 2 and m.min_col == 1]
    assert merged and merged[0].max_col >= 6 and merged[0].max_row >= 3
    assert ws["A2"].alignment.wrap_text
    caps_hdr = _find(ws, "China share caps").offset(row=1)
    assert caps_hdr.row > merged[0].max_row                        # tables below the paragraph
    caps = _rows_below(ws, caps_hdr)
    assert "shadow price (USD M per +1 pp)" in caps[0]
    by = {(r["year"].value, r["scope"].value): r for r in caps}
    assert by[(2026, "ALL")]["shadow price (USD M per +1 pp)"].value == pytest.approx(-0.3125)
    # a kink: tightening costs more than loosening saves, both shown positive
    assert by[(2027, "ALL")]["cost of 1 pp tighter (USD M)"].value == pytest.approx(0.4102)
    assert by[(2027, "ALL")]["saving of 1 pp looser (USD M)"].value == pytest.approx(0.2871)
    assert by[(2027, "ALL")]["that cost holds down to the target"].value == pytest.approx(0.61)
    # a cap that does not bind: nothing to pay for the first points of tightening
    assert by[(2025, "ALL")]["binds"].value == "no"
    assert by[(2025, "ALL")]["points of tightening at no cost (pp)"].value == pytest.approx(13.6956, rel=1e-4)
    assert "checked by re-solving" in _find(ws, "China share caps").offset(row=len(caps) + 3).value
    cap_rows = _rows_below(ws, _find(ws, "Supplier capacities (binding first)").offset(row=1))
    flags = [r["at capacity"].value for r in cap_rows]
    assert flags == sorted(flags, key=lambda f: f != "yes") and flags[0] == "yes"
    assert "value of +1 t capacity (USD/kg)" in cap_rows[0]
    assert cap_rows[0]["value of +1 t capacity (USD/kg)"].value == pytest.approx(90.0)
    dem = _rows_below(ws, _find(ws, "Demand", col=1).offset(row=1))
    assert len(dem) == len(res.demand_sensitivity)
    assert "cost of +1 t demand, all effects (USD/kg)" in dem[0]
    ga25 = [r for r in dem if (r["material"].value, r["year"].value) == ("GA", 2025)][0]
    assert ga25["cost of +1 t demand, all effects (USD/kg)"].value == pytest.approx(310.0)
    assert ga25["balance-row dual alone (USD/kg)"].value == pytest.approx(430.0)


def test_investments_stockpile_diagnostics(tmp_path):
    res = fake_result()
    _, wb = _write(tmp_path, res)
    inv = _rows_below(wb["Investments"], _find(wb["Investments"], "project"))
    assert inv[0]["capex (USD M)"].value == pytest.approx(18.0)
    assert inv[0]["first output year"].value == 2026
    assert inv[0]["share built"].number_format == "0.0%"
    st = _rows_below(wb["Stockpile"], _find(wb["Stockpile"], "material"))
    assert [r["closing (t)"].value for r in st] == pytest.approx(res.stockpile["closing"].tolist())
    assert _fill(st[0]["unmet (t)"]) == WARN_FILL.fgColor.rgb[-6:]     # 2024: unmet demand
    assert _fill(st[3]["unmet (t)"]) is None
    d = wb["Diagnostics"]
    diag = _rows_below(d, _find(d, "kind"))
    assert [r["kind"].value for r in diag] == res.diagnostics["kind"].tolist()
    assert _find(d, "Explanation").row > diag[-1]["kind"].row
    assert _find(d, EXPLANATION, col=1)


def test_no_investments_says_so(tmp_path):
    _, wb = _write(tmp_path, fake_result(investments=pd.DataFrame()))
    assert wb["Investments"]["A4"].value == "No projects in the input."
    assert not wb["Investments"].tables


def test_missing_values_and_odd_types_write_as_blanks(tmp_path):
    inv = pd.DataFrame({"project": ["P1", "P2"], "name": ["a", pd.NA], "material": ["GA", "GA"],
                        "source": ["KR1", "KR1"], "capacity": [6.0, float("nan")], "capex": [1.0, 2.0],
                        "built_share": [0.0, 1.0],
                        "first_output_year": pd.array([pd.NA, 2027], dtype="Int64"),
                        "capex_year": [None, 2026], "total_output": [0.0, float("inf")],
                        "extra_note": ["kept", "\x07bell"]})
    _, wb = _write(tmp_path, fake_result(investments=inv))
    rows = _rows_below(wb["Investments"], _find(wb["Investments"], "project"))
    assert rows[0]["first output year"].value is None
    assert rows[1]["first output year"].value == 2027
    assert rows[1]["name"].value is None and rows[1]["capacity (t/yr)"].value is None
    assert rows[1]["total output (t)"].value is None
    assert rows[0]["extra_note"].value == "kept"                      # undocumented column kept
    assert rows[1]["extra_note"].value == "\ufffdbell"                  # XML-illegal char replaced


# ----------------------------------------------------------------------------- injection

def _injection_result():
    res = fake_result()
    plan = res.plan.copy()
    names = {src: PAYLOADS[i % len(PAYLOADS)] for i, src in enumerate(sorted(plan["source"].unique()))}
    plan["source_name"] = plan["source"].map(names)
    diag = pd.DataFrame([{"kind": "warning", "item": f"item {i}", "detail": p} for i, p in enumerate(PAYLOADS)])
    manifest = dict(res.manifest, input_file=PAYLOADS[0], scenario=PAYLOADS[1])
    return fake_result(plan=plan, diagnostics=diag, explanation=list(PAYLOADS), manifest=manifest), names


def test_formula_injection_strings_stay_text(tmp_path):
    res, names = _injection_result()
    path, _ = _write(tmp_path, res)
    wb = load_workbook(path, data_only=False)
    seen = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {ws.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    seen.setdefault(cell.value, []).append(cell)
    for p in PAYLOADS:
        assert p in seen, f"{p!r} not written back unchanged"
        assert all(c.data_type == "s" for c in seen[p])
    # where each payload went
    d = wb["Diagnostics"]
    for i, p in enumerate(PAYLOADS):
        assert _right(d, _find(d, f"item {i}")).value == p
    s = wb["Summary"]
    assert _right(s, _find(s, "input file")).value == PAYLOADS[0]
    assert _right(s, _find(s, "scenario", col=1)).value == PAYLOADS[1]
    for p in PAYLOADS:                                               # explanation lines
        assert any(c.parent.title == "Summary" and c.column == 1 for c in seen[p])
    for src, name in names.items():                                  # source names, table and pivot
        assert sum(c.parent.title == "Plan" for c in seen[name]) >= 2, src


def test_no_formula_or_cr_lost_in_raw_xml(tmp_path):
    res, _ = _injection_result()
    path, _ = _write(tmp_path, res)
    text = b""
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if n.startswith("xl/worksheets/sheet") or n == "xl/sharedStrings.xml":
                part = z.read(n)
                assert b"<f>" not in part and b"<f " not in part, n
                text += part
    assert b"&#13;=1+1 cr" in text and b"\r" not in text


# ----------------------------------------------------------------------------- charts

def test_charts_reference_the_chart_data(tmp_path):
    res = fake_result()
    path, wb = _write(tmp_path, res)
    charts = _charts(path)
    bars = [c for c in charts.values() if c.find(".//c:barChart", C) is not None]
    lines = [c for c in charts.values() if c.find(".//c:lineChart", C) is not None]
    assert len(bars) == 1 and len(lines) == 1

    bar = bars[0].find(".//c:barChart", C)
    assert bar.find("c:grouping", C).get("val") == "stacked"
    assert bar.find("c:overlap", C).get("val") == "100"
    assert bar.find("c:barDir", C).get("val") == "col"
    series = _series(bar)
    alls = res.bloc_mix[res.bloc_mix["material"] == "ALL"]
    blocs = [b for b in ("china", "ally", "domestic", "other") if b in set(alls["bloc"])]
    assert len(series) == len(blocs) == 3
    for ser, bloc in zip(series, blocs):
        assert ser["tx"].startswith("'Shares'!") or ser["tx"].startswith("Shares!")
        assert _resolve(wb, ser["tx"]) == [bloc]
        assert _resolve(wb, ser["cat"]) == res.years
        expected = [alls.loc[(alls["year"] == y) & (alls["bloc"] == bloc), "share"].sum() for y in res.years]
        assert _resolve(wb, ser["val"]) == pytest.approx(expected)

    line = lines[0].find(".//c:lineChart", C)
    series = _series(line)
    assert len(series) == 2
    assert _resolve(wb, series[0]["tx"]) == ["China share of demand (ALL)"]
    assert _resolve(wb, series[1]["tx"]) == ["target (glide path)"]
    assert _resolve(wb, series[0]["cat"]) == res.years
    sh = res.shares[res.shares["scope"].isin(["ALL", "ALL (uncapped)"])].set_index("year")
    assert _resolve(wb, series[0]["val"]) == pytest.approx(sh.loc[res.years, "china_share"].tolist())
    targets = _resolve(wb, series[1]["val"])
    assert targets[0] is None and targets[1:] == pytest.approx([0.85, 0.72, 0.65])
    space = lines[0]
    assert space.find(".//c:valAx/c:numFmt", C).get("formatCode") == "0%"
    assert space.find(".//c:valAx/c:delete", C).get("val") == "0"
    assert "glide path" in "".join(t.text for t in space.find("c:chart/c:title", C).iter(f"{{{C['a']}}}t"))
    assert space.find(".//c:valAx/c:title", C) is not None and space.find(".//c:catAx/c:title", C) is not None

    # both charts sit on the Charts sheet
    with zipfile.ZipFile(path) as z:
        sheet_index = list(SHEETS).index("Charts") + 1
        rels = z.read(f"xl/worksheets/_rels/sheet{sheet_index}.xml.rels").decode()
        assert "drawing" in rels


def test_chart_falls_back_to_tonnes_without_all_rows(tmp_path):
    res = fake_result()
    mix = res.bloc_mix[res.bloc_mix["material"] != "ALL"]
    path, wb = _write(tmp_path, fake_result(bloc_mix=mix))
    bar = [c for c in _charts(path).values() if c.find(".//c:barChart", C) is not None][0]
    series = _series(bar.find(".//c:barChart", C))
    assert [_resolve(wb, s["tx"])[0] for s in series] == ["china", "ally", "domestic"]
    china = _resolve(wb, series[0]["val"])
    plan = res.plan
    assert china == pytest.approx([plan[(plan.year == y) & (plan.bloc == "china")]["tonnes"].sum() for y in res.years])


# ----------------------------------------------------------------------------- saving

def test_protected_path_is_refused_and_untouched(tmp_path):
    path, _ = _write(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="refusing to overwrite"):
        write_result_workbook(fake_result(), path, protect=(path,))
    with pytest.raises(ValueError):
        write_result_workbook(fake_result(), tmp_path / "sub" / ".." / "result.xlsx", protect=(str(path),))
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["result.xlsx"]


@pytest.mark.parametrize("existing", [False, True])
def test_failed_save_leaves_nothing_behind(tmp_path, monkeypatch, existing):
    target = tmp_path / "out.xlsx"
    if existing:
        target.write_bytes(b"previous result")

    from openpyxl.workbook.workbook import Workbook

    def broken_save(self, file):
        file.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(Workbook, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_result_workbook(fake_result(), target)
    if existing:
        assert target.read_bytes() == b"previous result"
        assert os.listdir(tmp_path) == ["out.xlsx"]
    else:
        assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("unnamed", [True, False], ids=["O_TMPFILE", "named-temp"])
@pytest.mark.parametrize("existing", [False, True])
def test_disk_full_while_writing_is_a_clear_error_and_leaves_nothing(tmp_path, monkeypatch, existing, unnamed):
    """The write to disk fails half way (as on a full disk): a usage error naming the reason, the
    previous result intact, no file left, hidden or not, with or without unnamed temp files."""
    import errno
    from optimizer.core.paths import OutputError
    from optimizer.core.workbook import writer
    target = tmp_path / "out.xlsx"
    if existing:
        target.write_bytes(b"previous result")
    if not unnamed:
        monkeypatch.delattr(writer.os, "O_TMPFILE", raising=False)
    real = writer._write_all

    def half_then_full(fd, data):
        real(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer, "_write_all", half_then_full)
    with pytest.raises(OutputError, match="the disk is full"):
        write_result_workbook(fake_result(), target)
    assert os.listdir(tmp_path) == (["out.xlsx"] if existing else [])
    if existing:
        assert target.read_bytes() == b"previous result"


# ----------------------------------------------------------------------------- empty runs

def test_infeasible_result(tmp_path):
    res = infeasible_result()
    path, wb = _write(tmp_path, res)
    assert wb.sheetnames == list(SHEETS)
    s = wb["Summary"]
    outcome = _right(s, _find(s, "Outcome", col=1))
    assert outcome.value.startswith("No plan can meet every hard rule of this workbook (infeasible)")
    assert _fill(outcome) == STATUS_WARN_FILL.fgColor.rgb[-6:]
    assert _right(s, _find(s, "Solver status", col=1)).value.startswith(res.status_message)
    for line in res.explanation:
        assert _find(s, line).column == 1
    for absent in ("Money spent", "Targets missed", "objective minimised"):
        with pytest.raises(AssertionError):
            _find(s, absent)
    for name in ("Plan", "Shares", "Investments", "Stockpile", "Charts"):
        texts = [c.value for row in wb[name].iter_rows() for c in row if isinstance(c.value, str)]
        assert any(t.startswith("No plan exists for this run") for t in texts), name
    assert not _charts(path)
    d = wb["Diagnostics"]
    assert _right(d, _find(d, "explanation")).value == "china_cap[ALL,2027]"


def test_completely_empty_result(tmp_path):
    res = R.RunResult(status=SOLVER_MISSING, status_message="solver not available", proven_optimal=False)
    path, wb = _write(tmp_path, res)
    assert wb.sheetnames == list(SHEETS)
    assert _right(wb["Summary"], _find(wb["Summary"], "Solver status", col=1)).value.startswith("solver not available")
    assert _right(wb["Summary"], _find(wb["Summary"], "Outcome", col=1)).value


# ----------------------------------------------------------------------------- structure

def test_excel_tables_are_well_formed(tmp_path):
    path, wb = _write(tmp_path)
    names = []
    for ws in wb.worksheets:
        merged = list(ws.merged_cells.ranges)
        for tab in ws.tables.values():
            name = tab.displayName
            names.append(name.lower())
            sheet, (c1, r1, c2, r2) = range_to_tuple(f"'{ws.title}'!{tab.ref}")
            headers = [ws.cell(row=r1, column=c).value for c in range(c1, c2 + 1)]
            assert all(isinstance(h, str) and h for h in headers), (name, headers)
            assert len(set(headers)) == len(headers), (name, headers)
            assert [col.name for col in tab.tableColumns] == headers
            assert r2 > r1
            for m in merged:
                assert m.max_row < r1 or m.min_row > r2 or m.max_col < c1 or m.min_col > c2, (name, m)
    assert len(names) == len(set(names)) and "plan" in names


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_opens_and_renders(tmp_path):
    path, _ = _write(tmp_path)
    profile = (tmp_path / "lo-profile").as_uri()
    proc = subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", str(tmp_path / "pdf"), str(path)],
                          capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "pdf" / "result.pdf"
    assert proc.returncode == 0, proc.stderr
    assert pdf.exists() and pdf.stat().st_size > 10_000
    assert pdf.read_bytes()[:5] == b"%PDF-"
