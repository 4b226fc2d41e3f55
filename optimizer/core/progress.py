"""A live line for iterative solves that prove their answer: iteration, lower and upper bound,
certified gap and time, redrawn in place on stderr when stderr is a terminal.

    benders  it 12  lower 51,233.7 M  upper 51,388.3 M  gap 9.72e-04  155.7 s

:class:`BoundsLine` is called as ``line(iteration, lower, upper, gap, seconds)`` (the progress
callback of :func:`optimizer.risk.benders.lshaped` and of progressive hedging) and
``line.simplex(iterations, objective, seconds)`` while HiGHS solves one extensive form;
:meth:`close` clears it.  With ``every`` > 0 and stderr not a terminal (a log file, CI), one line is written
every ``every`` seconds instead, so a long run is never silent.
"""
from __future__ import annotations

import sys
import time

import numpy as np


def _num(v) -> str:
    return "-" if v is None or not np.isfinite(v) else f"{v:,.1f}"


def bounds_text(label: str, iteration, lower, upper, gap, seconds, scale: float = 1.0, unit: str = "") -> str:
    """One progress line; ``lower`` and ``upper`` in model units, shown times ``scale`` in ``unit``."""
    g = "-" if gap is None or not np.isfinite(gap) else f"{gap:.2e}"
    lo, up = (None if v is None else v * scale for v in (lower, upper))
    u = f" {unit}" if unit else ""
    return f"{label}  it {iteration}  lower {_num(lo)}{u}  upper {_num(up)}{u}  gap {g}  {seconds:.1f} s"


class BoundsLine:
    def __init__(self, label: str, stream=None, enabled: bool | None = None, every: float = 0.0,
                 scale: float = 1.0, unit: str = ""):
        self.stream = stream or sys.stderr
        self.scale, self.unit = scale, unit
        self.live = self.stream.isatty() if enabled is None else enabled
        self.label, self.every = label, every
        self._last = -np.inf
        self.drawn = False

    def __call__(self, iteration, lower, upper, gap, seconds) -> None:
        self._draw(bounds_text(self.label, iteration, lower, upper, gap, seconds, self.scale, self.unit))

    def simplex(self, iterations, objective, seconds) -> None:
        """The extensive form's line while HiGHS runs (no bounds before it has proven its optimum)."""
        obj = None if objective is None else objective * self.scale
        u = f" {self.unit}" if self.unit else ""
        self._draw(f"{self.label}  simplex it {iterations:,}  objective {_num(obj)}{u}  {seconds:.1f} s "
                   "(one LP: proven optimal or not when HiGHS stops)")

    def _draw(self, text: str) -> None:
        if self.live:
            self.stream.write("\r" + text[:110].ljust(110))
            self.stream.flush()
            self.drawn = True
        elif self.every > 0 and time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.live and self.drawn:
            self.stream.write("\r" + " " * 110 + "\r")
            self.stream.flush()
            self.drawn = False
