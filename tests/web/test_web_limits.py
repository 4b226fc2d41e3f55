"""Web uploads under limits: the upload limit counts the file, each job has its own time and
memory limit (in its own process), and slow jobs do not hold back a new one."""
from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("flask", reason="the web app needs flask (pip install flask)")

import job_functions as J  # noqa: E402  (tests/helpers)
from optimizer.robustness import factory as F  # noqa: E402
from optimizer.robustness import webcheck  # noqa: E402
from optimizer.web.app import create_app  # noqa: E402
from optimizer.web.jobs import JobStore  # noqa: E402
from optimizer.web.worker import JobLimitExceeded, JobRunner  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "korea_2024_2030.xlsx"


def wait(store: JobStore, job_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = store.state(store.get(job_id))
        if st["status"] in ("done", "invalid", "failed"):
            return st
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def post(client, content: bytes, name: str = "w.xlsx"):
    return client.post("/api/jobs", data={"file": (io.BytesIO(content), name), "comment": "x" * 400},
                       content_type="multipart/form-data")


# --------------------------------------------------------------------------- the upload limit
def test_a_workbook_of_exactly_the_limit_is_accepted_one_byte_more_is_not(tmp_path):
    """The limit is the file's size, not the multipart request's (boundaries, headers, fields)."""
    content = SAMPLE.read_bytes()
    limit_mb = len(content) / 2 ** 20
    app = create_app(tmp_path / "data", max_upload_mb=limit_mb)
    store = app.extensions["sourcing_jobs"]
    try:
        c = app.test_client()
        r = post(c, content)
        assert r.status_code == 202, r.get_json()
        assert wait(store, r.get_json()["id"])["status"] == "done"
        one_more = content[:-22] + content[-22:-2] + b"\x01\x00x"      # zip comment of one byte
        assert len(one_more) == len(content) + 1 and zipfile.ZipFile(io.BytesIO(one_more)).testzip() is None
        r = post(c, one_more)
        assert r.status_code == 413 and "upload limit" in r.get_json()["error"]
        assert len(list((tmp_path / "data" / "jobs").iterdir())) == 1     # the refused one is not stored
    finally:
        store.shutdown()


# --------------------------------------------------------------------------- per-job limits
@pytest.fixture
def runner():
    r = JobRunner(workers=2, seconds=2.0, memory_mb=512, patience=1.0)
    yield r
    r.shutdown(wait=False, cancel_futures=True)


def test_a_job_past_its_time_limit_is_stopped(runner):
    future = runner.submit(J.sleeps, 60)
    with pytest.raises(JobLimitExceeded, match=r"longer than the time limit of one job \(2 s\)"):
        future.result(timeout=60)


def test_a_job_past_its_memory_limit_is_stopped(runner):
    future = runner.submit(J.allocates, 3)
    with pytest.raises(JobLimitExceeded, match=r"more memory than the limit of one job \(512 MB\)"):
        future.result(timeout=60)


def test_a_crashing_or_failing_job_takes_only_itself_down(runner):
    crash, fails, fine = runner.submit(J.crashes), runner.submit(J.raises), runner.submit(J.quick, 7)
    with pytest.raises(JobLimitExceeded, match="stopped unexpectedly .signal SIGSEGV"):
        crash.result(timeout=60)
    with pytest.raises(JobLimitExceeded, match="KeyError"):
        fails.result(timeout=60)
    assert fine.result(timeout=60) == {"status": "done", "value": 7}


def test_slow_jobs_do_not_hold_back_a_new_one():
    """Two jobs occupy both workers for a long time; a third, quick one still runs once they are
    past their patience (long before they end), and a fourth waits only for its turn."""
    r = JobRunner(workers=2, seconds=120.0, memory_mb=1024, patience=1.0)
    try:
        slow = [r.submit(J.sleeps, 90), r.submit(J.sleeps, 90)]
        quick = r.submit(J.quick, 1)
        assert quick.result(timeout=60) == {"status": "done", "value": 1}
        assert not any(f.done() for f in slow)          # still running: the quick job did not wait for them
        assert r.running() == 2
    finally:
        r.shutdown(wait=False, cancel_futures=True)


@pytest.fixture(scope="module")
def big_workbook(tmp_path_factory) -> Path:
    """A valid workbook with 36,000 more Supply rows: seconds of work and hundreds of MB."""
    folder = tmp_path_factory.mktemp("big")
    return F.with_many_suppliers(F.write_valid(folder), folder / "big.xlsx", 6_000)


def test_the_job_store_reports_the_memory_limit_in_plain_words(tmp_path, big_workbook):
    """End to end: a real upload in a job given 64 MB more than a job process takes before it
    starts (measured, so the check does not depend on what is preloaded) fails with the limit named."""
    limit = webcheck._baseline_mb() + 64
    store = JobStore(tmp_path, job_memory_mb=limit)
    try:
        st = wait(store, store.create(big_workbook.read_bytes(), "big.xlsx").id)
        assert st["status"] == "failed" and f"limit of one job ({limit:,} MB)" in st["error"], st
        assert "Traceback" not in st["error"]
    finally:
        store.shutdown()


def test_a_big_valid_workbook_past_the_time_limit_fails_cleanly(tmp_path, big_workbook):
    store = JobStore(tmp_path / "data", job_seconds=1.0)
    try:
        st = wait(store, store.create(big_workbook.read_bytes(), "big.xlsx").id)
        assert st["status"] == "failed" and "time limit of one job (1 s)" in st["error"], st
    finally:
        store.shutdown()
