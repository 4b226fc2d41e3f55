"""Named scenarios: overrides applied to a copy of the validated data."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from optimizer.robustness import factory as F
from model_fixtures import one_year
from optimizer.sourcing import schema as S
from optimizer.core.issues import InputError
from optimizer.sourcing.overrides import apply_scenario, list_scenarios
from optimizer.sourcing.validate import load_and_validate

TABLES = ("materials", "suppliers", "supply", "demand", "policy", "stockpile", "investments", "budget")


@pytest.fixture(scope="module")
def base_file(tmp_path_factory):
    return F.write_valid(tmp_path_factory.mktemp("scen"))


@pytest.fixture(scope="module")
def base(base_file):
    return load_and_validate(base_file)


def with_scenarios(data, rows):
    """``data`` with its Scenarios table replaced by ``rows`` (dicts of scenario column keys)."""
    full = [{c.key: r.get(c.key, c.default if c.default is not None else pd.NA) for c in S.SCENARIOS.columns}
            for r in rows]
    frame = pd.DataFrame(full, columns=[c.key for c in S.SCENARIOS.columns]).astype(
        {"year": "Int64", "value": float, "material": str, "source": str, "scenario": str})
    frame.index = pd.Index(range(2, 2 + len(frame)), name="row")
    return F.replace_data(data, scenarios=frame)


def unchanged_except(before, after, *changed):
    for name in TABLES:
        if name not in changed:
            assert_frame_equal(getattr(before, name), getattr(after, name))


def test_list_scenarios_in_sheet_order(base):
    assert list_scenarios(base) == ["ga_embargo", "risk_heavy", "demand_up", "ga_cap"]


def test_multiply_capacity_changes_exactly_one_row(base):
    snapshot = base.supply.copy()
    new = apply_scenario(base, "ga_embargo")
    expected = base.supply.copy()
    row = (expected["material"] == "GA") & (expected["source"] == "CN") & (expected["year"] == 2026)
    assert row.sum() == 1
    expected.loc[row, "capacity"] = 0.0
    assert_frame_equal(new.supply, expected)
    assert_frame_equal(base.supply, snapshot)          # the input is never mutated
    assert base.supply.loc[row, "capacity"].item() == pytest.approx(100.0)
    unchanged_except(base, new, "supply")
    assert new.settings.scenario == "ga_embargo" and base.settings.scenario == ""
    assert new.settings.unmet_penalty == base.settings.unmet_penalty


def test_set_on_settings(base):
    new = apply_scenario(base, "risk_heavy")
    assert new.settings.risk_weight == pytest.approx(2.0) and base.settings.risk_weight == pytest.approx(0.5)
    assert new.settings.scenario == "risk_heavy"
    unchanged_except(base, new)


def test_add_on_demand_every_year_of_one_material(base):
    new = apply_scenario(base, "demand_up")
    nd = base.demand["material"] == "NDFEB"
    assert (new.demand.loc[nd, "demand"] - base.demand.loc[nd, "demand"]).tolist() == pytest.approx([50.0] * 3)
    assert_frame_equal(new.demand[~nd], base.demand[~nd])
    unchanged_except(base, new, "demand")


def test_policy_set_adds_a_per_material_cap(base):
    new = apply_scenario(base, "ga_cap")
    assert len(new.policy) == len(base.policy) + 1
    added = new.policy.iloc[-1]
    assert (added["year"], added["scope"], added["max_china_share"]) == (2026, "GA", pytest.approx(0.3))
    assert new.policy["year"].dtype == "int64"
    assert_frame_equal(new.policy.iloc[:-1], base.policy)


def test_policy_set_changes_an_existing_row_and_scope_in_target(base):
    data = with_scenarios(base, [
        dict(scenario="tight", sheet="Policy", material="ALL", year=2027, target="max_china_share",
             operation="set", value=0.4),
        dict(scenario="tight", sheet="Policy", year=2025, target="ALL", operation="multiply", value=0.5),
    ])
    new = apply_scenario(data, "tight")
    assert new.policy["max_china_share"].tolist() == pytest.approx([0.35, 0.4])
    assert len(new.policy) == len(base.policy)


def test_rows_of_one_scenario_apply_in_order_and_filters_blank_means_any(base):
    data = with_scenarios(base, [
        dict(scenario="cheap", sheet="Supply", source="JP", target="unit_cost", operation="multiply", value=0.5),
        dict(scenario="cheap", sheet="Supply", source="JP", target="unit_cost", operation="add", value=1),
        dict(scenario="cheap", sheet="Suppliers", source="CN", target="risk", operation="set", value=1),
        dict(scenario="cheap", sheet="Materials", material="GA", target="china_cap_applies", operation="set",
             value=0),
    ])
    new = apply_scenario(data, "cheap")
    jp = base.supply["source"] == "JP"
    assert new.supply.loc[jp, "unit_cost"].tolist() == pytest.approx((base.supply.loc[jp, "unit_cost"] * 0.5
                                                                      + 1).tolist())
    assert new.suppliers.set_index("source").loc["CN", "risk"] == pytest.approx(1.0)
    assert new.materials["china_cap_applies"].tolist() == [False, True]
    assert new.materials["china_cap_applies"].dtype == bool


def test_default_penalty_follows_unit_costs_but_explicit_one_does_not(base):
    from models.penalties import material_penalties
    data = with_scenarios(base, [dict(scenario="dear", sheet="Supply", target="unit_cost", operation="multiply",
                                      value=2)])
    new = apply_scenario(data, "dear")
    assert new.settings.unmet_penalty is None
    before = material_penalties(data).set_index("material")["unmet_penalty"]
    after = material_penalties(new).set_index("material")["unmet_penalty"]
    assert (after / before).tolist() == pytest.approx([2.0] * len(before))
    explicit = F.replace_data(data, settings=F.replace_data(data.settings, unmet_penalty=123.0))
    applied = apply_scenario(explicit, "dear")
    assert applied.settings.unmet_penalty == pytest.approx(123.0)
    assert material_penalties(applied)["unmet_penalty"].tolist() == pytest.approx([123.0] * len(before))


def test_unknown_scenario_name(base):
    with pytest.raises(InputError) as info:
        apply_scenario(base, "nope")
    issue = info.value.issues[0]
    assert issue.sheet == "Scenarios" and "ga_embargo" in issue.rule and "demand_up" in issue.rule
    with pytest.raises(InputError, match="1 error"):
        apply_scenario(one_year(), "anything")


@pytest.mark.parametrize("row,cell,text", [
    (dict(sheet="Supply", material="GA", source="KR", target="capacity", operation="set", value=1),
     "A2", "matches no row"),
    (dict(sheet="Supply", material="GA", target="capacty", operation="set", value=1), "F2", "use one of"),
    (dict(sheet="Supply", material="GA", target="capacity", operation="multiply", value=-1), "H2", "at least 0"),
    (dict(sheet="Policy", target="max_china_share", operation="set", value=60), "H2", "between 0 and 1"),
    (dict(sheet="Settings", target="currency", operation="set", value=1), "F2", "text"),
    (dict(sheet="Settings", target="time_limit", operation="add", value=1), "G2", "use set"),
    (dict(sheet="Settings", material="GA", target="risk_weight", operation="set", value=1), "C2", "blank"),
    (dict(sheet="Budget", source="CN", target="capex_budget", operation="set", value=1), "D2", "no 'source id'"),
    (dict(sheet="Investments", target="earliest_year", operation="add", value=0.5), "H2", "whole number"),
    (dict(sheet="Policy", material="HREE", year=2026, target="max_china_share", operation="set", value=0.2),
     "C2", "not ALL"),
    (dict(sheet="Policy", year=2026, target="max_china_shar", operation="set", value=0.2), "F2",
     "did you mean max_china_share"),
])
def test_bad_overrides_name_the_scenarios_cell(base, row, cell, text):
    data = with_scenarios(base, [dict(scenario="bad", **row)])
    with pytest.raises(InputError) as info:
        apply_scenario(data, "bad")
    issues = info.value.issues
    assert any(i.sheet == "Scenarios" and i.cell == cell and text in i.rule for i in issues), \
        [str(i) for i in issues]


def test_load_and_validate_applies_and_rechecks(base_file, base, tmp_path):
    via_load = load_and_validate(base_file, scenario="ga_embargo")
    direct = apply_scenario(base, "ga_embargo")
    for name in TABLES:
        assert_frame_equal(getattr(via_load, name), getattr(direct, name))
    assert via_load.settings == direct.settings

    path = shutil.copy(base_file, tmp_path / "in.xlsx")
    F.edit(path, "Scenarios", {"A6": "longer", "B6": "Settings", "F6": "last_year", "G6": "set", "H6": 2028})
    F.edit(path, "Settings", {"A7": "scenario", "B7": "longer"})
    with pytest.raises(InputError) as info:            # the Settings sheet names the scenario
        load_and_validate(path)
    assert any(i.sheet == "Demand" and "with scenario 'longer'" in i.rule and "2028" in i.rule
               for i in info.value.issues)
    assert load_and_validate(path, scenario="").settings.scenario == ""   # the argument wins


def test_broken_scenario_warns_unless_selected(base_file, tmp_path):
    path = shutil.copy(base_file, tmp_path / "in.xlsx")
    F.edit(path, "Scenarios", {"D2": "KR"})          # ga_embargo now targets GA from KR: no such offer
    data = load_and_validate(path)
    assert any(w.sheet == "Scenarios" and w.cell == "A2" and "matches no row" in w.rule for w in data.warnings)
    with pytest.raises(InputError) as info:
        load_and_validate(path, scenario="ga_embargo")
    assert any(i.severity == "error" and i.cell == "A2" for i in info.value.issues)
