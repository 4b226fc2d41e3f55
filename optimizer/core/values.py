"""Reading values out of result tables defensively: a missing table is empty, a NaN or an
infinity is "no number", "yes"/"no" texts are booleans.  Shared by the views and the writers."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd


def frame(df) -> pd.DataFrame:
    return df if isinstance(df, pd.DataFrame) else pd.DataFrame(df)


def truthy(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, str):
        return v.strip().lower() in ("yes", "true", "1")
    if v is None or v is pd.NA:
        return False
    try:
        return bool(v) and not (isinstance(v, float) and math.isnan(v))
    except (TypeError, ValueError):
        return False


def num(v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x
