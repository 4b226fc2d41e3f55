"""Checks of what dependence is measured on: countries, stages, origins, conversion, measures.

Every rule names the sheet, the cell, the value and how to fix it (as :mod:`.validate`):

* Materials ``processing stages``: words from mining, refining, metal, magnet;
* Suppliers ``country id``: the suppliers of one country share its bloc (a country has one bloc);
* Origins: ids known, the stage one the material has, the shares of one (material, source,
  year, stage) summing to 100 %;
* Policy and Scenarios ``country``: blank, a bloc, ANY or a country id that some supplier or
  origin names; no two Policy rows measuring the same thing (blank and 'china' are the same);
* Conversion: ids known, stages valid, at least one input per process, no process using its
  own output; ConversionInputs: processes declared on Conversion.
"""
from __future__ import annotations

import math

from models import origins as OR
from models.caps import normal_spec
from optimizer.core.issues import Issue
from optimizer.core.workbook.cells import Table, is_value
from optimizer.core.workbook.reader import did_you_mean

SHARE_TOL = 1e-6


def _text(v) -> str:
    return v.strip() if isinstance(v, str) else ""


def countries_named(t: dict[str, Table]) -> set[str]:
    """Country ids the workbook names: each supplier's (its country id, or its source id) and the Origins'."""
    sup = t["Suppliers"].frame
    ids = sup["country_id"] if "country_id" in sup else [""] * len(sup)
    out = {(_text(c) or s) for s, c in zip(sup["source"], ids) if is_value(s)}
    org = t.get("Origins")
    if org is not None and len(org.frame):
        out |= {c for c in org.frame["country"] if is_value(c) and c}
    return out


def _stage_words(tab: Table, key: str, issues: list[Issue]) -> None:
    for i, v in enumerate(tab.frame[key].tolist() if key in tab.frame else []):
        bad = OR.unknown_stages(v)
        if bad:
            issues.append(Issue(tab.sheet.name, tab.cell(key, i), v, f"'{tab.sheet.column(key).header}': "
                                f"{', '.join(bad)} is not a stage: use mining, refining, metal, magnet "
                                "(comma-separated)"))


def _country_blocs(t: dict[str, Table], issues: list[Issue]) -> None:
    sup = t["Suppliers"]
    f = sup.frame
    if "country_id" not in f:
        return
    seen: dict[str, tuple[str, str]] = {}
    for i, (s, c, b) in enumerate(zip(f["source"], f["country_id"], f["bloc"])):
        country = _text(c) or s
        if not is_value(b) or not is_value(s):
            continue
        if country in seen and seen[country][0] != b:
            issues.append(Issue("Suppliers", sup.cell("bloc", i), b, f"supplier {s} is in country {country}, whose "
                                f"supplier {seen[country][1]} has bloc {seen[country][0]}: a country has one "
                                "bloc; give both the same bloc or different country ids"))
        seen.setdefault(country, (b, s))


def _origins(t: dict[str, Table], issues: list[Issue]) -> None:
    org = t.get("Origins")
    if org is None or not len(org.frame):
        return
    f = org.frame
    stages = {m: OR.parse_stages(s) for m, s in zip(t["Materials"].frame["material"],
                                                    t["Materials"].frame["stages"])
              if is_value(m)} if "stages" in t["Materials"].frame else {}
    sums: dict[tuple, tuple[float, int]] = {}
    for i, (m, s, y, st, sh) in enumerate(zip(f["material"], f["source"], f["year"], f["stage"], f["share"])):
        if not all(is_value(v) for v in (m, s, st, sh)):
            continue
        if m in stages and st not in stages[m]:
            issues.append(Issue("Origins", org.cell("stage", i), st, f"material {m} has no {st} stage (Materials "
                                f"'processing stages': {', '.join(stages[m])}): the row is ignored", "warning"))
        year = None if y is None or (isinstance(y, float) and math.isnan(y)) else int(y)
        key = (m, s, year, st)
        total, first = sums.get(key, (0.0, i))
        sums[key] = (total + float(sh), first)
    for (m, s, y, st), (total, i) in sums.items():
        if abs(total - 1.0) > SHARE_TOL:
            when = f"in {y}" if y is not None else "for every year"
            issues.append(Issue("Origins", org.cell("share", i), round(total, 9),
                                f"the {st} shares of {m} from {s} {when} sum to {total:.4%}, not 100 %: "
                                "correct them (a stage without rows happens in the supplier's own country)"))


def _measure_country(tab: Table, i: int, v, known: set[str], issues: list[Issue]) -> None:
    spec = normal_spec(v)
    if spec in OR.BLOCS or spec == OR.ANY or spec in known:
        return
    close = did_you_mean(spec, sorted(known) + [OR.ANY] + list(OR.BLOCS))
    hint = f" (did you mean '{close}'?)" if close else ""
    issues.append(Issue(tab.sheet.name, tab.cell("country", i), v, f"'{tab.sheet.column('country').header}' "
                        f"{v} is not a country id of Suppliers or Origins, a bloc ({', '.join(OR.BLOCS)}) or "
                        f"ANY{hint}"))


def _policy(t: dict[str, Table], known: set[str], issues: list[Issue]) -> None:
    pol = t["Policy"]
    f = pol.frame
    if "country" not in f:
        return
    seen: dict[tuple, int] = {}
    for i, (y, sc, c, st) in enumerate(zip(f["year"], f["scope"], f["country"], f["stage"])):
        if is_value(c) and _text(c):
            _measure_country(pol, i, c, known, issues)
        key = (y, sc, normal_spec(c), st if is_value(st) and st else OR.DIRECT)
        if key in seen and all(is_value(v) for v in (y, sc)):
            issues.append(Issue("Policy", pol.cell("scope", i), sc, f"a second cap on {key[2]} at stage {key[3]} "
                                f"for {sc} in {y} (the row of cell {pol.cell('scope', seen[key])} measures the "
                                "same; a blank country is the China bloc): keep one"))
        seen.setdefault(key, i)
    sc = t["Scenarios"]
    if "country" in sc.frame:
        for i, c in enumerate(sc.frame["country"]):
            if is_value(c) and _text(c):
                _measure_country(sc, i, c, known, issues)


def _conversion(t: dict[str, Table], mats: set[str], srcs: set[str], issues: list[Issue]) -> None:
    conv, ins = t.get("Conversion"), t.get("ConversionInputs")
    if conv is None or ins is None:
        return
    cf, inf = conv.frame, ins.frame
    _stage_words(conv, "stages", issues)
    procs: dict = {}
    for i, (q, m, s, st) in enumerate(zip(cf["process"], cf["material"], cf["source"], cf["stages"])):
        if is_value(q) and q in procs and (m, s, _text(st)) != procs[q][2]:
            issues.append(Issue("Conversion", conv.cell("material", i), m, f"process {q} already has output "
                                f"{procs[q][2][0]}, source {procs[q][2][1]} and stages '{procs[q][2][2]}' on the row "
                                f"of cell {conv.cell('process', procs[q][1])}: every row of a process names the same"))
        elif is_value(q):
            procs.setdefault(q, (m, i, (m, s, _text(st))))
        for key, v, known, where in (("material", m, mats, "on the Materials sheet"),
                                     ("source", s, srcs, "on the Suppliers sheet")):
            if is_value(v) and v not in known:
                close = did_you_mean(v, known)
                issues.append(Issue("Conversion", conv.cell(key, i), v, f"'{conv.sheet.column(key).header}' {v} is not "
                                    f"{where}" + (f" (did you mean '{close}'?)" if close else "")))
    fed = set()
    for i, (q, m) in enumerate(zip(inf["process"], inf["material"])):
        if not is_value(q):
            continue
        if q not in procs:
            close = did_you_mean(q, list(procs))
            issues.append(Issue("ConversionInputs", ins.cell("process", i), q, f"process {q} is not on the Conversion "
                                "sheet" + (f" (did you mean '{close}'?)" if close else "")))
            continue
        fed.add(q)
        procs_m = procs[q][0]
        if is_value(m) and m not in mats:
            issues.append(Issue("ConversionInputs", ins.cell("material", i), m, f"'input material id' {m} is not on "
                                "the Materials sheet"))
        elif is_value(m) and m == procs_m:
            issues.append(Issue("ConversionInputs", ins.cell("material", i), m, f"process {q} makes {m}: it cannot "
                                "also use it as an input"))
    for q, (m, i, _) in procs.items():
        if q not in fed:
            issues.append(Issue("Conversion", conv.cell("process", i), q, f"process {q} has no input on the "
                                "ConversionInputs sheet: add one row per input (tonnes per tonne of output)"))


def check_origins(t: dict[str, Table], issues: list[Issue]) -> None:
    """Every rule of the module docstring."""
    mats = {m for m in t["Materials"].frame["material"] if is_value(m)}
    srcs = {s for s in t["Suppliers"].frame["source"] if is_value(s)}
    if "stages" in t["Materials"].frame:
        _stage_words(t["Materials"], "stages", issues)
    _country_blocs(t, issues)
    org = t.get("Origins")
    if org is not None and len(org.frame):
        for key, known, where in (("material", mats, "on the Materials sheet"), ("source", srcs, "on the Suppliers sheet")):
            for i, v in enumerate(org.frame[key]):
                if is_value(v) and v not in known:
                    close = did_you_mean(v, known)
                    issues.append(Issue("Origins", org.cell(key, i), v, f"'{org.sheet.column(key).header}' {v} is not "
                                        f"{where}" + (f" (did you mean '{close}'?)" if close else "")))
    _origins(t, issues)
    _policy(t, countries_named(t), issues)
    _conversion(t, mats, srcs, issues)
