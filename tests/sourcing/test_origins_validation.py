"""Bad countries, stages, origins and conversion rows in a real workbook: each error names the
sheet, the cell, the value and the rule (never a traceback, never a silently wrong plan)."""
from __future__ import annotations

import pytest

from optimizer.cli import main
from optimizer.core.issues import InputError
from optimizer.robustness import factory as F
from optimizer.sourcing.validate import load_and_validate

GOOD_ORIGINS = [dict(material="NDFEB", source="JP", stage="refining", country="CN", share=0.6),
                dict(material="NDFEB", source="JP", stage="refining", country="MY", share=0.4)]
CONVERSION = [dict(process="KRM", name="magnet line", material="NDFEB", source="KR", stages="metal, magnet",
                   capacity=50.0, unit_cost=20.0)]
INPUTS = [dict(process="KRM", material="GA", input_per_t=0.1)]


def issues_of(path):
    with pytest.raises(InputError) as err:
        load_and_validate(path)
    return [i for i in err.value.issues if i.severity == "error"]


def one(issues, sheet, cell, text):
    hit = [i for i in issues if i.sheet == sheet and i.cell == cell and text in i.rule]
    assert hit, [str(i) for i in issues]
    return hit[0]


def test_a_workbook_with_origins_conversion_and_stage_caps_validates_and_solves(tmp_path, capsys):
    path = F.write_valid(tmp_path, Origins=GOOD_ORIGINS, Conversion=CONVERSION, ConversionInputs=INPUTS,
                         Policy=F.valid_tables()["Policy"] + [dict(year=2027, scope="ALL", max_china_share=0.6,
                                                                   country="ANY", stage="look-through")])
    data = load_and_validate(path)
    assert len(data.origins) == 2 and len(data.conversion) == 1
    assert main(["solve", str(path), "-o", str(tmp_path / "r.xlsx")]) in (0,)
    out = capsys.readouterr().out
    assert "look-through" in out and "Caps on other measures" in out


def test_shares_that_do_not_sum_to_one(tmp_path):
    bad = [dict(GOOD_ORIGINS[0]), dict(GOOD_ORIGINS[1], share=0.3)]
    path = F.write_valid(tmp_path, Origins=bad)
    i = one(issues_of(path), "Origins", f"{F.col('Origins', 'share')}2", "sum to 90.0000%, not 100 %")
    assert i.value == pytest.approx(0.9)


def test_unknown_ids_and_stage_words(tmp_path):
    mats = F.valid_tables()["Materials"]
    mats[1]["stages"] = "mining, smelting"
    path = F.write_valid(tmp_path, Materials=mats,
                         Origins=[dict(material="NDFEB", source="XX", stage="refining", country="CN", share=1.0)])
    issues = issues_of(path)
    one(issues, "Materials", f"{F.col('Materials', 'stages')}3", "smelting is not a stage")
    one(issues, "Origins", f"{F.col('Origins', 'source')}2", "XX is not on the Suppliers sheet")


def test_a_policy_country_that_no_supplier_or_origin_names(tmp_path):
    pol = F.valid_tables()["Policy"] + [dict(year=2027, scope="ALL", max_china_share=0.5, country="JPN")]
    i = one(issues_of(F.write_valid(tmp_path, Policy=pol)), "Policy", f"{F.col('Policy', 'country')}4",
            "is not a country id of Suppliers or Origins")
    assert "did you mean 'JP'" in i.rule


def test_blank_and_china_are_the_same_measure(tmp_path):
    pol = [dict(year=2027, scope="ALL", max_china_share=0.5), dict(year=2027, scope="ALL", max_china_share=0.4,
                                                                   country="china")]
    one(issues_of(F.write_valid(tmp_path, Policy=pol)), "Policy", f"{F.col('Policy', 'scope')}3",
        "a second cap on china at stage direct")


def test_one_country_one_bloc(tmp_path):
    sup = F.valid_tables()["Suppliers"]
    sup[1]["country_id"] = "CN"          # JP (ally) booked to China's country
    one(issues_of(F.write_valid(tmp_path, Suppliers=sup)), "Suppliers", f"{F.col('Suppliers', 'bloc')}3",
        "a country has one bloc")


def test_conversion_rules(tmp_path):
    path = F.write_valid(tmp_path, Conversion=CONVERSION + [dict(CONVERSION[0], process="LONE")],
                         ConversionInputs=INPUTS + [dict(process="KRM", material="NDFEB", input_per_t=1.0),
                                                    dict(process="NOPE", material="GA", input_per_t=1.0)])
    issues = issues_of(path)
    one(issues, "Conversion", f"{F.col('Conversion', 'process')}3", "process LONE has no input")
    one(issues, "ConversionInputs", f"{F.col('ConversionInputs', 'material')}3", "it cannot also use it as an input")
    one(issues, "ConversionInputs", f"{F.col('ConversionInputs', 'process')}4", "process NOPE is not on the "
        "Conversion sheet")


def test_supply_content_scenario_needs_both_country_and_stage(tmp_path):
    sc = F.valid_tables()["Scenarios"] + [dict(scenario="cn_content", sheet="Supply", target="capacity",
                                               operation="multiply", value=0, country="CN")]
    path = F.write_valid(tmp_path, Scenarios=sc, Origins=GOOD_ORIGINS)
    with pytest.raises(InputError) as err:
        load_and_validate(path, scenario="cn_content")
    assert any("give both" in i.rule for i in err.value.issues)
    sc[-1]["stage"] = "refining"
    path = F.write_valid(tmp_path, "ok.xlsx", Scenarios=sc, Origins=GOOD_ORIGINS)
    data = load_and_validate(path, scenario="cn_content")
    cut = data.supply[data.supply["capacity"] == 0]
    # CN (separated in CN) and JP's NdFeB (60 % Chinese-separated) stop; JP's gallium does not
    assert set(zip(cut["material"], cut["source"])) == {("GA", "CN"), ("NDFEB", "CN"), ("NDFEB", "JP")}
