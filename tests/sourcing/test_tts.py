"""Time-to-survive / time-to-recover / exposure ranking, by hand and against the LP."""
import numpy as np
import pandas as pd
import pytest

from model_fixtures import make_data, random_data
from models.lp import LinearProgram, Terms
from optimizer.core.solver import OPTIMAL
from optimizer.risk.load import make_risk
from models.survival import survival_stock_floor as tts_stock_floor
from optimizer.sourcing.tts import exposure_ranking, time_to_survive
from optimizer.core.solver import SolveOptions, solve_lp


def _data(opening=22.0):
    """A: CN 100 t/yr, JP 60 t/yr, demand 104 t/yr in 2026, opening stock `opening`."""
    return make_data(
        materials=[("A", 10.0, 0.1, opening)],
        suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.3)],
        supply=[("A", "CN", 2026, 100.0, 10.0, np.nan, np.nan), ("A", "JP", 2026, 60.0, 15.0, np.nan, np.nan)],
        demand=[("A", 2026, 104.0)])


def _row(tts, source):
    return tts.loc[tts["source"] == source].iloc[0]


def test_tts_by_hand():
    tts = time_to_survive(_data())
    # without CN: weekly deficit (104 - 60)/52 = 44/52 t; 22 t of stock last 22*52/44 = 26 weeks
    assert _row(tts, "CN")["tts_weeks"] == pytest.approx(26.0)
    # without JP: deficit 4/52 t/week -> 286 weeks, capped at the year (52)
    assert _row(tts, "JP")["tts_weeks"] == pytest.approx(52.0)


def _tts_lp(I, a, d):
    """max T  s.t.  I + a T >= d T,  0 <= T <= 52 (the Simchi-Levi TTS LP for one material)."""
    lp = LinearProgram("tts")
    T = lp.add_variables("T", pd.DataFrame(index=range(1)), upper=52.0, cost=-1.0)
    lp.add_constraints("survive", pd.DataFrame(index=range(1)), Terms().add([0], T, d - a), upper=I)
    sol = solve_lp(lp, SolveOptions(ranging=False))
    assert sol.status == OPTIMAL
    return float(sol.x[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_closed_form_equals_lp(seed):
    data = random_data(seed)
    tts = time_to_survive(data)
    for _, r in tts.iterrows():
        lp_value = _tts_lp(r["start_stock"], r["alt_capacity"] / 52, r["demand"] / 52)
        assert r["tts_weeks"] == pytest.approx(lp_value, abs=1e-6)


def test_tts_grows_with_stockpile():
    low = time_to_survive(_data(opening=5.0))
    high = time_to_survive(_data(opening=30.0))
    assert _row(high, "CN")["tts_weeks"] > _row(low, "CN")["tts_weeks"]
    assert (high["tts_weeks"].to_numpy() >= low["tts_weeks"].to_numpy() - 1e-12).all()
    # a plan's stock counts from the second year on
    data = random_data(1)
    stock0 = pd.DataFrame([(m, t, 0.0) for m in data.materials["material"] for t in data.years],
                          columns=["material", "year", "value"])
    stock1 = stock0.assign(value=50.0)
    t0, t1 = time_to_survive(data, stock0), time_to_survive(data, stock1)
    later = t0["year"] > data.settings.first_year
    assert (t1.loc[later, "tts_weeks"] >= t0.loc[later, "tts_weeks"]).all()
    assert (t1.loc[later, "tts_weeks"] > t0.loc[later, "tts_weeks"]).any()


def test_ttr_critical_and_ranking():
    risk = make_risk([("ban", 1.0, "ban", 1.2)], [("ban", "CN", "A", 2026, 9, 1.0, 3.0)])
    tts = time_to_survive(_data(), disruptions=risk.disruptions)
    cn = _row(tts, "CN")
    assert cn["ttr_weeks"] == pytest.approx(39.0)          # 9 months
    assert bool(cn["critical"])                              # 39 weeks to recover > 26 to survive
    # lost = 44/52 t/wk x 39 wk - 22 t = 11 t; impact = 11 t x 10 /kg = 110 k
    assert cn["lost_t"] == pytest.approx(11.0)
    assert cn["impact"] == pytest.approx(110.0)
    rank = exposure_ranking(tts)
    assert rank["source"].tolist() == ["CN", "JP"]
    assert rank["rei"].iloc[0] == pytest.approx(1.0)


def test_stock_floor():
    data = make_data(
        materials=[("A", 10.0, 0.1, 0.0)],
        suppliers=[("CN", "china", 0.8), ("JP", "ally", 0.3)],
        supply=[("A", s, t, c, 10.0, np.nan, np.nan) for t in (2025, 2026) for s, c in (("CN", 100.0), ("JP", 60.0))],
        demand=[("A", 2025, 104.0), ("A", 2026, 104.0)])
    f = tts_stock_floor(data, 26)
    # only year 2026 needs a floor, held at the end of 2025: 26/52 x (104 - 60) = 22 t
    assert f.to_dict("records") == [{"material": "A", "year": 2025, "floor": pytest.approx(22.0)}]
