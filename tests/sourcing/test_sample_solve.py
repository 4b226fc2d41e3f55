"""Properties of the bundled sample's optimal plan, in the base case and every scenario:
demand met or its shortfall reported and explained, every capacity and minimum respected,
the China share within the glide path every year, the three backends in agreement."""
from pathlib import Path

import numpy as np
import pytest

from optimizer.core.solver import OPTIMAL
from optimizer.sourcing.run import RunOptions, solve_data

SAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "korea_2024_2030.xlsx"
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="sample workbook not built")


@pytest.fixture(scope="module")
def sample():
    from optimizer.sourcing.validate import load_and_validate
    return load_and_validate(str(SAMPLE))


@pytest.fixture(scope="module")
def base(sample):
    return solve_data(sample)


def check_properties(res, model, sol):
    assert res.status == OPTIMAL, res.status_message
    assert model.lp.check_feasible(sol.x) == []
    plan = res.plan
    assert (plan["tonnes"] >= plan["min_volume"] - 1e-6).all()
    assert (plan["tonnes"] <= plan["capacity"] + 1e-6).all()
    st = res.stockpile
    served = st["opening"] + st["purchases"] + st["project_output"] + st["unmet"] - st["closing"]
    assert np.allclose(served, st["demand"], atol=1e-6)
    assert (st["closing"] >= -1e-9).all()
    capped = res.shares[res.shares["target"].notna()]
    assert (capped["china_share"] <= capped["target"] + 1e-7).all()
    if len(res.unmet):
        # every unmet material-year is explained by name
        for _, u in res.unmet.iterrows():
            assert any(f"{u['material']} {int(u['year'])}" in s for s in res.explanation)


def test_base_case_properties(base):
    check_properties(*base)


def test_base_case_meets_glide_path_every_year(base):
    res = base[0]
    years = set(res.shares.loc[res.shares["scope"] == "ALL", "year"])
    assert {2025, 2026, 2027, 2028, 2029, 2030} <= years
    row2030 = res.shares[(res.shares["scope"] == "ALL") & (res.shares["year"] == 2030)].iloc[0]
    assert row2030["target"] == pytest.approx(0.5)
    assert row2030["china_share"] <= 0.5 + 1e-7


@pytest.mark.parametrize("backend", ["pulp", "pyomo"])
def test_backends_agree_on_the_sample(sample, base, backend):
    res, model, sol = solve_data(sample, RunOptions(backend=backend))
    assert res.status == OPTIMAL
    assert res.objective == pytest.approx(base[0].objective, rel=1e-7)
    assert model.lp.check_feasible(sol.x) == []


def test_cbc_agrees_on_the_sample(sample, base):
    res, _, _ = solve_data(sample, RunOptions(backend="pulp", solver="cbc"))
    assert res.status == OPTIMAL
    assert res.objective == pytest.approx(base[0].objective, rel=1e-6)


def test_every_scenario_solves_with_the_same_properties(sample):
    from optimizer.sourcing.overrides import apply_scenario
    names = sample.scenario_names()
    assert len(names) >= 5
    for name in names:
        data = apply_scenario(sample, name)
        res, model, sol = solve_data(data)
        check_properties(res, model, sol)


def test_gallium_embargo_costs_more_than_base(sample, base):
    from optimizer.sourcing.overrides import apply_scenario
    if "ga_embargo_2026" not in sample.scenario_names():
        pytest.skip("scenario not in sample")
    res, _, _ = solve_data(apply_scenario(sample, "ga_embargo_2026"))
    assert res.objective >= base[0].objective - 1e-9
    cn_ga_2026 = res.plan[(res.plan["material"] == "GA") & (res.plan["source"] == "CN") & (res.plan["year"] == 2026)]
    assert cn_ga_2026["tonnes"].sum() == pytest.approx(0.0, abs=1e-9)
