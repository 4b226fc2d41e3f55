"""Every workbook a command writes is print- and forward-ready: each sheet has a page setup (A4,
one page wide, orientation by width, header rows repeated), every number has a number format,
and, converted to PDF by LibreOffice as a client would print it, each workbook stays within its
page bound (the sample's counts before this check: solve 32, curve 47, frontier 7, compare 37,
pool 31, risk 23 pages)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from optimizer.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "inputs" / "korea_2024_2030.xlsx"
RISK = ROOT / "inputs" / "korea_2024_2030_risk.xlsx"
POOL = ROOT / "inputs" / "pool_kr_jp_sg.xlsx"

RUNS = {   # workbook -> (command line, page bound)
    "solve": (["solve", str(SAMPLE)], 36),
    "curve": (["curve", str(SAMPLE)], 31),
    "curve_year": (["curve", str(SAMPLE), "--mode", "year", "--year", "2027"], 9),
    "frontier": (["frontier", str(SAMPLE)], 5),
    "compare": (["compare", str(SAMPLE)], 18),
    "risk": (["risk", str(RISK)], 13),
    "pool": (["pool", str(POOL)], 11),
}


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("print")
    out = {}
    for name, (argv, _) in RUNS.items():
        path = folder / f"{name}.xlsx"
        assert main(argv + ["-o", str(path)]) == 0, name
        out[name] = path
    return out


def _numbers_without_format(ws):
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, (int, float)) and not isinstance(c.value, bool) and c.number_format == "General":
                yield c.coordinate


@pytest.mark.parametrize("name", list(RUNS))
def test_every_sheet_has_a_page_setup_and_formatted_numbers(workbooks, name):
    wb = openpyxl.load_workbook(workbooks[name])
    for ws in wb.worksheets:
        where = f"{name}: {ws.title}"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), where
        assert ws.page_setup.orientation in ("portrait", "landscape"), where
        # one page wide, or one page per block the report split the sheet into (Plan: detail | pivot)
        blocks = 1 + len(ws.col_breaks.brk)
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == blocks, where
        assert ws.page_setup.fitToHeight == 0, where                 # as many pages tall as needed
        if ws.max_row > 40 and not ws._charts:
            assert ws.print_title_rows, f"{where}: a long table repeats its header on every page"
        assert list(_numbers_without_format(ws))[:5] == [], where


def _pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: .ci/run installs libreoffice-calc-nogui")
def test_each_workbook_prints_within_its_page_bound(workbooks, tmp_path):
    profile = tmp_path / "lo-profile"
    pdfs = tmp_path / "pdf"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(pdfs), *map(str, workbooks.values())],
                   check=True, capture_output=True, timeout=600)
    pages = {name: _pages(pdfs / f"{name}.pdf") for name in workbooks}
    print("PDF pages:", pages)
    over = {n: (p, RUNS[n][1]) for n, p in pages.items() if not 0 < p <= RUNS[n][1]}
    assert over == {}, f"pages (got, bound): {over}"
