"""Run each upload in its own process with its own time and memory limit, without letting slow
uploads hold back the others.

:class:`JobRunner` is an :class:`~concurrent.futures.Executor`: ``submit(fn, *args)`` runs
``fn(*args)`` in a fresh child process forked from a ``multiprocessing`` fork server (started
once, with the tool imported, so a job costs its own work only; the web server's threads are
never forked).  In the child the address space is capped (``RLIMIT_AS``, ``memory_mb``) and the
parent kills it after ``seconds`` of wall time; either way the job's future fails with
:class:`JobLimitExceeded`, whose message names the limit.  Nothing a job does can take the
others down: a crash ends that child only.

Scheduling: ``workers`` jobs run at once, in order of arrival.  So that a few slow (or hostile)
uploads cannot keep a normal one waiting for their whole time limit, a job that has run longer
than ``patience`` seconds stops counting against ``workers``: when every running job is past
its patience, one more may start, up to ``2 * workers`` at once (each still under its own
limits).
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import threading
import time
from collections import deque
from concurrent.futures import Executor, Future

from optimizer.core import limits as LIM

PRELOAD = ["optimizer.web.jobs"]
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class JobLimitExceeded(RuntimeError):
    """A job stopped by its time or memory limit (or that died); the message says which, in plain words."""


class JobCancelled(RuntimeError):
    """A job stopped because its user cancelled it."""


_LIVE = set()              # the runners not yet shut down (the fork server is shared by all of them)
_LIVE_LOCK = threading.Lock()


def stop_helpers() -> None:
    """Stop multiprocessing's fork server and resource tracker (after every job process has ended),
    so nothing of the server is left running, re-parented to PID 1."""
    from multiprocessing import forkserver, resource_tracker
    for helper in (getattr(forkserver, "_forkserver", None), getattr(resource_tracker, "_resource_tracker", None)):
        stop = getattr(helper, "_stop", None)
        if stop is None:
            continue
        try:
            stop()
        except (OSError, ChildProcessError, TypeError, ValueError):
            pass


def _child(conn, fn, args, memory_mb: int, seconds: float):
    """The job process: limits first, then ``fn(*args)``; the outcome goes back through ``conn``."""
    limit = int(memory_mb) * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        cpu = int(seconds) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    try:
        conn.send(("ok", fn(*args)))
    except MemoryError:
        conn.send(("memory", None))
    except BaseException as exc:   # noqa: BLE001 - reported to the parent, never a traceback to the user
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class _Running:
    __slots__ = ("proc", "conn", "future", "started", "cancelled")

    def __init__(self, proc, conn, future):
        self.proc, self.conn, self.future, self.started = proc, conn, future, time.monotonic()
        self.cancelled = False


class JobRunner(Executor):
    """See the module docstring."""

    def __init__(self, workers: int = 2, seconds: float = LIM.JOB_SECONDS, memory_mb: int = LIM.JOB_MEMORY_MB,
                 patience: float = LIM.JOB_PATIENCE_SECONDS):
        self.workers, self.seconds, self.memory_mb, self.patience = int(workers), float(seconds), int(memory_mb), \
            float(patience)
        self._pending: deque = deque()
        self._running: list[_Running] = []
        self._lock = threading.Condition()
        self._closed = False
        self._ctx = None
        self._thread = threading.Thread(target=self._loop, name="job-runner", daemon=True)
        self._thread.start()
        with _LIVE_LOCK:
            _LIVE.add(self)

    # ------------------------------------------------------------------ Executor
    def submit(self, fn, /, *args, **kwargs) -> Future:
        if kwargs:
            raise TypeError("JobRunner.submit takes positional arguments only")
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the job runner is shut down")
            self._pending.append((fn, args, future))
            self._lock.notify_all()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking jobs; with ``cancel_futures`` kill the running ones.  With ``wait`` every job
        process is reaped, and the last runner to shut down stops the fork server and the resource
        tracker too, so no process of the server outlives it."""
        with self._lock:
            self._closed = True
            pending = list(self._pending) if cancel_futures else []
            if cancel_futures:
                self._pending.clear()
            running = list(self._running)
            self._lock.notify_all()
        for _, _, future in pending:
            future.cancel()
        if cancel_futures or not wait:
            for job in running:
                self._stop(job)
        if wait:
            self._thread.join(timeout=10 if cancel_futures else self.seconds + 10)
            for job in running:
                try:
                    job.proc.join(timeout=5)
                except (ValueError, AssertionError, OSError):
                    pass
        with _LIVE_LOCK:
            _LIVE.discard(self)
            last = not _LIVE
        if wait and last and self._ctx is not None:
            stop_helpers()

    def cancel(self, future: Future) -> bool:
        """Cancel a queued job, or kill a running one (its future then fails with :class:`JobCancelled`)."""
        with self._lock:
            for item in list(self._pending):
                if item[2] is future:
                    self._pending.remove(item)
                    return future.cancel()
            job = next((j for j in self._running if j.future is future), None)
            if job is None:
                return False
            job.cancelled = True
        self._stop(job)
        return True

    # ------------------------------------------------------------------ the loop
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def _may_start(self, now: float) -> bool:
        if not self._pending:
            return False
        if len(self._running) < self.workers:
            return True
        return len(self._running) < 2 * self.workers and \
            all(now - job.started > self.patience for job in self._running)

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._closed and not self._pending and not self._running:
                    return
                while not self._closed and self._may_start(time.monotonic()):
                    fn, args, future = self._pending.popleft()
                    if future.set_running_or_notify_cancel():
                        self._start(fn, args, future)
            self._watch()
            with self._lock:
                self._lock.wait(timeout=0.05 if self._running else 0.5)

    def _context(self):
        if self._ctx is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            saved = {k: os.environ.get(k) for k in THREAD_ENV}
            os.environ.update(THREAD_ENV)
            try:
                from multiprocessing import forkserver
                forkserver.ensure_running()
            finally:
                for k, v in saved.items():
                    os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
            self._ctx = ctx
        return self._ctx

    def _start(self, fn, args, future: Future) -> None:
        try:
            ctx = self._context()
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(writer, fn, args, self.memory_mb, self.seconds), daemon=True)
            proc.start()
            writer.close()
        except Exception as exc:   # noqa: BLE001 - e.g. no more processes: this job fails, the server goes on
            future.set_exception(JobLimitExceeded(f"the run could not be started ({type(exc).__name__}: {exc})"))
            return
        self._running.append(_Running(proc, reader, future))

    def _watch(self) -> None:
        """Collect finished jobs, stop those past their time limit."""
        with self._lock:
            running = list(self._running)
        for job in running:
            outcome = None
            try:
                if job.conn.poll(0):
                    outcome = job.conn.recv()
            except (EOFError, OSError):
                outcome = ("died", None)
            if outcome is None and not job.proc.is_alive():
                outcome = ("died", None)
            if job.cancelled:
                outcome = ("cancelled", None)
            if outcome is None and time.monotonic() - job.started > self.seconds:
                self._stop(job)
                outcome = ("time", None)
            if outcome is None:
                continue
            self._finish(job, outcome)

    def _finish(self, job: _Running, outcome) -> None:
        kind, value = outcome
        job.proc.join(timeout=5)
        if job.proc.is_alive():
            self._stop(job)
        code = job.proc.exitcode
        try:
            job.conn.close()
            job.proc.close()
        except (ValueError, OSError):
            pass
        with self._lock:
            if job in self._running:
                self._running.remove(job)
            self._lock.notify_all()
        if job.future.done():
            return
        if kind == "cancelled":
            job.future.set_exception(JobCancelled("the run was cancelled"))
        elif kind == "ok":
            job.future.set_result(value)
        elif kind == "time":
            job.future.set_exception(JobLimitExceeded(
                f"the run took longer than the time limit of one job ({self.seconds:g} s) and was stopped: the "
                "workbook is too large for this server, or damaged; try it with 'sourcing validate' locally"))
        elif kind == "memory":
            job.future.set_exception(JobLimitExceeded(
                f"the run needed more memory than the limit of one job ({self.memory_mb:,} MB) and was stopped: "
                "the workbook is too large for this server, or damaged"))
        elif kind == "error":
            job.future.set_exception(JobLimitExceeded(f"the run failed ({value})"))
        else:
            why = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
            job.future.set_exception(JobLimitExceeded(
                f"the run stopped unexpectedly ({why}), e.g. at the memory limit of one job "
                f"({self.memory_mb:,} MB): the workbook is too large for this server, or damaged"))

    @staticmethod
    def _stop(job: _Running) -> None:
        try:
            job.proc.kill()
        except (ValueError, OSError, AttributeError):
            pass
