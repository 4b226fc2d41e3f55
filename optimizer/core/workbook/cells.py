"""Cell conversion shared by every workbook: one cell to its kind, one sheet to a typed table.

:func:`parse_cell` turns a raw cell value into its schema kind or raises :class:`Bad`
with the rule in plain words; :func:`convert_sheet` converts every cell of a sheet read
by :mod:`.reader`, collecting one :class:`~optimizer.core.issues.Issue` (sheet, cell,
value, rule) per problem, and checks the sheet's key for duplicates; :func:`finalize`
gives the schema dtypes.  :func:`check_refs` checks ``basis`` references against the
``Sources`` sheet.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.core import limits as LIM
from optimizer.core.issues import Issue
from optimizer.core.workbook import columns as S
from optimizer.core.workbook.reader import Malformed, RawSheet, did_you_mean, is_blank, norm

YEAR_MIN, YEAR_MAX = 1990, 2100
EXCEL_ERRORS = {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                "#GETTING_DATA"}
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED_NUMBER = re.compile(r"([+-]?)(\d{1,3}(?:([, '])\d{3})(?:\3\d{3})*)(\.\d+)?")
_TRUE, _FALSE = {"yes", "true", "1"}, {"no", "false", "0"}


class Bad(Exception):
    """A cell value breaking a rule; the message is the rule in plain words."""


def limit_text(x: float) -> str:
    """A limit as people read it: 3650, 0.5, 1,000,000,000."""
    return f"{x:,.0f}" if abs(x) >= 1e6 and float(x).is_integer() else f"{x:g}"


# --------------------------------------------------------------------------- one cell
def _number(value, notes: list[str], percent_ok: bool = False) -> float:
    if isinstance(value, bool):
        raise Bad("TRUE/FALSE is not a number: type a number")
    if isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        raise Bad("a date or time, not a number: format the cell as Number and type the number")
    if isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:
            raise Bad("a number too large for Excel (beyond about 1.8e308): type a smaller number") from None
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
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,9}", value.strip()):
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
        raise Bad(f"must be at least {limit_text(minimum)}")
    if maximum is not None and x > maximum:
        raise Bad(f"must be at most {limit_text(maximum)}" + _magnitude_why(maximum))
    check_magnitude(x, minimum, maximum)
    return x


def _magnitude_why(maximum: float) -> str:
    if maximum in (LIM.MAX_TONNES, LIM.MAX_PRICE, LIM.MAX_MONEY_M) and maximum >= 1e6:
        return " (the limit for a value in this unit: check the unit and the number of zeros)"
    return ""


def check_magnitude(x: float, minimum=None, maximum=None) -> None:
    """Any number without its own bound stays within +/- limits.MAX_MAGNITUDE (Bad otherwise)."""
    big = LIM.MAX_MAGNITUDE
    if (maximum is None and x > big) or (minimum is None and x < -big):
        raise Bad(f"must be between -{limit_text(big)} and {limit_text(big)} (the limit for any number in a "
                  "workbook): check the unit and the number of zeros")


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
    if isinstance(value, Malformed):
        issues.append(Issue(raw.name, cell, value.text, f"'{c.header}': {value.rule}"))
        return None
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


_NUMERIC_TYPES = {int, float}


def _clean_column(c: S.Column, values: list, read: bool) -> list | None:
    """The converted column when every cell converts without an error or a warning (what
    :func:`_convert_cell` returns for each), else None.  Numbers are checked with numpy over the
    column; other kinds convert each distinct value once."""
    blank = [is_blank(v) for v in values]
    if any(blank) and c.required and read:
        return None                                   # "required: fill in this cell"
    filled = [v for v, b in zip(values, blank) if not b]
    if c.kind in (S.NUMBER, S.FRACTION) and set(map(type, filled)) <= _NUMERIC_TYPES:
        x = np.array(filled, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            return None
        if c.kind == S.FRACTION and not np.all((x >= 0.0) & (x <= 1.0)):
            return None
        if c.minimum is not None and np.any(x < c.minimum) or c.maximum is not None and np.any(x > c.maximum):
            return None
        big = LIM.MAX_MAGNITUDE
        if c.maximum is None and np.any(x > big) or c.minimum is None and np.any(x < -big):
            return None
        done = iter(x.tolist())
    else:
        typed = {}                                    # by (type, value): 1, 1.0 and True are distinct cells
        for v in {(type(v), v): v for v in filled}.values():
            notes: list[str] = []
            if isinstance(v, Malformed):
                return None
            try:
                typed[type(v), v] = parse_cell(v, c.kind, c.minimum, c.maximum, c.choices, notes)
            except Bad:
                return None
            if notes:
                return None
        done = (typed[type(v), v] for v in filled)
    empty = None if c.required else _empty_default(c)
    return [empty if b else next(done) for b in blank]


def _clean_columns(sheet: S.Sheet, raw: RawSheet) -> dict[str, list] | None:
    """Every column converted at once when no cell of the sheet has a problem (None otherwise:
    the cell-by-cell conversion then reports each problem, in row order)."""
    if raw.formulas or raw.merged:
        return None
    cols = {}
    for c in sheet.columns:
        out = _clean_column(c, [rr.values.get(c.key) for rr in raw.rows], c.key in raw.columns)
        if out is None:
            return None
        cols[c.key] = out
    return cols


def convert_sheet(sheet: S.Sheet, raw: RawSheet | None, issues: list[Issue]) -> Table:
    """Typed columns (object dtype; None marks an invalid cell) of one sheet, keys checked."""
    if raw is None:
        return Table(sheet, pd.DataFrame({c.key: pd.Series(dtype=object) for c in sheet.columns}), [], {})
    cols = _clean_columns(sheet, raw)
    if cols is None:
        cols = {c.key: [] for c in sheet.columns}
        for rr in raw.rows:
            for c in sheet.columns:
                cols[c.key].append(_convert_cell(raw, c, rr.row, rr.values.get(c.key), issues))
    for c in sheet.columns:   # e.g. Policy scope: 'all' means ALL
        if c.canonical:
            spell = {w.upper(): w for w in c.canonical}
            cols[c.key] = [spell.get(v.upper(), v) if isinstance(v, str) else v for v in cols[c.key]]
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cols.items()})
    table = Table(sheet, frame, [rr.row for rr in raw.rows], {k: raw.letter(k) for k in raw.columns})
    if sheet.max_rows is not None and len(frame) > sheet.max_rows:
        issues.append(Issue(sheet.name, "", len(frame), f"the {sheet.name} sheet has {len(frame):,} data rows, more "
                            f"than the limit of {sheet.max_rows:,} for this sheet (each row is work in every run): "
                            "keep the rows you use and move the others to another workbook"))
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


def is_value(v) -> bool:
    """Not a blank: None, NaN and pandas' NA are blanks."""
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and v is not pd.NA


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
    known = {r for r in refs.frame["ref"] if is_value(r)}
    for table in t.values():
        if "basis" not in table.frame:
            continue
        for i, text in enumerate(table.frame["basis"].tolist()):
            missing = [r for r in basis_refs(text) if r not in known] if is_value(text) else []
            if missing:
                issues.append(Issue(table.sheet.name, table.cell("basis", i), text,
                                    f"reference(s) {', '.join(missing)} not on the Sources sheet: add them "
                                    "there or correct the basis", "warning"))


def parse_setting_rows(raw: RawSheet | None, specs: tuple[S.Setting, ...], issues: list[Issue]
                       ) -> tuple[dict, dict[str, str], set[str]]:
    """A Settings sheet (setting | value | notes) against ``specs``: ({setting: typed value},
    {setting: value cell}, names whose value cell is filled in).  Unknown names get a "did you
    mean" hint, repeated names and values without a name are errors."""
    values, cells, given, first_row = {}, {}, set(), {}
    by_norm = {norm(s.name): s for s in specs}
    names = [s.name for s in specs]
    for rr in (raw.rows if raw else []):
        name, value = rr.values.get("setting"), rr.values.get("value")
        name_cell, cell = raw.cell("setting", rr.row), raw.cell("value", rr.row)
        if isinstance(name, Malformed):
            issues.append(Issue("Settings", name_cell, name.text, f"setting name: {name.rule}"))
            continue
        if is_blank(name):
            if not is_blank(value):
                issues.append(Issue("Settings", name_cell, None, "a value without a setting name: type the "
                                    "setting name or delete the row"))
            continue
        spec = by_norm.get(norm(name))
        if spec is None:
            close = did_you_mean(name, names)
            hint = f"did you mean '{close}'?" if close else f"known settings: {', '.join(names)}"
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
        if isinstance(value, Malformed):
            issues.append(Issue("Settings", cell, value.text, f"setting '{spec.name}': {value.rule}"))
            continue
        notes: list[str] = []
        try:
            values[spec.name] = parse_cell(value, spec.kind, spec.minimum, spec.maximum, spec.choices, notes)
        except Bad as bad:
            issues.append(Issue("Settings", cell, value, f"setting '{spec.name}': {bad}"))
        issues.extend(Issue("Settings", cell, value, n, "warning") for n in notes)
    return values, cells, given
