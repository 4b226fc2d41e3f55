"""Long result tables streamed straight into the sheet XML, at the speed of a streaming writer.

openpyxl keeps one Python object per cell and serialises each through an element tree: a 100 k-variable
result workbook (3 M cells) took 108 s and 1.4 GB that way.  A table of at least
:data:`limits.STREAM_MIN_ROWS` data rows is therefore not written cell by cell: :func:`register` keeps
its columns (numpy arrays and lists, not cells) and one style id per distinct look (number format, bold,
fill, alignment -- made once on a detached openpyxl cell, so the style table is openpyxl's own), and
:func:`finish_package` -- called by :func:`~optimizer.core.workbook.writer.save_atomic` on the bytes
openpyxl saved -- merges the rows into that sheet's ``<sheetData>`` in chunks of
:data:`CHUNK_ROWS` rows, written into the zip member as a stream (constant memory), then corrects the
sheet's ``<dimension>``.  Everything else about the sheet (header row, column widths, row heights, Excel
table, charts, print setup, frozen panes) is openpyxl's as before.

What a reader sees is exactly what the cell-by-cell path writes (a test writes every result workbook both
ways and compares every cell's value, type and style): text is an inline string (``t="inlineStr"``, so it
can never be a formula), numbers are written as openpyxl writes them (``%.16g``), blanks are left out
unless styled, carriage returns are ``&#13;`` so they survive a round trip.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter

from optimizer.core.workbook.cellvalue import clean_value, default_format

CHUNK_ROWS = 20_000          # rows generated and written at a time
_PLAIN = (str, int, float)


class NotStreamable(ValueError):
    """A column holds a value the streamed path does not write (a date, say): write the table cell by cell."""


@dataclass
class Column:
    letter: str
    kind: str                    # "num" (float64 array, NaN blank) or "obj" (list of None / str / int / float)
    values: object
    styles: np.ndarray           # one style id per row (0: no style)


@dataclass
class Block:
    top: int                     # first data row (1-based)
    left: int                    # first column (1-based)
    rows: int
    columns: list[Column] = field(default_factory=list)

    @property
    def last_row(self) -> int:
        return self.top + self.rows - 1

    @property
    def right(self) -> int:
        return self.left + len(self.columns) - 1


# ----------------------------------------------------------------------------- registering a table

def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _default_formats(arr: np.ndarray, integer: bool) -> np.ndarray:
    """:func:`writer.default_format` of every value of a numeric column (None where blank)."""
    out = np.full(len(arr), None, dtype=object)
    ok = np.isfinite(arr)
    if integer:
        year = ok & (arr >= 1900) & (arr <= 2200)
        out[ok] = default_format(10)
        out[year] = default_format(2000)
    else:
        small = ok & (arr != 0) & (np.abs(arr) < 1)
        out[ok] = default_format(2.0)
        out[small] = default_format(0.5)
    return out


def _object_values(values: list, cell_value) -> tuple[list, list]:
    """Cleaned values of an object column and, per value, whether it was a bool (centred in tables).
    Text is kept as its ``<is>`` element (escaped once per distinct text); numbers as numbers."""
    cache: dict = {}
    vals, flags = [], []
    for v in values:
        try:
            key = (v.__class__, v)
            hit = cache.get(key)
        except TypeError:                     # unhashable (a list, say): cleaned each time
            key, hit = None, None
        if hit is None:
            c = clean_value(cell_value(v))
            if c is not None and (not isinstance(c, _PLAIN) or isinstance(c, bool)):
                raise NotStreamable(f"a {type(c).__name__} value")
            hit = (_inline(c) if isinstance(c, str) else c, isinstance(v, (bool, np.bool_)))
            if key is not None:
                cache[key] = hit
        vals.append(hit[0])
        flags.append(hit[1])
    return vals, flags


class _Text(str):
    """A text cell's ``<is>`` element, escaped (told apart from numbers when writing)."""


_EMPTY = _Text("")


def _inline(text: str) -> _Text:
    if text == "":
        return _EMPTY
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return _Text(f"<is><t{space}>{esc}</t></is>")


def register(ws, top: int, left: int, df: pd.DataFrame, keys: list[str], fmts: list, aligns: list,
             wraps: list[bool], row_bold: np.ndarray, row_fill: list, style_of, cell_value) -> Block:
    """Keep ``df``'s columns ``keys`` for streaming into ``ws`` from row ``top``, column ``left``.

    ``fmts[j]``: the column's number format (None: each number's default format); ``aligns[j]``: its
    alignment (None: centred for bool values, else Excel's); ``row_bold``/``row_fill``: per row;
    ``style_of(cell, bold, fill, align, wrap)`` styles a cell as the cell-by-cell path does;
    ``cell_value``: the table's pre-cleaning of a value.  Raises :class:`NotStreamable` (nothing
    registered) for a column holding anything but text, numbers, bools and blanks.
    """
    n = len(df)
    fills = {}
    fill_code = np.array([fills.setdefault(id(f), (len(fills), f))[0] for f in row_fill], dtype=np.int64) \
        if n else np.zeros(0, dtype=np.int64)
    fill_obj = {code: f for code, f in fills.values()}
    bold = np.asarray(row_bold, dtype=np.int64)
    cache: dict = {}
    block = Block(top, left, n)
    columns = []
    for j, key in enumerate(keys):
        series = df[key] if key in df.columns else pd.Series([None] * n, index=df.index, dtype=object)
        if _numeric(series):
            arr = series.to_numpy(dtype=np.float64, na_value=np.nan)
            integer = pd.api.types.is_integer_dtype(series.dtype)
            cell_fmt = np.full(n, fmts[j], dtype=object) if fmts[j] else _default_formats(arr, integer)
            centred = np.zeros(n, dtype=bool)
            kind, values = "num", arr
        else:
            values, flags = _object_values(series.tolist(), cell_value)
            cell_fmt = np.full(n, fmts[j], dtype=object) if fmts[j] else \
                np.array([default_format(v) if _is_number(v) else None for v in values], dtype=object)
            centred = np.asarray(flags, dtype=bool)
            kind = "obj"
        columns.append((key, kind, values, cell_fmt, centred))
    for j, (key, kind, values, cell_fmt, centred) in enumerate(columns):
        fmt_codes, fmt_list = _codes(cell_fmt)
        combo = (fmt_codes * 2 + centred) * 2 + bold
        combo = combo * max(1, len(fills)) + fill_code
        uniq, inverse = np.unique(combo, return_inverse=True) if n else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        ids = np.empty(len(uniq), dtype=np.int64)
        for u, code in enumerate(uniq.tolist()):
            f_code = code % max(1, len(fills))
            rest = code // max(1, len(fills))
            b, rest = rest % 2, rest // 2
            c, fmt_code = rest % 2, rest // 2
            align = aligns[j] or ("center" if c else None)
            look = (j, bool(b), f_code, align, wraps[j], fmt_list[fmt_code])
            if look not in cache:
                cache[look] = _style_id(ws, fmt_list[fmt_code], lambda cell: style_of(
                    cell, bool(b), fill_obj.get(f_code), align, wraps[j]))
            ids[u] = cache[look]
        block.columns.append(Column(get_column_letter(left + j), kind, values, ids[inverse]))
    blocks = getattr(ws, "sourcing_blocks", None)
    if blocks is None:
        blocks = ws.sourcing_blocks = []
    blocks.append(block)
    return block


def _is_number(v) -> bool:
    return v is not None and v.__class__ is not _Text


def _codes(fmts: np.ndarray) -> tuple[np.ndarray, list]:
    """Each row's number format as a small code, and the formats the codes stand for (None: blank)."""
    codes, uniques = pd.factorize(fmts, use_na_sentinel=True)
    formats = list(uniques)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(formats), codes)
        formats.append(None)
    return codes.astype(np.int64), formats


def _style_id(ws, fmt, style) -> int:
    """The cellXfs index of a cell with number format ``fmt`` styled by ``style`` (0: no style)."""
    cell = Cell(ws, row=1, column=1)
    if fmt is not None and fmt != "General":
        cell.number_format = fmt
    style(cell)
    return cell.style_id if cell.has_style else 0


def blocks_of(wb) -> list:
    return [(ws, ws.sourcing_blocks) for ws in wb.worksheets if getattr(ws, "sourcing_blocks", None)]


# ----------------------------------------------------------------------------- cell XML

def _column_chunk(col: Column, a: int, b: int, top: int) -> list[str]:
    """The cells of rows a..b-1 (0-based in the block) of one column; '' for a cell left out."""
    pre = f'<c r="{col.letter}'
    sids = col.styles[a:b].tolist()
    attr = {s: (f'" s="{s}"' if s else '"') for s in set(sids)}     # '" s="7"': closes r, adds the style
    rows = range(top + a, top + b)
    if col.kind == "num":
        vals = col.values[a:b]
        finite = np.isfinite(vals).tolist()
        return [f'{pre}{r}{attr[s]} t="n"><v>{v:.16g}</v></c>' if ok else (f'{pre}{r}{attr[s]} t="n"/>' if s else "")
                for r, s, v, ok in zip(rows, sids, vals.tolist(), finite)]
    out = []
    for r, s, v in zip(rows, sids, col.values[a:b]):
        if v is None:
            out.append(f'{pre}{r}{attr[s]} t="n"/>' if s else "")
        elif v is _EMPTY:                                          # as openpyxl writes an empty text
            out.append(f'{pre}{r}{attr[s]} t="inlineStr"/>')
        elif v.__class__ is _Text:
            out.append(f'{pre}{r}{attr[s]} t="inlineStr">{v}</c>')
        else:
            out.append(f'{pre}{r}{attr[s]} t="n"><v>{v:.16g}</v></c>')
    return out


# ----------------------------------------------------------------------------- merging into the sheet

_ROW = re.compile(rb'<row r="(\d+)"([^>]*?)(?:/>|>(.*?)</row>)', re.S)
_CELL_REF = re.compile(rb'<c r="([A-Z]+)\d+"')
_DIM = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"\s*/>')


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _split_cells(cells: bytes) -> list[tuple[int, bytes]]:
    """openpyxl's cells of one row as (column, xml)."""
    out, pos = [], 0
    while True:
        start = cells.find(b"<c ", pos)
        if start < 0:
            return out
        head_end = cells.index(b">", start)
        end = head_end + 1 if cells[head_end - 1:head_end] == b"/" else cells.index(b"</c>", head_end) + 4
        col = _col_number(_CELL_REF.match(cells, start).group(1))
        out.append((col, cells[start:end]))
        pos = end


def _merged_row(r: int, attrs: bytes, cells: bytes, pieces: list[tuple[int, int, str]]) -> bytes:
    """One row: openpyxl's attributes and cells plus the streamed pieces (first column, last column, xml)."""
    parts = [(first, xml.encode("utf-8")) for first, _last, xml in pieces if xml]
    if cells:
        for col, xml in _split_cells(cells):
            if any(first <= col <= last for first, last, _x in pieces):
                raise RuntimeError(f"row {r}: cell in column {col} written twice (table and sheet)")
            parts.append((col, xml))
    parts.sort(key=lambda p: p[0])
    attrs = re.sub(rb'\s+spans="[^"]*"', b"", attrs)
    return b'<row r="%d"%s>%s</row>' % (r, attrs, b"".join(x for _c, x in parts))


def _stream_rows(rows_xml: bytes, blocks: list[Block], out) -> None:
    """Write openpyxl's rows merged with every block's rows, in row order, into ``out``."""
    if not blocks:
        out.write(rows_xml)
        return
    openpyxl_rows = ((int(m.group(1)), m) for m in _ROW.finditer(rows_xml))
    pending = next(openpyxl_rows, None)
    edges = sorted({b.top for b in blocks} | {b.last_row + 1 for b in blocks})
    first, last = min(b.top for b in blocks), max(b.last_row for b in blocks)
    # rows before the first block: as openpyxl wrote them
    while pending is not None and pending[0] < first:
        out.write(pending[1].group(0))
        pending = next(openpyxl_rows, None)
    start = first
    while start <= last:
        stop = min(start + CHUNK_ROWS, last + 1, *[e for e in edges if e > start])
        active = [b for b in blocks if b.top <= start and b.last_row >= stop - 1]
        chunks = [(b, [_column_chunk(c, start - b.top, stop - b.top, b.top) for c in b.columns]) for b in active]
        buf: list[str] = []
        for k, r in enumerate(range(start, stop)):
            pieces = [(b.left, b.right, "".join(col[k] for col in cols)) for b, cols in chunks]
            if pending is not None and pending[0] == r:       # openpyxl wrote this row too: merge
                attrs, cells = pending[1].group(2), pending[1].group(3) or b""
                pending = next(openpyxl_rows, None)
                buf.append(_merged_row(r, attrs, cells, pieces).decode("utf-8"))
            elif len(pieces) == 1:
                if pieces[0][2]:
                    buf.append(f'<row r="{r}">{pieces[0][2]}</row>')
            elif any(p[2] for p in pieces):
                buf.append(f'<row r="{r}">' + "".join(p[2] for p in sorted(pieces)) + "</row>")
        out.write("".join(buf).encode("utf-8"))
        start = stop
    while pending is not None:
        out.write(pending[1].group(0))
        pending = next(openpyxl_rows, None)


def _dimension(head: bytes, blocks: list[Block]) -> bytes:
    m = _DIM.search(head)
    if not m:
        return head
    c1, r1 = _col_number(m.group(1)), int(m.group(2))
    c2, r2 = (_col_number(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
    c1 = min([c1] + [b.left for b in blocks])
    r1 = min([r1] + [b.top for b in blocks])
    c2 = max([c2] + [b.right for b in blocks])
    r2 = max([r2] + [b.last_row for b in blocks])
    ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}".encode()
    return head[:m.start()] + b'<dimension ref="' + ref + b'" />' + head[m.end():]


def _write_sheet(xml: bytes, blocks: list[Block], out) -> None:
    open_tag = xml.find(b"<sheetData")
    head_end = xml.index(b">", open_tag) + 1
    if xml[head_end - 2:head_end] == b"/>":          # <sheetData/>: no openpyxl rows
        rows, tail_start = b"", head_end
    else:
        close = xml.index(b"</sheetData>", head_end)
        rows, tail_start = xml[head_end:close], close + len(b"</sheetData>")
    out.write(_dimension(xml[:open_tag], blocks))
    out.write(b"<sheetData>")
    _stream_rows(rows, blocks, out)
    out.write(b"</sheetData>")
    out.write(xml[tail_start:])


def _cell_text_part(name: str) -> bool:
    return name == "xl/sharedStrings.xml" or (name.startswith("xl/worksheets/sheet") and name.endswith(".xml"))


def finish_package(data: bytes, wb) -> bytes:
    """openpyxl's saved workbook ``data`` with every streamed table merged in and every raw carriage
    return in cell text written as ``&#13;`` (every XML reader turns a raw CR into LF).  Returns
    ``data`` itself when there is nothing to do."""
    sheets = {ws.path.lstrip("/"): blocks for ws, blocks in blocks_of(wb)}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        if not sheets and not any(_cell_text_part(i.filename) and b"\r" in z.read(i.filename) for i in infos):
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dest:
            for info in infos:
                part = z.read(info.filename)
                if _cell_text_part(info.filename):
                    part = part.replace(b"\r", b"&#13;")
                if info.filename in sheets:
                    with dest.open(info.filename, "w", force_zip64=True) as stream:
                        _write_sheet(part, sheets[info.filename], stream)
                else:
                    dest.writestr(info, part)
    return out.getvalue()
