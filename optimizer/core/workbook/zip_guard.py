"""Bounded, verified reading of a workbook's zip members before any XML parser sees them.

A zip member's header states its uncompressed size and CRC, but the compressed
stream may say otherwise: Python's :mod:`zipfile` stops at the declared size and
checks the CRC only at the end, while ``ZipFile.read`` inflates up to 2 GiB in one call
first.  So a member that declares 2 KB and inflates to 3 GB ("lying header") would
exhaust memory.  Here every member is inflated once, in 1 MiB steps with ``zlib``'s
``max_length``, and refused as soon as it produces more than it declares; its size and
CRC must then match exactly.  Only stored and deflated members are accepted (Excel
writes nothing else; zipfile's bzip2/lzma paths have no output bound), and no
zip-encrypted member.

While inflating, every XML part is checked for a DTD (``<!DOCTYPE``/``<!ENTITY``, in
UTF-8 or UTF-16: Excel never writes one; it is how entity bombs and external-entity
attacks start), and the parts the reader will parse get fast pre-counts that refuse
early, before any parser runs:

* elements (start tags, counted in the decoded text, so UTF-16 counts too): at most the
  element limit (:data:`~optimizer.core.limits.MAX_XML_ELEMENTS`) per part;
* in UTF-8 data sheets: rows and cells, so a sheet over the row limit or a workbook over
  the cell limit is refused without parsing it;
* in UTF-8 data sheets and shared strings: text runs over
  :data:`~optimizer.core.limits.MAX_TEXT_RUN` bytes.

These are early refusals only: the parser (:mod:`.xmlparts`, :mod:`.sheetxml`) counts
elements, rows, cells, runs and characters again on what it actually parses.  Small
"index" parts (workbook, styles, relations, properties) are capped at
:data:`~optimizer.core.limits.MAX_INDEX_PART_BYTES`.
"""
from __future__ import annotations

import codecs
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator

from optimizer.core import limits as LIM

CHUNK = 1 << 20
assert LIM.MAX_TEXT_RUN >= CHUNK     # a run inside one chunk is then always within the limit

_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma", 9: "deflate64", 93: "zstandard"}
SHEET_TAGS = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,15}:)?(row|c|f|mergeCell)[\s>/]")
STRING_TAGS = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,15}:)?(si)[\s>/]")
_DTD = (b"<!DOCTYPE", b"<!ENTITY")
_DTD_TEXT = ("<!DOCTYPE", "<!ENTITY")
_XML_SUFFIXES = (".xml", ".rels", ".vml")


class Refused(Exception):
    """The file is refused; ``rule`` says why in plain words, ``sheet`` where (or "")."""

    def __init__(self, rule: str, sheet: str = ""):
        super().__init__(rule)
        self.rule, self.sheet = rule, sheet


def declared_members(data: bytes) -> int | None:
    """Member count from the end-of-central-directory record (None if absent or zip64)."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return None
    total = struct.unpack_from("<H", data, at + 10)[0]
    return None if total == 0xFFFF else total


def too_many_members(count: int, repair: str) -> str:
    return (f"the workbook's zip archive has {count:,} members, more than the limit of {LIM.MAX_ZIP_MEMBERS:,} "
            f"members (a damaged or hostile file): {repair}")


def check_archive(infos: list[zipfile.ZipInfo], repair: str) -> None:
    """Member count, compression methods and zip-level encryption."""
    if len(infos) > LIM.MAX_ZIP_MEMBERS:
        raise Refused(too_many_members(len(infos), repair))
    for info in infos:
        if info.flag_bits & 0x1:
            raise Refused(f"the zip member {info.filename} is encrypted with a zip password, which Excel never "
                          f"does: {repair}")
        if info.compress_type not in _METHODS:
            name = _METHOD_NAMES.get(info.compress_type, "unknown")
            raise Refused(f"the zip member {info.filename} uses compression method {info.compress_type} "
                          f"({name}); Excel writes only stored or deflated members: {repair}")


def _raw(data: bytes, info: zipfile.ZipInfo) -> memoryview:
    """The member's compressed bytes, located through its local header (as zipfile does)."""
    at = info.header_offset
    if data[at:at + 4] != b"PK\x03\x04":
        raise Refused(f"the zip member {info.filename} is damaged (no local header where the directory "
                      "points)")
    name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
    start = at + 30 + name_len + extra_len
    if start + info.compress_size > len(data):
        raise Refused(f"the zip member {info.filename} is damaged (its data runs past the end of the file)")
    return memoryview(data)[start:start + info.compress_size]


def inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield the member's bytes in chunks of at most :data:`CHUNK`; size and CRC verified.

    Raises :class:`Refused` as soon as the stream yields more than the declared size.
    """
    raw, declared, total, crc = _raw(data, info), info.file_size, 0, 0
    lie = (f"the zip member {info.filename} declares {declared:,} bytes but expands to more: a damaged "
           f"file or a zip bomb, refused before reading it")
    if info.compress_type == zipfile.ZIP_STORED:
        if len(raw) != declared:
            raise Refused(lie if len(raw) > declared else f"the zip member {info.filename} is damaged "
                          "(shorter than declared)")
        for i in range(0, len(raw), CHUNK):
            out = bytes(raw[i:i + CHUNK])
            crc = zlib.crc32(out, crc)
            yield out
        total = declared
    else:
        d = zlib.decompressobj(-15)
        for i in range(0, len(raw), CHUNK):
            buf = raw[i:i + CHUNK]
            while buf and not d.eof:
                try:
                    out = d.decompress(buf, CHUNK)
                except zlib.error as exc:
                    raise Refused(f"the zip member {info.filename} is damaged ({exc})") from None
                total += len(out)
                if total > declared:
                    raise Refused(lie)
                crc = zlib.crc32(out, crc)
                if out:
                    yield out
                buf = d.unconsumed_tail
            if d.eof:
                break
        if not d.eof:
            raise Refused(f"the zip member {info.filename} is damaged (its compressed data ends early)")
    if total != declared or crc != info.CRC:
        raise Refused(f"the zip member {info.filename} is damaged (its data does not match its declared "
                      "size and checksum)")


def read_member(data: bytes, info: zipfile.ZipInfo, cap: int | None = None) -> bytes:
    """A whole (small) member, verified; refused if it declares more than ``cap`` bytes
    (default :data:`~optimizer.core.limits.MAX_INDEX_PART_BYTES`)."""
    cap = LIM.MAX_INDEX_PART_BYTES if cap is None else cap
    if info.file_size > cap:
        raise Refused(_too_big(info, cap))
    return b"".join(inflate(data, info))


def _too_big(info: zipfile.ZipInfo, cap: int) -> str:
    return (f"the zip member {info.filename} is {info.file_size:,} bytes; a workbook part of this kind is at "
            f"most {cap:,} bytes (a damaged or hostile file)")


def _utf16(head: bytes) -> str | None:
    """The UTF-16 codec of a part starting with ``head`` (BOM or '<' pattern), else None."""
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    if head[:2] == b"<\x00":
        return "utf-16-le"
    if head[:2] == b"\x00<":
        return "utf-16-be"
    return None


class PartScan:
    """Counts tags in one XML part fed chunk by chunk (a tag split between chunks counts once).

    ``tags``: the regex of the tags to count in a UTF-8 part (None: none); ``long_text``:
    check text runs; ``markup``: count every tag (``<``), also in UTF-16, against the
    element limit.
    """

    def __init__(self, name: str, tags: re.Pattern | None, long_text: bool, markup: bool = False):
        self.name, self.tags, self.long_text, self.markup = name, tags, long_text, markup
        self.counts = {b"row": 0, b"c": 0, b"f": 0, b"mergeCell": 0, b"si": 0}
        self.tags_seen = 0
        self.elements = 0          # start tags: '<' not followed by '/', '!' or '?'
        self._last = b""           # the previous chunk's last byte (or character), for two-byte patterns
        self._tail, self._run, self._dtd_tail = b"", 0, b""
        self._decoder = None
        self._text_tail = ""
        self._first = True
        self._pending = b""

    @property
    def rows(self) -> int:
        return self.counts[b"row"]

    @property
    def cells(self) -> int:
        return self.counts[b"c"]

    @property
    def has_formula(self) -> bool:
        return self.counts[b"f"] > 0

    @property
    def has_merge(self) -> bool:
        return self.counts[b"mergeCell"] > 0

    def _dtd(self) -> Refused:
        return Refused(f"the zip member {self.name} declares XML entities (a DTD), which Excel never writes: "
                       "refused as a possible XML entity-expansion bomb or external-entity attack")

    def feed(self, chunk: bytes) -> None:
        if self._first:
            if len(self._pending + chunk) < 4:            # the encoding is known from the first 4 bytes
                self._pending += chunk
                return
            chunk, self._pending = self._pending + chunk, b""
            self._first = False
            codec = _utf16(chunk[:4])
            if codec is not None:
                self._decoder = codecs.getincrementaldecoder(codec)("replace")
        if self._decoder is not None:         # UTF-16: DTD and tags in the decoded text; the parser does the rest
            text = self._decoder.decode(chunk)
            if any(m in self._text_tail + text for m in _DTD_TEXT):
                raise self._dtd()
            self._text_tail = text[-16:]
            probe = (self._last or "") + text
            self._count_markup(text.count("<"), probe.count("</") + probe.count("<!") + probe.count("<?"))
            self._last = text[-1:] or self._last
            return
        probe = self._dtd_tail + chunk
        if any(m in probe for m in _DTD):
            raise self._dtd()
        self._dtd_tail = chunk[-16:]
        probe = (self._last or b"") + chunk
        self._count_markup(chunk.count(b"<"), probe.count(b"</") + probe.count(b"<!") + probe.count(b"<?"))
        self._last = chunk[-1:]
        if self.long_text:
            self._track_text(chunk)
        if self.tags is not None:
            buf = self._tail + chunk
            cut = buf.rfind(b"<")
            if cut < 0:
                self._tail = b""
                return
            self._count(buf[:cut])
            self._tail = buf[cut:cut + 64]   # room for the longest tag name matched

    def finish(self) -> None:
        if self._pending:
            pending, self._pending, self._first = self._pending, b"", False
            self.feed(pending)
        if self.tags is not None and self._decoder is None:
            self._count(self._tail)
            self._tail = b""

    def _count_markup(self, tags: int, not_starts: int) -> None:
        """Tags and start tags (elements) so far: in well-formed XML a '<' opens a tag, and it is an
        element unless '/', '!' or '?' follows, so the counts are exact and cost a C-level count."""
        if not self.markup:
            return
        self.tags_seen += tags
        self.elements += tags - not_starts
        limit = LIM.MAX_XML_ELEMENTS
        if self.elements > limit:
            raise Refused(f"the zip member {self.name} holds more than {limit:,} XML elements (the limit of "
                          f"{limit:,} XML elements per part): a damaged or hostile file (elements by the "
                          "million, e.g. empty ones); delete unused rows and formatting")

    def _count(self, text: bytes) -> None:
        found = self.tags.findall(text)
        for key in self.counts:
            if found:
                self.counts[key] += found.count(key)

    def _track_text(self, chunk: bytes) -> None:
        first = chunk.find(b"<")
        self._run += len(chunk) if first < 0 else first
        if self._run > LIM.MAX_TEXT_RUN:
            raise Refused(f"the zip member {self.name} holds a text of more than {LIM.MAX_TEXT_RUN:,} bytes without "
                          "markup; Excel allows at most 32,767 characters in a cell (a damaged or hostile file)")
        if first >= 0:
            self._run = len(chunk) - chunk.rfind(b"<") - 1


def scan_members(data: bytes, infos: list[zipfile.ZipInfo], sheets: dict[str, str], strings: str | None,
                 parsed: set[str] = frozenset()) -> dict[str, PartScan]:
    """Inflate and verify every member; DTD check of every XML part; pre-count the data-sheet parts
    (``sheets``: part -> sheet name), the shared strings and every part in ``parsed`` (tags).
    Returns the scans of the sheets and strings; raises :class:`Refused`."""
    scans: dict[str, PartScan] = {}
    cells = 0
    for info in infos:
        name = info.filename
        if _is_index_part(name) and info.file_size > LIM.MAX_INDEX_PART_BYTES:
            raise Refused(_too_big(info, LIM.MAX_INDEX_PART_BYTES))
        if name in sheets:
            scan = PartScan(name, SHEET_TAGS, True, True)
        elif name == strings:
            scan = PartScan(name, STRING_TAGS, True, True)
        elif name in parsed:
            scan = PartScan(name, None, False, True)
        else:
            scan = None
        before, first = 0, True
        for chunk in inflate(data, info):
            if first and scan is None and (name.lower().endswith(_XML_SUFFIXES) or _looks_like_xml(chunk)):
                scan = PartScan(name, None, False)      # any XML part, whatever its name: DTD check
            first = False
            if scan is None:
                continue
            scan.feed(chunk)
            if name in sheets:
                cells += scan.cells - before
                before = scan.cells
                _limits(scan, sheets[name], cells)
            elif name == strings and scan.counts[b"si"] > LIM.MAX_SHARED_STRINGS:
                _too_many_strings()
        if scan is not None:
            scan.finish()
            if name in sheets:
                cells += scan.cells - before
                _limits(scan, sheets[name], cells)
            elif name == strings and scan.counts[b"si"] > LIM.MAX_SHARED_STRINGS:
                _too_many_strings()
            if name in sheets or name == strings:
                scans[name] = scan
    return scans


def _looks_like_xml(chunk: bytes) -> bool:
    return chunk[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or _utf16(chunk[:4]) is not None


def _is_index_part(name: str) -> bool:
    return (name in ("[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml") or name.endswith(".rels")
            or name.startswith("docProps/"))


def _limits(scan: PartScan, sheet: str, cells: int) -> None:
    max_rows = LIM.MAX_ROWS_PER_SHEET
    if scan.rows > max_rows + 1:
        raise Refused(f"sheet '{sheet}' has more than {max_rows:,} data rows (at least {scan.rows - 1:,}, counting "
                      f"empty formatted rows): the limit is {max_rows:,} rows per sheet; split the data or delete "
                      "unused rows", sheet)
    if cells > LIM.MAX_CELLS:
        raise Refused(f"the data sheets hold more than {LIM.MAX_CELLS:,} cells (counting empty formatted cells; "
                      f"the limit is {LIM.MAX_CELLS:,} cells; sheet '{sheet}' alone has at least {scan.cells:,}): "
                      "delete unused rows and columns or split the data", sheet)


def _too_many_strings() -> None:
    raise Refused(f"the workbook's shared string table holds more than {LIM.MAX_SHARED_STRINGS:,} strings (the "
                  f"limit is {LIM.MAX_SHARED_STRINGS:,} strings): delete unused sheets or split the data")
