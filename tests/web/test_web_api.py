"""The web app's JSON API and pages through Flask's test client (real worker processes)."""
from __future__ import annotations

import io
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

flask = pytest.importorskip("flask", reason="the web app needs flask (pip install flask)")

from markupsafe import escape  # noqa: E402  (installed with flask

from optimizer.core.issues import InputError  # noqa: E402
from optimizer.sourcing.run import RunOptions, solve_data  # noqa: E402
from optimizer.sourcing.template import write_input_workbook  # noqa: E402
from optimizer.sourcing.validate import load_and_validate  # noqa: E402
from optimizer.web.app import create_app  # noqa: E402
from optimizer.web.jobs import JobStore  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "korea_2024_2030.xlsx"
XSS = "<script>alert(1)</script>"


# --------------------------------------------------------------------------- shared helpers
def small_tables(jp_capacity: float = 100.0) -> dict:
    """Material A in 2030: CN 10/kg (named XSS), JP 15/kg; demand 100 t; China cap 60 %.
    By hand: buy 60 t CN and 40 t JP; China share 60 %."""
    return {
        "Settings": [{"setting": "first_year", "value": 2030}, {"setting": "last_year", "value": 2030}],
        "Materials": [{"material": "A", "name": "Alpha", "reference_value": 10.0}],
        "Suppliers": [{"source": "CN", "name": XSS, "country": "CN", "bloc": "china", "risk": 0.8},
                      {"source": "JP", "name": "Japan Co", "country": "JP", "bloc": "ally", "risk": 0.3}],
        "Supply": [{"material": "A", "source": "CN", "year": 2030, "capacity": 100.0, "unit_cost": 10.0},
                   {"material": "A", "source": "JP", "year": 2030, "capacity": jp_capacity, "unit_cost": 15.0}],
        "Demand": [{"material": "A", "year": 2030, "demand": 100.0}],
        "Policy": [{"year": 2030, "scope": "ALL", "max_china_share": 0.6}],
    }


def write_small(path: Path, jp_capacity: float = 100.0) -> Path:
    return write_input_workbook(path, small_tables(jp_capacity))


def write_broken(path: Path) -> Path:
    """The small workbook with a negative capacity on Supply row 3 (cell D3)."""
    return write_small(path, jp_capacity=-5.0)


def wait_finished(get_json, job_id: str, timeout: float = 90.0) -> dict:
    """Poll until the job is done / invalid / failed (bounded)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = get_json(job_id)
        if st["status"] in ("done", "invalid", "failed"):
            return st
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {st}")


@contextmanager
def live_server(tmp_dir: Path, **kw):
    """The real app on 127.0.0.1 and a free port, in a thread; yields the base URL."""
    from optimizer.web.cli import make_server
    app = create_app(tmp_dir, **kw)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        server.server_close()
        app.extensions["sourcing_jobs"].shutdown()


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def app(tmp_path_factory):
    a = create_app(tmp_path_factory.mktemp("webdata"), max_upload_mb=5, keep_minutes=30)
    yield a
    a.extensions["sourcing_jobs"].shutdown()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def _post(client, path: Path, scenario: str | None = None, url: str = "/api/jobs"):
    data = {"file": (io.BytesIO(path.read_bytes()), path.name)}
    if scenario:
        data["scenario"] = scenario
    return client.post(url, data=data, content_type="multipart/form-data")


def _getter(client):
    def get(job_id):
        r = client.get(f"/api/jobs/{job_id}")
        assert r.status_code == 200
        return r.get_json()
    return get


@pytest.fixture(scope="module")
def sample_job(client):
    r = _post(client, SAMPLE)
    assert r.status_code == 202
    body = r.get_json()
    assert body["status"] in ("queued", "validating")
    return wait_finished(_getter(client), body["id"])


# --------------------------------------------------------------------------- tests
def test_sample_done_and_numbers_match_solve_data(sample_job, client, tmp_path):
    assert sample_job["status"] == "done", sample_job
    res = sample_job["result"]
    ref, _, _ = solve_data(load_and_validate(str(SAMPLE)), RunOptions())
    assert res["status"] == "optimal" and res["proven_optimal"] is True
    assert res["status_text"].startswith("Solved")
    assert res["objective"] == pytest.approx(ref.objective, rel=1e-6)
    ref_all = ref.shares[ref.shares["scope"] == "ALL"].sort_values("year")
    got_all = [r for r in res["china_share"] if r["scope"] == "ALL"]
    assert [r["year"] for r in got_all] == ref_all["year"].tolist()
    assert [r["china_share"] for r in got_all] == pytest.approx(ref_all["china_share"].tolist(), abs=1e-9)
    assert [r["target"] for r in got_all] == pytest.approx(ref_all["target"].tolist(), abs=1e-12)
    assert res["unmet"] == [] and len(res["mix"]["years"]) == 7
    assert "ga_embargo_2026" in sample_job["scenarios"]

    r = client.get(sample_job["result_url"])
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert "korea_2024_2030_result.xlsx" in r.headers["Content-Disposition"]
    out = tmp_path / "result.xlsx"
    out.write_bytes(r.data)
    import openpyxl
    wb = openpyxl.load_workbook(out, read_only=True)
    assert "Summary" in wb.sheetnames and "Plan" in wb.sheetnames
    wb.close()


def test_results_page_shows_summary_and_charts(sample_job, client):
    html = client.get(f"/jobs/{sample_job['id']}").get_data(as_text=True)
    from optimizer.sourcing import views
    ref, _, _ = solve_data(load_and_validate(str(SAMPLE)), RunOptions())
    h = views.headline(ref)
    # the page leads with the same outcome the terminal prints: proven optimal, but stock missed
    assert h.outcome.startswith("Proven optimal, but stock targets are missed in")
    assert f'id="status-text">{h.outcome}</p>' in html.replace("&#39;", "'")
    missed = html[html.index('id="missed"'):html.index('id="total-cost"')]
    assert missed.count('<tr class="over">') == len(h.missed) and "MAG 2027" in missed
    assert f"{h.money_total_m:,.1f} USD M" in html
    assert "objective minimised (money + penalties + risk charge)" in html
    assert 'id="china-share"' in html and "79.8 %" in html      # 2024 share and target
    assert 'id="mix-chart"' in html and 'id="share-chart"' in html
    assert 'data-tip="2024 China share 79.8 %, target 79.8 %"' in html
    assert f"/jobs/{sample_job['id']}/result.xlsx" in html


def test_weak_points_match_the_time_to_survive_table(sample_job, client):
    """The page and the API list the plan's shortest times-to-survive, as computed for the CLI."""
    ref, _, _ = solve_data(load_and_validate(str(SAMPLE)), RunOptions())
    tts = ref.time_to_survive
    short = tts[tts["tts_weeks"] < 52 - 1e-9].sort_values(["tts_weeks", "impact"], ascending=[True, False])
    got = sample_job["result"]["weak_points"]
    assert 0 < len(got) <= 8
    assert [(w["source"], w["material"], w["year"]) for w in got] == \
        [(r.source, r.material, int(r.year)) for r in short.head(len(got)).itertuples()]
    assert [w["tts_weeks"] for w in got] == pytest.approx(short["tts_weeks"].head(len(got)).tolist())
    html = client.get(f"/jobs/{sample_job['id']}").get_data(as_text=True)
    first = got[0]
    assert 'id="weak-points"' in html
    assert f"<td>{first['source']}</td><td>{first['material']}</td><td>{first['year']}</td>" in html


def test_broken_workbook_lists_sheet_and_cell(client, tmp_path):
    bad = write_broken(tmp_path / "bad.xlsx")
    with pytest.raises(InputError) as err:
        load_and_validate(str(bad))
    cli_messages = [str(i) for i in err.value.issues if i.severity == "error"]
    r = _post(client, bad)
    assert r.status_code == 202
    st = wait_finished(_getter(client), r.get_json()["id"])
    assert st["status"] == "invalid" and "result" not in st
    errors = [i for i in st["issues"] if i["severity"] == "error"]
    assert [i["message"] for i in errors] == cli_messages
    assert errors[0]["sheet"] == "Supply" and errors[0]["cell"] == "D3" and errors[0]["value"] == -5
    assert client.get(f"/api/jobs/{st['id']}/result.xlsx").status_code == 409
    html = client.get(f"/jobs/{st['id']}").get_data(as_text=True)
    assert "<td>Supply</td><td>D3</td>" in html
    assert f"<td>{escape(cli_messages[0])}</td>" in html      # the CLI's line, HTML-escaped


def test_workbook_strings_are_escaped(client, tmp_path):
    good = write_small(tmp_path / "xss.xlsx")
    r = _post(client, good, url="/jobs")
    assert r.status_code == 303
    job_id = r.headers["Location"].rstrip("/").split("/")[-1]
    st = wait_finished(_getter(client), job_id)
    assert st["status"] == "done"
    assert st["result"]["china_share"][0]["china_share"] == pytest.approx(0.6)   # by hand: 60 t of 100 t
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert XSS not in html


def test_rerun_with_scenario(sample_job, client):
    r = client.post(f"/api/jobs/{sample_job['id']}/rerun", data={"scenario": "ga_embargo_2026"})
    assert r.status_code == 202 and r.get_json()["id"] != sample_job["id"]
    st = wait_finished(_getter(client), r.get_json()["id"])
    assert st["status"] == "done" and st["scenario"] == "ga_embargo_2026"
    assert st["result"]["scenario"] == "ga_embargo_2026"
    assert st["result"]["objective"] != pytest.approx(sample_job["result"]["objective"], rel=1e-9)


def test_oversize_upload_is_refused(tmp_path):
    small = create_app(tmp_path, max_upload_mb=0.01)     # ~10 kB; no worker pool is started
    c = small.test_client()
    r = c.post("/api/jobs", data={"file": (io.BytesIO(b"x" * 50_000), "big.xlsx")},
               content_type="multipart/form-data")
    assert r.status_code == 413
    assert "larger than the upload limit of 0.01 MB" in r.get_json()["error"]
    page = c.post("/jobs", data={"file": (io.BytesIO(b"x" * 50_000), "big.xlsx")},
                  content_type="multipart/form-data")
    assert page.status_code == 413 and "upload limit" in page.get_data(as_text=True)
    assert not any((tmp_path / "jobs").iterdir())


def test_missing_or_empty_file_is_a_clear_400(client):
    assert client.post("/api/jobs", data={}, content_type="multipart/form-data").status_code == 400
    r = client.post("/api/jobs", data={"file": (io.BytesIO(b""), "e.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 400 and "empty" in r.get_json()["error"]


@pytest.mark.parametrize("url", [
    "/api/jobs/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/api/jobs/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/result.xlsx",
    "/jobs/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/api/jobs/nope",
])
def test_unknown_id_is_404(client, url):
    r = client.get(url)
    assert r.status_code == 404


@pytest.mark.parametrize("url", [
    "/api/jobs/..%2F..%2Fetc%2Fpasswd", "/api/jobs/..%2Fjobs/result.xlsx", "/api/jobs/../template.xlsx/x",
    "/jobs/%2e%2e%2f%2e%2e%2finput.xlsx/result.xlsx", "/api/jobs/..", "/api/jobs/.%2e/result.xlsx",
    "/static/../jobs", "/static/..%2f..%2fapp.py", "/api/jobs/%00/result.xlsx",
])
def test_path_traversal_is_404(client, url):
    assert client.get(url).status_code == 404


def test_traversal_ids_never_reach_the_file_system(app):
    store = app.extensions["sourcing_jobs"]
    for bad in ("..", "../jobs", "/etc/passwd", "a" * 31, "a" * 31 + "/", "." * 32, None):
        assert store.get(bad) is None


def test_no_listing_endpoint(client):
    for url in ("/api/jobs", "/jobs", "/jobs/", "/api/jobs/"):
        assert client.get(url).status_code in (404, 405)


def test_template_download(client, tmp_path):
    for url in ("/api/template.xlsx", "/template.xlsx"):
        r = client.get(url)
        assert r.status_code == 200 and r.data[:2] == b"PK"
    out = tmp_path / "t.xlsx"
    out.write_bytes(r.data)
    import openpyxl
    wb = openpyxl.load_workbook(out, read_only=True)
    assert {"Settings", "Materials", "Suppliers", "Supply", "Demand"} <= set(wb.sheetnames)
    wb.close()


def test_openapi_spec_matches_routes(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    routes = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        routes.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    documented = {(p, m) for p, ops in spec["paths"].items() for m in ops}
    served = {(p, m) for p, ms in routes.items() if p.startswith("/api/") for m in ms}
    assert documented == served
    for p, ops in spec["paths"].items():
        for op in ops.values():
            names = {x["name"] for x in op.get("parameters", []) if x["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", p))
    json.dumps(spec)


def test_sweep_removes_expired_jobs(tmp_path):
    store = JobStore(tmp_path, keep_minutes=1, executor=ThreadPoolExecutor(1))
    try:
        app = create_app(store=store)
        c = app.test_client()
        job = store.create(write_broken(tmp_path / "b.xlsx").read_bytes(), "b.xlsx")
        st = wait_finished(lambda i: c.get(f"/api/jobs/{i}").get_json(), job.id)
        assert st["status"] == "invalid" and job.folder.is_dir()
        assert store.sweep(now=time.time() + 30) == []          # not expired yet
        assert c.get(f"/api/jobs/{job.id}").status_code == 200
        assert store.sweep(now=time.time() + 61) == [job.id]
        assert not job.folder.exists()
        assert c.get(f"/api/jobs/{job.id}").status_code == 404
    finally:
        store.shutdown()


def test_job_ids_are_unguessable_and_files_named_by_id(tmp_path):
    store = JobStore(tmp_path, executor=ThreadPoolExecutor(1))
    try:
        a = store.create(b"not a workbook", "../../evil name.xlsx")
        b = store.create(b"not a workbook", "../../evil name.xlsx")
        assert a.id != b.id and len(a.id) == 32
        assert a.folder.parent == tmp_path / "jobs" and a.folder.name == a.id
        assert sorted(p.name for p in a.folder.iterdir() if p.suffix == ".xlsx") == ["input.xlsx"]
        assert not (tmp_path / "evil name.xlsx").exists()
        st = wait_finished(lambda i: store.state(store.get(i)), a.id)
        assert st["status"] == "invalid"            # not a workbook: a validation issue, no traceback
    finally:
        store.shutdown()


POOL_SAMPLE = SAMPLE.parent / "pool_kr_jp_sg.xlsx"


@pytest.mark.skipif(not POOL_SAMPLE.is_file(), reason="no pool sample workbook")
def test_pool_workbook_runs_the_pooling_analysis(client, tmp_path):
    from optimizer.pooling.run import allocation_table, run_pool
    from optimizer.pooling.load import load_pool_workbook
    r = _post(client, POOL_SAMPLE)
    st = wait_finished(_getter(client), r.get_json()["id"], timeout=120)
    assert st["status"] == "done", st
    res = st["result"]
    ref = run_pool(load_pool_workbook(str(POOL_SAMPLE)))
    assert res["kind"] == "pool" and res["status"] == ref.status
    assert res["grand"] == pytest.approx(ref.grand, rel=1e-6)
    assert res["savings"] == pytest.approx(ref.standalone.sum() - ref.grand, rel=1e-6)
    table = allocation_table(ref)
    keys = [m["key"] for m in res["methods"]]
    assert "shapley" in keys
    k = keys.index("shapley")
    assert [row["shares"][k] for row in res["rows"]] == pytest.approx(table["shapley"].tolist(), rel=1e-6)
    html = client.get(f"/jobs/{st['id']}").get_data(as_text=True)
    assert 'id="pool-allocations"' in html and "Shapley" in html
    x = client.get(st["result_url"])
    assert x.status_code == 200 and x.data[:2] == b"PK"


def test_serve_command_defaults_and_bad_options(capsys):
    import argparse
    from optimizer.web import cli as web_cli
    p = argparse.ArgumentParser()
    web_cli.register(p.add_subparsers(dest="command"))
    args = p.parse_args(["serve"])
    assert (args.host, args.port, args.max_upload_mb, args.keep_minutes, args.data_dir) == \
        ("127.0.0.1", 8000, 20.0, 60.0, None)
    assert args.func is web_cli.cmd_serve
    with pytest.raises(SystemExit) as stop:            # argparse: a usage error, exit code 2
        web_cli.main(["--port", "70000"])
    assert stop.value.code == 2
    assert "--port: '70000' is outside the allowed range: give a whole number from 0 to 65,535" in \
        capsys.readouterr().err


def test_too_many_waiting_jobs_is_503(tmp_path):
    from concurrent.futures import Future

    class NeverRuns:
        def submit(self, *a, **k):
            return Future()            # stays pending

        def shutdown(self, **k):
            pass

    store = JobStore(tmp_path, executor=NeverRuns(), max_waiting=2)
    c = create_app(store=store).test_client()
    codes = [c.post("/api/jobs", data={"file": (io.BytesIO(b"x"), "a.xlsx")},
                    content_type="multipart/form-data").status_code for _ in range(3)]
    assert codes == [202, 202, 503]


def test_warnings_are_listed_with_a_done_result(client, tmp_path):
    tables = small_tables()
    tables["Supply"].append({"material": "A", "source": "JP", "year": 2031, "capacity": 5.0, "unit_cost": 1.0})
    path = write_input_workbook(tmp_path / "warn.xlsx", tables)
    st = wait_finished(_getter(client), _post(client, path).get_json()["id"])
    assert st["status"] == "done"
    warn = [i for i in st["issues"] if i["severity"] == "warning"]
    assert warn and warn[0]["sheet"] == "Supply" and warn[0]["cell"] == "C4"
    html = client.get(f"/jobs/{st['id']}").get_data(as_text=True)
    assert "<h2>Warnings</h2>" in html and "<td>Supply</td><td>C4</td>" in html


def test_a_dead_worker_pool_is_replaced(tmp_path):
    from concurrent.futures.process import BrokenProcessPool

    class Broken:
        def submit(self, *a, **k):
            raise BrokenProcessPool("a child process terminated abruptly")

        def shutdown(self, **k):
            pass

    store = JobStore(tmp_path, executor=Broken())
    store._workers = 1
    try:
        job = store.create(write_broken(tmp_path / "b.xlsx").read_bytes(), "b.xlsx")
        st = wait_finished(lambda i: store.state(store.get(i)), job.id, timeout=120)
        assert st["status"] == "invalid"          # ran in the fresh process pool
    finally:
        store.shutdown()


def test_serve_command_starts_on_loopback_and_stops_on_ctrl_c(tmp_path):
    import signal
    import subprocess
    import sys
    import urllib.request
    proc = subprocess.Popen([sys.executable, "-m", "optimizer.web.cli", "--port", "0", "--data-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()          # the banner, printed once listening
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert m, first + proc.stderr.read() if proc.poll() is not None else first
        with urllib.request.urlopen(f"http://127.0.0.1:{m.group(1)}/", timeout=30) as r:
            assert r.status == 200 and b"upload-form" in r.read()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
