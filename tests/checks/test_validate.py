"""``sourcing validate`` checks every sheet any command reads, with the commands' own messages:
the sourcing sheets, the risk sheets when present, a pool workbook; and a "did you mean" never
proposes renaming one known sheet onto another."""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from optimizer.checks.run import check_workbook
from optimizer.cli import main
from optimizer.pooling.template import write_pool_workbook
from optimizer.robustness import factory as F

ROOT = Path(__file__).resolve().parents[2]
RISK = ROOT / "inputs" / "korea_2024_2030_risk.xlsx"
POOL = ROOT / "inputs" / "pool_kr_jp_sg.xlsx"


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def _risk_copy(tmp_path, **cells) -> Path:
    path = tmp_path / "risk.xlsx"
    shutil.copy(RISK, path)
    wb = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        sheet, addr = ref.split("!")
        wb[sheet][addr] = value
    wb.save(path)
    return path


def test_probabilities_that_do_not_sum_to_one_fail_validate_as_they_fail_risk(tmp_path, capsys):
    path = _risk_copy(tmp_path, **{"RiskScenarios!B2": 0.1})          # baseline 0.2 -> 0.1: sum 0.9
    code, text = _run(capsys, "validate", str(path))
    assert code == 1
    rule = "the probabilities must sum to 1 (they sum to 0.9)"
    assert rule in text
    code, risk_text = _run(capsys, "risk", str(path), "-o", str(tmp_path / "r.xlsx"))
    assert code == 1 and rule in risk_text
    assert not (tmp_path / "r.xlsx").exists()


def test_an_unknown_event_is_named_with_its_cell(tmp_path, capsys):
    path = _risk_copy(tmp_path, **{"RiskScenarios!C3": "GA_SHOCK, NO_SUCH_EVENT"})
    code, text = _run(capsys, "validate", str(path))
    assert code == 1 and "RiskScenarios!C3" in text and "event 'NO_SUCH_EVENT' is not on the Disruptions sheet" in text


def test_valid_risk_workbook_lists_every_command(capsys):
    code, text = _run(capsys, "validate", str(RISK))
    assert code == 0
    assert "checked for: solve, curve, frontier, compare, risk" in text
    assert "risk sheets: 10 scenarios, probabilities sum to 1" in text


def test_workbook_without_risk_sheets_is_checked_for_the_sourcing_commands(capsys):
    code, text = _run(capsys, "validate", str(ROOT / "inputs" / "korea_2024_2030.xlsx"))
    assert code == 0 and "checked for: solve, curve, frontier, compare" in text and "risk" not in text


def test_pool_workbook_is_checked_as_pool_reads_it(tmp_path, capsys):
    code, text = _run(capsys, "validate", str(POOL))
    assert code == 0 and "checked for: pool" in text and "3 members (KR, JP, SG)" in text
    bad = tmp_path / "pool.xlsx"
    write_pool_workbook(bad, {"Settings": {"first_year": 2030, "last_year": 2030},
                              "Members": [{"member": "A", "name": "A"}],
                              "MemberDemand": [{"member": "Z", "material": "X", "year": 2030, "demand": 10}]})
    code, text = _run(capsys, "validate", str(bad))
    assert code == 1 and "MemberDemand!A2" in text and "'member id' Z is not on the Members sheet" in text
    code, pool_text = _run(capsys, "pool", str(bad), "-o", str(tmp_path / "o.xlsx"))
    assert code == 1 and "'member id' Z is not on the Members sheet" in pool_text


def test_no_hint_renames_a_known_sheet_onto_another(tmp_path, capsys):
    """risk on a workbook without risk sheets: never "rename Scenarios to RiskScenarios" (that would
    destroy the named overrides); the hint says where the sheets come from."""
    code, text = _run(capsys, "risk", str(ROOT / "inputs" / "korea_2024_2030.xlsx"), "-o", str(tmp_path / "r.xlsx"))
    assert code == 1
    assert "required sheet 'RiskScenarios' is missing" in text and "did you mean" not in text
    assert "sourcing template --risk" in text


def test_a_misspelt_sheet_still_gets_its_hint(tmp_path, capsys):
    path = tmp_path / "risk.xlsx"
    shutil.copy(RISK, path)
    wb = openpyxl.load_workbook(path)
    wb["RiskScenarios"].title = "RiskScenario"
    wb.save(path)
    code, text = _run(capsys, "validate", str(path))
    assert code == 1
    assert "required sheet 'RiskScenarios' is missing (did you mean 'RiskScenario'? rename it to 'RiskScenarios')" in text


def test_the_input_is_never_modified(tmp_path):
    path = _risk_copy(tmp_path, **{"RiskScenarios!B2": 0.1})
    before = F.sha256(path)
    report = check_workbook(path)
    assert report.errors and F.sha256(path) == before


def test_unreadable_file_is_an_input_error(tmp_path, capsys):
    path = F.write_bytes(tmp_path, "broken.xlsx", b"not a zip at all")
    code, text = _run(capsys, "validate", str(path))
    assert code == 1 and "Traceback" not in text and "broken.xlsx" in text


@pytest.mark.parametrize("sheet", ["Supply", "Demand"])
def test_sourcing_errors_are_the_solve_messages(tmp_path, capsys, sheet):
    path = F.delete_sheet(F.write_valid(tmp_path), sheet)
    code, text = _run(capsys, "validate", str(path))
    code2, text2 = _run(capsys, "solve", str(path), "-o", str(tmp_path / "o.xlsx"))
    assert code == code2 == 1
    assert f"required sheet '{sheet}' is missing" in text and f"required sheet '{sheet}' is missing" in text2
