"""The frontier's grid values and a curve's grid targets on worker processes (one HiGHS thread
each) give the serial answers to the last bit, on the bundled sample and on a small synthetic
case; ``sourcing frontier`` and ``sourcing curve`` take ``--workers``."""
from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from curve_fixtures import tiny_workbook
from model_fixtures import random_data
from models.sourcing import build_model
from optimizer.cli import main
from optimizer.curves.frontier import GridWorker, sourcing_frontier
from optimizer.curves.parametric import GRID_CHUNK, cap_direction, compute_curve, with_cap_row
from optimizer.sourcing.run import solve_options
from optimizer.sourcing.validate import load_and_validate

SAMPLE = "inputs/korea_2024_2030.xlsx"


def frontier_key(fr) -> list:
    return [(p.grid, p.bound, p.f1, p.f2, p.slack, p.x.tobytes()) for p in fr.points]


def grid_key(curve) -> list:
    return [(p.t, p.cost, p.slope, p.iterations, tuple(p.shares.items())) for p in curve.grid]


def assert_same_frontier(a, b) -> None:
    assert frontier_key(a) == frontier_key(b)                      # bit for bit, plans included
    assert np.array_equal(a.payoff, b.payoff) and np.array_equal(a.grid, b.grid)
    assert (a.skipped, a.early_exit, a.notes) == (b.skipped, b.early_exit, b.notes)


@pytest.mark.parametrize("source", ["sample", "synthetic"])
def test_frontier_on_workers_is_the_serial_frontier(source):
    if source == "sample":
        data = load_and_validate(SAMPLE)
    else:
        data = random_data(5)
    model = build_model(data)
    opts = solve_options(data.settings, ranging=False)
    serial = sourcing_frontier(model, points=9, options=opts)
    seen = []
    parallel = sourcing_frontier(model, points=9, options=opts, workers=2, on_solve=lambda k, e: seen.append(k))
    assert len(serial.points) >= 2
    assert_same_frontier(parallel, serial)
    assert sorted(seen) == list(range(9))            # every grid value solved once, somewhere
    assert parallel.solves >= serial.solves


def test_a_grid_value_gives_the_same_plan_whatever_was_solved_before():
    """What makes the parallel frontier the serial one: each grid value starts from scratch."""
    data = load_and_validate(SAMPLE)
    model = build_model(data)
    f1, f2 = np.arange(model.lp.num_cols, dtype=float) % 3, np.ones(model.lp.num_cols)
    w = GridWorker((model.lp, f1, f2, solve_options(data.settings, ranging=False)))
    fresh = GridWorker((model.lp, f1, f2, solve_options(data.settings, ranging=False)))
    first = w.run((0.01, [(0, 5e5)]))
    w.run((0.01, [(1, 4e5), (2, 3e5)]))
    again = w.run((0.01, [(0, 5e5)]))
    other = fresh.run((0.01, [(0, 5e5)]))
    assert first[0][1] == again[0][1] == other[0][1]
    assert first[0][2].tobytes() == again[0][2].tobytes() == other[0][2].tobytes()


@pytest.mark.parametrize("mode, year", [("path", None), ("year", 2027)])
def test_curve_grid_on_workers_is_the_serial_grid(mode, year):
    data = load_and_validate(SAMPLE)
    if year:
        data = with_cap_row(data, year, "ALL", "china")
    model = build_model(data)
    direction = cap_direction(model, mode, year, "ALL", "china")
    opts = solve_options(data.settings, ranging=False)
    n = 3 * GRID_CHUNK + 2                                   # several pieces, the last one short
    serial = compute_curve(model, direction, grid=n, options=opts)
    seen = []
    parallel = compute_curve(model, direction, grid=n, options=opts, workers=2,
                             on_solve=lambda phase, t: seen.append(phase))
    assert len(serial.grid) == n and grid_key(parallel) == grid_key(serial)
    assert [(v.t, v.cost) for v in parallel.vertices] == [(v.t, v.cost) for v in serial.vertices]
    assert parallel.solves == serial.solves and parallel.iterations == serial.iterations
    assert seen.count("grid") == n


def test_curve_grid_on_workers_on_a_synthetic_case():
    data = random_data(7)
    model = build_model(data)
    direction = cap_direction(model, "path", None, "ALL", "china")
    serial = compute_curve(model, direction, t_high=0.9, grid=25)
    parallel = compute_curve(model, direction, t_high=0.9, grid=25, workers=3)
    assert grid_key(parallel) == grid_key(serial)


def _cells(path) -> dict:
    wb = openpyxl.load_workbook(path, read_only=True)
    skip = ("seconds", "written at", "timings", "version", "run at")
    return {name: [r for r in wb[name].iter_rows(values_only=True)
                   if not any(isinstance(v, str) and any(w in v.lower() for w in skip) for v in r)]
            for name in wb.sheetnames}


@pytest.mark.parametrize("argv", [["frontier", "--points", "7"], ["curve", "--mode", "year", "--year", "2027",
                                                                   "--grid", "23"]])
def test_commands_with_workers_write_the_serial_workbook(tmp_path, capsys, argv):
    src = tiny_workbook(tmp_path)
    one, two = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    assert main([argv[0], str(src), *argv[1:], "-o", str(one)]) == 0
    assert main([argv[0], str(src), *argv[1:], "--workers", "2", "-o", str(two)]) == 0
    a, b = _cells(one), _cells(two)
    assert list(a) == list(b)
    for name in a:
        assert a[name] == b[name], name


def test_workers_out_of_range_is_a_usage_message(tmp_path, capsys):
    for cmd in ("frontier", "curve"):
        with pytest.raises(SystemExit) as exit_:
            main([cmd, str(tiny_workbook(tmp_path)), "--workers", "0"])
        assert exit_.value.code == 2
        assert "--workers: '0' is outside the allowed range" in capsys.readouterr().err
