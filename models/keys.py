"""Key columns as integer codes, for group-bys and sorts over large tables.

Grouping or sorting a pandas table by text columns hashes every string again; the tables of a
large model (a million offers) repeat a few hundred materials, sources and countries.  Here each
key column becomes codes into its sorted distinct values once; a group-by runs on one combined
integer key, and text columns of a result are rebuilt by taking from the distinct values.  Codes
follow the sorted order of the values, so groups and sorts come out in the order grouping or
sorting by the columns themselves gives.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def codes(values) -> tuple[np.ndarray, pd.Index]:
    """Each value's position among the distinct values sorted (-1: missing), and those values."""
    return pd.factorize(values, sort=True)


def text(values, positions: np.ndarray):
    """A text column of ``values`` (strings: a list, an index or a pandas string array) at
    ``positions``; an empty list when there are none, as a list of the strings themselves gives
    (pandas types an empty column as float)."""
    if not len(positions):
        return []
    arr = values if isinstance(values, pd.api.extensions.ExtensionArray) else pd.array(list(values), dtype="str")
    return arr.take(positions)


def group_sum(values, key_codes: list[np.ndarray], sizes: list[int]) -> tuple[list[np.ndarray], np.ndarray]:
    """One group-by-sum over the key columns given as ``key_codes`` (``sizes``: each column's
    number of distinct values; rows with a missing key left out, as a group-by drops them).

    ``values``: one column, or a 2-d array (rows x columns).  Returns each group's key codes, in
    sorted key order, and its sums: pandas' compensated sum over the rows in order, so the same
    numbers grouping by the columns themselves gives.
    """
    ok = np.logical_and.reduce([c >= 0 for c in key_codes]) if key_codes else np.ones(len(values), bool)
    combined = np.zeros(int(ok.sum()), dtype=np.int64)
    for c, n in zip(key_codes, sizes):
        combined = combined * max(n, 1) + c[ok]
    g = pd.DataFrame(np.asarray(values, dtype=float)[ok]).groupby(combined).sum()
    rest, out = g.index.to_numpy(np.int64), []
    for n in reversed(sizes):
        out.append(rest % max(n, 1))
        rest = rest // max(n, 1)
    sums = g.to_numpy()
    return out[::-1], sums[:, 0] if np.ndim(values) == 1 else sums
