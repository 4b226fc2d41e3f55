"""Corpus sections on whole files: files that are not workbooks, damaged zips, encryption, macros,
oversize; zip and XML bombs and the row, cell and string limits; files saved by LibreOffice."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path

from optimizer.core import limits as LIM
from optimizer.robustness import factory as F
from optimizer.robustness.items import Corpus
from optimizer.robustness.rawzip import (BILLION_LAUGHS, MB, SHEET_HEAD, SHEET_TAIL, XXE, Member, deflated, lying,
                                         members_of, rebuild, sheet_part, supply_rows_xml, wide_rows_xml,
                                         with_shared_strings, zeros_deflate)
from optimizer.sourcing import schema as S

def _ole2_stub() -> bytes:
    """An OLE2 compound-file header with the stream names of an encrypted OOXML package."""
    names = b"".join(n.encode("utf-16-le") + b"\0\0" for n in ("EncryptionInfo", "EncryptedPackage"))
    return bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504 + names + b"\0" * 1024


def encrypted(c: Corpus) -> None:
    try:   # a genuine password-protected workbook when msoffcrypto-tool is installed
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        c.path("encrypted.xlsx").write_bytes(_ole2_stub())
        c.add("encrypted.xlsx", "error", ("password-protected",), "OLE2 file with encryption streams (stub)")
        c.notes.append("encrypted.xlsx is an OLE2 stub: pip install msoffcrypto-tool for a genuine one")
        return
    with open(c.base, "rb") as src, open(c.path("encrypted.xlsx"), "wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    c.add("encrypted.xlsx", "error", ("password-protected",), "workbook encrypted with a password")


def whole_files(c: Corpus) -> None:
    """Files that are not workbooks, damaged zips, macros, oversize."""
    c.cls = "files"
    raw = {
        "csv_renamed.xlsx": (b"material,year,demand\nGA,2025,80\n", ("text file (CSV",)),
        "pdf_renamed.xlsx": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", ("PDF",)),
        "empty.xlsx": (b"", ("empty",)),
        "junk.xlsx": (os.urandom(4096).replace(b"PK", b"pk"), ("not an Excel .xlsx workbook",)),
        "truncated.xlsx": (Path(c.base).read_bytes()[:3000], ("damaged",)),
        "old_format.xls": (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 1536, ("97-2003",)),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    raw["plain_zip.xlsx"] = (buf.getvalue(), ("no xl/workbook.xml",))
    for name, (data, contains) in raw.items():
        c.path(name).write_bytes(data)
        c.add(name, "error", contains, name.rsplit(".", 1)[0].replace("_", " "))
    encrypted(c)
    with open(c.path("oversize.xlsx"), "wb") as fh:          # a sparse 51 MB file costs no disk
        fh.write(b"PK\x03\x04")
        fh.truncate(LIM.MAX_FILE_BYTES + MB)
    c.add("oversize.xlsx", "error", (f"limit of {LIM.MAX_FILE_BYTES:,} bytes",), "file larger than the limit")
    # an .xlsm holding a VBA project part: macros are never run, the data still loads
    ct = members_of(c.base)
    types = next(m for m in ct if m.name == "[Content_Types].xml")
    xml = zlib.decompress(types.data, -15).replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    vba = deflated("xl/vbaProject.bin", bytes.fromhex("D0CF11E0A1B11AE1") + os.urandom(2048))
    rebuild(c.base, c.path("macro.xlsm"), {"[Content_Types].xml": deflated("[Content_Types].xml", xml)}, [vba])
    c.add("macro.xlsm", "ok", (), "macro-enabled workbook with a vbaProject.bin part")
    flip = bytearray(Path(c.base).read_bytes())
    first = next(m for m in members_of(c.base) if m.name.startswith("xl/worksheets/"))
    at = bytes(flip).find(first.name.encode()) + len(first.name) + 40    # inside its compressed data
    flip[at] ^= 0xFF
    c.path("bit_flip.xlsx").write_bytes(bytes(flip))
    c.add("bit_flip.xlsx", "error", ("damaged",), "one byte flipped inside a sheet's compressed data")


# ----------------------------------------------------------------------------- bombs and limits
def bombs(c: Corpus) -> None:
    """XML entity bombs, zip bombs (honest and lying headers), row/cell/string limits."""
    c.cls = "bombs"
    supply = sheet_part(c.base, "Supply")
    real = {m.name: zlib.decompress(m.data, -15) for m in members_of(c.base)}
    sst = "xl/sharedStrings.xml"
    with_shared_strings(c.base, c.path("xml_bomb_strings.xlsx"), deflated(sst, BILLION_LAUGHS))
    c.add("xml_bomb_strings.xlsx", "error", (sst, "entities"), "billion laughs in the shared strings")
    sheet_bomb = BILLION_LAUGHS.replace(b"<sst", b"<worksheet").replace(b"</sst>", b"</worksheet>")
    sheet_bomb = sheet_bomb.replace(b"<si><t>&lol9;</t></si>", b"<sheetData><row r=\"1\"><c r=\"A1\" "
                                    b"t=\"inlineStr\"><is><t>&lol9;</t></is></c></row></sheetData>")
    rebuild(c.base, c.path("xml_bomb_sheet.xlsx"), {supply: deflated(supply, sheet_bomb)})
    c.add("xml_bomb_sheet.xlsx", "error", (supply, "entities"), "billion laughs in a sheet")
    with_shared_strings(c.base, c.path("xxe.xlsx"), deflated(sst, XXE))
    c.add("xxe.xlsx", "error", (sst, "entities"), "external entity (XXE) in the shared strings")
    honest = Member("xl/media/image1.bin", zeros_deflate(4000), 4000 * MB, 0)
    rebuild(c.base, c.path("zip_bomb.xlsx"), extra=[honest])
    c.add("zip_bomb.xlsx", "error", (f"limit of {LIM.MAX_UNCOMPRESSED_BYTES:,} bytes",),
          "4 MB file whose member declares 4,000 MiB")
    for tag, part in (("styles", "xl/styles.xml"), ("sheet", supply), ("workbook", "xl/workbook.xml")):
        if c.quick and tag != "styles":
            continue
        rebuild(c.base, c.path(f"zip_bomb_lying_{tag}.xlsx"), {part: lying(part, real[part], 3000)})
        c.add(f"zip_bomb_lying_{tag}.xlsx", "error", (part, "declares"),
              f"{part} declares its real size and CRC but the stream expands by 3,000 MiB more")
    bz = Member("xl/styles.xml", b"BZh91AY&SY" + os.urandom(64), len(real["xl/styles.xml"]), 0, method=12)
    rebuild(c.base, c.path("bzip2_member.xlsx"), {"xl/styles.xml": bz})
    c.add("bzip2_member.xlsx", "error", ("compression method",), "member compressed with bzip2")
    enc = deflated("xl/styles.xml", real["xl/styles.xml"])
    enc.flags = 1
    rebuild(c.base, c.path("zip_encrypted_member.xlsx"), {"xl/styles.xml": enc})
    c.add("zip_encrypted_member.xlsx", "error", ("encrypted",), "zip-level (ZipCrypto) encrypted member")
    rows = 250_000 if c.quick else 1_000_000
    rebuild(c.base, c.path("million_rows.xlsx"), {supply: deflated(supply, supply_rows_xml(rows), 1)})
    c.add("million_rows.xlsx", "error", ("Supply", f"{LIM.MAX_ROWS_PER_SHEET:,}"), f"{rows:,} rows on Supply")
    nested = SHEET_HEAD + b"<row r=\"1\">" + b"<x>" * 200_000 + b"</x>" * 200_000 + b"</row>" + SHEET_TAIL
    rebuild(c.base, c.path("deep_nesting.xlsx"), {supply: deflated(supply, nested)})
    c.add("deep_nesting.xlsx", "error", ("Supply",), "200,000 nested XML elements in a sheet")
    if c.quick:
        return
    demand = sheet_part(c.base, "Demand")
    wide = wide_rows_xml(S.DEMAND.headers[:3], 25_000, 100)
    rebuild(c.base, c.path("too_many_cells.xlsx"), {demand: deflated(demand, wide, 1)})
    c.add("too_many_cells.xlsx", "error", ("cells", f"{LIM.MAX_CELLS:,}"), "25,000 rows x 100 columns on Demand")
    table = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
             *(b"".join(b"<si><t>s%d</t></si>" % i for i in range(k, k + 10_000)) for k in range(0, 2_000_000, 10_000)),
             b"</sst>")
    with_shared_strings(c.base, c.path("too_many_strings.xlsx"), deflated(sst, table, 1))
    c.add("too_many_strings.xlsx", "error", ("strings", f"{LIM.MAX_SHARED_STRINGS:,}"), "2,000,000 shared strings")
    big = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>',
           *(b"y" * MB for _ in range(300)), b"</t></si></sst>")
    with_shared_strings(c.base, c.path("huge_string.xlsx"), deflated(sst, big, 1))
    c.add("huge_string.xlsx", "error", ("32,767 characters",), "one 300 MB string in the shared strings")
    many = [deflated(f"xl/media/m{i}.bin", b"") for i in range(60_000)]
    rebuild(c.base, c.path("many_members.xlsx"), extra=many)
    c.add("many_members.xlsx", "error", ("members", f"{LIM.MAX_ZIP_MEMBERS:,}"), "60,000 zip members")


# ----------------------------------------------------------------------------- LibreOffice
def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _convert(exe: str, src: Path, fmt: str, outdir: Path) -> Path:
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        subprocess.run([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", fmt,
                        "--outdir", str(outdir), str(src)], check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return outdir / f"{src.stem}.{fmt.split(':')[0]}"


def libreoffice(c: Corpus) -> None:
    """The valid workbook and a formula workbook as saved by LibreOffice; .ods and .xls renamed."""
    c.cls = "libreoffice"
    exe = soffice()
    if exe is None:
        c.notes.append("skipped the LibreOffice-saved items: soffice not found "
                       "(apt-get install -y libreoffice-calc-nogui)")
        return
    work = c.folder / ".lo"
    work.mkdir(exist_ok=True)
    formula = F.edit(Path(shutil.copy(c.base, work / "formulas.xlsx")), "Supply",
                     {F.cell("Supply", "capacity", 3): "=50+50"}, as_text=False)
    jobs = [("libreoffice_formulas.xlsx", formula, "xlsx", "ok", (), "formula workbook re-saved by LibreOffice "
             "(now with cached values)")]
    if not c.quick:
        jobs += [("libreoffice_saved.xlsx", c.base, "xlsx", "ok", (), "valid workbook re-saved by LibreOffice"),
                 ("ods_renamed.xlsx", c.base, "ods", "error", ("OpenDocument",), "LibreOffice .ods renamed .xlsx"),
                 ("excel97.xls", c.base, "xls:MS Excel 97", "error", ("97-2003",), "Excel 97-2003 .xls")]
    for name, src, fmt, expect, contains, what in jobs:
        try:
            out = _convert(exe, Path(src), fmt, work / name.replace(".", "_"))
        except (subprocess.SubprocessError, OSError) as exc:
            c.notes.append(f"skipped {name}: soffice failed ({type(exc).__name__})")
            continue
        shutil.move(out, c.path(name))
        c.add(name, expect, contains, what)
