"""Safe reading of an input workbook into raw rows that keep their cell addresses.

:func:`read_workbook` is the only code that opens a user's file.  It never writes to
it.  Before openpyxl sees the bytes it checks, in order:

* ``openpyxl.DEFUSEDXML`` is True (defusedxml guards against XML bombs and XXE);
* the file exists and is at most ``columns.MAX_FILE_BYTES``;
* it is a zip (``.xlsx``/``.xlsm``): a CSV or PDF renamed ``.xlsx``, an old ``.xls``, a
  password-protected workbook (an OLE2 compound file) or an OpenDocument file each get
  a clear error saying what the file is and what to do;
* the zip members' declared uncompressed sizes add up to at most
  ``columns.MAX_UNCOMPRESSED_BYTES`` (zip bomb guard; nothing is extracted to check),
  and there are at most ``zip_guard.MAX_ZIP_MEMBERS`` members;
* every member is then inflated once in bounded steps and must match its declared
  size and CRC (a "lying" header is refused before it can expand), no XML part has a
  DTD (entity bombs, XXE), each data sheet has at most ``columns.MAX_ROWS_PER_SHEET``
  data rows and all of them at most ``zip_guard.MAX_CELLS`` cells, counted from the
  XML before openpyxl parses anything (see :mod:`optimizer.core.workbook.zip_guard`).

The file is read into memory once (it is small by then), hashed (SHA-256) and parsed
from those same bytes, so the hash always describes what was validated.

Each schema sheet is read with ``read_only=True, data_only=True, keep_links=False`` in
one sequential ``iter_rows(values_only=True)`` pass over at most
``columns.MAX_COLUMNS`` columns, after ``reset_dimensions()`` (stored dimensions can
lie).  Only the columns whose row-1 header matches the schema are kept; fully blank
rows are skipped; at most ``columns.MAX_ROWS_PER_SHEET`` data rows are read.

Read-only mode hides two things, which are recovered from the sheet XML: merged
ranges (``<mergeCell ref=..>``, parsed with defusedxml when the scan saw one) and
formulas without a cached value (a file last saved by openpyxl or another generator;
``data_only=True`` reads them as blank).  A sheet whose XML contains formulas is read a second time with
``data_only=False`` to find them.  Macros in ``.xlsm`` files are never run.
"""
from __future__ import annotations

import difflib
import hashlib
import io
from itertools import islice
import posixpath
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from openpyxl.utils import get_column_letter, range_boundaries

from optimizer.core.workbook import columns as S
from optimizer.core.workbook import zip_guard as G
from optimizer.core.issues import InputError, Issue

OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
_SAVE_AS = "open it in Excel or LibreOffice and save it as 'Excel Workbook (.xlsx)'"


def require_defusedxml() -> None:
    """Refuse to read workbooks unless openpyxl parses XML through defusedxml."""
    if getattr(openpyxl, "DEFUSEDXML", False) is not True:
        raise RuntimeError(
            "openpyxl is not using defusedxml (openpyxl.DEFUSEDXML is not True), so workbooks "
            "cannot be read safely: install defusedxml (pip install defusedxml) and make sure the "
            "environment variable OPENPYXL_DEFUSEDXML is not set to False.")


def norm(text) -> str:
    """Header/name comparison form: case-insensitive, surrounding and repeated spaces ignored."""
    return " ".join(str(text).replace("\u00a0", " ").split()).casefold()


def did_you_mean(word, candidates) -> str | None:
    """The closest candidate (case-insensitive), or None."""
    cands = [str(c) for c in candidates if c not in (None, "")]
    by_norm = {norm(c): c for c in cands}
    if norm(word) in by_norm:
        return by_norm[norm(word)]
    cutoff = 0.5 if len(norm(word)) <= 4 else 0.6   # short ids: one wrong letter of two
    best = difflib.get_close_matches(norm(word), list(by_norm), n=1, cutoff=cutoff)
    return by_norm[best[0]] if best else None


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


def _fail(path, rule: str, value="") -> InputError:
    return InputError([Issue("", "", value, rule)], str(path))


def _unreadable(path, exc: Exception) -> InputError:
    """The error for a parser failure inside the workbook (openpyxl or defusedxml)."""
    cause, seen = exc, 0
    while cause is not None and not isinstance(cause, DefusedXmlException) and seen < 10:
        cause, seen = cause.__cause__ or cause.__context__, seen + 1     # openpyxl re-raises as ValueError
    if isinstance(cause, DefusedXmlException):
        return _fail(path, f"the workbook's XML declares entities or a DTD ({type(cause).__name__}), which Excel "
                           "never writes: refused as a possible XML entity-expansion bomb or external-entity attack")
    return _fail(path, f"the workbook could not be read ({type(exc).__name__}: {exc}): the file may be damaged; "
                       f"{_SAVE_AS}")


def _identify_non_zip(data: bytes, suffix: str) -> str:
    """Plain-words description of a file that is not a zip, and what to do."""
    if not data:
        return "the file is empty (0 bytes): choose the saved .xlsx workbook"
    if data.startswith(OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            return ("this workbook is password-protected (encrypted), so it cannot be read: remove the password "
                    "(Excel: File > Info > Protect Workbook > Encrypt with Password, clear it; LibreOffice: "
                    "File > Properties > Security) and save it again as .xlsx")
        if suffix == ".xls":
            return f"this is an old Excel 97-2003 .xls workbook, which is not supported: {_SAVE_AS}"
        return ("this is an OLE2 compound file: a password-protected (encrypted) workbook or an old "
                ".xls file. Remove the password (Excel: File > Info > Protect Workbook > Encrypt with "
                f"Password, clear it) and {_SAVE_AS.replace('open it in Excel or LibreOffice and ', '')}")
    if data.startswith(b"%PDF"):
        return (f"this is a PDF document renamed {suffix or 'as a workbook'}, not an Excel workbook: "
                "use the .xlsx input workbook")
    head = data[:4096]
    try:
        text = head.decode("utf-16") if head[:2] in (b"\xff\xfe", b"\xfe\xff") else head.decode("utf-8")
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text) / max(len(text), 1)
    except UnicodeDecodeError:
        printable = 0.0
    if printable > 0.95:
        return f"this is a text file (CSV, HTML or similar) renamed {suffix or ''}, not an Excel workbook: {_SAVE_AS}"
    return f"this file is not an Excel .xlsx workbook (unknown format): {_SAVE_AS}"


def _open_zip(path: Path, data: bytes) -> zipfile.ZipFile:
    suffix = path.suffix.lower()
    if not data.startswith(b"PK"):
        raise _fail(path, _identify_non_zip(data, suffix))
    declared = G.declared_members(data)
    if declared is not None and declared > G.MAX_ZIP_MEMBERS:   # refused before parsing the directory
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
    if total > S.MAX_UNCOMPRESSED_BYTES:
        raise _fail(path, f"the workbook would unpack to {total:,} bytes, more than the limit of "
                          f"{S.MAX_UNCOMPRESSED_BYTES:,} bytes (a damaged file or a zip bomb): remove unused "
                          "sheets, images and formatting, or split the data")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        if "mimetype" in names:
            try:
                kind = G.read_member(data, zf.getinfo("mimetype"), cap=1024)
            except G.Refused:
                kind = b""
            if b"opendocument" in kind:
                raise _fail(path, f"this is an OpenDocument (.ods) spreadsheet: {_SAVE_AS}")
        raise _fail(path, f"this is a zip archive but not an Excel workbook (no xl/workbook.xml): {_SAVE_AS}")
    return zf


def _workbook_index(zf: zipfile.ZipFile, data: bytes) -> tuple[dict[str, str], str | None]:
    """(sheet title -> XML part name, shared-strings part name) from xl/workbook.xml and its
    relationships, both read through the zip guard (size capped, size and CRC checked)."""
    def part(target: str) -> str:
        return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))

    if "xl/_rels/workbook.xml.rels" not in set(zf.namelist()):
        return {}, None
    wb_xml = G.read_member(data, zf.getinfo("xl/workbook.xml"))
    rels_xml = G.read_member(data, zf.getinfo("xl/_rels/workbook.xml.rels"))
    try:
        wb = SafeET.fromstring(wb_xml)
        rels = [r for r in SafeET.fromstring(rels_xml) if r.tag.endswith("Relationship")]
    except Exception:   # noqa: BLE001 - the scan or openpyxl reports a broken or hostile file itself
        return {}, None
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    strings = next((part(r.get("Target")) for r in rels if r.get("Target")
                    and str(r.get("Type", "")).endswith("/sharedStrings")), None)
    parts = {}
    for el in wb.iter():
        if el.tag.endswith("}sheet"):
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            target = targets.get(rid, "")
            if target:
                parts[el.get("name")] = part(target)
    return parts, strings


def _merge_refs(zf: zipfile.ZipFile, part: str) -> list[str]:
    """Merged ranges of a (verified) sheet part, parsed as a stream."""
    refs = []
    with zf.open(part) as fh:
        for _, el in SafeET.iterparse(fh, events=("end",)):
            if el.tag.endswith("}mergeCell") and el.get("ref"):
                refs.append(el.get("ref"))
            if not el.tag.endswith("}mergeCells"):
                el.clear()
    return refs


def _scan(p: Path, zf: zipfile.ZipFile, data: bytes,
          sheet_defs: tuple[S.Sheet, ...]) -> tuple[dict[str, str], dict[str, G.PartScan]]:
    """Verify every member and scan the data sheets; (sheet title -> part, part -> scan)."""
    try:
        parts, strings = _workbook_index(zf, data)
        watch = {}
        for sheet in sheet_defs:
            title = _find_title(sheet, list(parts))
            if title is not None and parts[title] in set(zf.namelist()):
                watch[parts[title]] = sheet.name
        scans = G.scan_members(data, zf.infolist(), watch, strings, S.MAX_ROWS_PER_SHEET)
    except G.Refused as exc:
        raise InputError([Issue(exc.sheet, "", None, exc.rule)], str(p)) from None
    return parts, scans


def _find_title(sheet: S.Sheet, titles: list[str]) -> str | None:
    if sheet.name in titles:
        return sheet.name
    return next((t for t in titles if norm(t) == norm(sheet.name)), None)


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


def _read_sheet(ws, sheet: S.Sheet, title: str, issues: list[Issue]) -> RawSheet:
    ws.reset_dimensions()
    it = ws.iter_rows(min_row=1, max_col=S.MAX_COLUMNS, values_only=True)
    header = next(it, ())
    raw = RawSheet(sheet.name, title, _match_headers(sheet, header or (), issues))
    if not raw.columns:
        _no_headers(sheet, title, header or (), list(islice(it, 10)), issues)
        return raw
    picks = [(key, j - 1) for key, j in raw.columns.items()]
    for r, values in enumerate(it, start=2):
        vals = {key: values[j] if j < len(values) else None for key, j in picks}
        if all(is_blank(v) for v in vals.values()):
            continue
        if r - 1 > S.MAX_ROWS_PER_SHEET:
            issues.append(Issue(sheet.name, f"A{r}", None, f"more than {S.MAX_ROWS_PER_SHEET:,} data rows: the "
                                f"limit is {S.MAX_ROWS_PER_SHEET:,} rows per sheet; split the data or delete "
                                "unused rows"))
            break
        raw.rows.append(RawRow(r, vals))
    return raw


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


def _find_uncached_formulas(ws, raw: RawSheet) -> None:
    """Second pass (data_only=False): formulas whose cached value is missing."""
    ws.reset_dimensions()
    by_row = {rr.row: rr for rr in raw.rows}
    picks = [(key, j - 1) for key, j in raw.columns.items()]
    for r, values in enumerate(ws.iter_rows(min_row=2, max_col=S.MAX_COLUMNS, values_only=True), start=2):
        if r - 1 > S.MAX_ROWS_PER_SHEET:
            break
        for key, j in picks:
            v = values[j] if j < len(values) else None
            text = v if isinstance(v, str) else getattr(v, "text", None)
            if v is None or not (isinstance(text, str) and text.startswith("=") or hasattr(v, "ref")):
                continue
            rr = by_row.get(r)
            if rr is None:   # a row of formulas that read as blank: keep it so it gets reported
                rr = by_row[r] = RawRow(r, {k: None for k, _ in picks})
            if rr.values.get(key) is None:
                raw.formulas[(r, key)] = text if isinstance(text, str) else type(v).__name__
    raw.rows = sorted(by_row.values(), key=lambda rr: rr.row)


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


def read_workbook(path, sheets: tuple[S.Sheet, ...]) -> RawWorkbook:
    """Read every schema sheet of ``path`` into raw rows (see the module docstring).

    ``sheets``: the sheet declarations to read (default: the main input workbook's; the
    pool workbook passes ``optimizer.pooling.schema.POOL_SHEETS``).

    Raises :class:`InputError` (sheet "" / cell "") when the file cannot be read at all;
    problems inside sheets are returned in ``RawWorkbook.issues``.
    """
    sheet_defs = sheets   # the name `sheets` is reused below for the rows read
    require_defusedxml()
    p = Path(path)
    if not p.is_file():
        raise _fail(p, "file not found" if not p.exists() else "this is a folder, not a workbook file", str(p))
    size = p.stat().st_size
    if size > S.MAX_FILE_BYTES:
        raise _fail(p, f"the file is {size:,} bytes, more than the limit of {S.MAX_FILE_BYTES:,} bytes: "
                       "remove unused sheets, images and formatting, or split the data")
    data = p.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    zf = _open_zip(p, data)
    issues: list[Issue] = []
    names = set(zf.namelist())
    macro = p.suffix.lower() == ".xlsm" or "xl/vbaProject.bin" in names
    if macro:
        issues.append(Issue("", "", None, "macro-enabled workbook: macros are never run and are ignored "
                            "(save as .xlsx to silence this warning)", "warning"))
    parts, scans = _scan(p, zf, data, sheet_defs)
    sheets: dict[str, RawSheet] = {}
    needs_second_pass: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure means an unusable file
        raise _unreadable(p, exc)
    try:
        titles = list(wb.sheetnames)
        for sheet in sheet_defs:
            title = _find_title(sheet, titles)
            if title is None:
                if sheet.required:
                    others = {norm(n) for n in S.DECLARED_SHEETS if n != sheet.name}
                    close = did_you_mean(sheet.name, [t for t in titles if norm(t) not in others])
                    hint = f" (did you mean '{close}'? rename it to '{sheet.name}')" if close else \
                        f" ({sheet.missing_hint})"
                    issues.append(Issue(sheet.name, "", None, f"required sheet '{sheet.name}' is missing{hint}"))
                continue
            ws = wb[title]
            if not hasattr(ws, "iter_rows"):
                issues.append(Issue(sheet.name, "", None, f"'{title}' is a chart sheet, not a table"))
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                raw = _read_sheet(ws, sheet, title, issues)
            sheets[sheet.name] = raw
            scan = scans.get(parts.get(title, ""))
            if scan is not None and raw.columns:
                if scan.has_merge:
                    _merge_issues(raw, _merge_refs(zf, parts[title]), issues)
                if scan.has_formula:
                    needs_second_pass.append(sheet.name)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - malformed XML inside a sheet, defusedxml refusals, ...
        raise _unreadable(p, exc)
    finally:
        wb.close()
    if needs_second_pass:
        _second_pass(p, data, sheets, needs_second_pass)
    return RawWorkbook(str(path), digest, sheets, issues, titles, macro)


def _second_pass(p: Path, data: bytes, sheets: dict[str, RawSheet], names: list[str]) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # noqa: BLE001
        raise _unreadable(p, exc)
    try:
        for name in names:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _find_uncached_formulas(wb[sheets[name].title], sheets[name])
    except Exception as exc:  # noqa: BLE001
        raise _unreadable(p, exc)
    finally:
        wb.close()
