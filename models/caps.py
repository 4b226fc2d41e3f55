"""Dependence caps: the share of demand a country, a bloc or any single country may hold, at any
processing stage, each written against demand so the target stays a right-hand side.

For a Policy row (scope S, year t, country spec C, measure X, target theta), with
M = the materials of S that have stage X (:func:`models.origins.members_with`):

    sum_{o in offers(M, t)} w_m * share_X(o, C) * (buy[o] - sum_q use[q,o])
  + sum_{p of projects(M, t)} w_m * share_X(p, C) * make[p,t]
  + sum_{q of conversions(M, t)} w_m * out_X(q, C)
        <= theta * sum_{m in M} w_m * demand[m,t]

share_X(o, C) is the data of :func:`models.origins.origin_shares` summed over the countries of C
(a bloc's countries, or one country).  out_X(q, C) is the conversion output attributable to C at
stage X (:mod:`models.conversion`): conv[q,t] when C holds q's source and X is direct or a stage
q performs; at an upstream stage the inputs' shares carried through use[q,o]; on the look-through
measure a column z >= out_Y(q, C) for every stage Y of the output (rows ``lt_link``), the
largest stage share being what the cap limits.

C = ANY gives one row per country that holds a share of M at stage X (every single country's
share <= theta).  Rows measuring the China bloc's direct share are the family ``china_cap``
(indexed scope, year: the rows of every workbook before stages existed, unchanged); every other
measure is ``country_cap`` (scope, year, spec, country, stage).  ``model.cap_rows`` lists both,
with each row's position in the LP, so curves, sensitivity and reports treat them alike.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from models import conversion as CV
from models import origins as OR
from models.lp import Terms

CLASSIC = (OR.CHINA, OR.DIRECT)


def normal_spec(spec) -> str:
    """A Policy country spec as the model reads it: blank -> china (the bloc); ANY; a bloc; a country."""
    text = str(spec).strip() if isinstance(spec, str) else ""
    if not text or text.lower() == OR.CHINA:
        return OR.CHINA
    if text.upper() == OR.ANY:
        return OR.ANY
    if text.lower() in OR.BLOCS:
        return text.lower()
    return text


def policy_rows(data) -> pd.DataFrame:
    """Policy rows of planning years with their spec and stage normalised (old workbooks: china, direct)."""
    pol = data.policy[data.policy["year"].isin(set(data.years))].reset_index(drop=True).copy()
    pol["spec"] = [normal_spec(c) for c in (pol["country"] if "country" in pol else [""] * len(pol))]
    stages = pol["stage"] if "stage" in pol else pd.Series([OR.DIRECT] * len(pol))
    pol["stage"] = [s if isinstance(s, str) and s in OR.MEASURES else OR.DIRECT for s in stages]
    return pol


def scope_members(data, scope: str) -> list[str]:
    mats = data.materials
    if scope == "ALL":
        return mats.loc[mats["china_cap_applies"], "material"].tolist()
    if scope in set(mats["material"]):
        return [scope]
    return mats.loc[(mats["group"] == scope) & mats["china_cap_applies"], "material"].tolist()


class Shares:
    """The origin tables of the offers, the projects and the conversion sources, built once."""

    def __init__(self, model):
        data = model.data
        self.data = data
        # per measure (key, country, share) tables, and each row's country as a code into
        # ``country_index`` (sorted; every table below uses the same index)
        self.offers, offer_codes, vocab = OR.origin_codes(data, model.offers[["material", "source", "year"]])
        make = model.lp.var_blocks["make"]
        if make.size:
            inv = data.investments.set_index("project")
            self.pkeys = pd.DataFrame({"material": inv.loc[make.index["project"], "material"].to_numpy(),
                                       "source": inv.loc[make.index["project"], "source"].to_numpy(),
                                       "year": make.index["year"].to_numpy()})
        else:
            self.pkeys = pd.DataFrame({"material": [], "source": [], "year": []})
        self.projects, project_codes, pvocab = OR.origin_codes(data, self.pkeys)
        self.country_index = vocab.union(pvocab) if not vocab.equals(pvocab) else vocab
        self.offer_codes = {k: OR.recode(c, vocab, self.country_index) for k, c in offer_codes.items()}
        self.project_codes = {k: OR.recode(c, pvocab, self.country_index) for k, c in project_codes.items()}
        self.country = OR.supplier_country(data)
        self.blocs = OR.country_blocs(data)
        self.stages = OR.material_stages(data)
        self.own = CV.own_stages(data)
        self.weight = dict(zip(data.materials["material"], data.materials["reference_value"]))
        cv = CV.process_info(data)
        self.conv_material = dict(zip(cv["process"], cv["material"]))
        self.conv_source = dict(zip(cv["process"], cv["source"]))
        ins = CV.inputs(data)
        self.ratio: dict[str, dict[str, float]] = {}
        for q, m, r in zip(ins["process"], ins["material"], ins["input_per_t"]):
            self.ratio.setdefault(q, {})[m] = float(r)
        lp = model.lp
        conv, use = lp.var_blocks.get("conv"), lp.var_blocks.get("use")
        self.conv_col = ({(q, int(t)): conv.start + j for j, (q, t) in
                          enumerate(zip(conv.index["process"], conv.index["year"]))} if conv is not None else {})
        self.use_cols: dict[tuple, np.ndarray] = {}
        if use is not None and use.size:
            keys = pd.DataFrame({"q": use.index["process"].to_numpy(), "t": use.index["year"].to_numpy(),
                                 "j": np.arange(use.size)})
            for (q, t), g in keys.groupby(["q", "t"]):
                self.use_cols[(q, int(t))] = g["j"].to_numpy(np.int64)
            self.use_material = use.index["material"].to_numpy()
        self.use_start = use.start if use is not None else 0
        self.use_offer = model.use_offer
        self.n_offers = len(model.offers)
        self._alpha: dict = {}
        self._vectors: dict = {}

    def entries(self, stage: str, country: str) -> tuple[np.ndarray, np.ndarray]:
        """(offer positions, shares) of one country at ``stage``, sparse: what share_vector gives for
        [country], at its nonzero positions (built once per stage for every country)."""
        key = ("entries", stage)
        if key not in self._vectors:
            t = self.offers[stage]
            by = {}
            if len(t):
                g = t.groupby(["country", "key"], sort=True)["share"].sum().reset_index()
                for c, part in g.groupby("country", sort=False):
                    by[c] = (part["key"].to_numpy(np.int64), np.minimum(part["share"].to_numpy(float), 1.0))
            self._vectors[key] = by
        return self._vectors[key].get(country, (np.zeros(0, np.int64), np.zeros(0)))

    def countries(self, stage: str) -> list[str]:
        found = set(OR.countries_present(self.offers, stage)) | set(OR.countries_present(self.projects, stage))
        found |= {self.country.get(s, s) for s in self.conv_source.values()}
        return sorted(found)

    def offer_share(self, stage: str, countries) -> np.ndarray:
        """share_stage(o, C) of every offer (cached per stage and country set)."""
        key = (stage, tuple(sorted(countries)))
        if key not in self._vectors:
            self._vectors[key] = OR.share_vector(self.offers[stage], self.n_offers, countries)
        return self._vectors[key]

    def alpha(self, q: str, stage: str) -> dict[str, float]:
        """alpha_i of q's inputs at ``stage``; empty for direct, a stage q performs, or one its inputs lack."""
        key = (q, stage)
        if key not in self._alpha:
            if stage == OR.DIRECT or stage in self.own.get(q, ()):
                self._alpha[key] = {}
            else:
                raw = {m: r * self.weight[m] for m, r in self.ratio.get(q, {}).items()
                       if stage in self.stages.get(m, ())}
                total = sum(raw.values())
                self._alpha[key] = {m: v / total for m, v in raw.items()} if total > 0 else {}
        return self._alpha[key]


def conversion_expression(model, sh: Shares, q: str, t: int, stage: str, countries: list[str], w_out: float):
    """(columns, coefficients) of w_out * out_stage(q, C) in year t (see the module docstring)."""
    mat = sh.conv_material[q]
    alpha = sh.alpha(q, stage)
    if not alpha:          # direct, a stage q performs, or one none of its inputs carries
        mine = sh.country.get(sh.conv_source[q], sh.conv_source[q]) in set(countries)
        col = sh.conv_col.get((q, int(t)))
        if not mine or col is None or stage not in (OR.DIRECT,) + sh.stages.get(mat, OR.STAGES):
            return np.zeros(0, np.int64), np.zeros(0)
        return np.array([col], dtype=np.int64), np.array([w_out])
    sel = sh.use_cols.get((q, int(t)), np.zeros(0, np.int64))
    if not sel.size:
        return np.zeros(0, np.int64), np.zeros(0)
    mats = sh.use_material[sel]
    factor = np.array([w_out * alpha.get(m, 0.0) / sh.ratio[q][m] for m in mats])
    coef = factor * sh.offer_share(stage, countries)[sh.use_offer[sel]]
    keep = coef != 0
    return sh.use_start + sel[keep], coef[keep]


def add_share_caps(model) -> None:
    """china_cap[scope,t] and country_cap[scope,t,spec,country,stage] (see the module docstring);
    for each Policy row of a planning year, and for ANY each country holding a share."""
    lp, data = model.lp, model.data
    pol = policy_rows(data)
    sh = model.shares = Shares(model)
    o = model.offers
    buy, make = lp.var_blocks["buy"], lp.var_blocks["make"]
    use = lp.var_blocks.get("use")
    dem = {(m, t): d for m, t, d in zip(model.demand["material"], model.demand["year"], model.demand["demand"])}
    w_offer = o["material"].map(sh.weight).to_numpy(float)
    w_proj = sh.pkeys["material"].map(sh.weight).to_numpy(float) if len(sh.pkeys) else np.zeros(0)
    # each offer's / project's material as a code into its distinct materials (one isin per policy
    # row over those, not over every offer) and its year as an array
    o_code, o_mat = pd.factorize(o["material"])
    o_year = o["year"].to_numpy()
    p_code, p_mat = pd.factorize(sh.pkeys["material"])
    p_year = sh.pkeys["year"].to_numpy()
    rows = {"china_cap": [], "country_cap": []}
    lt_links = []      # (family, row number in family, q, t, w_out, stage list, countries)
    for r in pol.itertuples(index=False):
        members = OR.members_with(r.stage, scope_members(data, r.scope), sh.stages)
        mset = set(members)
        wd = sum(sh.weight[m] * dem.get((m, int(r.year)), 0.0) for m in members)
        if (r.spec, r.stage) == CLASSIC:
            groups = [(OR.CHINA, OR.countries_of(OR.CHINA, sh.blocs))]
        elif r.spec == OR.ANY:
            groups = [(c, [c]) for c in sh.countries(r.stage)]
        else:
            groups = [(r.spec, OR.countries_of(r.spec, sh.blocs))]
        in_o = o_mat.isin(mset)[o_code] & (o_code >= 0) & (o_year == r.year)      # code -1: no material
        in_p = (p_mat.isin(mset)[p_code] & (p_code >= 0) & (p_year == r.year)) if len(sh.pkeys) \
            else np.zeros(0, bool)
        for label, countries in groups:
            cols, coefs = [], []
            if len(countries) == 1:       # one country (every ANY row): its sparse entries only
                keys, share = sh.entries(r.stage, countries[0])
                ok = in_o[keys]
                nz, val = keys[ok], share[ok] * w_offer[keys[ok]]
                keep = val != 0
                nz, val = nz[keep], val[keep]
            else:
                vec = sh.offer_share(r.stage, countries) * w_offer * in_o      # cached per stage and bloc
                nz = np.flatnonzero(vec)
                val = vec[nz]
            cols.append(buy.positions[nz]), coefs.append(val)
            if use is not None and use.size and nz.size:
                u = pd.Series(val, index=nz).reindex(model.use_offer).fillna(0.0).to_numpy()
                j = np.flatnonzero(u)
                cols.append(use.start + j), coefs.append(-u[j])
            if make.size:
                pv = OR.share_vector(sh.projects[r.stage], len(sh.pkeys), countries) * w_proj * in_p
                j = np.flatnonzero(pv)
                cols.append(make.start + j), coefs.append(pv[j])
            links = []
            for q in sorted(sh.conv_material):
                mo = sh.conv_material[q]
                if mo not in mset:
                    continue
                if r.stage == OR.LOOK_THROUGH:
                    links.append((q, int(r.year), sh.weight[mo], countries))
                    continue
                c, v = conversion_expression(model, sh, q, int(r.year), r.stage, countries, sh.weight[mo])
                cols.append(c), coefs.append(v)
            cols = np.concatenate(cols) if cols else np.zeros(0, np.int64)
            coefs = np.concatenate(coefs) if coefs else np.zeros(0)
            family = "china_cap" if (r.spec, r.stage) == CLASSIC else "country_cap"
            if family == "country_cap" and not cols.size and not links:
                continue                      # the country holds nothing of this scope: no row
            rows[family].append(dict(scope=r.scope, year=int(r.year), spec=r.spec, country=label, stage=r.stage,
                                     theta=float(r.max_china_share), wd=wd, members=",".join(members),
                                     cols=cols, coefs=coefs))
            for q, t, w_out, cs in links:
                lt_links.append((family, len(rows[family]) - 1, q, t, w_out, cs))
    _add_look_through_columns(model, sh, rows, lt_links)
    frames = []
    for family in ("china_cap", "country_cap"):
        rs = rows[family]
        keys = ["scope", "year"] if family == "china_cap" else ["scope", "year", "spec", "country", "stage"]
        idx = pd.DataFrame([{k: x[k] for k in keys} for x in rs], columns=keys)
        terms = Terms()
        for i, x in enumerate(rs):
            terms.add(np.full(x["cols"].size, i), x["cols"], x["coefs"])
        doc = ("China-bloc purchase value, weighted by reference values" if family == "china_cap" else
               "value held by the country at the stage, weighted by reference values")
        lp.add_constraints(family, idx, terms, upper=np.array([x["theta"] * x["wd"] for x in rs], dtype=float),
                           doc=doc)
        block = lp.row_blocks[family]
        frames.append(pd.DataFrame({
            "scope": [x["scope"] for x in rs], "year": [x["year"] for x in rs],
            "max_china_share": [x["theta"] for x in rs], "weighted_demand": [x["wd"] for x in rs],
            "members": [x["members"] for x in rs], "family": family, "row": block.positions,
            "spec": [x["spec"] for x in rs], "country": [x["country"] for x in rs],
            "stage": [x["stage"] for x in rs]}))
    cap = pd.concat(frames, ignore_index=True)
    cap["year"] = cap["year"].astype(int)
    cap["classic"] = cap["family"] == "china_cap"
    model.cap_rows = cap
    _add_look_through_links(model, sh, lt_links)


def _add_look_through_columns(model, sh: Shares, rows: dict, links: list) -> None:
    """One column z per (look-through cap row, conversion process) entering the cap row with the
    output's weight; its lower limits are the ``lt_link`` rows."""
    lp = model.lp
    idx = pd.DataFrame([{"family": f, "row": k, "process": q, "year": t} for f, k, q, t, _, _ in links],
                       columns=["family", "row", "process", "year"])
    z = lp.add_variables("lt_share", idx, doc="conversion output held by the country at its largest stage (t)")
    for j, (family, k, q, t, w_out, _) in enumerate(links):
        x = rows[family][k]
        x["cols"] = np.append(x["cols"], z[j])
        x["coefs"] = np.append(x["coefs"], w_out)


def _add_look_through_links(model, sh: Shares, links: list) -> None:
    """lt_link[j, stage]: z_j - out_stage(q, C) >= 0 for every stage of q's output."""
    lp = model.lp
    z = lp.var_blocks["lt_share"]
    keys, terms, n = [], Terms(), 0
    for j, (_, _, q, t, _, countries) in enumerate(links):
        mat = sh.conv_material[q]
        for stage in (OR.DIRECT,) + sh.stages.get(mat, OR.STAGES):
            if stage == OR.DIRECT:
                continue
            c, v = conversion_expression(model, sh, q, t, stage, countries, 1.0)
            terms.add(np.full(c.size + 1, n), np.append(c, z.start + j), np.append(-v, 1.0))
            keys.append({"link": j, "stage": stage})
            n += 1
    lp.add_constraints("lt_link", pd.DataFrame(keys, columns=["link", "stage"]), terms, lower=np.zeros(n),
                       doc="look-through share at least each stage's share")
