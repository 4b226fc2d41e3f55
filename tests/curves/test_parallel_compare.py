"""The scenario comparison solved by worker processes (one HiGHS thread each) gives the serial
run's tables: the same rows and columns, the same statuses and texts, numbers equal to 1e-9
relative; and the command takes ``--workers``."""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from curve_fixtures import tiny_workbook
from optimizer.cli import main
from optimizer.curves.compare import comparison_tables, run_batch
from optimizer.sourcing.validate import load_and_validate


def assert_same_tables(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-9, atol=1e-9, obj=name)


def test_two_workers_give_the_serial_tables(tmp_path):
    data = load_and_validate(tiny_workbook(tmp_path))
    serial = run_batch(data, curve_mode="path")
    seen = []
    parallel = run_batch(data, curve_mode="path", workers=2, on_progress=seen.append)
    assert [r.name for r in parallel] == [r.name for r in serial] == seen
    assert [r.error for r in parallel] == [r.error for r in serial]
    assert_same_tables(comparison_tables(parallel), comparison_tables(serial))


def test_compare_command_with_workers_writes_the_serial_workbook(tmp_path, capsys):
    src = tiny_workbook(tmp_path)
    one, two = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    assert main(["compare", str(src), "--no-curves", "-o", str(one)]) == 0
    assert main(["compare", str(src), "--no-curves", "--workers", "2", "-o", str(two)]) == 0
    wa, wb = openpyxl.load_workbook(one, read_only=True), openpyxl.load_workbook(two, read_only=True)
    assert wa.sheetnames == wb.sheetnames
    for name in ("Summary",) if "Summary" in wa.sheetnames else wa.sheetnames[:1]:
        ra = [list(r) for r in wa[name].iter_rows(values_only=True)]
        rb = [list(r) for r in wb[name].iter_rows(values_only=True)]
        assert len(ra) == len(rb)
        for x, y in zip(ra, rb):
            assert len(x) == len(y)
            for u, v in zip(x, y):
                if isinstance(u, float) and isinstance(v, float):
                    assert abs(u - v) <= 1e-9 * max(1.0, abs(u)), (name, u, v)
                else:
                    assert u == v, (name, u, v)


def test_workers_out_of_range_is_a_usage_message(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["compare", str(tiny_workbook(tmp_path)), "--workers", "0"])
    assert exit_.value.code == 2
    assert "--workers: '0' is outside the allowed range" in capsys.readouterr().err


def test_a_cluster_without_the_cluster_extra_is_a_usage_message(tmp_path, capsys, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "distributed", None)      # as if the [cluster] extra were absent
    assert main(["compare", str(tiny_workbook(tmp_path)), "--no-curves", "--cluster", "local",
                 "-o", str(tmp_path / "x.xlsx")]) == 2
    assert "needs the cluster extra: pip install -e '.[cluster]'" in capsys.readouterr().err
