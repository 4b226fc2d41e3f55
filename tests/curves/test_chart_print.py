"""Curve charts forward well: a comparison of ten or more scenarios keeps every scenario in its own
colour with the legend outside the plot, on a sheet of its own; the native chart and the PNG run
the same way (tighter targets to the right) and use the same colours."""
from __future__ import annotations

import zipfile
from xml.etree import ElementTree as ET

from openpyxl import Workbook

from curve_fixtures import three_suppliers
from models.sourcing import build_model
from optimizer.curves import palette as P
from optimizer.curves import plots
from optimizer.curves.parametric import cap_direction, compute_curve
from optimizer.curves.report import _curve_chart_sheet

C = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
     "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}


def _curve():
    model = build_model(three_suppliers())
    return compute_curve(model, cap_direction(model, "year"), t_high=1.0)


def test_twelve_scenarios_keep_distinct_colours_and_an_outside_legend(tmp_path):
    curve = _curve()
    wb = Workbook()
    chart_ws = wb.active
    chart_ws.title = "Chart"
    _curve_chart_sheet(chart_ws, [(f"scenario {k}", curve) for k in range(12)], "2030 target", "USD",
                       data_ws=wb.create_sheet("Curves"))
    path = tmp_path / "c.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        xml = ET.fromstring(z.read("xl/charts/chart1.xml"))
    series = xml.findall(".//c:ser", C)
    colours = [s.find("c:spPr/a:ln/a:solidFill/a:srgbClr", C).get("val") for s in series]
    scenario_colours = colours[:12]
    assert len(set(scenario_colours)) == 12                          # no two scenarios alike
    assert not set(scenario_colours) & set(colours[12:])             # target lines: greys of their own
    assert xml.find(".//c:legend/c:legendPos", C).get("val") == "r"
    assert xml.find(".//c:valAx/c:scaling/c:orientation", C) is not None
    orient = [o.get("val") for o in xml.findall(".//c:valAx/c:scaling/c:orientation", C)]
    assert "maxMin" in orient                                        # x axis: tighter to the right


def test_png_uses_the_workbook_colours_and_runs_the_same_way(tmp_path, monkeypatch):
    seen = {}
    real = plots._save

    def capture(fig, path, protect=()):
        ax = fig.axes[0]
        seen["inverted"] = ax.xaxis_inverted()
        seen["colours"] = [line.get_color() for line in ax.get_lines() if line.get_label().startswith("s")]
        return real(fig, path, protect)
    monkeypatch.setattr(plots, "_save", capture)
    curve = _curve()
    plots.plot_curves([(f"s{k}", curve) for k in range(3)], tmp_path / "c.png", "2030 target", "USD")
    assert seen["inverted"]
    assert seen["colours"][:3] == ["#" + P.series_color(k).lower() for k in range(3)]
    assert (tmp_path / "c.png").stat().st_size > 5_000
