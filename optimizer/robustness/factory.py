"""Small valid and deliberately broken input workbooks, generated into a test's tmp_path.

Nothing binary is committed: every fixture is built here with
:func:`optimizer.sourcing.template.write_input_workbook` and then edited with openpyxl in normal
mode (fine for fixtures; the tool itself never re-saves an input).
"""
from __future__ import annotations

import copy
import hashlib
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from optimizer.robustness import rawzip as Z
from optimizer.sourcing import schema as S
from optimizer.sourcing.template import write_input_workbook

YEARS = (2025, 2026, 2027)

SETTINGS = {"first_year": 2025, "last_year": 2027, "currency": "USD", "discount_rate": 0.05,
            "risk_weight": 0.5}

MATERIALS = [
    dict(material="GA", name="Gallium", group="", china_cap_applies=True, reference_value=300.0,
         holding_cost=2.0, opening_stock=5.0, basis="K1"),
    dict(material="NDFEB", name="NdFeB magnets", group="REE", china_cap_applies=True, reference_value=60.0,
         holding_cost=0.5, opening_stock=0.0, basis="A"),
]
SUPPLIERS = [
    dict(source="CN", name="China", country="China", bloc="china", risk=0.8, rationale="licensing", basis="W5"),
    dict(source="JP", name="Japan", country="Japan", bloc="ally", risk=0.2),
    dict(source="KR", name="Korea", country="Korea", bloc="domestic", risk=0.1),
]


def _supply_rows() -> list[dict]:
    rows = []
    for t in YEARS:
        rows += [
            dict(material="GA", source="CN", year=t, capacity=100.0, unit_cost=300.0),
            dict(material="GA", source="JP", year=t, capacity=40.0, unit_cost=450.0, min_volume=5.0),
            dict(material="NDFEB", source="CN", year=t, capacity=1000.0, unit_cost=60.0, max_increase=200.0),
            dict(material="NDFEB", source="JP", year=t, capacity=300.0, unit_cost=80.0, basis="K1; W5"),
        ]
    return rows


def valid_tables() -> dict:
    """Two materials, three suppliers (one china bloc), 2025-2027: a workbook that validates."""
    return {
        "Settings": dict(SETTINGS),
        "Materials": copy.deepcopy(MATERIALS),
        "Suppliers": copy.deepcopy(SUPPLIERS),
        "Supply": _supply_rows(),
        "Demand": [dict(material=m, year=t, demand=d + 10 * i)
                   for m, d in (("GA", 80.0), ("NDFEB", 900.0)) for i, t in enumerate(YEARS)],
        "Policy": [dict(year=2025, scope="ALL", max_china_share=0.7),
                   dict(year=2027, scope="ALL", max_china_share=0.5)],
        "Stockpile": [dict(material="GA", year=2027, target_days=30)],
        "Investments": [dict(project="KR_GA", name="Korean Ga recovery", material="GA", source="KR",
                             capacity=20.0, capex=50.0, opex=350.0, earliest_year=2026, lead_time=1)],
        "Budget": [dict(year=2026, capex_budget=100.0)],
        "Origins": [dict(material="NDFEB", source="JP", stage="refining", country="CN", share=0.6),
                    dict(material="NDFEB", source="JP", stage="refining", country="JP", share=0.4)],
        "Conversion": [dict(process="KR_LINE", name="Korean finishing line", material="NDFEB", source="KR",
                            stages="magnet", capacity=50.0, unit_cost=10.0)],
        "ConversionInputs": [dict(process="KR_LINE", material="GA", input_per_t=0.02)],
        "Sources": [dict(ref="K1", what="KITA trade statistics", tag="S"),
                    dict(ref="W5", what="Industry press report", tag="D")],
        "Scenarios": [
            dict(scenario="ga_embargo", sheet="Supply", material="GA", source="CN", year=2026,
                 target="capacity", operation="multiply", value=0),
            dict(scenario="risk_heavy", sheet="Settings", target="risk_weight", operation="set", value=2),
            dict(scenario="demand_up", sheet="Demand", material="NDFEB", target="demand", operation="add",
                 value=50),
            dict(scenario="ga_cap", sheet="Policy", material="GA", year=2026, target="max_china_share",
                 operation="set", value=0.3),
        ],
    }


def write_valid(tmp_path: Path, name: str = "valid.xlsx", **changes) -> Path:
    """Write the valid workbook; ``changes`` replace whole tables (e.g. Sources=[...])."""
    tables = valid_tables()
    tables.update(changes)
    return write_input_workbook(Path(tmp_path) / name, tables)


def col(sheet: str, key: str) -> str:
    """Column letter of a schema column in a workbook written by the template."""
    sh = S.SHEET_BY_NAME[sheet]
    return get_column_letter([c.key for c in sh.columns].index(key) + 1)


def cell(sheet: str, key: str, row: int) -> str:
    return f"{col(sheet, key)}{row}"


def edit(path: Path, sheet: str, cells: dict, out: Path | None = None, as_text: bool = True) -> Path:
    """Set cells (address -> value); strings are stored as text unless ``as_text`` is False
    (then a string starting with '=' becomes a formula, with no cached value)."""
    wb = load_workbook(path)
    ws = wb[sheet]
    for addr, value in cells.items():
        ws[addr] = value
        if as_text and isinstance(value, str):
            ws[addr].data_type = "s"
    out = Path(out or path)
    wb.save(out)
    return out


def merge(path: Path, sheet: str, ref: str) -> Path:
    wb = load_workbook(path)
    wb[sheet].merge_cells(ref)
    wb.save(path)
    return path


def delete_sheet(path: Path, sheet: str) -> Path:
    wb = load_workbook(path)
    del wb[sheet]
    wb.save(path)
    return path


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    p = Path(tmp_path) / name
    p.write_bytes(data)
    return p


def zip_with_member(tmp_path: Path, name: str, size: int) -> Path:
    """A zip holding a highly compressible member of ``size`` bytes (a tiny file on disk)."""
    p = Path(tmp_path) / name
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", b"<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * size)
    return p


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def replace_data(obj, **changes):
    """dataclasses.replace, re-exported for tests that build variants of SourcingData/Settings."""
    from dataclasses import replace
    return replace(obj, **changes)


def pool_tables(members: int, materials: int = 2, years: int = 3, tiers: bool = False) -> dict:
    """A pool workbook's tables with ``members`` members (M01, M02, ...): each member's demand per
    material and year, one continuous pooled offer per material and year at a volume discount, and
    a dearer stand-alone offer per member (an LP joint model, valid for any number of members)."""
    ys = list(range(2026, 2026 + years))
    mats = [f"MAT{k}" for k in range(1, materials + 1)]
    ids = [f"M{i:02d}" for i in range(1, members + 1)]
    return {
        "Settings": {"first_year": ys[0], "last_year": ys[-1], "currency": "USD", "mga_slack": 0.0},
        "Members": [dict(member=m, name=f"member {m}", country="X") for m in ids],
        "MemberDemand": [dict(member=m, material=mat, year=y, demand=10.0 + i + 3 * k)
                         for i, m in enumerate(ids) for k, mat in enumerate(mats) for y in ys],
        "PooledOffers": [dict(offer=f"P{k}{y}", source="AU", material=mat, year=y, tier=t, tier_min=lo,
                              tier_max=hi, unit_price=price, min_lot=0.0)
                         for k, mat in enumerate(mats) for y in ys
                         for t, lo, hi, price in (((1, 0.0, 50.0 * members, 110.0 + 10 * k),
                                                   (2, 50.0 * members, None, 95.0 + 10 * k)) if tiers
                                                  else ((1, 0.0, None, 100.0 + 10 * k),))],
        "StandaloneOffers": [dict(member=m, source="CN", material=mat, year=y, capacity=1e5,
                                  unit_price=120.0 + 10 * k + (i % 5))
                             for i, m in enumerate(ids) for k, mat in enumerate(mats) for y in ys],
    }


def with_rows(src: Path, dst: Path, tables: dict[str, list[dict]]) -> Path:
    """``src`` with the sheets of ``tables`` (sheet -> rows as dicts by column key) replaced, written
    as raw sheet XML: a second for tens of thousands of rows, where openpyxl takes minutes."""
    def xml(sheet, rows):
        cols = S.SHEET_BY_NAME[sheet].columns
        yield Z.SHEET_HEAD + Z.xml_row(1, [c.header for c in cols])
        for start in range(0, len(rows), 5_000):
            yield b"".join(Z.xml_row(r, [row.get(c.key) for c in cols])
                           for r, row in enumerate(rows[start:start + 5_000], start + 2))
        yield Z.SHEET_TAIL

    out = Path(src)
    for k, (sheet, rows) in enumerate(tables.items()):
        step = Path(dst) if k == len(tables) - 1 else Path(dst).with_suffix(f".{k}.xlsx")
        Z.with_sheet_xml(out, step, sheet, xml(sheet, rows))
        if out != Path(src):
            out.unlink()
        out = step
    return out


def with_many_suppliers(src: Path, dst: Path, sources: int) -> Path:
    """``src`` (the valid workbook) with ``sources`` more ally suppliers, each offering both
    materials in every year: a valid workbook of 6 x ``sources`` more Supply rows."""
    tables = valid_tables()
    suppliers = tables["Suppliers"] + [dict(source=f"S{i:05d}", name=f"supplier {i}", country="X", bloc="ally",
                                            risk=0.3) for i in range(sources)]
    supply = tables["Supply"] + [dict(material=m, source=f"S{i:05d}", year=y, capacity=1.0, unit_cost=100.0 + i % 97)
                                 for i in range(sources) for m in ("GA", "NDFEB") for y in YEARS]
    return with_rows(src, dst, {"Suppliers": suppliers, "Supply": supply})
