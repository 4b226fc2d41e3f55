"""Safe reading of an input workbook into raw rows that keep their cell addresses.

:func:`read_workbook` is the only code that opens a user's file.  It never writes to it,
and it parses every part it takes data from itself (:mod:`.xmlparts`, :mod:`.sheetxml`:
bounded streaming expat, no tree), so every check runs on exactly what is read, whatever
the encoding, namespace prefixes or part names of the file.  In order:

* the path is a readable regular file (not a folder, pipe, device or symlink loop) of at
  most ``limits.MAX_FILE_BYTES``;
* it is a zip (``.xlsx``/``.xlsm``): a CSV or PDF renamed ``.xlsx``, an old ``.xls``, a
  password-protected workbook (an OLE2 compound file) or an OpenDocument file each get
  a clear error saying what the file is and what to do;
* the zip members' declared uncompressed sizes add up to at most
  ``limits.MAX_UNCOMPRESSED_BYTES`` and there are at most ``limits.MAX_ZIP_MEMBERS``;
* the workbook part is found as Excel finds it (the package relationships), then its
  sheets, shared strings and styles through the workbook's relationships; two sheets
  with one name are refused;
* every member is inflated once in bounded steps and must match its declared size and
  CRC, no XML part has a DTD, and the parts to be parsed are pre-counted
  (:mod:`.zip_guard`);
* the shared strings, the styles and each data sheet are parsed with element, depth,
  run, length, row and cell limits; rows and cells are placed by their ``r`` address.

The file is read into memory once (it is small by then), hashed (SHA-256) and parsed
from those same bytes, so the hash always describes what was validated.  Only the
columns whose row-1 header matches the schema are kept (at most ``limits.MAX_COLUMNS``
columns are read); fully blank rows are skipped.  Merged ranges over a data column and
formulas without a cached value are reported by cell.  Macros in ``.xlsm`` files are
never run.
"""
from __future__ import annotations

import difflib
import gc
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter, range_boundaries

from optimizer.core import limits as LIM
from optimizer.core.issues import InputError, Issue
from optimizer.core.workbook import columns as S
from optimizer.core.workbook import fastsheet as F
from optimizer.core.workbook.inputfile import SAVE_AS, fail, identify_non_zip, input_problem, read_bytes
from optimizer.core.workbook import xmlparts as X
from optimizer.core.workbook import zip_guard as G
from optimizer.core.workbook.sheetxml import CellBudget, Malformed, ParsedSheet, SheetParser

_SAVE_AS = SAVE_AS
__all__ = ["Malformed", "input_problem", "RawRow", "RawSheet", "RawWorkbook", "Suggest", "did_you_mean", "is_blank", "norm",
           "read_workbook"]


def norm(text) -> str:
    """Header/name comparison form: case-insensitive, surrounding and repeated spaces ignored."""
    return " ".join(str(text).replace("\u00a0", " ").split()).casefold()


class Suggest:
    """"Did you mean" for many words against one list of candidates: the index is built once, and
    the fuzzy search runs for at most ``limit`` words (then only exact matches up to case and
    spaces): a sheet of 10,000 unknown ids against 20,000 known ones stays fast.
    ``skipped`` counts the words not searched, so the caller can say so."""

    def __init__(self, candidates, limit: int | None = None):
        cands = [str(c) for c in candidates if c not in (None, "")]
        self.by_norm = {}
        for c in cands:
            self.by_norm.setdefault(norm(c), c)
        self._keys = list(self.by_norm)
        self.limit = LIM.MAX_SUGGESTIONS if limit is None else limit
        if len(self._keys) > LIM.MAX_SUGGESTION_CANDIDATES:
            self.limit = 0            # too many to compare with: exact matches (up to case and spaces) only
        self.searched = self.skipped = 0

    def __call__(self, word) -> str | None:
        key = norm(word)
        if key in self.by_norm:
            return self.by_norm[key]
        if self.searched >= self.limit:
            self.skipped += 1
            return None
        self.searched += 1
        cutoff = 0.5 if len(key) <= 4 else 0.6   # short ids: one wrong letter of two
        best = difflib.get_close_matches(key, self._keys, n=1, cutoff=cutoff)
        return self.by_norm[best[0]] if best else None

    def note(self, sheet: str, what: str) -> Issue | None:
        """A warning saying how many look-ups were skipped (None when none were)."""
        if not self.skipped:
            return None
        if not self.limit:
            return Issue(sheet, "", None, f"no 'did you mean' suggestions for unknown {what}: there are "
                         f"{len(self._keys):,} known values to compare with, more than the limit of "
                         f"{LIM.MAX_SUGGESTION_CANDIDATES:,}", "warning")
        return Issue(sheet, "", None, f"'did you mean' suggestions were looked up for the first {self.limit} "
                     f"unknown {what} only (the limit is {self.limit} per column); {self.skipped:,} more unknown "
                     "values are listed without one", "warning")


def did_you_mean(word, candidates) -> str | None:
    """The closest candidate (case-insensitive), or None."""
    return Suggest(candidates, limit=1)(word)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class RawRow:
    row: int                   # 1-based row number on the sheet
    values: dict[str, object]  # column key -> cell value as read (None = blank)


@dataclass
class RawSheet:
    """The recognised columns of one schema sheet, as read."""

    name: str                      # schema sheet name
    title: str                     # the sheet's name in the workbook
    columns: dict[str, int]        # column key -> 1-based column number (matched headers only)
    rows: list[RawRow] = field(default_factory=list)
    formulas: dict[tuple[int, str], str] = field(default_factory=dict)  # (row, key) -> formula, no cached value
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (min_col, min_row, max_col, max_row)

    def letter(self, key: str) -> str:
        return get_column_letter(self.columns[key]) if key in self.columns else ""

    def cell(self, key: str, row: int) -> str:
        return f"{self.letter(key)}{row}" if key in self.columns else ""

    def in_merge(self, key: str, row: int) -> bool:
        col = self.columns.get(key)
        return col is not None and any(c0 <= col <= c1 and r0 <= row <= r1 for c0, r0, c1, r1 in self.merged)


@dataclass
class RawWorkbook:
    path: str
    sha256: str
    sheets: dict[str, RawSheet]        # schema sheet name -> sheet; missing sheets are absent
    issues: list[Issue]                # problems found while reading (headers, merges, limits, ...)
    sheet_titles: list[str]            # every sheet in the file, in order
    macro_enabled: bool = False


_fail = fail


def _refused(path, exc: G.Refused) -> InputError:
    return InputError([Issue(exc.sheet, "", None, exc.rule)], str(path))


def _open_zip(path: Path, data: bytes) -> zipfile.ZipFile:
    suffix = path.suffix.lower()
    if not data.startswith(b"PK"):
        raise _fail(path, identify_non_zip(data, suffix))
    declared = G.declared_members(data)
    if declared is not None and declared > LIM.MAX_ZIP_MEMBERS:   # refused before parsing the directory
        raise _fail(path, G.too_many_members(declared, _SAVE_AS))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
        G.check_archive(infos, _SAVE_AS)
    except G.Refused as exc:
        raise _fail(path, exc.rule)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _fail(path, f"the file is a damaged zip archive, not a readable workbook ({exc}): {_SAVE_AS}")
    except NotImplementedError as exc:   # e.g. "zip file version 6.4": a zip feature Excel never writes
        raise _fail(path, f"the zip archive uses a feature Excel never writes ({exc}): {_SAVE_AS}")
    total = sum(i.file_size for i in infos)
    if total > LIM.MAX_UNCOMPRESSED_BYTES:
        raise _fail(path, f"the workbook would unpack to {total:,} bytes, more than the limit of "
                          f"{LIM.MAX_UNCOMPRESSED_BYTES:,} bytes (a damaged file or a zip bomb): remove unused "
                          "sheets, images and formatting, or split the data")
    return zf


def _not_a_workbook(path: Path, data: bytes, infos: dict[str, zipfile.ZipInfo]) -> InputError:
    if "mimetype" in infos:
        try:
            kind = G.read_member(data, infos["mimetype"], cap=1024)
        except G.Refused:
            kind = b""
        if b"opendocument" in kind:
            return _fail(path, f"this is an OpenDocument (.ods) spreadsheet: {_SAVE_AS}")
    return _fail(path, f"this is a zip archive but not an Excel workbook (no xl/workbook.xml and no workbook part "
                       f"named by its relationships): {_SAVE_AS}")


# --------------------------------------------------------------------------- sheets
def _find_title(sheet: S.Sheet, titles: list[str]) -> str | None:
    """The workbook's sheet for schema sheet ``sheet`` (exact name first, else up to case and
    spaces); refused when two sheets could be it."""
    if sheet.name in titles:
        return sheet.name
    close = [t for t in titles if norm(t) == norm(sheet.name)]
    if len(close) > 1:
        raise G.Refused(f"sheets {', '.join(repr(t) for t in close)} could all be the {sheet.name} sheet (names "
                        "differ only in case or spaces): rename or delete all but one", sheet.name)
    return close[0] if close else None


def _match_headers(sheet: S.Sheet, header: tuple, issues: list[Issue]) -> dict[str, int]:
    """Column key -> column number for row-1 headers matching the schema (any order, any case)."""
    wanted = {}
    for c in sheet.columns:
        wanted.setdefault(norm(c.header), c.key)
        wanted.setdefault(norm(c.key), c.key)
        for alias in c.aliases:
            wanted.setdefault(norm(alias), c.key)
    columns: dict[str, int] = {}
    unmatched: dict[str, int] = {}
    for j, h in enumerate(header, start=1):
        if is_blank(h):
            continue
        key = wanted.get(norm(h))
        addr = f"{get_column_letter(j)}1"
        if key is None:
            unmatched[str(h).strip()] = j
        elif key in columns:
            issues.append(Issue(sheet.name, addr, h, f"a second '{sheet.column(key).header}' column: only "
                                f"column {get_column_letter(columns[key])} is read; delete one of them",
                                "warning"))
        else:
            columns[key] = j
    if not columns:
        return columns          # the caller explains (empty sheet, headers in another row, ...)
    for c in sheet.columns:
        if c.key in columns:
            continue
        close = did_you_mean(c.header, unmatched)
        if close is not None:
            j = unmatched.pop(close)
            what = "required column" if c.required else "optional column"
            issues.append(Issue(sheet.name, f"{get_column_letter(j)}1", close,
                                f"{what} '{c.header}' is missing (did you mean '{close}'?): rename the header "
                                f"to '{c.header}'" + ("" if c.required else "; until then its values are not used"),
                                "error" if c.required else "warning"))
        elif c.required:
            issues.append(Issue(sheet.name, "", None, f"required column '{c.header}' is missing from row 1: "
                                "add a column with this header"))
    for h, j in unmatched.items():
        issues.append(Issue(sheet.name, f"{get_column_letter(j)}1", h,
                            "this column is not used by the tool and is ignored", "warning"))
    return columns




def _raw_sheet(parsed: ParsedSheet, sheet: S.Sheet, title: str, issues: list[Issue]) -> RawSheet:
    """The schema columns of a parsed sheet: header row 1, data rows in row order."""
    cells = parsed.cells
    raw = RawSheet(sheet.name, title, _match_headers(sheet, _row_values(cells.get(1)), issues))
    if not raw.columns:
        _no_headers(sheet, title, _row_values(cells.get(1)), [_row_values(cells.get(r)) for r in range(2, 12)],
                    issues)
        return raw
    picks = list(raw.columns.items())
    key_of = {j: key for key, j in picks}
    formula_rows = {r for (r, c) in parsed.formulas if c in key_of}
    limit = LIM.MAX_ROWS_PER_SHEET
    for r in sorted(set(cells) | formula_rows):
        if r < 2:
            continue
        row = cells.get(r, {})
        vals = {key: row.get(j) for key, j in picks}
        if all(is_blank(v) for v in vals.values()) and r not in formula_rows:
            continue
        if r - 1 > limit:
            issues.append(Issue(sheet.name, f"A{r}", None, f"row {r:,} holds data, beyond the limit of {limit:,} "
                                f"data rows per sheet (the last row read is {limit + 1:,}): move the data up, "
                                "split it or delete the rows"))
            break
        raw.rows.append(RawRow(r, vals))
    for (r, c), text in parsed.formulas.items():
        if c in key_of and 2 <= r <= limit + 1:
            raw.formulas[(r, key_of[c])] = text
    return raw


_BIG_INT = 2 ** 53


def _frame_ok(rest: bytes, elements: int, where: str, sheet: str, strings, formats) -> bool:
    """The sheet part without its rows, through the Python parser and its limits (the rows'
    ``elements`` counted in): whether it would pass (see :func:`.fastsheet.plain_grid`)."""
    parser = SheetParser(where, sheet, strings, formats, CellBudget())
    parser.elements = elements
    try:
        parser.parse_bytes(rest)
    except G.Refused:
        return False
    return not parser.out.merges and not parser.out.cells and not parser.out.formulas


def _cell_value(v):
    """A calamine value as :mod:`.sheetxml` reads it: blank is None, an integral float an int."""
    if v.__class__ is float:
        return int(v) if v.is_integer() and -_BIG_INT <= v <= _BIG_INT else v
    return None if v == "" and v.__class__ is str else v


def _grid_values(values: list) -> tuple:
    out = [_cell_value(v) for v in values[:LIM.MAX_COLUMNS]]
    while out and out[-1] is None:
        out.pop()
    return tuple(out)


def _raw_sheet_grid(grid: list[list], sheet: S.Sheet, title: str, issues: list[Issue]) -> RawSheet:
    """:func:`_raw_sheet` for a sheet read by calamine (:func:`.fastsheet.plain_grid`): list ``i``
    is row ``i + 1``; the same rows, values, issues and limit."""
    header = _grid_values(grid[0]) if grid else ()
    raw = RawSheet(sheet.name, title, _match_headers(sheet, header, issues))
    if not raw.columns:
        _no_headers(sheet, title, header, [_grid_values(grid[r - 1]) if r <= len(grid) else () for r in range(2, 12)],
                    issues)
        return raw
    picks = [(key, j - 1) for key, j in raw.columns.items()]
    limit = LIM.MAX_ROWS_PER_SHEET
    value = _cell_value
    for i in range(1, len(grid)):
        row = grid[i]
        n = len(row)
        vals = {key: value(row[j]) if j < n else None for key, j in picks}
        if all(is_blank(v) for v in vals.values()):
            continue
        r = i + 1
        if r - 1 > limit:
            issues.append(Issue(sheet.name, f"A{r}", None, f"row {r:,} holds data, beyond the limit of {limit:,} "
                                f"data rows per sheet (the last row read is {limit + 1:,}): move the data up, "
                                "split it or delete the rows"))
            break
        raw.rows.append(RawRow(r, vals))
    return raw


def _row_values(row: dict[int, object] | None) -> tuple:
    if not row:
        return ()
    return tuple(row.get(j) for j in range(1, max(row) + 1))


def _no_headers(sheet: S.Sheet, title: str, header: tuple, following: list[tuple], issues: list[Issue]) -> None:
    """Explain a sheet whose row 1 has none of the expected headers."""
    known = {norm(c.header) for c in sheet.columns}
    for r, values in enumerate(following, start=2):
        if any(not is_blank(v) and norm(v) in known for v in values):
            issues.append(Issue(sheet.name, f"A{r}", None, f"the headers of sheet '{title}' are in row {r}: they "
                                f"must be in row 1; delete the rows above them"))
            return
    if not sheet.required and all(is_blank(v) for row in [header, *following] for v in row):
        return   # an empty optional sheet is an empty table
    expected = ", ".join(repr(c.header) for c in sheet.columns if c.required)
    issues.append(Issue(sheet.name, "", None, f"row 1 of sheet '{title}' must hold the column headers "
                        f"({expected}, ...); add them or copy the sheet from the template"))



def _merge_issues(raw: RawSheet, refs: list[str], issues: list[Issue]) -> None:
    cols = set(raw.columns.values())
    for ref in refs:
        try:
            c0, r0, c1, r1 = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if any(c0 <= c <= c1 for c in cols):
            raw.merged.append((c0, r0, c1, r1))
            if len(raw.merged) <= 20:
                issues.append(Issue(raw.name, ref.split(":")[0], None, f"merged cells {ref} in a data table: "
                                    "unmerge them and repeat the value in every cell"))



def read_workbook(path, sheets: tuple[S.Sheet, ...], fast: bool = True) -> RawWorkbook:
    """Read every schema sheet of ``path`` into raw rows (see the module docstring).

    ``sheets``: the sheet declarations to read (the main input workbook's
    ``optimizer.sourcing.schema.DATA_SHEETS``; the pool workbook passes
    ``optimizer.pooling.schema.POOL_SHEETS``).

    ``fast``: read a data sheet in the plain form with python-calamine after the checks of
    :mod:`.fastsheet` (the same cells as the Python parser; False: every sheet by the Python parser).

    Raises :class:`InputError` when the file cannot be read at all or is refused by a limit;
    problems inside sheets are returned in ``RawWorkbook.issues``.
    """
    p = Path(path)
    data = read_bytes(p)
    digest = hashlib.sha256(data).hexdigest()
    zf = _open_zip(p, data)
    infos = {i.filename: i for i in zf.infolist()}
    issues: list[Issue] = []
    macro = p.suffix.lower() == ".xlsm" or "xl/vbaProject.bin" in infos
    if macro:
        issues.append(Issue("", "", None, "macro-enabled workbook: macros are never run and are ignored "
                            "(save as .xlsx to silence this warning)", "warning"))
    gc_was_on = gc.isenabled()
    gc.disable()            # the parse builds a million small acyclic objects: no collector passes meanwhile
    try:
        part = X.find_workbook_part(data, infos)
        if part is None:
            raise _not_a_workbook(p, data, infos)
        index = X.package_index(data, infos, part)
        titles = index.titles
        wanted = {sheet.name: _find_title(sheet, titles) for sheet in sheets}
        watch = {index.entry(t).part: name for name, t in wanted.items()
                 if t is not None and index.entry(t).part in infos and index.entry(t).kind == "worksheet"}
        G.scan_members(data, list(infos.values()), watch, index.shared_strings,
                       {*watch, *(x for x in (index.shared_strings, index.styles) if x)})
        strings = X.shared_strings(data, infos.get(index.shared_strings or ""))
        formats = X.styles(data, infos.get(index.styles or ""), index.date1904)
        read: dict[str, RawSheet] = {}
        budget = CellBudget()
        if fast and index.shared_strings in infos:
            fast = F.plain_strings(G.read_member(data, infos[index.shared_strings], cap=LIM.MAX_UNCOMPRESSED_BYTES))
        book = F.Calamine(data) if fast else None
        for sheet in sheets:
            title = wanted[sheet.name]
            if title is None:
                if sheet.required:
                    others = {norm(n) for n in S.DECLARED_SHEETS if n != sheet.name}
                    close = did_you_mean(sheet.name, [t for t in titles if norm(t) not in others])
                    hint = f" (did you mean '{close}'? rename it to '{sheet.name}')" if close else \
                        f" ({sheet.missing_hint})"
                    issues.append(Issue(sheet.name, "", None, f"required sheet '{sheet.name}' is missing{hint}"))
                continue
            entry = index.entry(title)
            if entry.kind != "worksheet":
                issues.append(Issue(sheet.name, "", None, f"'{title}' is a {_KINDS.get(entry.kind, entry.kind)}, "
                                    "not a table"))
                continue
            if entry.part not in infos:
                raise G.Refused(f"sheet '{title}' points to the part {entry.part or '(none)'}, which is not in the "
                                f"file: the file is damaged; {_SAVE_AS}", sheet.name)
            grid = None
            if book is not None:
                xml = G.read_member(data, infos[entry.part], cap=LIM.MAX_UNCOMPRESSED_BYTES)
                where = f"sheet '{title}' ({entry.part})"
                grid = F.plain_grid(xml, title, strings, formats.dates, budget, book,
                                    lambda rest, n, w=where, s=sheet.name: _frame_ok(rest, n, w, s, strings, formats))
                del xml
            if grid is not None:
                read[sheet.name] = _raw_sheet_grid(grid, sheet, title, issues)
                continue
            parser = SheetParser(f"sheet '{title}' ({entry.part})", sheet.name, strings, formats, budget)
            parsed = parser.parse(data, infos[entry.part]).out
            raw = _raw_sheet(parsed, sheet, title, issues)
            if raw.columns and parsed.merges:
                _merge_issues(raw, parsed.merges, issues)
            read[sheet.name] = raw
    except G.Refused as exc:
        raise _refused(p, exc) from None
    finally:
        if gc_was_on:
            gc.enable()
    return RawWorkbook(str(path), digest, read, issues, titles, macro)


_KINDS = {"chartsheet": "chart sheet", "dialogsheet": "dialog sheet", "macrosheet": "macro sheet"}


def workbook_titles(path) -> list[str] | None:
    """The sheet names of the workbook at ``path`` (its index only, read through the same checks);
    None when the file cannot be read as a workbook."""
    p = Path(path)
    try:
        data = read_bytes(p)
        zf = _open_zip(p, data)
        infos = {i.filename: i for i in zf.infolist()}
        part = X.find_workbook_part(data, infos)
        return X.package_index(data, infos, part).titles if part else None
    except (InputError, G.Refused):
        return None
