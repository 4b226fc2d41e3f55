"""Command-line arguments and paths (issue 12, classes 6 and 8): every numeric option finite, in
range and bounded; every input and output path checked before any work, with a clear message
and the documented exit code, never a traceback."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from optimizer.cli import build_parser, main
from optimizer.core import cli as C
from optimizer.core import limits as LIM
from optimizer.core.paths import folder_problem, output_problem
from optimizer.core.workbook.reader import input_problem
from optimizer.core.workbook.writer import clean_value
from optimizer.robustness import factory as F

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- argument types
@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e309", "abc", "", "0x10"])
def test_real_refuses_what_is_not_a_finite_number(text):
    with pytest.raises(argparse.ArgumentTypeError, match="give a number from 0 to 10"):
        C.real(0, 10)(text)


def test_real_and_whole_keep_to_their_ranges():
    r = C.real(0.0, 1.0, high_open=True)
    assert r("0") == 0.0 and r("0.999") == pytest.approx(0.999)
    for bad in ("1", "-0.0001", "1e308"):
        with pytest.raises(argparse.ArgumentTypeError, match="outside the allowed range"):
            r(bad)
    w = C.whole(2, 200, C.WORK)
    assert w("2") == 2 and w("200") == 200
    with pytest.raises(argparse.ArgumentTypeError, match="the limit on the work one run may ask for"):
        w("1000000")
    for bad in ("2.5", "1e3", "9" * 5000, "nan"):
        with pytest.raises(argparse.ArgumentTypeError, match="not a whole number"):
            w(bad)


def test_a_share_is_typed_as_a_share_or_in_percent():
    assert C.share_arg("0.8") == pytest.approx(0.8) and C.share_arg("80") == pytest.approx(0.8)
    for bad in ("nan", "101", "-5", "1e308"):
        with pytest.raises(argparse.ArgumentTypeError, match="China-share target"):
            C.share_arg(bad)


OPTIONS = [   # (argv, the option named in the message)
    (["solve", "w.xlsx", "--time-limit", "nan"], "--time-limit"),
    (["curve", "w.xlsx", "--from", "nan"], "--from"),
    (["curve", "w.xlsx", "--grid", "1000000"], "--grid"),
    (["curve", "w.xlsx", "--year", "1e9"], "--year"),
    (["frontier", "w.xlsx", "--points", "1000000"], "--points"),
    (["compare", "w.xlsx", "--year", "nan"], "--year"),
    (["risk", "w.xlsx", "--alpha", "1"], "--alpha"),
    (["risk", "w.xlsx", "--beta", "nan"], "--beta"),
    (["risk", "w.xlsx", "--beta", "inf"], "--beta"),
    (["risk", "w.xlsx", "--tts-weeks", "1e308"], "--tts-weeks"),
    (["risk", "w.xlsx", "--iters", "0"], "--iters"),
    (["pool", "w.xlsx", "--mga-slack", "nan"], "--mga-slack"),
    (["serve", "--max-upload-mb", "nan"], "--max-upload-mb"),
    (["serve", "--job-seconds", "0"], "--job-seconds"),
    (["robustness", "--jobs", "0"], "--jobs"),
]


@pytest.mark.parametrize("argv,option", OPTIONS, ids=[" ".join(a[:1] + a[2:]) for a, _ in OPTIONS])
def test_a_bad_option_is_a_usage_error_naming_it(argv, option, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}:" in err and repr(argv[-1]) in err and "Traceback" not in err


def test_the_bounds_are_accepted():
    p = build_parser()
    a = p.parse_args(["curve", "w.xlsx", "--grid", str(LIM.MAX_CURVE_GRID), "--from", "100", "--to", "0"])
    assert (a.grid, a.start, a.end) == (LIM.MAX_CURVE_GRID, 1.0, 0.0)
    a = p.parse_args(["risk", "w.xlsx", "--beta", str(LIM.MAX_BETA), "--tts-weeks", str(LIM.MAX_TTS_WEEKS)])
    assert (a.beta, a.tts_weeks) == (LIM.MAX_BETA, LIM.MAX_TTS_WEEKS)


# --------------------------------------------------------------------------- paths, in plain words
def test_output_problems(tmp_path):
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x")
    os.symlink("l2", tmp_path / "l1")
    os.symlink("l1", tmp_path / "l2")
    os.mkfifo(tmp_path / "fifo")
    cases = {tmp_path / "adir": "it is a folder", tmp_path / "afile" / "x.xlsx": "is a file, not a folder",
             tmp_path / ("x" * 300 + ".xlsx"): "too long", tmp_path / "l1": "loop of symbolic links",
             tmp_path / "l1" / "x.xlsx": "loop of symbolic links", tmp_path / "fifo": "special file",
             Path("/dev/null"): "special file", Path("/proc/x.xlsx"): "special file system",
             f"{tmp_path}/newdir/": "names a folder, not a file"}
    for path, text in cases.items():
        assert text in (output_problem(path) or ""), (path, output_problem(path))
    assert output_problem(tmp_path / "new" / "deeper" / "r.xlsx") is None        # folders are created
    assert "refusing to overwrite" in output_problem(tmp_path / "adir" / ".." / "afile", protect=(tmp_path / "afile",))
    assert folder_problem(tmp_path / "afile") == "it is a file, not a folder"
    assert folder_problem(tmp_path / "new") is None


def test_input_problems_never_open_the_path(tmp_path):
    os.mkfifo(tmp_path / "fifo")          # opening it would block: input_problem must not
    os.symlink("l2", tmp_path / "l1")
    os.symlink("l1", tmp_path / "l2")
    (tmp_path / "afile").write_text("x")
    cases = {tmp_path / "fifo": "pipe (FIFO)", Path("/dev/zero"): "a device", tmp_path: "a folder",
             tmp_path / "l1": "loop of symbolic links", tmp_path / "none.xlsx": "file not found",
             tmp_path / "afile" / "x.xlsx": "a part of the path is a file"}
    for path, text in cases.items():
        assert text in (input_problem(path) or ""), (path, input_problem(path))
    assert input_problem(tmp_path / "afile") is None


@pytest.mark.parametrize("command", ["solve", "curve", "frontier", "compare", "risk", "pool", "template"])
def test_every_command_refuses_an_output_folder_before_any_work(tmp_path, command, capsys, monkeypatch):
    src = {"risk": ROOT / "inputs" / "korea_2024_2030_risk.xlsx", "pool": ROOT / "inputs" / "pool_kr_jp_sg.xlsx"
           }.get(command, ROOT / "inputs" / "korea_2024_2030.xlsx")
    (tmp_path / "adir").mkdir()
    argv = [command] + ([] if command == "template" else [str(src)]) + ["-o", str(tmp_path / "adir")]
    for where in ("optimizer.core.workbook.reader.read_workbook", "optimizer.sourcing.validate.read_workbook",
                  "optimizer.risk.load.read_workbook"):
        monkeypatch.setattr(where, lambda *a, **k: pytest.fail("work started"))
    assert main(argv) == C.EXIT_USAGE
    assert "cannot write -o/--output" in capsys.readouterr().err and list((tmp_path / "adir").iterdir()) == []


def test_the_default_outputs_folder_existing_as_a_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "outputs").write_text("in the way")
    assert main(["solve", str(F.write_valid(tmp_path))]) == C.EXIT_USAGE
    assert "outputs is a file, not a folder" in capsys.readouterr().err


def test_an_input_that_is_a_pipe_is_an_input_error(tmp_path, capsys):
    os.mkfifo(tmp_path / "in.xlsx")
    assert main(["validate", str(tmp_path / "in.xlsx")]) == C.EXIT_INPUT
    assert "pipe (FIFO)" in capsys.readouterr().err


PERMISSIONS = """
import os, sys
from optimizer.robustness.child import drop_permission_override
assert drop_permission_override()
from optimizer.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("case", ["unreadable input", "read-only folder"])
def test_permissions_are_what_they_are_for_any_user(tmp_path, case):
    """As root too: root's override of file permissions is dropped for the run."""
    src = F.write_valid(tmp_path)
    if case == "unreadable input":
        locked = Path(shutil.copy(src, tmp_path / "locked.xlsx"))
        os.chmod(locked, 0)
        argv, code, text = ["solve", str(locked), "-o", str(tmp_path / "r.xlsx")], 1, "permission denied"
    else:
        (tmp_path / "ro").mkdir()
        os.chmod(tmp_path / "ro", 0o555)
        argv, code, text = ["solve", str(src), "-o", str(tmp_path / "ro" / "r.xlsx")], 2, "the folder"
    try:
        r = subprocess.run([sys.executable, "-c", PERMISSIONS, *argv], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        for p in (tmp_path / "locked.xlsx", tmp_path / "ro"):
            if p.exists():
                os.chmod(p, 0o755)
    assert r.returncode == code and text in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_file_name_that_is_not_utf8_keeps_the_result_a_valid_workbook(tmp_path):
    name = os.fsencode(tmp_path) + b"/\xff\xfe-input.xlsx"
    shutil.copy(F.write_valid(tmp_path), name)
    out = tmp_path / os.fsdecode(b"out\xff.xlsx")
    assert main(["solve", os.fsdecode(name), "-o", str(out)]) == 0
    wb = openpyxl.load_workbook(out)                          # the manifest names the input: still valid XML
    texts = [c.value for row in wb["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any("\ufffd\ufffd-input.xlsx" in t for t in texts)
    assert clean_value("a\udcffb") == "a\ufffdb" and clean_value("\ud800x") == "\ufffdx"
