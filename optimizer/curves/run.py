"""Load, build and compute for the ``curve``, ``frontier`` and ``compare`` commands (and the web).

Every analysis reads the workbook through the spine (:func:`optimizer.sourcing.validate.load_and_validate`)
and solves with the workbook's backend, solver and time limit
(:func:`optimizer.sourcing.run.solve_options`).
"""
from __future__ import annotations

from dataclasses import dataclass

from models.sourcing import SourcingModel, build_model
from models.units import PP_PER_SHARE
from optimizer.core.errors import UsageError
from optimizer.curves.compare import ScenarioRun, comparison_tables, run_batch
from optimizer.curves.frontier import RISK_UNITS, Frontier, sourcing_frontier
from optimizer.curves.parametric import Curve, cap_direction, compute_curve, with_cap_row
from optimizer.sourcing.overrides import list_scenarios
from optimizer.sourcing.run import solve_options
from optimizer.sourcing.validate import load_and_validate


def share(text: str | None) -> float | None:
    """A share typed on the command line: 80 or 0.8 both mean 80 %."""
    if text is None:
        return None
    v = float(text)
    return v / PP_PER_SHARE if v > 1.5 else v


def run_curve(workbook, mode: str = "path", year: int | None = None, scope: str = "ALL",
              start: float | None = None, end: float | None = None, grid: int = 0, method: str = "auto",
              scenario: str | None = None, on_solve=None, measure: str = "china") -> tuple[Curve, SourcingModel]:
    """The exact cost curve of a workbook (see :func:`optimizer.curves.parametric.compute_curve`);
    ``measure``: which caps move (the China bloc's direct share by default; 'any' = the largest
    single country, 'CN:refining', 'china:look-through', ...)."""
    data = load_and_validate(workbook, scenario=scenario)
    if mode == "year" and year is not None:
        data = with_cap_row(data, year, scope, measure)
    model = build_model(data)
    direction = cap_direction(model, mode, year, scope, measure)
    curve = compute_curve(model, direction, start, end, method=method, grid=grid or 0, on_solve=on_solve,
                          options=solve_options(data.settings, ranging=False))
    return curve, model


@dataclass
class FrontierRun:
    frontier: Frontier
    model: SourcingModel
    risk_label: str
    currency: str


def run_frontier(workbook, risk: str = "volume", points: int = 10, scenario: str | None = None,
                 on_solve=None) -> FrontierRun:
    """The AUGMECON cost-risk frontier of a workbook."""
    data = load_and_validate(workbook, scenario=scenario)
    model = build_model(data)
    fr = sourcing_frontier(model, risk, points, options=solve_options(data.settings, ranging=False),
                           on_solve=on_solve)
    cur = data.settings.currency
    return FrontierRun(fr, model, RISK_UNITS[risk].format(currency=cur), cur)


@dataclass
class CompareRun:
    runs: list[ScenarioRun]
    tables: dict
    currency: str
    label: str


def run_compare(workbook, scenarios: list[str] | None = None, mode: str | None = "path",
                year: int | None = None, on_progress=None, measure: str = "china", workers: int = 1,
                pool_factory=None) -> CompareRun:
    """Base data and every named scenario (or ``scenarios``), each with its curve (``mode`` None: none);
    ``workers`` > 1 or ``pool_factory``: solved by worker processes (:func:`run_batch`)."""
    data = load_and_validate(workbook, scenario="")
    names = list_scenarios(data)
    if scenarios:
        unknown = [s for s in scenarios if s not in names]
        if unknown:
            raise UsageError(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(names) or 'none'}")
        names = list(scenarios)
    runs = run_batch(data, names, mode, year, on_progress=on_progress, measure=measure, workers=workers,
                     pool_factory=pool_factory)
    label = next((r.curve.direction.label for r in runs if r.curve is not None), "China-share target")
    return CompareRun(runs, comparison_tables(runs), data.settings.currency, label)
