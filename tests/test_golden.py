"""Behaviour unchanged: every everyday command on the bundled samples gives the stored golden
outputs (every workbook cell, terminal output, exit code, web API JSON); see golden_outputs.py.

A failure lists the first differing cells or lines.  When an output change is intended,
regenerate with ``python tests/golden_outputs.py --update`` and say why in the commit.
"""
from __future__ import annotations

import pytest

import golden_outputs as G


@pytest.mark.parametrize("name", G.all_cases())
def test_output_matches_golden(name, tmp_path):
    diff = G.differences(G.load_golden(name), G.run(name, tmp_path), name)
    assert not diff, "output changed:\n" + "\n".join(diff)


def test_the_comparison_catches_a_changed_cell():
    """The comparison itself: a changed number, a changed word, a lost cell all count."""
    gold = {"files": {"a.xlsx": {"S": [["A1", 4525.33], ["A2", "cost 4,525.33 USD M"], ["A3", "x"]]}}}
    same = {"files": {"a.xlsx": {"S": [["A1", 4525.33 * (1 + 1e-12)], ["A2", "cost 4,525.33 USD M"],
                                       ["A3", "x"]]}}}
    assert G.differences(gold, same) == []
    for bad in ([["A1", 4525.34], ["A2", "cost 4,525.33 USD M"], ["A3", "x"]],
                [["A1", 4525.33], ["A2", "cost 4,526.33 USD M"], ["A3", "x"]],
                [["A1", 4525.33], ["A2", "total 4,525.33 USD M"], ["A3", "x"]],
                [["A1", 4525.33], ["A2", "cost 4,525.33 USD M"]]):
        assert G.differences(gold, {"files": {"a.xlsx": {"S": bad}}}), bad
