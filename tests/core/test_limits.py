"""The limits are stated once: the README's table lists every constant of optimizer/core/limits.py
with its value, and the refusals name the limit they hit."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from optimizer.core import limits as LIM
from optimizer.pooling import games
from optimizer.pooling import schema as P

README = Path(__file__).resolve().parents[2] / "README.md"
CONSTANTS = sorted(k for k, v in vars(LIM).items() if k.isupper() and k != "MiB" and isinstance(v, (int, float)))


def table_rows() -> dict[str, str]:
    text = README.read_text()
    section = text[text.index("## Limits"):]
    section = section[:section.index("\n## ", 5)] if "\n## " in section[5:] else section
    return {m.group(1): line for line in section.splitlines() for m in [re.search(r"`([A-Z_0-9]+)` \|$", line)] if m}


def shown(value) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def test_every_limit_is_in_the_readme_table_with_its_value():
    rows = table_rows()
    assert set(CONSTANTS) <= set(rows), sorted(set(CONSTANTS) - set(rows))
    for name in CONSTANTS:
        value_cell = rows[name].split("|")[2]
        assert shown(getattr(LIM, name)) in value_cell, (name, getattr(LIM, name), rows[name])
    assert set(rows) <= set(CONSTANTS), sorted(set(rows) - set(CONSTANTS))   # no stale row


def test_the_pool_limits_kept_elsewhere_are_stated_too():
    row = table_rows()["EXACT_MAX_MIP_PLAYERS"]
    assert f"LP: {games.EXACT_MAX_PLAYERS}" in row and f"most members: {P.MAX_MEMBERS}" in row


@pytest.mark.parametrize("name", CONSTANTS)
def test_a_limit_is_a_finite_positive_number(name):
    value = getattr(LIM, name)
    assert value > 0 and value == value and value != float("inf")
