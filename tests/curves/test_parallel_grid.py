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
from optimizer.curves import frontier as F
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
    n = 2 * F.GRID_CHUNK + 3                                 # three pieces, the last one short
    serial = sourcing_frontier(model, points=n, options=opts)
    seen = []
    parallel = sourcing_frontier(model, points=n, options=opts, workers=2, on_solve=lambda k, e: seen.append(k))
    assert len(serial.points) >= 2
    assert_same_frontier(parallel, serial)
    assert len(seen) == len(set(seen))                       # every grid value solved at most once
    assert set(range(F.GRID_CHUNK, n)) <= set(seen)          # the later pieces whole, somewhere
    assert parallel.solves >= serial.solves


def test_frontier_with_workers_on_more_cores_than_pieces_is_the_serial_one():
    data = load_and_validate(SAMPLE)
    model = build_model(data)
    opts = solve_options(data.settings, ranging=False)
    for n in (F.GRID_CHUNK, F.GRID_CHUNK + 1):               # one piece (no pool) / a one-value piece
        assert_same_frontier(sourcing_frontier(model, points=n, options=opts, workers=3),
                             sourcing_frontier(model, points=n, options=opts))


def test_the_first_piece_is_the_warm_walk_of_before():
    """A frontier of up to GRID_CHUNK values is the one warm-started walk it was before pieces
    existed (what the golden outputs hold): here that walk rebuilt by hand on one resolver."""
    data = load_and_validate(SAMPLE)
    model = build_model(data)
    opts = solve_options(data.settings, ranging=False)
    points = F.GRID_CHUNK
    fr = sourcing_frontier(model, points=points, options=opts)
    f1, f2 = F.cost_vector(model), F.RISK_MEASURES["volume"](model)
    n = model.lp.num_cols
    h = F.open_resolver(model.lp, opts)
    F._lexicographic(h, n, f1, f2)
    F._lexicographic(h, n, f2, f1)
    r1, r2 = abs(fr.payoff[1, 0] - fr.payoff[0, 0]), fr.grid[0] - fr.grid[-1]
    h.set_costs(np.arange(n, dtype=np.int32), f1)
    h.add_col(-F.EPS * (r1 if r1 > 0 else 1.0) / r2, 0.0, np.inf, np.zeros(0, np.int32), np.zeros(0))
    nz = np.flatnonzero(f2).astype(np.int32)
    row = h.add_row(fr.grid[0], fr.grid[0], np.append(nz, n).astype(np.int32), np.append(f2[nz], 1.0))
    walked, k, step = {}, 0, r2 / (points - 1)
    while k < points:
        h.set_row_bound(row, float(fr.grid[k]), float(fr.grid[k]))
        status, x = F._solve(h)
        assert x is not None
        walked[k] = x[:n].tobytes()
        k += 1 + int(np.floor(max(float(x[n]), 0.0) / step + 1e-9))
    assert fr.solves == 4 + len(walked)
    assert len(fr.points) >= 2 and all(walked[p.grid] == p.x.tobytes() for p in fr.points)


def test_a_piece_gives_the_same_plan_whatever_was_solved_before():
    """What makes a later piece the same on any worker: it starts from scratch."""
    data = load_and_validate(SAMPLE)
    model = build_model(data)
    f1, f2 = np.arange(model.lp.num_cols, dtype=float) % 3, np.ones(model.lp.num_cols)
    w = GridWorker((model.lp, f1, f2, solve_options(data.settings, ranging=False)))
    fresh = GridWorker((model.lp, f1, f2, solve_options(data.settings, ranging=False)))
    first = w.run((0.01, [(0, 5e5), (1, 4e5)]))
    w.run((0.01, [(2, 3e5)]))
    again = w.run((0.01, [(0, 5e5), (1, 4e5)]))
    other = fresh.run((0.01, [(0, 5e5), (1, 4e5)]))
    for a, b, c in zip(first, again, other):
        assert a[1] == b[1] == c[1] == "optimal"
        assert a[2].tobytes() == b[2].tobytes() == c[2].tobytes()


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
    serial = compute_curve(model, direction, t_high=0.9, grid=2 * GRID_CHUNK + 1)
    parallel = compute_curve(model, direction, t_high=0.9, grid=2 * GRID_CHUNK + 1, workers=3)
    assert grid_key(parallel) == grid_key(serial)


def _cells(path) -> dict:
    wb = openpyxl.load_workbook(path, read_only=True)
    skip = ("seconds", "written at", "timings", "version", "run at")
    return {name: [r for r in wb[name].iter_rows(values_only=True)
                   if not any(isinstance(v, str) and any(w in v.lower() for w in skip) for v in r)]
            for name in wb.sheetnames}


@pytest.mark.parametrize("argv", [["frontier", "--points", "23"], ["curve", "--mode", "year", "--year", "2027",
                                                                    "--grid", "60"]])
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


@pytest.mark.parametrize("n", [GRID_CHUNK, GRID_CHUNK + 1])
def test_curve_grid_at_the_piece_boundary(n):
    """One piece (no pool is started) and a second piece of one target: the serial grid."""
    data = load_and_validate(SAMPLE)
    model = build_model(data)
    direction = cap_direction(model, "path", None, "ALL", "china")
    opts = solve_options(data.settings, ranging=False)
    serial = compute_curve(model, direction, grid=n, options=opts)
    parallel = compute_curve(model, direction, grid=n, options=opts, workers=4)
    assert len(serial.grid) == n and grid_key(parallel) == grid_key(serial)
    assert serial.solves["grid"] == n
