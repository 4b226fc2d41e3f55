"""Named scenarios: overrides of validated input data, applied to a copy.

Each row of the Scenarios sheet is one override; rows sharing a name are applied
together.  :func:`apply_scenario` documents which rows and columns an override can
change; :func:`list_scenarios` lists the names.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from optimizer.sourcing import schema as S
from optimizer.core.issues import InputError, Issue
from models import origins as OR
from models.caps import normal_spec
from models.data import SourcingData
from optimizer.core.workbook.cells import Bad, check_magnitude, limit_text
from optimizer.core.workbook.reader import did_you_mean

TABLE_ATTR = {"Materials": "materials", "Suppliers": "suppliers", "Supply": "supply", "Demand": "demand",
              "Policy": "policy", "Stockpile": "stockpile", "Investments": "investments", "Budget": "budget"}
FILTERS = {  # Scenarios column -> column of the target sheet it filters on
    "Settings": {},
    "Materials": {"material": "material"},
    "Suppliers": {"source": "source"},
    "Supply": {"material": "material", "source": "source", "year": "year"},
    "Demand": {"material": "material", "year": "year"},
    "Policy": {"material": "scope", "year": "year"},
    "Stockpile": {"material": "material", "year": "year"},
    "Investments": {"material": "material", "source": "source"},
    "Budget": {"year": "year"},
}
NUMERIC = (S.NUMBER, S.FRACTION, S.YEAR, S.BOOL)


class _Bad(Exception):
    def __init__(self, rule: str, key: str = "scenario"):
        super().__init__(rule)
        self.key = key   # the Scenarios column whose cell is named in the issue


def list_scenarios(data: SourcingData) -> list[str]:
    """Scenario names in the order they first appear on the Scenarios sheet."""
    return data.scenario_names()


def _blank(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _cell(sc: pd.DataFrame, pos: int, key: str) -> str:
    letters = sc.attrs.get("columns") or {c.key: get_column_letter(j)
                                          for j, c in enumerate(S.SCENARIOS.columns, start=1)}
    row = sc.index[pos] if sc.index.name == "row" else pos + 2
    return f"{letters[key]}{row}" if letters.get(key) else ""


def _check(value: float, kind: str, minimum, maximum, what: str):
    """Typed result of an override, or _Bad naming the rule it breaks."""
    if not math.isfinite(value):
        raise _Bad(f"{what} would not be a finite number", "value")
    if kind == S.YEAR:
        if not float(value).is_integer() or not 1990 <= value <= 2100:
            raise _Bad(f"{what} would be {value:g}: a year must be a whole number between 1990 and 2100", "value")
        return int(value)
    if kind == S.FRACTION and not 0.0 <= value <= 1.0:
        raise _Bad(f"{what} would be {value:g}: a share must be between 0 and 1 (0.5 = 50 %)", "value")
    if minimum is not None and value < minimum:
        raise _Bad(f"{what} would be {value:g}: it must be at least {limit_text(minimum)}", "value")
    if maximum is not None and value > maximum:
        raise _Bad(f"{what} would be {value:g}: it must be at most {limit_text(maximum)} (the limit)", "value")
    try:
        check_magnitude(value, minimum, maximum)
    except Bad as bad:
        raise _Bad(f"{what} would be {value:g}: it {bad}", "value") from None
    return float(value)


def _combine(op: str, current, value: float):
    if op == "set":
        return value
    if _blank(current):
        return current
    return current * value if op == "multiply" else current + value


def _apply_setting(settings, changes: dict, o: dict) -> None:
    for k in ("material", "source", "year"):
        if not _blank(o[k]):
            raise _Bad("leave material id, source id and year blank for a Settings override", k)
    spec = next((s for s in S.SETTING_SPECS if s.name.casefold() == o["target"].casefold()), None)
    if spec is None:
        raise _Bad(f"unknown setting '{o['target']}'; settings: "
                   + ", ".join(s.name for s in S.SETTING_SPECS if s.kind in NUMERIC), "target")
    if spec.kind not in NUMERIC:
        raise _Bad(f"setting '{spec.name}' is text and cannot be changed by a scenario", "target")
    current = changes.get(spec.name, getattr(settings, spec.name))
    if spec.kind == S.BOOL:
        if o["operation"] != "set" or o["value"] not in (0, 1):
            raise _Bad(f"setting '{spec.name}' is yes/no: use operation set with value 1 (yes) or 0 (no)", "value")
        changes[spec.name] = bool(o["value"])
        return
    if o["operation"] != "set" and current is None:
        raise _Bad(f"setting '{spec.name}' is blank, so it cannot be multiplied or added to: use set", "operation")
    new = _combine(o["operation"], current, o["value"])
    changes[spec.name] = _check(float(new), spec.kind, spec.minimum, spec.maximum, f"setting '{spec.name}'")


def _policy_row(frame: pd.DataFrame, data: SourcingData, year, scope: str, value: float, name: str,
                country: str = "", stage: str = "direct"):
    mats = data.materials
    scopes = {S.AGGREGATE_SCOPE} | set(mats["material"]) | {g for g in mats["group"] if g}
    if scope not in scopes:
        if did_you_mean(scope, ["max_china_share"]):
            raise _Bad(f"'{scope}' is not a Policy column: did you mean max_china_share?", "target")
        raise _Bad(f"scope '{scope}' is not ALL, a material id or a group id", "material")
    row = {c: [np.nan] for c in frame.columns}
    row.update(year=[int(year)], scope=[scope], max_china_share=[_check(value, S.FRACTION, None, None, "the cap")])
    if "country" in frame:
        row["country"] = [country or ""]
    if "stage" in frame:
        row["stage"] = [stage or "direct"]
    if "basis" in frame:
        row["basis"] = [f"scenario {name}"]
    new = pd.DataFrame(row).astype(frame.dtypes.to_dict())
    return pd.concat([frame, new], ignore_index=True) if len(frame) else new


CONTENT_THRESHOLD = 0.001     # the October 2025 rule: goods with 0.1 % or more Chinese-origin content


def _has_content(data: SourcingData, frame: pd.DataFrame, spec: str, stage: str) -> np.ndarray:
    """Offers of ``frame`` whose product holds at least 0.1 % from ``spec`` at ``stage``."""
    tables = OR.origin_shares(data, frame[["material", "source", "year"]])
    share = OR.share_vector(tables[stage], len(frame), OR.countries_of(spec, OR.country_blocs(data)))
    return share >= CONTENT_THRESHOLD


def _apply_table(data: SourcingData, tables: dict, o: dict, name: str) -> None:
    sheet = S.SHEET_BY_NAME[o["sheet"]]
    attr = TABLE_ATTR[sheet.name]
    frame = tables.get(attr, getattr(data, attr))
    target, filters = o["target"], dict(FILTERS[sheet.name])
    wanted = {k: o[k] for k in ("material", "source", "year") if not _blank(o[k])}
    if sheet.name == "Policy" and target != "max_china_share":
        if "material" in wanted and wanted["material"] != target:
            raise _Bad("give the Policy scope either in target or in material id, not two different ones", "target")
        wanted["material"], target = target, "max_china_share"
    changeable = [c.key for c in sheet.columns if c.kind in NUMERIC and c.key not in sheet.key]
    if target not in changeable:
        raise _Bad(f"'{target}' is not a column that a scenario can change on the {sheet.name} sheet; "
                   f"use one of: {', '.join(changeable)}", "target")
    mask = pd.Series(True, index=frame.index)
    for k, v in wanted.items():
        if k not in filters:
            raise _Bad(f"the {sheet.name} sheet has no '{S.SCENARIOS.column(k).header}' column: leave it blank", k)
        mask &= frame[filters[k]] == v
    country, stage = o.get("country") or "", o.get("stage") or ""
    measure = (normal_spec(country), stage or OR.DIRECT)
    if sheet.name == "Policy":
        specs = [normal_spec(c) for c in (frame["country"] if "country" in frame else [""] * len(frame))]
        stages = [s if isinstance(s, str) and s else OR.DIRECT
                  for s in (frame["stage"] if "stage" in frame else [""] * len(frame))]
        mask &= pd.Series([(a, b) == measure for a, b in zip(specs, stages)], index=frame.index)
    elif country or stage:
        if sheet.name != "Supply" or not (country and stage):
            raise _Bad("country and stage filter Policy rows, or Supply offers by content: give both, on a "
                       "Policy or Supply override", "country" if country else "stage")
        mask &= pd.Series(_has_content(data, frame, measure[0], measure[1]), index=frame.index)
    col = sheet.column(target)
    if not mask.any():
        if sheet.name == "Policy" and o["operation"] == "set" and {"material", "year"} <= set(wanted):
            tables[attr] = _policy_row(frame, data, wanted["year"], wanted["material"], o["value"], name,
                                       "" if measure[0] == OR.CHINA else measure[0], measure[1])
            return
        shown = ", ".join(f"{k} {v}" for k, v in wanted.items()) or "no filters"
        raise _Bad(f"this override matches no row of the {sheet.name} sheet ({shown}): check the ids and "
                   "the year", "scenario")
    frame = frame.copy()
    if col.kind == S.BOOL:
        if o["operation"] != "set" or o["value"] not in (0, 1):
            raise _Bad(f"'{col.header}' is yes/no: use operation set with value 1 (yes) or 0 (no)", "value")
        frame.loc[mask, target] = bool(o["value"])
    else:
        new = [_combine(o["operation"], v, o["value"]) for v in frame.loc[mask, target].tolist()]
        new = [v if _blank(v) else _check(float(v), col.kind, col.minimum, col.maximum, f"'{col.header}'")
               for v in new]
        frame.loc[mask, target] = pd.Series(new, index=frame.index[mask], dtype=frame[target].dtype)
    tables[attr] = frame


def _find(data: SourcingData, name: str) -> str:
    names = list_scenarios(data)
    if name in names:
        return name
    folded = [n for n in names if n.casefold() == str(name).strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    known = ", ".join(names) if names else "none (the Scenarios sheet is empty or missing)"
    raise InputError([Issue("Scenarios", "", name, f"no scenario named '{name}'; known scenarios: {known}")],
                     data.source_file)


def apply_scenario(data: SourcingData, name: str) -> SourcingData:
    """A new :class:`SourcingData` with scenario ``name`` applied (``data`` is not changed).

    Raises :class:`InputError` for an unknown name (naming the known ones) or for
    overrides that cannot be applied (each issue names the Scenarios cell).

    Each row of the Scenarios sheet is one override::

        scenario | sheet | material id | source id | year | target | operation | value | note

    Rows sharing a scenario name are applied together, top to bottom (a later row sees the
    result of an earlier one).  ``material``, ``source`` and ``year`` select the rows of the
    target sheet to change; a blank filter means "any".  What each sheet allows:

    ==============  ==================================  ==============================================
    sheet           filters (blank = any)               target (column key or setting name)
    ==============  ==================================  ==============================================
    Settings        none: leave all three blank         a number/year/yes-no setting, e.g. risk_weight,
                                                        discount_rate, last_year, unmet_penalty
    Materials       material                            reference_value, holding_cost, opening_stock,
                                                        china_cap_applies (set to 1 or 0)
    Suppliers       source                              risk
    Supply          material, source, year              capacity, unit_cost, min_volume, max_increase
    Demand          material, year                      demand
    Policy          year; the *material id* column      max_china_share
                    holds the scope (ALL, a group id
                    or a material id; blank = every
                    scope)
    Stockpile       material, year                      target_days
    Investments     material, source                    capacity, capex, opex, earliest_year, lead_time
    Budget          year                                capex_budget
    ==============  ==================================  ==============================================

    For Policy the scope may instead be written in ``target`` (as the Scenarios sheet's
    header "column / setting / scope" suggests): a target that is not ``max_china_share`` is
    read as the scope and the override changes ``max_china_share``.

    Operations: ``set`` (value), ``multiply`` (current x value), ``add`` (current + value).
    A blank optional number (e.g. max_increase blank = no ramp limit) stays blank under
    multiply and add.  Every result is checked against the column's rules (e.g. capacity
    >= 0, shares in [0, 1], whole years), and an error names the Scenarios cell.

    **Adding policy rows**: a Policy ``set`` whose year and scope are both given but match no
    existing row *adds* the row (year, scope, value), e.g. per-material caps that the base
    glide path does not have.  Any other override that matches no row is an error.

    Blank penalties are derived by the model from the (scenario's) unit costs, so they follow
    a scenario that changes prices; base_year keeps its value
    when a scenario moves first_year (set base_year in the scenario too if wanted).
    ``settings.scenario`` records the scenario applied ("a+b" when applied on top of another).
    """
    name = _find(data, name)
    sc = data.scenarios
    tables: dict[str, pd.DataFrame] = {}
    changes: dict = {}
    issues: list[Issue] = []
    for pos in [i for i, s in enumerate(sc["scenario"].tolist()) if s == name]:
        o = {k: sc[k].iloc[pos] for k in ("sheet", "material", "source", "year", "target", "operation", "value")}
        for k in ("country", "stage"):        # optional columns (workbooks before stages have neither)
            v = sc[k].iloc[pos] if k in sc else ""
            o[k] = "" if _blank(v) else str(v).strip()
        o["target"] = str(o["target"]).strip()
        o["value"] = float(o["value"])
        if not _blank(o["year"]):
            o["year"] = int(o["year"])
        try:
            if o["sheet"] == "Settings":
                _apply_setting(data.settings, changes, o)
            else:
                _apply_table(data, tables, o, name)
        except _Bad as bad:
            value = {"target": o["target"], "value": o["value"]}.get(bad.key, o.get(bad.key, name))
            issues.append(Issue("Scenarios", _cell(sc, pos, bad.key), value, f"scenario '{name}': {bad}"))
    if issues:
        raise InputError(issues, data.source_file)
    prev = data.settings.scenario
    changes["scenario"] = f"{prev}+{name}" if prev else name
    return replace(data, settings=replace(data.settings, **changes), **tables)
