"""Load, solve and write one risk run: the spine's workbook plus its RiskScenarios and
Disruptions sheets, the two-stage model (:mod:`.metrics`), time-to-survive under the
scenarios' disruptions and the risk workbook (:mod:`.report`)."""
from __future__ import annotations

from pathlib import Path

from models.sourcing import build_model
from optimizer.core import outputs as O
from optimizer.core.outputs import default_output as default_output_name
from optimizer.core.solver import OPTIMAL, SolveOptions
from optimizer.risk.decompose import choose_method
from optimizer.risk.load import period_factors, read_risk_scenarios, scenario_factors
from optimizer.risk.metrics import expected_values, solve_stochastic
from optimizer.risk.parallel import run_decomposed
from optimizer.risk.report import write_risk_workbook
from optimizer.sourcing.tts import exposure_ranking, time_to_survive
from optimizer.sourcing.validate import load_and_validate


def default_output(path, alpha: float = 0.95, beta: float = 1.0, tts_weeks=None, method: str | None = None) -> Path:
    """``outputs/<stem>_risk[_alpha..][_beta..][_tts..w][_<method>].xlsx``: the parameters that
    differ from their defaults (:mod:`optimizer.core.outputs`)."""
    return default_output_name(path, "risk", O.qualifier("alpha", alpha, 0.95), O.qualifier("beta", beta, 1.0),
                               O.qualifier("tts", tts_weeks) and O.qualifier("tts", tts_weeks) + "w", method)


def resolved_method(method: str, plain, n_scenarios: int) -> str:
    """The method ``auto`` stands for on this model (``plain``: the spine's model of the workbook)."""
    n_builds = plain.lp.var_blocks["build"].size
    n_offers = len(plain.offers)
    return choose_method(method, n_scenarios, n_offers + n_builds, plain.lp.num_cols - n_builds + n_offers,
                         plain.lp.is_mip)


def run_risk(workbook, output=None, alpha: float = 0.95, beta: float = 1.0, tts_weeks=None,
             with_vss: bool = True, first_stage: dict | None = None, notes=(), method: str = "ef",
             progress=None, comm=None, **decomposition):
    """Load, validate, solve, write; returns (RiskResult, tts, ranking, output path or None).
    ``first_stage``: evaluate that plan (contract, build) instead of optimising it; ``notes`` go
    on the Risk sheet.  ``method``: ef, benders, ph or auto (:func:`optimizer.risk.decompose.
    choose_method`); ``decomposition``: gap, time_limit, max_iters, workers of
    :func:`optimizer.risk.parallel.run_decomposed`; ``comm``: the MPI communicator under mpiexec
    (ranks other than 0 return four Nones).  ``progress``: a :class:`optimizer.core.progress.
    BoundsLine` (or None).  Raises InputError for a bad workbook."""
    data = load_and_validate(str(workbook))
    risk = read_risk_scenarios(workbook, data)
    plain = build_model(data)
    avail, spot = scenario_factors(risk, plain.offers, data)
    per = period_factors(risk, plain.offers, data)        # None for a yearly workbook
    method = resolved_method(method, plain, len(risk.names))
    if comm is not None and comm.Get_rank() != 0 and (method == "ef" or first_stage is not None):
        return None, None, None, None          # one LP: rank 0 alone solves it
    if method == "ef" or first_stage is not None:
        options = SolveOptions(ranging=False, want_duals=False,
                               progress=progress.simplex if progress is not None and progress.live else None)
        res = solve_stochastic(data, avail, spot, risk.prob, risk.names, alpha=alpha, beta=beta,
                               with_vss=with_vss, tts_weeks=tts_weeks, first_stage=first_stage, options=options,
                               avail_periods=per)
    else:
        res = run_decomposed(data, risk, avail, spot, alpha, beta, tts_weeks, method, with_vss=with_vss,
                             progress=progress, comm=comm, avail_periods=per, **decomposition)
        if res is None:
            return None, None, None, None
    if progress is not None:
        progress.close()
    res.notes[:0] = list(notes)
    tts = ranking = None
    planned = res.status == OPTIMAL or (res.method != "ef" and res.objective is not None)
    if planned:
        inner = expected_values(res, "pstock") if "pstock" in res.model.lp.var_blocks else None
        tts = time_to_survive(data, expected_values(res, "stock"), risk.disruptions, period_stock=inner)
        ranking = exposure_ranking(tts)
    out = None
    if output is not None and planned:
        out = write_risk_workbook(output, res, tts, ranking, risk, data.settings.currency,
                                  protect=(str(workbook),))
    return res, tts, ranking, out
