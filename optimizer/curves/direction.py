"""The direction a cost curve moves the cap rows in (:class:`CapDirection`, :func:`cap_direction`)
and the measure a cap counts (``china``, ``country:XX``, ``any``, by stage); see
:mod:`optimizer.curves.parametric` for the curve itself."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from models import origins as OR
from models.caps import normal_spec, policy_rows
from optimizer.core.errors import UsageError


class CurveError(UsageError):
    """A curve request that cannot be met (unknown year or scope, empty range...)."""


# --------------------------------------------------------------------------- direction
@dataclass
class CapDirection:
    """The moving cap rows: ``rhs(t) = base + slope * t`` (model units)."""

    mode: str
    rows: np.ndarray          # global LP row positions
    base: np.ndarray
    slope: np.ndarray
    current: float            # the workbook's value of t
    year: int
    scope: str
    label: str                # what t is, for axes and tables
    measure: str = "china"    # which cap rows move (see :func:`parse_measure`)
    share_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))   # a point's share per year:
    share_years: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # the largest of these rows'
    share_wd: np.ndarray = field(default_factory=lambda: np.zeros(0))               # activity / weighted demand

    def rhs(self, t: float) -> np.ndarray:
        return self.base + self.slope * t


def parse_measure(text: str | None) -> tuple[str, str]:
    """'china' (default: the China bloc, direct), 'any' (every single country), 'CN:refining',
    'china:look-through', 'any:look-through' ... -> (country spec, stage)."""
    spec, _, stage = str(text or "china").partition(":")
    spec, stage = normal_spec(spec), (stage.strip() or OR.DIRECT)
    if stage not in OR.MEASURES:
        raise CurveError(f"unknown stage {stage!r} in measure {text!r}: use one of {', '.join(OR.MEASURES)}")
    return spec, stage


def measure_words(spec: str, stage: str) -> str:
    """How a curve's axis names its target: "China-share", "largest single country's share ..."."""
    who = {OR.CHINA: "China", OR.ANY: "largest single country"}.get(spec, f"{spec}-bloc" if spec in OR.BLOCS else spec)
    what = {OR.DIRECT: "share", OR.LOOK_THROUGH: "look-through share"}.get(stage, f"share at {stage}")
    return "China-share" if (spec, stage) == (OR.CHINA, OR.DIRECT) else f"{who} {what}"


def _measure_rows(cap: pd.DataFrame, measure: str) -> pd.Series:
    spec, stage = parse_measure(measure)
    if (spec, stage) == (OR.CHINA, OR.DIRECT):
        return cap["classic"] if "classic" in cap else pd.Series(True, index=cap.index)
    return (cap["spec"] == spec) & (cap["stage"] == stage)


def with_cap_row(data, year: int, scope: str = "ALL", measure: str = "china"):
    """``data`` with a Policy row (year, scope, measure) added when there is none (target 100 %),
    so a year without a cap can still get its curve."""
    spec, stage = parse_measure(measure)
    pol = policy_rows(data) if len(data.policy) else data.policy
    same = (pol["year"] == year) & (pol["scope"] == scope)
    if "spec" in pol:
        same &= (pol["spec"] == spec) & (pol["stage"] == stage)
    if same.any():
        return data
    if year not in data.years:
        raise CurveError(f"year {year} is not a planning year ({data.years[0]}-{data.years[-1]})")
    pol = data.policy
    row = {c: [np.nan] for c in pol.columns}
    row.update(year=[int(year)], scope=[scope], max_china_share=[1.0])
    if "country" in pol or spec != OR.CHINA:
        row["country"] = ["" if spec == OR.CHINA else spec]
    if "stage" in pol or stage != OR.DIRECT:
        row["stage"] = [stage]
    new = pd.DataFrame(row)
    new = new.astype({c: pol[c].dtype for c in ("year", "scope", "max_china_share") if c in pol})
    return replace(data, policy=pd.concat([pol, new], ignore_index=True) if len(pol) else new)


def cap_direction(model, mode: str = "path", year: int | None = None, scope: str = "ALL",
                  measure: str = "china") -> CapDirection:
    """The direction for ``mode`` ('year' or 'path') over the cap rows of ``measure`` (default the
    China bloc's direct share; 'any' = every single country, ...: :func:`parse_measure`); ``year``
    defaults to the last year with a ``scope`` row (the reference row in path mode).  For 'any' a
    year has one row per country, all moving together."""
    spec, stage = parse_measure(measure)
    cap = model.cap_rows.reset_index(drop=True)
    if cap.empty:
        raise CurveError("the Policy sheet has no cap for a planning year: nothing to move")
    cap = cap[_measure_rows(cap, measure).to_numpy()].reset_index(drop=True)
    words = measure_words(spec, stage)
    if cap.empty:
        raise CurveError(f"no Policy row measures {measure!r} (country {spec}, stage {stage}): add rows with that "
                         "country and stage to the Policy sheet, or a scenario that adds them")
    mine = cap[cap["scope"] == scope]
    if mine.empty:
        raise CurveError(f"no Policy row with scope {scope!r}; scopes: {', '.join(map(str, cap['scope'].unique()))}")
    if year is None:
        year = int(mine["year"].max())
    ref = mine[mine["year"] == year]
    if ref.empty:
        raise CurveError(f"no Policy row for {scope} in {year}; years with one: "
                         f"{', '.join(str(int(y)) for y in sorted(mine['year'].unique()))}")
    rows = cap["row"].to_numpy(np.int64)
    theta = cap["max_china_share"].to_numpy(float)
    wd = cap["weighted_demand"].to_numpy(float)
    share = cap["scope"] == ("ALL" if (spec, stage) == (OR.CHINA, OR.DIRECT) else scope)
    extra = dict(measure=measure, share_rows=rows[share.to_numpy()],
                 share_years=cap["year"].to_numpy()[share.to_numpy()].astype(int),
                 share_wd=wd[share.to_numpy()])
    if mode == "year":
        ks = ref.index.to_numpy()
        return CapDirection("year", rows[ks], np.zeros(ks.size), wd[ks], float(theta[ks[0]]), year, scope,
                            f"{year} {scope} {words} target", **extra)
    if mode != "path":
        raise CurveError(f"unknown mode {mode!r}: use path or year")
    k = int(ref.index[0])
    if theta[k] <= 0:
        raise CurveError(f"the {year} {scope} target is 0: the glide path cannot be scaled from it")
    return CapDirection("path", rows.copy(), np.zeros(len(cap)), theta / theta[k] * wd, float(theta[k]), year,
                        scope, f"{year} {scope} {words} target (every year's target scaled in proportion)",
                        **extra)
