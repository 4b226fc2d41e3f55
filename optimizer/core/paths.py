"""Paths given by a user: what is wrong with one as an output, in plain words, before any work.

:func:`output_problem` looks at an output path without creating anything: the target is a
folder, a pipe or a device; a part of its folder is a file (e.g. ``outputs`` exists as a
file); the name is longer than the file system allows; the path is a loop of symbolic
links; the folder is read-only or on a special file system.  :func:`write_error` turns an
``OSError`` met while writing into the same kind of message, for what only the write itself
can show (a disk full, ``/proc``).  :class:`OutputError` is a usage error (exit code 2).
Input paths are checked by :func:`optimizer.core.workbook.inputfile.input_problem`.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from optimizer.core.errors import UsageError

_ERRNO = {
    errno.EACCES: "permission denied: this user may not write there",
    errno.EPERM: "the operation is not permitted there",
    errno.EROFS: "the folder is on a read-only file system",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.ENAMETOOLONG: "the name is too long for this file system",
    errno.ELOOP: "the path is a loop of symbolic links",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "the path is a folder",
    errno.EEXIST: "a file is in the way of a folder the path needs",
    errno.ENOENT: "the folder does not exist and cannot be created (a special file system?)",
    errno.EXDEV: "the folder is on another file system",
    errno.EINVAL: "this file system does not accept ordinary files (a special file system?)",
    errno.EFBIG: "the file is too large for this file system",
    errno.EIO: "the disk reported an input/output error",
}


class OutputError(UsageError):
    """An output path that cannot be written (exit code 2, like every usage error)."""


def shown(path) -> str:
    """A path as text for a message (bytes that are not UTF-8 shown as escapes)."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def output_problem(path, protect=()) -> str | None:
    """What is wrong with ``path`` as an output file (None if it can be tried).  ``protect``:
    paths that must never be written (the input workbooks)."""
    p = Path(path)
    text = os.fspath(path)
    if not p.name or p.name in (".", "..") or str(text).endswith(("/", os.sep)):
        return "the path names a folder, not a file: add a file name such as result.xlsx"
    for q in protect:
        if q and _same(p, Path(q)):
            return f"it is the input workbook {shown(q)}: refusing to overwrite an input; choose another name"
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        if exc.errno != errno.ENOTDIR:
            return _ERRNO.get(exc.errno, exc.strerror or str(exc))
        st = None
    except ValueError:
        return "the path is not a valid file name"
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            return "it is a folder: give a file name inside it, e.g. " + shown(p / "result.xlsx")
        if not stat.S_ISREG(st.st_mode):
            return "it is a pipe, a device or another special file, not a workbook file: refusing to replace it"
    if len(os.fsencode(p.name)) > _name_max(_existing_ancestor(p.parent)):
        return (f"the file name is {len(os.fsencode(p.name)):,} bytes long, more than the "
                f"{_name_max(_existing_ancestor(p.parent))} this file system allows: choose a shorter name")
    folder = _existing_ancestor(p.parent)
    blocker = _file_in_the_way(p.parent)
    if blocker is not None:
        return (f"{shown(blocker)} is a file, not a folder, so nothing can be written below it: rename it or "
                "choose another output path")
    if not os.access(folder, os.W_OK | os.X_OK):
        why = "read-only" if _read_only(folder) else "not writable by this user"
        return f"the folder {shown(folder)} is {why}: choose another output path"
    if folder == (p.parent if str(p.parent) else Path(".")):
        return _probe(folder)
    return None


def _probe(folder: Path) -> str | None:
    """Can a new file be created in ``folder``?  Tried with an unnamed temporary file (nothing is
    left, whatever happens), else a hidden probe file removed at once.  Catches what permissions
    do not show: special file systems (/proc, /sys), read-only mounts, quotas."""
    try:
        if hasattr(os, "O_TMPFILE"):
            try:
                os.close(os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o600))
                return None
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
                    raise
        probe = folder / f".sourcing-probe.{os.getpid()}-{os.urandom(6).hex()}.tmp"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as exc:
        why = _ERRNO.get(exc.errno, exc.strerror or str(exc))
        if exc.errno == errno.ENOENT:
            why = "it does not accept new files (a special file system such as /proc)"
        return f"no file can be created in the folder {shown(folder)}: {why}; choose another output path"
    return None


def _same(a: Path, b: Path) -> bool:
    try:
        if os.path.realpath(a) == os.path.realpath(b):
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _existing_ancestor(folder: Path) -> Path:
    q = folder if str(folder) else Path(".")
    while True:
        try:
            if q.is_dir():
                return q
        except OSError:
            pass
        if q.parent == q:
            return q
        q = q.parent


def _file_in_the_way(folder: Path) -> Path | None:
    """The first component of ``folder`` that exists and is not a folder, if any."""
    parts = [folder, *folder.parents]
    for q in reversed(parts):
        try:
            st = os.stat(q)
        except OSError:
            return None
        if not stat.S_ISDIR(st.st_mode):
            return q
    return None


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def folder_problem(path) -> str | None:
    """What is wrong with ``path`` as a folder to create or write into (None if it can be tried)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        if exc.errno != errno.ENOTDIR:
            return _ERRNO.get(exc.errno, exc.strerror or str(exc))
        st = None
    except ValueError:
        return "the path is not a valid folder name"
    if st is not None and not stat.S_ISDIR(st.st_mode):
        return "it is a file, not a folder"
    blocker = _file_in_the_way(p.parent)
    if blocker is not None:
        return f"{shown(blocker)} is a file, not a folder"
    folder = p if st is not None else _existing_ancestor(p.parent)
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {shown(folder)} is {'read-only' if _read_only(folder) else 'not writable by this user'}"
    return None


def describe(exc: OSError) -> str:
    """An ``OSError`` in plain words, naming the path."""
    why = _ERRNO.get(exc.errno, exc.strerror or type(exc).__name__)
    return f"{shown(exc.filename)}: {why}" if exc.filename is not None else why


def write_error(exc: OSError, path, what: str = "the output") -> OutputError:
    """The :class:`OutputError` for an ``OSError`` met while writing ``path``."""
    why = _ERRNO.get(exc.errno, exc.strerror or type(exc).__name__)
    return OutputError(f"cannot write {what} {shown(path)}: {why}; choose another path (-o)")


def check_output(path, protect=(), what: str = "the output") -> None:
    """Raise :class:`OutputError` when :func:`output_problem` finds something."""
    problem = output_problem(path, protect)
    if problem is not None:
        raise OutputError(f"cannot write {what} {shown(path)}: {problem}")
