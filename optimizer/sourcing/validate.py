"""Validate a sourcing workbook into a :class:`~models.data.SourcingData`, collecting every problem.

:func:`load_and_validate` reads the file (:mod:`optimizer.core.workbook.reader`), converts
every cell to its schema kind (:mod:`optimizer.core.workbook.cells`), then checks keys,
cross-sheet ids, settings and the planning horizon.  Every violation becomes one
:class:`~optimizer.core.issues.Issue` naming sheet, cell, value and the rule; if any is an
error, :class:`~optimizer.core.issues.InputError` carries them all.  A named scenario is then
applied (:mod:`optimizer.sourcing.overrides`) and the consistency checks re-run on the result.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from models.data import Settings, SourcingData
from optimizer.core import limits as LIM
from optimizer.core.issues import InputError, Issue
from optimizer.core.workbook.cells import Table, check_refs, convert_sheet, finalize, is_value, parse_setting_rows
from optimizer.core.workbook.reader import RawSheet, RawWorkbook, Suggest, read_workbook
from optimizer.sourcing import overrides as SC
from optimizer.sourcing import schema as S
from optimizer.sourcing.validate_origins import check_origins

TABLES = {"Materials": "materials", "Suppliers": "suppliers", "Supply": "supply", "Demand": "demand",
          "Policy": "policy", "Stockpile": "stockpile", "Investments": "investments", "Budget": "budget",
          "Scenarios": "scenarios", "Origins": "origins", "Conversion": "conversion",
          "ConversionInputs": "conversion_inputs"}
MAX_HORIZON = 60


# --------------------------------------------------------------------------- settings
def parse_settings(raw: RawSheet | None, issues: list[Issue]) -> tuple[dict, dict[str, str], set[str]]:
    """({setting: typed value}, {setting: value cell}, names whose value cell is filled in)."""
    return parse_setting_rows(raw, S.SETTING_SPECS, issues)


def resolve_settings(values: dict, cells: dict, given: set, supply: pd.DataFrame,
                     issues: list[Issue]) -> Settings | None:
    """Settings with defaults filled in (blank penalties stay None: per-material defaults are
    derived by the model); None if unusable."""
    for name, example in (("first_year", 2024), ("last_year", 2030)):
        if name not in given:
            issues.append(Issue("Settings", cells.get(name, ""), None, f"setting '{name}' is required: "
                                f"type the {name.split('_')[0]} planning year, e.g. {example}"))
    if values.get("first_year") is None or values.get("last_year") is None:
        return None
    kw = {s.name: values.get(s.name, s.default) for s in S.SETTING_SPECS}
    kw["base_year"] = kw["first_year"] if kw["base_year"] is None else kw["base_year"]
    # blank penalties stay None: models.sourcing.material_penalties derives them per material
    kw["scenario"] = ""   # apply_scenario records the scenario actually applied
    periods = kw.get("periods_per_year")
    if periods is None or float(periods) not in S.PERIODS_PER_YEAR:
        issues.append(Issue("Settings", cells.get("periods_per_year", ""), periods,
                            "periods_per_year must be 1 (years), 4 (quarters) or 12 (months)"))
        return None
    kw["periods_per_year"] = int(periods)
    return Settings(**kw)


# --------------------------------------------------------------------------- cross-sheet checks
def _ids(t: Table, key: str, known: set, where: str, issues: list[Issue], rows=None) -> None:
    header = t.sheet.column(key).header
    suggest = Suggest(known)     # built once; fuzzy look-ups capped (limits.MAX_SUGGESTIONS)
    for i, v in enumerate(t.frame[key].tolist()):
        if (rows is None or i in rows) and is_value(v) and v != "" and v not in known:
            close = suggest(v)
            hint = f" (did you mean '{close}'?)" if close else ""
            issues.append(Issue(t.sheet.name, t.cell(key, i), v, f"'{header}' {v} is not {where}{hint}"))
    note = suggest.note(t.sheet.name, f"'{header}' values")
    if note is not None:
        issues.append(note)


def check_ids(t: dict[str, Table], issues: list[Issue]) -> None:
    """Every id used on one sheet must be declared on the sheet that owns it."""
    mats = {m for m in t["Materials"].frame["material"] if is_value(m)}
    groups = {g for g in t["Materials"].frame["group"] if is_value(g) and g != ""}
    srcs = {s for s in t["Suppliers"].frame["source"] if is_value(s)}
    on_mat, on_src = "on the Materials sheet", "on the Suppliers sheet"
    for name in ("Supply", "Demand", "Stockpile", "Investments"):
        _ids(t[name], "material", mats, on_mat, issues)
    for name in ("Supply", "Investments"):
        _ids(t[name], "source", srcs, on_src, issues)
    scopes = {S.AGGREGATE_SCOPE} | mats | groups
    _ids(t["Policy"], "scope", scopes, "ALL, a material id or a group id from the Materials sheet", issues)
    sc = t["Scenarios"]
    is_policy = {i for i, s in enumerate(sc.frame["sheet"]) if s == "Policy"}
    others = set(range(len(sc.frame))) - is_policy
    _ids(sc, "material", mats, on_mat, issues, others)
    _ids(sc, "material", scopes, "a Policy scope (ALL, a material id or a group id)", issues, is_policy)
    _ids(sc, "source", srcs, on_src, issues)


def _years_text(years: list[int]) -> str:
    return ", ".join(str(y) for y in years[:12]) + (", ..." if len(years) > 12 else "")


def consistency(t: dict[str, Table], s: Settings, issues: list[Issue], cells: dict | None = None,
                prefix: str = "") -> None:
    """Checks that depend on the planning horizon or on several columns (re-run after a scenario)."""
    cells = cells or {}
    if s.first_year > s.last_year:
        issues.append(Issue("Settings", cells.get("last_year", ""), s.last_year, f"{prefix}last_year "
                            f"{s.last_year} is before first_year {s.first_year}: swap them"))
        return
    if s.last_year - s.first_year + 1 > MAX_HORIZON:
        issues.append(Issue("Settings", cells.get("last_year", ""), s.last_year, f"{prefix}the planning "
                            f"horizon {s.first_year}-{s.last_year} is longer than {MAX_HORIZON} years"))
        return
    years, span = set(s.years), f"{s.first_year}-{s.last_year}"
    mats = [m for m in t["Materials"].frame["material"] if is_value(m)]
    dem = t["Demand"].frame
    have: dict = {}
    for m, y in zip(dem["material"].tolist(), dem["year"].tolist()):
        have.setdefault(m, set()).add(y)
    for m in mats:
        missing = sorted(years - have.get(m, set()))
        if missing:
            issues.append(Issue("Demand", "", m, f"{prefix}material {m} has no demand row for "
                                f"{_years_text(missing)}: add one row per planning year (0 if none)"))
    sup = t["Supply"]
    f = sup.frame
    offered: set = set()
    for i, (m, src, y, cap, mv) in enumerate(zip(*(f[k].tolist() for k in
                                                   ("material", "source", "year", "capacity", "min_volume")))):
        if is_value(cap) and is_value(mv) and mv > cap:
            issues.append(Issue("Supply", sup.cell("min_volume", i), mv, f"{prefix}minimum volume {mv:g} t is "
                                f"more than the capacity {cap:g} t ({m} from {src} in {y}): lower the minimum "
                                "or raise the capacity"))
        if is_value(cap) and cap > 0:
            offered.add((m, y))
    for name in ("Supply", "Demand", "Policy", "Stockpile", "Budget"):
        tab = t[name]
        out = [i for i, y in enumerate(tab.frame["year"].tolist()) if is_value(y) and y not in years]
        if out:
            where = ", ".join(tab.cell("year", i) for i in out[:5] if tab.cell("year", i))
            issues.append(Issue(name, tab.cell("year", out[0]), tab.frame["year"].iloc[out[0]],
                                f"{prefix}{len(out)} row(s) have a year outside the planning horizon {span} and "
                                f"are ignored" + (f" ({where}{', ...' if len(out) > 5 else ''})" if where else ""),
                                "warning"))
    inv = t["Investments"]
    starts: dict = {}
    for i, (m, e) in enumerate(zip(inv.frame["material"].tolist(), inv.frame["earliest_year"].tolist())):
        if not is_value(e):
            continue
        starts[m] = min(starts.get(m, e), e)
        if e < s.first_year:
            issues.append(Issue("Investments", inv.cell("earliest_year", i), e, f"{prefix}earliest first output "
                                f"year {e} is before the first planning year {s.first_year}: use "
                                f"{s.first_year} or later (existing production belongs on the Supply sheet)"))
        elif e > s.last_year:
            issues.append(Issue("Investments", inv.cell("earliest_year", i), e, f"{prefix}earliest first output "
                                f"year {e} is after the last planning year {s.last_year}: the project can never "
                                "produce in this plan", "warning"))
    for m in mats:
        gaps = [y for y in sorted(years) if (m, y) not in offered and not (m in starts and starts[m] <= y)]
        if gaps:
            issues.append(Issue("Supply", "", m, f"{prefix}material {m} has no supply offer with capacity and no "
                                f"project in {_years_text(gaps)}: its demand there will be reported as unmet",
                                "warning"))


# --------------------------------------------------------------------------- the stage
def _errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "error"]


def _typed_tables(data: SourcingData) -> dict[str, Table]:
    return {name: Table(S.SHEET_BY_NAME[name], getattr(data, attr)) for name, attr in TABLES.items()}


def load_and_validate(path, scenario: str | None = None) -> SourcingData:
    """Read and validate ``path``; apply ``scenario`` (else the Settings sheet's; "" = none).

    Raises :class:`InputError` carrying every issue (errors and warnings) if any error is found.
    """
    raw: RawWorkbook = read_workbook(path, S.DATA_SHEETS)
    issues = list(raw.issues)
    t = {name: convert_sheet(S.SHEET_BY_NAME[name], raw.sheets.get(name), issues) for name in TABLES}
    values, cells, given = parse_settings(raw.sheets.get("Settings"), issues)
    check_ids(t, issues)
    check_origins(t, issues)
    if "Sources" in raw.sheets:
        check_refs(t, convert_sheet(S.REFERENCES, raw.sheets["Sources"], issues), issues)
    settings = None
    if "Settings" in raw.sheets:
        settings = resolve_settings(values, cells, given, t["Supply"].frame, issues)
    if settings is not None:
        consistency(t, settings, issues, cells)
    names = {n for n in t["Scenarios"].frame["scenario"] if is_value(n)}
    if len(names) > LIM.MAX_SCENARIOS:
        issues.append(Issue("Scenarios", "A", len(names), f"{len(names):,} named scenarios, more than the limit of "
                            f"{LIM.MAX_SCENARIOS:,} (every scenario is checked in every run and 'compare' solves "
                            "each): keep the scenarios you use and move the others to another workbook"))
    if _errors(issues) or settings is None:
        raise InputError(issues, str(path))
    frames = {TABLES[name]: finalize(table) for name, table in t.items()}
    frames["scenarios"].index = pd.Index(t["Scenarios"].rows, name="row")
    frames["scenarios"].attrs["columns"] = dict(t["Scenarios"].letters)
    data = SourcingData(settings=settings, **frames, warnings=tuple(issues), source_file=str(path),
                        source_sha256=raw.sha256)
    name = str(values.get("scenario", "") if scenario is None else scenario).strip()
    for other in SC.list_scenarios(data):   # every scenario is checked; only the chosen one is applied
        if other.casefold() != name.casefold():
            try:
                SC.apply_scenario(data, other)
            except InputError as err:
                issues += [Issue(i.sheet, i.cell, i.value, f"{i.rule} (not applied in this run; fix it before "
                                 "using this scenario)", "warning") for i in err.issues]
    data = replace(data, warnings=tuple(issues))
    return _with_scenario(data, name) if name else data


def _with_scenario(data: SourcingData, name: str) -> SourcingData:
    try:
        new = SC.apply_scenario(data, name)
    except InputError as err:
        raise InputError(list(data.warnings) + err.issues, data.source_file) from None
    prefix = f"with scenario '{new.settings.scenario}': "
    before, after = [], []
    consistency(_typed_tables(data), data.settings, before, prefix=prefix)
    consistency(_typed_tables(new), new.settings, after, prefix=prefix)
    seen = {(i.sheet, i.rule) for i in before}
    fresh = [i for i in after if (i.sheet, i.rule) not in seen]
    if _errors(fresh):
        raise InputError(list(data.warnings) + fresh, data.source_file)
    return replace(new, warnings=tuple(data.warnings) + tuple(fresh))
