"""Load test of the web app on loopback: N concurrent uploads of mixed analyses, each polled to the end.

    python benchmarks/web_load.py [--uploads 20] [--workers 2] [--url http://127.0.0.1:PORT]

The uploads cycle through :data:`MIX` (plan, risk, curve, frontier, pool and one scenario
comparison in every twenty).  Without --url it starts the app itself on 127.0.0.1 and a free
port (the per-client job limit raised to N: every upload comes from this one address).  Only
loopback addresses are ever targeted.  Each client fetches its CSRF token (``GET /api/csrf``)
and sends it with the cookie, as a browser does.  Prints total time, upload (POST) latency and
end-to-end (upload -> done) latency percentiles per analysis, and the ratio of the median
end-to-end time to one in-process ``solve_workbook`` of the plan sample measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

INPUTS = Path(__file__).resolve().parent.parent / "inputs"
SAMPLE = INPUTS / "korea_2024_2030.xlsx"
RISK = INPUTS / "korea_2024_2030_risk.xlsx"
POOL = INPUTS / "pool_kr_jp_sg.xlsx"
# (analysis, workbook): a twenty-upload cycle -- six plans, four risk runs, four curves, three frontiers,
# two pools, one scenario comparison (the longest: thirteen solves with their curves)
MIX = ([("plan", SAMPLE), ("risk", RISK), ("curve", SAMPLE), ("frontier", SAMPLE), ("plan", SAMPLE)] * 3
       + [("pool", POOL), ("compare", SAMPLE), ("risk", RISK), ("curve", SAMPLE), ("pool", POOL)])
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _multipart(filename: str, content: bytes, analysis: str = "") -> tuple[bytes, str]:
    boundary = "----load" + secrets.token_hex(12)
    field = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"analysis\"\r\n\r\n{analysis}\r\n").encode()
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode()
    return field + head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def csrf(base: str) -> dict:
    """The headers a client sends with a POST: the CSRF token and the cookie it is bound to."""
    with urllib.request.urlopen(base + "/api/csrf", timeout=30) as r:
        token = json.loads(r.read())["token"]
        cookie = r.headers.get("Set-Cookie", "").split(";", 1)[0]
    return {"X-CSRF-Token": token, "Cookie": cookie}


def _get_json(url: str, timeout: float = 30.0) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, json.loads(r.read())


def one_upload(base: str, content: bytes, deadline: float, analysis: str = "", name: str = SAMPLE.name) -> dict:
    """POST the workbook, poll until finished or the deadline; never raises."""
    out = {"ok": False, "post_s": None, "total_s": None, "status": None, "error": None, "polls": 0,
           "analysis": analysis}
    t0 = time.perf_counter()
    body, ctype = _multipart(name, content, analysis)
    try:
        headers = {"Content-Type": ctype, **csrf(base)}
        req = urllib.request.Request(base + "/api/jobs", data=body, method="POST", headers=headers)
        with urllib.request.urlopen(req, timeout=30) as r:
            code, job = r.status, json.loads(r.read())
        out["post_s"] = time.perf_counter() - t0
        if code != 202:
            out["error"] = f"POST answered {code}"
            return out
        while time.monotonic() < deadline:
            code, st = _get_json(f"{base}/api/jobs/{job['id']}")
            out["polls"] += 1
            if code != 200:
                out["error"] = f"GET answered {code}"
                return out
            if st["status"] in ("done", "invalid", "failed"):
                out["status"] = st["status"]
                out["total_s"] = time.perf_counter() - t0
                if st["status"] == "done":
                    with urllib.request.urlopen(base + st["result_url"], timeout=30) as r:
                        out["ok"] = r.status == 200 and r.read(2) == b"PK"
                return out
            time.sleep(0.5)
        out["error"] = "deadline passed before the job finished"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def _pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q * (len(v) - 1))))] if v else float("nan")


def run_load(base: str, uploads: int = 20, time_budget: float = 120.0, mix=None) -> dict:
    host = urlparse(base).hostname
    if host not in LOOPBACK:
        raise ValueError(f"refusing to load-test {host!r}: only loopback addresses are allowed")
    mix = list(mix or MIX)
    files = {path: path.read_bytes() for _, path in mix}
    deadline = time.monotonic() + time_budget
    start = threading.Barrier(uploads)

    def worker(k):
        kind, path = mix[k % len(mix)]
        start.wait(timeout=30)
        return one_upload(base, files[path], deadline, kind, path.name)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=uploads) as pool:
        results = list(pool.map(worker, range(uploads)))
    total = time.perf_counter() - t0
    posts = [r["post_s"] for r in results if r["post_s"] is not None]
    ends = [r["total_s"] for r in results if r["total_s"] is not None]
    return {"uploads": uploads, "ok": sum(r["ok"] for r in results),
            "failed": [r for r in results if not r["ok"]], "total_s": total,
            "post_p50_s": _pct(posts, 0.5), "post_p95_s": _pct(posts, 0.95), "post_max_s": max(posts, default=0.0),
            "end_p50_s": _pct(ends, 0.5), "end_p95_s": _pct(ends, 0.95), "end_max_s": max(ends, default=0.0),
            "polls": sum(r["polls"] for r in results),
            "by_kind": {k: {"n": len(v), "end_p50_s": _pct(v, 0.5), "end_max_s": max(v, default=float("nan"))}
                        for k in dict.fromkeys(r["analysis"] for r in results)
                        for v in [[r["total_s"] for r in results if r["analysis"] == k and r["total_s"] is not None]]}}


def report(fig: dict, single_solve_s: float | None = None) -> str:
    lines = [f"{fig['uploads']} concurrent uploads (mixed analyses): {fig['ok']} ok, {len(fig['failed'])} failed, "
             f"total {fig['total_s']:.2f} s ({fig['uploads'] / fig['total_s']:.2f} jobs/s)",
             f"  upload POST latency  p50 {fig['post_p50_s'] * 1000:.0f} ms  p95 {fig['post_p95_s'] * 1000:.0f} ms  "
             f"max {fig['post_max_s'] * 1000:.0f} ms",
             f"  upload -> done       p50 {fig['end_p50_s']:.2f} s  p95 {fig['end_p95_s']:.2f} s  "
             f"max {fig['end_max_s']:.2f} s   ({fig['polls']} status polls)"]
    for k, v in fig.get("by_kind", {}).items():
        lines.append(f"    {k or 'default':<9} x{v['n']:<3} upload -> done p50 {v['end_p50_s']:.2f} s  max {v['end_max_s']:.2f} s")
    if single_solve_s:
        lines.append(f"  one in-process solve_workbook: {single_solve_s:.2f} s; p50 upload->done / single = "
                     f"{fig['end_p50_s'] / single_solve_s:.1f}x; total / (n x single) = "
                     f"{fig['total_s'] / (fig['uploads'] * single_solve_s):.2f}")
    for r in fig["failed"][:5]:
        lines.append(f"  FAILED: {r['analysis']} {r['status']} {r['error']}")
    return "\n".join(lines)


def single_solve_seconds() -> float:
    from optimizer.sourcing.run import solve_workbook
    with tempfile.TemporaryDirectory() as d:
        solve_workbook(SAMPLE, None)      # warm imports
        t0 = time.perf_counter()
        solve_workbook(SAMPLE, Path(d) / "r.xlsx")
        return time.perf_counter() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--uploads", type=int, default=20)
    p.add_argument("--workers", type=int, default=2, help="solver processes of the self-started server")
    p.add_argument("--url", default=None, help="a running server on loopback (default: start one)")
    args = p.parse_args(argv)
    single = single_solve_seconds()
    if args.url:
        fig = run_load(args.url.rstrip("/"), args.uploads)
    else:
        from optimizer.web.app import create_app
        from optimizer.web.cli import make_server
        with tempfile.TemporaryDirectory() as d:
            app = create_app(d, workers=args.workers, client_jobs=max(args.uploads, 1))
            server = make_server("127.0.0.1", 0, app)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                fig = run_load(f"http://127.0.0.1:{server.server_port}", args.uploads, time_budget=300.0)
            finally:
                server.shutdown()
                server.server_close()
                app.extensions["sourcing_jobs"].shutdown()
    print(report(fig, single))
    return 0 if not fig["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
