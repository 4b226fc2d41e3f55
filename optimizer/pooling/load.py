"""Read and validate a pool workbook into :class:`PoolData`, collecting every problem.

The file is opened only through :func:`optimizer.core.workbook.reader.read_workbook` on the
pool sheets (size and zip-bomb limits, defusedxml, format sniffing, merged cells, uncached
formulas) and every cell is converted by :func:`optimizer.core.workbook.cells.convert_sheet` /
``parse_cell``, so the rules and messages are those of the main workbook.  Every violation is an
:class:`~optimizer.core.issues.Issue` with sheet, cell, value and rule; if any is an error,
:class:`~optimizer.core.issues.InputError` carries them all.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from optimizer.core.workbook import reader as L
from optimizer.core.workbook import columns as S
from optimizer.core.issues import InputError, Issue
from optimizer.pooling import schema as P
from models.pool_data import PoolData, PoolSettings
from optimizer.pooling.sheets import _known, _nan, parse_game, parse_split
from optimizer.core.workbook.cells import Bad, Table, check_refs, convert_sheet, finalize, parse_cell, parse_setting_rows

TABLES = {"Members": "members", "MemberDemand": "demand", "PooledOffers": "pooled",
          "PooledAccess": "access", "StandaloneOffers": "standalone", "MemberPolicy": "policy", "ProposedSplit": "split",
          "CoalitionCosts": "coalitions", "Origins": "origins"}
_MODEL_TABLES = ("Members", "MemberDemand", "PooledOffers", "PooledAccess", "StandaloneOffers", "MemberPolicy",
                 "Origins")


# --------------------------------------------------------------------------- settings
def _settings(raw: L.RawSheet | None, issues: list[Issue]) -> tuple[dict, dict]:
    """({setting: typed value}, {setting: value cell}) from the Settings sheet."""
    values, cells, _ = parse_setting_rows(raw, P.SETTING_SPECS, issues)
    return values, cells


def _id_list(text: str, cell: str, what: str, issues: list[Issue]) -> tuple[str, ...]:
    out = []
    for piece in re.split(r"[,;\s]+", text.strip()):
        if not piece:
            continue
        try:
            out.append(parse_cell(piece, S.ID))
        except Bad as bad:
            issues.append(Issue("Settings", cell, piece, f"{what}: {bad}"))
    return tuple(out)


# --------------------------------------------------------------------------- checks
def _outside_years(t: Table, years: set, issues: list[Issue]) -> np.ndarray:
    """Rows whose year is outside the horizon (reported once per sheet, as a warning)."""
    ys = t.frame["year"].tolist()
    out = np.array([y is not None and y not in years for y in ys], dtype=bool)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        issues.append(Issue(t.sheet.name, t.cell("year", i), ys[i], f"{int(out.sum())} row(s) have a year "
                            f"outside the planning years {min(years)}-{max(years)} and are ignored", "warning"))
    return out


def _check_tiers(t: Table, issues: list[Issue]) -> None:
    """Tier rows of one offer agree on source, material, year and minimum lot; ranges are sane."""
    f = t.frame
    first: dict = {}
    for i, row in f.iterrows():
        lo, hi = row["tier_min"], row["tier_max"]
        if lo is not None and hi is not None and not _nan(hi) and hi < lo:
            issues.append(Issue(t.sheet.name, t.cell("tier_max", i), hi, f"tier max volume {hi:g} t is below "
                                f"the tier min volume {lo:g} t: swap them or fix one"))
        offer = row["offer"]
        if offer is None:
            continue
        if offer not in first:
            first[offer] = i
            continue
        j = first[offer]
        for key in ("source", "material", "year", "min_lot"):
            a, b = f.at[j, key], row[key]
            if a is not None and b is not None and not (_nan(a) and _nan(b)) and a != b:
                issues.append(Issue(t.sheet.name, t.cell(key, i), b, f"offer {offer}: '{t.sheet.column(key).header}' "
                                    f"differs from its first tier row ({a!r} on row {t.rows[j]}): every tier row of "
                                    "an offer must have the same value"))


def _tier_warnings(pooled: pd.DataFrame, t: Table, issues: list[Issue]) -> None:
    for offer, g in pooled.groupby("offer", sort=False):
        g = g.sort_values("tier_min")
        lo, hi, price = g["tier_min"].to_numpy(), g["tier_max"].to_numpy(), g["unit_price"].to_numpy()
        i = int(g.index[0])
        if np.any(lo[1:] > hi[:-1] + 1e-9):
            issues.append(Issue(t.sheet.name, t.cell("tier_min", i), offer, f"offer {offer}: gaps between tiers "
                                "(volumes in a gap cannot be bought from this offer)", "warning"))
        if np.any(np.diff(price) > 0):
            issues.append(Issue(t.sheet.name, t.cell("unit_price", i), offer, f"offer {offer}: the price rises "
                                "with volume (larger coalitions may then pay more: check the tiers)", "warning"))
        if g["min_lot"].iloc[0] > np.max(hi):
            issues.append(Issue(t.sheet.name, t.cell("min_lot", i), g["min_lot"].iloc[0], f"offer {offer}: the "
                                "minimum lot is above the largest tier volume, so nothing can ever be bought"))


def _players(values: dict, cells: dict, members_t: Table, issues: list[Issue]) -> tuple[str, ...]:
    listed = _id_list(values.get("members", ""), cells.get("members", ""), "setting 'members'", issues)
    sheet = [m for m in members_t.frame["member"].tolist() if m is not None]
    if listed and sheet:
        extra, missing = set(listed) - set(sheet), [m for m in sheet if m not in listed]
        if extra or missing or len(set(listed)) != len(listed):
            issues.append(Issue("Settings", cells.get("members", ""), values.get("members"),
                                "setting 'members' must list each member of the Members sheet once"
                                + (f"; not on the Members sheet: {', '.join(sorted(extra))}" if extra else "")
                                + (f"; missing: {', '.join(missing)}" if missing else "")))
    return tuple(dict.fromkeys(listed or sheet))


def _errors(issues: list[Issue]) -> bool:
    return any(i.severity == "error" for i in issues)


# --------------------------------------------------------------------------- the stage
def load_pool_workbook(path, mode: str = "auto") -> PoolData:
    """Read and validate a pool workbook.

    ``mode``: "model" (optimise the joint model), "game" (use the CoalitionCosts sheet)
    or "auto" (model when MemberDemand has rows, else game).  Raises
    :class:`InputError` with every issue if any error is found.
    """
    if mode not in ("auto", "model", "game"):
        raise ValueError("mode must be auto, model or game")
    raw = L.read_workbook(path, P.POOL_SHEETS)
    issues = list(raw.issues)
    t = {name: convert_sheet(P.SHEET_BY_NAME[name], raw.sheets.get(name), issues) for name in TABLES}
    values, cells = _settings(raw.sheets.get("Settings"), issues)
    has_demand = len(t["MemberDemand"].frame) > 0
    has_game = len(t["CoalitionCosts"].frame) > 0
    if mode == "auto":
        mode = "model" if has_demand or not has_game else "game"
    players = _players(values, cells, t["Members"], issues)
    kw = {s.name: values.get(s.name, s.default) for s in P.SETTING_SPECS}
    kw["members"] = players
    kw["china_sources"] = _id_list(str(values.get("china_sources", "CN")), cells.get("china_sources", ""),
                                   "setting 'china_sources'", issues)
    kw["shapley_permutations"] = int(kw["shapley_permutations"])
    kw["seed"] = int(kw["seed"])
    game = game_kind = None
    if mode == "game":
        if not has_game:
            issues.append(Issue("CoalitionCosts", "", None, "--game needs the CoalitionCosts sheet with one row per "
                                "coalition (e.g. KR+JP | cost)"))
        else:
            game, game_kind, players = parse_game(t["CoalitionCosts"], players, issues)
        kw["members"] = players
        kw["unmet_penalty"] = kw["unmet_penalty"] or 0.0
    else:
        _model_checks(t, values, cells, players, issues)
        prices = pd.concat([pd.Series(t[n].frame["unit_price"], dtype=float) for n in
                            ("PooledOffers", "StandaloneOffers")])
        top = float(prices.max()) if prices.notna().any() else 0.0
        kw["unmet_penalty"] = 10.0 * top if kw["unmet_penalty"] is None else kw["unmet_penalty"]
    if "Sources" in raw.sheets:
        check_refs(t, convert_sheet(S.REFERENCES, raw.sheets["Sources"], issues), issues)
    split, split_kind = parse_split(t["ProposedSplit"], players, issues)
    if _errors(issues):
        raise InputError(issues, str(path))
    settings = PoolSettings(**kw)
    frames = {TABLES[name]: finalize(table) for name, table in t.items() if name in _MODEL_TABLES}
    frames["pooled"]["tier_max"] = frames["pooled"]["tier_max"].fillna(np.inf)
    frames["pooled"]["min_lot"] = frames["pooled"]["min_lot"].fillna(0.0)
    if mode == "model":
        _tier_warnings(frames["pooled"], t["PooledOffers"], issues)
        if _errors(issues):
            raise InputError(issues, str(path))
    years = set(settings.years)
    for key in ("demand", "pooled", "standalone", "policy"):
        frames[key] = frames[key][frames[key]["year"].isin(years)].reset_index(drop=True)
    frames["access"] = frames["access"][frames["access"]["offer"].isin(set(frames["pooled"]["offer"]))]
    frames["access"] = frames["access"].reset_index(drop=True)
    return PoolData(settings=settings, mode=mode, member_ids=players, members=frames["members"],
                    demand=frames["demand"], pooled=frames["pooled"], access=frames["access"],
                    standalone=frames["standalone"],
                    policy=frames["policy"], origins=frames["origins"], split=split, split_kind=split_kind, game=game,
                    game_kind=game_kind, warnings=tuple(issues), source_file=str(path),
                    source_sha256=raw.sha256)


def _model_checks(t: dict[str, Table], values: dict, cells: dict, players: tuple[str, ...],
                  issues: list[Issue]) -> None:
    """Checks of the joint-model sheets (members, horizon, ids, tiers)."""
    if not players:
        issues.append(Issue("Members", "", None, "the joint model needs the Members sheet with one row per member"))
    if len(players) > P.MAX_MEMBERS:
        issues.append(Issue("Members", "", len(players), f"at most {P.MAX_MEMBERS} members"))
    if not len(t["MemberDemand"].frame):
        issues.append(Issue("MemberDemand", "", None, "the joint model needs the MemberDemand sheet: each member's "
                            "demand per material and year"))
    if not len(t["PooledOffers"].frame) and not len(t["StandaloneOffers"].frame):
        issues.append(Issue("PooledOffers", "", None, "no offers: fill PooledOffers and/or StandaloneOffers"))
    for name, example in (("first_year", 2026), ("last_year", 2030)):
        if values.get(name) is None:
            issues.append(Issue("Settings", cells.get(name, ""), None, f"setting '{name}' is required for the "
                                f"joint model, e.g. {example}"))
    fy, ly = values.get("first_year"), values.get("last_year")
    if fy is not None and ly is not None:
        if fy > ly:
            issues.append(Issue("Settings", cells.get("last_year", ""), ly, f"last_year {ly} is before first_year "
                                f"{fy}: swap them"))
        else:
            for name in ("MemberDemand", "PooledOffers", "StandaloneOffers", "MemberPolicy"):
                _outside_years(t[name], set(range(fy, ly + 1)), issues)
    known = set(players)
    for name in ("MemberDemand", "StandaloneOffers", "MemberPolicy", "PooledAccess"):
        _known(t[name], "member", known, "on the Members sheet", issues)
    offers = {o for o in t["PooledOffers"].frame["offer"].tolist() if o is not None}
    _known(t["PooledAccess"], "offer", offers, "an offer id on the PooledOffers sheet", issues)
    _check_tiers(t["PooledOffers"], issues)
    dem = t["MemberDemand"].frame
    with_demand = set(dem["member"].tolist())
    for p in players:
        if p not in with_demand:
            issues.append(Issue("MemberDemand", "", p, f"member {p} has no demand rows: it adds nothing to "
                                "any coalition", "warning"))
    mats = {m for m in dem["material"].tolist() if m is not None}
    _origin_checks(t, issues)
    _policy_countries(t, _id_list(values.get("china_sources") or "CN", cells.get("china_sources", ""),
                                  "china_sources", []), issues)
    for name in ("PooledOffers", "StandaloneOffers", "MemberPolicy"):
        tab = t[name]
        for i, m in enumerate(tab.frame["material"].tolist()):
            if m is not None and m not in mats:
                issues.append(Issue(name, tab.cell("material", i), m, f"material {m} has no demand on the "
                                    "MemberDemand sheet: the row is never used", "warning"))
                break


def _policy_countries(t: dict[str, Table], china_sources, issues: list[Issue]) -> None:
    """MemberPolicy country: blank, china, ANY, CN, a source id or a country named on Origins."""
    pol = t["MemberPolicy"]
    if "country" not in pol.frame or not len(pol.frame):
        return
    known = {"CN"} | set(china_sources)
    for name in ("PooledOffers", "StandaloneOffers"):
        known |= {s for s in t[name].frame["source"].tolist() if s is not None}
    if len(t["Origins"].frame):
        known |= {c for c in t["Origins"].frame["country"].tolist() if c is not None}
    for i, c in enumerate(pol.frame["country"].tolist()):
        text = str(c).strip() if isinstance(c, str) else ""
        if not text or text.lower() == "china" or text.upper() == "ANY" or text in known:
            continue
        issues.append(Issue("MemberPolicy", pol.cell("country", i), c, f"country {text} is neither a source id, a "
                            "country on the Origins sheet, blank (China) nor ANY: fix the id or leave it blank"))


def _origin_checks(t: dict[str, Table], issues: list[Issue]) -> None:
    """Origins: the source sells that material (PooledOffers or StandaloneOffers); the shares of one
    (material, source, stage) sum to 100 %."""
    org = t["Origins"]
    if not len(org.frame):
        return
    sold = set()
    for name in ("PooledOffers", "StandaloneOffers"):
        f = t[name].frame
        sold |= {(m, s) for m, s in zip(f["material"], f["source"]) if m is not None and s is not None}
    sums: dict[tuple, tuple[float, int]] = {}
    for i, (m, src, st, sh) in enumerate(zip(org.frame["material"], org.frame["source"], org.frame["stage"],
                                             org.frame["share"])):
        if m is None or src is None or st is None or sh is None:
            continue
        if (m, src) not in sold:
            issues.append(Issue("Origins", org.cell("source", i), src, f"no offer of {m} from {src} on "
                                "PooledOffers or StandaloneOffers: fix the material or source id, or delete the row"))
        total, first = sums.get((m, src, st), (0.0, i))
        sums[(m, src, st)] = (total + float(sh), first)
    for (m, src, st), (total, i) in sums.items():
        if abs(total - 1.0) > 1e-6:
            issues.append(Issue("Origins", org.cell("share", i), round(total, 6),
                                f"the {st} shares of {m} from {src} sum to {total:.4%}, not 100 %: make the "
                                "countries of that stage add up to 100 %"))
