"""Golden outputs of every everyday command on the bundled samples.

Used by ``tests/test_golden.py`` to prove that a refactor changed nothing a user sees:
every cell value of every output workbook, the terminal output and exit code of every
command, and the web API's JSON for the sample, compared against the copies stored in
``tests/golden/`` (gzipped JSON, one file per case).

Left out, because they differ between two runs of the same code: timings, timestamps,
tool and library versions (the manifest rows that name them), and the paths of the
temporary folder and of the checkout (replaced by ``<TMP>`` and ``<ROOT>``).

Numbers are compared with a relative tolerance of 1e-7 (cells) and numbers inside text
with 1e-6 (they are printed rounded), so the comparison survives the last-bit noise of
a re-ordered floating-point sum but not a changed result.

Regenerate (only when a change of output is intended, and say so in the commit):

    .venv/bin/python tests/golden_outputs.py --update
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import gzip
import io
import json
import math
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLE = ROOT / "inputs" / "korea_2024_2030.xlsx"
RISK = ROOT / "inputs" / "korea_2024_2030_risk.xlsx"
MONTHLY = ROOT / "inputs" / "korea_2025_2030_monthly_risk.xlsx"
POOL = ROOT / "inputs" / "pool_kr_jp_sg.xlsx"
GAME = GOLDEN / "inputs" / "lemaire_game.xlsx"
SCENARIOS = ("baseline_policy_47_5", "ga_embargo_2026", "lynas_delay", "lynas_half", "budget_cut",
             "per_material_targets", "oct2025_package_reactivates", "korea_targeted_ban_2026", "china_easing")

# (case name, argv with {S}/{R}/{M}/{P}/{G} for the sample, risk, monthly risk, pool and game workbooks and {T} for the
#  temporary folder).  Outputs not named with -o land in {T}/outputs (the commands' defaults).
CASES: list[tuple[str, list[str]]] = [
    ("template", ["template", "-o", "{T}/template.xlsx"]),
    ("template_risk", ["template", "-o", "{T}/template_risk.xlsx", "--risk"]),
    ("validate", ["validate", "{S}"]),
    ("validate_scenario", ["validate", "{S}", "--scenario", "ga_embargo_2026"]),
    ("validate_risk", ["validate", "{R}"]),
    ("solve", ["solve", "{S}"]),
    ("solve_pulp", ["solve", "{S}", "-o", "{T}/pulp.xlsx", "--backend", "pulp"]),
    ("solve_pyomo", ["solve", "{S}", "-o", "{T}/pyomo.xlsx", "--backend", "pyomo"]),
    *[(f"solve_{s}", ["solve", "{S}", "--scenario", s]) for s in SCENARIOS],
    ("curve", ["curve", "{S}", "--png", "{T}/curve.png"]),
    ("curve_year", ["curve", "{S}", "--mode", "year", "--year", "2027", "--grid", "20",
                    "-o", "{T}/curve_year.xlsx"]),
    ("frontier", ["frontier", "{S}", "--png", "{T}/frontier.png"]),
    ("compare", ["compare", "{S}", "--png", "{T}/compare.png"]),
    ("risk", ["risk", "{R}"]),
    ("risk_beta0", ["risk", "{R}", "--beta", "0", "--tts-weeks", "8", "-o", "{T}/risk_beta0.xlsx"]),
    ("risk_monthly", ["risk", "{M}", "-o", "{T}/risk_monthly.xlsx"]),
    ("pool", ["pool", "{P}"]),
    ("pool_game", ["pool", "{G}", "--game", "-o", "{T}/game.xlsx"]),
    ("pool_template", ["pool", "--template", "{T}/pool_template.xlsx"]),
]
WEB_CASES = (("web_solve", SAMPLE), ("web_pool", POOL))

# manifest / summary labels whose value changes from run to run
VOLATILE_LABEL = re.compile(r"^(timing: |timings|tool version|started at|written at|python|highspy|pulp|pyomo"
                            r"|openpyxl|pandas|Seconds$)", re.I)
VOLATILE_LINE = re.compile(r"^(Timings \(s\):)")
SECONDS_IN_TEXT = re.compile(r"\b\d+(?:\.\d+)? s\b")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")
JOB_ID = re.compile(r"/jobs/[A-Za-z0-9_-]{20,}/")
NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _clean_text(text: str, tmp: Path) -> str:
    text = text.replace(str(tmp.resolve()), "<TMP>").replace(str(tmp), "<TMP>")
    text = text.replace(str(ROOT), "<ROOT>")
    text = JOB_ID.sub("/jobs/<id>/", TIMESTAMP.sub("<timestamp>", text))
    return SECONDS_IN_TEXT.sub("<s>", text)


def _value(v, tmp: Path):
    if isinstance(v, str):
        return _clean_text(v, tmp)
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return float(v) if isinstance(v, float) else v
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return "<datetime>"
    return str(v)


def dump_workbook(path: Path, tmp: Path) -> dict:
    """{sheet: [[coordinate, value], ...]} of every non-empty cell, volatile manifest rows left out."""
    from openpyxl import load_workbook
    wb = load_workbook(path, data_only=False)
    out = {"_sheets": wb.sheetnames}
    for ws in wb.worksheets:
        cells = []
        volatile_rows = set()
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and VOLATILE_LABEL.match(c.value.strip()):
                    volatile_rows.add(c.row)
        for row in ws.iter_rows():
            for c in row:
                if c.value is None or c.row in volatile_rows:
                    continue
                cells.append([c.coordinate, _value(c.value, tmp)])
        out[ws.title] = cells
        out[ws.title + "/_charts"] = len(getattr(ws, "_charts", []))
    return out


def _clean_lines(text: str, tmp: Path) -> list[str]:
    lines = []
    for line in _clean_text(text, tmp).splitlines():
        if VOLATILE_LINE.match(line.strip()):
            continue
        lines.append(line)
    return lines


def _argv(argv: list[str], tmp: Path) -> list[str]:
    subst = {"{S}": str(SAMPLE), "{R}": str(RISK), "{M}": str(MONTHLY), "{P}": str(POOL), "{G}": str(GAME), "{T}": str(tmp)}
    out = []
    for a in argv:
        for k, v in subst.items():
            a = a.replace(k, v)
        out.append(a)
    return out


def run_case(name: str, argv: list[str], tmp: Path) -> dict:
    """Run ``sourcing <argv>`` in this process with the working folder at ``tmp``."""
    from optimizer.cli import main
    tmp.mkdir(parents=True, exist_ok=True)
    before = {p for p in tmp.rglob("*") if p.is_file()}
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(_argv(argv, tmp))
    finally:
        os.chdir(cwd)
    files = {}
    for p in sorted(q for q in tmp.rglob("*") if q.is_file() and q not in before):
        rel = p.relative_to(tmp).as_posix()
        if p.suffix == ".xlsx":
            files[rel] = dump_workbook(p, tmp)
        else:
            files[rel] = {"_bytes": p.stat().st_size > 0}
    return {"case": name, "exit": code, "stdout": _clean_lines(out.getvalue(), tmp),
            "stderr": _clean_lines(err.getvalue(), tmp), "files": files}


class _Inline:
    """An executor that runs the job in this thread (the web app's store accepts any executor)."""

    def submit(self, fn, *args):
        from concurrent.futures import Future
        f = Future()
        try:
            f.set_result(fn(*args))
        except BaseException as exc:   # pragma: no cover - reported through the job state
            f.set_exception(exc)
        return f

    def shutdown(self, *a, **k):
        pass


def run_web_case(name: str, workbook: Path, tmp: Path) -> dict:
    """The JSON the API returns for an uploaded workbook once its job is done."""
    from optimizer.web.app import create_app
    from optimizer.web.jobs import JobStore
    store = JobStore(tmp / name, executor=_Inline())
    app = create_app(store=store)
    client = app.test_client()
    with open(workbook, "rb") as fh:
        resp = client.post("/api/jobs", data={"file": (fh, workbook.name)}, content_type="multipart/form-data")
    job_id = resp.get_json()["id"]
    deadline = time.time() + 120
    body = client.get(f"/api/jobs/{job_id}").get_json()
    while body["status"] not in ("done", "invalid", "failed") and time.time() < deadline:
        time.sleep(0.05)
        body = client.get(f"/api/jobs/{job_id}").get_json()
    body["id"] = "<id>"
    body["result_url"] = "<url>" if "result_url" in body else None
    result = client.get(f"/api/jobs/{job_id}/result.xlsx")
    path = tmp / f"{name}.xlsx"
    path.write_bytes(result.data)
    return {"case": name, "json": json.loads(_clean_text(json.dumps(body), tmp)),
            "files": {"result.xlsx": dump_workbook(path, tmp)}}


def all_cases():
    return [n for n, _ in CASES] + [n for n, _ in WEB_CASES]


def run(name: str, tmp: Path) -> dict:
    for n, argv in CASES:
        if n == name:
            return run_case(n, argv, tmp / n)
    for n, wb in WEB_CASES:
        if n == name:
            return run_web_case(n, wb, tmp)
    raise KeyError(name)


def load_golden(name: str) -> dict:
    with gzip.open(GOLDEN / f"{name}.json.gz", "rt", encoding="utf-8") as fh:
        return json.load(fh)


def save_golden(name: str, data: dict) -> None:
    GOLDEN.mkdir(exist_ok=True)
    raw = json.dumps(data, indent=0, sort_keys=True, ensure_ascii=False).encode("utf-8")
    with open(GOLDEN / f"{name}.json.gz", "wb") as fh:
        # mtime=0: the same output gives the same bytes (no noise in git)
        with gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
            gz.write(raw)


# --------------------------------------------------------------------------- comparison
def _same_number(a: float, b: float, rel: float, abs_: float = 1e-9) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def _same_text(a: str, b: str) -> bool:
    if a == b:
        return True
    na, nb = NUMBER.findall(a), NUMBER.findall(b)
    if NUMBER.sub("#", a) != NUMBER.sub("#", b) or len(na) != len(nb):
        return False
    for x, y in zip(na, nb):
        fx, fy = float(x.replace(",", "")), float(y.replace(",", ""))
        # printed numbers are rounded: allow one unit of the last printed digit
        digits = len(x.split(".")[1]) if "." in x else 0
        if not _same_number(fx, fy, 1e-6, 10.0 ** -digits * 1.0001):
            return False
    return True


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return _same_number(float(a), float(b), 1e-7)
    if isinstance(a, str) and isinstance(b, str):
        return _same_text(a, b)
    return a == b


def differences(expected, actual, where: str = "", limit: int = 20) -> list[str]:
    """Human-readable differences between a golden record and a new one (at most ``limit``)."""
    out: list[str] = []

    def walk(e, a, at):
        if len(out) >= limit:
            return
        if isinstance(e, dict) and isinstance(a, dict):
            for k in sorted(set(e) | set(a)):
                if k not in a:
                    out.append(f"{at}/{k}: missing in the new output")
                elif k not in e:
                    out.append(f"{at}/{k}: new in the output")
                else:
                    walk(e[k], a[k], f"{at}/{k}")
            return
        if isinstance(e, list) and isinstance(a, list):
            if e and isinstance(e[0], list) and len(e[0]) == 2 and isinstance(e[0][0], str):
                em, am = dict(map(tuple, e)), dict(map(tuple, a))   # [[coordinate, value], ...]
                for k in sorted(set(em) | set(am)):
                    if k not in am:
                        out.append(f"{at}!{k}: {em[k]!r} missing")
                    elif k not in em:
                        out.append(f"{at}!{k}: new value {am[k]!r}")
                    elif not _same(em[k], am[k]):
                        out.append(f"{at}!{k}: {em[k]!r} -> {am[k]!r}")
                    if len(out) >= limit:
                        return
                return
            if len(e) != len(a):
                out.append(f"{at}: {len(e)} items -> {len(a)}")
            for i, (x, y) in enumerate(zip(e, a)):
                walk(x, y, f"{at}[{i}]")
            return
        if not _same(e, a):
            out.append(f"{at}: {e!r} -> {a!r}")

    walk(expected, actual, where)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--update", action="store_true", help="rewrite the stored golden outputs")
    p.add_argument("--cases", default="", help="comma-separated subset")
    args = p.parse_args(argv)
    import tempfile
    names = [c for c in args.cases.split(",") if c] or all_cases()
    bad = 0
    with tempfile.TemporaryDirectory() as d:
        for name in names:
            t0 = time.perf_counter()
            rec = run(name, Path(d))
            if args.update:
                save_golden(name, rec)
                print(f"{name}: written ({time.perf_counter() - t0:.1f} s)")
            else:
                diff = differences(load_golden(name), rec, name)
                bad += bool(diff)
                print(f"{name}: {'OK' if not diff else 'DIFFERS'} ({time.perf_counter() - t0:.1f} s)")
                for line in diff:
                    print("   ", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
