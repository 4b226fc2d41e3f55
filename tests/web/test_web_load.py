"""A small load test on loopback: 20 concurrent uploads of mixed analyses, no failed request."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("flask", reason="the web app needs flask")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from web_load import report, run_load  # noqa: E402

from test_web_api import live_server  # noqa: E402


@pytest.mark.slow   # ~30-90 s: 20 real runs (plan, risk, curve, frontier, pool, compare) through 2 workers
def test_twenty_concurrent_uploads(tmp_path, capsys):
    with live_server(tmp_path, max_upload_mb=5, workers=2, client_jobs=20) as (url, app):
        fig = run_load(url, uploads=20, time_budget=240.0)
        store = app.extensions["sourcing_jobs"]
        with capsys.disabled():
            print("\n" + report(fig))
        assert fig["failed"] == [], report(fig)
        assert fig["ok"] == 20
        assert len(list((store.data_dir / "jobs").iterdir())) == 20     # one folder per upload


def test_refuses_non_loopback_targets():
    with pytest.raises(ValueError, match="only loopback"):
        run_load("http://192.0.2.1:8000", uploads=1)
