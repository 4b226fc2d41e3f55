"""Scenario batch: the base data and each named scenario solved side by side, with curves.

:func:`run_batch` solves the base data and every scenario of the Scenarios sheet
(:func:`optimizer.sourcing.overrides.apply_scenario` on the validated base data, so the workbook is
read once) through the same spine as ``sourcing solve`` (:func:`optimizer.sourcing.run.solve_data`)
and, optionally, computes each one's exact cost curve (:mod:`optimizer.curves.parametric`).
:func:`comparison_tables` turns the runs into the comparison workbook's tables:

* ``summary``   - one row per measure, one column per scenario: status, money spent
  (discounted and not), stock below target and unmet demand with their penalties, the risk
  charge and the risk-weighted volume, the objective, China tonnes, the curve's lowest
  achievable share and the money spent and stock given up over its range;
* ``shares``    - China share (ALL, value-weighted) per year, one column per scenario;
* ``china_tonnes`` - tonnes bought from the China bloc per material (all years);
* ``changes``   - per scenario, the purchases that change most against base (by value);
* ``overrides`` - per scenario, every input cell the scenario changed (base -> scenario):
  what the scenario *names* and nothing else;
* ``curves``    - every curve's vertices (scenario, target, money spent, penalties, objective).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from models.units import to_millions
from models import expressions as E
from models.sourcing import build_model
from optimizer.core.issues import InputError
from optimizer.core.solver import OPTIMAL
from optimizer.curves.frontier import cost_vector
from optimizer.core.pool import ProcessPool
from optimizer.curves.parametric import CurveError, CurveSolveError, cap_direction, compute_curve, with_cap_row
from optimizer.sourcing import result as R
from optimizer.sourcing import schema as S
from optimizer.sourcing import views
from optimizer.sourcing.overrides import TABLE_ATTR, apply_scenario, list_scenarios
from optimizer.sourcing.run import RunOptions, solve_data, solve_options

BASE = "base"


@dataclass
class ScenarioRun:
    name: str
    data: object = None
    result: R.RunResult | None = None
    cost: float = np.nan          # k-currency, objective without the risk charge
    risk: float = np.nan          # k-currency-equivalent (risk-weighted volume)
    curve: object = None          # optimizer.curves.parametric.Curve
    error: str = ""               # why this scenario has no result / no curve


def run_batch(data, names: list[str] | None = None, curve_mode: str | None = "path",
              curve_year: int | None = None, on_progress=None, measure: str = "china",
              workers: int = 1, pool_factory=None) -> list[ScenarioRun]:
    """Solve base + each scenario (``names``: default every scenario of the workbook).

    ``curve_mode`` None skips the curves.  ``on_progress(name)`` is called before each run (with
    ``workers`` > 1: for each scenario as its share of the batch is handed to a worker).
    ``workers`` > 1: the runs are cut into that many consecutive shares, each solved in its own
    process with one HiGHS thread (:class:`~optimizer.core.pool.ProcessPool`, or the pool
    ``pool_factory(factory, payloads)`` makes, e.g. a Dask cluster's); every run is the same
    independent solve as in the serial batch, so the tables are the serial ones.
    Raises nothing for a scenario that fails: its ``error`` says why.
    """
    names = list_scenarios(data) if names is None else names
    order = [BASE] + list(names)
    if (workers > 1 or pool_factory is not None) and len(order) > 1:
        shares = [list(s) for s in np.array_split(np.array(order, dtype=object), min(max(workers, 1), len(order)))]
        if on_progress:
            for name in order:
                on_progress(name)
        make = pool_factory or ProcessPool
        with make(BatchWorker, [(data, s, curve_mode, curve_year, measure) for s in shares]) as pool:
            answers = pool.call("run")
        runs = [run for share in answers for run in share]
        for run in runs:                    # the base run's data is the caller's object, as serially
            if run.name == BASE and run.data is not None:
                run.data = data
        return runs
    runs = []
    for name in order:
        if on_progress:
            on_progress(name)
        runs.append(run_scenario(data, name, curve_mode, curve_year, measure))
    return runs


def run_scenario(data, name: str, curve_mode: str | None = "path", curve_year: int | None = None,
                 measure: str = "china") -> ScenarioRun:
    """One run of the batch: ``name`` (``BASE`` or a scenario of ``data``) solved, with its curve."""
    run = ScenarioRun(name)
    try:
        run.data = data if name == BASE else apply_scenario(data, name)
    except InputError as err:
        run.error = "; ".join(str(i) for i in err.issues if i.severity == "error")
        return run
    res, model, sol = solve_data(run.data, RunOptions(ranging=False))
    run.result = res
    if sol.x is None:
        run.error = res.status_message
        return run
    run.cost = float(np.multiply(cost_vector(model), sol.x).sum())
    run.risk = float(np.multiply(E.risk_weighted_volume(model), sol.x).sum())
    if curve_mode is None or res.status != OPTIMAL:
        return run
    try:
        cdata = (with_cap_row(run.data, curve_year, "ALL", measure) if curve_mode == "year" and curve_year
                 else run.data)
        cmodel = model if cdata is run.data else build_model(cdata)
        direction = cap_direction(cmodel, curve_mode, curve_year, "ALL", measure)
        run.curve = compute_curve(cmodel, direction, detail=False, options=solve_options(cdata.settings, ranging=False))
    except (CurveError, CurveSolveError) as err:
        run.error = f"no curve: {err}"
    return run


class BatchWorker:
    """A worker process's share of the batch: consecutive runs of the base data and its scenarios."""

    def __init__(self, payload):
        self.data, self.names, self.curve_mode, self.curve_year, self.measure = payload

    def run(self) -> list[ScenarioRun]:
        return [run_scenario(self.data, n, self.curve_mode, self.curve_year, self.measure) for n in self.names]


def _ok(runs):
    return [r for r in runs if r.result is not None and r.result.objective is not None]


def comparison_tables(runs: list[ScenarioRun], top: int = 10) -> dict[str, pd.DataFrame]:
    """The comparison workbook's tables (see the module docstring)."""
    return {"summary": summary_table(runs), "shares": shares_table(runs),
            "china_tonnes": china_tonnes_table(runs), "changes": changes_table(runs, top),
            "overrides": overrides_table(runs), "curves": curves_table(runs)}


def summary_table(runs) -> pd.DataFrame:
    """One row per measure, one column per scenario: money spent first, then what is given up
    (stock below target, unmet demand, their penalties), the risk measures, then the objective."""
    rows = {}
    for r in runs:
        res = r.result
        col = {"status": (res.status_message if res else r.error) or ""}
        if res is not None and res.objective is not None:
            h = views.headline(res)
            china = res.plan[res.plan["bloc"] == "china"]["tonnes"].sum()
            short = float(res.stockpile["shortfall"].sum()) if len(res.stockpile) else 0.0
            col.update({
                "money spent (M, discounted)": h.money_total_m,
                "money spent (M, undiscounted)": h.money_total_undiscounted_m,
                "stock below target (t, all years)": short,
                "unmet demand (t)": float(res.unmet["unmet"].sum()) if len(res.unmet) else 0.0,
                "penalties of missed targets (M, not money)": float(h.penalties["value_m"].sum()),
                "risk charge (M, a weight in the objective)": float(h.weights["value_m"].sum()),
                "risk: risk-weighted purchase value (M)": to_millions(r.risk),
                "objective (M: money + penalties + risk charge)": res.objective,
                "China-bloc purchases (t, all years)": float(china),
            })
        c = r.curve
        if c is not None:
            start, end = c.vertices[-1], c.vertices[0]
            col["lowest achievable share (curve parameter)"] = c.lowest.t
            col["curve start (today's level)"] = c.t_high
            col["breakpoints on the curve"] = len(c.breakpoints)
            col["money spent over the curve's range (M)"] = to_millions(end.money - start.money)
            col["stock given up over the curve's range (t)"] = end.shortfall - start.shortfall
        if r.error and res is not None:
            col["note"] = r.error
        rows[r.name] = col
    out = pd.DataFrame(rows)
    out.index.name = "measure"
    return out.reset_index()


def shares_table(runs) -> pd.DataFrame:
    frames = []
    for r in _ok(runs):
        sh = r.result.shares
        sh = sh[sh["scope"].isin(["ALL", "ALL (uncapped)"])][["year", "china_share"]]
        frames.append(sh.set_index("year")["china_share"].rename(r.name))
    if not frames:
        return pd.DataFrame(columns=["year"])
    out = pd.concat(frames, axis=1)
    tgt = _ok(runs)[0].result.shares
    tgt = tgt[tgt["scope"] == "ALL"].set_index("year")["target"].rename("base target")
    out = out.join(tgt, how="left")
    out.index.name = "year"
    return out.reset_index()


def china_tonnes_table(runs) -> pd.DataFrame:
    frames = []
    for r in _ok(runs):
        p = r.result.plan
        frames.append(p[p["bloc"] == "china"].groupby("material")["tonnes"].sum().rename(r.name))
    if not frames:
        return pd.DataFrame(columns=["material"])
    out = pd.concat(frames, axis=1).fillna(0.0)
    out.index.name = "material"
    return out.reset_index()


def changes_table(runs, top: int = 10) -> pd.DataFrame:
    """Per scenario, the ``top`` purchase changes against base, ranked by |change x reference value|."""
    ok = _ok(runs)
    cols = ["scenario", "material", "source", "bloc", "year", "base_t", "scenario_t", "change_t",
            "change_value_m"]
    base = next((r for r in ok if r.name == BASE), None)
    if base is None:
        return pd.DataFrame(columns=cols)
    key = ["material", "source", "bloc", "year"]
    ref = dict(zip(base.data.materials["material"], base.data.materials["reference_value"]))
    b = base.result.plan.groupby(key, as_index=False)["tonnes"].sum()
    out = []
    for r in ok:
        if r.name == BASE:
            continue
        s = r.result.plan.groupby(key, as_index=False)["tonnes"].sum()
        m = b.merge(s, on=key, how="outer", suffixes=("_base", "_scen")).fillna({"tonnes_base": 0.0,
                                                                                 "tonnes_scen": 0.0})
        m["change_t"] = m["tonnes_scen"] - m["tonnes_base"]
        m["change_value_m"] = to_millions(m["change_t"] * m["material"].map(ref).fillna(0.0))
        m = m[m["change_t"].abs() > 1e-6]
        m = m.reindex(m["change_value_m"].abs().sort_values(ascending=False).index).head(top)
        m.insert(0, "scenario", r.name)
        out.append(m.rename(columns={"tonnes_base": "base_t", "tonnes_scen": "scenario_t"})[cols])
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)


def _cell_repr(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (np.generic,)):
        return v.item()
    return v


def input_changes(base, scen) -> list[tuple]:
    """Every input value that differs between two SourcingData: (sheet, key, column, base, scenario)."""
    out = []
    for f in fields(base.settings):
        if f.name == "scenario":
            continue
        a, b = getattr(base.settings, f.name), getattr(scen.settings, f.name)
        if a != b:
            out.append(("Settings", f.name, "value", a, b))
    for sheet, attr in TABLE_ATTR.items():
        fa, fb = getattr(base, attr), getattr(scen, attr)
        if fa is None or fb is None:
            continue
        keys = list(S.SHEET_BY_NAME[sheet].key)
        value_cols = [c.key for c in S.SHEET_BY_NAME[sheet].columns
                      if c.key not in keys and c.key in fa.columns and c.kind != S.TEXT]
        m = fa.merge(fb, on=keys, how="outer", suffixes=("|a", "|b"), indicator=True)
        for _, row in m.iterrows():
            # blank optional key parts (a Policy row's default country and stage) are left out
            label = ", ".join(str(row[k]) for k in keys
                              if not (sheet == "Policy" and k in ("country", "stage") and
                                      str(row[k]) in ("", "nan", "direct", "None")))
            if row["_merge"] != "both":
                out.append((sheet, label, "(row)", "absent" if row["_merge"] == "right_only" else "present",
                            "present" if row["_merge"] == "right_only" else "absent"))
                continue
            for c in value_cols:
                a, b = _cell_repr(row[f"{c}|a"]), _cell_repr(row[f"{c}|b"])
                if a != b:
                    out.append((sheet, label, c, a, b))
    return out


def overrides_table(runs) -> pd.DataFrame:
    cols = ["scenario", "sheet", "row", "column", "base", "scenario_value"]
    base = next((r for r in runs if r.name == BASE and r.data is not None), None)
    out = []
    for r in runs:
        if r.name == BASE or r.data is None or base is None:
            continue
        for sheet, key, col, a, b in input_changes(base.data, r.data):
            out.append((r.name, sheet, key, col, a, b))
    return pd.DataFrame(out, columns=cols)


def curves_table(runs) -> pd.DataFrame:
    rows = [(r.name, v.t, to_millions(v.money), to_millions(v.penalties), to_millions(v.cost))
            for r in runs if r.curve is not None for v in r.curve.vertices]
    return pd.DataFrame(rows, columns=["scenario", "target", "money_m", "penalties_m", "cost_m"])
