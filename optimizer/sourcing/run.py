"""The spine: load -> validate -> build -> solve -> readout -> report, each stage timed.

``solve_workbook`` is what ``sourcing solve`` calls; ``load`` and ``solve_data`` are the
stages every other analysis (curves, comparison, risk, web) reuses.  Each stage is a
separate, testable function elsewhere; this module only orders them, records the run
manifest and decides what to explain.
"""
from __future__ import annotations

import datetime as _dt
import platform
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from models.data import SourcingData
from models.sourcing import SourcingModel, build_model
from optimizer.core.outputs import default_output as default_output_name
from optimizer.core.solver import INFEASIBLE, INFEASIBLE_OR_UNBOUNDED, Solution, SolveOptions, solve_lp
from optimizer.sourcing import result as R
from optimizer.sourcing.explain import explain_infeasible, explain_unmet
from optimizer.sourcing.readout import build_result
from optimizer.sourcing.report import write_result_workbook
from optimizer.sourcing.sensitivity import RESOLVES
from optimizer.sourcing.tts import country_time_to_survive, exposure_ranking, time_to_survive
from optimizer.sourcing.validate import load_and_validate


RANGING = "ranging (part of solve)"   # the manifest's timing of HiGHS's ranging inside the solve


def tool_version() -> str:
    try:
        return version("sourcing-optimizer")
    except PackageNotFoundError:
        return "0.1.0"


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for mod in ("highspy", "pulp", "pyomo", "openpyxl", "pandas"):
        try:
            out[mod] = version(mod)
        except PackageNotFoundError:
            out[mod] = "not installed"
    return out


@dataclass
class RunOptions:
    backend: str | None = None       # None = the workbook's setting
    solver: str | None = None
    time_limit: float | None = None
    scenario: str | None = None
    ranging: bool = True
    sensitivity: str = "auto"        # China caps' prices: auto | exact (re-solves) | dual (sensitivity.py)


def apply_run_options(data: SourcingData, opts: RunOptions) -> SourcingData:
    changes = {}
    if opts.backend:
        changes["backend"] = opts.backend
    if opts.solver:
        changes["solver"] = opts.solver
    if opts.time_limit is not None:
        changes["time_limit"] = opts.time_limit
    return data.with_settings(**changes) if changes else data


def solve_options(settings, ranging: bool = True) -> SolveOptions:
    """The workbook's backend, solver and time limit as solver options (every analysis uses them)."""
    return SolveOptions(backend=settings.backend, solver=settings.solver, time_limit=settings.time_limit,
                        ranging=ranging)


def plan_time_to_survive(data: SourcingData, stockpile, period_stock=None):
    """Time-to-survive of every (source, material, year) with the plan's year-end stocks (and,
    with periods within years, its lowest period-start stock), and the sources ranked by exposure
    (:mod:`optimizer.sourcing.tts`; no disruption scenarios, so the time to recover is taken as
    the whole year)."""
    stock = stockpile[["material", "year", "closing"]].rename(columns={"closing": "value"})
    inner = None
    if period_stock is not None and len(period_stock):
        last = period_stock["period"].max()
        inner = period_stock[period_stock["period"] < last].rename(columns={"stock": "value"})
    tts = time_to_survive(data, stock, period_stock=inner)
    return tts, exposure_ranking(tts), country_time_to_survive(data, stock)


def solve_data(data: SourcingData, opts: RunOptions | None = None,
               timings: dict | None = None) -> tuple[R.RunResult, SourcingModel, Solution]:
    """build -> solve -> analyse -> explain for already-validated data."""
    opts = opts or RunOptions()
    timings = dict(timings or {})
    data = apply_run_options(data, opts)
    s = data.settings
    t0 = time.perf_counter()
    model = build_model(data)
    timings["build"] = time.perf_counter() - t0
    options = solve_options(s, ranging=opts.ranging)
    t0 = time.perf_counter()
    sol = solve_lp(model.lp, options)
    timings["solve"] = time.perf_counter() - t0
    if "ranging" in sol.timings:
        timings[RANGING] = sol.timings["ranging"]
    t0 = time.perf_counter()
    resolves: dict = {}
    res = build_result(model, sol, options, opts.sensitivity, resolves)
    t1 = time.perf_counter()
    diagnostic_lp = False     # the explanation builds and solves an elastic copy of the model
    if sol.status in (INFEASIBLE, INFEASIBLE_OR_UNBOUNDED):
        sentences, rows = explain_infeasible(model, options)
        res.explanation = sentences
        if len(rows):
            res.diagnostics = pd.concat([res.diagnostics, rows], ignore_index=True)
        diagnostic_lp = True
    elif sol.has_solution:
        res.explanation = explain_unmet(model, sol, res, options)
        diagnostic_lp = len(res.unmet) > 0
    if diagnostic_lp:
        resolves[RESOLVES] = resolves.get(RESOLVES, 0.0) + time.perf_counter() - t1
    if sol.has_solution and len(res.stockpile):
        res.time_to_survive, res.exposure, res.country_tts = plan_time_to_survive(data, res.stockpile,
                                                                                  res.period_stock)
    timings["analyse"] = time.perf_counter() - t0
    timings.update(resolves)
    res.manifest = {
        "tool_version": tool_version(),
        "backend": sol.backend, "solver": sol.solver,
        "input_file": data.source_file, "input_sha256": data.source_sha256,
        "scenario": s.scenario or "(base data)",
        "started_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "status": sol.status,
        **({"mip_gap": sol.mip_gap} if sol.mip_gap is not None else {}),
        "variables": model.lp.num_cols, "constraints": model.lp.num_rows,
        "nonzeros": int(model.lp.csc()[2].size),
        **_versions(),
        "timings": timings,
    }
    return res, model, sol


def solve_workbook(path: str | Path, output: str | Path | None = None,
                   opts: RunOptions | None = None) -> tuple[R.RunResult, Path | None]:
    """Read, validate, solve and write the result workbook; returns (result, output path).

    Raises :class:`optimizer.core.issues.InputError` for a bad workbook (nothing is written).
    """
    opts = opts or RunOptions()
    t0 = time.perf_counter()
    data = load_and_validate(str(path), scenario=opts.scenario)
    timings = {"load_validate": time.perf_counter() - t0}
    res, _, _ = solve_data(data, opts, timings)
    out = None
    if output is not None:
        t0 = time.perf_counter()
        out = write_result_workbook(res, output, protect=(str(path),))
        res.manifest["timings"]["write"] = time.perf_counter() - t0
    return res, out


def default_output(path: str | Path, scenario: str | None = None) -> Path:
    """``outputs/<stem>_solve[_<scenario>].xlsx`` (:mod:`optimizer.core.outputs`)."""
    return default_output_name(path, "solve", scenario)
