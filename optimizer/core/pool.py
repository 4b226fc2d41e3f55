"""Workers that keep their state between calls: in this process, in child processes, or on MPI ranks.

A decomposition sends the same question to every worker many times (e.g. "solve your scenarios at
this first stage") and each worker keeps what it built (its HiGHS model, its scenarios' bases).
One interface, three transports:

* :class:`LocalPool`   the workers live in this process (tests, one core, small problems);
* :class:`ProcessPool` one child process per worker (a fresh interpreter, so each child's HiGHS
  thread scheduler is sized by :func:`~optimizer.core.solver.set_process_threads` before its
  first solve: one HiGHS thread each);
* :class:`MpiPool`     one worker per MPI rank (under ``mpiexec``): rank 0 asks, every rank
  (rank 0 included) answers; the other ranks sit in :meth:`MpiPool.serve`;
* :class:`DaskPool`    one Dask actor per worker on a Dask distributed cluster (other machines;
  the ``[cluster]`` extra), spread over the cluster's workers, one HiGHS thread each;
  :class:`DaskCluster` connects to a scheduler's address or starts a local cluster on loopback.

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


def _dask_start(threads) -> None:
    set_process_threads(threads)


class _DaskActor:
    """What runs on a Dask worker: the worker object, answering calls as (kind, value)."""

    def __init__(self, factory, payload, threads):
        set_process_threads(threads)
        self.worker = factory(payload)

    def answer(self, method, args):
        try:
            return ("ok", getattr(self.worker, method)(*args))
        except BaseException:                   # noqa: BLE001 - reported to the caller
            return ("error", traceback.format_exc())


class DaskPool:
    """One Dask actor per payload on the cluster of ``client`` (a ``distributed.Client``), placed
    round-robin over the cluster's workers; ``call`` asks all of them at once.  Each worker
    process's HiGHS scheduler is sized by ``threads_per_worker`` (start workers with
    ``dask-worker --nthreads 1`` so one process runs one solve at a time)."""

    kind = "Dask workers"

    def __init__(self, factory, payloads, client, threads_per_worker: int | None = 1):
        self.client = client
        addresses = sorted(client.scheduler_info()["workers"])
        if not addresses:
            raise WorkerError("the Dask cluster has no workers")
        client.run(_dask_start, threads_per_worker)
        futures = [client.submit(_DaskActor, factory, p, threads_per_worker, actor=True, pure=False,
                                 workers=[addresses[i % len(addresses)]], allow_other_workers=False)
                   for i, p in enumerate(payloads)]
        try:
            self.actors = [f.result() for f in futures]
        except Exception as err:     # noqa: BLE001 - a worker that could not be built
            raise WorkerError(f"a Dask worker could not be built:\n{traceback.format_exc()}") from err
        self._futures = futures

    @property
    def size(self) -> int:
        return len(self.actors)

    def call(self, method: str, *args) -> list:
        pending = [a.answer(method, args) for a in self.actors]
        out, errors = [], []
        for i, fut in enumerate(pending):
            kind, value = fut.result()
            if kind == "error":
                errors.append(f"worker {i}:\n{value}")
            out.append(value)
        if errors:
            raise WorkerError("\n".join(errors))
        return out

    def close(self) -> None:
        for f in getattr(self, "_futures", []):
            f.release()
        self.actors, self._futures = [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


CONNECT_SECONDS = 10     # how long to try to reach a Dask scheduler before giving up


class DaskCluster:
    """A Dask distributed cluster to run batches on: ``address`` of a running scheduler
    (``dask-scheduler`` / ``dask-worker --nthreads 1`` on the machines), or ``"local"`` for
    ``local_workers`` worker processes started here on 127.0.0.1 (one thread each).

    ``size`` is the number of workers; ``pool(factory, payloads)`` makes a :class:`DaskPool`
    (the ``pool_factory`` the batch functions take)."""

    def __init__(self, address: str = "local", local_workers: int = 2, threads_per_worker: int | None = 1,
                 timeout: float | None = None):
        try:
            from distributed import Client, LocalCluster   # optional: the [cluster] extra
        except ImportError as err:
            raise RuntimeError("a Dask cluster needs the cluster extra: pip install -e '.[cluster]'") from err
        self.threads = threads_per_worker
        self.cluster = None
        timeout = CONNECT_SECONDS if timeout is None else timeout
        if address == "local":
            self.cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                        scheduler_kwargs={"dashboard": False}, worker_dashboard_address=None)
            self.client = Client(self.cluster, timeout=timeout)
        else:
            self.client = Client(address, timeout=timeout)
        self.address = self.client.scheduler.address

    @property
    def size(self) -> int:
        return max(1, len(self.client.scheduler_info()["workers"]))

    def pool(self, factory, payloads) -> DaskPool:
        return DaskPool(factory, payloads, self.client, self.threads)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

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
