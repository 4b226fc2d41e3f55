"""Build the bundled pooled-procurement sample ``inputs/pool_kr_jp_sg.xlsx``.

    python inputs/build_pool_sample.py                 # (re)write inputs/pool_kr_jp_sg.xlsx
    python inputs/build_pool_sample.py -o other.xlsx   # write somewhere else

Korea, Japan and Singapore buying magnets (MAG), Dy/Tb oxide (DYTB) and gallium (GA)
jointly in 2026-2030.  Every number is declared here next to its references, which are
rows of the ``Sources`` sheet (copied with their addresses from the project's data-facts
brief, as in ``inputs/build_sample.py``).  Tags: **S** sourced, **D** derived (working
shown), **A** an assumption made for this sample -- not a fact.  Each data row carries a
``basis`` cell of reference ids separated by "; ".

Sourced where the brief has figures: Korea's demand (data-facts 3.2, itself anchored to
K11d, K5, W5, K15, K18d), Japan's gallium imports (W11) and the JAGA gallium ramp (C11),
Japan's heavy-rare-earth demand (derived from J3 and C9), Japan's rare-earth China share
(J4), Korea's China glide path (G9), Singapore's role as a joint-purchase channel (J6),
capacities and prices of the allied sources (data-facts 3.4, 3.5).  Singapore's own
demand, the tier breakpoints, minimum lots and the spot premium are assumptions (PA…).

Units: tonnes; prices USD/kg delivered; results in USD millions.  The workbook is written
through :func:`optimizer.pooling.template.write_pool_workbook`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = HERE / "pool_kr_jp_sg.xlsx"
YEARS = list(range(2026, 2031))
POOL_DISCOUNT = 0.95      # PA5 / DF38: pooled top-tier price = 95 % of the ally price
SPOT_PREMIUM = 1.15       # PA8: ex-China spot purchases cost 15 % more than the ally price
SPOT_CAPACITY = 100_000.0  # PA8: effectively unlimited

# ============================================================================ Sources
# (ref, tag, reliability, value, what, address)
SOURCED = [
    ("K5", "S", "B", "84.7 / 14.3 % (2023)",
     "NdFeB magnet imports by origin: China 84.7% (87.5% in 2022); Philippines 14.3% (11% in 2022)",
     "http://www.businesskorea.co.kr/news/articleView.html?idxno=213017"),
    ("K11d", "D", "", "≈5,940 t (2023)",
     "Implied NdFeB magnets shipped from China to Korea: 52,576 t (China's magnet exports) × 11.3% "
     "(Korea's share, K11)", "derived: from K11 https://newsbell.co.kr/economy/article/671578"),
    ("K15", "S", "B", "2,701 kg (Oct-2025)",
     "China's dysprosium exports, Oct 2025: 3,501 kg in total, of which South Korea 2,701 kg, Estonia "
     "500 kg, Japan 300 kg", "https://rawmaterials.net/chinese-dysprosium-exports-plummet-in-october-while-terbium-rebounds"),
    ("K18d", "D", "", "12.3 t/yr; 245 USD/kg (2019–23)",
     "Korea's average gallium imports ≈ 12.3 t/yr (54.2 t ÷ 4.42 yr, KCS via Hankyoreh, K18)",
     "derived: from K18 http://herstory.hani.co.kr/arti/international/international_general/1098603.html"),
    ("W5", "S", "B (Statista chart of IEA)", "+45 % (2024–30)",
     "IEA GCMO 2025 base case: rare-earth demand +45% over 2024–2030, ≈ 6.4%/yr (D)",
     "https://www.statista.com/chart/35397/global-demand-for-critical-minerals-lithium-cobalt-graphite-ree-by-technology-type"),
    ("W11", "S", "A", "167 / 97 / 55 t (2021)",
     "Japan's gallium: consumed 167 t in 2021; imported 97 t, of which 55 t (57%) from China. Since the "
     "Aug 2023 controls, Chinese exports to Japan fell 80–90% to about 10 t",
     "https://www.japantimes.co.jp/news/2025/08/05/japan/japan-gallium-australia-study ; "
     "https://www.daily8.com/en/article/264e2708dd6ab4bad7ea964ed0c81180"),
    ("C1", "S", "A", "15.5 t/yr (from 2028)",
     "Korea Zinc gallium recovery at Onsan: pilot in H1 2028, then about 15.5 t/yr of gallium",
     "https://biz.chosun.com/en/en-industry/2025/10/19/2QZZGDCAWNBC5DXIKIZLLT3ZTU/?outputType=amp"),
    ("C1d", "D", "", "≈507 USD/kg (2028+)",
     "Implied Korea Zinc gallium revenue: ₩11bn ÷ 15,500 kg ≈ ₩710,000/kg ≈ US$507/kg", "derived: from C1"),
    ("C3", "S", "B", "3,000 t/yr (MOU Jul-2025)",
     "Lynas–JS Link (Korea) MOU for an NdFeB sintered-magnet plant in Kuantan, Malaysia",
     "https://econotimes.com/Lynas-Rare-Earths-Boosts-Quarterly-Revenue-with-Record-NdPr-Output-1716947"),
    ("C9", "S", "B", "26 t/quarter Dy+Tb (Dec-Q 2025)",
     "Lynas: first Dy oxide outside China in May 2025 and Tb in June 2025; Dy+Tb output 9 t (Sep-Q 2025) "
     "and 26 t (Dec-Q 2025)",
     "https://www.australianmining.com.au/lynas-produces-worlds-first-dysprosium-outside-of-china/ ; "
     "https://www.argusmedia.com/en/news-and-insights/latest-market-news/2748095-lynas-rare-earth-output-rises-in-3q"),
    ("C11", "S", "A/B", ">55 t/yr (2028)",
     "Japan: JOGMEC–Sojitz JV (JAGA) with Alcoa at a Western Australia alumina refinery. Gallium "
     "production from 2026, aiming for over 55 t in 2028 (equal to Japan's imports from China)",
     "https://www.japantimes.co.jp/news/2025/08/05/japan/japan-gallium-australia-study ; "
     "https://www.daily8.com/en/article/264e2708dd6ab4bad7ea964ed0c81180"),
    ("J3", "S", "B", "65 % / 30 % (Mar-2023)",
     "A further A$200M for heavy rare earths, with up to 65% of Mt Weld Dy/Tb going to Japan, about 30% "
     "of Japan's heavy-rare-earth demand",
     "https://www.firstpost.com/business/japan-to-acquire-first-stake-in-heavy-rare-earth-elements-industry-to-reduce-reliance-on-china-12262572.html"),
    ("J4", "S", "B", "90 → 58–60 % (2010→2020s)",
     "Japan cut China's share of its rare-earth imports from over 90% to 58% within a decade (UN "
     "Comtrade); about 60% today", "https://qz.com/1998773/japans-rare-earths-strategy-has-lessons-for-us-europe"),
    ("J5", "S", "A", "— (27-Feb-2025)",
     "First Korea–Japan Mineral Resources Cooperation Dialogue (MOTIE–METI): cooperation on "
     "critical-minerals stockpiling and joint development in third countries",
     "https://www.korea.net/Government/Briefing-Room/Press-Releases/view?articleId=7865&type=O"),
    ("J6", "S", "A", "5 days (8-Oct-2024)",
     "Korea–Singapore Supply Chain Partnership Arrangement (non-binding): emergency meeting within 5 days "
     "of a disruption. LNG MOU covering swaps and joint purchases",
     "https://www.koreaherald.com/view.php?ud=20241008050471"),
    ("G9", "S", "A", "70→60→50 % (Dec-2024)",
     "1st Basic Plan for Supply Chain Stabilization (2025–27): dependence on specific countries for "
     "economic-security items to fall from 70% (2024) to 60% by 2027 and 50% by 2030",
     "https://ombudsman.kotra.or.kr/ik-en/bbs/i-5073/detail.do?ntt_sn=492780"),
]
BRIEF = "data-facts brief (project file shared/brief/data-facts.md)"
DATASET = [
    ("DF32", "A", "", "t/yr", "data-facts §3.2 proposed Korean demand (A, anchored): MAG from K11d ÷ K5 "
     "share, +6.4%/yr (W5); DYTB 35→60 t (K15); GA from 12.3 t/yr (K18d), +8%/yr", f"{BRIEF} §3.2"),
    ("DF34", "A", "", "t/yr", "data-facts §3.4 proposed capacities available to Korea (A, anchored per row)",
     f"{BRIEF} §3.4"),
    ("DF35", "A", "", "USD/kg", "data-facts §3.5 proposed delivered costs (A, anchored): MAG CN 52, JP 65, "
     "AUMY 62, PH/VN 58, KR 60, US 80; DYTB CN 375, ex-China 1,360, AUMY 1,300; GA CN 350, JP/US 750, "
     "BEDE 725, KR 507 (C1d); 'SG pool −5 % vs ally source' (pure A)", f"{BRIEF} §3.5"),
    ("DF38", "A", "", "", "data-facts §3.8: pooled procurement with JP and SG −5 % price (A); Korea's China "
     "cap 70% (2024) → 60% (2027) → 50% (2030) (S G9; per material is A)", f"{BRIEF} §3.8"),
]
DERIVED = [
    ("PD1", "D", "", "≈225 t/yr; 68 t/yr",
     "Japan's Dy/Tb demand: Lynas Dy+Tb output 26 t/quarter (C9) ≈ 104 t/yr; up to 65% to Japan (J3) = "
     "68 t/yr, which J3 says is about 30% of Japan's heavy-rare-earth demand → 68 ÷ 0.30 ≈ 225 t/yr. "
     "Japan's own Lynas offtake = 65 t/yr (rounded down)", "derived: from J3; C9"),
    ("PD2", "D", "", "0.6333 / 0.60 / 0.5667 / 0.5333 / 0.50",
     "Korea's China cap 2026–2030 by linear interpolation of G9 (70% in 2024, 60% in 2027, 50% in 2030)",
     "derived: from G9"),
    ("PD3", "D", "", "USD/kg",
     "Pooled top-tier prices = 0.95 × the ally price (DF35, DF38): MAG AUMY 0.95 × 62 = 58.9; MAG PH "
     "and VN 0.95 × 58 = 55.1; DYTB AUMY 0.95 × 1,300 = 1,235; GA JAGA 0.95 × 750 = 712.5",
     "derived: from DF35; DF38"),
    ("PD4", "D", "", "USD/kg",
     "Spot ex-China prices = 1.15 × ally price (PA8): MAG 1.15 × 62 = 71.3; DYTB 1.15 × 1,360 = 1,564; "
     "GA 1.15 × 750 = 862.5", "derived: from DF35; PA8"),
]
ASSUMPTIONS = [
    ("PA1", "Members: Korea (KOMIR/PPS and its chipmakers), Japan (JOGMEC and Japanese buyers) and "
            "Singapore as a trading and joint-purchase channel (J6), cooperating as in J5."),
    ("PA2", "Japan's gallium import need stays at its 2021 level, 97 t/yr (W11), in 2026–2030 (no growth "
            "is sourced; JAGA supply is one of the offers, not a reduction of demand)."),
    ("PA3", "Japan's NdFeB magnet import need: 1,500 t/yr (not sourced; Japan is itself a large magnet "
            "maker, so its import need is taken as modest)."),
    ("PA4", "Singapore's own demand (fabs and electronics): magnets 400 t, Dy/Tb 5 t, gallium 6 t per year; "
            "Singapore buys from China up to 1,000 t magnets, 10 t Dy/Tb and 3 t gallium, no China cap. "
            "Not sourced."),
    ("PA5", "Pooled offers have two all-units tiers: the ally price (DF35) below the breakpoint and 5% less "
            "(DF38, PD3) above it. Breakpoints: magnets 1,000 t (AUMY), 800 t (PH) and 400 t (VN), Dy/Tb "
            "20 t, gallium 20 t. Not sourced."),
    ("PA6", "Minimum lots per pooled offer: magnets 200 t (AUMY) and 100 t (PH, VN), Dy/Tb 20 t, gallium 20 t "
            "(JAGA), but never more than half the offer's capacity in a year (Dy/Tb 17.5 t in 2026, "
            "gallium 5 t in 2026). Belgian/German gallium is a plain continuous offer. Not sourced."),
    ("PA7", "Access rights to pooled offers (PooledAccess): Korea holds the Lynas–JS Link magnet plant "
            "(C3 ramp 500/1,500/2,500/3,000 t in 2027–30, DF34), its Philippine magnet volumes "
            "(1,100→1,500 t, DF34, K5), its small Lynas Dy/Tb share (3→10 t, DF34) and Belgian/German "
            "gallium (3→4 t, DF34); Japan holds 65 t/yr of Lynas Dy/Tb (J3, PD1), JAGA gallium (C11: from "
            "2026, >55 t in 2028; the 10/30/55/60/60 t ramp is A) and 500 t/yr of Philippine magnets "
            "(Japanese-owned plants; A); Singapore's trading channel (J6) holds the Vietnamese magnet "
            "volumes (200→600 t, DF34), which Korea otherwise could not reach. A coalition can use its "
            "members' rights together (that is what pooling adds)."),
    ("PA8", "Every member can always buy ex-China spot material at 15% above the ally price (PD4), in any "
            "quantity, so no demand goes unmet and stand-alone costs are finite."),
    ("PA9", "Japan's own standalone offers: Japanese magnet makers up to 1,000 t at 65 USD/kg (DF35 JP "
            "price); China up to 1,500 t magnets, 150 t Dy/Tb and 10 t gallium (W11: ≈10 t since the 2023 "
            "controls)."),
    ("PA10", "Japan's China share of rare-earth imports (≈60%, J4) is used as Japan's cap per material; "
             "Korea's cap follows G9 per material (PD2). Singapore has no cap."),
    ("PA11", "Proposed split to test: an opening position giving Korea 85% of the savings because it "
             "brings most of the volume, Japan 10%, Singapore 5% (an example to test, not a negotiated or "
             "sourced figure)."),
]


def sources_table() -> list[dict]:
    rows = [dict(ref=r, tag=t, reliability=rel, value=v, what=w, address=a)
            for r, t, rel, v, w, a in SOURCED + DATASET + DERIVED]
    rows += [dict(ref=r, tag="A", reliability="", value="", what=w, address="assumption") for r, w in ASSUMPTIONS]
    return rows


# ============================================================================ data
MEMBERS = [
    dict(member="KR", name="Korea", country="Republic of Korea", basis="PA1; J5; J6"),
    dict(member="JP", name="Japan", country="Japan", basis="PA1; J5"),
    dict(member="SG", name="Singapore", country="Singapore", basis="PA1; J6"),
]

DEMAND = {   # (member, material): (values 2026..2030, basis)
    ("KR", "MAG"): ([7925, 8430, 8970, 9545, 10155], "DF32; K11d; K5; W5"),
    ("KR", "DYTB"): ([42, 46, 51, 55, 60], "DF32; K15"),
    ("KR", "GA"): ([14.0, 15.1, 16.3, 17.6, 19.0], "DF32; K18d"),
    ("JP", "MAG"): ([1500] * 5, "PA3"),
    ("JP", "DYTB"): ([225] * 5, "PD1; J3; C9"),
    ("JP", "GA"): ([97] * 5, "W11; PA2"),
    ("SG", "MAG"): ([400] * 5, "PA4"),
    ("SG", "DYTB"): ([5] * 5, "PA4"),
    ("SG", "GA"): ([6] * 5, "PA4"),
}

# pooled offers: (source, material, access per member 2026..2030, ally price, breakpoint, lot, basis)
# The offer's capacity is the members' combined access (PooledAccess sheet); its top tier ends there.
POOLED = [
    ("AUMY", "MAG", {"KR": [0, 500, 1500, 2500, 3000]}, 62.0, 1000, 200, "C3; DF34; DF35; PD3; PA5; PA6"),
    ("PH", "MAG", {"KR": [1100, 1200, 1300, 1400, 1500], "JP": [500] * 5}, 58.0, 800, 100,
     "K5; DF34; DF35; PD3; PA5; PA6"),
    ("VN", "MAG", {"SG": [200, 300, 400, 500, 600]}, 58.0, 400, 100, "DF34; DF35; PD3; PA5; PA6"),
    ("AUMY", "DYTB", {"KR": [3, 5, 8, 10, 10], "JP": [65] * 5}, 1300.0, 20, 20, "C9; J3; DF34; DF35; PD3; PA5; PA6"),
    ("JAGA", "GA", {"JP": [10, 30, 55, 60, 60]}, 750.0, 20, 20, "C11; DF35; PD3; PA5; PA6"),
    ("BEDE", "GA", {"KR": [3, 4, 4, 4, 4]}, 725.0, None, 0, "DF34; DF35; PA6"),
]
ACCESS_BASIS = {("AUMY", "MAG", "KR"): "C3; DF34; PA7", ("PH", "MAG", "KR"): "K5; DF34; PA7",
                ("PH", "MAG", "JP"): "PA7", ("VN", "MAG", "SG"): "DF34; J6; PA7",
                ("AUMY", "DYTB", "KR"): "C9; DF34; PA7", ("AUMY", "DYTB", "JP"): "J3; C9; PD1; PA7",
                ("JAGA", "GA", "JP"): "C11; PA7", ("BEDE", "GA", "KR"): "DF34; PA7"}

# standalone offers: (member, source, material, capacities 2026..2030, price, basis)
SPOT = {"MAG": 62.0 * SPOT_PREMIUM, "DYTB": 1360.0 * SPOT_PREMIUM, "GA": 750.0 * SPOT_PREMIUM}
STANDALONE = [
    ("KR", "CN", "MAG", [7500, 8000, 8500, 9000, 9500], 52.0, "DF34; DF35"),
    ("KR", "KR", "MAG", [1000, 1000, 1500, 2000, 2000], 60.0, "DF34; DF35"),
    ("KR", "JP", "MAG", [300, 350, 400, 450, 500], 65.0, "DF34; DF35"),
    ("KR", "US", "MAG", [0, 100, 200, 300, 300], 80.0, "DF34; DF35"),
    ("KR", "CN", "DYTB", [45, 50, 55, 60, 60], 375.0, "DF34; DF35"),
    ("KR", "EE", "DYTB", [3, 3, 4, 4, 4], 1360.0, "DF34; DF35; K15"),
    ("KR", "JP", "DYTB", [1, 2, 2, 2, 2], 1360.0, "DF34; DF35"),
    ("KR", "CN", "GA", [16, 17, 18, 19, 20], 350.0, "DF34; DF35"),
    ("KR", "KRZN", "GA", [0, 0, 7, 15.5, 15.5], 507.0, "C1; C1d; DF34"),
    ("KR", "US", "GA", [0.5] * 5, 750.0, "DF34; DF35"),
    ("KR", "JP", "GA", [1, 1, 2, 2, 2], 750.0, "DF34; DF35"),
    ("JP", "CN", "MAG", [1500] * 5, 52.0, "PA9; DF35"),
    ("JP", "JP", "MAG", [1000] * 5, 65.0, "PA9; DF35"),
    ("JP", "CN", "DYTB", [150] * 5, 375.0, "PA9; DF35"),
    ("JP", "CN", "GA", [10] * 5, 350.0, "W11; PA9; DF35"),
    ("SG", "CN", "MAG", [1000] * 5, 52.0, "PA4; DF35"),
    ("SG", "CN", "DYTB", [10] * 5, 375.0, "PA4; DF35"),
    ("SG", "CN", "GA", [3] * 5, 350.0, "PA4; DF35"),
] + [(m, "SPOT", mat, [SPOT_CAPACITY] * 5, round(p, 4), "PA8; PD4")
     for m in ("KR", "JP", "SG") for mat, p in SPOT.items()]

KR_CAP = [0.6333, 0.60, 0.5667, 0.5333, 0.50]      # PD2 (G9)
JP_CAP = 0.60                                      # J4, PA10
SPLIT = [("KR", 0.85), ("JP", 0.10), ("SG", 0.05)]  # PA11 (shares of the savings)


def demand_table() -> list[dict]:
    return [dict(member=m, material=mat, year=y, demand=v, basis=basis)
            for (m, mat), (vals, basis) in DEMAND.items() for y, v in zip(YEARS, vals)]


def _offer_id(mat, source, year) -> str:
    return f"{mat}-{source}-{year}"


def pooled_table() -> list[dict]:
    rows = []
    for source, mat, access, price, brk, lot, basis in POOLED:
        for k, y in enumerate(YEARS):
            cap = float(sum(v[k] for v in access.values()))
            if cap <= 0:
                continue
            year_lot = min(lot, cap / 2) if lot else 0.0      # PA6: a lot never above half the capacity
            base = dict(offer=_offer_id(mat, source, y), source=source, material=mat, year=y,
                        min_lot=year_lot, basis=basis)
            if brk is None or cap <= brk:
                rows.append(dict(base, tier=1, tier_min=0.0, tier_max=cap, unit_price=price))
            else:
                rows.append(dict(base, tier=1, tier_min=0.0, tier_max=float(brk), unit_price=price))
                rows.append(dict(base, tier=2, tier_min=float(brk), tier_max=cap,
                                 unit_price=round(price * POOL_DISCOUNT, 4)))
    return rows


def access_table() -> list[dict]:
    rows = []
    for source, mat, access, *_ in POOLED:
        for k, y in enumerate(YEARS):
            if sum(v[k] for v in access.values()) <= 0:
                continue
            rows += [dict(offer=_offer_id(mat, source, y), member=m, capacity=float(v[k]),
                          basis=ACCESS_BASIS[(source, mat, m)]) for m, v in access.items() if v[k] > 0]
    return rows


def standalone_table() -> list[dict]:
    return [dict(member=m, source=s, material=mat, year=y, capacity=float(cap), unit_price=price, basis=basis)
            for m, s, mat, caps, price, basis in STANDALONE for y, cap in zip(YEARS, caps) if cap > 0]


def policy_table() -> list[dict]:
    rows = [dict(member="KR", material=mat, year=y, max_china_share=c, basis="G9; PD2; DF38; PA10")
            for mat in ("MAG", "DYTB", "GA") for y, c in zip(YEARS, KR_CAP)]
    rows += [dict(member="JP", material=mat, year=y, max_china_share=JP_CAP, basis="J4; PA10")
             for mat in ("MAG", "DYTB", "GA") for y in YEARS]
    return rows


def settings() -> dict:
    return {"first_year": YEARS[0], "last_year": YEARS[-1], "currency": "USD", "members": "KR, JP, SG",
            "mga_slack": 0.03, "china_sources": "CN"}


def tables() -> dict:
    return {
        "Settings": settings(),
        "Members": MEMBERS,
        "MemberDemand": demand_table(),
        "PooledOffers": pooled_table(),
        "PooledAccess": access_table(),
        "StandaloneOffers": standalone_table(),
        "MemberPolicy": policy_table(),
        "ProposedSplit": [dict(member=m, savings_share=s, note="PA11") for m, s in SPLIT],
        "Sources": sources_table(),
    }


def build(path=DEFAULT_OUT) -> Path:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from optimizer.pooling.template import write_pool_workbook
    return write_pool_workbook(Path(path), tables())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default=str(DEFAULT_OUT))
    args = ap.parse_args(argv)
    print(f"written: {build(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
