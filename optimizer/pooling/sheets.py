"""The typed-game and proposed-split sheets of a pool workbook: CoalitionCosts and ProposedSplit.

Both take converted :class:`optimizer.sourcing.validate.Table` objects and append an
:class:`~optimizer.core.issues.Issue` (sheet, cell, value, rule) for every problem.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from optimizer.core.issues import Issue
from optimizer.core.workbook.reader import Suggest, did_you_mean
from optimizer.pooling import schema as P
from optimizer.pooling.games import Game, GameError, label, mask_of
from optimizer.core.workbook.cells import Table

SHARE_SUM_TOL = 1e-3           # proposed shares must add up to 1 within this (then rescaled)
_COALITION_SPLIT = re.compile(r"\s*[+,&;]\s*|\s+")


def _nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _known(t: Table, key: str, known, where: str, issues: list[Issue]) -> None:
    header = t.sheet.column(key).header
    suggest = Suggest(known)     # built once; fuzzy look-ups capped (limits.MAX_SUGGESTIONS)
    for i, v in enumerate(t.frame[key].tolist()):
        if v is not None and v not in known:
            close = suggest(v)
            hint = f" (did you mean '{close}'?)" if close else ""
            issues.append(Issue(t.sheet.name, t.cell(key, i), v, f"'{header}' {v} is not {where}{hint}"))
    note = suggest.note(t.sheet.name, f"'{header}' values")
    if note is not None:
        issues.append(note)


def parse_game(t: Table, players: tuple[str, ...], issues: list[Issue]) -> tuple[Game | None, str | None,
                                                                                 tuple[str, ...]]:
    """The typed coalition table as a cost game (savings -> cost by c = -v)."""
    f, name = t.frame, t.sheet.name
    rows, kinds = [], set()
    order = list(players)
    for i, (text, cost, sav) in enumerate(zip(f["coalition"], f["cost"], f["savings"])):
        cost = None if cost is None or _nan(cost) else cost
        sav = None if sav is None or _nan(sav) else sav
        if text is None:
            continue
        if (cost is None) == (sav is None):
            issues.append(Issue(name, t.cell("cost", i), text, "fill exactly one of 'cost' and 'savings' on "
                                "every row"))
            continue
        kinds.add("cost" if cost is not None else "savings")
        ids = [p for p in _COALITION_SPLIT.split(text.strip()) if p]
        if not ids:
            issues.append(Issue(name, t.cell("coalition", i), text, "empty coalition: write members joined by "
                                "'+', e.g. KR+JP"))
            continue
        if not players:   # no member list: players in order of first appearance
            order += [p for p in ids if p not in order]
        rows.append((i, text, ids, cost if cost is not None else sav))
    if len(kinds) > 1:
        issues.append(Issue(name, "", None, "mixes 'cost' and 'savings' rows: use one column for the whole table"))
        return None, None, tuple(order)
    if not rows:
        return None, None, tuple(order)
    if len(order) > P.MAX_GAME_PLAYERS:
        issues.append(Issue(name, "", len(order), f"a typed game may have at most {P.MAX_GAME_PLAYERS} members"))
        return None, None, tuple(order)
    pos = {p: k for k, p in enumerate(order)}
    values, where = {}, {}
    for i, text, ids, v in rows:
        unknown = [p for p in ids if p not in pos]
        if unknown:
            close = did_you_mean(unknown[0], order)
            issues.append(Issue(name, t.cell("coalition", i), text, f"unknown member(s) {', '.join(unknown)}"
                                + (f" (did you mean '{close}'?)" if close else "")))
            continue
        if len(set(ids)) != len(ids):
            issues.append(Issue(name, t.cell("coalition", i), text, "a member is listed twice"))
            continue
        m = mask_of(ids, pos)
        if m in values:
            issues.append(Issue(name, t.cell("coalition", i), text, f"the same coalition as row "
                                f"{t.rows[where[m]]}: keep one row"))
            continue
        values[m], where[m] = v, i
    missing = [label(m, order) for m in range(1, 2 ** len(order)) if m not in values]
    if missing:
        issues.append(Issue(name, "", None, f"{len(missing)} coalition(s) missing (every non-empty coalition of "
                            f"{', '.join(order)} needs a row): {', '.join(missing[:10])}"
                            + (", ..." if len(missing) > 10 else "")))
        return None, None, tuple(order)
    kind = kinds.pop()
    vec = np.zeros(2 ** len(order))
    for m, v in values.items():
        vec[m] = v
    try:
        game = Game(tuple(order), vec) if kind == "cost" else Game.from_gains(tuple(order), vec)
    except GameError as err:
        issues.append(Issue(name, "", None, str(err)))
        return None, None, tuple(order)
    return game, kind, tuple(order)


def parse_split(t: Table, players: tuple[str, ...], issues: list[Issue]) -> tuple[pd.DataFrame, str | None]:
    f, name = t.frame, t.sheet.name
    empty = pd.DataFrame({"member": pd.Series(dtype=str), "share": pd.Series(dtype=float)})
    if f.empty:
        return empty, None
    rows, kinds = [], set()
    for i, (m, cs, ss) in enumerate(zip(f["member"], f["cost_share"], f["savings_share"])):
        cs = None if cs is None or _nan(cs) else cs
        ss = None if ss is None or _nan(ss) else ss
        if m is None:
            continue
        if (cs is None) == (ss is None):
            issues.append(Issue(name, t.cell("cost_share", i), m, "fill exactly one of 'share of pooled cost' and "
                                "'share of savings' on every row"))
            continue
        kinds.add("cost" if cs is not None else "savings")
        rows.append((i, m, cs if cs is not None else ss))
    if len(kinds) > 1:
        issues.append(Issue(name, "", None, "mixes cost shares and savings shares: use one column for every member"))
        return empty, None
    _known(t, "member", set(players), "a member of the pool", issues)
    missing = [p for p in players if p not in {m for _, m, _ in rows}]
    if missing and rows:
        issues.append(Issue(name, "", None, f"no share for member(s) {', '.join(missing)}: give every member a row "
                            "(0 % if it pays nothing)"))
    if not rows:
        return empty, None
    total = sum(s for _, _, s in rows)
    if abs(total - 1.0) > SHARE_SUM_TOL:
        issues.append(Issue(name, "", total, f"the shares add up to {total:.4%}, not 100 %: correct them"))
    elif abs(total - 1.0) > 1e-12:
        issues.append(Issue(name, "", total, f"the shares add up to {total:.4%}; they are rescaled to 100 %",
                            "warning"))
    share = {m: s / total if total > 0 else s for _, m, s in rows}
    return pd.DataFrame({"member": list(players), "share": [share.get(p, 0.0) for p in players]}), kinds.pop()
