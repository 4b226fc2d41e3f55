"""Smoke test of the benchmark harness (benchmarks/) on the small preset.

No timing is ever asserted.  Checked: the synthetic generator gives the requested sizes;
native, pulp and pyomo reach the objective of raw highspy on the same matrix (1e-6
relative); the child-process protocol works; and the vectorised model-building code
builds exactly the matrix of the original loop-based code (kept below as reference
implementations, monkeypatched in) on several synthetic seeds.
"""
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_solve as B  # noqa: E402
import synthetic as SY  # noqa: E402
from models import sourcing as MS  # noqa: E402
from models.caps import scope_members  # noqa: E402
from models.lp import Terms, lookup  # noqa: E402
from models.sourcing import build_model  # noqa: E402


# --------------------------------------------------------------------------- sizes
@pytest.mark.parametrize("m,s,t", [(3, 4, 5), (6, 8, 16), (10, 3, 2)])
def test_generator_gives_requested_sizes(m, s, t):
    data = SY.synthetic_data(m, s, t, seed=1)
    model = build_model(data)
    blocks = model.lp.var_blocks
    assert blocks["buy"].size == m * s * t                  # density 1: every offer
    assert blocks["stock"].size == m * t and blocks["unmet"].size == m * t
    assert data.settings.years == list(range(SY.FIRST_YEAR, SY.FIRST_YEAR + t))
    assert set(data.suppliers["bloc"]) >= {"china", "ally"}
    assert (data.suppliers["bloc"] == "china").sum() == 1
    c = SY.counts(model)
    assert c["variables"] == model.lp.num_cols == sum(c["by_family"].values())
    assert c["rows"] == model.lp.num_rows and c["nonzeros"] > 0


def test_density_thins_offers_but_keeps_china():
    data = SY.synthetic_data(20, 10, 3, seed=2, density=0.5)
    n = len(data.supply)
    assert 20 * 3 < n < 20 * 10 * 3
    cn = data.supply[data.supply["source"] == "CN"]
    assert len(cn) == 20 * 3                                  # China offers everything


def test_presets_have_the_documented_shape():
    assert B.expected_buy("small") == 768
    assert B.expected_buy("100k") == 108_000
    assert B.expected_buy("1m") == 1_100_000
    assert B.expected_buy("1m-monthly") == 81_600 <= B.WORKBOOK_MAX_ROWS     # its input workbook can be read
    assert B.make_data("1m-monthly").settings.periods_per_year == 12
    monthly = SY.synthetic_data(3, 4, 2, periods_per_year=12)                 # 12 periods: more columns per offer
    assert build_model(monthly).lp.num_cols > 5 * build_model(SY.synthetic_data(3, 4, 2)).lp.num_cols
    model = build_model(SY.preset_data("small"))
    assert model.lp.var_blocks["buy"].size == 768
    assert 1_000 <= model.lp.num_cols <= 1_300


def test_synthetic_is_deterministic_and_solves_with_a_binding_cap():
    a, b = SY.synthetic_data(5, 6, 4, seed=3), SY.synthetic_data(5, 6, 4, seed=3)
    pd.testing.assert_frame_equal(a.supply, b.supply)
    from optimizer.core.solver import OPTIMAL
    from optimizer.sourcing.run import RunOptions, solve_data
    res, _, _ = solve_data(a, RunOptions(ranging=False))
    assert res.status == OPTIMAL
    all_caps = res.cap_sensitivity[res.cap_sensitivity["scope"] == "ALL"]
    assert all_caps["binding"].any()                          # China cheapest: the glide path binds


# --------------------------------------------------------------------------- objectives
def test_backends_agree_with_raw_highspy_on_small():
    r = B.bench_size("small", ["native", "pulp", "pyomo"], isolate=False, workbook=False, report=False,
                     log=lambda msg: None)
    assert "error" not in r["raw"], r["raw"].get("error")
    assert r["raw"]["status"] == "Optimal"
    for b in ("native", "pulp", "pyomo"):
        res = r["backends"][b]
        assert "error" not in res, res.get("error")
        assert res["status"] == "optimal"
        assert res["fingerprint"] == r["raw"]["fingerprint"]          # the same matrix
        assert res["objective"] == pytest.approx(r["raw"]["objective"], rel=1e-6)
        assert res["rel_diff"] < 1e-6
    assert r["failures"] == []
    text = B.format_size(r, isolate=False)
    assert "raw highspy" in text and "native" in text and "pyomo" in text


def test_stage_table_shows_analyse_against_the_same_runs_solve():
    r = B.bench_size("small", ["native"], isolate=False, workbook=False, report=True, log=lambda msg: None)
    pt = r["report"]["pipeline_timings"]
    assert {"build", "solve", "analyse", B.RANGING} <= set(pt)       # the solve's ranging on its own
    text = B.format_size(r, isolate=False)
    row = next(line for line in text.splitlines() if line.startswith("analyse (readout"))
    assert re.search(r"\s\d+\.\d\dx\s", row)                             # the ratio, measured in this run
    assert "analyse / solve" in text and "HiGHS ranging" in text
    Path(r["report"]["path"]).unlink(missing_ok=True)


def test_child_process_job_reports_peak_rss():
    out = B.run_job("raw", isolate=True, timeout=120, size="3x4x3", seed=0, repeat=1)
    assert "error" not in out, out.get("error")
    assert out["rss"]["peak"] > 10 and out["status"] == "Optimal"


def test_workbook_round_trip_jobs_on_a_tiny_instance(tmp_path):
    out = B.bench_workbook("3x4x3", seed=0, tmpdir=str(tmp_path), isolate=False)
    w, rd, ca = out["write"], out["read"], out["calamine"]
    assert "error" not in w, w.get("error")
    assert w["supply_rows"] == 36 and w["write"] >= 0 and w["file_mb"] > 0
    assert "error" not in rd, rd.get("error")
    if "read" in rd:   # optimizer.sourcing.validate present and accepting the synthetic workbook
        assert rd["read_rows"] == 36
    else:
        assert rd["note"].startswith("skipped")
    assert "error" not in ca and ("calamine" in ca or ca["note"].startswith("skipped"))
    cli = out["cli"]                      # end to end through the command line, as a user runs it
    assert "error" not in cli, cli.get("error")
    assert cli["exit"] in (0, 1) and cli["wall"] > 0 and cli["rss_mb"] > 10 and cli["file_mb"] > 0
    assert set(cli["stages"]) >= {"load_validate", "build", "solve", "analyse", "write"}
    assert "skipped" in B.bench_workbook("1m", seed=0, tmpdir=str(tmp_path))


# --------------------------------------------------------------------------- same formulation
# The original (loop-based) implementations of the functions that were vectorised for
# build speed, verbatim apart from names.  Building with them monkeypatched in must give
# the same matrix, bounds, costs and side tables.
def _orig_add_material_balance(model):
    lp, data = model.lp, model.data
    idx = MS._mat_year_index(data)
    n = len(idx)
    pos = {k: i for i, k in enumerate(zip(idx["material"], idx["year"]))}
    terms = Terms()
    buy = lp.var_blocks["buy"]
    o = buy.index
    terms.add([pos[k] for k in zip(o["material"], o["year"])], buy.positions, 1.0)
    stock = lp.var_blocks["stock"]
    terms.add(np.arange(n), stock.positions, -1.0)
    prev = idx.copy()
    prev["year"] = prev["year"] + 1
    has_next = prev["year"] <= data.settings.last_year
    terms.add([pos[k] for k in zip(prev["material"][has_next], prev["year"][has_next])],
              stock.positions[has_next.to_numpy()], 1.0)
    terms.add(np.arange(n), lp.var_blocks["unmet"].positions, 1.0)
    make = lp.var_blocks["make"]
    if make.size:
        mat = lookup(make.index, data.investments, ["project"], None)
        mat_of = data.investments["material"].to_numpy()[mat]
        terms.add([pos[k] for k in zip(mat_of, make.index["year"])], make.positions, 1.0)
    dem = lookup(idx, model.demand, ["material", "year"], "demand")
    rhs = np.nan_to_num(dem)
    opening = lookup(idx, data.materials, ["material"], "opening_stock")
    first = (idx["year"] == data.settings.first_year).to_numpy()
    rhs = rhs - np.where(first, np.nan_to_num(opening), 0.0)
    lp.add_constraints("balance", idx, terms, lower=rhs, upper=rhs, doc="material balance (t)")


def _orig_add_china_share_cap(model):
    lp, data = model.lp, model.data
    pol = data.policy[data.policy["year"].isin(set(data.years))].reset_index(drop=True)
    wmap = dict(zip(data.materials["material"], data.materials["reference_value"]))
    dem = {(m, t): d for m, t, d in zip(model.demand["material"], model.demand["year"], model.demand["demand"])}
    buy = lp.var_blocks["buy"]
    o = model.offers
    china_buy = (o["bloc"] == "china").to_numpy()
    make = lp.var_blocks["make"]
    china_sources = set(data.suppliers.loc[data.suppliers["bloc"] == "china", "source"])
    terms = Terms()
    rhs, wdem, members_txt = [], [], []
    for r, (scope, t, theta) in enumerate(zip(pol["scope"], pol["year"], pol["max_china_share"])):
        members = scope_members(data, scope)
        sel = china_buy & o["material"].isin(members).to_numpy() & (o["year"] == t).to_numpy()
        terms.add(np.full(int(sel.sum()), r), buy.positions[sel], o["reference_value"].to_numpy()[sel])
        if make.size:
            inv = data.investments.set_index("project")
            for j, (p, ty) in enumerate(zip(make.index["project"], make.index["year"])):
                if ty == t and inv.at[p, "material"] in members and inv.at[p, "source"] in china_sources:
                    terms.add([r], [make.start + j], [wmap[inv.at[p, "material"]]])
        wd = sum(wmap[m] * dem.get((m, t), 0.0) for m in members)
        wdem.append(wd)
        rhs.append(theta * wd)
        members_txt.append(",".join(members))
    lp.add_constraints("china_cap", pol[["scope", "year"]], terms, upper=np.array(rhs, dtype=float),
                       doc="China-bloc purchases, value-weighted (k-currency-equivalent)")
    model.cap_rows = pol[["scope", "year", "max_china_share"]].assign(
        weighted_demand=np.array(wdem, dtype=float), members=members_txt)


def _orig_add_ramp_limits(model):
    lp, o = model.lp, model.offers
    buy = lp.var_blocks["buy"]
    first = model.data.settings.first_year
    sel = o["max_increase"].notna().to_numpy() & (o["year"] > first).to_numpy()
    idx = o.loc[sel, ["material", "source", "year"]].reset_index(drop=True)
    terms = Terms().add(np.arange(len(idx)), buy.positions[sel], 1.0)
    prev = idx.copy()
    prev["year"] = prev["year"] - 1
    ppos = lookup(prev, o, ["material", "source", "year"])
    has = ppos >= 0
    terms.add(np.flatnonzero(has), buy.positions[ppos[has]], -1.0)
    lp.add_constraints("ramp", idx, terms, upper=o.loc[sel, "max_increase"].to_numpy(),
                       doc="year-on-year purchase increase (t)")


def _orig_add_project_output_limit(model):
    lp = model.lp
    make, build = lp.var_blocks["make"], lp.var_blocks["build"]
    idx = make.index
    terms = Terms().add(np.arange(make.size), make.positions, 1.0)
    if make.size:
        cap = lookup(idx, model.data.investments, ["project"], "capacity")
        for p, grp in idx.groupby("project", sort=False):
            rows = grp.index.to_numpy()
            years = grp["year"].to_numpy()
            for r, t in zip(rows, years):
                cols = build.start + rows[years <= t]
                terms.add(np.full(cols.size, r), cols, -cap[r])
    lp.add_constraints("project_output", idx, terms, upper=0.0, doc="output within built capacity")


def _orig_csc(lp):
    rows = np.concatenate(lp._coo_rows).astype(np.int64)
    cols = np.concatenate(lp._coo_cols).astype(np.int64)
    vals = np.concatenate(lp._coo_vals).astype(float)
    key = cols * max(lp.num_rows, 1) + rows
    order = np.argsort(key, kind="stable")
    key, vals = key[order], vals[order]
    uniq, first = np.unique(key, return_index=True)
    summed = np.add.reduceat(vals, first) if vals.size else vals
    keep = summed != 0.0
    uniq, summed = uniq[keep], summed[keep]
    cols_u = uniq // max(lp.num_rows, 1)
    rows_u = uniq % max(lp.num_rows, 1)
    start = np.zeros(lp.num_cols + 1, dtype=np.int64)
    np.add.at(start, cols_u + 1, 1)
    return np.cumsum(start), rows_u.astype(np.int32), summed


def _instances():
    import dataclasses
    out = [SY.synthetic_data(7, 9, 6, seed=s, density=0.7) for s in range(3)]
    d = SY.synthetic_data(10, 12, 5, seed=5, density=0.5)
    extra = pd.DataFrame({"year": [2026, 2027], "scope": ["G1", "G2"], "max_china_share": [0.4, 0.5]})
    out.append(dataclasses.replace(d, policy=pd.concat([d.policy, extra], ignore_index=True)))
    d = SY.synthetic_data(5, 6, 6, seed=6)                     # gaps in the supply years
    out.append(dataclasses.replace(d, supply=d.supply.sample(frac=0.7, random_state=1)
                                   .reset_index(drop=True)))
    out.append(SY.synthetic_data(6, 7, 5, seed=2).with_settings(max_single_source_share=0.3))
    return out


def test_vectorised_build_equals_original_loops(monkeypatch):
    for data in _instances():
        new = build_model(data)
        with monkeypatch.context() as mp:
            mp.setattr(MS, "add_material_balance", _orig_add_material_balance)
            mp.setattr(MS, "add_share_caps", _orig_add_china_share_cap)   # the classic China caps
            mp.setattr(MS, "add_ramp_limits", _orig_add_ramp_limits)
            mp.setattr(MS, "add_project_output_limit", _orig_add_project_output_limit)
            old = build_model(data)
        for a, b in zip(new.lp.csc(), _orig_csc(old.lp)):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        for a, b in zip(new.lp.arrays(), old.lp.arrays()):
            assert np.array_equal(a, b)
        # families added since (country caps, conversion) are empty on these instances
        assert [k for k, b in new.lp.row_blocks.items() if b.size] == [k for k, b in old.lp.row_blocks.items() if b.size]
        for k, blk in old.lp.row_blocks.items():
            assert new.lp.row_blocks[k].start == blk.start
            pd.testing.assert_frame_equal(new.lp.row_blocks[k].index.reset_index(drop=True), blk.index.reset_index(drop=True), check_dtype=False)
        classic = ["scope", "year", "max_china_share", "weighted_demand", "members"]
        pd.testing.assert_frame_equal(new.cap_rows[classic], old.cap_rows[classic], check_exact=True, check_dtype=False)


# --------------------------------------------------------------------------- stochastic EF
def test_bench_stochastic_smoke(capsys):
    """benchmarks/bench_stochastic.py on a tiny EF: both paths reach the same optimum; the
    time-limited mode (used at 1 M variables) prints its bound and memory lines."""
    import bench_stochastic as BS
    # threads=None: HiGHS refuses a thread count different from its already-started scheduler's
    ratio, rss = BS.run("3x4x3", 6, 1.0, 0.9, 0, threads=None)
    out = capsys.readouterr().out
    assert "-> agree" in out and "status optimal" in out, out
    assert ratio > 0 and rss > 0
    bound, rss = BS.run_limited("3x4x3", 6, 1.0, 0.9, 0, threads=None, limit=5.0)
    out = capsys.readouterr().out
    assert "end-to-end ratio for any solve needing >= 5 s of run(): <=" in out
    assert bound > 0
    assert "peak RSS after our path" in out


def test_sensitivity_benchmark_runs_on_the_sample():
    import bench_sensitivity as BS
    r = BS.measure("sample")
    assert r["rows"] == 7 and r["exact"] == 7 and r["resolves"] >= 2 * r["rows"] and r["auto"] == "exact"


def test_dependence_benchmark_smoke(capsys):
    """benchmarks/bench_dependence.py on the small instance: the three policies solve, agree with raw
    highspy on the same arrays (asserted inside), and the any-country caps add rows."""
    import bench_dependence as BD
    data = BD.with_origins(BD.make_data("small"))
    rows = {name: BD.one(data, name, pol) for name, pol in BD.policies(data).items()}
    assert all(r["status"] == "optimal" for r in rows.values())
    assert rows["any"]["cap_rows"] > rows["direct"]["cap_rows"]
    assert rows["lt-any"]["dependence_rows"] > 0


def test_bench_decompose_smoke(capsys):
    """benchmarks/bench_decompose.py on a tiny instance: the L-shaped method reaches the raw
    extensive form's optimum within its certified gap, and the report says so (no timing asserted)."""
    import bench_decompose as BD
    o = BD.ours("3x4x3", 6, 0, 0.95, 1.0, 1e-6, None, 1, progress=False)
    r = BD.raw("3x4x3", 6, 0, 0.95, 1.0, 0)
    assert o["status"] == "optimal" and r["status"] == "Optimal"
    assert o["lower"] <= r["objective"] * (1 + 1e-9) and o["upper"] == pytest.approx(r["objective"], rel=1e-6)
    assert r["dual_feasible"] and r["dual_objective"] == pytest.approx(r["objective"], rel=1e-9)
    text = BD.report(o, r, 1e-6)
    assert "raw optimum inside our bounds: True" in text and "peak RSS" in text


def test_bench_compare_smoke(tmp_path, capsys):
    """benchmarks/bench_compare.py on the curve tests' tiny workbook: the comparison on 2 worker
    processes has the serial run's tables, and the report says so (no timing asserted)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "curves"))
    from curve_fixtures import tiny_workbook
    import bench_compare as BC
    # threads=None: HiGHS refuses a thread count different from its already-started scheduler's
    r = BC.run(str(tiny_workbook(tmp_path)), workers=2, curves=False, threads=None)
    assert r["same"] and r["runs"] == 4 and r["workers"] == 2
    assert "same tables as the serial run (numbers to 1e-9 relative): yes" in BC.report(r)
