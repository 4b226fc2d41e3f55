"""What a cell may hold: the named number formats every workbook uses, the cleaning every value
gets before it is written (blanks, numpy scalars, characters XML cannot hold, time zones) and the
number format of a number written without one.  Shared by the cell-by-cell writer
(:mod:`optimizer.core.workbook.writer`) and the streamed tables (:mod:`optimizer.core.workbook.bulk`).
"""
from __future__ import annotations

import datetime as _dt
import math
import re

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# Named number formats: one name, one format, in every workbook.
TONNES = "#,##0.0"          # t
MONEY = "#,##0.00"          # currency M
MONEY_3 = "#,##0.000"       # currency M, three decimals (risk and comparison summaries)
MONEY_4 = "#,##0.0000"      # currency M per percentage point
PRICE = "#,##0.00"          # currency/kg
SHARE = "0.0%"
SHARE_2 = "0.00%"
YEAR = "0"
PP = "0.0"                  # percentage points
WHOLE = "#,##0"             # counts, days
SECONDS = "0.000"
WEEKS = "0.0"
RATIO = "0.00"
FORMATS = {"TONNES": TONNES, "MONEY": MONEY, "MONEY_3": MONEY_3, "MONEY_4": MONEY_4, "PRICE": PRICE,
           "SHARE": SHARE, "SHARE_2": SHARE_2, "YEAR": YEAR, "PP": PP, "WHOLE": WHOLE, "SECONDS": SECONDS,
           "WEEKS": WEEKS, "RATIO": RATIO}


def clean_value(value):
    """Python value suitable for a cell (None for blanks; characters XML cannot hold -> U+FFFD)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", _no_surrogates(value))
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_surrogates(text: str) -> str:
    """Text XML can hold: bytes of a file name that were not UTF-8 (kept by Python as lone
    surrogates) become U+FFFD, so a manifest naming such a file stays a valid workbook."""
    if not _SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


def default_format(value) -> str:
    """A number format for a number written without one: a year-like integer as a year, other
    integers with thousands separators, small fractions with three decimals, the rest with two."""
    if isinstance(value, int):
        return YEAR if 1900 <= value <= 2200 else WHOLE
    if value != 0 and abs(value) < 1:
        return "0.000"
    return MONEY
