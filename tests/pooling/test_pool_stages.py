"""The pool's China caps at a processing stage and on look-through, solved by hand.

Member A needs 100 t of X in 2030.  China sells at 5 /kg, Japan at 6 /kg with oxide separated
in China (refining 100 % CN), Australia at 8 /kg separated in Malaysia.  A cap of 50 %:
  direct:        50 t CN + 50 t JP = 250 + 300 = 550 k = 0.55 M  (JP counts 0 % Chinese)
  refining:      CN and JP both count fully -> 50 t CN + 50 t AU = 250 + 400 = 0.65 M
  look-through:  the largest stage share per product: the same as refining, 0.65 M
"""
from __future__ import annotations

import pandas as pd
import pytest

from models.pooling import china_content
from optimizer.core.issues import InputError
from optimizer.pooling.load import load_pool_workbook
from optimizer.pooling.run import run_pool
from optimizer.pooling.template import write_pool_workbook
from pool_fixtures import make_pool
from dataclasses import replace

ORIGINS = pd.DataFrame([("X", "JP", "refining", "CN", 1.0), ("X", "AU", "refining", "MY", 1.0)],
                       columns=["material", "source", "stage", "country", "share"])


def pool(stage: str | None, country: str | None = None, cap: float = 0.5):
    policy = [("A", "X", 2030, cap)]
    data = make_pool(["A"], [("A", "X", 2030, 100.0)],
                     standalone=[("A", "CN", "X", 2030, 1e5, 5.0), ("A", "JP", "X", 2030, 1e5, 6.0),
                                 ("A", "AU", "X", 2030, 1e5, 8.0)], policy=policy)
    pol = data.policy.copy()
    if stage is not None:
        pol["stage"] = stage
    if country is not None:
        pol["country"] = country
    return replace(data, policy=pol, origins=ORIGINS)


@pytest.mark.parametrize("stage, cost", [(None, 0.55), ("direct", 0.55), ("refining", 0.65),
                                         ("look-through", 0.65), ("mining", 0.55)])
def test_stage_caps_by_hand(stage, cost):
    res = run_pool(pool(stage))
    assert res.grand == pytest.approx(cost)
    caps = res.plan["caps"]
    if stage in (None, "direct"):
        assert caps.empty
    else:
        row = caps.iloc[0]
        assert row["stage"] == stage and row["share"] == pytest.approx(0.5)


@pytest.mark.parametrize("stage, country, cap, cost, rows", [
    ("direct", "ANY", 0.5, 0.55, 3),      # CN, JP, AU each <= 50 t: 50 CN + 50 JP
    ("direct", "ANY", 0.4, 0.60, 3),      # 40 CN + 40 JP + 20 AU = 200 + 240 + 160
    ("refining", "ANY", 0.5, 0.65, 4),    # CN holds CN's and JP's refining, MY AU's; JP and AU 0 %: 50 CN + 50 AU
    ("refining", "CN", 0.5, 0.65, 1),     # CN named: the same as China
    ("direct", "JP", 0.3, 0.50, 1),       # Japan capped, China free: 100 t CN
])
def test_any_and_named_country_by_hand(stage, country, cap, cost, rows):
    res = run_pool(pool(stage, country, cap))
    assert res.grand == pytest.approx(cost)
    caps = res.plan["caps"]
    assert len(caps) == rows and (caps["share"] <= cap + 1e-9).all()


def test_china_content_per_measure():
    data = pool("refining")
    t = pd.DataFrame({"material": ["X", "X", "X"], "source": ["CN", "JP", "AU"]})
    assert china_content(data, t, "direct").tolist() == [1.0, 0.0, 0.0]
    assert china_content(data, t, "refining").tolist() == [1.0, 1.0, 0.0]
    assert china_content(data, t, "mining").tolist() == [1.0, 0.0, 0.0]      # no rows: where the source is
    assert china_content(data, t, "look-through").tolist() == [1.0, 1.0, 0.0]


def _sample_tables():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "inputs" / "build_pool_sample.py"
    spec = importlib.util.spec_from_file_location("build_pool_sample", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.tables()


def _first_offer(tables):
    row = tables["StandaloneOffers"][0]
    return row["material"], row["source"], row["member"], row["year"]


def test_workbook_stage_cap_end_to_end(tmp_path):
    """The sample with an Origins row and a refining cap: the cap row is in the model and met."""
    t = _sample_tables()
    mat, src, member, year = _first_offer(t)
    t["Origins"] = [dict(material=mat, source=src, stage="refining", country="CN", share=0.7),
                    dict(material=mat, source=src, stage="refining", country="MY", share=0.3)]
    t["MemberPolicy"] = list(t["MemberPolicy"]) + [dict(member=member, material=mat, year=year,
                                                        max_china_share=0.4, stage="refining")]
    data = load_pool_workbook(write_pool_workbook(tmp_path / "stages.xlsx", t))
    assert len(data.origins) == 2
    res = run_pool(data)
    caps = res.plan["caps"]
    row = caps[(caps["member"] == member) & (caps["material"] == mat) & (caps["year"] == year)].iloc[0]
    assert row["share"] <= 0.4 + 1e-9


@pytest.mark.parametrize("edit, cell_word, rule", [
    ("sum", "Origins!E2", "sum to 90.0000%, not 100 %"),
    ("source", "Origins!B2", "no offer of"),
    ("stage", "Origins!C2", "must be one of: mining, refining, metal, magnet"),
])
def test_origins_errors_name_the_cell(tmp_path, edit, cell_word, rule):
    t = _sample_tables()
    mat, src, *_ = _first_offer(t)
    rows = [dict(material=mat, source=src, stage="refining", country="CN", share=0.6),
            dict(material=mat, source=src, stage="refining", country="MY", share=0.3 if edit == "sum" else 0.4)]
    if edit == "source":
        rows = [dict(r, source="NOSUCH") for r in rows]
    if edit == "stage":
        rows = [dict(r, stage="look-through") for r in rows]
    t["Origins"] = rows
    with pytest.raises(InputError) as info:
        load_pool_workbook(write_pool_workbook(tmp_path / "bad.xlsx", t))
    msgs = [str(i) for i in info.value.issues if i.severity == "error"]
    assert any(m.startswith(f"ERROR {cell_word} ") and rule in m for m in msgs), msgs


def test_unknown_policy_country_names_the_cell(tmp_path):
    t = _sample_tables()
    row = dict(t["MemberPolicy"][0], country="XX", stage="direct")
    t["MemberPolicy"] = [row] + list(t["MemberPolicy"][1:])
    with pytest.raises(InputError) as info:
        load_pool_workbook(write_pool_workbook(tmp_path / "bad_country.xlsx", t))
    msgs = [str(i) for i in info.value.issues if i.severity == "error"]
    assert any(m.startswith("ERROR MemberPolicy!F2 ") and "country XX is neither" in m for m in msgs), msgs
