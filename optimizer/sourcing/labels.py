"""Plain-language names for the model's rows and columns.

Every row and column has a code in one grammar, ``family[key,...]`` (e.g. ``ramp[DYTB,AUMY,2025]``,
with `` at upper`` / `` at lower`` for a column bound).  :class:`Labels` turns a code into a
sentence a planner reads ("Lynas Dy+Tb oxide ramp-up limit, 2025") from the workbook's own
names; reports show the sentence with the code beside it (:meth:`Labels.with_code`), so nothing
is shown only as a code.
"""
from __future__ import annotations

import re

from models.data import SourcingData

_CODE = re.compile(r"^(?P<family>[A-Za-z_]+)(?:\[(?P<keys>[^\]]*)\])?(?: at (?P<side>upper|lower))?$")


def short(name: str) -> str:
    """The part of a long display name before a parenthesis or a comma ("Lynas (Mt Weld, ...)" -> "Lynas")."""
    text = str(name or "").strip()
    for sep in (" (", ", "):
        if sep in text:
            text = text.split(sep, 1)[0]
    return text.strip() or str(name)


ROW_SENTENCES = {
    "balance": "{M} supply and demand balance, {t}",
    "china_cap": "China-share cap on {scope}, {t}",
    "single_source": "single-supplier cap on {S} for {M}, {t}",
    "ramp": "{S} {M} ramp-up limit, {t}",
    "stock_target": "{M} stockpile target, end of {t}",
    "build_once": "project {P} built at most once",
    "project_output": "project {P} output within its built capacity, {t}",
    "capex_budget": "capex budget, {t}",
    "capex_total": "total capex budget",
    "min_volume": "{S} minimum contract for {M}, {t}",
}
COLUMN_SENTENCES = {
    "buy": "purchases of {M} from {S}, {t}",
    "stock": "{M} stock at the end of {t}",
    "unmet": "{M} demand left unmet, {t}",
    "build": "project {P} coming online in {t}",
    "make": "output of project {P}, {t}",
    "shortfall": "{M} stock below its target, end of {t}",
}
BOUND_SENTENCES = {
    ("buy", "upper"): "{S} capacity for {M}, {t}",
    ("buy", "lower"): "{S} minimum contract for {M}, {t}",
    ("build", "upper"): "project {P} fully built (online {t})",
    ("stock", "lower"): "{M} stock floor for the time-to-survive requirement, end of {t}",
    ("shortfall", "upper"): "{M} stockpile target held as a hard target, end of {t}",
}
# the keys of each family, in the order of its code
KEYS = {"balance": "Mt", "china_cap": "Ct", "single_source": "MSt", "ramp": "MSt", "stock_target": "Mt",
        "build_once": "P", "project_output": "Pt", "capex_budget": "t", "capex_total": "", "min_volume": "MSt",
        "buy": "MSt", "stock": "Mt", "unmet": "Mt", "build": "Pt", "make": "Pt", "shortfall": "Mt"}


STAGE_WORDS = {"direct": "", "mining": " at the mining stage", "refining": " at the separation/refining stage",
               "metal": " at the metal/alloy stage", "magnet": " at the magnet-making stage",
               "look-through": " on the look-through (its largest share at any stage)"}


def measure_text(spec: str, country: str, stage: str) -> str:
    """What a cap measures, in words: "CN's share at the separation/refining stage"."""
    if spec == "china" and stage == "direct":
        who = "the China bloc's share"
    elif spec == "ANY":
        who = f"{country}'s share (every single country is capped)"
    elif spec in ("china", "ally", "domestic", "other"):
        who = f"the {'China' if spec == 'china' else spec} bloc's share"
    else:
        who = f"{country}'s share"
    return who + STAGE_WORDS.get(stage, f" at the {stage} stage")


class Labels:
    """Sentences for the codes of one workbook's model."""

    def __init__(self, data: SourcingData):
        self.materials = {m: short(n) for m, n in zip(data.materials["material"], data.materials["name"])}
        self.groups = set(data.materials["group"]) - {""}
        self.sources = {s: short(n) for s, n in zip(data.suppliers["source"], data.suppliers["name"])}
        inv = data.investments
        self.projects = {} if inv is None or inv.empty else {p: short(n) for p, n in zip(inv["project"], inv["name"])}

    def _scope(self, scope: str) -> str:
        if scope == "ALL":
            return "all capped materials"
        if scope in self.materials:
            return self.materials[scope]
        return f"group {scope}"

    def sentence(self, code: str) -> str:
        """The sentence of ``code``; an unknown code is returned as it is."""
        m = _CODE.match(str(code).strip())
        if not m:
            return str(code)
        family, side = m.group("family"), m.group("side")
        keys = [k.strip() for k in (m.group("keys") or "").split(",")] if m.group("keys") else []
        if family in ("country_cap", "relax_country_cap") and len(keys) == 5:
            scope, year, spec, country, stage = keys
            text = f"Cap on {measure_text(spec, country, stage)} of {self._scope(scope)}, {year}"
            return ("relaxation of the " + text[0].lower() + text[1:]) if family.startswith("relax_") else text
        relax = family.startswith("relax_") or family == "cap_relax"
        base = {"cap_relax": "china_cap"}.get(family, family[len("relax_"):] if family.startswith("relax_") else family)
        template = BOUND_SENTENCES.get((base, side)) if side else None
        template = template or ROW_SENTENCES.get(base) or COLUMN_SENTENCES.get(base)
        roles = KEYS.get(base)
        if template is None or roles is None or len(keys) != len(roles):
            return str(code)
        values = {}
        for role, key in zip(roles, keys):
            if role == "M":
                values["M"] = self.materials.get(key, key)
            elif role == "S":
                values["S"] = self.sources.get(key, key)
            elif role == "P":
                values["P"] = self.projects.get(key, key)
            elif role == "C":
                values["scope"] = self._scope(key)
            else:
                values["t"] = key
        text = template.format(**values)
        if side and (base, side) not in BOUND_SENTENCES:
            text += f" ({side} bound)"
        return ("relaxation of the " + text) if relax else text[0].upper() + text[1:]

    def with_code(self, code: str) -> str:
        """"Sentence (code)", or the code alone when it has no sentence."""
        text = self.sentence(code)
        return text if text == str(code) else f"{text} ({code})"
