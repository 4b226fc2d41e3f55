"""PNG plots for briefings (matplotlib, Agg backend: no display needed).

Each plot has a title, axis labels with units, the 70 / 60 / 50 % China-share targets
marked, and is written atomically (temporary file in the target folder, then renamed).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.units import to_millions
from optimizer.core.workbook.writer import save_atomic
from optimizer.curves import palette as P

TARGETS = tuple((t, f"{t:.0%}".replace("%", " %"), "#" + c.lower()) for t, c in zip(P.TARGETS, P.TARGET_COLORS))
DASHES = ("--", (0, (8, 3)), (0, (3, 2)))


FONT_FILES = ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
BOLD_FILES = {"/usr/share/fonts/truetype/nanum/NanumGothic.ttf": "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf"}
KOREAN_FONTS = ("NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "Malgun Gothic", "AppleGothic")


def korean_font() -> str | None:
    """The first installed font that draws Hangul (Debian: fonts-nanum, installed by .ci/run), or None."""
    import logging
    from matplotlib import font_manager
    # a missing bold face is substituted (weight 600), not worth a line on the user's terminal
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    names = {f.name for f in font_manager.fontManager.ttflist}
    found = next((n for n in KOREAN_FONTS if n in names), None)
    if found is not None:   # the regular face is known; make sure its bold one is too (titles are bold)
        bold = {f.name for f in font_manager.fontManager.ttflist if f.weight in ("bold", 700)}
        for regular, bold_file in BOLD_FILES.items():
            if found not in bold and Path(bold_file).is_file() and Path(regular).is_file() \
                    and font_manager.FontProperties(fname=regular).get_name() == found:
                font_manager.fontManager.addfont(bold_file)
    if found is None:       # installed after matplotlib built its font cache: add the file itself
        for path in FONT_FILES:
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)
                if Path(BOLD_FILES.get(path, "")).is_file():
                    font_manager.fontManager.addfont(BOLD_FILES[path])
                return font_manager.FontProperties(fname=path).get_name()
    return found


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ko = korean_font()
    if ko is not None:      # Latin text keeps DejaVu Sans; Hangul (labels, scenario names) falls back to ko
        plt.rcParams["font.family"] = ["DejaVu Sans", ko]
    return plt


def _save(fig, path, protect=()) -> Path:
    """Write the figure atomically (the same safe save as every workbook)."""
    return save_atomic(lambda tmp: fig.savefig(tmp, format="png", dpi=150, bbox_inches="tight"), path,
                       protect=protect, suffix=".png")


def _mark_targets(ax, x_low: float, x_high: float) -> None:
    for (t, label, color), dash in zip(TARGETS, DASHES):
        if x_low - 0.05 <= t <= x_high + 0.05:
            ax.axvline(t, color=color, linestyle=dash, linewidth=1.2, label=f"target {label}")


def _share_axis(ax) -> None:
    from matplotlib.ticker import PercentFormatter
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.invert_xaxis()          # tighter targets to the right: diversification goes left to right


def _color(k: int) -> str:
    """Series ``k``'s colour, the same as in the workbook chart (:mod:`optimizer.curves.palette`)."""
    return "#" + P.series_color(k).lower()


def plot_curves(curves: list, path, x_label: str, currency: str, title: str = "",
                subtitle: str = "", protect=()) -> Path:
    """Money spent (currency M) against the target for one or more (name, Curve) pairs, breakpoints
    dotted; for one curve also the penalties of the targets given up (not money), dashed.
    Tighter targets to the right, as in the workbook's chart."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 5.2))
    xs_all = []
    for k, (name, c) in enumerate(curves):
        xs = np.array([v.t for v in c.vertices])
        ys = to_millions(np.array([v.money for v in c.vertices]))
        xs_all += list(xs)
        color = _color(k)
        ax.plot(xs, ys, "-", color=color, linewidth=2, label=name if len(curves) > 1 else "money spent")
        ax.plot(xs[1:-1], ys[1:-1], "o", color=color, markersize=3)
        if c.lowest.t is not None and abs(xs[0] - c.lowest.t) < 1e-9:
            ax.plot([xs[0]], [ys[0]], "X", color=color, markersize=8)
        if len(curves) == 1:
            pen = to_millions(np.array([v.penalties for v in c.vertices]))
            ax.plot(xs, pen, ":", color=_color(1), linewidth=2,
                    label="penalties of targets given up (not money)")
    if xs_all:
        _mark_targets(ax, min(xs_all), max(xs_all))
    _share_axis(ax)
    ax.set_xlabel(x_label)
    ax.set_ylabel(f"{currency} million, discounted")
    ax.set_title(title or "Money spent to diversify away from China", fontsize=13, fontweight="bold")
    note = ("line: money spent on the exact piecewise-linear curve; dots: breakpoints; X: lowest achievable "
            "share; the breakpoints are those of the objective (money + penalties + risk charge)")
    fig.text(0.01, -0.02, (subtitle + "\n" if subtitle else "") + note, fontsize=8, color="#595959")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    try:
        return _save(fig, path, protect)
    finally:
        plt.close(fig)


def plot_marginal(curve, path, x_label: str, currency: str, protect=()) -> Path:
    """Money per percentage point of tightening (currency M), and the objective's, against the
    target: step charts."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    verts = curve.vertices
    edges = [v.t for v in verts]
    obj = [s.cost_per_pp_m for s in curve.segments]
    money = [to_millions(a.money - b.money) / ((b.t - a.t) * 100.0) if b.t > a.t else 0.0
             for a, b in zip(verts[:-1], verts[1:])]
    if obj:
        ax.stairs(money, edges, baseline=None, color=_color(0), linewidth=2,
                  label="money spent per point tighter (average over each piece)")
        ax.stairs(obj, edges, baseline=None, color=_color(1), linewidth=1.5, linestyle="--",
                  label="objective per point tighter (money + penalties + risk charge)")
    _mark_targets(ax, curve.t_low, curve.t_high)
    _share_axis(ax)
    ax.set_xlabel(x_label)
    ax.set_ylabel(f"{currency} million per percentage point")
    ax.set_title("What each point of diversification costs", fontsize=13, fontweight="bold")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    try:
        return _save(fig, path, protect)
    finally:
        plt.close(fig)


def plot_frontier(table, path, risk_label: str, currency: str, protect=()) -> Path:
    """Money spent, and money spent + penalties (the frontier's cost), against risk (the Pareto
    points of :func:`optimizer.curves.tables.frontier_table`)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.plot(table["risk_m"], table["money_and_penalties_m"], "o-", color=_color(0), linewidth=2, markersize=5,
            label="money spent + penalties (Pareto-optimal plans)")
    if "money_m" in table:
        ax.plot(table["risk_m"], table["money_m"], "s:", color=_color(2), linewidth=1.5, markersize=4,
                label="money spent")
    ax.set_xlabel(f"risk: {risk_label}")
    ax.set_ylabel(f"{currency} million, discounted")
    ax.set_title("Cost against supply risk (Pareto frontier)", fontsize=13, fontweight="bold")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    try:
        return _save(fig, path, protect)
    finally:
        plt.close(fig)
