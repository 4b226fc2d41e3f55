"""Solver outcomes as the user meets them through ``sourcing solve``: time limits, infeasible
versus unbounded, "infeasible or unbounded" from presolve re-checked without presolve, and a
missing solver -- each a clear message and a documented exit code, never a traceback.
(``tests/test_backends.py`` covers the same statuses on bare LPs.)"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from optimizer.robustness import factory as F
from optimizer.core.solver import INFEASIBLE_OR_UNBOUNDED, TIME_LIMIT_FEASIBLE, UNBOUNDED
from optimizer.core.solver import highs as native
from optimizer.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, path: Path, *flags) -> tuple[int, str]:
    code = main(["solve", str(path), "-o", str(path.with_name(path.stem + "_result.xlsx")), *flags])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out + out.err


def diagnostics(path: Path) -> str:
    wb = openpyxl.load_workbook(path.with_name(path.stem + "_result.xlsx"))
    return "\n".join(str(c.value) for row in wb["Diagnostics"].iter_rows() for c in row if c.value is not None)


def infeasible_workbook(tmp_path: Path) -> Path:
    """A 50 t take-or-pay contract with China (GA, 2025) against a 0 % China cap that year:
    the hard constraints contradict each other (unmet demand cannot absorb a purchase floor)."""
    tables = F.valid_tables()
    for row in tables["Supply"]:
        if (row["material"], row["source"], row["year"]) == ("GA", "CN", 2025):
            row["min_volume"] = 50.0
    tables["Policy"] = [dict(year=2025, scope="ALL", max_china_share=0.0)]
    return F.write_input_workbook(tmp_path / "infeasible.xlsx", tables)


def test_time_limit_without_a_solution(tmp_path, capsys):
    code, text = run(capsys, F.write_valid(tmp_path), "--time-limit", "0")
    assert code == 3
    assert "time limit reached: no feasible solution found" in text and "NOT proven optimal" in text
    assert "Objective minimised" not in text and "Money spent" not in text


def _at_time_limit(monkeypatch, gap):
    """The native backend solves, then reports the time limit with the solution as incumbent."""
    real = native.solve

    def solve(lp, options, solver="highs"):
        sol = real(lp, options, solver)
        sol.status, sol.message, sol.mip_gap = TIME_LIMIT_FEASIBLE, "", gap
        sol.row_duals = sol.col_duals = sol.ranging = None
        return sol
    monkeypatch.setattr(native, "solve", solve)


def test_time_limit_with_a_feasible_lp_solution(tmp_path, capsys, monkeypatch):
    _at_time_limit(monkeypatch, None)
    code, text = run(capsys, F.write_valid(tmp_path))
    assert code == 3
    assert "a plan was found, but it is not proven optimal" in text and "NOT proven optimal" in text
    assert "Objective minimised" in text


def test_time_limit_with_a_mip_incumbent_reports_the_gap(tmp_path, capsys, monkeypatch):
    path = F.write_valid(tmp_path)
    F.edit(path, "Settings", {"A7": "integer_investments", "B7": "yes"})
    _at_time_limit(monkeypatch, 0.0342)
    code, text = run(capsys, path)
    assert code == 3 and "NOT proven optimal" in text
    assert "MIP gap 3.42%" in text


def test_infeasible_is_reported_and_explained(tmp_path, capsys):
    path = infeasible_workbook(tmp_path)
    code, text = run(capsys, path)
    assert code == 3
    assert "infeasible: the hard constraints cannot all hold" in text and "unbounded" not in text
    # 49 t, not 50: the fixture's Korean line may take 1 t of the Chinese gallium (0.02 t per t of
    # its 50 t output), and an input bought to be converted counts in the product it becomes
    assert "min_volume[GA,CN,2025]" in text and "must be cut by 49.0 t" in text
    assert "re-checked with presolve off: 'infeasible'" in diagnostics(path)


def test_unbounded_is_reported_distinctly(tmp_path, capsys, monkeypatch):
    """Validated data cannot be unbounded (costs and capacities are bounded); a solver verdict of
    unbounded must still reach the user as such, not as infeasible or as a crash."""
    from optimizer.core.solver import Solution
    monkeypatch.setattr(native, "solve", lambda lp, options, solver="highs":
                        Solution(UNBOUNDED, "", "native", "highs"))
    code, text = run(capsys, F.write_valid(tmp_path))
    assert code == 3
    assert "unbounded: the objective can decrease without limit (a missing bound in the data)" in text
    assert "infeasible" not in text


@pytest.mark.parametrize("backend", ["native", "pulp"])
@pytest.mark.parametrize("infeasible,verdict,code", [(False, "optimal", 0), (True, "infeasible", 3)])
def test_presolve_infeasible_or_unbounded_is_resolved_without_presolve(tmp_path, capsys, monkeypatch, backend,
                                                                        infeasible, verdict, code):
    """HiGHS answers "infeasible or unbounded" with presolve on; the re-solve without presolve
    gives the real answer, which is what the user is told."""
    real = native.map_status

    def presolve_cannot_tell(h):
        return INFEASIBLE_OR_UNBOUNDED if h.getOptionValue("presolve")[1] != "off" else real(h)
    monkeypatch.setattr(native, "map_status", presolve_cannot_tell)
    path = infeasible_workbook(tmp_path) if infeasible else F.write_valid(tmp_path)
    got, text = run(capsys, path, "--backend", backend, "--solver", "highs")
    assert got == code
    assert "infeasible or unbounded" not in text
    assert ("Proven optimal" if verdict == "optimal" else "infeasible: the hard constraints") in text
    assert f"presolve verdict 'infeasible_or_unbounded' re-checked with presolve off: '{verdict}'" \
        in diagnostics(path)


MISSING_CBC = """
import sys, pulp
pulp.PULP_CBC_CMD.available = lambda self: False     # as on a machine without any CBC binary
from optimizer.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_missing_cbc_names_what_to_install(tmp_path):
    path = F.write_valid(tmp_path)
    proc = subprocess.run([sys.executable, "-c", MISSING_CBC, "solve", str(path), "-o", str(tmp_path / "r.xlsx"),
                           "--backend", "pulp", "--solver", "cbc"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "CBC is not available" in proc.stdout and "coinor-cbc" in proc.stdout and "pip install" in proc.stdout


@pytest.mark.parametrize("backend,package,text", [
    ("native", "highspy", "pip install highspy"),
    ("pulp", "pulp", "PuLP is not installed: pip install"),
    ("pyomo", "pyomo.environ", "Pyomo is not installed: pip install"),
])
def test_missing_solver_packages(tmp_path, capsys, monkeypatch, backend, package, text):
    """A package that cannot be imported (None in sys.modules makes ``import`` fail)."""
    import importlib
    if backend == "native":   # highspy is imported with the module (HiGHS is the default solver)
        monkeypatch.setattr(importlib.import_module("optimizer.core.solver.highs"), "highspy", None)
    else:                     # PuLP and Pyomo are imported on first use
        monkeypatch.setitem(sys.modules, package, None)
    code, out = run(capsys, F.write_valid(tmp_path), "--backend", backend)
    assert code == 4 and text in out
