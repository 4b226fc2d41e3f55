"""Validate a raw workbook into a :class:`~models.data.SourcingData`, collecting every problem.

:func:`load_and_validate` reads the file (:mod:`optimizer.load`), converts every cell to
its schema kind (:func:`parse_cell`), then checks
keys, cross-sheet ids, settings and the planning horizon.  Every violation becomes one
:class:`~optimizer.core.issues.Issue` naming sheet, cell, value and the rule; if any is an
error, :class:`~optimizer.core.issues.InputError` carries them all.  A named scenario is then
applied (:mod:`optimizer.scenarios`) and the consistency checks re-run on the result.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, replace

import pandas as pd

from optimizer import schema as S
from optimizer import scenarios as SC
from optimizer.core.issues import InputError, Issue
from models.data import Settings, SourcingData
from optimizer.load import RawSheet, RawWorkbook, did_you_mean, is_blank, norm, read_workbook

TABLES = {"Materials": "materials", "Suppliers": "suppliers", "Supply": "supply", "Demand": "demand",
          "Policy": "policy", "Stockpile": "stockpile", "Investments": "investments", "Budget": "budget",
          "Scenarios": "scenarios"}
MAX_HORIZON = 60
YEAR_MIN, YEAR_MAX = 1990, 2100
EXCEL_ERRORS = {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                "#GETTING_DATA"}
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED_NUMBER = re.compile(r"([+-]?)(\d{1,3}(?:([, '])\d{3})(?:\3\d{3})*)(\.\d+)?")
_TRUE, _FALSE = {"yes", "true", "1"}, {"no", "false", "0"}


class Bad(Exception):
    """A cell value breaking a rule; the message is the rule in plain words."""


# --------------------------------------------------------------------------- one cell
def _number(value, notes: list[str], percent_ok: bool = False) -> float:
    if isinstance(value, bool):
        raise Bad("TRUE/FALSE is not a number: type a number")
    if isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        raise Bad("a date or time, not a number: format the cell as Number and type the number")
    if isinstance(value, (int, float)):
        x = float(value)
    elif isinstance(value, str):
        s = " ".join(value.replace("\u00a0", " ").replace("\u202f", " ").split())
        if s.upper() in EXCEL_ERRORS:
            raise Bad(f"the cell shows the Excel error {s}: fix the formula or type the value")
        scale = 1.0
        if percent_ok and s.endswith("%"):
            s, scale = s[:-1].strip(), 0.01
        if _PLAIN_NUMBER.fullmatch(s):
            x = float(s) * scale
        elif m := _GROUPED_NUMBER.fullmatch(s):
            x = float(m.group(1) + re.sub(r"[, ']", "", m.group(2)) + (m.group(4) or "")) * scale
        elif s.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise Bad("must be a finite number, not NaN or infinity")
        else:
            raise Bad("not a number: type a number such as 1200 or 12.5 (a point as the decimal separator)")
        notes.append(f"number stored as text, read as {x:g}: format the cell as Number and retype it")
    else:
        raise Bad("not a number: type a number")
    if not math.isfinite(x):
        raise Bad("must be a finite number, not NaN or infinity")
    return x


def _year(value) -> int:
    if isinstance(value, bool):
        raise Bad("TRUE/FALSE is not a year: type the year as a number, e.g. 2026")
    if isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        raise Bad("a date, not a year: type the year as a number (e.g. 2026) in a cell formatted as Number")
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        value = int(value.strip())
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise Bad("not a year: type a whole year such as 2026")
    if not YEAR_MIN <= value <= YEAR_MAX:
        raise Bad(f"a year must be between {YEAR_MIN} and {YEAR_MAX}")
    return value


def _id(value) -> str:
    s = value.strip() if isinstance(value, str) else None
    if s is None or not re.fullmatch(S.ID_PATTERN, s):
        why = "longer than 32 characters" if s and len(s) > 32 else "not a valid id"
        raise Bad(f"{why}: an id starts with a letter and uses only letters, digits, '_' and '-' "
                  "(at most 32 characters), e.g. GA or AU_LYNAS")
    return s


def _text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value).strip()


def _choice(value, choices) -> str:
    s = _text(value)
    for c in choices:
        if norm(c) == norm(s):
            return c
    close = did_you_mean(s, choices)
    raise Bad(f"must be one of: {', '.join(choices)}" + (f" (did you mean '{close}'?)" if close else ""))


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise Bad("must be yes or no")


def parse_cell(value, kind: str, minimum=None, maximum=None, choices=(), notes: list[str] | None = None):
    """Typed value of a non-blank cell, or :class:`Bad`; warnings are appended to ``notes``."""
    notes = [] if notes is None else notes
    if kind == S.ID:
        return _id(value)
    if kind == S.TEXT:
        return _text(value)
    if kind == S.CHOICE:
        return _choice(value, choices)
    if kind == S.BOOL:
        return _bool(value)
    if kind == S.YEAR:
        x = _year(value)
    else:
        x = _number(value, notes, percent_ok=kind == S.FRACTION)
        if kind == S.FRACTION and 1.0 < x <= 100.0:
            raise Bad(f"a share must be between 0 and 1: enter {x / 100:g} or {x:g} % (percent-formatted), "
                      f"not {x:g}")
        if kind == S.FRACTION and not 0.0 <= x <= 1.0:
            raise Bad("a share must be between 0 and 1")
    if minimum is not None and x < minimum:
        raise Bad(f"must be at least {minimum:g}")
    if maximum is not None and x > maximum:
        raise Bad(f"must be at most {maximum:g}")
    return x


# --------------------------------------------------------------------------- one table
@dataclass
class Table:
    """A converted sheet: python values (None where a cell was invalid) plus where they came from."""

    sheet: S.Sheet
    frame: pd.DataFrame
    rows: list[int] | None = None        # sheet row numbers; None for data not read from a sheet
    letters: dict[str, str] | None = None

    def cell(self, key: str, i: int) -> str:
        if self.rows is None or not self.letters or key not in self.letters:
            return ""
        return f"{self.letters[key]}{self.rows[i]}"


def _empty_default(c: S.Column):
    if c.default is None and c.kind in (S.NUMBER, S.FRACTION):
        return math.nan
    return c.default


def _convert_cell(raw: RawSheet, c: S.Column, row: int, value, issues: list[Issue]):
    cell = raw.cell(c.key, row)
    if is_blank(value):
        formula = raw.formulas.get((row, c.key))
        if formula is not None:
            issues.append(Issue(raw.name, cell, formula, f"cell {cell} contains a formula with no cached value; "
                                "open and save the file in Excel or LibreOffice"))
            return None
        if c.required and c.key in raw.columns and not raw.in_merge(c.key, row):
            issues.append(Issue(raw.name, cell, None, f"'{c.header}' is required: fill in this cell"))
        return None if c.required else _empty_default(c)
    notes: list[str] = []
    try:
        x = parse_cell(value, c.kind, c.minimum, c.maximum, c.choices, notes)
    except Bad as bad:
        issues.append(Issue(raw.name, cell, value, f"'{c.header}': {bad}"))
        return None
    issues.extend(Issue(raw.name, cell, value, n, "warning") for n in notes)
    return x


def convert_sheet(sheet: S.Sheet, raw: RawSheet | None, issues: list[Issue]) -> Table:
    """Typed columns (object dtype; None marks an invalid cell) of one sheet, keys checked."""
    if raw is None:
        return Table(sheet, pd.DataFrame({c.key: pd.Series(dtype=object) for c in sheet.columns}), [], {})
    cols: dict[str, list] = {c.key: [] for c in sheet.columns}
    for rr in raw.rows:
        for c in sheet.columns:
            cols[c.key].append(_convert_cell(raw, c, rr.row, rr.values.get(c.key), issues))
    if sheet is S.POLICY:   # 'all' means ALL
        cols["scope"] = [S.AGGREGATE_SCOPE if isinstance(v, str) and v.upper() == S.AGGREGATE_SCOPE else v
                         for v in cols["scope"]]
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cols.items()})
    table = Table(sheet, frame, [rr.row for rr in raw.rows], {k: raw.letter(k) for k in raw.columns})
    if sheet.min_rows and raw.columns and len(frame) < sheet.min_rows:
        issues.append(Issue(sheet.name, "", None, f"the {sheet.name} sheet has no data rows: add at least "
                            f"{sheet.min_rows} row below the headers"))
    if sheet.key:
        _duplicates(table, issues)
    return table


def _duplicates(t: Table, issues: list[Issue]) -> None:
    seen: dict[tuple, int] = {}
    keys = list(t.sheet.key)
    headers = " + ".join(t.sheet.column(k).header for k in keys)
    for i, key in enumerate(zip(*(t.frame[k].tolist() for k in keys))):
        if any(v is None for v in key):
            continue
        if key in seen:
            shown = ", ".join(str(v) for v in key)
            issues.append(Issue(t.sheet.name, t.cell(keys[0], i), shown, f"duplicate {headers} ({shown}): "
                                f"the same as row {t.rows[seen[key]] if t.rows else seen[key]}; keep one row"))
        else:
            seen[key] = i


def finalize(t: Table) -> pd.DataFrame:
    """Schema dtypes: ids/text str, years int (nullable Int64 where blank is allowed), numbers float."""
    out = {}
    for c in t.sheet.columns:
        s = t.frame[c.key]
        if c.kind == S.YEAR:
            out[c.key] = s.astype("Int64") if not c.required and c.default is None else s.astype("int64")
        elif c.kind in (S.NUMBER, S.FRACTION):
            out[c.key] = s.astype("float64")
        elif c.kind == S.BOOL:
            out[c.key] = s.astype(bool)
        else:
            out[c.key] = s.astype(str)
    return pd.DataFrame(out, columns=[c.key for c in t.sheet.columns])


# --------------------------------------------------------------------------- settings
SETTING_NAMES = [s.name for s in S.SETTING_SPECS]


def parse_settings(raw: RawSheet | None, issues: list[Issue]) -> tuple[dict, dict[str, str], set[str]]:
    """({setting: typed value}, {setting: value cell}, names whose value cell is filled in)."""
    values, cells, given, first_row = {}, {}, set(), {}
    by_norm = {norm(s.name): s for s in S.SETTING_SPECS}
    for rr in (raw.rows if raw else []):
        name, value = rr.values.get("setting"), rr.values.get("value")
        name_cell, cell = raw.cell("setting", rr.row), raw.cell("value", rr.row)
        if is_blank(name):
            if not is_blank(value):
                issues.append(Issue("Settings", name_cell, None, "a value without a setting name: type the "
                                    "setting name or delete the row"))
            continue
        spec = by_norm.get(norm(name))
        if spec is None:
            close = did_you_mean(name, SETTING_NAMES)
            hint = f"did you mean '{close}'?" if close else f"known settings: {', '.join(SETTING_NAMES)}"
            issues.append(Issue("Settings", name_cell, name, f"unknown setting ({hint})"))
            continue
        if spec.name in first_row:
            issues.append(Issue("Settings", name_cell, name, f"setting '{spec.name}' appears twice (first on "
                                f"row {first_row[spec.name]}): keep one row"))
            continue
        first_row[spec.name], cells[spec.name] = rr.row, cell
        formula = raw.formulas.get((rr.row, "value"))
        if is_blank(value) and formula is not None:
            given.add(spec.name)
            issues.append(Issue("Settings", cell, formula, f"cell {cell} contains a formula with no cached "
                                "value; open and save the file in Excel or LibreOffice"))
        if is_blank(value):
            continue
        given.add(spec.name)
        notes: list[str] = []
        try:
            values[spec.name] = parse_cell(value, spec.kind, spec.minimum, spec.maximum, spec.choices, notes)
        except Bad as bad:
            issues.append(Issue("Settings", cell, value, f"setting '{spec.name}': {bad}"))
        issues.extend(Issue("Settings", cell, value, n, "warning") for n in notes)
    return values, cells, given


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
    return Settings(**kw)


# --------------------------------------------------------------------------- cross-sheet checks
def _ok(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and v is not pd.NA


def _ids(t: Table, key: str, known: set, where: str, issues: list[Issue], rows=None) -> None:
    header = t.sheet.column(key).header
    for i, v in enumerate(t.frame[key].tolist()):
        if (rows is None or i in rows) and _ok(v) and v != "" and v not in known:
            close = did_you_mean(v, known)
            hint = f" (did you mean '{close}'?)" if close else ""
            issues.append(Issue(t.sheet.name, t.cell(key, i), v, f"'{header}' {v} is not {where}{hint}"))


def check_ids(t: dict[str, Table], issues: list[Issue]) -> None:
    """Every id used on one sheet must be declared on the sheet that owns it."""
    mats = {m for m in t["Materials"].frame["material"] if _ok(m)}
    groups = {g for g in t["Materials"].frame["group"] if _ok(g) and g != ""}
    srcs = {s for s in t["Suppliers"].frame["source"] if _ok(s)}
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


_REF_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-.]*")


def basis_refs(text: str) -> list[str]:
    """Reference ids in a basis cell: split on ';' and ','; a one-word piece, or the first word
    of a longer piece when it contains a digit ("K11d p.3"); never the tags A, D, S."""
    out = []
    for piece in re.split(r"[;,]", text):
        words = piece.split()
        if not words:
            continue
        w = words[0].rstrip(".:")
        if _REF_WORD.fullmatch(w) and w.upper() not in ("A", "D", "S") and \
                (len(words) == 1 or any(ch.isdigit() for ch in w)):
            out.append(w)
    return out


def check_refs(t: dict[str, Table], refs: Table, issues: list[Issue]) -> None:
    known = {r for r in refs.frame["ref"] if _ok(r)}
    for table in t.values():
        if "basis" not in table.frame:
            continue
        for i, text in enumerate(table.frame["basis"].tolist()):
            missing = [r for r in basis_refs(text) if r not in known] if _ok(text) else []
            if missing:
                issues.append(Issue(table.sheet.name, table.cell("basis", i), text,
                                    f"reference(s) {', '.join(missing)} not on the Sources sheet: add them "
                                    "there or correct the basis", "warning"))


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
    mats = [m for m in t["Materials"].frame["material"] if _ok(m)]
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
        if _ok(cap) and _ok(mv) and mv > cap:
            issues.append(Issue("Supply", sup.cell("min_volume", i), mv, f"{prefix}minimum volume {mv:g} t is "
                                f"more than the capacity {cap:g} t ({m} from {src} in {y}): lower the minimum "
                                "or raise the capacity"))
        if _ok(cap) and cap > 0:
            offered.add((m, y))
    for name in ("Supply", "Demand", "Policy", "Stockpile", "Budget"):
        tab = t[name]
        out = [i for i, y in enumerate(tab.frame["year"].tolist()) if _ok(y) and y not in years]
        if out:
            where = ", ".join(tab.cell("year", i) for i in out[:5] if tab.cell("year", i))
            issues.append(Issue(name, tab.cell("year", out[0]), tab.frame["year"].iloc[out[0]],
                                f"{prefix}{len(out)} row(s) have a year outside the planning horizon {span} and "
                                f"are ignored" + (f" ({where}{', ...' if len(out) > 5 else ''})" if where else ""),
                                "warning"))
    inv = t["Investments"]
    starts: dict = {}
    for i, (m, e) in enumerate(zip(inv.frame["material"].tolist(), inv.frame["earliest_year"].tolist())):
        if not _ok(e):
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
    raw: RawWorkbook = read_workbook(path)
    issues = list(raw.issues)
    t = {name: convert_sheet(S.SHEET_BY_NAME[name], raw.sheets.get(name), issues) for name in TABLES}
    values, cells, given = parse_settings(raw.sheets.get("Settings"), issues)
    check_ids(t, issues)
    if "Sources" in raw.sheets:
        check_refs(t, convert_sheet(S.REFERENCES, raw.sheets["Sources"], issues), issues)
    settings = None
    if "Settings" in raw.sheets:
        settings = resolve_settings(values, cells, given, t["Supply"].frame, issues)
    if settings is not None:
        consistency(t, settings, issues, cells)
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
