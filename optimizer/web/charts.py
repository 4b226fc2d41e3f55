"""Server-side SVG chart geometry (rendered by the Jinja templates, so every label is escaped).

Each function returns plain dicts of coordinates and tooltip texts; the template draws them
and ``static/app.js`` shows the tooltip on hover (the SVG ``<title>`` is the no-script fallback).
"""
from __future__ import annotations

BLOC_COLOURS = {"china": "#c0392b", "ally": "#2e86c1", "domestic": "#27ae60", "other": "#95a5a6"}
WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 110, 16, 36


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def _y(share: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - max(0.0, min(1.0, share)))


def _axes() -> list[dict]:
    return [{"y": _y(t / 100), "label": f"{t} %"} for t in (0, 25, 50, 75, 100)]


def mix_chart(mix: dict) -> dict | None:
    """Stacked bars: per year, the bloc shares (value basis) of all purchases."""
    years, blocs = mix.get("years", []), mix.get("blocs", [])
    if not years or not blocs:
        return None
    inner = WIDTH - LEFT - RIGHT
    slot = inner / len(years)
    bar = slot * 0.6
    bars, labels = [], []
    for i, year in enumerate(years):
        x = LEFT + i * slot + (slot - bar) / 2
        base = 0.0
        for b in blocs:
            v = mix["series"][b][i]
            share = v["share"] or 0.0
            y_top, y_bottom = _y(base + share), _y(base)
            bars.append({"x": round(x, 1), "y": round(y_top, 1), "w": round(bar, 1),
                         "h": round(max(0.0, y_bottom - y_top), 1), "fill": BLOC_COLOURS.get(b, "#7f8c8d"),
                         "tip": f"{year} {b}: {_pct(share)} of value, {v['tonnes']:,.1f} t", "bloc": b})
            base += share
        labels.append({"x": round(x + bar / 2, 1), "text": str(year)})
    legend = [{"y": TOP + 18 * k, "fill": BLOC_COLOURS.get(b, "#7f8c8d"), "text": b} for k, b in enumerate(blocs)]
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "xlabels": labels, "ticks": _axes(),
            "legend": legend, "legend_x": WIDTH - RIGHT + 14, "left": LEFT, "right": WIDTH - RIGHT,
            "base_y": _y(0.0), "label_y": HEIGHT - 12, "basis": mix.get("basis", "")}


def share_chart(path: list[dict]) -> dict | None:
    """Line: China share of the whole per year, and the glide-path target (dashed)."""
    if not path:
        return None
    inner = WIDTH - LEFT - RIGHT
    slot = inner / len(path)

    def xs(i):
        return round(LEFT + i * slot + slot / 2, 1)
    share_pts = [{"x": xs(i), "y": round(_y(p["china_share"] or 0.0), 1),
                  "tip": f"{p['year']} China share {_pct(p['china_share'])}"
                         + (f", target {_pct(p['target'])}" if p["target"] is not None else ", no cap")}
                 for i, p in enumerate(path) if p["china_share"] is not None]
    target_pts = [{"x": xs(i), "y": round(_y(p["target"]), 1), "tip": f"{p['year']} target {_pct(p['target'])}"}
                  for i, p in enumerate(path) if p["target"] is not None]
    return {"width": WIDTH, "height": HEIGHT, "ticks": _axes(), "left": LEFT, "right": WIDTH - RIGHT,
            "base_y": _y(0.0), "label_y": HEIGHT - 12,
            "xlabels": [{"x": xs(i), "text": str(p["year"])} for i, p in enumerate(path)],
            "share_points": share_pts, "target_points": target_pts,
            "share_line": " ".join(f"{p['x']},{p['y']}" for p in share_pts),
            "target_line": " ".join(f"{p['x']},{p['y']}" for p in target_pts),
            "legend_x": WIDTH - RIGHT + 14}
