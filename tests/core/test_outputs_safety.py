"""What the tool writes is safe: no string becomes a formula on the full ``sourcing solve`` path,
a run killed mid-save leaves no partial workbook under the target name, and solves running at
the same time in one folder do not interfere (CBC through PuLP and HiGHS)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from optimizer.robustness import factory as F
from optimizer.cli import main
from optimizer.sourcing.validate import load_and_validate

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = [   # (name of CN, name of JP, currency): the two suppliers the plan buys from
    ("=cmd|' /C calc'!A0", "+1+1", "=USD"),
    ("-2+3", "@SUM(1,2)", "+KRW"),
    ("\t=1+1", "=1+1\n=2+2\n-3", "@EUR"),
]
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def hostile_workbook(tmp_path: Path, cn: str, jp: str, currency: str) -> Path:
    """The valid workbook with formula-like text in supplier names, rationale, basis, material
    names and the currency label, stored as text (as Excel stores typed text)."""
    path = F.write_valid(tmp_path, "hostile.xlsx")
    F.edit(path, "Suppliers", {F.cell("Suppliers", "name", 2): cn, F.cell("Suppliers", "name", 3): jp,
                               F.cell("Suppliers", "rationale", 2): jp, F.cell("Suppliers", "basis", 3): cn})
    F.edit(path, "Materials", {F.cell("Materials", "name", 2): cn, F.cell("Materials", "basis", 3): jp})
    F.edit(path, "Supply", {F.cell("Supply", "basis", 2): "=K1", F.cell("Supply", "basis", 3): "+W5"})
    F.edit(path, "Settings", {"B4": currency})       # row 4 holds the currency
    return path


def cell_texts(path: Path) -> dict[str, list[str]]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {ws.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert cell.data_type in ("s", "inlineStr"), (ws.title, cell.coordinate, cell.data_type)
                    out.setdefault(cell.value, []).append(f"{ws.title}!{cell.coordinate}")
    return out


@pytest.mark.parametrize("cn,jp,currency", PAYLOADS)
def test_hostile_strings_stay_text_through_sourcing_solve(tmp_path, capsys, cn, jp, currency):
    src = hostile_workbook(tmp_path, cn, jp, currency)
    before = F.sha256(src)
    out = tmp_path / "result.xlsx"
    assert main(["solve", str(src), "-o", str(out)]) == 0, capsys.readouterr()
    assert F.sha256(src) == before
    with zipfile.ZipFile(out) as zf:                  # not one formula anywhere in the sheet XML
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert not _FORMULA_TAG.search(zf.read(name)), name
    texts = cell_texts(out)
    names = load_and_validate(src).suppliers.set_index("source")["name"]   # as read (stripped)
    assert names["CN"] in texts and names["JP"] == jp and jp in texts  # written back exactly, as text
    assert any(t.startswith(currency) for t in texts)  # e.g. "=USD M (discounted)" on the Summary


SLOW_SAVE = """
import os, sys, time
from optimizer.core.workbook import writer
if os.environ.get("NO_TMPFILE"):
    del writer.os.O_TMPFILE
real = writer._write_all
def slow_write(fd, data):
    real(fd, data[: len(data) // 2])
    print("SAVING", flush=True)
    time.sleep(120)
    real(fd, data[len(data) // 2:])
writer._write_all = slow_write
from optimizer.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("unnamed", [True, False], ids=["O_TMPFILE", "named-temp"])
@pytest.mark.parametrize("existing", [False, True])
def test_run_killed_mid_save_leaves_no_partial_workbook(tmp_path, existing, unnamed):
    """SIGKILL half way through writing the result: nothing under the target name but the old
    result, and (with unnamed temporary files) no hidden file either; without them the hidden
    file of the dead writer is removed by the next write to that folder."""
    src = F.write_valid(tmp_path, "in.xlsx")
    src_sha = F.sha256(src)
    target = tmp_path / "out" / "result.xlsx"
    if existing:                                   # an earlier result must survive intact
        assert main(["solve", str(src), "-o", str(target)]) == 0
    old = F.sha256(target) if existing else None
    env = {**os.environ, "PYTHONPATH": str(ROOT), **({} if unnamed else {"NO_TMPFILE": "1"})}
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SAVE, "solve", str(src), "-o", str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    try:
        line = ""
        deadline = time.monotonic() + 120
        while not line.startswith("SAVING") and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, proc.stderr.read()
        hidden = [p.name for p in target.parent.iterdir() if p.name.startswith(".")]
        assert hidden == ([] if unnamed else hidden) and (unnamed or len(hidden) == 1)
        if existing:
            assert F.sha256(target) == old         # the old result is still there while saving
        else:
            assert not target.exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    if existing:
        assert F.sha256(target) == old
        openpyxl.load_workbook(target)             # still a complete workbook
    else:
        assert not target.exists()
    left = sorted(p.name for p in target.parent.iterdir())
    assert left == (["result.xlsx"] if existing else []) or not unnamed
    assert main(["solve", str(src), "-o", str(target.parent / "other.xlsx")]) == 0
    assert sorted(p.name for p in target.parent.iterdir()) == sorted(["other.xlsx"] + (["result.xlsx"] if existing
                                                                                     else []))
    assert F.sha256(src) == src_sha


def _solve_at_once(tmp_path: Path, runs: list[tuple[str, str, str]]) -> list[subprocess.CompletedProcess]:
    """Start one ``sourcing solve`` per (output, backend, solver) together, in one folder, with one
    private TMPDIR shared by all (so leftover solver files would show)."""
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}
    procs = [subprocess.Popen([sys.executable, "-m", "optimizer.cli", "solve", "in.xlsx", "-o", out,
                               "--backend", backend, "--solver", solver],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
             for out, backend, solver in runs]
    done = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    assert list(tmp.iterdir()) == [], "solver files left in TMPDIR"
    tmp.rmdir()
    return done


@pytest.mark.parametrize("runs", [
    [("a.xlsx", "pulp", "cbc"), ("b.xlsx", "pulp", "cbc"), ("c.xlsx", "native", "highs")],
    [("same.xlsx", "pulp", "cbc"), ("same.xlsx", "native", "highs")],
], ids=["cbc-cbc-highs", "same-output-name"])
def test_solves_at_the_same_time_in_one_folder(tmp_path, runs, capsys):
    src = F.write_valid(tmp_path, "in.xlsx")
    before = F.sha256(src)
    ref = tmp_path / "ref" / "ref.xlsx"
    assert main(["solve", str(src), "-o", str(ref)]) == 0
    expected = re.search(r"Objective minimised: ([\d,.]+)", capsys.readouterr().out).group(1)
    results = _solve_at_once(tmp_path, runs)
    for r in results:
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
        assert f"Objective minimised: {expected}" in r.stdout
        assert r.stdout.startswith("Proven optimal")
    outs = sorted({out for out, _, _ in runs})
    for out in outs:
        wb = openpyxl.load_workbook(tmp_path / out)           # complete, readable workbooks
        assert "Summary" in wb.sheetnames
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.xlsx", "ref", *outs])
    assert F.sha256(src) == before
