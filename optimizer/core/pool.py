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

The local, process and Dask pools also take single requests: ``pool.send(i, tag, method, *args)``
asks worker ``i`` without waiting and ``pool.receive(timeout)`` returns the answers that have come
back as ``(i, tag, kind, value)`` (``kind`` "ok" or "error"); :func:`optimizer.core.tasks.map_tasks`
hands a batch of tasks to whichever worker is free with them.
"""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from types import SimpleNamespace

from optimizer.core.solver import set_process_threads


class WorkerError(RuntimeError):
    """A worker raised; the message holds its traceback."""


def answer(worker, method: str, args) -> tuple[str, object]:
    """``("ok", worker.method(*args))``, or ``("error", traceback)`` when it raises."""
    try:
        return "ok", getattr(worker, method)(*args)
    except BaseException:                       # noqa: BLE001 - reported to the caller
        return "error", traceback.format_exc()


class LocalPool:
    """The workers in this process, called one after the other."""

    kind = "in-process"

    def __init__(self, factory, payloads):
        self.workers = [factory(p) for p in payloads]
        self._answers: list = []

    @property
    def size(self) -> int:
        return len(self.workers)

    def call(self, method: str, *args) -> list:
        return [getattr(w, method)(*args) for w in self.workers]

    def send(self, i: int, tag, method: str, *args) -> None:
        """Worker ``i`` answers at once; the answer waits for :meth:`receive`."""
        self._answers.append((i, tag, *answer(self.workers[i], method, args)))

    def receive(self, timeout: float | None = None) -> list:
        out, self._answers = self._answers, []
        return out

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
        conn.send(answer(worker, method, args))


def _child_main(read_fd: int, write_fd: int) -> None:
    """Entry point of a worker process (``python -m optimizer.core.pool READ WRITE``)."""
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    factory, payload, threads = inbox.recv()
    _serve(SimpleNamespace(send=outbox.send, recv=inbox.recv), factory, payload, threads)
    outbox.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)     # nothing left to do: skip the interpreter's teardown (a tenth of a second)


class ProcessPool:
    """One child process per payload; calls go to all children at once.

    Each child is a fresh interpreter (``python -m optimizer.core.pool``) talking over two pipes,
    so nothing of the caller's main module runs again there (a script without a ``__main__``
    guard, a notebook) and its HiGHS scheduler is sized by ``threads_per_worker``.

    Messages to a child go through its own sender thread and answers are read by a reader thread
    per child, so the caller never waits on a pipe: ``ready=False`` returns while the children
    still start (their interpreters import and build the workers while the caller works; the
    first request waits for them), and a child sending a large answer is not held up."""

    kind = "worker processes"

    def __init__(self, factory, payloads, threads_per_worker: int | None = 1, ready: bool = True):
        self.procs, self.inboxes, self.outboxes = [], [], []
        self._outgoing, self._threads, self._pending = [], [], []
        self._built, self._dead = [], []
        self._answers: queue.Queue = queue.Queue()
        self._early: list = []
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
                i = len(self.procs)
                self.procs.append(proc)
                self.outboxes.append(Connection(to_child_w, readable=False))
                self.inboxes.append(Connection(from_child_r, writable=False))
                self._outgoing.append(queue.Queue())
                self._pending.append([])
                self._built.append(False)
                self._dead.append(False)
                self._outgoing[i].put((factory, p, threads_per_worker))
                for target in (self._write, self._read):
                    t = threading.Thread(target=target, args=(i,), daemon=True, name=f"pool-{target.__name__}-{i}")
                    t.start()
                    self._threads.append(t)
            if ready:
                while not all(self._built):
                    self._next(None)
        except BaseException:
            self.close()
            raise

    @property
    def size(self) -> int:
        return len(self.procs)

    def _write(self, i: int) -> None:
        """Sender thread of child ``i``: its messages in order (None: stop, after telling the child)."""
        conn, out = self.outboxes[i], self._outgoing[i]
        while True:
            msg = out.get()
            try:
                conn.send(msg)
            except (OSError, ValueError):       # the child is gone; its reader reports it
                return
            if msg is None:
                return

    def _read(self, i: int) -> None:
        """Reader thread of child ``i``: every answer onto the common queue, then its exit."""
        conn = self.inboxes[i]
        while True:
            try:
                kind, value = conn.recv()
            except (EOFError, OSError, ValueError):
                self._answers.put((i, "exit", None))
                return
            self._answers.put((i, kind, value))

    def _next(self, timeout: float | None) -> list:
        """The answers of one message from the children (none when ``timeout`` passes first);
        a build failure raises."""
        try:
            i, kind, value = self._answers.get(timeout=timeout) if timeout != 0 else self._answers.get_nowait()
        except queue.Empty:
            return []
        if kind == "exit":
            self._dead[i] = True
            code = self.procs[i].wait()
            text = f"worker process exited (exit code {code})"
            if not self._built[i]:
                raise WorkerError(f"worker {i}:\n{text}")
            tags, self._pending[i] = self._pending[i], []
            return [(i, tag, "error", text) for tag in tags]
        if not self._built[i]:
            self._built[i] = True
            if kind == "error":
                raise WorkerError(f"worker {i}:\n{value}")
            return []
        return [(i, self._pending[i].pop(0), kind, value)]

    def send(self, i: int, tag, method: str, *args) -> None:
        """Ask child ``i`` (its answer comes back from :meth:`receive` with ``tag``)."""
        if self._dead[i]:
            self._early.append((i, tag, "error", f"worker process exited (exit code {self.procs[i].wait()})"))
            return
        self._pending[i].append(tag)
        self._outgoing[i].put((method, args))

    def receive(self, timeout: float | None = None) -> list:
        """The answers that came back, waiting up to ``timeout`` seconds for the first (None: until
        one comes)."""
        out, self._early = self._early, []
        deadline = None if timeout is None else time.monotonic() + timeout
        while not out:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            got = self._next(left)
            out += got
            if not got and left is not None and left <= 0.0:
                return out
        while True:                             # and whatever else is already there
            got = self._next(0)
            if not got and self._answers.empty():
                return out
            out += got

    def call(self, method: str, *args) -> list:
        tag = object()                          # answers to earlier requests are skipped
        for i in range(self.size):
            self.send(i, tag, method, *args)
        out, errors, seen = [None] * self.size, [], 0
        while seen < self.size:
            for i, got, kind, value in self.receive():
                if got is not tag:
                    continue
                seen += 1
                if kind == "error":
                    errors.append((i, value))
                out[i] = value
        if errors:
            raise WorkerError("\n".join(f"worker {i}:\n{v}" for i, v in sorted(errors)))
        return out

    def close(self) -> None:
        """Stop the children: each finishes its request and exits; a child still holding requests
        whose answers nobody will read (a batch that took a task's answer from elsewhere), or one
        still starting, is killed instead."""
        for q in self._outgoing:
            q.put(None)
        for i, proc in enumerate(self.procs):
            if self._pending[i] or not self._built[i]:
                proc.kill()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for t in self._threads:
            t.join(timeout=10)
        for conn in self.outboxes + self.inboxes:
            conn.close()
        self.procs, self.inboxes, self.outboxes, self._threads, self._outgoing = [], [], [], [], []

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
        kind, value = answer(self.worker, method, args)
        return (kind, f"rank {self.rank}:\n{value}" if kind == "error" else value)

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


POLL_SECONDS = 0.001     # how often DaskPool.receive looks at the actors' answers


class _DaskActor:
    """What runs on a Dask worker: the worker object, answering calls as (kind, value)."""

    def __init__(self, factory, payload, threads):
        set_process_threads(threads)
        self.worker = factory(payload)

    def answer(self, method, args):
        return answer(self.worker, method, args)


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
        self._pending: list = []

    @property
    def size(self) -> int:
        return len(self.actors)

    def send(self, i: int, tag, method: str, *args) -> None:
        """Ask actor ``i`` (its answer comes back from :meth:`receive` with ``tag``)."""
        self._pending.append((i, tag, self.actors[i].answer(method, args)))

    def receive(self, timeout: float | None = None) -> list:
        """The answers that came back, waiting up to ``timeout`` seconds for the first (None: until
        one comes; the actors' futures are polled every millisecond)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            done = [p for p in self._pending if p[2].done()]
            if done or (deadline is not None and time.monotonic() >= deadline):
                break
            time.sleep(POLL_SECONDS)
        self._pending = [p for p in self._pending if not any(p is d for d in done)]
        return [(i, tag, *fut.result()) for i, tag, fut in done]

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
