"""A batch of independent tasks on a pool of workers, each task to whichever worker is free.

The batches of the analyses (the coalitions of a table, the directions of the near-optimal
alternatives) are lists of small tasks, each
solved by a worker that holds the model (:mod:`optimizer.core.pool`).  :func:`map_tasks` keeps
``ahead`` tasks queued at every worker of the pool, so none waits for the next, and with
``local`` the calling process solves tasks too between hand-outs (its cores would otherwise
wait for the children).  :func:`chunks` cuts a batch into pieces whose size does not depend on
the number of workers: a piece is solved the same way (from the same start) wherever it runs,
so the answers of a parallel batch are those of the serial one, to the last bit.
"""
from __future__ import annotations

from optimizer.core.pool import ProcessPool, WorkerError


def open_pool(factory, payload, workers: int, pool_factory=None):
    """``(pool, this process helps)`` for a batch on ``workers`` workers, each ``factory(payload)``:

    * ``pool_factory`` given: its pool of ``workers`` workers (e.g. a Dask cluster's), this
      process only hands out the tasks;
    * ``workers`` > 1: ``workers`` - 1 worker processes started here, one HiGHS thread each (they
      import and build while this process goes on), and this process solves tasks too;
    * else ``(None, True)``: this process alone."""
    if pool_factory is not None:
        return pool_factory(factory, [payload] * max(1, workers)), False
    if workers > 1:
        return ProcessPool(factory, [payload] * (workers - 1), ready=False), True
    return None, True


def chunks(items: list, size: int) -> list[list]:
    """``items`` cut into consecutive pieces of ``size`` (the last one shorter)."""
    size = max(int(size), 1)
    return [list(items[k:k + size]) for k in range(0, len(items), size)]


def map_tasks(pool, method: str, tasks: list, local=None, ahead: int = 2, on_result=None) -> list:
    """``worker.method(task)`` for every task, in task order.

    ``pool`` (or None: ``local`` alone) takes single requests (``send`` / ``receive``: the local,
    process and Dask pools); every worker has up to ``ahead`` tasks queued.  ``local``: an
    object with the same ``method`` in this process, which solves the next task whenever no
    answer is waiting; once every task is handed out it solves the newest task still out at a
    worker (the tasks are deterministic, so whichever answer comes first is kept and the other is
    dropped: the batch does not wait for a worker's queue).  ``on_result(k, value)`` is called
    once per task as its answer arrives.  A task that raises in a worker raises
    :class:`~optimizer.core.pool.WorkerError`.  A process pool may still be working on dropped
    tasks when this returns (:meth:`~optimizer.core.pool.ProcessPool.close` stops it)."""
    if pool is None and local is None:
        raise ValueError("map_tasks needs a pool or a local worker")
    n = len(tasks)
    out: list = [None] * n
    have = [False] * n
    size = pool.size if pool is not None else 0
    batch = object()                     # tags of this call (answers of an earlier one are dropped)
    out_at: list[list[int]] = [[] for _ in range(size)]
    nxt, left = 0, n

    def hand(i: int) -> None:
        nonlocal nxt
        while nxt < n and len(out_at[i]) < max(int(ahead), 1):
            pool.send(i, (batch, nxt), method, tasks[nxt])
            out_at[i].append(nxt)
            nxt += 1

    def done(k: int, value) -> None:
        nonlocal left
        if have[k]:
            return
        out[k], have[k] = value, True
        left -= 1
        if on_result is not None:
            on_result(k, value)

    for i in range(size):                # one task each first, then the rest of ``ahead``
        if nxt < n:
            pool.send(i, (batch, nxt), method, tasks[nxt])
            out_at[i].append(nxt)
            nxt += 1
    for i in range(size):
        hand(i)
    while left:
        busy = [k for ks in out_at for k in ks if not have[k]]
        mine = local is not None and (nxt < n or bool(busy))
        for i, tag, kind, value in (pool.receive(0 if mine else None) if size else []):
            if not (isinstance(tag, tuple) and tag[0] is batch):
                continue
            k = tag[1]
            out_at[i].remove(k)
            if kind == "error":
                raise WorkerError(f"worker {i}, task {k}:\n{value}")
            done(k, value)
            hand(i)
        if not (mine and left):
            continue
        if nxt < n:
            k = nxt
            nxt += 1
        else:
            busy = [k for ks in out_at for k in ks if not have[k]]
            if not busy:
                continue
            k = max(busy)                # the newest: likely still waiting in a worker's queue
        done(k, getattr(local, method)(tasks[k]))
    return out
