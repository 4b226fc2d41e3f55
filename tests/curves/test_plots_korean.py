"""PNG plots draw Hangul with a Korean font (fonts-nanum), never empty boxes."""
from __future__ import annotations

import warnings

import pytest

from optimizer.curves.plots import korean_font, plot_curves
from optimizer.curves.run import run_curve

SAMPLE = __import__("pathlib").Path(__file__).resolve().parents[2] / "inputs" / "korea_2024_2030.xlsx"


def test_a_korean_scenario_name_is_drawn_with_a_korean_font(tmp_path):
    if korean_font() is None:
        pytest.skip("no Korean font installed (apt-get install fonts-nanum; .ci/run does)")
    curve, _ = run_curve(str(SAMPLE))
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # matplotlib warns "Glyph ... missing from font(s)"
        png = plot_curves([("중국 수출 통제", curve)], tmp_path / "곡선.png", "중국 비중 목표", "KRW",
                          title="비용 곡선", subtitle="핵심광물")
    assert png.stat().st_size > 10_000
