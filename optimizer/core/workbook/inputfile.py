"""The input file itself, before it is opened as a zip: what kind of path it is, its size, and
plain words for a file that is not a workbook (see :mod:`.reader`, which uses these first)."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from optimizer.core import limits as LIM
from optimizer.core.issues import InputError, Issue

OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
SAVE_AS = "open it in Excel or LibreOffice and save it as 'Excel Workbook (.xlsx)'"


def fail(path, rule: str, value="") -> InputError:
    return InputError([Issue("", "", value, rule)], str(path))


# --------------------------------------------------------------------------- the file itself
STAT_ERRORS = {
    errno.ENOENT: "file not found",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EACCES: "permission denied: the file or one of its folders cannot be read by this user; check the "
                  "file's permissions or copy it somewhere readable",
    errno.ELOOP: "the path is a loop of symbolic links, not a workbook file: check the links",
    errno.ENAMETOOLONG: "the file name is too long for this system: rename the file or move it",
}


def input_problem(p: Path) -> str | None:
    """What is wrong with ``p`` as a workbook to read (None when it is a regular file).  Never
    opens anything, so a pipe or a device cannot block or be consumed."""
    try:
        st = os.stat(p)
    except OSError as exc:
        return STAT_ERRORS.get(exc.errno, f"the file cannot be opened ({exc.strerror or exc})")
    except ValueError:                       # e.g. a NUL byte in the path
        return "the path is not a valid file name"
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        return "this is a folder, not a workbook file"
    if stat.S_ISFIFO(mode):
        return "this is a pipe (FIFO), not a workbook file: save the workbook to a file and give its path"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "this is a device, not a workbook file: give the path of the saved .xlsx workbook"
    if stat.S_ISSOCK(mode):
        return "this is a socket, not a workbook file"
    if not stat.S_ISREG(mode):
        return "this is not a regular file: give the path of the saved .xlsx workbook"
    return None


def read_bytes(p: Path) -> bytes:
    problem = input_problem(p)
    if problem is not None:
        raise fail(p, problem, str(p))
    limit = LIM.MAX_FILE_BYTES
    size = p.stat().st_size
    if size > limit:
        raise fail(p, f"the file is {size:,} bytes, more than the limit of {limit:,} bytes: remove unused sheets, "
                       "images and formatting, or split the data")
    try:
        with open(p, "rb") as fh:
            chunks, total = [], 0
            while total <= limit and (chunk := fh.read(min(1 << 20, limit + 1 - total))):
                chunks.append(chunk)
                total += len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise fail(p, STAT_ERRORS.get(exc.errno, f"the file cannot be read ({exc.strerror or exc})"),
                    str(p)) from None
    if len(data) > limit:
        raise fail(p, f"the file is more than the limit of {limit:,} bytes: remove unused sheets, images and "
                       "formatting, or split the data")
    return data


def identify_non_zip(data: bytes, suffix: str) -> str:
    """Plain-words description of a file that is not a zip, and what to do."""
    if not data:
        return "the file is empty (0 bytes): choose the saved .xlsx workbook"
    if data.startswith(OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            return ("this workbook is password-protected (encrypted), so it cannot be read: remove the password "
                    "(Excel: File > Info > Protect Workbook > Encrypt with Password, clear it; LibreOffice: "
                    "File > Properties > Security) and save it again as .xlsx")
        if suffix == ".xls":
            return f"this is an old Excel 97-2003 .xls workbook, which is not supported: {SAVE_AS}"
        return ("this is an OLE2 compound file: a password-protected (encrypted) workbook or an old "
                ".xls file. Remove the password (Excel: File > Info > Protect Workbook > Encrypt with "
                f"Password, clear it) and {SAVE_AS.replace('open it in Excel or LibreOffice and ', '')}")
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
        return f"this is a text file (CSV, HTML or similar) renamed {suffix or ''}, not an Excel workbook: {SAVE_AS}"
    return f"this file is not an Excel .xlsx workbook (unknown format): {SAVE_AS}"
