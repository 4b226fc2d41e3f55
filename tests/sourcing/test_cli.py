"""The command line as a user meets it: template -> fill -> validate -> solve, and the
bundled sample; bad input gives cell-addressed errors and a non-zero exit, never a
traceback; the input file is never modified."""
import hashlib
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from optimizer.cli import main
from optimizer.sourcing.template import write_input_workbook

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "inputs" / "korea_2024_2030.xlsx"


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def small_tables():
    return {
        "Settings": {"first_year": 2025, "last_year": 2027, "currency": "USD", "risk_weight": 0.1},
        "Materials": [{"material": "GA", "name": "Gallium", "group": "", "china_cap_applies": True,
                       "reference_value": 350, "holding_cost": 5, "opening_stock": 2, "basis": "A"}],
        "Suppliers": [{"source": "CN", "name": "China", "country": "China", "bloc": "china", "risk": 0.77},
                      {"source": "BEDE", "name": "Belgium/Germany", "country": "Belgium", "bloc": "ally",
                       "risk": 0.34}],
        "Supply": [{"material": "GA", "source": s, "year": y, "capacity": c, "unit_cost": p}
                   for y in (2025, 2026, 2027) for s, c, p in (("CN", 15, 350), ("BEDE", 4, 725))],
        "Demand": [{"material": "GA", "year": y, "demand": d} for y, d in ((2025, 13), (2026, 14), (2027, 15.1))],
        "Policy": [{"year": y, "scope": "ALL", "max_china_share": s}
                   for y, s in ((2025, 0.7), (2026, 0.65), (2027, 0.6))],
    }


def test_template_fill_validate_solve_round_trip(tmp_path, capsys):
    template = tmp_path / "template.xlsx"
    assert main(["template", "-o", str(template)]) == 0
    wb = openpyxl.load_workbook(template)
    assert {"README", "Settings", "Supply", "Demand", "Policy"} <= set(wb.sheetnames)
    assert main(["validate", str(template)]) == 1          # empty template: errors, not a crash
    err = capsys.readouterr().err
    assert "first_year" in err

    filled = tmp_path / "filled.xlsx"
    write_input_workbook(filled, small_tables())
    before = sha(filled)
    assert main(["validate", str(filled)]) == 0
    out = tmp_path / "result.xlsx"
    code = main(["solve", str(filled), "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "Proven optimal" in text and "Result workbook" in text
    assert out.exists() and sha(filled) == before
    res = openpyxl.load_workbook(out)
    assert "Summary" in res.sheetnames and "Plan" in res.sheetnames


def test_bad_workbook_lists_every_error_with_cells(tmp_path, capsys):
    tables = small_tables()
    tables["Supply"][0]["capacity"] = -5                     # negative capacity
    tables["Demand"][1]["material"] = "XX"                   # unknown material
    tables["Policy"][2]["max_china_share"] = 60              # 60 instead of 0.6
    path = tmp_path / "bad.xlsx"
    write_input_workbook(path, tables)
    before = sha(path)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Supply!D2" in err and "Demand!A3" in err and "Policy!C4" in err
    assert "Traceback" not in err
    assert main(["solve", str(path), "-o", str(tmp_path / "r.xlsx")]) == 1
    assert not (tmp_path / "r.xlsx").exists()
    assert sha(path) == before


def test_solve_refuses_to_overwrite_the_input(tmp_path, capsys):
    path = tmp_path / "in.xlsx"
    write_input_workbook(path, small_tables())
    before = sha(path)
    assert main(["solve", str(path), "-o", str(path)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert sha(path) == before


@pytest.mark.parametrize("backend,solver", [("pulp", "highs"), ("pyomo", "highs"), ("pulp", "cbc")])
def test_backend_and_solver_flags(tmp_path, capsys, backend, solver):
    path = tmp_path / "in.xlsx"
    write_input_workbook(path, small_tables())
    out = tmp_path / "r.xlsx"
    assert main(["solve", str(path), "-o", str(out), "--backend", backend, "--solver", solver]) == 0
    text = capsys.readouterr().out
    assert "Proven optimal" in text
    wb = openpyxl.load_workbook(out)
    values = [c.value for row in wb["Summary"].iter_rows() for c in row]
    assert backend in values and solver in values


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample workbook not built yet")
def test_console_script_solves_the_bundled_sample(tmp_path):
    out = tmp_path / "sample_result.xlsx"
    before = sha(SAMPLE)
    proc = subprocess.run([sys.executable, "-m", "optimizer.cli", "solve", str(SAMPLE), "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "China share by year" in proc.stdout
    assert out.exists() and sha(SAMPLE) == before


def test_risk_template_round_trip(tmp_path, capsys):
    """``template --risk`` adds the two risk sheets (documented); filled, ``risk`` solves it."""
    from optimizer.risk.schema import RISK_SHEETS
    template = tmp_path / "risk_template.xlsx"
    assert main(["template", "-o", str(template), "--risk"]) == 0
    assert "with the RiskScenarios and Disruptions sheets" in capsys.readouterr().out
    wb = openpyxl.load_workbook(template)
    for sheet in RISK_SHEETS:
        assert [c.value for c in wb[sheet.name][1]] == list(sheet.headers)
    readme = [r[0] for r in wb["README"].iter_rows(values_only=True)]
    assert "Disruptions (read by sourcing risk)" in readme and "RiskScenarios (read by sourcing risk)" in readme
    assert main(["template", "-o", str(tmp_path / "plain.xlsx")]) == 0
    assert "Disruptions" not in openpyxl.load_workbook(tmp_path / "plain.xlsx").sheetnames

    tables = small_tables()
    tables["RiskScenarios"] = [
        {"scenario": "calm", "probability": 0.75, "events": "", "basis": "A: test"},
        {"scenario": "ga_ban", "probability": 0.25, "events": "BAN", "base_spot_multiplier": 1.2, "basis": "A: test"}]
    tables["Disruptions"] = [{"event": "BAN", "source": "CN", "material": "GA", "year": 2026, "months": 6,
                              "fraction_lost": 1.0, "spot_multiplier": 2.0, "basis": "A: test"}]
    filled = tmp_path / "risk_filled.xlsx"
    write_input_workbook(filled, tables, extra=tuple((sh, "") for sh in RISK_SHEETS))
    out = tmp_path / "risk_out.xlsx"
    code = main(["risk", str(filled), "-o", str(out), "--beta", "0"])
    text = capsys.readouterr().out
    assert code == 0, text
    costs = {ln.split()[0]: float(ln.split()[-1].replace(",", "")) for ln in text.splitlines()
             if ln.startswith("  calm") or ln.startswith("  ga_ban")}
    assert costs["ga_ban"] > costs["calm"] > 0          # half a year without China's gallium costs more
    assert out.exists()


def test_result_workbook_has_time_to_survive_by_hand(tmp_path, capsys):
    """TTS = start stock / weekly deficit without the source (capped at 52 weeks), per year,
    with the plan's year-end stocks; the sheets and the summary line show it."""
    filled = tmp_path / "filled.xlsx"
    write_input_workbook(filled, small_tables())
    out = tmp_path / "result.xlsx"
    assert main(["solve", str(filled), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Time-to-survive" in text and "CN for GA" in text and "CN (REI 1.00)" in text
    wb = openpyxl.load_workbook(out, read_only=True)
    assert {"TimeToSurvive", "TTSHeatMap", "RiskExposure"} <= set(wb.sheetnames)
    stock = {}
    rows = list(wb["Stockpile"].iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and "material" in r and "closing (t)" in r)
    cols = rows[head]
    for r in rows[head + 1:]:
        if r and r[cols.index("material")] == "GA":
            stock[int(r[cols.index("year")])] = float(r[cols.index("closing (t)")])
    rows = list(wb["TimeToSurvive"].iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "source")
    tts = {(r[0], int(r[2])): float(r[rows[head].index("time to survive (weeks)")]) for r in rows[head + 1:] if r and r[0]}
    demand, other = {2025: 13.0, 2026: 14.0, 2027: 15.1}, 4.0          # BEDE's capacity without CN
    start = {2025: 2.0, 2026: stock[2025], 2027: stock[2026]}            # opening stock, then closings
    for y in (2025, 2026, 2027):
        assert tts[("CN", y)] == pytest.approx(min(52.0, start[y] * 52.0 / (demand[y] - other)))
        assert tts[("BEDE", y)] == pytest.approx(52.0)                    # CN's 15 t cover demand
