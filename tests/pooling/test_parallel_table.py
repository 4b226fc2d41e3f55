"""The exact coalition table solved by worker processes (one HiGHS thread each) equals the serial
table: the same statuses, the same costs and unmet demand to the solver's tolerance."""
from __future__ import annotations

import numpy as np

from models.pooling import build_pool_model
from optimizer.pooling import coalitions as C
from optimizer.pooling.load import load_pool_workbook
from optimizer.pooling.template import write_pool_workbook
from optimizer.robustness import factory as F
from optimizer.core.solver import SolveOptions


def test_two_workers_give_the_serial_table(tmp_path):
    data = load_pool_workbook(write_pool_workbook(tmp_path / "p6.xlsx", F.pool_tables(6, 1, 3, False)))
    model = build_pool_model(data)
    opts = SolveOptions(time_limit=data.settings.time_limit, mip_gap=1e-9, ranging=False, want_duals=False)
    serial = C.coalition_table(model, opts)
    parallel = C.coalition_table(model, opts, workers=2)
    masks = serial.masks()
    assert len(masks) == 63 and parallel.masks() == masks
    assert list(parallel.status) == list(serial.status)
    np.testing.assert_allclose(parallel.cost[1:], serial.cost[1:], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(parallel.unmet[1:], serial.unmet[1:], rtol=1e-7, atol=1e-6)
    assert parallel.solves >= len(masks)
