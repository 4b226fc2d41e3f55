"""Which commands a workbook feeds, and every problem each of them would report.

A workbook is one of two kinds, told apart by its sheets:

* a **sourcing workbook** (it has a Supply sheet, or no pool sheet): the sheets ``solve``,
  ``curve``, ``frontier`` and ``compare`` read (:func:`optimizer.sourcing.validate.load_and_validate`,
  with --scenario that scenario applied and checked), and, when it has a RiskScenarios or Disruptions
  sheet, the two risk sheets ``risk`` reads (:func:`optimizer.risk.load.read_risk_scenarios`:
  probabilities sum to 1, events exist, ids known);
* a **pool workbook** (Members or PooledOffers and no Supply sheet): the sheets ``pool`` reads
  (:func:`optimizer.pooling.load.load_pool_workbook`).

The messages are the commands' own: the same functions raise them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.core.issues import InputError, Issue
from optimizer.core.workbook.reader import read_workbook
from optimizer.pooling.load import load_pool_workbook
from optimizer.risk.load import read_risk_scenarios
from optimizer.risk.schema import RISK_SHEETS
from optimizer.sourcing.validate import load_and_validate

POOL_MARKERS = {"Members", "PooledOffers", "MemberDemand", "CoalitionCosts"}
RISK_NAMES = {s.name for s in RISK_SHEETS}


@dataclass
class CheckReport:
    """What was checked and what was found; ``issues`` has every warning and error."""

    path: str
    kind: str                                   # "sourcing" or "pool"
    commands: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]


def workbook_kind(titles: list[str]) -> str:
    if "Supply" not in titles and POOL_MARKERS & set(titles):
        return "pool"
    return "sourcing"


def check_workbook(path, scenario: str | None = None) -> CheckReport:
    """Check ``path`` for every command that reads it (see the module docstring).  Raises
    :class:`InputError` only when the file cannot be opened at all."""
    raw = read_workbook(path, sheets=())
    titles = raw.sheet_titles
    report = CheckReport(str(path), workbook_kind(titles))
    if report.kind == "pool":
        report.commands = ["pool"]
        try:
            pool = load_pool_workbook(path)
        except InputError as err:
            report.issues += err.issues
            return report
        report.issues += list(pool.warnings)
        report.facts.append(f"pool workbook: {len(pool.member_ids)} members ({', '.join(pool.member_ids)}), "
                            f"mode {pool.mode}")
        return report
    report.commands = ["solve", "curve", "frontier", "compare"]
    try:
        data = load_and_validate(path, scenario=scenario)
    except InputError as err:
        report.issues += err.issues
        return report
    report.issues += list(data.warnings)
    report.facts.append(f"{len(data.materials)} materials, {len(data.suppliers)} suppliers, "
                        f"{len(data.supply)} supply offers, years {data.settings.first_year}-"
                        f"{data.settings.last_year}{_periods_text(data.settings)}; scenarios: "
                        f"{', '.join(data.scenario_names()) or 'none'}")
    if RISK_NAMES & set(titles):
        report.commands.append("risk")
        try:
            risk = read_risk_scenarios(path, data)
        except InputError as err:
            report.issues += [i for i in err.issues if i not in report.issues]
            return report
        report.facts.append(f"risk sheets: {len(risk.names)} scenarios, probabilities sum to "
                            f"{risk.prob.sum():.6g}, {risk.disruptions['event'].nunique()} disruption events")
    return report


def _periods_text(settings) -> str:
    """`` in months`` / `` in quarters`` when the workbook plans within years, else nothing."""
    return {4: " in quarters", 12: " in months"}.get(int(getattr(settings, "periods_per_year", 1) or 1), "")
