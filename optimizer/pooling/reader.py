"""Safe reading of a pool workbook: :func:`optimizer.core.workbook.reader.read_workbook` on the pool sheets,
so the pool workbook gets exactly the main workbook's guards and messages (size and zip-bomb
limits, defusedxml, format sniffing, merged cells, uncached formulas)."""
from __future__ import annotations

from optimizer.core.workbook import reader as L
from optimizer.pooling import schema as P


def read_pool_workbook(path) -> L.RawWorkbook:
    """The safe reader on the pool sheets."""
    return L.read_workbook(path, sheets=P.POOL_SHEETS)
