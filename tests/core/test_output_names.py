"""Default output names: the command, the mode and every parameter that changes the answer are in
the name, once; nothing one default run writes replaces another's; an explicit -o overwrites."""
from __future__ import annotations

from pathlib import Path

import pytest

from curve_fixtures import tiny_workbook
from optimizer.cli import main
from optimizer.core.outputs import default_output, qualifier

ROOT = Path(__file__).resolve().parents[2]
RISK = ROOT / "inputs" / "korea_2024_2030_risk.xlsx"


def test_the_command_is_in_the_name_once():
    assert default_output("inputs/korea_2024_2030.xlsx", "solve") == Path("outputs/korea_2024_2030_solve.xlsx")
    assert default_output("inputs/korea_2024_2030_risk.xlsx", "risk") == Path("outputs/korea_2024_2030_risk.xlsx")
    assert default_output("inputs/korea_2024_2030_risk.xlsx", "solve") == \
        Path("outputs/korea_2024_2030_risk_solve.xlsx")


def test_qualifiers_only_when_they_differ_from_the_default():
    assert qualifier("beta", 1.0, 1.0) is None and qualifier("beta", 0.0, 1.0) == "beta0"
    assert qualifier("alpha", 0.9, 0.95) == "alpha0.9" and qualifier("grid", 20, 0) == "grid20"
    assert qualifier("game", True) == "game" and qualifier("game", False) is None
    assert qualifier("tts", None) is None


def test_a_scenario_name_cannot_leave_the_outputs_folder():
    out = default_output("x.xlsx", "solve", "../../etc/passwd")
    assert out.parent == Path("outputs") and "/" not in out.name and ".." not in out.name.replace(".xlsx", "")


def _written(text: str, label: str) -> Path:
    line = next(ln for ln in text.splitlines() if ln.startswith(label))
    return Path(line.split(": ", 1)[1].strip())


def test_curve_commands_of_the_readme_do_not_overwrite_each_other(tmp_path, monkeypatch, capsys):
    wb = tiny_workbook(tmp_path)
    monkeypatch.chdir(tmp_path)
    names = []
    for argv in (["curve", str(wb)], ["curve", str(wb), "--mode", "year", "--year", "2027"],
                 ["curve", str(wb), "--grid", "4"], ["curve", str(wb), "--scenario", "cn_cut"]):
        assert main(argv) == 0
        names.append(_written(capsys.readouterr().out, "Curve workbook").name)
    assert names == [f"{wb.stem}_curve_path.xlsx", f"{wb.stem}_curve_year2027.xlsx",
                     f"{wb.stem}_curve_path_grid4.xlsx", f"{wb.stem}_curve_path_cn_cut.xlsx"]
    assert all((tmp_path / "outputs" / n).is_file() for n in names)


def test_risk_with_another_beta_keeps_the_first_workbook(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["risk", str(RISK)]) == 0
    first = _written(capsys.readouterr().out, "Risk workbook")
    before = first.read_bytes()
    assert main(["risk", str(RISK), "--beta", "0"]) == 0
    second = _written(capsys.readouterr().out, "Risk workbook")
    assert first.name == "korea_2024_2030_risk.xlsx" and second.name == "korea_2024_2030_risk_beta0.xlsx"
    assert first.read_bytes() == before


def test_an_explicit_output_overwrites(tmp_path, capsys):
    wb = tiny_workbook(tmp_path)
    out = tmp_path / "mine.xlsx"
    out.write_bytes(b"old")
    assert main(["solve", str(wb), "-o", str(out)]) == 0
    assert out.read_bytes()[:2] == b"PK"


@pytest.mark.parametrize("argv,name", [
    (["compare", "{wb}", "--no-curves"], "{stem}_compare_nocurves.xlsx"),
    (["compare", "{wb}", "--no-curves", "--scenarios", "cn_cut"], "{stem}_compare_cn_cut_nocurves.xlsx"),
    (["frontier", "{wb}", "--points", "3"], "{stem}_frontier_points3.xlsx"),
    (["solve", "{wb}", "--scenario", "cn_cut"], "{stem}_solve_cn_cut.xlsx"),
])
def test_other_commands_name_their_parameters(tmp_path, monkeypatch, capsys, argv, name):
    wb = tiny_workbook(tmp_path)
    monkeypatch.chdir(tmp_path)
    main([a.format(wb=wb) for a in argv])
    text = capsys.readouterr().out
    assert (tmp_path / "outputs" / name.format(stem=wb.stem)).is_file(), text
