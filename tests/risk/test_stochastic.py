"""Two-stage stochastic model: CVaR by hand, VSS/EVPI signs, beta = 0, one scenario."""
import numpy as np
import pytest

from model_fixtures import make_data, one_year, random_data
from models.sourcing import build_model
from models.stochastic import build_extensive_form
from optimizer.core.solver import OPTIMAL
from optimizer.sourcing.run import solve_data
from optimizer.risk.metrics import cvar_lp, solve_stochastic, var_cvar
from optimizer.risk.load import make_risk, scenario_factors


# ----------------------------------------------------------------- CVaR by hand
@pytest.mark.parametrize("losses, probs, alpha, var, cvar", [
    # P(L<=0)=.5, P(L<=10)=.9: VaR_.8 = 10; CVaR = 10 + (.1*90)/.2 = 55 (= (.1*10+.1*100)/.2)
    ([0, 10, 100], [.5, .4, .1], 0.8, 10.0, 55.0),
    # alpha = .9 falls exactly on the atom's edge: VaR = 10, CVaR = 10 + .1*90/.1 = 100
    ([0, 10, 100], [.5, .4, .1], 0.9, 10.0, 100.0),
    # four equally likely losses, alpha = .5: mean of the two worst = (3+4)/2
    ([1, 2, 3, 4], [.25] * 4, 0.5, 2.0, 3.5),
    # alpha = 0: CVaR = expected loss
    ([5, 15], [.5, .5], 0.0, 5.0, 10.0),
    # a split atom: alpha=.75, losses 0 (p .5), 8 (p .5): VaR 8, CVaR 8
    ([0, 8], [.5, .5], 0.75, 8.0, 8.0),
])
def test_cvar_matches_hand_computation(losses, probs, alpha, var, cvar):
    v, c = var_cvar(losses, probs, alpha)
    assert v == pytest.approx(var)
    assert c == pytest.approx(cvar)
    assert cvar_lp(losses, probs, alpha)[1] == pytest.approx(cvar)


# ----------------------------------------------------------------- fixtures
def _risk_case(data):
    """4 scenarios: baseline, China cut 50 % in all years, China out for 6 months in the
    last year with spot x3, and a 'JP outage' scenario."""
    offers = build_model(data).offers
    last = max(data.years)
    sup = data.suppliers
    cn = sup.loc[sup["bloc"] == "china", "source"].iloc[0]
    ally = sup.loc[sup["bloc"] == "ally", "source"].iloc[0]
    risk = make_risk(
        [("base", 0.55, "", 1.2), ("cn_half", 0.2, "cn_half", 1.2),
         ("cn_ban", 0.15, "cn_ban", 1.2), ("jp_out", 0.1, "jp_out", 1.2)],
        [("cn_half", cn, "ALL", t, 12, 0.5, 2.0) for t in data.years]
        + [("cn_ban", cn, "ALL", last, 6, 1.0, 3.0),
           ("jp_out", ally, "ALL", last, 12, 1.0, None)],
    )
    avail, spot = scenario_factors(risk, offers)
    assert (avail < 1).any(axis=1).tolist() == [False, True, True, True]
    return risk, avail, spot


def test_scenario_factors_by_hand():
    data = one_year()
    risk, avail, spot = _risk_case(data)
    offers = build_model(data).offers            # rows: A-CN-2030, A-JP-2030
    assert list(offers["source"]) == ["CN", "JP"]
    assert avail[:, 0] == pytest.approx([1.0, 0.5, 0.5, 1.0])   # 6 months x 100 % = half a year
    assert avail[:, 1] == pytest.approx([1.0, 1.0, 1.0, 0.0])
    assert spot[:, 0] == pytest.approx([1.2, 2.0, 3.0, 1.2])


def test_one_scenario_equals_deterministic():
    data = random_data(3)
    n = len(build_model(data).offers)
    det, _, _ = solve_data(data)
    for spot in (1.0, 1.5):   # with a spot premium everything is simply contracted
        res = solve_stochastic(data, np.ones((1, n)), np.full((1, n), spot), [1.0], with_vss=False)
        assert res.status == OPTIMAL
        assert res.objective == pytest.approx(det.objective, rel=1e-7)


def test_one_year_stochastic_by_hand():
    """one_year: CN 10/kg (cap 100 t) capped at 60 % of 100 t demand; JP 15/kg.
    Scenario 'ban' (p .2): CN delivers nothing, JP spot at 2x (30/kg).  Contracts CN 60 t
    (paid only when delivered) and JP 40 + y t (take-or-pay):
      base: 600 + 15 (40 + y) = 1200 + 15y;  ban: 15 (40 + y) + 30 (60 - y) = 2400 - 15y
      E = .8 (1200 + 15y) + .2 (2400 - 15y) = 1440 + 9y  ->  y = 0, E = 1440 k = 1.44 M
    (all 100 t contracted from JP would cost 1500 k in both scenarios)."""
    data = one_year(cap=0.6, unmet_penalty=1000.0)
    offers = build_model(data).offers
    avail = np.array([[1.0, 1.0], [0.0, 1.0]])
    spot = np.array([[1.2, 1.2], [1.2, 2.0]])
    res = solve_stochastic(data, avail, spot, [0.8, 0.2], with_vss=False)
    assert list(offers["source"]) == ["CN", "JP"]
    assert res.objective == pytest.approx(1.44)
    assert res.scenario_costs == pytest.approx([1.2, 2.4])
    assert res.first_stage["contract"] == pytest.approx([60.0, 40.0])


def test_beta_zero_is_risk_neutral_and_cvar_weight_shifts_plan():
    data = random_data(1)
    risk, avail, spot = _risk_case(data)
    rn = solve_stochastic(data, avail, spot, risk.prob, risk.names, beta=0.0, with_vss=False)
    # risk-neutral optimum computed independently: the EF without any CVaR rows
    m = build_extensive_form(data, avail, spot, risk.prob, 0.95, 0.0, risk.names)
    assert "cvar_excess" not in m.lp.row_blocks
    assert rn.objective == pytest.approx(rn.expected, rel=1e-9)
    tiny = solve_stochastic(data, avail, spot, risk.prob, risk.names, alpha=0.9, beta=1e-9, with_vss=False)
    assert tiny.expected == pytest.approx(rn.expected, rel=1e-6)
    averse = solve_stochastic(data, avail, spot, risk.prob, risk.names, alpha=0.8, beta=5.0, with_vss=False)
    assert averse.status == OPTIMAL
    assert averse.objective == pytest.approx(averse.expected + 5.0 * averse.cvar, rel=1e-7)
    assert averse.cvar <= var_cvar(rn.scenario_costs, rn.prob, 0.8)[1] + 1e-7
    assert averse.expected >= rn.expected - 1e-7


@pytest.mark.parametrize("seed, beta", [(1, 0.0), (2, 0.0), (1, 1.0)])
def test_vss_and_evpi_nonnegative(seed, beta):
    data = random_data(seed)
    risk, avail, spot = _risk_case(data)
    res = solve_stochastic(data, avail, spot, risk.prob, risk.names, alpha=0.9, beta=beta)
    assert res.status == OPTIMAL, res.notes
    assert res.vss is not None and res.evpi is not None
    assert res.vss >= -1e-6
    assert res.evpi >= -1e-6
    assert res.ws <= res.objective + 1e-6 <= res.eev + 2e-6
    if beta == 0.0:   # wait-and-see: each scenario's own optimum is never above its RP cost
        assert np.all(res.ws_costs <= res.scenario_costs + 1e-6)


def test_disruption_raises_expected_cost():
    data = random_data(4)
    n = len(build_model(data).offers)
    calm = solve_stochastic(data, np.ones((2, n)), np.full((2, n), 1.2), [0.5, 0.5], with_vss=False)
    risk, avail, spot = _risk_case(data)
    rough = solve_stochastic(data, avail, spot, risk.prob, with_vss=False)
    assert rough.expected > calm.expected


def test_tts_floor_constraint_raises_stock():
    data = make_data(
        materials=[("A", 10.0, 0.1, 0.0)],
        suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.3)],
        supply=[("A", "CN", t, 100.0, 10.0, np.nan, np.nan) for t in (2025, 2026)]
        + [("A", "JP", t, 150.0, 15.0, np.nan, np.nan) for t in (2025, 2026)],
        demand=[("A", 2025, 100.0), ("A", 2026, 104.0)])
    n = len(build_model(data).offers)
    free = solve_stochastic(data, np.ones((1, n)), np.ones((1, n)), [1.0], with_vss=False)
    # without CN, JP (100 t) falls 4 t/yr short in 2026: 26 weeks need 2 t of stock at end-2025
    floor = solve_stochastic(data, np.ones((1, n)), np.ones((1, n)), [1.0], with_vss=False, tts_weeks=26)
    stock = floor.model.lp.values("stock", floor.x)
    assert stock.loc[stock["year"] == 2025, "value"].iloc[0] == pytest.approx(2.0)
    assert floor.objective > free.objective


# ----------------------------------------------------------------- sheets, CLI, sample
def _sample(tmp_path):
    import importlib.util
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("build_risk_sample", root / "inputs" / "build_risk_sample.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build(tmp_path / "risk.xlsx")


def test_risk_cli_on_sample(tmp_path, capsys):
    import openpyxl
    from optimizer.risk.cli import cmd_risk
    from types import SimpleNamespace
    wb_path = _sample(tmp_path)
    out = tmp_path / "out.xlsx"
    rc = cmd_risk(SimpleNamespace(workbook=str(wb_path), output=str(out), alpha=0.95, beta=1.0,
                                  tts_weeks=None, mpi=False))
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "VSS" in text and "kr_ban" in text
    wb = openpyxl.load_workbook(out)
    for name in ("RiskSummary", "ScenarioCosts", "Contracts", "TimeToSurvive", "TTSHeatMap", "RiskExposure"):
        assert name in wb.sheetnames
    heat = wb["TTSHeatMap"]
    fills = {c.fill.fgColor.rgb for row in heat.iter_rows(min_row=5) for c in row[2:] if c.value is not None}
    assert len(fills) >= 2          # coloured by band


def test_risk_sheet_errors(tmp_path, capsys):
    import openpyxl
    from optimizer.risk.cli import cmd_risk
    from types import SimpleNamespace
    wb_path = _sample(tmp_path)
    wb = openpyxl.load_workbook(wb_path)
    ws = wb["RiskScenarios"]
    ws["B2"] = 0.9                      # probabilities no longer sum to 1
    ws["A3"] = ws["A4"].value           # duplicate scenario name
    ws["C5"] = "NO_SUCH_EVENT"
    wb["Disruptions"]["B2"] = "XX"      # unknown source
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    rc = cmd_risk(SimpleNamespace(workbook=str(bad), output=str(tmp_path / "o.xlsx"), alpha=0.95, beta=1.0,
                                  tts_weeks=None, mpi=False))
    err = capsys.readouterr().err
    assert rc == 1
    assert "duplicate" in err
    # the duplicate stops the run before the cross-checks; fix it and see the others
    wb["RiskScenarios"]["A3"] = "renamed"
    wb.save(bad)
    rc = cmd_risk(SimpleNamespace(workbook=str(bad), output=str(tmp_path / "o.xlsx"), alpha=0.95, beta=1.0,
                                  tts_weeks=None, mpi=False))
    err = capsys.readouterr().err
    assert rc == 1
    assert "sum to 1" in err and "NO_SUCH_EVENT" in err and "RiskScenarios!C5" in err
    assert "Disruptions!B2" in err and "unknown source" in err
    assert not (tmp_path / "o.xlsx").exists()
