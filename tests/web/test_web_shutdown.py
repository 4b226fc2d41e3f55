"""``sourcing serve`` stopped by SIGTERM or Ctrl-C (SIGINT) while a job runs: no process of it is left
(job process, fork server, resource tracker) and no uploaded or result file is left in its --data-dir."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("flask", reason="the web app needs flask")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from web_load import _multipart, csrf  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "korea_2024_2030.xlsx"


def descendants(pid: int) -> set[int]:
    """Every process whose parent chain leads to ``pid`` (from /proc)."""
    parents = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            parents[int(d)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - out
        out |= frontier
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_server_leaves_no_process_and_no_file(tmp_path, sig):
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "optimizer.web.cli", "--port", "0", "--data-dir", str(data),
                             "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=str(Path(__file__).resolve().parents[2]))
    try:
        line = proc.stdout.readline()
        base = re.search(r"(http://127\.0\.0\.1:\d+)/", line).group(1)
        body, ctype = _multipart(SAMPLE.name, SAMPLE.read_bytes(), "compare")     # ~10 s: still running
        req = urllib.request.Request(base + "/api/jobs", data=body, method="POST",
                                     headers={"Content-Type": ctype, **csrf(base)})
        with urllib.request.urlopen(req, timeout=30) as r:
            job = json.loads(r.read())["id"]
        end = time.monotonic() + 60
        while time.monotonic() < end:
            with urllib.request.urlopen(f"{base}/api/jobs/{job}", timeout=30) as r:
                if json.loads(r.read())["status"] == "solving":
                    break
            time.sleep(0.1)
        children = descendants(proc.pid)
        assert len(children) >= 2           # the fork server (and the tracker) and the running job
        assert (data / "jobs" / job / "input.xlsx").is_file()
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert "stopped" in out
    end = time.monotonic() + 5
    while time.monotonic() < end and any(alive(p) for p in children):
        time.sleep(0.1)
    assert [p for p in children if alive(p)] == []
    assert list((data / "jobs").iterdir()) == []
