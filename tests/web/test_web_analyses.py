"""Every analysis from one upload through the JSON API (real worker processes), and the app's guards:
CSRF token, same-origin check, Host allow-list, security headers, cancel, per-client limit, the sweep."""
from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

pytest.importorskip("flask", reason="the web app needs flask")

from optimizer.curves.run import run_curve  # noqa: E402
from optimizer.pooling.load import load_pool_workbook  # noqa: E402
from optimizer.pooling.run import run_pool  # noqa: E402
from optimizer.risk.run import run_risk  # noqa: E402
from optimizer.web.app import create_app  # noqa: E402
from optimizer.web.jobs import JobStore  # noqa: E402

from test_web_api import SAMPLE, wait_finished, write_small  # noqa: E402

INPUTS = SAMPLE.parent
RISK = INPUTS / "korea_2024_2030_risk.xlsx"
POOL = INPUTS / "pool_kr_jp_sg.xlsx"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    a = create_app(tmp_path_factory.mktemp("webdata"), max_upload_mb=5, keep_minutes=30, client_jobs=50)
    yield a
    a.extensions["sourcing_jobs"].shutdown()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def post(client, path: Path, **fields):
    data = {"file": (io.BytesIO(path.read_bytes()), path.name), **fields}
    return client.post("/api/jobs", data=data, content_type="multipart/form-data")


def run(client, path: Path, **fields) -> dict:
    r = post(client, path, **fields)
    assert r.status_code == 202, r.get_json()
    return wait_finished(lambda i: client.get(f"/api/jobs/{i}").get_json(), r.get_json()["id"], timeout=120)


# --------------------------------------------------------------------------- the analyses
def test_risk_workbook_gets_the_risk_analysis_by_default(client):
    st = run(client, RISK)
    assert st["status"] == "done" and st["analysis"] == "risk", st
    assert st["offered"][0] == "risk" and "plan" in st["offered"]
    res = st["result"]
    ref, _, ranking, _ = run_risk(str(RISK))
    assert res["cvar"] == pytest.approx(ref.cvar) and res["var"] == pytest.approx(ref.var)
    assert res["vss"] == pytest.approx(ref.vss) and res["evpi"] == pytest.approx(ref.evpi)
    assert [s["scenario"] for s in res["scenarios"]] == ref.scenarios
    html = client.get(f"/jobs/{st['id']}").get_data(as_text=True)
    assert 'id="risk-cvar"' in html and "CVaR at alpha 0.95" in html and 'id="risk-chart"' in html
    r = client.get(st["result_url"])
    assert r.status_code == 200 and "korea_2024_2030_risk_risk.xlsx" in r.headers["Content-Disposition"]


def test_a_plan_of_a_risk_workbook_says_which_sheets_it_ignores(client):
    st = run(client, RISK, analysis="plan")
    assert st["analysis"] == "plan" and st["result"]["ignored_sheets"] == ["RiskScenarios", "Disruptions"]
    html = client.get(f"/jobs/{st['id']}").get_data(as_text=True)
    assert 'id="ignored-sheets"' in html and "RiskScenarios, Disruptions" in html


def test_curve_points_are_the_exact_breakpoints(client):
    st = run(client, SAMPLE, analysis="curve")
    assert st["status"] == "done", st
    ref, _ = run_curve(str(SAMPLE))
    pts = st["result"]["points"]
    assert len(pts) == len(ref.vertices) and st["result"]["breakpoints"] == len(ref.breakpoints)
    assert sorted(p["target"] for p in pts) == pytest.approx([v.t for v in ref.vertices])
    html = client.get(f"/jobs/{st['id']}").get_data(as_text=True)
    assert html.count('class="hover breakpoint"') == len(pts)
    assert "per point tighter" in html


def test_frontier_and_pool_with_the_blocking_coalition(client):
    st = run(client, SAMPLE, analysis="frontier", points="5")
    assert st["status"] == "done" and len(st["result"]["points"]) >= 2
    assert 'id="frontier-chart"' in client.get(f"/jobs/{st['id']}").get_data(as_text=True)

    st = run(client, POOL, analysis="plan")            # a pool workbook only has the pooled analysis
    assert st["analysis"] == "pool" and st["offered"] == ["pool"]
    ref = run_pool(load_pool_workbook(str(POOL))).checks["proposed"]
    v = st["result"]["verdict"]
    assert v["in_core"] is False and v["blocking"] == ref.blocking == "JP+SG"
    assert v["gain"] == pytest.approx(ref.gain)
    html = client.get(f"/jobs/{st['id']}").get_data(as_text=True)
    assert f"JP+SG would save {ref.gain:,.2f} USD M by leaving" in html
    assert 'id="core-triangle"' in html and 'class="hover proposed"' in html and 'id="core-polygon"' in html
    assert 'id="pool-chart"' in html


def test_compare_runs_every_scenario_and_can_be_cancelled(client):
    r = post(client, SAMPLE, analysis="compare")
    job = r.get_json()["id"]
    end = time.monotonic() + 60
    while client.get(f"/api/jobs/{job}").get_json()["status"] != "solving" and time.monotonic() < end:
        time.sleep(0.05)
    c = client.post(f"/api/jobs/{job}/cancel")
    assert c.status_code == 200 and c.get_json()["cancelled"] is True
    st = wait_finished(lambda i: client.get(f"/api/jobs/{i}").get_json(), job)
    assert st["status"] == "failed" and st["cancelled"] is True
    assert "Cancelled" in client.get(f"/jobs/{job}").get_data(as_text=True)


def test_bad_parameters_are_a_clear_400(client):
    for field, value in (("alpha", "1.5"), ("points", "1"), ("analysis", "rm -rf"), ("measure", "<x>")):
        r = post(client, SAMPLE, **{field: value})
        assert r.status_code == 400 and field in r.get_json()["error"]


# --------------------------------------------------------------------------- guards
def test_post_without_token_or_from_another_site_is_refused(app, client, tmp_path):
    bare = app.test_client()
    data = lambda: {"file": (io.BytesIO(SAMPLE.read_bytes()), "s.xlsx")}   # noqa: E731
    r = bare.post("/api/jobs", data=data(), content_type="multipart/form-data", csrf=False)
    assert r.status_code == 403 and "token" in r.get_json()["error"]
    r = client.post("/api/jobs", data=data(), content_type="multipart/form-data",
                    headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "another site" in r.get_json()["error"]
    r = client.post("/api/jobs", data=data(), content_type="multipart/form-data",
                    headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    r = client.post("/api/jobs", data=data(), content_type="multipart/form-data",
                    headers={"X-CSRF-Token": "0" * 64})
    assert r.status_code == 403
    assert client.get("/", headers={"Host": "rebind.evil.example"}).status_code == 400


def test_security_headers(client):
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in r.get_data(as_text=True)           # no inline script on any page


def test_per_client_limit(tmp_path):
    from concurrent.futures import Future

    class NeverRuns:
        def submit(self, *a, **k):
            return Future()

        def shutdown(self, **k):
            pass

    store = JobStore(tmp_path, executor=NeverRuns(), per_client=2)
    c = create_app(store=store).test_client()
    codes = [c.post("/api/jobs", data={"file": (io.BytesIO(b"x"), "a.xlsx")},
                    content_type="multipart/form-data").status_code for _ in range(3)]
    assert codes == [202, 202, 429]


def test_persistent_data_dir_is_swept_at_start_and_emptied_at_shutdown(tmp_path):
    old = tmp_path / "jobs" / ("A" * 32)
    old.mkdir(parents=True)
    (old / "input.xlsx").write_bytes(b"a buyer's volumes")
    past = time.time() - 3600
    os.utime(old / "input.xlsx", (past, past))
    os.utime(old, (past, past))
    fresh = tmp_path / "jobs" / ("B" * 32)
    fresh.mkdir()
    (fresh / "input.xlsx").write_bytes(b"x")
    app = create_app(tmp_path, keep_minutes=30)
    store = app.extensions["sourcing_jobs"]
    assert not old.exists() and fresh.exists()          # older than --keep-minutes: gone at start
    job = store.create(write_small(tmp_path / "s.xlsx").read_bytes(), "s.xlsx")
    wait_finished(lambda i: store.state(store.get(i)), job.id)
    store.shutdown()
    assert list((tmp_path / "jobs").iterdir()) == []


def test_korean_page_and_money_in_eok(client, tmp_path):
    html = client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="ko">' in html and "워크북으로 핵심광물 조달 계획 세우기" in html
    r = client.get("/?lang=en", headers={"Accept-Language": "ko"})
    assert '<html lang="en">' in r.get_data(as_text=True)
    assert "sourcing_lang=en" in r.headers.get("Set-Cookie", "")
    from test_web_api import small_tables
    from optimizer.sourcing.template import write_input_workbook
    tables = small_tables()
    tables["Settings"].append({"setting": "currency", "value": "KRW"})
    for row, won in zip(tables["Supply"], (10_000.0, 15_000.0)):     # won per kg
        row["unit_cost"] = won
    tables["Materials"][0]["reference_value"] = 10_000.0
    st = run(client, write_input_workbook(tmp_path / "krw.xlsx", tables))
    assert st["status"] == "done", st
    page = client.get(f"/jobs/{st['id']}?lang=ko").get_data(as_text=True)
    money = st["result"]["headline"]["money_total"]          # 60 t x 10,000 + 40 t x 15,000 won/kg
    assert money == pytest.approx(1200.0)
    assert '<dd id="total-cost">12.0억 원</dd>' in page and "지출 (할인)" in page
    assert "최적성 증명됨" in page
