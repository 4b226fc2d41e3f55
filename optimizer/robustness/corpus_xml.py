"""Corpus sections on the sheet XML itself (classes 1-4 of issue 12), written byte by byte.

* positions: rows and cells stored in another order, spread far apart, without ``r``
  attributes (the same data: the objective must not change), and rows beyond Excel's last row,
  beyond the data-row limit, stored twice, cells outside their row or beyond column XFD;
* encodings: an uncached formula and merged cells hidden by UTF-16, a long prefix before the
  root element, a long namespace prefix, the workbook part moved elsewhere (with a decoy at the
  usual path), two sheets with one name; and the valid workbook in each of those forms;
* elements: empty elements by the million after ``</sheetData>``, inside a row, in UTF-16, in
  the styles; a cell or a shared string made of rich-text runs; merged ranges by the 100,000;
* values: stored numbers that read NaN, infinity, hex, blanks, hundreds of digits; an impossible
  ISO date, shared-string indices past the table, booleans that are not 0/1, unknown types.
"""
from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

from optimizer.core import limits as LIM
from optimizer.robustness import factory as F
from optimizer.robustness import rawzip as Z
from optimizer.robustness.items import Corpus

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FORMULA_CELL = F.cell("Supply", "min_volume", 3)     # an optional column: a lost value would read as 0
MERGE = "C3:C4"                                        # on Suppliers


# ----------------------------------------------------------------------------- sheet XML helpers
def split(xml: bytes) -> tuple[bytes, list[bytes], bytes]:
    """(everything up to <sheetData>, the row elements, everything from </sheetData>)."""
    head, rest = xml.split(b"<sheetData>", 1)
    body, tail = rest.split(b"</sheetData>", 1)
    return head + b"<sheetData>", re.findall(rb"<row\b.*?</row>|<row\b[^>]*/>", body, re.S), b"</sheetData>" + tail


def join(head: bytes, rows: list[bytes], tail: bytes) -> bytes:
    return head + b"".join(rows) + tail


def renumber(row: bytes, new: int) -> bytes:
    """A row element moved to row ``new`` (its r and every cell address)."""
    old = re.search(rb'<row r="(\d+)"', row).group(1)
    row = re.sub(rb'(<row r=")\d+', rb"\g<1>" + str(new).encode(), row, count=1)
    return re.sub(rb'(<c r="[A-Z]+)' + old + rb'"', rb"\g<1>" + str(new).encode() + b'"', row)


def replace_cell(xml: bytes, ref: str, cell: bytes) -> bytes:
    """``xml`` with cell ``ref`` replaced by the raw element ``cell``."""
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
    assert pattern.search(xml), ref
    return pattern.sub(lambda m: cell, xml, count=1)


def utf16(xml: bytes, big_endian: bool = False) -> bytes:
    text = '<?xml version="1.0" encoding="UTF-16"?>' + xml.decode("utf-8").split("?>", 1)[-1] \
        if xml.startswith(b"<?xml") else '<?xml version="1.0" encoding="UTF-16"?>' + xml.decode("utf-8")
    return (b"\xfe\xff" + text.encode("utf-16-be")) if big_endian else (b"\xff\xfe" + text.encode("utf-16-le"))


def long_prefix(xml: bytes) -> bytes:
    """160 KB of comments, processing instructions and white space before the root element."""
    pad = b"<!--" + b" padding" * 10_000 + b" -->\n" + b"<?pad " + b"p" * 40_000 + b"?>" + b"\n \t" * 10_000
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + pad + xml


def ns_prefix(xml: bytes, prefix: bytes = b"spreadsheetmlmainnamespaceprefix") -> bytes:
    """Every element of the main namespace written with a long prefix instead of the default."""
    out = re.sub(rb"<(/?)([A-Za-z]\w*)(?=[\s>/])", rb"<\1" + prefix + rb":\2", xml)
    return out.replace(b'xmlns="' + MAIN_NS + b'"', b"xmlns:" + prefix + b'="' + MAIN_NS + b'"', 1)


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def write_parts(dst: Path, parts: dict[str, bytes]) -> Path:
    return Z.write_raw_zip(dst, [Z.deflated(n, d) for n, d in parts.items()])


def moved_workbook(src: Path, dst: Path, decoy_clean_of: Path | None = None) -> Path:
    """The workbook part moved to xl/main/book.xml (named by the package relationships); with
    ``decoy_clean_of``, a decoy xl/workbook.xml whose Supply sheet is that file's clean one."""
    parts = parts_of(src)
    wb, rels = parts.pop("xl/workbook.xml"), parts.pop("xl/_rels/workbook.xml.rels")
    parts["xl/main/book.xml"], parts["xl/main/_rels/book.xml.rels"] = wb, rels
    parts["_rels/.rels"] = parts["_rels/.rels"].replace(b'Target="xl/workbook.xml"', b'Target="xl/main/book.xml"')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b'"/xl/workbook.xml"', b'"/xl/main/book.xml"')
    if decoy_clean_of is not None:
        supply = Z.sheet_part(src, "Supply")
        parts["xl/worksheets/clean.xml"] = Z.sheet_xml(decoy_clean_of, "Supply")
        parts["xl/workbook.xml"] = wb
        parts["xl/_rels/workbook.xml.rels"] = rels.replace(f'"/{supply}"'.encode(), b'"/xl/worksheets/clean.xml"')
    return write_parts(dst, parts)


def extra_sheet(src: Path, dst: Path, name: bytes, clean_of: Path, rename_real: bytes | None = None) -> Path:
    """A second sheet called ``name`` (a clean copy of Supply) listed before the real Supply sheet."""
    parts = parts_of(src)
    parts["xl/worksheets/extra.xml"] = Z.sheet_xml(clean_of, "Supply")
    wb = parts["xl/workbook.xml"]
    real = re.search(rb'<sheet name="Supply"[^>]*/>', wb).group(0)
    if rename_real is not None:
        wb = wb.replace(real, real.replace(b'name="Supply"', b'name="' + rename_real + b'"'))
        real = real.replace(b'name="Supply"', b'name="' + rename_real + b'"')
    wb = wb.replace(real, b'<sheet name="' + name + b'" sheetId="99" state="visible" r:id="rIdExtra" />' + real)
    parts["xl/workbook.xml"] = wb
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/worksheet" Target="/xl/worksheets/extra.xml" Id="rIdExtra" /></Relationships>')
    return write_parts(dst, parts)


# ----------------------------------------------------------------------------- 1. positions
def positions(c: Corpus) -> None:
    c.cls = "positions"
    xml = Z.sheet_xml(c.base, "Supply")
    head, rows, tail = split(xml)
    same = dict(same_as="valid.xlsx")

    def variant(name, new_xml, expect="ok", contains=(), what="", sheet="Supply", **kw):
        if c.skip(name):
            return
        Z.with_sheet_xml(c.base, c.path(name), sheet, new_xml)
        c.add(name, expect, contains, what, **kw)

    variant("rows_reversed.xlsx", join(head, [rows[0]] + rows[:0:-1], tail), what="Supply's data rows stored "
            "in reverse order (r attributes intact)", **same)
    variant("header_row_last.xlsx", join(head, rows[::-1], tail), what="every row of Supply in reverse "
            "order, the header row last", **same)
    shuffled = rows[1:]
    random.Random(12).shuffle(shuffled)
    variant("rows_shuffled.xlsx", join(head, shuffled[:5] + [rows[0]] + shuffled[5:], tail),
            what="Supply's rows shuffled, the header in the middle", **same)

    def reversed_cells(row):
        cells = re.findall(rb"<c\b.*?</c>|<c\b[^>]*/>", row, re.S)
        return re.sub(rb"(<row\b[^>]*>).*(</row>)", lambda m: m.group(1) + b"".join(cells[::-1]) + m.group(2),
                      row, flags=re.S)
    variant("cells_reversed.xlsx", join(head, [reversed_cells(r) for r in rows], tail),
            what="the cells of every Supply row stored in reverse order", **same)
    variant("rows_spread_far.xlsx", join(head, [rows[0]] + [renumber(r, 1 + 9_000 * k) for k, r in
                                                            enumerate(rows[1:], 1)], tail),
            what="Supply's data rows at rows 9,001, 18,001, ... (blank rows between)", **same)
    variant("rows_without_r.xlsx", re.sub(rb'<row r="\d+"', b"<row", xml), what="row elements without r "
            "(placed one after the other)", **same)
    big = renumber(rows[-1], 900_000_000)
    variant("row_900_million.xlsx", join(head, rows + [big], tail), "error", ("Supply", "900,000,000",
            f"{LIM.EXCEL_MAX_ROW:,}"), "one row numbered 900,000,000 (beyond Excel's last row)")
    variant("row_beyond_data_limit.xlsx", join(head, rows + [renumber(rows[-1], 1_000_000)], tail), "error",
            ("Supply!A1000000", f"{LIM.MAX_ROWS_PER_SHEET:,} data rows"), "a data row at row 1,000,000")
    variant("row_stored_twice.xlsx", join(head, rows + [rows[3]], tail), "error", ("Supply", "row 4 is stored "
            "twice"), "row 4 stored twice")
    twice = rows[1].replace(b"</row>", re.search(rb'<c r="D2".*?</c>', rows[1]).group(0) + b"</row>")
    variant("cell_stored_twice.xlsx", join(head, [rows[0], twice, *rows[2:]], tail), "error",
            ("Supply", "D2 is stored twice"), "cell D2 stored twice in its row")
    variant("cell_outside_row.xlsx", xml.replace(b'<c r="D3"', b'<c r="D9"', 1), "error",
            ("Supply", "D9 is stored inside row 3"), "cell D9 stored in row 3")
    variant("column_beyond_xfd.xlsx", xml.replace(b'<c r="D3"', b'<c r="XFE3"', 1), "error",
            ("Supply", "beyond column XFD"), "a cell in column XFE")
    demand = Z.sheet_xml(c.base, "Demand")
    dh, dr, dt_ = split(demand)
    variant("demand_rows_reversed.xlsx", join(dh, [dr[0]] + dr[:0:-1], dt_), sheet="Demand",
            what="Demand's data rows in reverse order", **same)


FULL_ONLY = {   # left out of the quick corpus (a similar item stays in)
    "rows_shuffled.xlsx", "header_row_last.xlsx", "cells_reversed.xlsx", "rows_without_r.xlsx",
    "cell_outside_row.xlsx", "demand_rows_reversed.xlsx", "utf16be_formula.xlsx", "prefix_merge.xlsx",
    "ns_prefix_merge.xlsx", "utf16_valid.xlsx", "ns_prefix_valid.xlsx", "moved_workbook_valid.xlsx",
    "sheet_names_differ_in_case.xlsx", "elements_in_styles.xlsx", "merged_ranges_by_the_100k.xlsx",
    "runs_40k_in_a_shared_string.xlsx", "utf16_long_text.xlsx", "empty_elements_in_a_row.xlsx",
    "runs_3m_in_a_cell.xlsx", "runs_3m_in_a_shared_string.xlsx", "utf16_merge.xlsx",
    "moved_workbook_merge.xlsx", "number_inf.xlsx", "number_plus_minus.xlsx", "number_30_digits_year.xlsx",
    "text_5000_digits_capacity.xlsx", "bool_2.xlsx", "unknown_type.xlsx", "string_index_negative.xlsx"}


# ----------------------------------------------------------------------------- 2. encodings
def encodings(c: Corpus) -> None:
    c.cls = "encodings"
    formula = F.edit(c.copy(".formula.xlsx"), "Supply", {FORMULA_CELL: "=1+1"}, as_text=False)
    merged = F.merge(c.copy(".merged.xlsx"), "Suppliers", MERGE)
    f_msg = (f"Supply!{FORMULA_CELL}", "formula with no cached value")
    m_msg = (f"Suppliers!{MERGE.split(':')[0]}", f"merged cells {MERGE}")
    forms = {"utf16": utf16, "utf16be": lambda x: utf16(x, True), "prefix": long_prefix, "ns_prefix": ns_prefix}
    for form, fn in forms.items():
        for payload, src, sheet, msg in (("formula", formula, "Supply", f_msg), ("merge", merged, "Suppliers", m_msg)):
            name = f"{form}_{payload}.xlsx"
            if c.skip(name):
                continue
            Z.with_sheet_xml(src, c.path(name), sheet, fn(Z.sheet_xml(src, sheet)))
            c.add(name, "error", msg, f"{payload} in a sheet part written as {form}")
    moved_workbook(formula, c.path("moved_workbook_formula.xlsx"), decoy_clean_of=c.base)
    c.add("moved_workbook_formula.xlsx", "error", f_msg, "workbook part at xl/main/book.xml (package relationships), "
          "a decoy xl/workbook.xml pointing to a clean Supply sheet")
    moved_workbook(merged, c.path("moved_workbook_merge.xlsx"), decoy_clean_of=c.base)
    c.add("moved_workbook_merge.xlsx", "error", m_msg, "workbook part moved, merged cells")
    extra_sheet(formula, c.path("two_sheets_named_supply.xlsx"), b"Supply", c.base)
    c.add("two_sheets_named_supply.xlsx", "error", ("two sheets are named 'Supply'",),
          "a clean decoy sheet named Supply before the real one with the formula")
    if not c.skip("sheet_names_differ_in_case.xlsx"):
        extra_sheet(formula, c.path("sheet_names_differ_in_case.xlsx"), b" supply", c.base, rename_real=b"SUPPLY")
        c.add("sheet_names_differ_in_case.xlsx", "error", ("could all be the Supply sheet",),
              "sheets 'SUPPLY' and ' supply': both could be Supply")
    supply = Z.sheet_xml(c.base, "Supply")
    for name, xml in (("utf16_valid.xlsx", utf16(supply)), ("prefix_valid.xlsx", long_prefix(supply)),
                      ("ns_prefix_valid.xlsx", ns_prefix(supply))):
        if c.skip(name):
            continue
        Z.with_sheet_xml(c.base, c.path(name), "Supply", xml)
        c.add(name, "ok", (), f"the valid workbook, Supply written as {name.split('_valid')[0]}", same_as="valid.xlsx")
    if not c.skip("moved_workbook_valid.xlsx"):
        moved_workbook(c.base, c.path("moved_workbook_valid.xlsx"))
        c.add("moved_workbook_valid.xlsx", "ok", (), "the valid workbook with its workbook part moved",
              same_as="valid.xlsx")


# ----------------------------------------------------------------------------- 3. elements
def _times(piece: bytes, count: int, batch: int = 1_000_000):
    for start in range(0, count, batch):
        yield piece * min(batch, count - start)


def elements(c: Corpus) -> None:
    c.cls = "elements"
    xml = Z.sheet_xml(c.base, "Supply")
    head, rows, tail = split(xml)
    part = Z.sheet_part(c.base, "Supply")
    tags = (part, f"limit of {LIM.MAX_XML_ELEMENTS:,} XML elements")

    def bomb(name, chunks, contains, what, sheet="Supply", level=1):
        if c.skip(name):
            return
        Z.with_sheet_xml(c.base, c.path(name), sheet, chunks, level)
        c.add(name, "error", contains, what)
    bomb("empty_elements_after_sheetdata.xlsx", [head, *rows, b"</sheetData>", *_times(b"<x/>", 20_000_000),
                                                 tail[len(b"</sheetData>"):]], tags,
         "20,000,000 empty elements after </sheetData>")
    bomb("empty_elements_in_a_row.xlsx", [head, rows[0], rows[1][:-6], *_times(b"<x/>", 15_000_000), b"</row>",
                                          *rows[2:], tail], tags, "15,000,000 empty elements inside one row")
    runs = b"<r><t>a</t></r>"
    cell = F.cell("Supply", "basis", 3).encode()
    bomb("runs_3m_in_a_cell.xlsx", [head, rows[0], rows[1], rows[2][:-6], b'<c r="' + cell + b'" t="inlineStr"><is>',
                                    *_times(runs, 3_000_000), b"</is></c></row>", *rows[3:], tail], tags,
         "one cell made of 3,000,000 rich-text runs")
    bomb("runs_40k_in_a_cell.xlsx", [head, rows[0], rows[1], rows[2][:-6], b'<c r="' + cell + b'" t="inlineStr"><is>',
                                     runs * 40_000, b"</is></c></row>", *rows[3:], tail],
         ("Supply", f"{cell.decode()} is made of more than {LIM.MAX_STRING_RUNS:,} XML elements"),
         "one cell of 40,000 rich-text runs (under the tag pre-count: the parser's own limit)", level=6)
    sixteen = utf16(join(head, rows, tail)).decode("utf-16")      # BOM included as U+FEFF
    body = sixteen.split("</sheetData>")
    bomb("utf16_empty_elements.xlsx", [body[0].encode("utf-16"), *(("<x/>" * 1_000_000).encode("utf-16-le")
                                                                   for _ in range(12)),
                                       ("</sheetData>" + body[1]).encode("utf-16-le")], tags,
         "12,000,000 empty elements in a UTF-16 sheet (where the bytes of '<x/>' are not the UTF-8 ones)")
    long = "y" * 100_000
    d2 = F.cell("Supply", "capacity", 2)
    bomb("utf16_long_text.xlsx", utf16(replace_cell(xml, d2, f'<c r="{d2}" t="inlineStr"><is><t>{long}</t></is>'
                                                    '</c>'.encode())),
         ("Supply", f"more than {LIM.MAX_STRING_CHARS:,} characters"), "a 100,000-character cell in UTF-16")
    bomb("merged_ranges_by_the_100k.xlsx", [head, *rows, tail.replace(b"</sheetData>", b"</sheetData><mergeCells>" +
                                                                       b'<mergeCell ref="M1:N1"/>' * 120_000 +
                                                                       b"</mergeCells>", 1)],
         ("Supply", f"more than {LIM.MAX_MERGED_RANGES:,} merged ranges"), "120,000 merged ranges")
    sst = b'<sst xmlns="' + MAIN_NS + b'"><si>'
    for name, count, contains in (("runs_3m_in_a_shared_string.xlsx", 3_000_000,
                                   ("xl/sharedStrings.xml", f"limit of {LIM.MAX_XML_ELEMENTS:,} XML elements")),
                                  ("runs_40k_in_a_shared_string.xlsx", 40_000,
                                   ("shared string 1", f"more than {LIM.MAX_STRING_RUNS:,} rich-text runs"))):
        if c.skip(name):
            continue
        Z.with_shared_strings(c.base, c.path(name), Z.deflated("xl/sharedStrings.xml",
                                                               [sst, *_times(runs, count), b"</si></sst>"], 1))
        c.add(name, "error", contains, f"one shared string made of {count:,} runs")
    wb = parts_of(c.base)["xl/workbook.xml"]
    at = wb.index(b"<sheets>")
    Z.rebuild(c.base, c.path("elements_in_workbook_part.xlsx"), {"xl/workbook.xml": Z.deflated(
        "xl/workbook.xml", [wb[:at], *_times(b"<x/>", 7_000_000), wb[at:]], 1)})
    c.add("elements_in_workbook_part.xlsx", "error", ("xl/workbook.xml", f"limit of {LIM.MAX_XML_ELEMENTS:,} XML "
                                                      "elements"), "7,000,000 empty elements in the workbook part "
          "(read first, to find the sheets)")
    if not c.skip("elements_in_styles.xlsx"):
        styles = parts_of(c.base)["xl/styles.xml"]
        bloated = styles.replace(b"<cellXfs", b"<cellXfs", 1)
        at = bloated.index(b">", bloated.index(b"<cellXfs")) + 1
        Z.rebuild(c.base, c.path("elements_in_styles.xlsx"), {"xl/styles.xml": Z.deflated(
            "xl/styles.xml", [bloated[:at], *_times(b"<xf/>", 6_000_000), bloated[at:]], 1)})
        c.add("elements_in_styles.xlsx", "error", ("xl/styles.xml", f"limit of {LIM.MAX_XML_ELEMENTS:,} XML elements"),
              "6,000,000 cell styles (30 MB, under the index-part cap)")


# ----------------------------------------------------------------------------- 4. values
def values(c: Corpus) -> None:
    c.cls = "values"
    xml = Z.sheet_xml(c.base, "Supply")
    cap, year, mat = F.cell("Supply", "capacity", 3), F.cell("Supply", "year", 3), F.cell("Supply", "material", 3)
    nines = "9" * 400
    cases = [   # name, cell, raw element, what the message must contain
        ("number_nan", cap, f'<c r="{cap}"><v>NaN</v></c>', ("'NaN'", "not a number")),
        ("number_inf", cap, f'<c r="{cap}"><v>inf</v></c>', ("'inf'", "not a number")),
        ("number_hex", cap, f'<c r="{cap}"><v>0x1F</v></c>', ("'0x1F'", "not a number")),
        ("number_blank", cap, f'<c r="{cap}"><v>   </v></c>', ("not a number",)),
        ("number_1e400", cap, f'<c r="{cap}"><v>1e400</v></c>', ("'1e400'", "largest number")),
        ("number_400_digits", cap, f'<c r="{cap}"><v>{nines}</v></c>', ("400 characters",)),
        ("number_plus_minus", cap, f'<c r="{cap}"><v>+-5</v></c>', ("'+-5'", "not a number")),
        ("number_30_digits_year", year, f'<c r="{year}"><v>{"1" * 30}</v></c>', ("between 1990 and 2100",)),
        ("date_impossible", year, f'<c r="{year}" t="d"><v>2026-02-30</v></c>', ("'2026-02-30'", "not a valid date")),
        ("string_index_past_table", mat, f'<c r="{mat}" t="s"><v>99</v></c>', ("shared-string table",)),
        ("string_index_negative", mat, f'<c r="{mat}" t="s"><v>-1</v></c>', ("'-1'", "not an index")),
        ("bool_2", cap, f'<c r="{cap}" t="b"><v>2</v></c>', ("0 or 1",)),
        ("unknown_type", cap, f'<c r="{cap}" t="zz"><v>5</v></c>', ("unknown type",)),
        ("text_5000_digits_year", year, f'<c r="{year}" t="inlineStr"><is><t>{"9" * 5000}</t></is></c>',
         ("not a year",)),
        ("text_5000_digits_capacity", cap, f'<c r="{cap}" t="inlineStr"><is><t>{"1" * 5000}</t></is></c>',
         ("finite",)),
    ]
    for name, cell, raw, contains in cases:
        if c.skip(f"{name}.xlsx"):
            continue
        new = replace_cell(xml, cell, raw.encode())
        out = Z.with_sheet_xml(c.base, c.path(f"{name}.xlsx"), "Supply", new)
        if "string_index" in name:     # a shared-string table of two entries, so the index is past it
            tmp = out.with_suffix(".sst.xlsx")
            Z.with_shared_strings(out, tmp, Z.deflated("xl/sharedStrings.xml", b'<sst xmlns="' + MAIN_NS +
                                                       b'"><si><t>GA</t></si><si><t>CN</t></si></sst>'))
            tmp.replace(out)
        c.add(f"{name}.xlsx", "error", (f"Supply!{cell}", *contains), f"Supply!{cell} stored as {raw[:60]}")


SECTIONS = (positions, encodings, elements, values)

