"""Which analyses a workbook offers, and each analysis run in a worker process.

One upload can be analysed six ways, each by the command-line feature that owns it (nothing is
re-computed here; the figures come from each feature's run and views/tables functions):

========  ===================================  =============================================
kind      runs                                 needs
========  ===================================  =============================================
plan      :func:`optimizer.sourcing.run.solve_data`           the spine's sheets
risk      :func:`optimizer.risk.run.run_risk`                 RiskScenarios and Disruptions
curve     :func:`optimizer.curves.run.run_curve`              the spine's sheets
frontier  :func:`optimizer.curves.run.run_frontier`           the spine's sheets
compare   :func:`optimizer.curves.run.run_compare`            a Scenarios sheet
pool      :func:`optimizer.pooling.run.run_pool`              Members and PooledOffers
========  ===================================  =============================================

The default is the one the sheets ask for: a pool workbook gets ``pool``, a workbook with the risk
sheets gets ``risk`` (never a plain plan that silently ignores them), anything else ``plan``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from optimizer.core import i18n
from optimizer.core.errors import UsageError
from optimizer.core.issues import InputError
from optimizer.core.workbook.reader import workbook_titles
from optimizer.curves.report import write_comparison_workbook, write_curve_workbook, write_frontier_workbook
from optimizer.curves.run import run_compare, run_curve, run_frontier
from optimizer.pooling.load import load_pool_workbook
from optimizer.pooling.report import write_pool_result
from optimizer.pooling.run import run_pool
from optimizer.risk.run import run_risk
from optimizer.sourcing.report import write_result_workbook
from optimizer.sourcing.run import RunOptions, solve_data
from optimizer.sourcing.validate import load_and_validate
from optimizer.web import results

PLAN, RISK, CURVE, FRONTIER, COMPARE, POOL = "plan", "risk", "curve", "frontier", "compare", "pool"
KINDS = (PLAN, RISK, CURVE, FRONTIER, COMPARE, POOL)
POOL_SHEETS = ("Members", "PooledOffers")
RISK_SHEETS = ("RiskScenarios", "Disruptions")
QUEUED, VALIDATING, SOLVING, WRITING = "queued", "validating", "solving", "writing"
DONE, INVALID, FAILED = "done", "invalid", "failed"
INPUT_NAME, RESULT_NAME, STAGE_NAME, PLOT_NAME = "input.xlsx", "result.xlsx", "stage", "plot.png"
# the parameters each kind reads (the app checks their ranges before a job starts)
PARAMS = {PLAN: ("scenario",), RISK: ("alpha", "beta"), CURVE: ("scenario", "measure"),
          FRONTIER: ("scenario", "points"), COMPARE: ("measure",), POOL: ()}


def offered(titles) -> list[str]:
    """The analyses a workbook with these sheet names can run, the default first."""
    names = set(titles or ())
    if all(n in names for n in POOL_SHEETS):
        return [POOL]
    kinds = [PLAN, CURVE, FRONTIER]
    if "Scenarios" in names:
        kinds.append(COMPARE)
    if all(n in names for n in RISK_SHEETS):
        kinds.insert(0, RISK)
    return kinds


def sheet_titles(path: Path) -> list[str]:
    """The workbook's sheet names as the reader finds them (the index only, through the same guard);
    empty for anything unreadable (the analysis's own loader then names the problem)."""
    try:
        return list(workbook_titles(path) or ())
    except Exception:   # noqa: BLE001 - unreadable: the loader that runs next says why, cell by cell
        return []


def set_stage(job_dir: Path, stage: str, detail: str = "") -> None:
    """The job's progress (stage and a line of detail such as 'solve 12: target 41.3 %'), written
    atomically for the web process to read while the job runs."""
    tmp = job_dir / (STAGE_NAME + ".tmp")
    tmp.write_text(json.dumps({"stage": stage, "detail": detail}))
    os.replace(tmp, job_dir / STAGE_NAME)


def read_stage(job_dir: Path) -> tuple[str, str]:
    try:
        st = json.loads((job_dir / STAGE_NAME).read_text())
        return str(st.get("stage") or QUEUED), str(st.get("detail") or "")
    except (OSError, ValueError, AttributeError):
        return QUEUED, ""


def issue_dict(issue) -> dict:
    """One :class:`optimizer.core.issues.Issue` as JSON: the CLI's message plus its parts."""
    value = issue.value
    if value is not None and not isinstance(value, (str, int, float, bool)):
        value = str(value)
    if isinstance(value, float) and value != value:
        value = None
    return {"sheet": issue.sheet, "cell": issue.cell, "value": value, "rule": issue.rule,
            "severity": issue.severity, "message": str(issue)}


def invalid(err: InputError) -> dict:
    errors = [i for i in err.issues if i.severity == "error"]
    others = [i for i in err.issues if i.severity != "error"]
    return {"status": INVALID, "issues": [issue_dict(i) for i in errors + others]}


# --------------------------------------------------------------------------- one run per kind
def _plan(folder: Path, src: Path, p: dict, titles) -> dict:
    data = load_and_validate(str(src), scenario=p.get("scenario"))
    set_stage(folder, SOLVING, "one LP")
    res, _, _ = solve_data(data, RunOptions())
    set_stage(folder, WRITING)
    write_result_workbook(res, folder / RESULT_NAME, protect=(str(src),))
    out = results.plan(res)
    ignored = [n for n in RISK_SHEETS + POOL_SHEETS if n in set(titles)]
    out["ignored_sheets"] = ignored
    return {"status": DONE, "issues": [issue_dict(i) for i in data.warnings],
            "scenarios": list(data.scenario_names()), "result": out}


def _risk(folder: Path, src: Path, p: dict, titles) -> dict:
    set_stage(folder, SOLVING, "two-stage model, then VSS and EVPI")
    alpha, beta = float(p.get("alpha", 0.95)), float(p.get("beta", 1.0))
    res, tts, ranking, out = run_risk(str(src), folder / RESULT_NAME, alpha, beta)
    data = load_and_validate(str(src))
    summary = results.risk(res, ranking, data.settings.currency)
    status = DONE if out is not None else FAILED
    o = {"status": status, "issues": [issue_dict(i) for i in data.warnings], "result": summary}
    if status == FAILED:
        o["error"] = res.message or res.status
    return o


def _curve(folder: Path, src: Path, p: dict, titles) -> dict:
    def on_solve(phase, t):
        solves[0] += 1
        set_stage(folder, SOLVING, f"solve {solves[0]} ({phase}): target {t:.2%}")
    solves = [0]
    curve, _ = run_curve(str(src), scenario=p.get("scenario"), measure=p.get("measure") or "china",
                         on_solve=on_solve)
    set_stage(folder, WRITING)
    write_curve_workbook(curve, folder / RESULT_NAME, input_path=str(src))
    return {"status": DONE, "issues": [], "result": results.curve(curve)}


def _frontier(folder: Path, src: Path, p: dict, titles) -> dict:
    points = int(p.get("points") or 10)

    def on_solve(k, e):
        set_stage(folder, SOLVING, f"grid point {k} of {points}")
    run = run_frontier(str(src), "volume", points, p.get("scenario"), on_solve=on_solve)
    set_stage(folder, WRITING)
    write_frontier_workbook(run.frontier, run.model, folder / RESULT_NAME, run.risk_label, run.currency,
                            input_path=str(src))
    return {"status": DONE, "issues": [], "result": results.frontier(run)}


def _compare(folder: Path, src: Path, p: dict, titles) -> dict:
    def on_progress(name):
        done[0] += 1
        set_stage(folder, SOLVING, f"scenario {done[0]}: {name}")
    done = [0]
    cmp = run_compare(str(src), None, "path", None, on_progress=on_progress, measure=p.get("measure") or "china")
    set_stage(folder, WRITING)
    write_comparison_workbook(cmp.runs, cmp.tables, folder / RESULT_NAME, cmp.currency, cmp.label, str(src))
    return {"status": DONE, "issues": [], "result": results.compare(cmp)}


def _pool(folder: Path, src: Path, p: dict, titles) -> dict:
    data = load_pool_workbook(str(src))
    set_stage(folder, SOLVING, "every coalition")
    res = run_pool(data)
    summary = results.pool(res)
    warnings = [issue_dict(i) for i in data.warnings]
    if res.standalone is None:
        return {"status": FAILED, "issues": warnings, "error": " ".join(summary["notes"]) or res.status,
                "result": summary}
    set_stage(folder, WRITING)
    write_pool_result(res, folder / RESULT_NAME, protect=(str(src),))
    return {"status": DONE, "issues": warnings, "scenarios": [], "result": summary}


RUNNERS = {PLAN: _plan, RISK: _risk, CURVE: _curve, FRONTIER: _frontier, COMPARE: _compare, POOL: _pool}


def run_job(job_dir: str, params: dict | str | None = None) -> dict:
    """Run one job (in a worker process); returns a JSON-able dict.

    ``params``: {"analysis": kind or "" (the default for the sheets), "scenario", ...}; a plain
    string is a scenario name (the plan, as before).  Status "invalid" carries every issue,
    "failed" a one-line message (no traceback), "done" the key results with their ``kind``.
    """
    folder = Path(job_dir)
    src = folder / INPUT_NAME
    p = {"scenario": params} if isinstance(params, str) or params is None else dict(params)
    try:
        set_stage(folder, VALIDATING)
        titles = sheet_titles(src)
        kinds = offered(titles)
        kind = p.get("analysis") or kinds[0]
        if kind not in RUNNERS:
            return {"status": FAILED, "issues": [], "error": f"unknown analysis {kind!r}"}
        if kind == POOL or (POOL in kinds and kind != POOL):
            kind = POOL            # a pool workbook has no sourcing sheets: only the pooled analysis
        try:
            with i18n.workbook_language(p.get("lang")):      # the page's language labels the workbook
                out = RUNNERS[kind](folder, src, p, titles)
        except InputError as err:
            out = invalid(err)
        except UsageError as err:       # e.g. an unknown measure or a curve with no cap to move
            out = {"status": FAILED, "issues": [], "error": str(err)}
        out["analysis"] = kind
        out["offered"] = kinds
        return out
    except MemoryError:
        raise                  # the job runner names the per-job memory limit
    except Exception as exc:   # noqa: BLE001 - never a traceback to the user; the type and message are enough
        return {"status": FAILED, "issues": [], "error": f"{type(exc).__name__}: {exc}"}
