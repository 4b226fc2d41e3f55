"""Exact China-share cost curves: known breakpoints by hand, agreement with independent fresh
solves at random targets, convexity and monotonicity, lowest achievable share, grid, CLI."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import openpyxl
import pytest

from curve_fixtures import three_suppliers, tiny_workbook
from model_fixtures import random_data, two_years_stock
from models.sourcing import build_model
from optimizer.curves import tables as T
from optimizer.cli import main
from optimizer.curves.limits import Labeller
from optimizer.curves.parametric import (CurveError, cap_direction, compute_curve, vertices, with_cap_row, CurvePoint)
from optimizer.sourcing.run import solve_data


def costs(curve):
    return [(v.t, v.cost) for v in curve.vertices]


# --------------------------------------------------------------------------- by hand
@pytest.mark.parametrize("method", ["sandwich", "ranging"])
@pytest.mark.parametrize("mode", ["year", "path"])
def test_breakpoints_of_a_hand_solved_instance(mode, method):
    model = build_model(three_suppliers())      # one cap row: ranging works in both modes
    curve = compute_curve(model, cap_direction(model, mode), t_high=1.2, method=method)
    assert curve.lowest.t == pytest.approx(0.3, abs=1e-9)
    got = costs(curve)
    want = [(0.3, 1550.0), (0.7, 1150.0), (1.0, 1000.0), (1.2, 1000.0)]
    assert len(got) == len(want)
    for (t, c), (tw, cw) in zip(got, want):
        assert t == pytest.approx(tw, abs=1e-7)
        assert c == pytest.approx(cw, rel=1e-9)
    # slopes: 10,000 and 5,000 currency per percentage point, then flat
    per_pp = [s.cost_per_pp for s in curve.segments]
    assert per_pp == pytest.approx([10_000.0, 5_000.0, 0.0], abs=1e-6)
    # duals agree with the chords
    assert [s.dual_slope for s in curve.segments] == pytest.approx([-1000.0, -500.0, 0.0], abs=1e-6)
    # at 0.7 JP's capacity becomes binding as the target tightens
    becomes, stops = T.changes_at(curve, 1)
    assert "JP capacity for A, 2030" in becomes
    assert "JP capacity for A, 2030" not in stops


def test_lowest_share_and_what_holds_it_up():
    model = build_model(three_suppliers())
    curve = compute_curve(model, cap_direction(model, "year"), t_high=0.8)
    limits = {lim.item: lim.pp_per_unit for lim in curve.lowest.limits}
    # one more tonne of JP or AU capacity lowers the lowest share by 1 pp (1 t of 100 t demand)
    assert limits["buy[A,JP,2030] at upper"] == pytest.approx(-1.0, abs=1e-9)
    assert limits["buy[A,AU,2030] at upper"] == pytest.approx(-1.0, abs=1e-9)
    # one more tonne of demand raises it by 1 pp
    assert limits["balance[A,2030]"] == pytest.approx(1.0, abs=1e-9)
    assert curve.vertices[0].unmet == pytest.approx(0.0, abs=1e-7)
    # below the lowest share, demand goes unmet (independent fresh solve)
    res, _, _ = solve_data(three_suppliers(cap=0.29))
    assert res.unmet["unmet"].sum() == pytest.approx(1.0, abs=1e-6)


def test_asking_below_the_lowest_share_stops_there_with_a_note():
    model = build_model(three_suppliers())
    curve = compute_curve(model, cap_direction(model, "year"), t_high=0.8, t_low=0.1)
    assert curve.t_low == pytest.approx(0.3)
    assert any("lowest achievable share" in n for n in curve.notes)


def test_a_share_of_zero_reachable_has_no_limits():
    data = two_years_stock()     # 2030 cap 0 %: China bought in 2029 and carried
    model = build_model(data)
    curve = compute_curve(model, cap_direction(model, "year"), t_high=1.0)
    assert curve.lowest.t == 0.0
    assert curve.lowest.limits == []
    # by hand: buy 2030's 10 t in 2029 from CN (10/kg + 1/kg holding) instead of 10 t CN in 2030
    assert curve.cost_at(0.0) - curve.cost_at(1.0) == pytest.approx(10.0, rel=1e-9)


# --------------------------------------------------------------------------- against fresh solves
def scaled_policy(data, direction_mode, ref_year, t):
    pol = data.policy.copy()
    if direction_mode == "year":
        sel = (pol["year"] == ref_year) & (pol["scope"] == "ALL")
        pol.loc[sel, "max_china_share"] = t
    else:
        ref = float(pol.loc[(pol["year"] == ref_year) & (pol["scope"] == "ALL"), "max_china_share"].iloc[0])
        pol["max_china_share"] = pol["max_china_share"] * t / ref
    return replace(data, policy=pol)


@pytest.mark.parametrize("seed,mode", [(1, "year"), (2, "path"), (3, "path"), (4, "year")])
def test_exact_curve_agrees_with_independent_solves(seed, mode):
    data = random_data(seed)
    model = build_model(data)
    direction = cap_direction(model, mode)
    curve = compute_curve(model, direction, t_high=0.9, grid=7)
    assert curve.solves["exact"] < 200
    rng = np.random.default_rng(seed)
    targets = list(rng.uniform(curve.t_low, curve.t_high, 6)) + [v.t for v in curve.breakpoints[:3]]
    for t in targets:
        res, _, sol = solve_data(scaled_policy(data, mode, direction.year, t))
        assert res.proven_optimal
        assert curve.cost_at(t) / 1000.0 == pytest.approx(res.objective, rel=1e-6), t
    # the grid solved on the same warm-started model lies on the exact curve
    for p in curve.grid:
        assert p.cost == pytest.approx(curve.cost_at(p.t), rel=1e-7)


@pytest.mark.parametrize("seed", [5, 6])
def test_convex_and_non_increasing(seed):
    model = build_model(random_data(seed, n_mat=4, n_src=5))
    curve = compute_curve(model, cap_direction(model, "path"), t_high=1.0)
    slopes = np.array([s.slope for s in curve.segments])          # ascending t
    scale = max(abs(v.cost) for v in curve.vertices)
    assert np.all(slopes <= 1e-9 * scale)                          # a looser cap never costs more
    assert np.all(np.diff(slopes) >= -1e-7 * scale)                # slopes rise with t: convex
    # every breakpoint is a real kink (collinear points were merged)
    assert np.all(np.abs(np.diff(slopes)) > 0)


def test_sandwich_and_ranging_find_the_same_curve():
    model = build_model(random_data(7))
    d = cap_direction(model, "year")
    a = compute_curve(model, d, t_high=0.9, method="sandwich")
    b = compute_curve(model, d, t_high=0.9, method="ranging")
    assert len(a.vertices) == len(b.vertices)
    for u, v in zip(a.vertices, b.vertices):
        assert u.t == pytest.approx(v.t, abs=1e-6)
        assert u.cost == pytest.approx(v.cost, rel=1e-8)


def test_collinear_points_merge():
    pts = [CurvePoint(t, 100 - 10 * t, -10) for t in (0.0, 0.1, 0.25, 0.5)] + [CurvePoint(1.0, 95.0, 0.0)]
    v = vertices(pts)
    assert [p.t for p in v] == [0.0, 0.5, 1.0]


# --------------------------------------------------------------------------- directions
def test_year_mode_without_a_cap_row_gets_one():
    data = random_data(1)
    data = replace(data, policy=data.policy[data.policy["year"] != 2026])
    with pytest.raises(CurveError, match="no Policy row"):
        cap_direction(build_model(data), "year", 2026)
    model = build_model(with_cap_row(data, 2026))
    d = cap_direction(model, "year", 2026)
    assert d.current == 1.0 and d.rows.size == 1
    with pytest.raises(CurveError, match="not a planning year"):
        with_cap_row(data, 1999)


def test_path_direction_scales_every_row():
    model = build_model(random_data(1))
    d = cap_direction(model, "path")
    cap = model.cap_rows
    ref = float(cap.loc[(cap["scope"] == "ALL") & (cap["year"] == 2027), "max_china_share"].iloc[0])
    assert d.current == ref
    assert d.rhs(ref) == pytest.approx(cap["max_china_share"].to_numpy() * cap["weighted_demand"].to_numpy())


def test_labeller_matches_the_lp_labels():
    lp = build_model(random_data(2)).lp
    lab = Labeller(lp)
    rows, cols = lp.row_labels(), lp.column_labels()
    assert [lab.row(i) for i in range(lp.num_rows)] == rows
    assert [lab.col(j) for j in range(lp.num_cols)] == cols


# --------------------------------------------------------------------------- CLI
def test_cli_curve_writes_workbook_and_png(tmp_path, capsys):
    wb = tiny_workbook(tmp_path, scenarios=False)
    out, png = tmp_path / "curve.xlsx", tmp_path / "curve.png"
    code = main(["curve", str(wb), "-o", str(out), "--mode", "year", "--year", "2027", "--grid", "5",
                 "--png", str(png)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "lowest achievable share" in text and "Curve workbook" in text
    assert out.exists() and png.exists() and (tmp_path / "curve_marginal.png").exists()
    book = openpyxl.load_workbook(out)
    assert {"Summary", "Breakpoints", "Segments", "Binding changes", "Grid", "Chart"} <= set(book.sheetnames)
    assert book["Chart"]._charts, "the chart sheet has a native chart"
    # 2027 by hand: demand 15 t; CN 350/kg up to the cap, then BEDE 725 (6 t), then JP 900 (10 t)
    # lowest share: (15 - 16) < 0 -> 0 %; breakpoints where BEDE runs out: share 1 - 6/15 = 0.6
    bps = [r[1].value for r in book["Breakpoints"].iter_rows(min_row=2) if r[0].value == "breakpoint"]
    assert any(abs(b - 0.6) < 1e-9 for b in bps)


def test_cli_curve_usage_and_input_errors(tmp_path, capsys):
    wb = tiny_workbook(tmp_path, scenarios=False)
    assert main(["curve", str(wb), "--mode", "year", "--year", "1999", "-o", str(tmp_path / "a.xlsx")]) == 2
    assert "not a planning year" in capsys.readouterr().err
    assert main(["curve", str(wb), "-o", str(wb)]) == 2            # never over the input
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    assert main(["curve", str(bad), "-o", str(tmp_path / "b.xlsx")]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_bench_curve_smoke(tmp_path, capsys):
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_curve.py"
    spec = importlib.util.spec_from_file_location("bench_curve", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "curve.txt"
    assert bench.main(["--size", "small", "--points", "8", "--exact", "both", "--out", str(out)]) == 0
    text = out.read_text()
    assert "ratio ours/raw" in text and "largest relative difference" in text
    assert "ranging" in text and "sandwich" in text and "breakpoints" in text
