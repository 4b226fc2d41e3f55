"""Every label of the risk, pool and frontier result workbooks in Korean under --lang ko: each
header, title and section that reaches the writer is translated, except ids (scenario names, blocs,
member and source ids, which stay as typed), and the English default is untouched."""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from optimizer.cli import main
from optimizer.core import i18n

ROOT = Path(__file__).resolve().parents[2]
RISK = ROOT / "inputs" / "korea_2024_2030_risk.xlsx"
IDS = {"ally", "china", "domestic", "other"}      # bloc ids written as column headers


@pytest.fixture()
def misses(monkeypatch):
    seen: set[str] = set()
    orig = i18n.label

    def recording(text, lang=None):
        out = orig(text, lang)
        if (lang or i18n.workbook_lang()) == "ko" and isinstance(text, str) and out == text \
                and re.search(r"[A-Za-z]{2}", text):
            seen.add(text)
        return out
    monkeypatch.setattr(i18n, "label", recording)
    return seen


@pytest.mark.parametrize("argv, sheet, korean", [
    (["risk", str(RISK)], None, "확률"),
    (["risk", str(RISK)], "RiskSummary", "  그중 지출"),
    (["pool"], "Allocations", "섀플리 값"),
    (["frontier", str(ROOT / "inputs" / "korea_2024_2030.xlsx")], None, "비용-위험 파레토 경계 (AUGMECON)"),
])
def test_workbook_labels_in_korean(tmp_path, capsys, misses, argv, sheet, korean):
    out = tmp_path / "out.xlsx"
    assert main(["--lang", "ko", *argv, "-o", str(out)]) in (0, 3)
    capsys.readouterr()
    scenario_ids = set()
    if argv[0] == "risk":
        wb_in = openpyxl.load_workbook(RISK, read_only=True)
        scenario_ids = {r[0] for r in wb_in["RiskScenarios"].iter_rows(min_row=2, values_only=True) if r and r[0]}
        wb_in.close()
    left = {m for m in misses if m not in IDS | scenario_ids}
    assert not left, f"labels written in English under --lang ko: {sorted(left)}"
    wb = openpyxl.load_workbook(out, read_only=True)
    texts = {c for ws in ([wb[sheet]] if sheet else wb.worksheets) for row in ws.iter_rows(values_only=True)
             for c in row if isinstance(c, str)}
    wb.close()
    assert korean in texts


def test_english_by_default(tmp_path, capsys):
    out = tmp_path / "pool.xlsx"
    assert main(["pool", "-o", str(out)]) == 0
    capsys.readouterr()
    wb = openpyxl.load_workbook(out, read_only=True)
    texts = {c for row in wb["Allocations"].iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert "Shapley" in texts and not any(re.search("[가-힣]", t) for t in texts)
