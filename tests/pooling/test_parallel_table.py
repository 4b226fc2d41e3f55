"""The pool's batches on worker processes (one HiGHS thread each) give the serial answers to the
last bit: the exact coalition table (cut into pieces that start from scratch, whichever process
solves them), the near-optimal alternatives (MGA directions), and the whole ``sourcing pool``
run, on a synthetic pool and on the bundled sample."""
from __future__ import annotations

import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from models.pooling import build_pool_model
from optimizer.cli import main
from optimizer.pooling import coalitions as C
from optimizer.pooling import joint as J
from optimizer.pooling.load import load_pool_workbook
from optimizer.pooling.run import allocation_table, run_pool
from optimizer.pooling.template import write_pool_workbook
from optimizer.robustness import factory as F
from optimizer.core.solver import SolveOptions

SAMPLE = "inputs/pool_kr_jp_sg.xlsx"


def _opts(data) -> SolveOptions:
    return SolveOptions(time_limit=data.settings.time_limit, mip_gap=1e-9, ranging=False, want_duals=False)


def assert_same_table(a: C.CoalitionTable, b: C.CoalitionTable) -> None:
    assert a.masks() == b.masks()
    assert list(a.status) == list(b.status)
    assert np.array_equal(a.cost, b.cost, equal_nan=True)          # bit for bit
    assert np.array_equal(a.unmet, b.unmet, equal_nan=True)
    assert a.solves == b.solves


@pytest.fixture(scope="module")
def six(tmp_path_factory):
    path = tmp_path_factory.mktemp("pool") / "p6.xlsx"
    return load_pool_workbook(write_pool_workbook(path, F.pool_tables(6, 1, 3, False)))


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_give_the_serial_table_bit_for_bit(six, workers):
    model = build_pool_model(six)
    serial = C.coalition_table(model, _opts(six), chunk=8)
    parallel = C.coalition_table(model, _opts(six), workers=workers, chunk=8)
    assert len(serial.masks()) == 63
    assert_same_table(parallel, serial)


def test_the_pieces_change_nothing_but_the_warm_starts(six):
    """Pieces of another size give the same statuses and the same costs to the solver's tolerance
    (only the warm starts differ): a piece starting from scratch is a correct start."""
    model = build_pool_model(six)
    a = C.coalition_table(model, _opts(six), chunk=8)
    b = C.coalition_table(model, _opts(six), chunk=1000)
    assert list(a.status) == list(b.status)
    np.testing.assert_allclose(a.cost[1:], b.cost[1:], rtol=1e-9, atol=1e-9)


def test_the_sample_table_and_alternatives_on_workers_are_the_serial_ones():
    data = load_pool_workbook(SAMPLE)
    model = build_pool_model(data)
    assert_same_table(C.coalition_table(model, _opts(data), workers=2, chunk=2),
                      C.coalition_table(model, _opts(data), chunk=2))
    grand = J.solve_grand(model, _opts(data))
    serial = J.alternatives(model, grand, 0.05, _opts(data))
    parallel = J.alternatives(model, grand, 0.05, _opts(data), workers=2)
    assert len(serial) == 1 + 2 * (len(J.plan_measures(model, grand.x)))
    pd.testing.assert_frame_equal(parallel, serial, check_exact=True)


def test_alternatives_on_workers_leave_the_callers_model_alone(six):
    model = build_pool_model(six)
    before = model.lp.arrays()[0].copy()
    grand = J.solve_grand(model, _opts(six))
    serial = J.alternatives(model, grand, 0.03, _opts(six))
    parallel = J.alternatives(model, grand, 0.03, _opts(six), workers=2)
    pd.testing.assert_frame_equal(parallel, serial, check_exact=True)
    assert np.array_equal(model.lp.arrays()[0], before)
    assert set(serial["status"].iloc[1:]) == {"optimal"}


def test_run_pool_with_workers_is_the_serial_run(six):
    serial = run_pool(six, mga_slack=0.02)
    parallel = run_pool(six, mga_slack=0.02, workers=2)
    assert_same_table(parallel.table, serial.table)
    pd.testing.assert_frame_equal(allocation_table(parallel), allocation_table(serial), check_exact=True)
    pd.testing.assert_frame_equal(parallel.alternatives, serial.alternatives, check_exact=True)


def test_pool_command_with_workers_writes_the_serial_workbook(tmp_path, capsys):
    one, two = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    assert main(["pool", SAMPLE, "-o", str(one)]) == 0
    assert main(["pool", SAMPLE, "--workers", "2", "-o", str(two)]) == 0
    wa, wb = openpyxl.load_workbook(one, read_only=True), openpyxl.load_workbook(two, read_only=True)
    assert wa.sheetnames == wb.sheetnames
    for name in wa.sheetnames:
        ra = [r for r in wa[name].iter_rows(values_only=True) if not _timing(r)]
        rb = [r for r in wb[name].iter_rows(values_only=True) if not _timing(r)]
        assert ra == rb, name


def _timing(row) -> bool:
    """Rows that hold run times or the run's moment (they differ between any two runs)."""
    text = " ".join(str(v) for v in row if isinstance(v, str)).lower()
    return bool(re.search(r"\d\.\d+ s\b", text)) or any(w in text for w in ("seconds", "timings", "written at", "run at", "created", "version"))
