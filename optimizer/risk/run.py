"""Load, solve and write one risk run: the spine's workbook plus its RiskScenarios and
Disruptions sheets, the two-stage model (:mod:`.metrics`), time-to-survive under the
scenarios' disruptions and the risk workbook (:mod:`.report`)."""
from __future__ import annotations

from pathlib import Path

from models.sourcing import build_model
from optimizer.core import outputs as O
from optimizer.core.outputs import default_output as default_output_name
from optimizer.core.solver import OPTIMAL
from optimizer.risk.load import read_risk_scenarios, scenario_factors
from optimizer.risk.metrics import expected_values, solve_stochastic
from optimizer.risk.report import write_risk_workbook
from optimizer.sourcing.tts import exposure_ranking, time_to_survive
from optimizer.sourcing.validate import load_and_validate


def default_output(path, alpha: float = 0.95, beta: float = 1.0, tts_weeks=None, method: str | None = None) -> Path:
    """``outputs/<stem>_risk[_alpha..][_beta..][_tts..w][_<method>].xlsx``: the parameters that
    differ from their defaults (:mod:`optimizer.core.outputs`)."""
    return default_output_name(path, "risk", O.qualifier("alpha", alpha, 0.95), O.qualifier("beta", beta, 1.0),
                               O.qualifier("tts", tts_weeks) and O.qualifier("tts", tts_weeks) + "w", method)


def run_risk(workbook, output=None, alpha: float = 0.95, beta: float = 1.0, tts_weeks=None,
             with_vss: bool = True, first_stage: dict | None = None, notes=()):
    """Load, validate, solve, write; returns (RiskResult, tts, ranking, output path or None).
    ``first_stage``: evaluate that plan (contract, build) instead of optimising it (the
    ``--mpi`` path passes progressive hedging's consensus); ``notes`` go on the Risk sheet.
    Raises InputError for a bad workbook."""
    data = load_and_validate(str(workbook))
    risk = read_risk_scenarios(workbook, data)
    avail, spot = scenario_factors(risk, build_model(data).offers, data)
    res = solve_stochastic(data, avail, spot, risk.prob, risk.names, alpha=alpha, beta=beta,
                           with_vss=with_vss, tts_weeks=tts_weeks, first_stage=first_stage)
    res.notes[:0] = list(notes)
    tts = ranking = None
    if res.status == OPTIMAL:
        tts = time_to_survive(data, expected_values(res, "stock"), risk.disruptions)
        ranking = exposure_ranking(tts)
    out = None
    if output is not None and res.status == OPTIMAL:
        out = write_risk_workbook(output, res, tts, ranking, risk, data.settings.currency,
                                  protect=(str(workbook),))
    return res, tts, ranking, out
