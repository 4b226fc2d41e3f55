"""Run ``sourcing <argv>`` in a child process with resource limits; report exit code and peak memory.

Two ways, same limits (address space ``RLIMIT_AS``, CPU seconds, size of files written, no
core dumps) and the same judgement by the caller:

* ``fork`` (default): a fresh child forked from a ``multiprocessing`` fork server that has
  already imported the tool, so an item costs its own work only (about 0.1 s for a refused
  file instead of about 1 s of interpreter start-up and imports);
* ``exec``: a brand-new Python interpreter per item, exactly as a user starts the CLI.

In both, an uncaught exception prints a traceback on the child's stderr and exits 1; the
child records its peak resident set (``VmHWM`` of its own process image) in a file on the
way out, and the parent also polls it while waiting, so a child killed at the wall-time
limit still has a figure.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]   # the folder holding the optimizer package
PRELOAD = ["optimizer.cli", "optimizer.sourcing.validate", "optimizer.sourcing.run", "optimizer.sourcing.report",
           "optimizer.robustness.webcheck"]
LOST_STATUS = 255   # multiprocessing's exit code when the fork server could not report the child's
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# The exec-mode child, given: memory limit, CPU limit, peak file, as-user flag, entry, arguments.
CHILD = """\
import importlib, resource, sys
limit, cpu, peak_file, as_user, entry = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024 * 1024,) * 2)
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if as_user == "1":
    from optimizer.robustness.child import drop_permission_override
    drop_permission_override()
try:
    module, name = entry.split(":")
    sys.exit(getattr(importlib.import_module(module), name)(sys.argv[6:]))
finally:
    with open("/proc/self/status") as fh, open(peak_file, "w") as out:
        out.write(next((line.split()[1] for line in fh if line.startswith("VmHWM:")), "0"))
"""
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2
_PR_CAPBSET_DROP = 24


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_permission_override() -> bool:
    """Run as any user would with regard to file permissions: when this process is root, give up
    the capabilities that let root read and write whatever the permissions say (CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH), so an unreadable input or a read-only folder is what it is.  True when
    the permissions now apply (always for a non-root process)."""
    if os.geteuid() != 0:
        return True
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
            libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
        header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
        if libc.capget(ctypes.byref(header), data) != 0:
            return False
        keep = ~((1 << _CAP_DAC_OVERRIDE) | (1 << _CAP_DAC_READ_SEARCH)) & 0xFFFFFFFF
        for field in ("effective", "permitted", "inheritable"):
            setattr(data[0], field, getattr(data[0], field) & keep)
        return libc.capset(ctypes.byref(header), data) == 0
    except (OSError, AttributeError):
        return False


def peak_kb(pid: int | str = "self") -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return int(next((line.split()[1] for line in fh if line.startswith("VmHWM:")), 0))
    except (OSError, ValueError):
        return 0


def _forked(argv, stdout: str, stderr: str, cwd: str, memory: int, cpu: int, peak_file: str, entry: str,
            as_user: bool = False):
    """The fork-mode child: limits, output files, working folder, then ``entry(argv)``."""
    if as_user:
        drop_permission_override()
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024 * 1024,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for fd, path in ((1, stdout), (2, stderr)):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    os.chdir(cwd)
    try:
        module, name = entry.split(":")
        code = getattr(__import__(module, fromlist=[name]), name)(argv)
    finally:
        sys.stdout.flush()
        Path(peak_file).write_text(str(peak_kb()))
    sys.exit(code)


_context = None


def start_fork_server() -> None:
    """Start the fork server now (before worker threads ask for it)."""
    _fork_context()


def _fork_context():
    """The fork server, started once with the tool imported and single-threaded math libraries."""
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        # Each forked child re-runs the parent's main module as __mp_main__ (multiprocessing's
        # rule); under ``python -m optimizer.cli`` runpy then warns that the module is already
        # imported, which is harmless here.
        server_env = {**THREAD_ENV, "PYTHONWARNINGS": "ignore::RuntimeWarning:runpy"}
        saved = {k: os.environ.get(k) for k in server_env}
        os.environ.update(server_env)
        try:
            from multiprocessing import forkserver
            forkserver.ensure_running()
        finally:
            for k, v in saved.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        _context = ctx
    return _context


def run_child(argv: list[str], work: Path, memory: int, wall: float, isolation: str = "fork",
              entry: str = "optimizer.cli:main", as_user: bool = False) -> tuple[int | None, float, float]:
    """Run the CLI with ``argv`` in ``work`` (stdout.txt, stderr.txt written there).

    Returns (exit code, or None if killed at the wall-time limit; seconds; peak memory MB).
    """
    peak_file, cpu = work / "peak_kb.txt", int(wall) + 1
    out, err = work / "stdout.txt", work / "stderr.txt"
    t0 = time.monotonic()
    polled = 0
    if isolation == "fork":
        proc = _fork_context().Process(target=_forked, args=(argv, str(out), str(err), str(work), memory, cpu,
                                                             str(peak_file), entry, as_user))
        proc.start()
        while proc.exitcode is None and time.monotonic() < t0 + wall:
            polled = max(polled, peak_kb(proc.pid))
            proc.join(0.02)
        if proc.exitcode is None:
            proc.kill()
            proc.join()
            code = None
        else:
            code = proc.exitcode
        proc.close()
    else:
        env = {**os.environ, **THREAD_ENV, "PYTHONDONTWRITEBYTECODE": "1"}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        with open(out, "wb") as fo, open(err, "wb") as fe:
            proc = subprocess.Popen([sys.executable, "-c", CHILD, str(memory), str(cpu), str(peak_file),
                                     "1" if as_user else "0", entry, *argv],
                                    stdin=subprocess.DEVNULL, stdout=fo, stderr=fe, cwd=work, env=env)
            code, polled = _wait(proc, t0 + wall)
    seconds = time.monotonic() - t0
    try:
        reported = int(peak_file.read_text() or 0)
    except (OSError, ValueError):
        reported = 0
    return code, seconds, max(polled, reported) / 1024


def _wait(proc: subprocess.Popen, deadline: float) -> tuple[int | None, int]:
    """Reap an exec-mode child, polling so that a hung one can be killed; (exit code or None, peak kB)."""
    peak = 0
    while True:
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, peak
        peak = max(peak, peak_kb(proc.pid))
        if time.monotonic() > deadline:
            os.kill(proc.pid, signal.SIGKILL)
            _, status = os.waitpid(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return None, peak
        time.sleep(0.01)
