"""Default names of result workbooks: nothing one command writes by default replaces what another
command, mode or parameter set wrote.

    outputs/<workbook stem>_<command>[_<qualifier>...].xlsx

* the command is always in the name (``solve``, ``curve``, ``frontier``, ``compare``, ``risk``,
  ``pool``), once: a stem that already ends in ``_<command>`` (the sample
  ``korea_2024_2030_risk.xlsx``) does not get it twice;
* each qualifier names a mode or a parameter that changes the answer and differs from its
  default (``path``, ``year2027``, ``grid20``, ``alpha0.9``, ``beta0``, ``ga_embargo_2026``);
  options that cannot change the optimum (backend, solver, time limit) are left out;
* characters outside letters, digits and ``. + _ -`` (and runs of dots) become ``-``: a scenario
  name cannot put a path separator or ``..`` into the file name.

An explicit ``-o`` is used as given and overwrites.
"""
from __future__ import annotations

import re
from pathlib import Path

OUTPUTS = Path("outputs")
_UNSAFE = re.compile(r"[^A-Za-z0-9.+_-]+")


def number(value: float) -> str:
    """A parameter value as it reads in a name: 0.95 -> '0.95', 1.0 -> '1', 26.0 -> '26'."""
    return f"{float(value):g}"


def qualifier(label: str, value, default=None) -> str | None:
    """``label`` + value when ``value`` is given and differs from ``default``, else None."""
    if value is None or value is False or value == default:
        return None
    if value is True:
        return label
    return f"{label}{number(value) if isinstance(value, (int, float)) else value}"


def _safe(text) -> str:
    text = _UNSAFE.sub("-", str(text))
    return re.sub(r"\.{2,}", "-", text).strip("-.")


def default_output(workbook, command: str, *qualifiers: str | None) -> Path:
    """``outputs/<stem>_<command>[_<qualifier>...].xlsx`` (blank qualifiers left out)."""
    stem = Path(workbook).stem
    if stem.endswith("_" + command):
        stem = stem[: -len(command) - 1]
    parts = [stem, command] + [_safe(q) for q in qualifiers if q]
    return OUTPUTS / ("_".join(p for p in parts if p) + ".xlsx")
