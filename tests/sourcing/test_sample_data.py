"""The bundled sample workbook inputs/korea_2024_2030.xlsx: up to date with its build script,
every number traceable to the Sources sheet, and the data sane.

Writes only to tmp_path.  If the first test fails after a schema or data change, regenerate
the workbook with ``python inputs/build_sample.py``.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from optimizer.core.workbook import columns as COLUMNS
from optimizer.sourcing import schema as S

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "inputs" / "korea_2024_2030.xlsx"
SCRIPT = ROOT / "inputs" / "build_sample.py"
YEARS = list(range(2024, 2031))
BASIS_SHEETS = [s for s in S.DATA_SHEETS if any(c.key == "basis" for c in s.columns)]
FREE_TEXT = re.compile(r"^[ADS]:\s+\S")   # "A: reason" / "D: working" pieces in a basis cell


def _load_script():
    spec = importlib.util.spec_from_file_location("build_sample", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def script():
    return _load_script()


def _values(path: Path) -> dict[str, list[tuple]]:
    wb = load_workbook(path, data_only=True)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def _records(path: Path) -> dict[str, list[dict]]:
    """Every schema sheet as a list of {column key: value}, matched by header text."""
    wb = load_workbook(path, data_only=True)
    out = {}
    try:
        for sheet in S.DATA_SHEETS:
            ws = wb[sheet.name]
            rows = list(ws.iter_rows(values_only=True))
            by_header = {c.header: c.key for c in sheet.columns}
            keys = [by_header.get(h) for h in rows[0]]
            out[sheet.name] = [{k: v for k, v in zip(keys, r) if k} for r in rows[1:]
                               if any(v not in (None, "") for v in r)]
    finally:
        wb.close()
    return out


@pytest.fixture(scope="module")
def sample() -> dict[str, list[dict]]:
    assert SAMPLE.exists(), "inputs/korea_2024_2030.xlsx is missing: run python inputs/build_sample.py"
    return _records(SAMPLE)


@pytest.fixture(scope="module")
def refs(sample) -> set[str]:
    return {r["ref"] for r in sample["Sources"]}


def _pieces(basis: str) -> list[str]:
    return [p.strip() for p in str(basis).split(";")]


# ---------------------------------------------------------------------------- up to date
def test_committed_workbook_equals_a_fresh_build(script, tmp_path):
    fresh = script.build(tmp_path / "fresh.xlsx")
    got, want = _values(SAMPLE), _values(fresh)
    assert list(got) == list(want), "sheet list differs: run python inputs/build_sample.py"
    for name in want:
        assert got[name] == want[name], f"sheet {name} differs from the build script: run python inputs/build_sample.py"


def test_sheets_follow_the_schema(sample):
    wb = load_workbook(SAMPLE, read_only=True)
    try:
        assert wb.sheetnames[0] == "README"
        assert "Korea critical-material sourcing 2024–2030" in str(wb["README"]["A1"].value)
        for sheet in S.DATA_SHEETS:
            header = next(wb[sheet.name].iter_rows(max_row=1, values_only=True))
            assert list(header[:len(sheet.headers)]) == sheet.headers, sheet.name
    finally:
        wb.close()


# ---------------------------------------------------------------------------- traceability
def test_every_data_row_has_a_basis_whose_refs_are_on_the_sources_sheet(sample, refs):
    for sheet in BASIS_SHEETS:
        for i, row in enumerate(sample[sheet.name], start=2):
            basis = row.get("basis")
            assert basis and str(basis).strip(), f"{sheet.name} row {i}: empty basis"
            assert "," not in str(basis), f"{sheet.name} row {i}: separate references with '; ', not ','"
            ids = []
            for piece in _pieces(basis):
                if FREE_TEXT.match(piece):
                    continue
                assert re.fullmatch(COLUMNS.ID_PATTERN, piece), f"{sheet.name} row {i}: '{piece}' is not a ref id"
                ids.append(piece)
            assert ids, f"{sheet.name} row {i}: basis cites no reference"
            missing = [r for r in ids if r not in refs]
            assert not missing, f"{sheet.name} row {i}: {missing} not on the Sources sheet"


REF_TOKEN = re.compile(r"\b(?:[KCWPXGJ]\d+d?|A\d+|D\d+|DF\d+|TL\d{4}[A-Z]?)\b")


def test_settings_and_scenarios_carry_their_basis(sample, refs):
    for row in sample["Settings"]:
        assert row.get("notes"), f"setting {row['setting']}: no notes"
        missing = set(REF_TOKEN.findall(row["notes"])) - refs
        assert not missing, f"setting {row['setting']}: {sorted(missing)} not on the Sources sheet"
    for row in sample["Scenarios"]:
        assert row.get("note"), f"scenario {row['scenario']}: no note"
        cited = set(REF_TOKEN.findall(row["note"]))
        assert cited, f"scenario {row['scenario']}: the note cites no Sources ref"
        assert cited <= refs, f"scenario {row['scenario']}: {sorted(cited - refs)} not on the Sources sheet"


def test_sources_rows_are_tagged_and_sourced_rows_have_an_address(sample):
    seen = set()
    for row in sample["Sources"]:
        ref = row["ref"]
        assert ref not in seen, f"Sources: {ref} twice"
        seen.add(ref)
        assert row["tag"] in ("S", "D", "A"), f"Sources {ref}: tag {row['tag']!r}"
        assert row.get("what"), f"Sources {ref}: empty 'what'"
        if row["tag"] == "S":
            assert str(row.get("address") or "").startswith("http"), f"Sources {ref}: S row without an address"
        if row["tag"] == "D":
            assert row.get("address"), f"Sources {ref}: D row should say what it is derived from"


def test_every_source_is_cited(sample, refs):
    """No dead bibliography: each Sources row is cited by a data row, a setting, a scenario or
    another Sources row (e.g. an S figure used only through the D row derived from it)."""
    texts = []
    for sheet in BASIS_SHEETS:
        texts += [("", str(r.get("basis") or "")) for r in sample[sheet.name]]
    texts += [("", str(r.get("notes") or "")) for r in sample["Settings"]]
    texts += [("", str(r.get("note") or "")) for r in sample["Scenarios"]]
    texts += [(r["ref"], f"{r.get('what') or ''} {r.get('address') or ''}") for r in sample["Sources"]]
    words = [(owner, set(re.findall(r"[A-Za-z][A-Za-z0-9]*", t))) for owner, t in texts]
    uncited = sorted(r for r in refs if not any(r in w for owner, w in words if owner != r))
    assert not uncited, f"Sources rows never cited: {uncited}"


# ---------------------------------------------------------------------------- data sanity
def test_demand_is_positive_for_every_material_and_year(sample):
    mats = [r["material"] for r in sample["Materials"]]
    assert set(mats) >= {"MAG", "NDPR", "DYTB", "GA", "GE"}
    dem = {(r["material"], r["year"]): r["demand"] for r in sample["Demand"]}
    for m in mats:
        for y in YEARS:
            assert dem.get((m, y), 0) > 0, f"demand {m} {y}"


def test_every_material_has_a_china_and_a_non_china_offer_every_year(sample):
    bloc = {r["source"]: r["bloc"] for r in sample["Suppliers"]}
    for m in (r["material"] for r in sample["Materials"]):
        for y in YEARS:
            offers = [r for r in sample["Supply"] if r["material"] == m and r["year"] == y and r["capacity"] > 0]
            assert any(bloc[r["source"]] == "china" for r in offers), f"{m} {y}: no China offer"
            assert any(bloc[r["source"]] != "china" for r in offers), f"{m} {y}: no non-China offer"


def test_glide_path(sample):
    pol = {r["year"]: r["max_china_share"] for r in sample["Policy"] if r["scope"] == "ALL"}
    assert sorted(pol) == YEARS
    assert pol[2024] == pytest.approx(0.798)                      # K1 baseline
    later = [pol[y] for y in YEARS[1:]]
    assert all(a >= b for a, b in zip(later, later[1:])), later
    assert pol[2027] == pytest.approx(0.60) and pol[2030] == pytest.approx(0.50)
    assert pol[2025] == pytest.approx(0.7 - 0.1 / 3, abs=1e-4)


def test_supply_rows_are_consistent(sample):
    for r in sample["Supply"]:
        where = f"Supply {r['material']} {r['source']} {r['year']}"
        assert r["unit_cost"] > 0 and r["capacity"] > 0, where
        if r.get("min_volume") is not None:
            assert r["min_volume"] <= r["capacity"], where
        if r.get("max_increase") is not None:
            assert r["source"] not in ("CN", "KR", "KRZN", "AUAR"), where
    by_key = {(r["material"], r["source"], r["year"]): r for r in sample["Supply"]}
    assert len(by_key) == len(sample["Supply"])
    for (m, s, y), r in by_key.items():   # a contract minimum must not outgrow the ramp limit
        prev = by_key.get((m, s, y - 1))
        if r.get("min_volume") is not None and r.get("max_increase") is not None:
            prev_min = (prev or {}).get("min_volume") or 0.0
            assert r["min_volume"] - prev_min <= r["max_increase"], f"Supply {m} {s} {y}"


def test_domestic_projects_are_not_double_counted_on_supply(sample):
    domestic = {r["source"] for r in sample["Suppliers"] if r["bloc"] == "domestic"}
    assert not [r for r in sample["Supply"] if r["material"] == "GA" and r["source"] in domestic], \
        "Korea Zinc gallium belongs on Investments only (C1)"
    assert not [r for r in sample["Supply"] if r["source"] == "KRZN"]
    assert not [r for r in sample["Supply"] if r["material"] == "MAG" and r["source"] == "KR"], \
        "Korean magnet making is the conversion process (it consumes oxide), not a supply offer"
    lines = [r["capacity"] for r in sample["Conversion"] if r["material"] == "MAG" and r["source"] == "KR"]
    assert lines and max(lines) <= 1000.0, "existing Seonglim plant is 1,000 t/yr (C2); the rest is a project"
    projects = {r["project"]: r for r in sample["Investments"]}
    assert len(projects) >= 2
    ga = projects["KZ_GA_ONSAN"]
    assert ga["earliest_year"] == 2028 and ga["capacity"] == pytest.approx(15.5)
    assert ga["capex"] == pytest.approx(55.7e3 / 1400, abs=0.05)


def test_pooled_channel_is_derived_from_its_ally_source(script, sample):
    sup = {(r["material"], r["source"], r["year"]): r for r in sample["Supply"]}
    for m, under in script.SG_UNDERLYING.items():
        for y in YEARS:
            base = sup.get((m, under, y))
            sg = sup.get((m, "SG", y))
            if base is None:
                assert sg is None
                continue
            assert sg["unit_cost"] == pytest.approx(0.95 * base["unit_cost"], abs=0.01)
            assert sg["capacity"] == pytest.approx(0.10 * base["capacity"], abs=1e-3)


def test_risk_scores_follow_the_pfe_formula(sample):
    for r in sample["Suppliers"]:
        m = re.search(r"\(P ([\d.]+), F ([\d.]+), E ([\d.]+)\)", r["rationale"])
        assert m, f"{r['source']}: rationale without P/F/E"
        p, f, e = map(float, m.groups())
        assert r["risk"] == pytest.approx(round(0.5 * p + 0.3 * f + 0.2 * e + 1e-9, 2)), r["source"]
    risk = {r["source"]: r["risk"] for r in sample["Suppliers"]}
    assert risk["CN"] == pytest.approx(0.77) and risk["AUMY"] == pytest.approx(0.20)


def test_reference_value_is_the_china_cost(sample):
    cn = {r["material"]: r["unit_cost"] for r in sample["Supply"] if r["source"] == "CN" and r["year"] == 2025}
    for r in sample["Materials"]:
        assert r["reference_value"] == pytest.approx(cn[r["material"]]), r["material"]


def test_value_weighted_glide_path_is_reachable(script):
    """2024 (K1) is within what 2024 capacities allow; in later years the non-China capacity
    shortfall (2025-2026, see inputs/README.md) is smaller than the value of the opening stock."""
    rows = script.feasibility()
    by_year = {r["year"]: r for r in rows}
    assert by_year[2024]["min_share_with_projects"] <= by_year[2024]["theta"]
    for y in (2027, 2028, 2029, 2030):
        assert by_year[y]["min_share_with_projects"] <= by_year[y]["theta"], y
    t = script.tables()
    stock_value = sum(r["reference_value"] * r["opening_stock"] for r in t["Materials"])
    gap = sum(max(0.0, r["required_non_china"] - r["available_with_projects"]) for r in rows)
    assert gap <= stock_value


# ---------------------------------------------------------------------------- with the tool
def test_sample_validates_cleanly_and_every_scenario_applies():
    validate = pytest.importorskip("optimizer.sourcing.validate")
    data = validate.load_and_validate(str(SAMPLE))
    assert not [str(w) for w in data.warnings], [str(w) for w in data.warnings]
    names = data.scenario_names()
    for required in ("baseline_policy_47_5", "ga_embargo_2026", "lynas_delay", "budget_cut",
                     "per_material_targets", "oct2025_package_reactivates"):
        assert required in names
    for name in names:
        applied = validate.load_and_validate(str(SAMPLE), scenario=name)
        assert applied.settings.scenario == name
    emb = validate.load_and_validate(str(SAMPLE), scenario="ga_embargo_2026").supply
    assert emb.loc[(emb.material == "GA") & (emb.source == "CN") & (emb.year == 2026), "capacity"].item() == 0
    pm = validate.load_and_validate(str(SAMPLE), scenario="per_material_targets").policy
    assert set(pm["scope"]) == {"ALL", "MAG", "NDPR", "DYTB", "GA", "GE"}


def test_base_case_solves_and_meets_the_glide_path():
    validate = pytest.importorskip("optimizer.sourcing.validate")
    pipeline = pytest.importorskip("optimizer.sourcing.run")
    res, _, _ = pipeline.solve_data(validate.load_and_validate(str(SAMPLE)))
    assert res.proven_optimal, res.status_message
    shares = res.shares[res.shares["scope"] == "ALL"]
    assert shares["within_target"].all()
    assert res.unmet.empty or float(res.unmet["unmet"].sum()) < 1e-6
