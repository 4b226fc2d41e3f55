"""The same batches on a Dask distributed cluster (a LocalCluster of 2 worker processes on
127.0.0.1, one thread each): the exact coalition table, the near-optimal alternatives and the
scenario comparison equal the serial run's (the table and the alternatives bit for bit), and the commands take --cluster local /
--scheduler ADDRESS."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed", reason="the [cluster] extra (installed by .ci/run)")

from curve_fixtures import tiny_workbook   # noqa: E402
from models.pooling import build_pool_model   # noqa: E402
from optimizer.cli import main   # noqa: E402
from optimizer.core.pool import DaskCluster, WorkerError   # noqa: E402
from optimizer.core.solver import SolveOptions   # noqa: E402
from optimizer.core.tasks import map_tasks   # noqa: E402
from optimizer.curves.compare import comparison_tables, run_batch   # noqa: E402
from optimizer.pooling import joint as J   # noqa: E402
from optimizer.pooling import coalitions as C   # noqa: E402
from optimizer.pooling.load import load_pool_workbook   # noqa: E402
from optimizer.pooling.template import write_pool_workbook   # noqa: E402
from optimizer.robustness import factory as F   # noqa: E402
from optimizer.sourcing.validate import load_and_validate   # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with DaskCluster("local", local_workers=2) as cl:
        yield cl


def test_the_local_cluster_is_on_loopback_with_two_workers(cluster):
    assert cluster.address.startswith("tcp://127.0.0.1:")
    assert cluster.size == 2
    workers = cluster.client.scheduler_info()["workers"]
    assert all(w.startswith("tcp://127.0.0.1:") for w in workers)
    assert all(info["nthreads"] == 1 for info in workers.values())


def test_coalition_table_on_the_cluster_is_the_serial_table(tmp_path, cluster):
    data = load_pool_workbook(write_pool_workbook(tmp_path / "p5.xlsx", F.pool_tables(5, 1, 3, False)))
    model = build_pool_model(data)
    opts = SolveOptions(time_limit=data.settings.time_limit, mip_gap=1e-9, ranging=False, want_duals=False)
    serial = C.coalition_table(model, opts)
    dist = C.coalition_table(model, opts, workers=cluster.size, pool_factory=cluster.pool)
    assert len(serial.masks()) == 31 and dist.masks() == serial.masks()
    assert list(dist.status) == list(serial.status)
    assert np.array_equal(dist.cost, serial.cost) and np.array_equal(dist.unmet, serial.unmet)
    small = C.coalition_table(model, opts, workers=cluster.size, pool_factory=cluster.pool, chunk=4)
    assert np.array_equal(small.cost, C.coalition_table(model, opts, chunk=4).cost)


def test_alternatives_on_the_cluster_are_the_serial_ones(tmp_path, cluster):
    data = load_pool_workbook(write_pool_workbook(tmp_path / "p4.xlsx", F.pool_tables(4, 1, 3, False)))
    model = build_pool_model(data)
    opts = SolveOptions(time_limit=data.settings.time_limit, mip_gap=1e-9, ranging=False, want_duals=False)
    grand = J.solve_grand(model, opts)
    serial = J.alternatives(model, grand, 0.04, opts)
    dist = J.alternatives(model, grand, 0.04, opts, workers=cluster.size, pool_factory=cluster.pool)
    pd.testing.assert_frame_equal(dist, serial, check_exact=True)


class Square:
    def __init__(self, payload):
        self.payload = payload

    def work(self, k):
        return self.payload, k * k


def test_single_requests_to_the_actors_come_back_in_task_order(cluster):
    with cluster.pool(Square, ["a", "b"]) as pool:
        out = map_tasks(pool, "work", list(range(15)))
    assert [sq for _, sq in out] == [k * k for k in range(15)] and {w for w, _ in out} == {"a", "b"}


def test_comparison_on_the_cluster_is_the_serial_comparison(tmp_path, cluster):
    data = load_and_validate(tiny_workbook(tmp_path))
    serial = run_batch(data, curve_mode="path")
    dist = run_batch(data, curve_mode="path", workers=cluster.size, pool_factory=cluster.pool)
    assert [r.name for r in dist] == [r.name for r in serial]
    a, b = comparison_tables(dist), comparison_tables(serial)
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-9, atol=1e-9, obj=name)


class Failing:
    def __init__(self, payload):
        self.payload = payload

    def boom(self):
        raise ValueError(f"worker {self.payload} says no")


def test_a_workers_exception_comes_back_with_its_traceback(cluster):
    with cluster.pool(Failing, [1, 2]) as pool:
        with pytest.raises(WorkerError, match="worker 2 says no"):
            pool.call("boom")


def test_commands_take_the_cluster(tmp_path, cluster, capsys):
    src = tiny_workbook(tmp_path)
    assert main(["compare", str(src), "--no-curves", "--scheduler", cluster.address,
                 "-o", str(tmp_path / "c.xlsx")]) == 0
    pool_wb = write_pool_workbook(tmp_path / "p3.xlsx", F.pool_tables(3, 1, 3, False))
    assert main(["pool", str(pool_wb), "--cluster", "local", "-o", str(tmp_path / "p.xlsx")]) == 0
    assert (tmp_path / "c.xlsx").exists() and (tmp_path / "p.xlsx").exists()


def test_an_unreachable_scheduler_is_a_usage_message(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("optimizer.core.pool.CONNECT_SECONDS", 1)
    assert main(["compare", str(tiny_workbook(tmp_path)), "--no-curves", "--scheduler", "tcp://127.0.0.1:9",
                 "-o", str(tmp_path / "x.xlsx")]) == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err
