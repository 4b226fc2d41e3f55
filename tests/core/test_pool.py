"""Workers that keep state between calls (optimizer/core/pool.py) and the solver-layer pieces a
decomposition needs: warm starts from a stored basis, rows added and deleted in batches, the
process-wide HiGHS thread setting, the progress callback."""
import os
import time

import numpy as np
import pandas as pd
import pytest

from models.lp import LinearProgram, Terms
from optimizer.core.pool import LocalPool, ProcessPool, WorkerError
from optimizer.core.solver import OPTIMAL, SolveOptions, open_resolver, solve_lp
from optimizer.core.tasks import chunks, map_tasks


class Counter:
    """A worker with state: it adds what it is given to its own total."""

    def __init__(self, start):
        self.total = start

    @classmethod
    def create(cls, payload):
        return cls(payload)

    def add(self, v):
        self.total += v
        return self.total

    def fail(self):
        raise ArithmeticError("worker says no")

    def threads(self):
        from optimizer.core.solver import highs
        return highs.new_highs(SolveOptions()).getOptionValue("threads")[1]


@pytest.mark.parametrize("kind", [LocalPool, ProcessPool])
def test_pool_workers_keep_state_and_answer_in_order(kind):
    with kind(Counter.create, [10, 20, 30]) as pool:
        assert pool.size == 3
        assert pool.call("add", 1) == [11, 21, 31]
        assert pool.call("add", 2) == [13, 23, 33]


def test_process_pool_reports_a_worker_error_with_its_traceback():
    with ProcessPool(Counter.create, [1, 2]) as pool:
        with pytest.raises(WorkerError, match="worker says no"):
            pool.call("fail")
        assert pool.call("add", 1) == [2, 3]          # still answering after the error


def test_process_workers_run_one_highs_thread_each():
    with ProcessPool(Counter.create, [0, 0], threads_per_worker=1) as pool:
        assert pool.call("threads") == [1, 1]


def _lp(n=6):
    """min sum_j (j+1) x_j  s.t.  x_j + x_{j+1} >= 1 (j < n-1), 0 <= x <= 10."""
    lp = LinearProgram("chain")
    x = lp.add_variables("x", pd.DataFrame({"j": range(n)}), upper=10.0, cost=np.arange(1, n + 1, dtype=float))
    r = np.arange(n - 1)
    lp.add_constraints("link", pd.DataFrame({"i": r}), Terms().add(r, x[r], 1.0).add(r, x[r + 1], 1.0), lower=1.0)
    return lp


def test_resolver_warm_start_from_a_stored_basis():
    """Re-solving from the basis of the same LP takes no simplex iteration; the answer is the one
    of a cold solve."""
    r = open_resolver(_lp(), SolveOptions(ranging=False))
    assert r.run() == OPTIMAL
    obj, basis = r.objective, r.basis()
    r.set_row_bounds(np.arange(5), np.full(5, 2.0), np.full(5, np.inf))
    assert r.run() == OPTIMAL
    r.set_row_bounds(np.arange(5), np.full(5, 1.0), np.full(5, np.inf))
    r.set_basis(basis)
    assert r.run() == OPTIMAL and r.iterations == 0
    assert r.objective == pytest.approx(obj)
    r.set_basis(None)                               # from scratch
    assert r.run() == OPTIMAL and r.objective == pytest.approx(obj)


def test_resolver_adds_and_deletes_rows_in_batches():
    lp = _lp()
    r = open_resolver(lp, SolveOptions(ranging=False))
    r.run()
    base = r.objective
    # x_0 >= 2 and x_5 >= 3 in one call (CSR: starts of each row)
    rows = r.add_rows(np.array([2.0, 3.0]), np.array([np.inf, np.inf]), np.array([0, 1]), np.array([0, 5]),
                      np.array([1.0, 1.0]))
    assert list(rows) == [5, 6]
    r.run()
    cold = lp.num_rows
    assert r.num_rows == cold + 2
    check = _lp()
    check.set_bounds("x", lower=np.array([2.0, 0, 0, 0, 0, 3.0]))
    assert r.objective == pytest.approx(solve_lp(check, SolveOptions(ranging=False)).objective)
    r.delete_rows(rows)
    r.run()
    assert r.num_rows == cold and r.objective == pytest.approx(base)


def test_progress_callback_sees_the_simplex_run():
    """Unthrottled, the callback sees every simplex iteration count, rising; the answer is the
    same as without it."""
    from optimizer.core.solver import highs
    lp = _lp(40)
    calls = []
    h = highs.new_highs(SolveOptions(presolve=False))
    highs.pass_lp(h, lp)
    highs.watch(h, lambda *a: calls.append(a), every=0.0)
    h.run()
    assert highs.map_status(h) == OPTIMAL
    its = [c[0] for c in calls]
    assert calls and its == sorted(its) and its[-1] >= 1
    assert h.getInfo().objective_function_value == pytest.approx(solve_lp(lp, SolveOptions(ranging=False)).objective)


class Slow:
    """A worker that answers ``(its payload, task)``; task < 0 raises; 'exit' ends its process."""

    def __init__(self, payload):
        self.payload = payload

    def work(self, task):
        if task == "exit":
            os._exit(3)
        if self.payload == "slow":
            time.sleep(30)
        if task < 0:
            raise ValueError(f"task {task} says no")
        return self.payload, task * task


@pytest.mark.parametrize("kind", [LocalPool, ProcessPool])
def test_map_tasks_answers_every_task_in_task_order(kind):
    seen = []
    with kind(Slow, ["a", "b"]) as pool:
        out = map_tasks(pool, "work", list(range(23)), on_result=lambda k, v: seen.append(k))
    assert [sq for _, sq in out] == [k * k for k in range(23)]
    assert {who for who, _ in out} == {"a", "b"}          # both workers took tasks
    assert sorted(seen) == list(range(23))


def test_map_tasks_with_the_caller_working_too():
    """With a local worker the calling process solves tasks while the children start (ready=False);
    every task is answered once, in task order."""
    with ProcessPool(Slow, ["child"], ready=False) as pool:
        out = map_tasks(pool, "work", list(range(40)), local=Slow("here"))
    assert [sq for _, sq in out] == [k * k for k in range(40)]
    assert {who for who, _ in out} <= {"child", "here"} and any(who == "here" for who, _ in out)


def test_map_tasks_without_a_pool_is_the_local_loop():
    assert map_tasks(None, "work", [1, 2, 3], local=Slow("me")) == [("me", 1), ("me", 4), ("me", 9)]
    with pytest.raises(ValueError):
        map_tasks(None, "work", [1])


@pytest.mark.parametrize("kind", [LocalPool, ProcessPool])
def test_a_failing_task_raises_with_the_workers_traceback(kind):
    with kind(Slow, ["a"]) as pool:
        with pytest.raises(WorkerError, match="task -2 says no"):
            map_tasks(pool, "work", [1, -2, 3])


def test_a_worker_process_that_dies_is_an_error_not_a_hang():
    with ProcessPool(Slow, ["a"]) as pool:
        with pytest.raises(WorkerError, match="exit code 3"):
            map_tasks(pool, "work", [1, "exit", 2])


def test_a_worker_that_cannot_be_built_is_reported_at_the_first_answer():
    with ProcessPool(Counter.create, ["not a number"], ready=False) as pool:
        with pytest.raises(WorkerError, match="TypeError"):
            pool.call("add", 1)


def test_chunks_do_not_depend_on_the_number_of_workers():
    assert chunks(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert chunks([], 3) == [] and chunks([1], 0) == [[1]]


def test_the_caller_takes_over_tasks_a_slow_worker_still_holds():
    """Once every task is handed out, the local worker solves those still out at a worker (the
    newest first); the slow child's late answers are dropped and the pool is stopped without
    waiting for them."""
    with ProcessPool(Slow, ["slow"]) as pool:
        out = map_tasks(pool, "work", list(range(5)), local=Slow("here"))
        assert out == [("here", k * k) for k in range(5)]
