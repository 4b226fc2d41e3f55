"""The whole-column look-ups of optimizer/sourcing/tts.py give what one ``Series.get`` per row gave."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.sourcing import tts


def test_lookup_equals_get_per_row():
    s = pd.Series([1.5, math.nan, -2.0, 4.0],
                  index=pd.MultiIndex.from_tuples([("GA", 2025), ("GA", 2026), ("NDFEB", 2025), ("NDFEB", 2027)]))
    mats = ["GA", "GA", "NDFEB", "NDFEB", "XX", "GA"]
    years = np.array([2025, 2026, 2025, 2027, 2025, 2030])
    want = [float(s.get(k, 0.0)) for k in zip(mats, years)]
    got = tts._at(s, pd.Series(mats), pd.Series(years))
    assert [(math.isnan(a), a if not math.isnan(a) else 0) for a in got] == \
        [(math.isnan(b), b if not math.isnan(b) else 0) for b in want]
    assert tts._not_negative(got).tolist() == [max(0.0, v) for v in want]
    assert tts._at(s.iloc[:0], pd.Series(mats), pd.Series(years), 7.0).tolist() == [7.0] * len(mats)
