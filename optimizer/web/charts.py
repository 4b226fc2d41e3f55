"""Server-side SVG chart geometry (rendered by the Jinja templates, so every label is escaped).

Each function returns plain dicts of coordinates and tooltip texts; the template draws them
and ``static/app.js`` shows the tooltip on hover (the SVG ``<title>`` is the no-script fallback).
"""
from __future__ import annotations

import math

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


# --------------------------------------------------------------------------- the analyses' charts
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#8c6d31")
XW, XH, XL, XR, XT, XB = 720, 340, 70, 20, 16, 44


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (hi > lo):
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    out, v = [], start
    while v <= hi + 1e-9 * step:
        out.append(round(v, 10))
        v += step
    return out


class _Frame:
    """An x-y plot area: data -> pixel, with nice ticks on both axes; ``flip_x`` puts large x on the left."""

    def __init__(self, xs, ys, flip_x=False, width=XW, height=XH, y_zero=False):
        xs, ys = [x for x in xs if x is not None], [y for y in ys if y is not None]
        self.x0, self.x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
        lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
        if y_zero:
            lo = min(0.0, lo)
        pad = (hi - lo) * 0.05 or max(1.0, abs(hi)) * 0.05
        self.y0, self.y1 = lo - (0 if y_zero and lo == 0 else pad), hi + pad
        if self.x1 == self.x0:
            self.x0, self.x1 = self.x0 - 0.5, self.x1 + 0.5
        self.flip, self.w, self.h = flip_x, width, height

    def px(self, x: float) -> float:
        f = (x - self.x0) / (self.x1 - self.x0)
        return round(XL + (1 - f if self.flip else f) * (self.w - XL - XR), 1)

    def py(self, y: float) -> float:
        return round(XT + (1 - (y - self.y0) / (self.y1 - self.y0)) * (self.h - XT - XB), 1)

    def axes(self, xfmt, yfmt) -> dict:
        return {"width": self.w, "height": self.h, "left": XL, "right": self.w - XR, "top": XT,
                "bottom": self.h - XB, "label_y": self.h - XB + 16,
                "xticks": [{"x": self.px(v), "label": xfmt(v)} for v in _nice_ticks(self.x0, self.x1)
                           if self.x0 <= v <= self.x1],
                "yticks": [{"y": self.py(v), "label": yfmt(v)} for v in _nice_ticks(self.y0, self.y1)
                           if self.y0 <= v <= self.y1]}


def _pct1(x: float) -> str:
    return f"{100 * x:.0f} %" if abs(100 * x - round(100 * x)) < 1e-6 else f"{100 * x:.1f} %"


def _money(v: float) -> str:
    return f"{v:,.0f}"


def _line(frame, pts) -> str:
    return " ".join(f"{frame.px(x)},{frame.py(y)}" for x, y in pts)


def curve_chart(res: dict, fmt_tip) -> dict | None:
    """Money spent against the target, tighter to the right; a dot at every vertex whose tooltip
    ``fmt_tip(point)`` gives the cost and the cost per point."""
    pts = [p for p in res.get("points", []) if p["target"] is not None and p["money"] is not None]
    if not pts:
        return None
    fr = _Frame([p["target"] for p in pts], [p["money"] for p in pts], flip_x=True)
    dots = [{"x": fr.px(p["target"]), "y": fr.py(p["money"]), "tip": fmt_tip(p), "kind": p["kind"]} for p in pts]
    out = fr.axes(_pct1, _money)
    out.update({"line": _line(fr, [(p["target"], p["money"]) for p in pts]), "dots": dots})
    return out


def compare_chart(res: dict, fmt_tip) -> dict | None:
    """Every scenario's curve on one chart (money spent against the target), one colour each."""
    runs = [r for r in res.get("runs", []) if r.get("curve")]
    if not runs:
        return None
    xs = [v["target"] for r in runs for v in r["curve"]]
    ys = [v["money"] for r in runs for v in r["curve"]]
    fr = _Frame(xs, ys, flip_x=True)
    series = []
    for k, r in enumerate(runs):
        colour = PALETTE[k % len(PALETTE)]
        vs = r["curve"]
        series.append({"name": r["scenario"], "colour": colour,
                       "line": _line(fr, [(v["target"], v["money"]) for v in vs]),
                       "dots": [{"x": fr.px(v["target"]), "y": fr.py(v["money"]), "tip": fmt_tip(r["scenario"], v)}
                                for v in vs[:: max(1, len(vs) // 40)]]})
    out = fr.axes(_pct1, _money)
    out["series"] = series
    out["legend"] = [{"y": XT + 14 * k, "colour": s["colour"], "name": s["name"]} for k, s in enumerate(series)]
    return out


def frontier_chart(res: dict, fmt_tip) -> dict | None:
    pts = [p for p in res.get("points", []) if p["risk"] is not None and p["cost"] is not None]
    if not pts:
        return None
    pts = sorted(pts, key=lambda p: p["risk"])
    fr = _Frame([p["risk"] for p in pts], [p["cost"] for p in pts])
    out = fr.axes(_money, _money)
    out.update({"line": _line(fr, [(p["risk"], p["cost"]) for p in pts]),
                "dots": [{"x": fr.px(p["risk"]), "y": fr.py(p["cost"]), "tip": fmt_tip(p)} for p in pts]})
    return out


def risk_chart(res: dict, fmt_tip) -> dict | None:
    """The scenario-cost distribution: one bar per scenario, cheapest first, bar width by probability;
    VaR and CVaR as horizontal lines."""
    sc = [s for s in res.get("scenarios", []) if s["cost"] is not None]
    if not sc:
        return None
    sc = sorted(sc, key=lambda s: s["cost"])
    ys = [s["cost"] for s in sc] + [v for v in (res.get("var"), res.get("cvar"), res.get("expected")) if v is not None]
    fr = _Frame([0.0, 1.0], ys, y_zero=False)
    inner = XW - XL - XR
    x, bars = XL, []
    total = sum(max(s["probability"] or 0.0, 0.0) for s in sc) or 1.0
    for s in sc:
        w = inner * max(s["probability"] or 0.0, 0.0) / total
        y = fr.py(s["cost"])
        bars.append({"x": round(x + 1, 1), "w": round(max(w - 2, 1.0), 1), "y": y, "h": round(fr.py(fr.y0) - y, 1),
                     "tip": fmt_tip(s), "fill": "#c0392b" if s["above_var"] else "#5d8aa8"})
        x += w
    out = fr.axes(lambda v: "", _money)
    out["xticks"] = []
    out["bars"] = bars
    out["lines"] = [{"y": fr.py(v), "name": name, "value": v, "dash": dash}
                    for name, v, dash in (("VaR", res.get("var"), "6 4"), ("CVaR", res.get("cvar"), ""),
                                          ("E", res.get("expected"), "2 3")) if v is not None]
    return out


def pool_bars(res: dict, titles: dict) -> dict | None:
    """Grouped bars: per member, its share under every method (as presented, cost or savings)."""
    rows, methods = res.get("rows", []), res.get("methods", [])
    if not rows or not methods:
        return None
    vals = [v for r in rows for v in r["shares"] if v is not None] + [0.0]
    fr = _Frame([0.0, 1.0], vals, y_zero=True)
    inner = XW - XL - XR
    slot = inner / len(rows)
    bw = slot * 0.8 / len(methods)
    bars, labels = [], []
    for i, r in enumerate(rows):
        for k, (m, v) in enumerate(zip(methods, r["shares"])):
            if v is None:
                continue
            x = XL + i * slot + slot * 0.1 + k * bw
            y, y0 = fr.py(max(v, 0.0)), fr.py(min(v, 0.0))
            bars.append({"x": round(x, 1), "w": round(bw - 1, 1), "y": y, "h": round(max(y0 - y, 0.5), 1),
                         "fill": PALETTE[k % len(PALETTE)], "tip": f"{r['member']} · {titles.get(m['key'], m['title'])}: {v:,.2f}"})
        labels.append({"x": round(XL + i * slot + slot / 2, 1), "text": r["member"]})
    out = fr.axes(lambda v: "", lambda v: f"{v:,.0f}")
    out.update({"xticks": [], "bars": bars, "xlabels": labels, "base_y": fr.py(0.0),
                "legend": [{"y": XT + 16 * k, "fill": PALETTE[k % len(PALETTE)], "name": titles.get(m["key"], m["title"])}
                           for k, m in enumerate(methods)], "legend_x": XW + 10, "width": XW + 230})
    return out


def _clip(poly: list[tuple[float, float]], a: tuple[float, float], b: float) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of a convex polygon with a . p <= b."""
    out = []
    for i, p in enumerate(poly):
        q = poly[(i + 1) % len(poly)]
        fp, fq = a[0] * p[0] + a[1] * p[1] - b, a[0] * q[0] + a[1] * q[1] - b
        if fp <= 1e-12:
            out.append(p)
        if (fp < -1e-12 < fq) or (fq < -1e-12 < fp):
            s = fp / (fp - fq)
            out.append((p[0] + s * (q[0] - p[0]), p[1] + s * (q[1] - p[1])))
    return out


def core_triangle(game3: dict | None, members_fmt) -> dict | None:
    """Three members: the imputation triangle (every split of c(N) in which nobody pays more than
    alone) with the core (no pair pays more than on its own either) and every method's split marked.

    Coordinates: a split x (cost form) is drawn at the barycentre of the triangle's corners weighted
    by each member's saving c({i}) - x_i, over the total saving; corner i = member i takes it all.
    """
    if not game3:
        return None
    m = game3["members"]
    c = game3["cost"]
    a = [c[m[0]], c[m[1]], c[m[2]]]
    grand = c["+".join(m)]
    total = sum(a) - grand
    if total <= 1e-12:
        return None
    size, pad = 300.0, 30.0
    corners = [(pad + size / 2, pad), (pad, pad + size * 0.866), (pad + size, pad + size * 0.866)]

    def at(x):     # cost shares (x0, x1, x2) -> pixel
        w = [(a[i] - x[i]) / total for i in range(3)]
        return (round(sum(w[i] * corners[i][0] for i in range(3)), 1), round(sum(w[i] * corners[i][1] for i in range(3)), 1))

    # the core in (x0, x1) with x2 = grand - x0 - x1: start from the imputation set (x_i <= a_i)
    poly = [(grand - a[1] - a[2], a[1]), (a[0], grand - a[0] - a[2]), (a[0], a[1])]
    pair = {(0, 1): c[f"{m[0]}+{m[1]}"], (0, 2): c[f"{m[0]}+{m[2]}"], (1, 2): c[f"{m[1]}+{m[2]}"]}
    poly = _clip(poly, (1.0, 1.0), pair[(0, 1)])                          # x0 + x1 <= c01
    poly = _clip(poly, (0.0, -1.0), pair[(0, 2)] - grand) if poly else []  # x0 + x2 <= c02  <=>  -x1 <= c02 - N
    poly = _clip(poly, (-1.0, 0.0), pair[(1, 2)] - grand) if poly else []  # x1 + x2 <= c12  <=>  -x0 <= c12 - N
    core = " ".join("{},{}".format(*at((x0, x1, grand - x0 - x1))) for x0, x1 in poly)
    marks = []
    for key, x in (game3.get("allocations") or {}).items():
        px, py = at(x)
        marks.append({"key": key, "x": px, "y": py, "proposed": key == "proposed",
                      "tip": members_fmt(key, x)})
    return {"width": size + 2 * pad, "height": size * 0.866 + 2 * pad + 10,
            "triangle": " ".join(f"{x},{y}" for x, y in corners), "core": core, "core_empty": not poly,
            "corners": [{"x": corners[i][0], "y": corners[i][1] + (-8 if i == 0 else 18), "name": m[i]} for i in range(3)],
            "marks": marks}
