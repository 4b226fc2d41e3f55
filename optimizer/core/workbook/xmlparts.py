"""Bounded streaming parsing of the XML parts the reader uses, and the workbook's package index.

Every part the reader takes data from (the package and workbook relationships, the
workbook part, the styles, the shared strings and the data sheets) is parsed here, by
expat fed chunk by chunk from the verified zip stream (:func:`.zip_guard.inflate`), with
no tree kept: memory does not grow with the number of elements.  The parser

* refuses a DTD of any kind (entity bombs, external entities), whatever the part's
  encoding (the parser reads UTF-8 and UTF-16 alike, so a check of the bytes alone
  could be bypassed by re-encoding);
* counts elements (:data:`~optimizer.core.limits.MAX_XML_ELEMENTS` per part) and nesting
  depth (:data:`~optimizer.core.limits.MAX_XML_DEPTH`);
* matches elements by local name, whatever namespace prefix the file uses.

:func:`package_index` finds the workbook part the way Excel does (the package
relationships' ``officeDocument`` target, not a fixed path), then its sheets, their parts,
the shared strings and the styles through the workbook's relationships, and refuses two
sheets with the same name.  :func:`shared_strings` and :func:`styles` read those parts.
"""
from __future__ import annotations

import posixpath
import re
import xml.parsers.expat as expat
import zipfile
from dataclasses import dataclass, field
from urllib.parse import unquote

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from optimizer.core import limits as LIM
from optimizer.core.workbook.zip_guard import PartScan, Refused, inflate, read_member

_SAVE_AS = "open it in Excel or LibreOffice and save it as 'Excel Workbook (.xlsx)'"
_WORKBOOK_TYPES = ("sheet.main+xml", "macroEnabled.main+xml", "template.main+xml")


def local(name: str) -> str:
    """'{uri}row' (expat with namespaces) or 'row' -> 'row'."""
    return name[name.rfind("}") + 1:]


class PartParser:
    """Streaming expat parser of one part; subclasses implement start/end/text with local names.

    ``where`` names the part in messages (e.g. "sheet 'Supply' (xl/worksheets/sheet5.xml)").
    """

    def __init__(self, where: str, sheet: str = ""):
        self.where, self.sheet = where, sheet
        self.elements = 0
        self.depth = 0
        self._limit, self._max_depth = LIM.MAX_XML_ELEMENTS, LIM.MAX_XML_DEPTH
        p = expat.ParserCreate(namespace_separator="}")
        p.buffer_text = True
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._dtd
        p.EntityDeclHandler = self._dtd
        p.UnparsedEntityDeclHandler = self._dtd
        p.NotationDeclHandler = self._dtd
        p.ExternalEntityRefHandler = self._dtd
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self.text
        self._parser = p

    # -- the subclass interface
    def start(self, name: str, attrs: dict) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass

    def refuse(self, rule: str) -> Refused:
        return Refused(f"{self.where}: {rule}", self.sheet)

    # -- plumbing
    def _dtd(self, *args):
        raise self.refuse("declares XML entities or a DTD, which Excel never writes: refused as a possible "
                          "XML entity-expansion bomb or external-entity attack")

    def _start(self, name, attrs):
        self.elements += 1
        self.depth += 1
        if self.elements > self._limit or self.depth > self._max_depth:
            self._too_much()
        self.start(name.rpartition("}")[2], attrs)

    def _too_much(self):
        if self.elements > self._limit:
            raise self.refuse(f"more than {self._limit:,} XML elements (the limit is {self._limit:,} elements "
                              "per part): a damaged or hostile file; delete unused rows and formatting")
        raise self.refuse(f"XML elements nested more than {self._max_depth} levels deep (the limit is "
                          f"{self._max_depth} levels; Excel nests fewer than 10): a damaged or hostile file")

    def _end(self, name):
        self.depth -= 1
        self.end(name.rpartition("}")[2])

    def feed(self, chunk: bytes, final: bool = False) -> None:
        try:
            self._parser.Parse(chunk, final)
        except expat.ExpatError as exc:
            raise self.refuse(f"the XML is damaged ({expat.ErrorString(exc.code)}, line {exc.lineno}, column "
                              f"{exc.offset}): {_SAVE_AS}") from None

    def parse_bytes(self, xml: bytes) -> "PartParser":
        """Feed a whole part already inflated (and verified); returns self."""
        try:
            self.feed(xml)
            self.feed(b"", True)
        finally:
            self._parser = None
        return self

    def parse(self, data: bytes, info: zipfile.ZipInfo) -> "PartParser":
        """Feed the verified member ``info`` of the zip ``data``; returns self."""
        try:
            for chunk in inflate(data, info):
                self.feed(chunk)
            self.feed(b"", True)
        finally:
            self._parser = None          # the parser's handlers refer back to self: break the cycle
        return self


# --------------------------------------------------------------------------- relationships and the index
@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str          # the part name inside the zip ("" for an external target)


class _RelsParser(PartParser):
    def __init__(self, where: str, base_dir: str):
        super().__init__(where)
        self.base_dir, self.rels = base_dir, []

    def start(self, name, attrs):
        if name != "Relationship":
            return
        target = attrs.get("Target", "")
        external = attrs.get("TargetMode", "").lower() == "external"
        self.rels.append(Rel(attrs.get("Id", ""), attrs.get("Type", ""),
                             "" if external or not target else part_name(self.base_dir, target)))


def part_name(base_dir: str, target: str) -> str:
    """A relationship target as a zip member name (relative to ``base_dir``, or absolute)."""
    target = unquote(target.split("#")[0])
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(base_dir, target)
    return posixpath.normpath(path).lstrip("/") if path else ""


def rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


class _TypesParser(PartParser):
    def __init__(self, where: str):
        super().__init__(where)
        self.workbook = None

    def start(self, name, attrs):
        if name == "Override" and self.workbook is None and \
                any(attrs.get("ContentType", "").endswith(t) for t in _WORKBOOK_TYPES):
            self.workbook = part_name("", attrs.get("PartName", ""))


class _WorkbookParser(PartParser):
    def __init__(self, where: str):
        super().__init__(where)
        self.sheets: list[tuple[str, str, str]] = []     # (name, relationship id, state)
        self.date1904 = False

    def start(self, name, attrs):
        if name == "sheet":
            if len(self.sheets) >= LIM.MAX_SHEETS:
                raise self.refuse(f"more than {LIM.MAX_SHEETS:,} sheets (the limit is {LIM.MAX_SHEETS:,} sheets "
                                  "per workbook)")
            rid = next((v for k, v in attrs.items() if local(k) == "id"), "")
            self.sheets.append((attrs.get("name", ""), rid, attrs.get("state", "visible")))
        elif name == "workbookPr":
            self.date1904 = attrs.get("date1904", "").strip().lower() in ("1", "true")


@dataclass
class SheetEntry:
    name: str
    part: str            # zip member name ("" when the relationship is missing)
    kind: str            # "worksheet", "chartsheet", "dialogsheet", "macrosheet", ...


@dataclass
class PackageIndex:
    workbook: str                         # the workbook part's member name
    sheets: list[SheetEntry] = field(default_factory=list)
    shared_strings: str | None = None
    styles: str | None = None
    date1904: bool = False

    @property
    def titles(self) -> list[str]:
        return [s.name for s in self.sheets]

    def entry(self, title: str) -> SheetEntry:
        return next(s for s in self.sheets if s.name == title)


def _member(infos: dict[str, zipfile.ZipInfo], name: str) -> zipfile.ZipInfo | None:
    if name in infos:
        return infos[name]
    folded = {k.casefold(): v for k, v in infos.items()}          # OPC part names ignore case
    return folded.get(name.casefold())


def _read_index_part(data: bytes, info: zipfile.ZipInfo, parser: PartParser) -> PartParser:
    """An index part, read before the other members are scanned: its size capped and its elements
    pre-counted (at C speed) before the parser runs, as the scan does for the data parts."""
    if info.file_size > LIM.MAX_INDEX_PART_BYTES:
        read_member(data, info, LIM.MAX_INDEX_PART_BYTES)            # raises the size refusal
    scan = PartScan(info.filename, None, False, True)
    for chunk in inflate(data, info):
        scan.feed(chunk)
    scan.finish()
    return parser.parse(data, info)


def find_workbook_part(data: bytes, infos: dict[str, zipfile.ZipInfo]) -> str | None:
    """The workbook part as Excel finds it: the package relationships' officeDocument target, else
    the content types' workbook override, else xl/workbook.xml; None if none of them exists."""
    rels = _member(infos, "_rels/.rels")
    if rels is not None:
        found = _read_index_part(data, rels, _RelsParser("the package relationships (_rels/.rels)", "")).rels
        for r in found:
            if r.type.endswith("/officeDocument") and r.target:
                info = _member(infos, r.target)
                return info.filename if info is not None else None
    types = _member(infos, "[Content_Types].xml")
    if types is not None:
        name = _read_index_part(data, types, _TypesParser("the content types ([Content_Types].xml)")).workbook
        if name and _member(infos, name) is not None:
            return _member(infos, name).filename
    info = _member(infos, "xl/workbook.xml")
    return info.filename if info is not None else None


def package_index(data: bytes, infos: dict[str, zipfile.ZipInfo], workbook: str) -> PackageIndex:
    """Sheets (name, part, kind), shared strings and styles of the workbook part ``workbook``."""
    wb = _read_index_part(data, infos[workbook], _WorkbookParser(f"the workbook part ({workbook})"))
    index = PackageIndex(workbook, date1904=wb.date1904)
    rels: dict[str, Rel] = {}
    rinfo = _member(infos, rels_part(workbook))
    if rinfo is not None:
        folder = posixpath.dirname(workbook)
        for r in _read_index_part(data, rinfo, _RelsParser(f"the workbook relationships ({rinfo.filename})",
                                                           folder)).rels:
            rels.setdefault(r.id, r)
            kind = r.type.rsplit("/", 1)[-1]
            if kind == "sharedStrings" and index.shared_strings is None and r.target:
                index.shared_strings = _resolved(infos, r.target)
            elif kind == "styles" and index.styles is None and r.target:
                index.styles = _resolved(infos, r.target)
    seen: dict[str, int] = {}
    for k, (name, rid, _state) in enumerate(wb.sheets, start=1):
        folded = name.casefold()
        if folded in seen:
            raise Refused(f"two sheets are named '{name}' (sheets {seen[folded]} and {k} of the workbook): Excel "
                          "does not allow two sheets with the same name, so the file was not saved by Excel and "
                          "it is not clear which one holds the data; rename or delete one, or "
                          f"{_SAVE_AS}", name)
        seen[folded] = k
        rel = rels.get(rid)
        kind = rel.type.rsplit("/", 1)[-1] if rel else "worksheet"
        index.sheets.append(SheetEntry(name, _resolved(infos, rel.target) if rel and rel.target else "", kind))
    return index


def _resolved(infos: dict[str, zipfile.ZipInfo], name: str) -> str:
    info = _member(infos, name)
    return info.filename if info is not None else name


# --------------------------------------------------------------------------- shared strings
class StringCollector:
    """Text of one rich string (``<si>`` or ``<is>``): ``t`` directly inside it or inside its ``r``
    runs, not phonetic ``rPh`` runs; runs and length bounded."""

    __slots__ = ("pieces", "chars", "children", "_rph", "_in_t", "owner", "what")

    def __init__(self, owner: PartParser, what: str):
        self.owner, self.what = owner, what
        self.pieces: list[str] = []
        self.chars = self.children = self._rph = 0
        self._in_t = False

    def start(self, name: str) -> None:
        self.children += 1
        if self.children > LIM.MAX_STRING_RUNS:
            raise self.owner.refuse(f"{self.what} is made of more than {LIM.MAX_STRING_RUNS:,} rich-text runs or "
                                    f"other elements (the limit is {LIM.MAX_STRING_RUNS:,} per cell text): a "
                                    "damaged or hostile file")
        if name == "rPh":
            self._rph += 1
        elif name == "t" and not self._rph:
            self._in_t = True

    def end(self, name: str) -> None:
        if name == "rPh":
            self._rph -= 1
        elif name == "t":
            self._in_t = False

    def text(self, data: str) -> None:
        if self._in_t:
            self.chars += len(data)
            if self.chars > LIM.MAX_STRING_CHARS:
                raise self.owner.refuse(f"{self.what} holds more than {LIM.MAX_STRING_CHARS:,} characters; Excel "
                                        f"allows at most {LIM.MAX_STRING_CHARS:,} characters in a cell (the limit "
                                        "here too): a damaged or hostile file")
            self.pieces.append(data)

    def value(self) -> str:
        return "".join(self.pieces)


class _StringsParser(PartParser):
    def __init__(self, where: str):
        super().__init__(where)
        self.strings: list[str] = []
        self._cur: StringCollector | None = None
        self._si_depth = 0

    def start(self, name, attrs):
        if self._cur is not None:
            self._cur.start(name)
        elif name == "si":
            if len(self.strings) >= LIM.MAX_SHARED_STRINGS:
                raise self.refuse(f"the shared string table holds more than {LIM.MAX_SHARED_STRINGS:,} strings (the "
                                  f"limit is {LIM.MAX_SHARED_STRINGS:,} strings): delete unused sheets or split the "
                                  "data")
            self._cur, self._si_depth = StringCollector(self, f"shared string {len(self.strings) + 1:,}"), self.depth

    def end(self, name):
        if self._cur is None:
            return
        if self.depth < self._si_depth:          # the </si> itself
            # openpyxl's reading of an escaped underscore, kept so that text reads as before
            self.strings.append(self._cur.value().replace("x005F_", ""))
            self._cur = None
        else:
            self._cur.end(name)

    def text(self, data):
        if self._cur is not None:
            self._cur.text(data)


def shared_strings(data: bytes, info: zipfile.ZipInfo | None) -> list[str]:
    if info is None:
        return []
    return _StringsParser(f"the shared strings ({info.filename})").parse(data, info).strings


# --------------------------------------------------------------------------- styles: which cell styles are dates
class _StylesParser(PartParser):
    def __init__(self, where: str):
        super().__init__(where)
        self.custom: dict[int, str] = {}
        self.xf_formats: list[int] = []
        self._in_xfs = False

    def start(self, name, attrs):
        if name == "numFmt":
            fid = _int(attrs.get("numFmtId"))
            if fid is not None:
                self.custom[fid] = attrs.get("formatCode", "")
        elif name == "cellXfs":
            self._in_xfs = True
        elif name == "xf" and self._in_xfs:
            self.xf_formats.append(_int(attrs.get("numFmtId")) or 0)

    def end(self, name):
        if name == "cellXfs":
            self._in_xfs = False


def _int(text) -> int | None:
    return int(text) if isinstance(text, str) and re.fullmatch(r"\s*\d{1,9}\s*", text) else None


@dataclass(frozen=True)
class CellFormats:
    dates: frozenset          # style indices whose number format shows a date or time
    durations: frozenset      # ... a duration ([h]:mm and the like)
    epoch: object             # the workbook's date system (1900 or 1904)


def styles(data: bytes, info: zipfile.ZipInfo | None, date1904: bool) -> CellFormats:
    """Which cell style indices are date/duration formats (as openpyxl decides it)."""
    epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
    if info is None:
        return CellFormats(frozenset(), frozenset(), epoch)
    p = _StylesParser(f"the styles ({info.filename})").parse(data, info)
    dates, durations = set(), set()
    for idx, fid in enumerate(p.xf_formats):
        fmt = p.custom.get(fid, BUILTIN_FORMATS.get(fid))
        if is_date_format(fmt):
            dates.add(idx)
        if is_timedelta_format(fmt):
            durations.add(idx)
    return CellFormats(frozenset(dates), frozenset(durations), epoch)
