"""The RiskScenarios and Disruptions sheets: read, validate, turn into model factors.

Disruptions (one row per event x source x material x year)
    event            id grouping rows into one disruption event
    source           supplier id (or ALL)
    material         material id (or ALL)
    year             calendar year the loss falls in
    months           months of that year affected (0-12)
    fraction_lost    share of the source's supply lost during those months (0-1)
    spot_multiplier  spot price multiplier for the affected material in that year (blank = none)
RiskScenarios (one row per scenario)
    scenario, probability (all sum to 1), events (ids separated by ',' ';' or '+', blank
    = no disruption), base_spot_multiplier (spot premium when nothing is disrupted,
    default 1.2 - an assumption), description, basis

Availability of offer o = (m, s, t) in scenario w:
    a_wo = prod_{rows r of w's events matching s, m, t} max(0, 1 - fraction_lost_r * months_r / 12)
Spot multiplier:  k_wo = max(base_spot_multiplier_w, max_r spot_multiplier_r over rows of w's
events for material m and year t).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import origins as OR
from optimizer.core.workbook.reader import read_workbook
from optimizer.risk.schema import ALL, DEFAULT_BASE_SPOT, RISK_SHEETS
from optimizer.core.issues import InputError, Issue
from optimizer.core.workbook.cells import convert_sheet, finalize

@dataclass
class RiskScenarios:
    scenarios: pd.DataFrame     # scenario, probability, events (list), base_spot_multiplier, description
    disruptions: pd.DataFrame   # event, source, material, year, months, fraction_lost, spot_multiplier

    @property
    def names(self) -> list[str]:
        return self.scenarios["scenario"].tolist()

    @property
    def prob(self) -> np.ndarray:
        return self.scenarios["probability"].to_numpy(float)


def split_events(text) -> list[str]:
    return [e for e in re.split(r"[,;+\s]+", str(text or "").strip()) if e]


def validate_risk(scen: pd.DataFrame, dis: pd.DataFrame, data, issues: list[Issue],
                  rows: dict | None = None) -> None:
    """Cross-checks: probabilities sum to 1, referenced events exist, ids known, years in range."""
    rows = rows or {}
    total = float(scen["probability"].sum()) if len(scen) else 0.0
    if len(scen) and abs(total - 1.0) > 1e-6:
        issues.append(Issue("RiskScenarios", "B", round(total, 9),
                            f"the probabilities must sum to 1 (they sum to {total:.6g})"))
    known_events = set(dis["event"])
    for i, ev in enumerate(scen["events"]):
        for e in ev:
            if e not in known_events:
                issues.append(Issue("RiskScenarios", rows.get(("RiskScenarios", "events", i), ""), e,
                                    f"event '{e}' is not on the Disruptions sheet"))
    mats = set(data.materials["material"]) | {ALL}
    srcs = set(data.suppliers["source"]) | {ALL}
    for i, r in dis.reset_index(drop=True).iterrows():
        if r["source"] not in srcs:
            issues.append(Issue("Disruptions", rows.get(("Disruptions", "source", i), ""), r["source"],
                                "unknown source: use an id from Suppliers or ALL"))
        if r["material"] not in mats:
            issues.append(Issue("Disruptions", rows.get(("Disruptions", "material", i), ""), r["material"],
                                "unknown material: use an id from Materials or ALL"))
        country = r.get("country") if isinstance(r.get("country"), str) else ""
        if country and r["source"] != ALL:
            issues.append(Issue("Disruptions", rows.get(("Disruptions", "source", i), ""), r["source"],
                                "a row with a country hits every offer by its content from that country: "
                                "set the source to ALL"))
        if country and country not in OR.country_blocs(data) and country not in OR.BLOCS:
            issues.append(Issue("Disruptions", rows.get(("Disruptions", "country", i), ""), country,
                                "unknown country: use a country id of Suppliers or Origins, or a bloc"))
        if r["year"] not in set(data.years):
            issues.append(Issue("Disruptions", rows.get(("Disruptions", "year", i), ""), int(r["year"]),
                                "year outside the planning horizon: the row is ignored", "warning"))


def read_risk_scenarios(path, data) -> RiskScenarios:
    """Read and validate both risk sheets of ``path``; raises InputError with every issue."""
    raw = read_workbook(path, sheets=RISK_SHEETS)
    issues = list(raw.issues)
    tables = {sh.name: convert_sheet(sh, raw.sheets.get(sh.name), issues) for sh in RISK_SHEETS}
    if any(i.severity == "error" for i in issues):
        raise InputError(issues, str(path))
    scen = finalize(tables["RiskScenarios"])
    dis = finalize(tables["Disruptions"])
    scen["events"] = [split_events(t) for t in scen["events"]]
    cells = {}
    for name, t in tables.items():
        for key in ("events", "source", "material", "year", "country"):
            if t.letters and key in t.letters:
                for i in range(len(t.frame)):
                    cells[(name, key, i)] = t.cell(key, i)
    validate_risk(scen, dis, data, issues, cells)
    if any(i.severity == "error" for i in issues):
        raise InputError(issues, str(path))
    return RiskScenarios(scen, dis)


def scenario_factors(risk: RiskScenarios, offers: pd.DataFrame, data=None) -> tuple[np.ndarray, np.ndarray]:
    """(avail, spot), each (n_scenarios, n_offers) in the order of ``offers`` (see module doc).

    A Disruptions row with a country (and a stage) hits every offer in proportion to that
    country's share of the product at that stage (:mod:`models.origins`; needs ``data``):
    a_wo *= max(0, 1 - fraction_lost * months / 12 * share_stage(o, country)).
    With periods within years (``periods_per_year`` P > 1), a_wo is the mean over the periods
    of :func:`period_factors` (the annual purchase may use what its periods may deliver).
    """
    P = _periods(data)
    if P > 1:
        per, spot = _factors(risk, offers, data, P)
        return per.mean(axis=2), spot
    per, spot = _factors(risk, offers, data, 1)
    return per[:, :, 0], spot


def period_factors(risk: RiskScenarios, offers: pd.DataFrame, data) -> np.ndarray | None:
    """(n_scenarios, n_offers, P): the share of each offer's capacity available in each period
    when the workbook has P = ``periods_per_year`` > 1 (None for a yearly workbook).

    A row with a start month loses fraction_lost x (the share of period k inside its months) in
    period k: months [start, start + months) of the row's year, cut at December; over the first
    ``licence_delay`` of those months it loses everything (:func:`_loss_profile`).  A row without
    a start month is spread evenly: months / 12 in every period."""
    P = _periods(data)
    return None if P <= 1 else _factors(risk, offers, data, P)[0]


def _periods(data) -> int:
    return 1 if data is None else int(getattr(data.settings, "periods_per_year", 1) or 1)


def _span(lo: float, hi: float, P: int) -> np.ndarray:
    """Share of each of the P periods inside months [lo, hi) of the year (0-based months)."""
    k = np.arange(P)
    a, b = k * 12.0 / P, (k + 1) * 12.0 / P
    return np.clip(np.minimum(b, hi) - np.maximum(a, lo), 0.0, None) / (12.0 / P)


def _loss_profile(r, P: int) -> np.ndarray:
    """Share of supply lost in each of the P periods by a Disruptions row: fraction_lost over its
    months, and all of it over the first ``licence_delay`` of them (deliveries wait for licences).
    Without a start month (or with P = 1) the months are spread evenly over the year."""
    months = float(r["months"])
    lag = r.get("licence_delay")
    lag = 0.0 if lag is None or pd.isna(lag) else min(float(lag), months)
    frac = float(r["fraction_lost"])
    start = r.get("start_month")
    if P == 1 or start is None or pd.isna(start):
        if not lag:
            return np.full(P, frac * months / 12.0)
        return np.full(P, (lag + frac * (months - lag)) / 12.0)
    lo = float(start) - 1.0
    hi = min(12.0, lo + months)
    held = _span(lo, min(hi, lo + lag), P)
    return held + frac * (_span(lo, hi, P) - held)


def _factors(risk: RiskScenarios, offers: pd.DataFrame, data, P: int) -> tuple[np.ndarray, np.ndarray]:
    S_, n = len(risk.scenarios), len(offers)
    content = {}
    if data is not None and "country" in risk.disruptions and (risk.disruptions["country"].fillna("") != "").any():
        tables = OR.origin_shares(data, offers[["material", "source", "year"]])
        blocs = OR.country_blocs(data)
        for c, st in {(c, st or OR.DIRECT) for c, st in zip(risk.disruptions["country"].fillna(""),
                                                             risk.disruptions["stage"].fillna("")) if c}:
            content[(c, st)] = OR.share_vector(tables[st], n, OR.countries_of(c, blocs))
    avail = np.ones((S_, n, P))
    spot = np.empty((S_, n))
    m = offers["material"].to_numpy(dtype=object)
    s = offers["source"].to_numpy(dtype=object)
    t = offers["year"].to_numpy()
    dis = risk.disruptions
    for w, (events, base) in enumerate(zip(risk.scenarios["events"], risk.scenarios["base_spot_multiplier"])):
        spot[w] = DEFAULT_BASE_SPOT if pd.isna(base) else float(base)
        for _, r in dis[dis["event"].isin(events)].iterrows():
            mat_ok = (m == r["material"]) | (r["material"] == ALL)
            hit = mat_ok & ((s == r["source"]) | (r["source"] == ALL)) & (t == r["year"])
            profile = _loss_profile(r, P)
            country = r.get("country") if isinstance(r.get("country"), str) else ""
            if country:
                share = content[(country, r.get("stage") or OR.DIRECT)]
                avail[w, hit] *= np.maximum(0.0, 1.0 - profile[None, :] * share[hit][:, None])
                continue
            avail[w, hit] *= np.maximum(0.0, 1.0 - profile)[None, :]
            if not pd.isna(r["spot_multiplier"]):
                price = mat_ok & (t == r["year"])
                spot[w, price] = np.maximum(spot[w, price], r["spot_multiplier"])
    return avail, spot


def make_risk(scenarios: list[tuple], disruptions: list[tuple]) -> RiskScenarios:
    """RiskScenarios from tuples (tests and code): scenarios (name, p, events, base_spot),
    disruptions (event, source, material, year, months, fraction_lost, spot_multiplier)."""
    sc = pd.DataFrame(scenarios, columns=["scenario", "probability", "events", "base_spot_multiplier"])
    sc["events"] = [split_events(e) if isinstance(e, str) else list(e) for e in sc["events"]]
    sc["description"] = ""
    dis = pd.DataFrame(disruptions, columns=["event", "source", "material", "year", "months",
                                             "fraction_lost", "spot_multiplier"])
    dis["spot_multiplier"] = dis["spot_multiplier"].astype(float)
    return RiskScenarios(sc, dis)
