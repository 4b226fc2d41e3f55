"""Workers that keep their state between calls: in this process, in child processes, or on MPI ranks.

A decomposition sends the same question to every worker many times (e.g. "solve your scenarios at
this first stage") and each worker keeps what it built (its HiGHS model, its scenarios' bases).
One interface, three transports:

* :class:`LocalPool`   the workers live in this process (tests, one core, small problems);
* :class:`ProcessPool` one child process per worker (a fresh interpreter, so each child's HiGHS
  thread scheduler is sized by :func:`~optimizer.core.solver.set_process_threads` before its
  first solve: one HiGHS thread each);
* :class:`MpiPool`     one worker per MPI rank (under ``mpiexec``): rank 0 asks, every rank
  (rank 0 included) answers; the other ranks sit in :meth:`MpiPool.serve`.

A worker is made by ``factory(payload)`` where it runs (``factory`` must be a module-level callable,
``payload`` picklable); ``pool.call(method, *args)`` runs ``worker.method(*args)`` on every worker
at once and returns the answers in worker order.  A worker's exception is raised in the caller as
:class:`WorkerError` with the worker's traceback.
"""
from __future__ import annotations

import os
import subprocess
import sys
import traceback
from multiprocessing.connection import Connection
from types import SimpleNamespace

from optimizer.core.solver import set_process_threads


class WorkerError(RuntimeError):
    """A worker raised; the message holds its traceback."""


class LocalPool:
    """The workers in this process, called one after the other."""

    kind = "in-process"

    def __init__(self, factory, payloads):
        self.workers = [factory(p) for p in payloads]

    @property
    def size(self) -> int:
        return len(self.workers)

    def call(self, method: str, *args) -> list:
        return [getattr(w, method)(*args) for w in self.workers]

    def close(self) -> None:
        self.workers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _serve(conn, factory, payload, threads) -> None:
    """A child process: build the worker, then answer calls until told to stop (None)."""
    set_process_threads(threads)
    try:
        worker = factory(payload)
        conn.send(("ok", None))
    except BaseException:                       # noqa: BLE001 - reported to the parent
        conn.send(("error", traceback.format_exc()))
        return
    while True:
        try:
            msg = conn.recv()
        except EOFError:                        # the parent is gone
            return
        if msg is None:
            return
        method, args = msg
        try:
            conn.send(("ok", getattr(worker, method)(*args)))
        except BaseException:                   # noqa: BLE001 - reported to the parent
            conn.send(("error", traceback.format_exc()))


def _child_main(read_fd: int, write_fd: int) -> None:
    """Entry point of a worker process (``python -m optimizer.core.pool READ WRITE``)."""
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    factory, payload, threads = inbox.recv()
    _serve(SimpleNamespace(send=outbox.send, recv=inbox.recv), factory, payload, threads)


class ProcessPool:
    """One child process per payload; calls go to all children at once.

    Each child is a fresh interpreter (``python -m optimizer.core.pool``) talking over two pipes,
    so nothing of the caller's main module runs again there (a script without a ``__main__``
    guard, a notebook) and its HiGHS scheduler is sized by ``threads_per_worker``."""

    kind = "worker processes"

    def __init__(self, factory, payloads, threads_per_worker: int | None = 1):
        self.procs, self.inboxes, self.outboxes = [], [], []
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
                   OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        try:
            for p in payloads:
                to_child_r, to_child_w = os.pipe()
                from_child_r, from_child_w = os.pipe()
                proc = subprocess.Popen([sys.executable, "-m", "optimizer.core.pool", str(to_child_r),
                                         str(from_child_w)], pass_fds=(to_child_r, from_child_w), env=env,
                                        stdin=subprocess.DEVNULL)
                os.close(to_child_r)
                os.close(from_child_w)
                self.procs.append(proc)
                self.outboxes.append(Connection(to_child_w, readable=False))
                self.inboxes.append(Connection(from_child_r, writable=False))
                self.outboxes[-1].send((factory, p, threads_per_worker))
            self._collect()
        except BaseException:
            self.close()
            raise

    @property
    def size(self) -> int:
        return len(self.procs)

    def _collect(self) -> list:
        out, errors = [], []
        for i, conn in enumerate(self.inboxes):
            try:
                kind, value = conn.recv()
            except EOFError:
                kind, value = "error", f"worker process exited (exit code {self.procs[i].wait()})"
            if kind == "error":
                errors.append(f"worker {i}:\n{value}")
            out.append(value)
        if errors:
            raise WorkerError("\n".join(errors))
        return out

    def call(self, method: str, *args) -> list:
        for conn in self.outboxes:
            conn.send((method, args))
        return self._collect()

    def close(self) -> None:
        for conn in self.outboxes:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for conn in self.outboxes + self.inboxes:
            conn.close()
        self.procs, self.inboxes, self.outboxes = [], [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class MpiPool:
    """One worker per rank of ``comm`` (default COMM_WORLD).  Every rank constructs the pool with
    the full payload list; rank r builds the worker of ``payloads[r]``.  Rank 0 calls, the other
    ranks run :meth:`serve` until rank 0 closes the pool."""

    kind = "MPI ranks"

    def __init__(self, factory, payloads, comm=None, threads_per_worker: int | None = 1):
        if comm is None:
            from mpi4py import MPI   # optional: the [risk] extra
            comm = MPI.COMM_WORLD
        self.comm = comm
        self.rank = comm.Get_rank()
        if len(payloads) != comm.Get_size():
            raise ValueError(f"{len(payloads)} payloads for {comm.Get_size()} MPI ranks")
        set_process_threads(threads_per_worker)
        self.worker = factory(payloads[self.rank])

    @property
    def size(self) -> int:
        return self.comm.Get_size()

    def _answer(self, method, args):
        try:
            return ("ok", getattr(self.worker, method)(*args))
        except BaseException:                   # noqa: BLE001 - reported to rank 0
            return ("error", f"rank {self.rank}:\n{traceback.format_exc()}")

    def call(self, method: str, *args) -> list:
        self.comm.bcast((method, args), root=0)
        answers = self.comm.gather(self._answer(method, args), root=0)
        errors = [v for k, v in answers if k == "error"]
        if errors:
            raise WorkerError("\n".join(errors))
        return [v for _, v in answers]

    def serve(self) -> None:
        """Ranks other than 0: answer rank 0's calls until it closes the pool."""
        while True:
            msg = self.comm.bcast(None, root=0)
            if msg is None:
                return
            self.comm.gather(self._answer(*msg), root=0)

    def release(self) -> None:
        """Rank 0: let the other ranks leave :meth:`serve` (they may be asked to serve again later,
        e.g. around a collective step such as progressive hedging)."""
        if self.rank == 0:
            self.comm.bcast(None, root=0)

    close = release

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def default_workers() -> int:
    """The cores this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:           # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


if __name__ == "__main__":
    _child_main(int(sys.argv[1]), int(sys.argv[2]))
