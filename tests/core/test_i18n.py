"""The message catalogue: every key in both languages with the same placeholders, every key the code
and the templates use is in it, money in 억/조 원 for Korean won, and the browser's language picked."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from optimizer.core import i18n

ROOT = Path(__file__).resolve().parents[2]
HANGUL = re.compile("[\uac00-\ud7a3]")
NEUTRAL = {"risk.cvar", "risk.var", "cli.risk_cvar"}       # symbols only (CVaR, VaR, alpha): the same in Korean


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("key", sorted(i18n.MESSAGES))
def test_every_key_is_translated_with_the_same_placeholders(key):
    en, ko = i18n.MESSAGES[key]
    assert en.strip() and ko.strip()
    assert fields(en) == fields(ko), key
    assert HANGUL.search(ko) or key in NEUTRAL, f"{key}: not translated: {ko!r}"


def used_keys() -> set[str]:
    """Every literal key passed to t() in the templates and the web code."""
    keys = set()
    files = list((ROOT / "optimizer" / "web" / "templates").glob("*.html")) + \
        list((ROOT / "optimizer").rglob("*.py"))
    for p in files:
        for m in re.finditer(r"""\bt\(\s*(['"])([a-z][A-Za-z0-9_.]*[A-Za-z0-9])\1""", p.read_text()):
            keys.add(m.group(2))
    return keys


def dynamic_keys() -> set[str]:
    """Keys built from a prefix and a value (the analyses, stages, methods, curve points, core)."""
    from optimizer.pooling.run import METHODS
    from optimizer.web.analyses import KINDS
    keys = {f"kind.name.{k}" for k in KINDS} | {f"kind.about.{k}" for k in KINDS}
    keys |= {f"stage.{s}" for s in ("queued", "validating", "solving", "writing", "done", "invalid", "failed")}
    keys |= {f"method.{k}" for k in METHODS}
    keys |= {f"kind.{k}" for k in ("lowest achievable share", "end of range", "start", "breakpoint")}
    keys |= {f"pool.core_{k}" for k in ("non-empty", "empty", "none")}
    return keys


def test_every_key_the_code_uses_is_in_the_catalogue():
    used = used_keys()
    assert len(used) > 100
    missing = sorted(k for k in used | dynamic_keys() if k not in i18n.MESSAGES)
    assert missing == []


def test_unknown_key_is_an_error_not_english():
    with pytest.raises(KeyError):
        i18n.t("no.such.key", "ko")


def test_money_in_eok_and_jo_for_won():
    assert i18n.money(452_530.0, "KRW", "ko") == "4,525.3억 원"
    assert i18n.money(1_234_567.0, "KRW", "en") == "1.23조 원"
    assert i18n.money(-250.0, "KRW", "ko") == "-2.5억 원"
    assert i18n.money(4525.3, "USD", "en") == "4,525.3 USD M"
    assert i18n.money(4525.3, "USD", "ko") == "4,525.3 백만 USD"
    assert i18n.money(None, "KRW") == "n/a"


@pytest.mark.parametrize("header,lang", [("ko-KR,ko;q=0.9,en-US;q=0.8", "ko"), ("en-US,en;q=0.9,ko;q=0.8", "en"),
                                         ("fr-FR,ko;q=0.5", "ko"), ("de", "en"), ("", "en"), (None, "en"),
                                         ("en;q=0.1,ko;q=0.9", "ko")])
def test_browser_language(header, lang):
    assert i18n.pick(header) == lang


def test_terminal_headline_in_korean_by_option_and_by_settings_row(tmp_path, capsys):
    from optimizer.cli import main
    from optimizer.sourcing.template import write_input_workbook
    import sys
    sys.path.insert(0, str(ROOT / "tests" / "web"))
    from test_web_api import small_tables
    tables = small_tables()
    tables["Settings"].append({"setting": "currency", "value": "KRW"})
    for row, won in zip(tables["Supply"], (10_000.0, 15_000.0)):     # won per kg
        row["unit_cost"] = won
    tables["Materials"][0]["reference_value"] = 10_000.0
    wb = write_input_workbook(tmp_path / "krw.xlsx", tables)
    assert main(["--lang", "ko", "solve", str(wb), "-o", str(tmp_path / "a.xlsx")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "최적성 증명됨: 모든 수요를 충족하고 모든 비축 목표를 달성했습니다."
    assert "지출 (할인): 12.00억 원" in out           # 60 t x 10,000 + 40 t x 15,000 won/kg = 1,200 M won
    tables["Settings"].append({"setting": "language", "value": "ko"})
    wb = write_input_workbook(tmp_path / "ko.xlsx", tables)
    assert main(["solve", str(wb), "-o", str(tmp_path / "b.xlsx")]) == 0
    assert capsys.readouterr().out.startswith("최적성 증명됨")
    assert main(["--lang", "en", "solve", str(wb), "-o", str(tmp_path / "c.xlsx")]) == 0
    assert capsys.readouterr().out.startswith("Proven optimal: all demand met")


def test_result_workbook_labels_in_korean_sheet_names_unchanged(tmp_path):
    import openpyxl
    from optimizer.cli import main
    import sys
    sys.path.insert(0, str(ROOT / "tests" / "web"))
    from test_web_api import write_small
    sample = write_small(tmp_path / "small.xlsx")
    assert main(["solve", str(sample), "-o", str(tmp_path / "en.xlsx")]) == 0
    assert main(["--lang", "ko", "solve", str(sample), "-o", str(tmp_path / "ko.xlsx")]) == 0
    en, ko = openpyxl.load_workbook(tmp_path / "en.xlsx"), openpyxl.load_workbook(tmp_path / "ko.xlsx")
    assert en.sheetnames == ko.sheetnames                     # formulas and scripts keep working
    assert en["Plan"]["A1"].value == "Purchase plan" and ko["Plan"]["A1"].value == "구매 계획"
    headers = [c.value for c in next(r for r in ko["Plan"].iter_rows(min_row=2, max_row=8)
                                     if any(c.value == "공급처" for c in r))]
    assert "단가 (USD/kg)" in headers and "광물" in headers
    # the labels are the only difference: the numbers are the same
    nums = lambda wb: [c.value for r in wb["Plan"].iter_rows() for c in r if isinstance(c.value, float)]   # noqa: E731
    assert nums(en) == nums(ko)
