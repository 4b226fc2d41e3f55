"""Hostile and broken workbooks: the corpus run in child processes, the zip guard's limits,
and property-based fuzzing of the loader (only InputError may escape)."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import random
import signal
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from optimizer.robustness import corpus as H
from optimizer.robustness import rawzip as Z
from optimizer.robustness import factory as F
from optimizer.core import limits as LIM
from optimizer.core.workbook import reader as L
from optimizer.robustness import runner as R
from optimizer.robustness import child as C
from optimizer.sourcing import schema as S
from optimizer.core.workbook import zip_guard as G
from optimizer.core.issues import InputError
from models.data import SourcingData
from optimizer.sourcing.validate import load_and_validate


def errors_of(path):
    with pytest.raises(InputError) as info:
        load_and_validate(path)
    return info.value.issues


# ----------------------------------------------------------------------------- the corpus
@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("robustness")
    outcomes, notes = R.run_corpus(folder, quick=True)
    return folder, outcomes, notes


def test_quick_corpus_no_traceback_no_modified_input(quick_run):
    folder, outcomes, notes = quick_run
    line = R.summary_line(outcomes)
    print(line, *notes, sep="\n")
    n = len(outcomes)
    assert line.startswith(f"inputs tried {n}, handled cleanly {n}, tracebacks 0, hangs 0, inputs modified 0, "
                           "formulas leaked 0, worst time ")
    assert [f"{o.name}: {o.reason}" for o in outcomes if not o.clean] == []
    names = {o.name for o in outcomes}
    for must in ("valid.xlsx", "hostile_strings.xlsx", "csv_renamed.xlsx", "pdf_renamed.xlsx", "encrypted.xlsx",
                 "macro.xlsm", "xml_bomb_strings.xlsx", "xxe.xlsx", "zip_bomb.xlsx", "zip_bomb_lying_styles.xlsx",
                 "million_rows.xlsx", "formula_no_cache.xlsx", "merged_data_cells.xlsx", "date_as_year.xlsx",
                 "rows_reversed.xlsx", "row_900_million.xlsx", "utf16_formula.xlsx", "two_sheets_named_supply.xlsx",
                 "empty_elements_after_sheetdata.xlsx", "number_nan.xlsx", "huge_demand.xlsx",
                 "arg_risk_beta_nan", "pool_13_members.xlsx", "solve_output_is_a_folder", "web_exact_limit"):
        assert must in names, must
    per_class = {}
    for o in outcomes:
        per_class[o.cls] = per_class.get(o.cls, 0) + 1
    for cls in ("positions", "encodings", "elements", "values", "magnitudes", "arguments", "growth", "paths", "web"):
        assert per_class.get(cls, 0) >= 3, (cls, per_class)     # every class of issue 12, several variants
    commands = {o.name.split("_")[0] for o in outcomes if o.cls == "paths"} | \
        {o.name.split("_")[1] for o in outcomes if o.name.startswith("arg_")}
    assert {"solve", "curve", "frontier", "compare", "risk", "pool", "template"} <= commands, commands
    assert H.soffice() is None or "libreoffice_formulas.xlsx" in names
    table = (folder / "robustness.tsv").read_text().splitlines()
    assert len(table) == len(outcomes) + 1 and table[0].startswith("item\tclass\texpect\texit")


def test_corpus_errors_name_file_sheet_cell_value_and_rule(quick_run):
    folder, outcomes, _ = quick_run
    out = (folder / "outputs" / "type_Supply_capacity_xlsx" / "stderr.txt").read_text()
    assert "type_Supply_capacity.xlsx: 1 error(s)" in out
    assert "ERROR Supply!D2 (value: '#N/A'): 'capacity (t)': the cell shows the Excel error #N/A" in out
    rows = (folder / "outputs" / "million_rows_xlsx" / "stderr.txt").read_text()
    assert f"limit is {LIM.MAX_ROWS_PER_SHEET:,} rows per sheet" in rows and "Traceback" not in rows


def _child_crashes(argv):
    raise KeyError("boom")


def _child_modifies_input(argv):
    src = Path(argv[1])
    src.write_bytes(src.read_bytes() + b"x")
    return 1


def _child_hangs(argv):
    time.sleep(30)


def _child_segfaults(argv):
    os.kill(os.getpid(), signal.SIGSEGV)


def _child_allocates(argv):
    return len(bytearray(3 * 1024 ** 3))


def _child_status_lost(argv):
    return C.LOST_STATUS     # what multiprocessing reports when the fork server loses a child's status


def _outcome(tmp_path, entry, wall=R.WALL_LIMIT, isolation="fork"):
    (tmp_path / "c").mkdir(exist_ok=True)
    F.write_valid(tmp_path / "c", "in.xlsx")
    return R.run_item(H.Item("in.xlsx", "error"), tmp_path / "c", tmp_path / "o", wall=wall, isolation=isolation,
                      entry=f"test_hostile:{entry}")


def test_runner_counts_tracebacks_modified_inputs_and_hangs(tmp_path):
    crash = _outcome(tmp_path, "_child_crashes")
    assert crash.traceback and not crash.clean and not crash.modified
    modified = _outcome(tmp_path, "_child_modifies_input")
    assert modified.modified and not modified.clean and not modified.traceback
    hang = _outcome(tmp_path, "_child_hangs", wall=1.0)
    assert hang.exit_code is None and not hang.clean and "wall-time" in hang.reason
    segv = _outcome(tmp_path, "_child_segfaults")
    assert segv.traceback and segv.exit_code == -signal.SIGSEGV
    hog = _outcome(tmp_path, "_child_allocates")
    assert hog.traceback and "MemoryError" in (tmp_path / "o" / "in_xlsx" / "stderr.txt").read_text()
    line = R.summary_line([crash, modified, hang, segv, hog])
    assert "handled cleanly 0, tracebacks 3, hangs 1, inputs modified 1, formulas leaked 0" in line


def test_lost_exit_status_is_rerun_in_a_fresh_interpreter(tmp_path):
    """A silent 255 from the fork server is the server's fault: the item is judged on an exec run."""
    lost = _outcome(tmp_path, "_child_status_lost")
    # the exec run solves the valid workbook for real: exit 0, where the item expected an error
    assert lost.exit_code == 0 and not lost.traceback and "re-ran it in a fresh interpreter" in lost.note
    assert (tmp_path / "o" / "in_xlsx" / "fork_stderr.txt").is_file()
    assert "expected exit 1 (error), got exit 0" in lost.reason
    loud = _outcome(tmp_path, "_child_crashes")      # a real traceback is never re-run
    assert loud.traceback and loud.note == ""


def test_fresh_interpreter_mode(tmp_path, monkeypatch):
    """--fresh-interpreter: a new Python per item, same judgement (a real refusal, then a crash)."""
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "doc.xlsx").write_bytes(b"%PDF-1.4\n")
    item = H.Item("doc.xlsx", "error", ("PDF",))
    ok = R.run_item(item, tmp_path / "c", tmp_path / "o", isolation="exec")
    assert ok.clean and ok.exit_code == 1 and ok.memory_mb > 10
    monkeypatch.setattr(C, "CHILD", "raise KeyError('boom')\n")
    crash = R.run_item(item, tmp_path / "c", tmp_path / "o2", isolation="exec")
    assert crash.traceback and not crash.clean


def test_robustness_command_prints_one_line(tmp_path, monkeypatch, capsys):
    """The CLI wiring, on a two-item corpus."""
    def tiny(folder, quick=False, on_item=None, written=None):
        folder.mkdir(parents=True)
        F.write_valid(folder, "valid.xlsx")
        (folder / "fake.xlsx").write_bytes(b"%PDF-1.4")
        items = [H.Item("valid.xlsx", "ok"), H.Item("fake.xlsx", "error", ("PDF",))]
        written.update(("valid.xlsx", "fake.xlsx"))
        for item in items:
            on_item(item)
        return items, ["a note"]
    monkeypatch.setattr(H, "build_corpus", tiny)
    from optimizer.cli import main
    assert main(["robustness", "--out-dir", str(tmp_path / "run"), "--quick"]) == 0
    out, err = capsys.readouterr()
    assert out.count("\n") == 1 and out.startswith("inputs tried 2, handled cleanly 2, tracebacks 0, hangs 0, "
                                                   "inputs modified 0, formulas leaked 0, worst time ")
    assert "note: a note" in err
    assert (tmp_path / "run" / "robustness.tsv").is_file()


# ----------------------------------------------------------------------------- the zip guard
def _info(member: Z.Member, tmp_path):
    path = Z.write_raw_zip(tmp_path / "z.zip", [member])
    data = path.read_bytes()
    return data, zipfile.ZipFile(io.BytesIO(data)).infolist()[0]


def test_lying_member_refused_with_bounded_memory(tmp_path):
    real = b"<styleSheet/>" * 100
    data, info = _info(Z.lying("xl/styles.xml", real, 1000), tmp_path)
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open(info) as fh:   # zipfile alone is fooled:
        assert fh.read(4096)[:len(real)] == real                          # size and CRC match the prefix
    tracemalloc.start()
    try:
        with pytest.raises(G.Refused, match="declares 1,300 bytes but expands to more"):
            for _ in G.inflate(data, info):
                pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * G.CHUNK          # the stream would inflate to 1,000 MiB


@pytest.mark.parametrize("change,text", [
    (dict(crc=1), "checksum"), (dict(size=10_000), "checksum"), (dict(data=b"\xff\xff\xff"), "damaged"),
])
def test_damaged_members(tmp_path, change, text):
    m = Z.deflated("a.xml", b"<a>" + b"x" * 5000 + b"</a>")
    if "data" in change:
        m.data = m.data[:10] + change["data"]
    m.crc, m.size = change.get("crc", m.crc), change.get("size", m.size)
    data, info = _info(m, tmp_path)
    with pytest.raises(G.Refused, match=text):
        b"".join(G.inflate(data, info))


def test_stored_member_longer_than_declared(tmp_path):
    data, info = _info(Z.Member("a.xml", b"<a>0123456789</a>", 5, 0, method=zipfile.ZIP_STORED), tmp_path)
    with pytest.raises(G.Refused, match="declares 5 bytes"):
        b"".join(G.inflate(data, info))


def test_zeros_deflate_is_what_it_says():
    stream = Z.zeros_deflate(8)
    assert len(stream) < 10_000 and zlib.decompress(stream, -15) == b"\0" * (8 * Z.MB)


XML = (b'<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"/></row>\n'
       b'<x:row r="2"\n spans="1:2"><x:c r="A2"><x:f>1+1</x:f></x:c></x:row><row r="3"/><rowBreaks/>'
       b'<cols><col min="1"/></cols><cfRule/></sheetData><mergeCells><mergeCell ref="A1:B1"/></mergeCells>'
       b"</worksheet>")


def test_tag_counts_do_not_depend_on_chunk_boundaries():
    whole = G.PartScan("s", G.SHEET_TAGS, True)
    whole.feed(XML)
    whole.finish()
    assert (whole.rows, whole.cells, whole.has_formula, whole.has_merge) == (3, 3, True, True)
    rng = random.Random(3)
    for _ in range(30):
        scan, at = G.PartScan("s", G.SHEET_TAGS, True), 0
        while at < len(XML):
            step = rng.randint(1, 12)
            scan.feed(XML[at:at + step])
            at += step
        scan.finish()
        assert scan.counts == whole.counts


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_element_pre_count_is_exact_and_does_not_depend_on_chunk_boundaries(encoding):
    """Start tags are counted as '<' not followed by '/', '!' or '?', in UTF-16 as in UTF-8."""
    xml = ('<?xml version="1.0"?><!-- c --><worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c><c/>'
           '<c><is><t><![CDATA[x]]></t></is></c></row><row r="2"/></sheetData><?pi x?></worksheet>')
    data = xml.encode(encoding)
    expected = 10                  # worksheet, sheetData, row, c, v, c, c, is, t, row (not CDATA, comment, PI)
    rng = random.Random(5)
    for _ in range(40):
        scan, at = G.PartScan("p", None, False, True), 0
        while at < len(data):
            step = rng.randint(1, 9)
            scan.feed(data[at:at + step])
            at += step
        scan.finish()
        assert scan.elements == expected


def test_dtd_and_long_text_found_across_chunks():
    scan = G.PartScan("xl/sharedStrings.xml", G.STRING_TAGS, True)
    scan.feed(b'<?xml version="1.0"?><!DOC')
    with pytest.raises(G.Refused, match="entities"):
        scan.feed(b'TYPE x [<!ENTITY a "b">]><sst/>')
    scan = G.PartScan("xl/sharedStrings.xml", G.STRING_TAGS, True)
    scan.feed(b"<sst><si><t>" + b"y" * (G.CHUNK // 2))
    scan.feed(b"y" * (G.CHUNK // 2 - 100))          # just under the limit so far
    with pytest.raises(G.Refused, match="32,767 characters"):
        scan.feed(b"y" * 200 + b"</t></si></sst>")


def test_cell_and_string_limits_name_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(LIM, "MAX_CELLS", 40)
    issues = errors_of(F.write_valid(tmp_path))
    assert len(issues) == 1 and "the limit is 40 cells" in issues[0].rule and issues[0].sheet
    monkeypatch.setattr(LIM, "MAX_CELLS", 10 ** 6)
    monkeypatch.setattr(LIM, "MAX_SHARED_STRINGS", 2)
    sst = b'<sst xmlns="x">' + b"<si><t>a</t></si>" * 3 + b"</sst>"
    path = Z.with_shared_strings(F.write_valid(tmp_path), tmp_path / "s.xlsx",
                                 Z.deflated("xl/sharedStrings.xml", sst))
    assert "more than 2 strings" in errors_of(path)[0].rule


def test_member_count_checked_before_the_directory_is_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(LIM, "MAX_ZIP_MEMBERS", 5)
    path = F.write_valid(tmp_path)
    monkeypatch.setattr(L.zipfile, "ZipFile", lambda *a, **k: pytest.fail("directory parsed"))
    issues = errors_of(path)
    assert "more than the limit of 5 members" in issues[0].rule


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_the_parser_is_the_second_line_of_defence(tmp_path, monkeypatch, encoding):
    """A DTD is refused by the scan and, if the scan were bypassed, by the reader's own parser, in
    UTF-8 as in UTF-16 (where the bytes of '<!DOCTYPE' are not the UTF-8 ones)."""
    xml = Z.BILLION_LAUGHS.decode().replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"').encode(encoding)
    path = Z.with_shared_strings(F.write_valid(tmp_path), tmp_path / "bomb.xlsx",
                                 Z.deflated("xl/sharedStrings.xml", xml))
    assert "xl/sharedStrings.xml declares XML entities" in errors_of(path)[0].rule   # the scan
    monkeypatch.setattr(G, "scan_members", lambda *a: {})
    assert "(xl/sharedStrings.xml): declares XML entities or a DTD" in errors_of(path)[0].rule   # the parser


@pytest.mark.parametrize("method,label", [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "lzma")])
def test_compression_methods_excel_never_writes(tmp_path, method, label):
    path = tmp_path / "m.xlsx"
    with zipfile.ZipFile(F.write_valid(tmp_path)) as src, zipfile.ZipFile(path, "w", method) as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
    assert f"({label})" in errors_of(path)[0].rule


def test_limits_are_refused_before_parsing(tmp_path, monkeypatch):
    """The row limit is enforced on the XML bytes first: the sheet parser never starts on a sheet
    that is too long (it counts again itself, for what the byte scan cannot see)."""
    monkeypatch.setattr(LIM, "MAX_ROWS_PER_SHEET", 3)
    monkeypatch.setattr(L.SheetParser, "parse", lambda *a: pytest.fail("the sheet parser started"))
    assert "limit is 3 rows per sheet" in errors_of(F.write_valid(tmp_path))[0].rule


# ----------------------------------------------------------------------------- fuzzing
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10 ** 6, 10 ** 6), st.floats(-1e9, 1e9),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs",)),
            max_size=8),
    st.sampled_from(["GA", "CN", "JP", "NDFEB", "ALL", "2026", "1,200", "=1+1", "#N/A", "yes", "china", "50%"]),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1)),
)
SHEET_NAMES = [s.name for s in S.DATA_SHEETS] + ["Notes", "supply", "Demand "]


@st.composite
def workbook_shapes(draw):
    """Start from the valid tables; drop/add/duplicate sheets, columns and rows; change cells.
    ``wild`` 0 keeps the structure (cells only), 1 changes columns and rows, 2 also sheets."""
    wild = draw(st.integers(0, 2))
    tables = F.valid_tables()
    sheets = {}
    for sheet in S.DATA_SHEETS:
        if wild == 2 and draw(st.integers(0, 5)) == 0:
            continue                                     # a missing sheet
        rows = tables.get(sheet.name) or []
        if sheet is S.SETTINGS:
            rows = [{"setting": k, "value": v} for k, v in rows.items()]
        cols = [c for c in sheet.columns if not wild or draw(st.integers(0, 15))]   # a dropped column
        headers = [c.header for c in cols]
        if wild:
            headers += draw(st.lists(st.sampled_from(["extra", "capacty (t)", "", "year"]), max_size=2))
        body = [[r.get(c.key) for c in cols] for r in rows]
        if wild and body:
            body = draw(st.permutations(body)) if draw(st.booleans()) else body
            body = body[:draw(st.integers(0, len(body)))] if draw(st.integers(0, 4)) == 0 else body
            body += [list(row) for row in body[:draw(st.integers(0, 1))]]   # a duplicated row
        title = draw(st.sampled_from([sheet.name] * 8 + SHEET_NAMES)) if wild == 2 else sheet.name
        sheets[title] = [headers] + body
    for _ in range(draw(st.integers(0, 6 if wild else 1))):   # changed cells, anywhere
        body = sheets[draw(st.sampled_from(sorted(sheets)))] if sheets else []
        if len(body) > 1 and body[0]:
            i, j = draw(st.integers(1, len(body) - 1)), draw(st.integers(0, len(body[0]) - 1))
            body[i] = body[i] + [None] * (j + 1 - len(body[i]))
            body[i][j] = draw(VALUES)
    if draw(st.booleans()) or not sheets:
        sheets["Scratch"] = [[draw(VALUES) for _ in range(3)] for _ in range(draw(st.integers(0, 3)))]
    return sheets


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(shape=workbook_shapes())
def test_random_shapes_give_data_or_input_error(tmp_path, shape):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in shape.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(r, c, value)
                if isinstance(value, str):
                    cell.data_type = "s"
    path = tmp_path / "shape.xlsx"
    wb.save(path)
    before = F.sha256(path)
    try:
        data = load_and_validate(path)
    except InputError as err:
        assert any(i.severity == "error" for i in err.issues) and all(str(i) for i in err.issues)
        event("input error")
    else:
        assert isinstance(data, SourcingData) and len(data.materials) >= 1
        event("loaded")
    assert F.sha256(path) == before


@pytest.fixture(scope="module")
def valid_members(tmp_path_factory):
    path = F.write_valid(tmp_path_factory.mktemp("fuzz"))
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}, path.read_bytes()


FUZZ_PARTS = ["xl/worksheets/sheet5.xml", "xl/worksheets/sheet2.xml", "xl/workbook.xml", "xl/styles.xml",
              "[Content_Types].xml", "xl/_rels/workbook.xml.rels"]
XMLISH = st.binary(max_size=12) | st.sampled_from([b"<", b">", b"/>", b'"', b"&amp;", b"&x;", b"<row>",
                                                    b"<c r=\"A1\"><v>1</v></c>", b"</sheetData>", b"\xff"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(part=st.sampled_from(FUZZ_PARTS),
       edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 8), XMLISH), min_size=1, max_size=4))
def test_mangled_xml_gives_only_input_errors(tmp_path, valid_members, part, edits):
    members, _ = valid_members
    xml = bytearray(members[part])
    for where, cut, new in edits:
        at = int(where * len(xml))
        xml[at:at + cut] = new
    out = [Z.deflated(n, bytes(xml) if n == part else d) for n, d in members.items()]
    path = Z.write_raw_zip(tmp_path / "mangled.xlsx", out)
    try:
        load_and_validate(path)
    except InputError as err:
        assert all(str(i) for i in err.issues)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 4), st.binary(max_size=6)), min_size=1,
                      max_size=3), truncate=st.none() | st.floats(0, 1))
def test_mangled_bytes_give_only_input_errors(tmp_path, valid_members, edits, truncate):
    data = bytearray(valid_members[1])
    for where, cut, new in edits:
        at = int(where * len(data))
        data[at:at + cut] = new
    if truncate is not None:
        del data[int(truncate * len(data)):]
    path = tmp_path / "bytes.xlsx"
    path.write_bytes(bytes(data))
    digest = hashlib.sha256(data).hexdigest()
    try:
        load_and_validate(path)
    except InputError as err:
        assert all(str(i) for i in err.issues)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_fuzzed_parts_exist(valid_members, tmp_path):
    """The parts the XML fuzzing mangles are in the fixture (else it would fuzz nothing)."""
    assert set(FUZZ_PARTS) <= set(valid_members[0])
    assert Z.sheet_part(F.write_valid(tmp_path), "Supply") == "xl/worksheets/sheet5.xml"


def test_zip_version_python_cannot_read_is_an_input_error(tmp_path):
    """A central directory claiming 'version needed to extract' 6.4: zipfile raises
    NotImplementedError, which must reach the user as a clear error, not a traceback."""
    data = bytearray(F.write_valid(tmp_path).read_bytes())
    at = data.find(b"PK\x01\x02")                  # first central-directory header
    data[at + 6:at + 8] = (64).to_bytes(2, "little")  # version needed to extract
    path = tmp_path / "v64.xlsx"
    path.write_bytes(bytes(data))
    errors = errors_of(path)
    assert "zip" in errors[0].rule and "Excel never writes" in errors[0].rule
