"""Child-process entries of the robustness corpus that are not one plain command: uploads through
the web API, and several writers of one output at once.

``main(argv)`` (the web API, through Flask's test client on a fresh app; files under the
current folder)::

    upload FILE [--limit-mb X | --limit-exact N] [--job-seconds S] [--job-memory-mb M | --job-headroom-mb H]
    fairness SLOW NORMAL          two uploads of SLOW hold both workers; NORMAL must finish first

exits 0 when the job is done, 1 when it is invalid (its issues printed), 2 when the upload is
refused (HTTP 4xx, the message printed), 3 when the job is stopped by a limit or fails.
``--limit-exact N``: the upload limit is the file's size minus N bytes; ``--job-headroom-mb H``:
the job's memory limit is what a job process takes before it starts working plus H MB (measured
first, so the check does not depend on what this machine preloads).

``concurrent(argv)``: ``INPUT OUTPUT`` - three ``sourcing solve`` processes write OUTPUT at
once and one of them is killed half way; exits 0 when OUTPUT is a complete workbook and no
file, hidden or not, is left beside it; 1 otherwise.
"""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl

from optimizer.web.app import create_app
from optimizer.web.worker import JobRunner

WAIT = 50.0


def _post(client, content: bytes, name: str):
    return client.post("/api/jobs", data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def _wait(client, job_id: str, timeout: float = WAIT) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = client.get(f"/api/jobs/{job_id}").get_json()
        if st["status"] in ("done", "invalid", "failed"):
            return st
        time.sleep(0.05)
    return {"status": "timeout", "issues": [], "error": f"the job did not finish within {timeout:g} s"}


def _report(st: dict) -> int:
    print(f"status: {st['status']}")
    for issue in st.get("issues", []):
        print(f"  {issue['message']}")
    if st.get("error"):
        print(f"error: {st['error']}")
    return {"done": 0, "invalid": 1}.get(st["status"], 3)


def _options(args: list[str]) -> dict:
    out, i = {}, 0
    while i < len(args):
        key = args[i].lstrip("-").replace("-", "_")
        out[key], i = args[i + 1], i + 2
    return out


def upload(path: Path, opts: dict) -> int:
    content = path.read_bytes()
    if "limit_exact" in opts:
        limit = (len(content) - int(opts["limit_exact"])) / 2 ** 20     # +N: N bytes too few
    else:
        limit = float(opts.get("limit_mb", 20.0))
    memory = int(opts.get("job_memory_mb", 2048))
    if "job_headroom_mb" in opts:
        memory = _baseline_mb() + int(opts["job_headroom_mb"])
    app = create_app(Path("web"), max_upload_mb=limit, job_seconds=float(opts.get("job_seconds", 60)),
                     job_memory_mb=memory)
    store = app.extensions["sourcing_jobs"]
    try:
        client = app.test_client()
        r = _post(client, content, path.name)
        if r.status_code >= 400:
            print(f"refused (HTTP {r.status_code}): {r.get_json().get('error')}")
            return 2
        return _report(_wait(client, r.get_json()["id"]))
    finally:
        store.shutdown()


def vm_peak_mb() -> int:
    """This process's peak address space, MB (run as a job: what a job takes before working)."""
    with open("/proc/self/status") as fh:
        return next((int(line.split()[1]) // 1024 for line in fh if line.startswith("VmPeak:")), 0)


def _baseline_mb() -> int:
    runner = JobRunner(1, 60.0, 65_536)
    try:
        return int(runner.submit(vm_peak_mb).result(timeout=WAIT))
    finally:
        runner.shutdown(wait=False, cancel_futures=True)


def fairness(slow: Path, normal: Path) -> int:
    """Two slow uploads, then a normal one: the normal one must be done while both slow ones run."""
    app = create_app(Path("web"), max_upload_mb=50, job_seconds=WAIT, workers=2)
    store = app.extensions["sourcing_jobs"]
    store.executor.patience = 1.0
    try:
        client = app.test_client()
        slow_ids = [_post(client, slow.read_bytes(), slow.name).get_json()["id"] for _ in range(2)]
        time.sleep(0.5)
        st = _wait(client, _post(client, normal.read_bytes(), normal.name).get_json()["id"])
        others = [client.get(f"/api/jobs/{i}").get_json()["status"] for i in slow_ids]
        print(f"normal upload: {st['status']}; the two slow uploads meanwhile: {', '.join(others)}")
        if st["status"] != "done":
            return _report(st) or 3
        if any(o in ("done", "invalid", "failed") for o in others):
            print("error: the slow uploads finished first, so this check proves nothing: make them slower")
            return 3
        return 0
    finally:
        store.shutdown()


def main(argv: list[str]) -> int:
    if argv[:1] == ["upload"]:
        return upload(Path(argv[1]), _options(argv[2:]))
    if argv[:1] == ["fairness"]:
        return fairness(Path(argv[1]), Path(argv[2]))
    print(f"usage: upload FILE [options] | fairness SLOW NORMAL (got {argv!r})", file=sys.stderr)
    return 2


def concurrent(argv: list[str]) -> int:
    src, out = Path(argv[0]), Path(argv[1])
    cmd = [sys.executable, "-m", "optimizer.cli", "solve", str(src), "-o", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[2]),
                                                                   os.environ.get("PYTHONPATH")) if p)}
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(3)]
    time.sleep(1.5)
    procs[0].send_signal(signal.SIGKILL)            # killed, perhaps while writing
    codes = []
    for p in procs:
        _, err = p.communicate(timeout=WAIT)
        codes.append(p.returncode)
        if b"Traceback" in err:
            print(err.decode(errors="replace"))
            return 1
    print(f"exit codes: {codes} (the first was killed)")
    try:
        openpyxl.load_workbook(out, read_only=True).close()
    except Exception as exc:   # noqa: BLE001 - the verdict of this check
        print(f"error: {out} is not a complete workbook ({type(exc).__name__}: {exc})")
        return 1
    left = sorted(p.name for p in out.parent.iterdir() if p != out)
    if left:
        print(f"error: files left beside the output: {json.dumps(left)}")
        return 1
    print("clean: one complete workbook, nothing left beside it")
    return 0
