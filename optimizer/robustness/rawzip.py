"""Zip files written byte by byte, for the hostile-input corpus (:mod:`optimizer.robustness.corpus`).

:func:`write_raw_zip` writes local headers, data and central directory exactly as given,
so a member can declare a size and CRC that its compressed stream does not honour
(:func:`lying`).  :func:`zeros_deflate` builds a GB-sized deflate stream in
kilobytes, and the ``*_xml`` generators yield sheet XML in batches so that a
million-row sheet is never built as one Python string.
"""
from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from openpyxl.utils import get_column_letter

from optimizer.sourcing import schema as S

MB = 1 << 20


# ----------------------------------------------------------------------------- raw zip writing
@dataclass
class Member:
    """One zip member as stored: ``data`` is already compressed with ``method``."""

    name: str
    data: bytes
    size: int          # uncompressed size written in the headers (may lie)
    crc: int
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0


def deflated(name: str, chunks, level: int = 6) -> Member:
    """Member holding the concatenation of ``chunks`` (bytes or an iterable of bytes), deflated."""
    if isinstance(chunks, (bytes, bytearray)):
        chunks = [chunks]
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    parts, crc, size = [], 0, 0
    for chunk in chunks:
        crc, size = zlib.crc32(chunk, crc), size + len(chunk)
        parts.append(c.compress(chunk))
    parts.append(c.flush())
    return Member(name, b"".join(parts), size, crc)


def zeros_deflate(megabytes: int) -> bytes:
    """A raw deflate stream of ``megabytes`` MiB of zero bytes, about 1 KB per MiB.

    A full flush makes each 1 MiB segment self-contained and byte-aligned, so one
    segment repeated is a valid stream: a GB-sized expansion costs nothing to build.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = c.compress(b"\0" * MB) + c.flush(zlib.Z_FULL_FLUSH)
    return segment * megabytes + zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)


def write_raw_zip(path: Path, members: list[Member]) -> Path:
    """Write local headers, data, central directory and end record exactly as given."""
    body, central = bytearray(), bytearray()
    for m in members:
        name = m.name.encode()
        offset = len(body)
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, m.flags, m.method, 0, 0x21,
                            m.crc & 0xFFFFFFFF, len(m.data), m.size, len(name), 0) + name + m.data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, m.flags, m.method, 0, 0x21,
                               m.crc & 0xFFFFFFFF, len(m.data), m.size, len(name), 0, 0, 0, 0, 0,
                               offset) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(body), 0)
    Path(path).write_bytes(bytes(body + central + end))
    return Path(path)


def members_of(path: Path) -> list[Member]:
    """Honest, re-deflated members of a (trusted, generated) zip file."""
    with zipfile.ZipFile(path) as zf:
        return [deflated(i.filename, zf.read(i.filename)) for i in zf.infolist()]


def rebuild(src: Path, dst: Path, replace: dict[str, Member] | None = None, extra=()) -> Path:
    """Copy ``src`` member by member, swapping in ``replace`` members and appending ``extra``."""
    replace = dict(replace or {})
    members = [replace.pop(m.name, m) for m in members_of(src)]
    return write_raw_zip(dst, members + list(replace.values()) + list(extra))


SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def with_shared_strings(src: Path, dst: Path, strings: Member) -> Path:
    """``src`` plus a shared-string part (declared in the content types and the workbook's
    relations, so every reader parses it) holding ``strings`` (named xl/sharedStrings.xml)."""
    real = {m.name: zlib.decompress(m.data, -15) for m in members_of(src)}
    types = real["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + SST_TYPE + b'"/></Types>')
    rels = real["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdSst" Type="' + SST_REL + b'" Target="sharedStrings.xml"/>'
        b"</Relationships>")
    return rebuild(src, dst, {"[Content_Types].xml": deflated("[Content_Types].xml", types),
                              "xl/_rels/workbook.xml.rels": deflated("xl/_rels/workbook.xml.rels", rels)},
                   [strings])


def sheet_part(path: Path, title: str) -> str:
    """Zip member name of worksheet ``title`` in a generated workbook."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    with zipfile.ZipFile(path) as zf:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    rid = next(s.get(f"{{{ns['r']}}}id") for s in wb.iter(f"{{{ns['m']}}}sheet") if s.get("name") == title)
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def sheet_xml(path: Path, title: str) -> bytes:
    """The XML of worksheet ``title`` of a generated workbook."""
    with zipfile.ZipFile(path) as zf:
        return zf.read(sheet_part(path, title))


def with_sheet_xml(src: Path, dst: Path, title: str, xml, level: int = 6) -> Path:
    """``src`` with the XML of worksheet ``title`` replaced by ``xml`` (bytes or an iterable of bytes)."""
    part = sheet_part(src, title)
    return rebuild(src, dst, {part: deflated(part, xml, level)})


# ----------------------------------------------------------------------------- sheet XML by hand
SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def xml_row(r: int, values) -> bytes:
    """One ``<row>`` of inline-string and number cells (None = no cell)."""
    cells = []
    for j, v in enumerate(values, 1):
        ref = f"{get_column_letter(j)}{r}"
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            text = str(v).replace("&", "&amp;").replace("<", "&lt;")
            cells.append(_inline(ref, text))
        else:
            cells.append(f'<c r="{ref}"><v>{v!r}</v></c>')
    return f'<row r="{r}">{"".join(cells)}</row>'.encode()


def supply_rows_xml(n_rows: int, batch: int = 20_000):
    """Supply sheet XML with ``n_rows`` data rows, yielded in batches (never built whole)."""
    yield SHEET_HEAD + ("<row r=\"1\">" + "".join(_inline(f"{get_column_letter(j)}1", h) for j, h in
                                                   enumerate(S.SUPPLY.headers[:5], 1)) + "</row>").encode()
    for start in range(2, n_rows + 2, batch):
        yield "".join(
            f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>GA</t></is></c><c r="B{r}" t="inlineStr"><is><t>'
            f'CN</t></is></c><c r="C{r}"><v>{2025 + r % 3}</v></c><c r="D{r}"><v>{r % 997}</v></c>'
            f'<c r="E{r}"><v>300</v></c></row>' for r in range(start, min(start + batch, n_rows + 2))).encode()
    yield SHEET_TAIL


def wide_rows_xml(headers: list[str], n_rows: int, n_cols: int):
    """A sheet with the given headers and ``n_rows`` x ``n_cols`` numeric cells."""
    yield SHEET_HEAD + ("<row r=\"1\">" + "".join(_inline(f"{get_column_letter(j)}1", h)
                                                   for j, h in enumerate(headers, 1)) + "</row>").encode()
    cells = "".join(f"<c><v>{j}</v></c>" for j in range(n_cols))
    for start in range(2, n_rows + 2, 5_000):
        yield "".join(f'<row r="{r}">{cells}</row>' for r in range(start, min(start + 5_000, n_rows + 2))).encode()
    yield SHEET_TAIL


BILLION_LAUGHS = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b']>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                    b'uniqueCount="1"><si><t>&lol9;</t></si></sst>')
XXE = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
       b"<si><t>&xxe;</t></si></sst>")


def lying(name: str, real: bytes, extra_mb: int) -> Member:
    """``real`` followed by ``extra_mb`` MiB of zeros in the stream, but size and CRC of ``real`` only."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    head = c.compress(real) + c.flush(zlib.Z_FULL_FLUSH)
    return Member(name, head + zeros_deflate(extra_mb), len(real), zlib.crc32(real))
