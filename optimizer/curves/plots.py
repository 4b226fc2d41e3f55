"""PNG plots for briefings (matplotlib, Agg backend: no display needed).

Each plot has a title, axis labels with units, the 70 / 60 / 50 % China-share targets
marked, and is written atomically (temporary file in the target folder, then renamed).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.units import to_millions
from optimizer.core.workbook.writer import save_atomic

TARGETS = ((0.70, "70 %", "#7f7f7f"), (0.60, "60 %", "#ed7d31"), (0.50, "50 %", "#c00000"))
COLORS = ("#1f4e78", "#c00000", "#548235", "#7030a0", "#ed7d31", "#2f5597", "#a5a5a5", "#bf8f00",
          "#00b0f0", "#ff66cc", "#375623", "#833c0b")


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path, protect=()) -> Path:
    """Write the figure atomically (the same safe save as every workbook)."""
    return save_atomic(lambda tmp: fig.savefig(tmp, format="png", dpi=150, bbox_inches="tight"), path,
                       protect=protect, suffix=".png")


def _mark_targets(ax, x_low: float, x_high: float) -> None:
    for t, label, color in TARGETS:
        if x_low - 0.05 <= t <= x_high + 0.05:
            ax.axvline(t, color=color, linestyle="--", linewidth=1.2, label=f"target {label}")


def _share_axis(ax) -> None:
    from matplotlib.ticker import PercentFormatter
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.invert_xaxis()          # tighter targets to the right: diversification goes left to right


def plot_curves(curves: list, path, x_label: str, currency: str, title: str = "",
                subtitle: str = "", protect=()) -> Path:
    """Cost (currency M) against the target for one or more (name, Curve) pairs; breakpoints dotted."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 5.2))
    xs_all = []
    for k, (name, c) in enumerate(curves):
        xs = np.array([v.t for v in c.vertices])
        ys = to_millions(np.array([v.cost for v in c.vertices]))
        xs_all += list(xs)
        color = COLORS[k % len(COLORS)]
        ax.plot(xs, ys, "-", color=color, linewidth=2, label=name)
        ax.plot(xs[1:-1], ys[1:-1], "o", color=color, markersize=3)
        if c.lowest.t is not None and abs(xs[0] - c.lowest.t) < 1e-9:
            ax.plot([xs[0]], [ys[0]], "X", color=color, markersize=8)
    if xs_all:
        _mark_targets(ax, min(xs_all), max(xs_all))
    _share_axis(ax)
    ax.set_xlabel(x_label)
    ax.set_ylabel(f"total discounted cost ({currency} million)")
    ax.set_title(title or "Cost of diversifying away from China", fontsize=13, fontweight="bold")
    note = "line: exact piecewise-linear cost; dots: breakpoints; X: lowest achievable share"
    fig.text(0.01, -0.02, (subtitle + "\n" if subtitle else "") + note, fontsize=8, color="#595959")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    try:
        return _save(fig, path, protect)
    finally:
        plt.close(fig)


def plot_marginal(curve, path, x_label: str, currency: str, protect=()) -> Path:
    """Cost of one more percentage point (currency M) against the target: a step chart."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    edges = [v.t for v in curve.vertices]
    values = [s.cost_per_pp_m for s in curve.segments]
    if values:
        ax.stairs(values, edges, baseline=None, color=COLORS[0], linewidth=2,
                  label="cost of one more point (exact)")
    _mark_targets(ax, curve.t_low, curve.t_high)
    _share_axis(ax)
    ax.set_xlabel(x_label)
    ax.set_ylabel(f"cost per percentage point ({currency} million / pp)")
    ax.set_title("Marginal cost of each point of diversification", fontsize=13, fontweight="bold")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    try:
        return _save(fig, path, protect)
    finally:
        plt.close(fig)


def plot_frontier(table, path, risk_label: str, currency: str, protect=()) -> Path:
    """Cost against risk (the Pareto points of :func:`optimizer.curves.tables.frontier_table`)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.plot(table["risk_m"], table["cost_m"], "o-", color=COLORS[0], linewidth=2, markersize=5,
            label="Pareto-optimal plans")
    ax.set_xlabel(f"risk: {risk_label}")
    ax.set_ylabel(f"cost without risk charge ({currency} million, discounted)")
    ax.set_title("Cost against supply risk (Pareto frontier)", fontsize=13, fontweight="bold")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    try:
        return _save(fig, path, protect)
    finally:
        plt.close(fig)
