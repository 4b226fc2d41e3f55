"""Pooled procurement: the joint model, coalition values by bound changes, Owen's dual
allocation, the pool workbook (load, validation errors, typed games) and the CLI.

Writes only to tmp_path.  Money in the model is in thousands (t x currency/kg); results in
currency millions, so 60 t at 10 /kg = 600 k = 0.6 M.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from models.pooling import build_pool_model
from optimizer.core.solver import OPTIMAL
from optimizer.cli import main
from optimizer.core.issues import InputError
from optimizer.pooling import coalitions as C
from optimizer.pooling.run import run_pool
from optimizer.pooling.games import core_check, shapley
from optimizer.pooling.joint import owen_allocation, solve_grand
from models.pool_data import PoolData
from pool_fixtures import OWN_COLS, POOLED_COLS, make_pool
from optimizer.pooling.load import load_pool_workbook
from optimizer.pooling.nucleolus import nucleolus
from optimizer.pooling.template import write_pool_workbook
from optimizer.core.solver import SolveOptions

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "inputs" / "pool_kr_jp_sg.xlsx"
SCRIPT = ROOT / "inputs" / "build_pool_sample.py"
OPTS = SolveOptions(mip_gap=1e-9, ranging=False, want_duals=False)

def tiered_pair() -> PoolData:
    """A 60 t, B 40 t of X in 2030.  Pooled offer P: all-units 10 /kg below 80 t, 8 /kg from 80 t,
    minimum lot 50 t; spot 12 /kg for anyone.  By hand:
      c(A)  = 60 t x 10 = 0.60 M   (80 t at 8 = 0.64; spot 0.72)
      c(B)  = 40 t spot x 12 = 0.48 M (the 50 t lot at 10 = 0.50)
      c(AB) = 100 t x 8 = 0.80 M;  savings 0.28, split equally by Shapley and nucleolus."""
    return make_pool(
        ["A", "B"], [("A", "X", 2030, 60.0), ("B", "X", 2030, 40.0)],
        pooled=[("P", "JP", "X", 2030, 1, 0.0, 80.0, 10.0, 50.0), ("P", "JP", "X", 2030, 2, 80.0, None, 8.0, 50.0)],
        standalone=[(m, "SPOT", "X", 2030, 1e5, 12.0) for m in "AB"])


def access_pair() -> PoolData:
    """LP (no tiers): pooled offer at 5 /kg; A holds 30 t of access, B 50 t; spot 12 /kg.
      c(A) = 30 x 5 + 30 x 12 = 0.51 M;  c(B) = 40 x 5 = 0.20 M;  c(AB) = 80 x 5 + 20 x 12 = 0.64 M.
    Owen: demand priced at the grand marginal cost 12, access at 5 - 12 = -7 per t:
      A = 12 x 60 - 7 x 30 = 510 k;  B = 12 x 40 - 7 x 50 = 130 k  (sum 640 k = c(AB))."""
    return make_pool(
        ["A", "B"], [("A", "X", 2030, 60.0), ("B", "X", 2030, 40.0)],
        pooled=[("P", "AU", "X", 2030, 1, 0.0, None, 5.0, 0.0)],
        access=[("P", "A", 30.0), ("P", "B", 50.0)],
        standalone=[(m, "SPOT", "X", 2030, 1e5, 12.0) for m in "AB"])


def random_pool(seed: int, n: int = 3, tiers: bool = True) -> PoolData:
    """A random pool where pooling only adds options: pooled offers with contiguous all-units
    tiers (prices falling with volume) and, for some offers, members' access rights (others
    unlimited); member-specific standalone offers; China caps for some members."""
    rng = np.random.default_rng(seed)
    members = [f"M{i}" for i in range(n)]
    years = [2030, 2031]
    mats = ["X", "Y"]
    demand = [(m, mat, y, float(rng.integers(0, 80))) for m in members for mat in mats for y in years]
    pooled, access, own, policy = [], [], [], []
    for mat in mats:
        for y in years:
            for k in range(int(rng.integers(1, 3))):
                offer = f"{mat}{y}{k}"
                src = ["AU", "CN"][int(rng.integers(0, 2))]
                p1 = float(rng.uniform(5, 10))
                lot = float(rng.choice([0.0, 20.0, 40.0])) if tiers else 0.0
                if tiers:
                    brk = float(rng.integers(30, 120))
                    pooled += [(offer, src, mat, y, 1, 0.0, brk, p1, lot),
                               (offer, src, mat, y, 2, brk, None, p1 * rng.uniform(0.8, 0.97), lot)]
                else:
                    pooled.append((offer, src, mat, y, 1, 0.0, None, p1, 0.0))
                if rng.uniform() < 0.6:
                    access += [(offer, m, float(rng.integers(0, 60))) for m in members if rng.uniform() < 0.7]
            for m in members:
                own.append((m, "CN", mat, y, float(rng.integers(0, 50)), float(rng.uniform(4, 8))))
                own.append((m, "SPOT", mat, y, 1e5, 15.0))
    for m in members[: n // 2]:
        policy += [(m, mat, y, 0.5) for mat in mats for y in years]
    return make_pool(members, demand, pooled, own, access, policy)


def subset(data: PoolData, keep: list[str]) -> PoolData:
    """The same pool with only ``keep`` as members (an independently built coalition model)."""
    f = lambda df: df[df["member"].isin(keep)].reset_index(drop=True)
    # an offer with access rights stays rights-only (0 t) when none of its holders is kept
    acc = [(o, keep[0], 0.0) for o in set(data.access["offer"])]
    return make_pool(keep, f(data.demand).itertuples(index=False), data.pooled.itertuples(index=False),
                     f(data.standalone).itertuples(index=False),
                     list(f(data.access).itertuples(index=False)) + acc, f(data.policy).itertuples(index=False))


# --------------------------------------------------------------------------- model + coalitions
def test_tiered_pair_by_hand():
    data = tiered_pair()
    model = build_pool_model(data)
    assert model.lp.is_mip
    t = C.coalition_table(model, OPTS)
    assert t.cost[1] == pytest.approx(0.60)
    assert t.cost[2] == pytest.approx(0.48)
    assert t.cost[3] == pytest.approx(0.80)
    assert t.all_optimal and t.solves == 3
    g = t.game()
    assert shapley(g) == pytest.approx([0.46, 0.34])
    assert nucleolus(g).x == pytest.approx([0.46, 0.34])
    res = run_pool(data)
    assert res.status == OPTIMAL
    assert "owen" in res.unavailable and "MILP" in res.unavailable["owen"]
    assert any("indicative" in n for n in res.notes)
    pooled = res.plan["pooled"]
    assert pooled["tonnes"].sum() == pytest.approx(100.0) and pooled["unit_price"].iloc[0] == pytest.approx(8.0)


def test_owen_allocation_from_lp_duals_by_hand():
    data = access_pair()
    model = build_pool_model(data)
    assert not model.lp.is_mip
    t = C.coalition_table(model, OPTS)
    assert [t.cost[1], t.cost[2], t.cost[3]] == pytest.approx([0.51, 0.20, 0.64])
    grand = solve_grand(model, OPTS)
    owen = owen_allocation(model, grand)
    assert owen.x == pytest.approx([0.51, 0.13])
    assert core_check(t.game(), owen.x).in_core


def test_owen_not_available_when_a_shared_capacity_is_priced():
    # an open offer (no access rights) whose capacity binds: its value belongs to no member
    data = make_pool(["A", "B"], [("A", "X", 2030, 60.0), ("B", "X", 2030, 40.0)],
                     pooled=[("P", "AU", "X", 2030, 1, 0.0, 50.0, 5.0, 0.0)],
                     standalone=[(m, "SPOT", "X", 2030, 1e5, 12.0) for m in "AB"])
    model = build_pool_model(data)
    owen = owen_allocation(model, solve_grand(model, OPTS))
    assert owen.x is None and "no member owns" in owen.reason
    assert owen.shared_value == pytest.approx(-0.35)         # 50 t x (5 - 12) = -350 k


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("tiers", [True, False])
def test_coalition_costs_by_bound_changes_match_models_built_per_coalition(seed, tiers):
    data = random_pool(seed, 3, tiers)
    t = C.coalition_table(build_pool_model(data), OPTS)
    for mask in range(1, 8):
        keep = [m for i, m in enumerate(data.member_ids) if mask >> i & 1]
        model = build_pool_model(subset(data, keep))
        from optimizer.core.solver import solve_lp
        sol = solve_lp(model.lp, OPTS)
        assert sol.status == OPTIMAL
        assert t.cost[mask] == pytest.approx(sol.objective / 1000.0, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("tiers", [True, False])
def test_coalition_costs_are_subadditive_when_pooling_only_adds_options(seed, tiers):
    t = C.coalition_table(build_pool_model(random_pool(10 + seed, 4, tiers)), OPTS)
    assert t.all_optimal
    assert C.subadditivity_violations(t) == []


@pytest.mark.parametrize("seed", range(5))
def test_owen_allocation_is_efficient_and_in_the_core_for_lp_pools(seed):
    data = random_pool(20 + seed, 4, tiers=False)
    model = build_pool_model(data)
    t = C.coalition_table(model, OPTS)
    owen = owen_allocation(model, solve_grand(model, OPTS))
    if owen.x is None:          # an open offer's capacity binds: not available, and said so
        assert "no member owns" in owen.reason
        return
    assert owen.x.sum() == pytest.approx(t.cost[-1], rel=1e-8)
    assert core_check(t.game(), owen.x, rel_tol=1e-7).in_core


def test_shared_capacity_can_break_subadditivity_and_access_rights_restore_it():
    # each member alone may take the whole open offer (the usual stand-alone assumption), so two
    # members who both need it cost more together than apart: the reason for PooledAccess
    base = dict(members=["A", "B"], demand=[("A", "X", 2030, 50.0), ("B", "X", 2030, 50.0)],
                standalone=[(m, "SPOT", "X", 2030, 1e5, 12.0) for m in "AB"])
    open_offer = make_pool(pooled=[("P", "AU", "X", 2030, 1, 0.0, 50.0, 5.0, 0.0)], **base)
    t = C.coalition_table(build_pool_model(open_offer), OPTS)
    assert t.cost[3] > t.cost[1] + t.cost[2]
    rights = make_pool(pooled=[("P", "AU", "X", 2030, 1, 0.0, None, 5.0, 0.0)],
                       access=[("P", "A", 25.0), ("P", "B", 25.0)], **base)
    t2 = C.coalition_table(build_pool_model(rights), OPTS)
    assert C.subadditivity_violations(t2) == []


def test_china_cap_binds_per_member():
    # A may take at most 50 % of its 100 t from China (5 /kg); the rest from the ally (9 /kg)
    data = make_pool(["A"], [("A", "X", 2030, 100.0)],
                     standalone=[("A", "CN", "X", 2030, 1e5, 5.0), ("A", "AU", "X", 2030, 1e5, 9.0)],
                     policy=[("A", "X", 2030, 0.5)])
    res = run_pool(data)
    assert res.grand == pytest.approx(0.7)
    row = res.plan["members"].iloc[0]
    assert row["china_share"] == pytest.approx(0.5) and row["max_china_share"] == pytest.approx(0.5)


def test_mga_alternatives_stay_within_the_cost_slack():
    data = random_pool(3, 3, tiers=True)
    res = run_pool(data, mga_slack=0.05)
    alt = res.alternatives
    assert len(alt) == 1 + 2 * (alt["direction"].nunique() - 1)
    ok = alt[alt["status"] == OPTIMAL]
    assert (ok["total_cost"] <= res.grand * 1.05 + 1e-6).all()
    assert (ok["total_cost"] >= res.grand - 1e-6).all()


def test_sampled_shapley_beyond_twelve_members():
    n = 13
    members = [f"M{i:02d}" for i in range(n)]
    data = make_pool(members, [(m, "X", 2030, 10.0 + i) for i, m in enumerate(members)],
                     pooled=[("P", "AU", "X", 2030, 1, 0.0, None, 8.0, 0.0)],
                     access=[("P", m, 3.0 + i) for i, m in enumerate(members)],
                     standalone=[(m, "SPOT", "X", 2030, 1e5, 11.0) for m in members],
                     shapley_permutations=20)
    res = run_pool(data)
    assert res.game is None and res.shapley_half_width is not None
    assert res.allocations["shapley"].sum() == pytest.approx(res.grand)
    assert "not computed above 12 members" in res.unavailable["nucleolus"]


# --------------------------------------------------------------------------- workbook + CLI
def _tables(**extra) -> dict:
    t = {
        "Settings": {"first_year": 2030, "last_year": 2030, "mga_slack": 0.0},
        "Members": [{"member": "A", "name": "A"}, {"member": "B", "name": "B"}],
        "MemberDemand": [{"member": "A", "material": "X", "year": 2030, "demand": 60},
                         {"member": "B", "material": "X", "year": 2030, "demand": 40}],
        "PooledOffers": [dict(zip(POOLED_COLS, r)) for r in
                         [("P", "JP", "X", 2030, 1, 0, 80, 10, 50), ("P", "JP", "X", 2030, 2, 80, None, 8, 50)]],
        "StandaloneOffers": [dict(zip(OWN_COLS, (m, "SPOT", "X", 2030, 1e5, 12))) for m in "AB"],
    }
    t.update(extra)
    return t


def test_workbook_round_trip_and_cli(tmp_path, capsys):
    src = tmp_path / "pool.xlsx"
    write_pool_workbook(src, _tables(ProposedSplit=[{"member": "A", "cost_share": 0.7},
                                                    {"member": "B", "cost_share": 0.3}]))
    out = tmp_path / "out.xlsx"
    assert main(["pool", str(src), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    # split 0.7 / 0.3 of 0.80 = 0.56 / 0.24: B pays 0.24 <= 0.48 and A 0.56 <= 0.60: in the core
    assert "Pooled cost c(N): 0.800" in text and "Proposed split: in the core" in text
    wb = load_workbook(out)
    assert {"Summary", "Coalitions", "Allocations", "Verdict", "Plan", "Deliveries", "Members"} <= set(wb.sheetnames)
    assert len(wb["Allocations"]._charts) == 1


def test_validation_errors_name_their_cells(tmp_path, capsys):
    src = tmp_path / "bad.xlsx"
    pooled = [dict(zip(POOLED_COLS, r)) for r in
              [("P", "JP", "X", 2030, 1, 0, 80, 10, 50), ("P", "JP", "X", 2030, 2, 80, None, 8, 40)]]
    write_pool_workbook(src, _tables(
        PooledOffers=pooled,
        MemberDemand=[{"member": "A", "material": "X", "year": 2030, "demand": 60},
                      {"member": "C", "material": "X", "year": 2030, "demand": 40}],
        ProposedSplit=[{"member": "A", "cost_share": 0.7}, {"member": "B", "cost_share": 0.2}]))
    with pytest.raises(InputError) as err:
        load_pool_workbook(src)
    msgs = [str(i) for i in err.value.issues if i.severity == "error"]
    assert any("MemberDemand!A3" in m and "'member id' C is not on the Members sheet" in m for m in msgs)
    assert any("PooledOffers!I3" in m and "differs from its first tier row" in m for m in msgs)
    assert any("ProposedSplit" in m and "add up to 90.0000%" in m for m in msgs)
    assert main(["pool", str(src), "-o", str(tmp_path / "o.xlsx")]) == 1
    assert not (tmp_path / "o.xlsx").exists()
    assert "error(s)" in capsys.readouterr().err


def test_typed_game_from_the_coalition_costs_sheet(tmp_path, capsys):
    """Lemaire's gains game typed as a savings table: the same nucleolus as methods.md."""
    rows = [("A", 46125), ("A+B", 69187.5), ("A+B+C", 90000), ("A+C", 53812.5), ("B", 17437.5),
            ("B+C", 30750), ("C", 5812.5)]
    src = tmp_path / "game.xlsx"
    write_pool_workbook(src, {"Settings": {"members": "A, B, C"},
                              "CoalitionCosts": [{"coalition": c, "savings": v} for c, v in rows],
                              "ProposedSplit": [{"member": "A", "savings_share": 0.6},
                                                {"member": "B", "savings_share": 0.3},
                                                {"member": "C", "savings_share": 0.1}]})
    data = load_pool_workbook(src, mode="game")
    assert data.game_kind == "savings"
    res = run_pool(data)
    assert res.shown(res.allocations["nucleolus"]) == pytest.approx([52687.5, 24468.75, 12843.75])
    assert res.shown(res.allocations["shapley"]) == pytest.approx([51750, 25875, 12375])
    # 0.3 x 90,000 = 27,000 for B, 9,000 for C: B+C get 36,000 >= 30,750, A gets 54,000 >= 46,125 ... in core
    assert res.checks["proposed"].in_core
    out = tmp_path / "game_out.xlsx"
    assert main(["pool", str(src), "--game", "-o", str(out)]) == 0
    assert "nucleolus" in capsys.readouterr().out
    assert set(load_workbook(out).sheetnames) == {"Summary", "Coalitions", "Allocations", "Verdict"}


def test_typed_game_errors(tmp_path):
    src = tmp_path / "g.xlsx"
    write_pool_workbook(src, {"CoalitionCosts": [{"coalition": "A", "cost": 1}, {"coalition": "B", "cost": 2},
                                                 {"coalition": "A+D", "cost": 2}, {"coalition": "A+B", "cost": 2.5},
                                                 {"coalition": "B+A", "cost": 2.5}]})
    with pytest.raises(InputError) as err:
        load_pool_workbook(src, mode="game")
    msgs = " | ".join(str(i) for i in err.value.issues)
    assert "CoalitionCosts!A6" in msgs and "the same coalition as row 5" in msgs
    assert "coalition(s) missing" in msgs


def test_template_is_documented_and_empty(tmp_path, capsys):
    path = tmp_path / "t.xlsx"
    assert main(["pool", "--template", str(path)]) == 0
    wb = load_workbook(path)
    readme = " ".join(str(c.value) for row in wb["README"].iter_rows() for c in row if c.value)
    for sheet in ("Settings", "Members", "MemberDemand", "PooledOffers", "PooledAccess", "StandaloneOffers",
                  "MemberPolicy", "ProposedSplit", "CoalitionCosts", "Sources"):
        assert sheet in wb.sheetnames and sheet in readme
    assert main(["pool", str(path), "-o", str(tmp_path / "x.xlsx")]) == 1
    assert "needs the Members sheet" in capsys.readouterr().err


def test_pool_command_on_the_bundled_sample(tmp_path, capsys):
    out = tmp_path / "sample_pool.xlsx"
    assert main(["pool", str(SAMPLE), "-o", str(out), "--mga-slack", "0.01"]) == 0
    text = capsys.readouterr().out
    assert "Core: non-empty" in text and "Proposed split: NOT in the core: JP+SG" in text
    wb = load_workbook(out, data_only=True)
    assert {"Summary", "Coalitions", "Allocations", "Verdict", "Plan", "Alternatives"} <= set(wb.sheetnames)
    rows = list(wb["Coalitions"].iter_rows(min_row=4, values_only=True))
    assert len(rows) == 7 and all(r[6] == "optimal" for r in rows)
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert "indicative" in summary["Note 1"]


def test_bundled_sample_is_up_to_date_with_its_builder(tmp_path):
    spec = importlib.util.spec_from_file_location("build_pool_sample", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    fresh = mod.build(tmp_path / "fresh.xlsx")

    def values(p):
        wb = load_workbook(p)
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}

    assert values(fresh) == values(SAMPLE), "regenerate: python inputs/build_pool_sample.py"
    data = load_pool_workbook(SAMPLE)
    assert not [w for w in data.warnings if "not on the Sources sheet" in w.rule]
    assert data.member_ids == ("KR", "JP", "SG")


def test_benchmark_harness_agrees_with_raw_highspy():
    """benchmarks/bench_pool.py on 4 members: both paths give the same 15 coalition costs
    (no timing is asserted)."""
    spec = importlib.util.spec_from_file_location("bench_pool", ROOT / "benchmarks" / "bench_pool.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for tiers in (False, True):
        r = bench.run(members=4, seed=1, repeat=1, tiers=tiers)
        assert r["coalitions"] == 15 and r["solves"] == 15 and r["all_optimal"]
        assert r["mip"] == tiers
        assert r["nan"] == 0 and r["max_rel_diff"] < 1e-7
        assert "ratio ours / raw" in bench.report(r)


def test_unreadable_files_are_input_errors(tmp_path, monkeypatch):
    fake = tmp_path / "data.xlsx"
    fake.write_text("member,demand\nKR,1\n")
    with pytest.raises(InputError) as err:
        load_pool_workbook(fake)
    assert "text file" in str(err.value.issues[0])
    # the main reader is used on the pool sheets: same guards, e.g. a merged cell in a data area
    from optimizer.pooling import load as pool_load
    from optimizer.pooling import schema as P
    seen = {}
    real = pool_load.L.read_workbook

    def read_workbook(path, sheets=()):
        seen["sheets"] = sheets
        return real(path, sheets=sheets)

    monkeypatch.setattr(pool_load.L, "read_workbook", read_workbook)
    src = tmp_path / "pool.xlsx"
    write_pool_workbook(src, _tables())
    assert load_pool_workbook(src).member_ids == ("A", "B")
    assert seen["sheets"] == P.POOL_SHEETS


def test_surplus_and_discounting_are_paid_by_the_receivers():
    """A 30 t and B 10 t in 2031 (discount 10 %/yr from 2030); offer lot 50 t at 8 /kg, spot 12:
    the pool buys 50 t (10 t surplus) for 400 k / 1.1; receivers pay 10 /kg per delivered t."""
    data = make_pool(["A", "B"], [("A", "X", 2030, 0.0), ("A", "X", 2031, 30.0), ("B", "X", 2031, 10.0)],
                     pooled=[("P", "AU", "X", 2031, 1, 0.0, None, 8.0, 50.0)],
                     standalone=[(m, "SPOT", "X", 2031, 1e5, 12.0) for m in "AB"], discount_rate=0.1)
    res = run_pool(data)
    assert res.grand == pytest.approx(0.4 / 1.1)
    assert res.plan["deliveries"]["unit_price"].tolist() == pytest.approx([10.0, 10.0])
    usage = res.allocations["pay_as_you_take"]
    assert usage == pytest.approx([0.3 / 1.1, 0.1 / 1.1])
    assert res.checks["pay_as_you_take"].efficiency_gap == 0.0


def test_template_pool_is_the_pool_template(tmp_path, capsys):
    """``sourcing template --pool`` and ``sourcing pool --template`` write the same workbook."""
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert main(["template", "-o", str(a), "--pool"]) == 0
    assert main(["pool", "--template", str(b)]) == 0
    wa, wb = load_workbook(a), load_workbook(b)
    assert wa.sheetnames == wb.sheetnames and "PooledOffers" in wa.sheetnames
    for name in wa.sheetnames:
        assert [[c.value for c in r] for r in wa[name].iter_rows()] == \
            [[c.value for c in r] for r in wb[name].iter_rows()]


def test_no_solver_banner_reaches_the_terminal(tmp_path, capfd):
    """pool --game (nucleolus and least-core LPs) and the joint model print no HiGHS banner or log,
    at the file-descriptor level where a C library writes."""
    rows = [("A", 46125), ("A+B", 69187.5), ("A+B+C", 90000), ("A+C", 53812.5), ("B", 17437.5),
            ("B+C", 30750), ("C", 5812.5)]
    game = tmp_path / "game.xlsx"
    write_pool_workbook(game, {"Settings": {"members": "A, B, C"},
                               "CoalitionCosts": [{"coalition": c, "savings": v} for c, v in rows]})
    assert main(["pool", str(game), "--game", "-o", str(tmp_path / "g.xlsx")]) == 0
    src = tmp_path / "pool.xlsx"
    write_pool_workbook(src, _tables())
    assert main(["pool", str(src), "-o", str(tmp_path / "p.xlsx")]) == 0
    out, err = capfd.readouterr()
    assert "nucleolus" in out
    for text in (out, err):
        assert "HiGHS" not in text and "Running" not in text and "Presolving" not in text
