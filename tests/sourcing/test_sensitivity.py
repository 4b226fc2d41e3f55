"""Sensitivity right on every row: each reported price holds up to the reported end of its range
and changes just beyond it, checked against independent re-solves (a fresh model with the
changed target, not the resolver that computed the range).

Row kinds: a binding cap, a cap that does not bind, a cap at a kink of the cost curve
(tightening costs, loosening saves nothing), per-material caps, a group cap, and a
single-source cap; plus the total marginal cost of one more tonne of demand.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from model_fixtures import make_data
from models.sourcing import build_model
from optimizer.core.solver import OPTIMAL, SolveOptions, solve_lp
from optimizer.sourcing.run import solve_data
from optimizer.sourcing.sensitivity import row_ranges
from optimizer.sourcing.validate import load_and_validate

from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "korea_2024_2030.xlsx"
PP = 0.01


def with_target(data, year: int, scope: str, share: float):
    pol = data.policy.copy()
    sel = (pol["year"] == year) & (pol["scope"] == scope)
    if sel.any():
        pol.loc[sel, "max_china_share"] = share
    else:
        pol = pd.concat([pol, pd.DataFrame({"year": [year], "scope": [scope], "max_china_share": [share]})],
                        ignore_index=True)
    return replace(data, policy=pol)


def objective(data) -> float:
    res, _, _ = solve_data(data)
    assert res.status == OPTIMAL
    return res.objective


def _obj_or_none(data, year, scope, share):
    res, _, _ = solve_data(with_target(data, year, scope, share))
    return res.objective if res.status == OPTIMAL else None


def _differs(a: float, b: float) -> bool:
    return abs(a - b) > 1e-6 * max(1e-6, abs(a), abs(b))


def check_cap_row(data, year: int, scope: str):
    """Re-solve across the reported ranges: the secant over each range is the reported price, the
    slope just beyond each end is a different one.  Returns the row of the table."""
    res, _, _ = solve_data(data)
    cs = res.cap_sensitivity
    row = cs[(cs["year"] == year) & (cs["scope"] == scope)].iloc[0]
    t0, c0 = row["target"], res.objective
    assert row["rhs_share_low"] <= t0 + 1e-9 <= row["rhs_share_high"] + 2e-9, "the range contains the target"
    tight, loose = row["cost_per_pp_tighter"], row["saving_per_pp_looser"]
    lo, hi = row["rhs_share_low"], row["rhs_share_high"]
    d = 1e-4
    # the prices themselves, by a small step each way
    assert (objective(with_target(data, year, scope, t0 - d)) - c0) / d * PP == pytest.approx(tight, rel=1e-6, abs=1e-9)
    if t0 + d <= 1.0:
        assert (c0 - objective(with_target(data, year, scope, t0 + d))) / d * PP == \
            pytest.approx(loose, rel=1e-6, abs=1e-9)
    # tightening: the same price all the way down to lo, another one just below it
    if lo < t0 - 2 * d:
        assert (objective(with_target(data, year, scope, lo)) - c0) / (t0 - lo) * PP == \
            pytest.approx(tight, rel=1e-6, abs=1e-9)
    a, b = _obj_or_none(data, year, scope, lo - d), _obj_or_none(data, year, scope, lo - 2 * d)
    if lo - 2 * d > 0 and a is not None and b is not None:
        assert _differs((b - a) / d * PP, tight), "the price changes below the range"
    # loosening: the same saving up to hi, another one just above it (none: looser never changes it)
    if np.isfinite(hi) and hi + 2 * d < 1.0:
        if hi > t0 + 2 * d:
            assert (c0 - objective(with_target(data, year, scope, hi))) / (hi - t0) * PP == \
                pytest.approx(loose, rel=1e-6, abs=1e-9)
        a, b = objective(with_target(data, year, scope, hi + d)), objective(with_target(data, year, scope, hi + 2 * d))
        assert _differs((a - b) / d * PP, loose), "the saving changes above the range"
    elif not np.isfinite(hi) and t0 < 0.95:
        assert (c0 - objective(with_target(data, year, scope, t0 + 0.05))) / 0.05 * PP == \
            pytest.approx(loose, rel=1e-6, abs=1e-9)
    return row


@pytest.fixture(scope="module")
def sample():
    return load_and_validate(str(SAMPLE))


def test_binding_cap(sample):
    row = check_cap_row(sample, 2027, "ALL")
    assert row["binding"] and row["cost_per_pp_tighter"] > 0 and row["tightening_free_pp"] == 0


def test_cap_that_does_not_bind():
    """korea_targeted_ban_2026: in 2026 the share is far below its target; price 0 from the share up,
    and the target can tighten for free down to the share -- or below it, where another plan of the
    same cost has a lower share (alternative optima; check_cap_row re-solves at the low end and
    just below it).  The issue's 38.9 % vs 63.3 % row."""
    data = load_and_validate(str(SAMPLE), scenario="korea_targeted_ban_2026")
    row = check_cap_row(data, 2026, "ALL")
    assert not row["binding"]
    assert row["cost_per_pp_tighter"] == 0 and row["saving_per_pp_looser"] == 0
    assert row["rhs_share_low"] <= row["china_share"] + 1e-9
    assert row["tightening_free_pp"] == pytest.approx((row["target"] - row["rhs_share_low"]) * 100, abs=1e-4)


def test_cap_at_a_kink():
    """per_material_targets: the ALL caps bind together with the material caps; loosening saves
    nothing, tightening costs (the issue's 25.7 / 18.0 / 9.5 M per point on the sample before issue
    13; with the Korean magnet lines as conversion, 0.039 / 0.039 / 0.040 USD M per point)."""
    data = load_and_validate(str(SAMPLE), scenario="per_material_targets")
    for year, cost in ((2025, 0.038897), (2026, 0.039278), (2027, 0.040392)):
        row = check_cap_row(data, year, "ALL")
        assert row["saving_per_pp_looser"] == pytest.approx(0.0, abs=1e-6)
        assert row["cost_per_pp_tighter"] == pytest.approx(cost, rel=1e-4)


def test_per_material_caps():
    data = load_and_validate(str(SAMPLE), scenario="per_material_targets")
    for scope, year in (("MAG", 2026), ("DYTB", 2027), ("GA", 2025)):
        check_cap_row(data, year, scope)


def test_group_cap(sample):
    data = with_target(sample, 2028, "REE", 0.55)
    check_cap_row(data, 2028, "REE")


def test_single_source_cap_rows():
    """A single-source cap (sigma x demand): the generic row ranges against LP re-solves."""
    data = make_data(materials=[("A", 10.0, 0.0, 0.0)], suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.2),
                                                                 ("US", "ally", 0.1)],
                     supply=[("A", "CN", 2030, 100.0, 10.0, np.nan, np.nan), ("A", "JP", 2030, 70.0, 15.0, np.nan, np.nan),
                             ("A", "US", 2030, 60.0, 20.0, np.nan, np.nan)],
                     demand=[("A", 2030, 100.0)], max_single_source_share=0.5)
    model = build_model(data)
    lp = model.lp
    sol = solve_lp(lp, SolveOptions())
    rows = lp.row_blocks["single_source"].positions
    ranges = row_ranges(lp, sol, rows, SolveOptions())
    _, _, _, rl, ru, _ = lp.arrays()
    for r in ranges:
        base = sol.objective

        def at(b):
            lp.row_upper[list(lp.row_blocks).index("single_source")][r.row - rows[0]] = b
            lp._csc_cache = None
            out = solve_lp(lp, SolveOptions(ranging=False))
            lp.row_upper[list(lp.row_blocks).index("single_source")][r.row - rows[0]] = r.bound
            return out.objective if out.status == OPTIMAL else np.inf
        b0 = r.bound
        assert at(b0 - 1.0) == pytest.approx(base + r.tighten, rel=1e-9, abs=1e-9)
        if np.isfinite(r.low) and r.low < b0 - 1.01:
            assert at(r.low) == pytest.approx(base + r.tighten * (b0 - r.low), rel=1e-9, abs=1e-6)
            assert at(r.low - 1.0) > base + r.tighten * (b0 - r.low + 1.0) + 1e-6
        if np.isfinite(r.high):
            assert at(r.high) == pytest.approx(base - r.loosen * (r.high - b0), rel=1e-9, abs=1e-6)


def test_total_marginal_cost_of_demand(sample):
    """+0.1 t of MAG demand in 2024: the objective moves by the total marginal cost (balance, caps
    and stock target together), not by the balance dual alone (the issue's 472.94 vs 140.22 on the
    sample before issue 13; 470.18 vs 139.67 now)."""
    res, model, _ = solve_data(sample)
    dm = res.demand_sensitivity
    row = dm[(dm["material"] == "MAG") & (dm["year"] == 2024)].iloc[0]
    assert row["marginal_cost"] == pytest.approx(470.18, abs=0.01)
    assert row["total_marginal_cost"] == pytest.approx(139.67, abs=0.01)
    dem = sample.demand.copy()
    dem.loc[(dem["material"] == "MAG") & (dem["year"] == 2024), "demand"] += 0.1
    bumped = objective(replace(sample, demand=dem))
    df = model.discount[2024]
    # currency/kg x 0.1 t = k-currency / 10 -> currency M / 10,000; undiscounted -> x df
    assert (bumped - res.objective) == pytest.approx(row["total_marginal_cost"] * df * 0.1 / 1000.0, rel=1e-4)


def test_degenerate_cap():
    """China's 50 t are held both by the China cap (50 % of 100 t) and by the single-source cap
    (50 % of demand), and JP's by the single-source cap: the plan is degenerate, the solver may put
    the price on either row.  Tightening the China cap costs US's premium over China (20 USD/kg =
    0.02 USD M per point) all the way down to 0 % (US takes China's place); loosening it saves
    nothing, at any target, because the single-source cap still holds China at 50 t."""
    data = make_data(materials=[("A", 1.0, 0.0, 0.0)],
                     suppliers=[("CN", "china", 0.0), ("JP", "ally", 0.0), ("US", "ally", 0.0)],
                     supply=[("A", "CN", 2030, 100.0, 10.0, np.nan, np.nan),
                             ("A", "JP", 2030, 60.0, 20.0, np.nan, np.nan),
                             ("A", "US", 2030, 100.0, 30.0, np.nan, np.nan)],
                     demand=[("A", 2030, 100.0)], policy=[(2030, "ALL", 0.5)], max_single_source_share=0.5)
    row = check_cap_row(data, 2030, "ALL")
    assert row["binding"]
    assert row["cost_per_pp_tighter"] == pytest.approx(0.02, rel=1e-9)
    assert row["rhs_share_low"] == pytest.approx(0.0, abs=1e-7)
    assert row["saving_per_pp_looser"] == pytest.approx(0.0, abs=1e-12)
    assert not np.isfinite(row["rhs_share_high"])


@pytest.mark.parametrize("seed", range(4))
def test_every_cap_row_of_random_instances(seed):
    """The class, not the examples: every cap row of random instances (binding or not, ALL and
    per-material, with projects and ramp limits) against independent re-solves."""
    from model_fixtures import random_data
    data = random_data(seed)
    res, _, _ = solve_data(data)
    for year, scope in zip(res.cap_sensitivity["year"], res.cap_sensitivity["scope"]):
        check_cap_row(data, int(year), scope)


def test_dual_mode_is_flagged_and_right_where_it_can_be():
    """Without re-solves: a cap that does not bind saves nothing when loosened and is free at least
    down to its share; a binding cap away from a kink gets the re-solved price; every row says
    'range exact = no'."""
    from optimizer.sourcing.run import RunOptions
    data = load_and_validate(str(SAMPLE), scenario="korea_targeted_ban_2026")
    exact, _, _ = solve_data(data)
    dual, _, _ = solve_data(data, RunOptions(sensitivity="dual"))
    e, d = exact.cap_sensitivity, dual.cap_sensitivity
    assert not d["range_exact"].any() and e["range_exact"].all()
    slack = d[(d["year"] == 2026) & (d["scope"] == "ALL")].iloc[0]
    assert slack["saving_per_pp_looser"] == 0 and slack["cost_per_pp_tighter"] == 0
    assert slack["rhs_share_low"] == pytest.approx(slack["china_share"], abs=1e-9)
    assert slack["tightening_free_pp"] == pytest.approx((slack["target"] - slack["china_share"]) * 100, abs=1e-6)
    no_kink = e[e["binding"] & np.isclose(e["cost_per_pp_tighter"], e["saving_per_pp_looser"], rtol=1e-9)]
    assert len(no_kink)
    for _, row in no_kink.iterrows():
        got = d[(d["year"] == row["year"]) & (d["scope"] == row["scope"])].iloc[0]
        assert got["cost_per_pp_tighter"] == pytest.approx(row["cost_per_pp_tighter"], rel=1e-6)


def test_auto_re_solves_small_models_and_reads_duals_of_large_ones(monkeypatch, sample):
    from optimizer.sourcing import sensitivity as SENS
    from optimizer.sourcing.run import RunOptions
    res, model, _ = solve_data(sample)
    assert model.lp.num_cols <= SENS.EXACT_MAX_COLUMNS and res.cap_sensitivity["range_exact"].all()
    monkeypatch.setattr(SENS, "EXACT_MAX_COLUMNS", 100)
    big, _, _ = solve_data(sample)
    assert not big.cap_sensitivity["range_exact"].any()
    forced, _, _ = solve_data(sample, RunOptions(sensitivity="exact"))
    assert forced.cap_sensitivity["range_exact"].all()


def test_sensitivity_flag_on_the_command_line(tmp_path, capsys):
    from optimizer.cli import main
    out = tmp_path / "dual.xlsx"
    assert main(["solve", str(SAMPLE), "-o", str(out), "--sensitivity", "dual"]) == 0
    import openpyxl
    ws = openpyxl.load_workbook(out)["Sensitivity"]
    notes = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("0 of 7 prices were checked by re-solving" in t and "--sensitivity exact" in t for t in notes)
    with pytest.raises(SystemExit) as err:
        main(["solve", str(SAMPLE), "-o", str(out), "--sensitivity", "guess"])
    assert err.value.code == 2
