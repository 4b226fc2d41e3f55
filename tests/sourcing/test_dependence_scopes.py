"""The one-material scopes of the Dependence table, made at once, equal one group-by per material."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models import origins as OR
from models.caps import Shares
from optimizer.sourcing import dependence as D
from optimizer.sourcing.run import solve_data
from optimizer.sourcing.validate import load_and_validate

ROOT = Path(__file__).resolve().parents[2]


def test_material_scopes_equal_one_group_by_per_material():
    data = load_and_validate(str(ROOT / "inputs" / "korea_2024_2030.xlsx"))
    _, model, sol = solve_data(data)
    sh = model.shares if isinstance(model.shares, Shares) else Shares(model)
    dem = model.demand.assign(wd=lambda d: d["material"].map(sh.weight) * d["demand"])
    checked = 0
    for measure in OR.MEASURES:
        vals = D._values_by_material(model, sh, sol.x, measure)
        frames = []
        for m in data.materials["material"]:
            if not OR.members_with(measure, [m], sh.stages):
                continue
            v = vals[vals["material"].isin({m})].groupby(["year", "country"], as_index=False)["value"].sum()
            wd = dem[dem["material"].isin({m})].groupby("year")["wd"].sum()
            v["weighted_demand"] = v["year"].map(wd).astype(float)
            v["share"] = np.where(v["weighted_demand"] > 0, v["value"] / v["weighted_demand"], np.nan)
            v["scope"], v["measure"] = m, measure
            frames.append(v)
        want = pd.concat(frames, ignore_index=True) if frames else None
        got = D._material_scopes(data, dem, vals, measure, sh.stages)
        if want is None:
            assert got.empty
            continue
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want[list(got.columns)].reset_index(drop=True),
                                      check_dtype=False)
        checked += len(got)
    assert checked > 0
