"""The pooled-procurement model: members buying jointly, one function per family.

Sets: members i, materials m, planning years t; demand rows d = (i, m, t) with positive
demand D[i,m,t]; pooled offers o (source s_o, material m_o, year t_o, minimum lot L_o)
with all-units volume tiers k = 1..K_o (tier volume range [lo_k, hi_k], unit price p_k)
and, optionally, members' access rights a[i,o] (tonnes of offer o member i can secure);
standalone offers a = (i, s, m, t) (capacity cap_a, unit price p_a), usable by member i
only.  Money inside the model is in thousands of currency (t x currency/kg);
``df_t = (1 + r)^-(t - first_year)``.

An offer is *continuous* when it has one tier starting at 0 and no minimum lot; every
other offer needs binary tier choices, and the model is then a MILP (solved by HiGHS
through :func:`optimizer.core.solver.solve_lp`; its duals are indicative only: integers
fixed, LP re-solved).

Coalitions: the model is built once for all members; coalition S is the same model
with non-members' demand rows set to 0, the access rows' right-hand sides reduced to
the members' rights, and non-members' ``take`` and ``own`` columns bounded to 0
(:func:`coalition_bounds`).  The costs of every coalition are
then computed by changing bounds only (:mod:`optimizer.pooling.coalitions`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import origins as OR
from models.lp import INF, LinearProgram, Terms, lookup
from models.pool_data import PoolData
from models.units import to_millions



@dataclass
class PoolModel:
    """The built model plus the index tables needed to change coalitions and read it back."""

    lp: LinearProgram
    data: PoolData
    members: tuple[str, ...]
    demand: pd.DataFrame             # member, material, year, demand, member_pos   (one per demand row)
    offers: pd.DataFrame             # offer, source, material, year, min_lot, integer, china, df
    tiers: pd.DataFrame              # offer, tier, tier_min, tier_max, unit_price, min_lot, integer, big_m
    takes: pd.DataFrame              # member, offer, material, year, source, china, member_pos
    own: pd.DataFrame                # member, source, material, year, capacity, unit_price, china, member_pos
    access: pd.DataFrame             # offer x member access matrix (t), offers with access rights only


def discount(data: PoolData, years) -> np.ndarray:
    s = data.settings
    return (1.0 + s.discount_rate) ** -(np.asarray(years, dtype=float) - s.first_year)


def build_pool_model(data: PoolData) -> PoolModel:
    """Build the joint model for all members, in a fixed order."""
    lp = LinearProgram("pooling")
    model = _index_tables(lp, data)
    add_tier_volume_variables(model)
    add_tier_choice_variables(model)
    add_take_variables(model)
    add_surplus_variables(model)
    add_own_variables(model)
    add_unmet_variables(model)
    add_pool_split(model)
    add_one_tier(model)
    add_tier_range(model)
    add_pool_access(model)
    add_member_demand(model)
    add_member_china_cap(model)
    return model


# --------------------------------------------------------------------------- indices
def _index_tables(lp: LinearProgram, data: PoolData) -> PoolModel:
    members = tuple(data.member_ids)
    mpos = {m: i for i, m in enumerate(members)}
    china = set(data.settings.china_sources)
    dem = data.demand[data.demand["demand"] > 0].sort_values(["member", "material", "year"])
    dem = dem[["member", "material", "year", "demand"]].reset_index(drop=True)
    dem["member_pos"] = dem["member"].map(mpos).astype(int)
    tiers = data.pooled.sort_values(["offer", "tier_min", "tier"]).reset_index(drop=True)
    offers = tiers.groupby("offer", sort=True).agg(source=("source", "first"), material=("material", "first"),
                                                   year=("year", "first"), min_lot=("min_lot", "first"),
                                                   n_tiers=("tier", "size"), first_min=("tier_min", "min"))
    offers = offers.reset_index()
    offers["integer"] = (offers["n_tiers"] > 1) | (offers["first_min"] > 0) | (offers["min_lot"] > 0)
    offers["china"] = offers["source"].isin(china)
    offers["df"] = discount(data, offers["year"])
    total = dem.groupby(["material", "year"], as_index=False)["demand"].sum()
    need = lookup(offers, total, ["material", "year"], "demand")
    tiers = tiers.merge(offers[["offer", "integer"]], on="offer", how="left")
    need_t = np.nan_to_num(lookup(tiers, offers.assign(need=need), ["offer"], "need"))
    # big-M for an unlimited tier: buying more than every member's demand, the tier minimum
    # and the minimum lot is never cheaper (prices >= 0), so this bound cuts no optimum
    tiers["big_m"] = np.where(np.isfinite(tiers["tier_max"]), tiers["tier_max"],
                              np.maximum.reduce([tiers["tier_min"].to_numpy(), tiers["min_lot"].to_numpy(),
                                                 need_t]))
    takes = offers.merge(dem[["member", "material", "year", "member_pos"]], on=["material", "year"])
    takes = takes[["member", "offer", "material", "year", "source", "china", "member_pos"]]
    takes = takes.sort_values(["member_pos", "offer"]).reset_index(drop=True)
    own = data.standalone.merge(dem[["member", "material", "year", "member_pos"]],
                                on=["member", "material", "year"])
    own = own[own["capacity"] > 0].sort_values(["member_pos", "source", "material", "year"])
    own = own.reset_index(drop=True)
    own["china"] = own["source"].isin(china)
    acc = data.access.pivot_table(index="offer", columns="member", values="capacity", aggfunc="sum")
    acc = acc.reindex(columns=list(members)).fillna(0.0).sort_index()
    return PoolModel(lp, data, members, dem, offers, tiers, takes, own, acc)


# --------------------------------------------------------------------------- variables
def add_tier_volume_variables(model: PoolModel) -> None:
    """tier_qty[o,k] >= 0: tonnes bought from pooled offer o at tier k's price.

    cost: df_t * p_k per tonne.  Continuous offers: tier_qty <= hi_k (the offer's
    capacity, unbounded if blank).  Integer offers: bounded through tier_range rows.
    For each tier k of each pooled offer o.
    """
    t = model.tiers
    df = lookup(t, model.offers, ["offer"], "df")
    upper = np.where(t["integer"].to_numpy(), INF, t["tier_max"].to_numpy())
    model.lp.add_variables("tier_qty", t[["offer", "tier"]].astype({"tier": int}), upper=upper,
                           cost=df * t["unit_price"].to_numpy(), parts="pooled purchases",
                           doc="tonnes bought per pooled offer and tier")


def add_tier_choice_variables(model: PoolModel) -> None:
    """tier_on[o,k] in {0, 1}: the pool buys offer o at tier k.

    For each tier of each integer offer (more than one tier, a tier minimum or a minimum lot).
    """
    t = model.tiers[model.tiers["integer"]]
    model.lp.add_variables("tier_on", t[["offer", "tier"]].astype({"tier": int}), upper=1.0, integer=True,
                           doc="tier chosen (binary)")


def add_take_variables(model: PoolModel) -> None:
    """take[i,o] >= 0: tonnes of pooled offer o delivered to member i (no cost of its own).

    For each member i and pooled offer o of a material and year in which i has demand.
    """
    model.lp.add_variables("take", model.takes[["member", "offer"]], doc="pooled tonnes per member")


def add_surplus_variables(model: PoolModel) -> None:
    """surplus[o] >= 0: tonnes of pooled offer o bought but delivered to no member (no cost
    of its own; bought only to reach a minimum lot or a cheaper tier).

    For each pooled offer o.
    """
    model.lp.add_variables("surplus", model.offers[["offer"]], doc="pooled tonnes left over")


def add_own_variables(model: PoolModel) -> None:
    """own[i,s,m,t]: tonnes member i buys alone;  0 <= own <= cap_a;  cost df_t * p_a per tonne.

    For each standalone offer with positive capacity whose member has demand for m in t.
    """
    o = model.own
    df = discount(model.data, o["year"])
    model.lp.add_variables("own", o[["member", "source", "material", "year"]], upper=o["capacity"].to_numpy(),
                           cost=df * o["unit_price"].to_numpy(), parts="standalone purchases",
                           doc="standalone tonnes per member")


def add_unmet_variables(model: PoolModel) -> None:
    """unmet[i,m,t] >= 0: member demand left unserved; cost df_t * unmet_penalty per tonne.

    For each demand row (keeps every coalition feasible; a positive value is reported).
    """
    d = model.demand
    df = discount(model.data, d["year"])
    model.lp.add_variables("unmet", d[["member", "material", "year"]],
                           cost=df * model.data.settings.unmet_penalty, parts="unmet demand penalty",
                           doc="unmet member demand (t)")


# --------------------------------------------------------------------------- constraints
def add_pool_split(model: PoolModel) -> None:
    """pool_split[o]:  sum_i take[i,o] + surplus[o] - sum_k tier_qty[o,k] = 0

    Everything the pool buys from offer o is delivered to a member or left over.
    For each pooled offer o.
    """
    lp, o = model.lp, model.offers
    terms = Terms()
    take, qty = lp.var_blocks["take"], lp.var_blocks["tier_qty"]
    terms.add(lookup(take.index, o, ["offer"]), take.positions, 1.0)
    terms.add(lookup(qty.index, o, ["offer"]), qty.positions, -1.0)
    terms.add(np.arange(len(o)), lp.var_blocks["surplus"].positions, 1.0)
    lp.add_constraints("pool_split", o[["offer"]], terms, lower=0.0, upper=0.0, doc="pooled tonnes delivered")


def add_one_tier(model: PoolModel) -> None:
    """one_tier[o]:  sum_k tier_on[o,k] <= 1

    All-units pricing: the whole volume of an offer is charged one tier's price.
    Only where the offer is integer.  For each such offer.
    """
    lp = model.lp
    on = lp.var_blocks["tier_on"]
    idx = model.offers.loc[model.offers["integer"], ["offer"]].reset_index(drop=True)
    terms = Terms().add(lookup(on.index, idx, ["offer"]), on.positions, 1.0)
    lp.add_constraints("one_tier", idx, terms, upper=1.0, doc="at most one price tier per offer")


def add_tier_range(model: PoolModel) -> None:
    """tier_upper[o,k]:  tier_qty[o,k] - U_k * tier_on[o,k] <= 0
    tier_lower[o,k]:  tier_qty[o,k] - max(lo_k, L_o) * tier_on[o,k] >= 0

    U_k is the tier maximum (or, when blank, the largest useful volume: every member's
    demand for that material and year, the tier minimum or the lot, whichever is larger).
    The volume bought at tier k is 0 unless the tier is chosen, and then lies in the
    tier's range and is at least the minimum lot.  Only where the offer is integer
    (lower rows only where max(lo_k, L_o) > 0).  For each such tier.
    """
    lp = model.lp
    t = model.tiers[model.tiers["integer"]].reset_index(drop=True)
    qty, on = lp.var_blocks["tier_qty"], lp.var_blocks["tier_on"]
    key = t[["offer", "tier"]].astype({"tier": int})
    qpos = qty.start + lookup(key, qty.index, ["offer", "tier"])
    opos = on.start + lookup(key, on.index, ["offer", "tier"])
    n = len(t)
    up = Terms().add(np.arange(n), qpos, 1.0).add(np.arange(n), opos, -t["big_m"].to_numpy())
    lp.add_constraints("tier_upper", key, up, upper=0.0, doc="tier volume within its maximum")
    floor = np.maximum(t["tier_min"].to_numpy(), t["min_lot"].to_numpy())
    sel = np.flatnonzero(floor > 0)
    low = Terms().add(np.arange(sel.size), qpos[sel], 1.0).add(np.arange(sel.size), opos[sel], -floor[sel])
    lp.add_constraints("tier_lower", key.iloc[sel].reset_index(drop=True), low, lower=0.0,
                       doc="tier volume at least its minimum and the minimum lot")


def add_pool_access(model: PoolModel) -> None:
    """pool_access[o]:  sum_k tier_qty[o,k] <= sum_{i in S} a[i,o]

    The pool buys at most its members' combined access to offer o (S = all members
    when the model is built; coalitions change the right-hand side).
    Only where the PooledAccess sheet lists the offer.  For each such offer.
    """
    lp, acc = model.lp, model.access
    qty = lp.var_blocks["tier_qty"]
    idx = pd.DataFrame({"offer": acc.index.to_numpy()})
    r = lookup(qty.index, idx, ["offer"])
    terms = Terms().add(r[r >= 0], qty.positions[r >= 0], 1.0)
    lp.add_constraints("pool_access", idx, terms, upper=acc.sum(axis=1).to_numpy(dtype=float),
                       doc="pooled tonnes within the members' access rights")


def add_member_demand(model: PoolModel) -> None:
    """member_demand[i,m,t]:  sum_o take[i,o] + sum_a own[i,a] + unmet[i,m,t] = D[i,m,t]

    (o over pooled offers and a over i's standalone offers of material m in year t.)
    For each demand row; for a coalition, rows of non-members have right-hand side 0.
    """
    lp, d = model.lp, model.demand
    keys = ["member", "material", "year"]
    terms = Terms()
    take, own = lp.var_blocks["take"], lp.var_blocks["own"]
    terms.add(lookup(model.takes, d, keys), take.positions, 1.0)
    terms.add(lookup(model.own, d, keys), own.positions, 1.0)
    terms.add(np.arange(len(d)), lp.var_blocks["unmet"].positions, 1.0)
    dem = d["demand"].to_numpy(dtype=float)
    lp.add_constraints("member_demand", d[keys], terms, lower=dem, upper=dem, doc="member demand (t)")


CHINA, ANY = "china", "ANY"


def china_ids(data: PoolData) -> set[str]:
    """The country ids that are China: CN and every china_sources id."""
    return set(data.settings.china_sources) | {"CN"}


def source_country(data: PoolData, sources) -> np.ndarray:
    """Where each source is: CN for a china_sources source, else the source id itself."""
    china = set(data.settings.china_sources)
    return np.array(["CN" if s in china else s for s in sources], dtype=object)


def content(data: PoolData, table: pd.DataFrame, stage: str, countries: set[str]) -> np.ndarray:
    """The share of each row's product (rows with material and source) held by ``countries`` on one
    measure.  direct: 1 where the source is in one of them (:func:`source_country`), else 0.  A stage:
    the Origins shares of those countries for that material, source and stage; a stage without rows
    happened where the source is.  look-through: the largest of direct and the four stages, row by row."""
    direct = np.isin(source_country(data, table["source"]), list(countries)).astype(float)
    if stage == OR.DIRECT:
        return direct
    if stage == OR.LOOK_THROUGH:
        return np.max(np.vstack([direct] + [content(data, table, s, countries) for s in OR.STAGES]), axis=0)
    org = data.origins
    if org is None or not len(org):
        return direct
    at = org[org["stage"] == stage]
    given = set(zip(at["material"], at["source"]))
    held = at[at["country"].isin(countries)].groupby(["material", "source"])["share"].sum().to_dict()
    keys = list(zip(table["material"], table["source"]))
    return np.array([held.get(k, 0.0) if k in given else d for k, d in zip(keys, direct)], dtype=float)


def china_content(data: PoolData, table: pd.DataFrame, stage: str) -> np.ndarray:
    """China's share of each row's product on one measure (:func:`content` for CN and china_sources)."""
    return content(data, table, stage, china_ids(data))


def countries_present(data: PoolData, stage: str) -> list[str]:
    """Every country that can hold a share at ``stage``: where the sources are, and the Origins'."""
    srcs = pd.concat([data.pooled["source"], data.standalone["source"]]).dropna().unique()
    found = set(source_country(data, srcs))
    org = data.origins
    if stage != OR.DIRECT and org is not None and len(org):
        found |= set((org if stage == OR.LOOK_THROUGH else org[org["stage"] == stage])["country"])
    return sorted(found - china_ids(data) | ({"CN"} if found & china_ids(data) else set()))


def policy_stages(data: PoolData) -> pd.DataFrame:
    """MemberPolicy with its stage and country spec (columns missing in old workbooks and fixtures:
    direct, china), and one row per country for ANY (``who``: china or the country)."""
    pol = data.policy.copy()
    pol["stage"] = pol["stage"].fillna(OR.DIRECT).replace("", OR.DIRECT) if "stage" in pol else OR.DIRECT
    spec = pol["country"].fillna("") if "country" in pol else pd.Series([""] * len(pol), index=pol.index)
    spec = spec.map(lambda c: CHINA if not str(c).strip() or str(c).strip().lower() == CHINA
                    else (ANY if str(c).strip().upper() == ANY else str(c).strip()))
    pol["spec"] = spec
    parts = []
    for (sp, st), g in pol.groupby(["spec", "stage"], sort=False):
        if sp == ANY:
            for c in countries_present(data, st):
                parts.append(g.assign(who=c))
        else:
            parts.append(g.assign(who=sp))
    cols = list(pol.columns) + ["who"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pol.assign(who=pd.Series(dtype=object))


def who_countries(data: PoolData, who: str) -> set[str]:
    return china_ids(data) if who == CHINA or who in china_ids(data) else {who}


def add_member_china_cap(model: PoolModel) -> None:
    """member_china_cap[i,m,t] (China, direct: the rows of every pool workbook before stages) and
    member_country_cap[i,m,t,c,x] (any other country or measure):

        sum_o s_xc(o) take[i,o] + sum_a s_xc(a) own[i,a] <= theta[i,m,t,x,c] * D[i,m,t]

    s_xc is the share of the product country c holds on measure x (:func:`content`): 1 or 0 on the
    direct measure, the Origins shares at a stage, their largest on look-through; c is China (CN
    and the china_sources, the default), a named country, or each country in turn for ANY.
    For each MemberPolicy row with a demand row.  Keeping the cap in tonnes of demand keeps theta a
    right-hand side.
    """
    lp, d = model.lp, model.demand
    keys = ["member", "material", "year"]
    pol = policy_stages(model.data)
    rows = d.merge(pol[keys + ["stage", "spec", "who", "max_china_share"]], on=keys)
    rows = rows[keys + ["stage", "spec", "who", "demand", "max_china_share"]]
    classic = (rows["stage"] == OR.DIRECT) & (rows["spec"] == CHINA)
    take, own = lp.var_blocks["take"], lp.var_blocks["own"]
    for family, part, index in (("member_china_cap", rows[classic], keys),
                                ("member_country_cap", rows[~classic], keys + ["who", "stage"])):
        part = part.reset_index(drop=True)
        terms = Terms()
        for (stage, who), g in part.groupby(["stage", "who"], sort=False):
            idx = g.index.to_numpy()
            for block, table in ((take, model.takes), (own, model.own)):
                r = lookup(table, g, keys)
                coef = content(model.data, table, stage, who_countries(model.data, who))
                sel = (r >= 0) & (coef > 0)
                terms.add(idx[r[sel]], block.positions[sel], coef[sel])
        lp.add_constraints(family, part[index].rename(columns={"who": "country"}), terms,
                           upper=(part["max_china_share"] * part["demand"]).to_numpy(),
                           doc="member China tonnes" if family == "member_china_cap" else
                               "member tonnes held by the capped country at the stage")


# --------------------------------------------------------------------------- coalitions
@dataclass
class CoalitionMaps:
    """Positions whose bounds change with the coalition, and the member owning each."""

    demand_rows: np.ndarray          # global row positions of member_demand
    demand_member: np.ndarray
    demand_value: np.ndarray
    access_rows: np.ndarray          # global row positions of pool_access
    access: np.ndarray               # offers x members access (t)
    cols: np.ndarray                 # global column positions of take and own
    col_member: np.ndarray
    col_upper: np.ndarray            # upper bound when the member is in the coalition


def coalition_maps(model: PoolModel) -> CoalitionMaps:
    lp = model.lp
    rows = lp.row_blocks["member_demand"].positions
    take, own = lp.var_blocks["take"], lp.var_blocks["own"]
    cols = np.concatenate([take.positions, own.positions])
    member = np.concatenate([model.takes["member_pos"].to_numpy(), model.own["member_pos"].to_numpy()])
    upper = np.concatenate([np.full(take.size, INF), model.own["capacity"].to_numpy(dtype=float)])
    return CoalitionMaps(rows, model.demand["member_pos"].to_numpy(), model.demand["demand"].to_numpy(float),
                         lp.row_blocks["pool_access"].positions, model.access.to_numpy(dtype=float),
                         cols, member.astype(int), upper)


def coalition_bounds(maps: CoalitionMaps, mask: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(demand-row right-hand sides, access-row upper bounds, take/own column upper bounds)
    for coalition ``mask``:

        member_demand[i,m,t] = D[i,m,t] if i in S else 0
        pool_access[o]      <= sum_{i in S} a[i,o]
        take[i,o] <= inf, own[i,a] <= cap_a   if i in S else 0
    """
    row_in = (mask >> maps.demand_member) & 1
    col_in = (mask >> maps.col_member) & 1
    member_in = (mask >> np.arange(maps.access.shape[1])) & 1
    return (np.where(row_in == 1, maps.demand_value, 0.0), maps.access @ member_in,
            np.where(col_in == 1, maps.col_upper, 0.0))


def apply_coalition(model: PoolModel, mask: int) -> None:
    """Set the coalition's bounds on the model's LinearProgram (for a one-off solve_lp)."""
    maps = coalition_maps(model)
    rhs, acc, cup = coalition_bounds(maps, mask)
    lp = model.lp
    k = list(lp.row_blocks).index("member_demand")
    lp.row_lower[k] = rhs.astype(float)
    lp.row_upper[k] = rhs.astype(float)
    lp.row_upper[list(lp.row_blocks).index("pool_access")] = acc.astype(float)
    take = lp.var_blocks["take"]
    lp.set_bounds("take", upper=cup[:take.size])
    lp.set_bounds("own", upper=cup[take.size:])


# --------------------------------------------------------------------------- reading back
def plan_tables(model: PoolModel, x: np.ndarray) -> dict[str, pd.DataFrame]:
    """The joint plan: pooled purchases, deliveries per member, and a per-member summary.

    Money in currency millions, prices in currency/kg.  A member's pooled tonnes are
    valued at the offer's cost per delivered tonne (all-units: the chosen tier's price,
    raised so that any surplus bought to reach a lot or tier is paid by the receivers).
    """
    lp = model.lp
    qty = lp.values("tier_qty", x)
    t = model.tiers
    pooled = t[["offer", "tier", "tier_min", "tier_max", "unit_price", "min_lot"]].copy()
    pooled = pooled.merge(model.offers[["offer", "source", "material", "year", "df"]], on="offer")
    pooled["tonnes"] = qty["value"].to_numpy()
    pooled["cost"] = to_millions(pooled["tonnes"] * pooled["unit_price"] * pooled["df"])
    pooled = pooled[pooled["tonnes"] > 1e-9].drop(columns="df").reset_index(drop=True)
    value = (pooled["tonnes"] * pooled["unit_price"]).groupby(pooled["offer"]).sum()   # k-currency, undiscounted
    take = model.takes.copy()
    take["tonnes"] = lp.values("take", x)["value"].to_numpy()
    delivered = take.groupby("offer")["tonnes"].sum()
    avg_price = (value / delivered.reindex(value.index)).to_dict()
    take["channel"] = "pool:" + take["offer"]
    take["unit_price"] = take["offer"].map(avg_price)
    own = model.own.copy()
    own["tonnes"] = lp.values("own", x)["value"].to_numpy()
    own["channel"] = "alone"
    cols = ["member", "channel", "source", "material", "year", "tonnes", "unit_price", "china"]
    deliveries = pd.concat([take[cols], own[cols]], ignore_index=True)
    deliveries = deliveries[deliveries["tonnes"] > 1e-9].reset_index(drop=True)
    df = discount(model.data, deliveries["year"]) if len(deliveries) else np.zeros(0)
    deliveries["cost"] = to_millions(deliveries["tonnes"] * deliveries["unit_price"].fillna(0.0) * df)
    keys = ["member", "material", "year"]
    summary = model.demand[keys + ["demand"]].copy()
    got = deliveries.groupby(keys, as_index=False).agg(received=("tonnes", "sum"))
    cn = deliveries[deliveries["china"]].groupby(keys, as_index=False).agg(china_tonnes=("tonnes", "sum"))
    summary = summary.merge(got, on=keys, how="left").merge(cn, on=keys, how="left")
    summary["unmet"] = lp.values("unmet", x)["value"].to_numpy()
    summary = summary.fillna({"received": 0.0, "china_tonnes": 0.0})
    summary["china_share"] = summary["china_tonnes"] / summary["demand"]
    pol = policy_stages(model.data)
    direct = pol.loc[(pol["stage"] == OR.DIRECT) & (pol["spec"] == CHINA), keys + ["max_china_share"]]
    summary = summary.merge(direct, on=keys, how="left")
    return {"pooled": pooled, "deliveries": deliveries.drop(columns="china"), "members": summary,
            "caps": cap_shares(model, take, own)}


def cap_shares(model: PoolModel, take: pd.DataFrame, own: pd.DataFrame) -> pd.DataFrame:
    """Each MemberPolicy row on a stage, on look-through or on a country other than China (ANY: one
    per country): that country's share of the member's demand in the plan, against the cap (the
    direct China caps are on the members table)."""
    keys = ["member", "material", "year"]
    pol = policy_stages(model.data)
    pol = pol[(pol["stage"] != OR.DIRECT) | (pol["spec"] != CHINA)]
    out = []
    for (stage, who), rows in pol.groupby(["stage", "who"], sort=False):
        parts = []
        for tab in (take, own):
            t = tab[keys + ["tonnes"]].copy()
            t["held_tonnes"] = t["tonnes"] * content(model.data, tab, stage, who_countries(model.data, who))
            parts.append(t)
        got = pd.concat(parts).groupby(keys, as_index=False)["held_tonnes"].sum()
        rows = rows[keys + ["stage", "who", "max_china_share"]].rename(columns={"who": "country"})
        rows = rows.merge(model.demand[keys + ["demand"]], on=keys).merge(got, on=keys, how="left")
        out.append(rows.fillna({"held_tonnes": 0.0}))
    cols = keys + ["country", "stage", "demand", "held_tonnes", "share", "max_china_share"]
    if not out:
        return pd.DataFrame(columns=cols)
    caps = pd.concat(out, ignore_index=True)
    caps["share"] = caps["held_tonnes"] / caps["demand"].where(caps["demand"] > 0)
    return caps[cols]
