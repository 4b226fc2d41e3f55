"""Build the bundled sample input workbook ``inputs/korea_2024_2030.xlsx``.

    python inputs/build_sample.py                 # (re)write inputs/korea_2024_2030.xlsx
    python inputs/build_sample.py -o other.xlsx   # write somewhere else
    python inputs/build_sample.py --check         # print the per-year feasibility check only

Every number below is declared in this file, next to the references it comes from.  The
figures come from the project's data-facts brief (ids K…, C…, W…, P…, X…, G…, J… and the
export-control timeline, copied with their addresses onto the ``Sources`` sheet).  Tags:

* **S**: sourced, quoted from the cited page;
* **D**: derived by arithmetic from S figures (the working is on the Sources sheet);
* **A**: an assumption made for this sample.  It is not a fact.

Each data row carries a ``basis`` cell: reference ids separated by "; ".  A row whose numbers
are assumptions cites an A-reference (A1, A2, …, or DF3x, the data-facts brief's own proposed
dataset, which is itself an assumption unless tagged).  Settings rows put the basis in
``notes``; Scenario rows in ``note``.

Units: tonnes; prices in USD per kg delivered to Korea; capex and budgets in USD millions.
The workbook is written through :func:`optimizer.sourcing.template.write_input_workbook` so that its
headers, number formats, comments and validation lists follow :mod:`optimizer.sourcing.schema`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "korea_2024_2030.xlsx"
TITLE = "Korea critical-material sourcing 2024–2030 — sample (sourced figures + marked assumptions)"

YEARS = list(range(2024, 2031))
KRW_PER_USD = 1400.0          # A1
HOLDING_RATE = 0.02           # A4: holding cost per year, share of reference value
SG_PRICE_FACTOR = 0.95        # A7: pooled channel price vs the underlying ally source
SG_CAPACITY_SHARE = 0.10      # A7: pooled channel capacity, share of the underlying ally's
RAMP_SHARE = 0.5              # A8: max year-on-year purchase increase, share of that year's capacity
EV_SHARE_OF_MAGNETS = 0.25    # A11
RAMPED_SOURCES = ("JP", "SG", "US", "AUMY", "VN", "PH", "EE", "BEDE", "RU")   # A8


# ============================================================================ Sources
# (ref, tag, reliability, value, what, address): data-facts figures, copied with their
# addresses ("same as …" resolved).  D rows from data-facts keep their working in `what`.
DATA_FACTS_REFS = [
    ('K1', 'S', 'C (summary of Point Economy)', '79.8 % (2024)',
     "China share of Korea's rare-earth imports",
     'https://m.newspic.kr/summary.html?nid=2025121010384498092&pn=353'),
    ('K2', 'S', 'C (summary of Point Economy)', '89.9 % (2024)',
     "China share of Korea's NdFeB permanent-magnet imports",
     'https://m.newspic.kr/summary.html?nid=2025121010384498092&pn=353'),
    ('K5', 'S', 'B', '84.7 / 14.3 % (2023)',
     'NdFeB magnet imports by origin: China 84.7% (87.5% in 2022); Philippines 14.3% (11% in 2022)',
     'http://www.businesskorea.co.kr/news/articleView.html?idxno=213017'),
    ('K8', 'S', 'A', 'China $6.522M of $7.799M (Jan–Sep 2022)',
     "Korea's rare-earth metal imports Jan–Sep 2022: $7.799M, of which China $6.522M (84 %); NdFeB magnet imports $394.53M, China $343.79M",
     'https://cm.asiae.co.kr/en/article/2022102408554268431'),
    ('K11', 'S', 'B', '11.3 % of 52,576 t (2023)',
     "China's magnet exports to Korea. China's total magnet exports were 52,576 t; Korea is a top-3 destination with an 11.3% share",
     'https://newsbell.co.kr/economy/article/671578'),
    ('K11d', 'D', '', '≈5,940 t (2023)',
     'Implied NdFeB magnets shipped from China to Korea: 52,576 × 11.3%',
     'derived: from K11'),
    ('K12', 'S', 'B', '3,721.5 t (2020)',
     "China's magnet exports to Korea, 2020: 3,721.5 t (+18.2%); December 2020 average price $46,733.7/t",
     'https://mineralprices.com/china-exports-more-rare-earth-magnet-materials-in-2020/'),
    ('K13', 'S', 'C', '854 t/month (Sep-2025)',
     "China's magnet exports to Korea, Sep 2025: 854 t (+84.5% y/y), second-largest destination; China's total 5,773 t",
     'https://asiacity.news/?p=138890'),
    ('K14', 'S', 'B', '569 t/month (Oct-2025)',
     "China's magnet exports to Korea, Oct 2025: 569 t (3rd). China's total 5,473 t; Jan–Oct 45,290 t (−5.2%); May 2025 low of 1,238 t; August 2025 peak of 6,146 t",
     'http://www.snmnews.com/news/articleView.html?idxno=561425'),
    ('K15', 'S', 'B', '2,701 kg (Oct-2025)',
     "China's dysprosium exports, Oct 2025: 3,501 kg in total, of which South Korea 2,701 kg, Estonia 500 kg, Japan 300 kg (September: 18,043 kg)",
     'https://rawmaterials.net/chinese-dysprosium-exports-plummet-in-october-while-terbium-rebounds'),
    ('K16', 'S', 'A', '98 (Ga) % (2024)',
     'Korea\'s dependence on China in 2024 (MOTIE/KOMIR data to a National Assembly member): gallium 98%, graphite 97%, indium 93%, magnesium 84%, niobium 78%, lithium 65%, silicon 63%; 16 of 31 rare metals come mainly from China. In 2024 the ministry issued the first-ever "emergency supply level 2"',
     'https://biz.chosun.com/en/en-policy/2025/10/05/5BL4MZW4UNHCBIMMAIRX6KKTJA/?outputType=amp'),
    ('K17', 'S', 'A', '43 → 98 % (2020→2024)',
     "China share of Korea's gallium imports: 43% in 2020, 98% in 2024 (KIGAM trade data)",
     'https://koreajoongangdaily.joins.com/news/2025-07-28/business/industry/Supply-chain-diversification-lags-despite-Koreas-critical-mineral-challenges/2362976'),
    ('K18', 'S', 'A (Hankyoreh)', '54.2 t (2019–May 2023)',
     "Korea's gallium imports, 2019–May 2023 (KCS). Total 54.2 t, $13.27M. From China 28.2 t (52.0%), $6.42M. Others: Belgium 19.3 t, US 4.3 t, Japan 2.0 t, Sweden 0.2 t, Germany 0.1 t. From China by year: 5.7 t (2019), 13.4 t (2020), 3.5 t (2021), 3.3 t (2022), 2.2 t (Jan–May 2023). In 2020 Belgium supplied 14.3 t. Germanium over the same period: 13.6 t, $11.78M, 87.5% from China, rest from Russia",
     'http://herstory.hani.co.kr/arti/international/international_general/1098603.html'),
    ('K18d', 'D', '', '12.3 / 245 t/yr; USD/kg (2019–23)',
     'Average gallium imports ≈ 12.3 t/yr (54.2 t ÷ 4.42 yr). Average unit value $245/kg; from China $228/kg; from elsewhere $263/kg',
     'derived: from K18'),
    ('K23', 'S', 'B', '4,821 t (2023)',
     'Korea is the third-largest buyer of Chinese magnets (4,821 t; Argus wrote "in September" 2023, which may be a cumulative figure), 12% of China\'s exports. Motie: Korea relied on China for over 90% of magnet demand in 2022',
     'https://argusmedia.com/en/news-and-insights/latest-market-news/2503299-south-korea-produces-first-rare-earth-permanent-magnet'),
    ('C1', 'S', 'A', '15.5 t/yr (from 2028)',
     'Korea Zinc gallium recovery at its Onsan smelter: ₩55.7bn capex through Dec 2027, pilot in H1 2028, then about 15.5 t/yr of gallium and about ₩11bn/yr revenue. Also adds more than 16 t/yr of indium',
     'https://biz.chosun.com/en/en-industry/2025/10/19/2QZZGDCAWNBC5DXIKIZLLT3ZTU/?outputType=amp'),
    ('C1d', 'D', '', '≈507 USD/kg (2028+)',
     'Implied Korea Zinc gallium revenue: ₩11bn ÷ 15,500 kg ≈ ₩710,000/kg ≈ US$507/kg',
     'derived: from C1'),
    ('C2', 'S', 'B (Argus)', '1,000 t/yr (2023)',
     "Seonglim Advanced Industrial (Star Group), Hyeonpung plant: Korea's first NdFeB magnet plant, enough for about 500,000 EVs/yr; about ₩11.6bn in subsidies",
     'https://argusmedia.com/en/news-and-insights/latest-market-news/2503299-south-korea-produces-first-rare-earth-permanent-magnet'),
    ('C3', 'S', 'B', '3,000 t/yr (MOU Jul-2025)',
     'Lynas–JS Link (Korea) MOU for an NdFeB sintered-magnet plant in Kuantan, Malaysia',
     'https://econotimes.com/Lynas-Rare-Earths-Boosts-Quarterly-Revenue-with-Record-NdPr-Output-1716947'),
    ('C4', 'S', 'B', '1,500 t/yr REO (contract Nov-2021)',
     'Hyundai Motor Group long-term offtake from Arafura (Australia)',
     'http://www.businesskorea.co.kr/news/articleView.html?idxno=112337'),
    ('C8', 'S', 'B (Fastmarkets)', '10,500 t/yr NdPr (2024)',
     'Lynas NdPr capacity in Malaysia raised from 7,200 to 10,500 t/yr. Heavy-rare-earth circuit (SEGH feed) about 1,500 t/yr, capex $25M',
     'https://fastmarkets.com/insights/lynas-to-produce-dysprosium-terbium-oxide-in-malaysia'),
    ('C9', 'S', 'B', '26 t/quarter Dy+Tb (Dec-Q 2025)',
     'Lynas: first Dy oxide outside China in May 2025 and Tb in June 2025. Dy+Tb output 9 t (Sep-Q 2025) and 26 t (Dec-Q 2025). NdPr output 2,080 t (Jun-Q 2025, a record) and 1,404 t (Dec-Q 2025, −30% after Kalgoorlie power problems)',
     'https://www.australianmining.com.au/lynas-produces-worlds-first-dysprosium-outside-of-china/ ; https://www.argusmedia.com/en/news-and-insights/latest-market-news/2748095-lynas-rare-earth-output-rises-in-3q ; https://grafa.com/pt-BR/news/united-states/lynas-rare-earths-sees-30-drop-in-ndpr-output'),
    ('C10', 'S', 'B', '10,000 t/yr (2028)',
     'MP Materials "10X" magnet facility: commissioning in 2028, total magnet capacity about 10,000 t/yr. DoD guarantees offtake of 100% of its output for 10 years',
     'https://www.fetradeworld.com/industry-news/mp-materials-lands-multi-billion-pentagon-deal'),
    ('C11', 'S', 'A/B', '>55 t/yr (2028)',
     "Japan: JOGMEC–Sojitz JV (JAGA) with Alcoa at a Western Australia alumina refinery. Gallium production from 2026, aiming for over 55 t in 2028 (equal to Japan's imports from China)",
     'https://www.japantimes.co.jp/news/2025/08/05/japan/japan-gallium-australia-study ; https://www.daily8.com/en/article/264e2708dd6ab4bad7ea964ed0c81180'),
    ('W1', 'S', 'B–C (restating USGS)', '390,000 t REO (2024e)',
     'World rare-earth mine production 2024 (USGS MCS 2025): 390,000 t REO. China 270,000 (69.2%), US 45,000, Myanmar 31,000, Australia 13,000, Nigeria 13,000, Thailand 13,000, India 2,900, Russia 2,500, Madagascar 2,000, Malaysia 130, Vietnam 300, Brazil 20',
     'https://nai500.com/blog/2025/03/usgs-latest-data-top-10-rare-earth-producers-in-2024/ ; https://upstx.gustya.com/news/business-news/latest-updates/worlds-rare-earth-giants-top-8-producing-nations/webstory-185721 ; https://castbox.fm/episode/Visualizing-30-Years-of-Rare-Earth-Production%2C-by-Country-id2656454-id861037817 . Primary: https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-rare-earths.pdf ; data release doi:10.5066/P13XCP3R (https://data.usgs.gov/datacatalog/metadata/USGS.6798f088d34ea8c18376e7f9.xml)'),
    ('W3', 'S', 'B (IEA via SEAISI)', '92 → 77 % (2023→2030)',
     "IEA GCMO 2024: China's share of rare-earth refining 92% in 2023, falling to 77% in 2030; Malaysia 5% → 12%; Australia 3% in 2030. Mining: China 62% → 54% in 2030",
     'https://seaisi.org/details/24787?type=news-rooms'),
    ('W5', 'S', 'B (Statista chart of IEA)', '+45 % (2024–30)',
     'IEA GCMO 2025 base case: rare-earth demand +45% over 2024–2030, ≈ 6.4%/yr (D)',
     'https://www.statista.com/chart/35397/global-demand-for-critical-minerals-lithium-cobalt-graphite-ree-by-technology-type'),
    ('W6', 'S', 'A (Reuters, Andy Home)', '760 t (2024)',
     'World primary gallium production 2024 (USGS), about $550M of market value',
     'https://republicofmining.com/2025/05/13/a-gallium-lens-on-chinas-minerals-dominance-and-how-to-break-it-by-andy-home-reuters-may-12-2025 ; https://energynews.oedigital.com/mining/2025/05/09/andy-home-a-galliumlens-on-chinas-mineral-dominance-and-how-to-end-it'),
    ('W8', 'S', 'A (FT)', '98 % (2023–24)',
     'China about 98% of primary low-purity gallium (USGS)',
     'http://m.acphonor.com/interactive/169618/en'),
    ('W11', 'S', 'A', '167 / 97 / 55 t (2021)',
     "Japan's gallium: consumed 167 t in 2021; imported 97 t, of which 55 t (57%) from China. Since the Aug 2023 controls, Chinese exports to Japan fell 80–90% to about 10 t",
     'https://www.japantimes.co.jp/news/2025/08/05/japan/japan-gallium-australia-study ; https://www.daily8.com/en/article/264e2708dd6ab4bad7ea964ed0c81180'),
    ('W13', 'S', 'B', '98.8 / 59.2 / 48 % (2023)',
     "China's shares in 2023: refined gallium 98.8%, refined germanium 59.2%, mined antimony 48%",
     'https://mining.com/commodity/graphite/page/2'),
    ('W16', 'S', 'B (Adamas)', '58,152 t (2024)',
     "China's magnet exports, 2024 record: 58,152 t, worth $2.86B. Unit value ≈ $49.2/kg (D)",
     'https://www.adamasintel.com/record-rare-earth-magnet-exports-from-china-in-2024/'),
    ('P5', 'S', 'B', 'see text (10-Apr-2025)',
     'China (SMM): PrNd oxide 433–437k CNY/t (≈ $60/kg); Dy oxide 1.68–1.70M CNY/t (≈ $232/kg); Tb oxide 7.05–7.10M CNY/t (≈ $970/kg). Conversions are D',
     'https://news.metal.com/newscontent/103270747/SMM-Rare-Earth-Morning-Meeting-Summary:-Medium-Heavy-Rare-Earth-Prices-Continue-to-Rise-Pr-Nd-Prices-Significantly-Decline'),
    ('P6', 'S', 'B', '90.85 (late Aug / 18-Sep-2025)',
     'NdPr in China (Argus via Nikkei); Europe Dy oxide $840/kg (about 3× pre-April); Tb oxide $3,600/kg',
     'https://swarajyamag.com/amp/story/news-brief%2Fglobal-rare-earth-metals-prices-hit-multi-year-highs-as-us-hoards-supply-china-tightens-controls'),
    ('P7', 'S', 'B', 'see text (25-Dec-2025)',
     'China (SMM): PrNd oxide 592–595k CNY/t (≈ $84/kg); Dy oxide 1.33–1.35M CNY/t (≈ $190/kg); Tb oxide 6.02–6.06M CNY/t (≈ $857/kg). Chinese domestic quotes usually include VAT',
     'https://news.metal.com/newscontent/103690800/Pr-Nd-Prices-Rose-Significantly-Medium-Heavy-Rare-Earth-in-the-Doldrums-[SMM-Rare-Earth-Weekly-Review]'),
    ('P9', 'S', 'B', '800 / 3,625 (Jul-2025)',
     'Benchmark: Dy oxide CIF Europe $800/kg, Tb oxide CIF Europe $3,625/kg. PrNd: North America tracks China plus freight; Europe about 5% *below* China',
     'https://benchmark-source-core.pages.dev/article/rare-earth-prices-show-regional-bifurcation-following-export-restrictions-imposed-by-china'),
    ('P11', 'S', 'B', '224 (2025)',
     'Volume-weighted reality check (Adamas): in 2025, about 96% of Dy oxide consumed worldwide was priced at an average of $224/kg and about 4% at $233/kg; under 1% traded at ≥ $800/kg, though the Rotterdam ask exceeded $1,100. About 75% of Y oxide was priced at $6.50/kg and under 1% at ≥ $150',
     'https://www.adamasintel.com/the-fallacy-of-european-rare-earth-prices-and-the-pras-that-promote-them'),
    ('P16', 'S', 'A', '725 (May-2025)',
     'Gallium outside China, roughly Rotterdam (Reuters, May 2025): about $350/kg in July 2023, $725/kg in May 2025, a 14-year high. Chinese domestic prices fell as more metal stayed at home',
     'https://republicofmining.com/2025/05/13/a-gallium-lens-on-chinas-minerals-dominance-and-how-to-break-it-by-andy-home-reuters-may-12-2025 ; https://energynews.oedigital.com/mining/2025/05/09/andy-home-a-galliumlens-on-chinas-mineral-dominance-and-how-to-end-it'),
    ('P17', 'S', 'B', '237 (Jun-2025)',
     'Gallium 4N China: Sanmenxia Aluminium auction at about 1,700 CNY/kg (≈ $237/kg, D)',
     'https://news.metal.com/newscontent/103397201/Sanmenxia-Aluminums-gallium-metal-auction-reportedly-concluded-smoothly-[SMM-Gallium-Report]'),
    ('P17d', 'D', '', '≈ 3.1× (2025)',
     'Gallium spread, ex-China vs China domestic (mid-2025): 725 ÷ 237',
     'derived: from P16; P17'),
    ('X1', 'S', 'A–B', '110 (Jul-2025)',
     'DoD–MP Materials NdPr price floor: $110/kg for 10 years on MP\'s NdPr products stockpiled or sold, described as "nearly double" Chinese prices at the time. DoD gets 30% of upside above the floor. DoD buys $400M of preferred stock and becomes the largest shareholder (≈15%); $150M loan for heavy-rare-earth separation; DoD guarantees 100% offtake of the 10X magnet plant for 10 years',
     'https://www.nasdaq.com/articles/dod-backs-mp-materials-mp-110-kg-rare-earth-pricing-deal ; https://forum.rareearthexchanges.com/threads/dod-sets-a-floor-price-of-us-110-kg-for-ndpr.922/post-1399 ; https://fas.org/publication/unpacking-dod-and-mp-partnership'),
    ('X1d', 'D', '', '≈ +85–100% (2025)',
     'Floor premium over China NdPr at signing (about $55–60/kg in mid-2025; P5, P9)',
     'derived: from X1; P5'),
    ('X2', 'S', 'B', '49.2 → 85.6 (2024–25)',
     'Lynas average selling price for its mixed product (A$/kg): 49.2 (Dec-Q 2024), 50.5 (Mar-Q 2025), 60.2 (Jun-Q 2025, highest since mid-2022), 54.3 (Sep-Q 2025), 85.6 (Dec-Q 2025). The Dec-Q rise was driven by "a higher proportion of non-index sales" and Dy/Tb contracts',
     'https://www.australianresourcesandinvestment.com.au/2025/01/17/lynas-enjoys-highest-prices-in-18-months/ ; https://www.australianmining.com.au/lynas-produces-worlds-first-dysprosium-outside-of-china/ ; https://econotimes.com/Lynas-Rare-Earths-Boosts-Quarterly-Revenue-with-Record-NdPr-Output-1716947 ; https://www.argusmedia.com/en/news-and-insights/latest-market-news/2748095-lynas-rare-earth-output-rises-in-3q ; https://grafa.com/pt-BR/news/united-states/lynas-rare-earths-sees-30-drop-in-ndpr-output'),
    ('X4', 'D', '', '3.5–4× (2025)',
     'Heavy-rare-earth premium outside China, 2025: Dy ≈ 3.5–4× the volume-weighted or Chinese price (800–840 vs 190–232); Tb ≈ 3.7–4.2× (3,600 vs 857–970)',
     'derived: from P5–P9; P11'),
    ('X5', 'D', '', '≈2–3× (2025–28)',
     "Gallium premium outside China ≈ 3× (P17d). Korea Zinc's implied revenue of about $507/kg is about 2.1× the Chinese domestic price (C1d vs P17)",
     'derived: from P17d; C1d; P17'),
    ('X6', 'S', 'A', '50 % of gap (2025)',
     "Korea's own subsidy rule: companies signing long-term contracts with non-China suppliers get half of the import-price difference covered (2025 Supply Chain Stabilization Implementation Plan)",
     'https://cm.asiae.co.kr/en/article/2025032515170934504'),
    ('G1', 'S', 'A (IEA policies DB)', '100 days (target) (plan Dec-2022)',
     'National Program for Metal Stockpiling: rare metals (KOMIR) 54 → 100 days; non-ferrous metals (PPS) 50 → 60 days; release time 60 → 30 days; emergency release within 8 days',
     'https://prod.iea.org/policies/17940-the-national-program-for-metal-nonferrous-and-rare-stockpiling'),
    ('G2', 'S', 'A', '100 / 180 days (Jan-2022)',
     'Rare metals 57 → 100 days of use, and up to 180 days for unstable items',
     'https://koreaherald.com/view.php?mp=381&np=3801&ud=20220107000386'),
    ('G3', 'S', 'A', '233.1 KRW bn (2024)',
     '2024 stockpile budget raised from ₩37.2bn (2023) to ₩233.1bn. Lithium 5.8 → 30 days; rare-earth permanent magnets for EVs 6 → 18 months',
     'https://cm.asiae.co.kr/en/article/2024011107551437307'),
    ('G4', 'S', 'A', '180 days (Nd) (May-2024)',
     "KOMIR Gunsan base: neodymium stock covers about 180 days of domestic automakers' use; 19 types and 28 items stockpiled, expanding to 20 types and 35 items",
     'https://cm.asiae.co.kr/en/article/2024050311315651468'),
    ('G5', 'S', 'B', '42 days (actual) (c. 2024)',
     'Actual average cover across 35 critical raw materials was 42 days against the 100-day target; lithium under 6 days (Dong-A Ilbo)',
     'https://rawmaterials.net/raw-material-stocks-south-korea-lags-behind-plans/'),
    ('G7', 'S', 'A', '>180 days (Dy, Y) (Apr-2025)',
     "After China's April 2025 controls: public stockpiles of Dy and Y exceed 6 months. The MOFCOM approval deadline is 45 days",
     'https://prod.biz.chosun.com/en/en-policy/2025/04/07/TGSUGPCFQZEPPE7CO2R6SSGAWQ'),
    ('G9', 'S', 'A', '70→60→50 % (Dec-2024)',
     '1st Basic Plan for Supply Chain Stabilization (2025–27): dependence on specific countries for economic-security items to fall from 70% (2024) to 60% by 2027 and 50% by 2030. Over ₩55tn of support: more than ₩25tn for R&D and ₩30tn for the stabilization fund by 2027',
     'https://ombudsman.kotra.or.kr/ik-en/bbs/i-5073/detail.do?ntt_sn=492780 ; https://koreajoongangdaily.joins.com/news/2024-12-19/business/economy/Govt-to-reduce-supply-chain-reliance-on-China-by-2030/2204910'),
    ('G11', 'S', 'A', '10 KRW tn (Mar-2025)',
     'Supply Chain Stabilization Fund doubled from ₩5tn to ₩10tn; 50% price-difference support (X6)',
     'https://cm.asiae.co.kr/en/article/2025032515170934504'),
    ('G13', 'S', 'A', '80→50 % (Feb-2023)',
     'Critical Minerals Strategy (Feb 2023): 33 critical and 10 strategic minerals (Li, Ni, Co, Mn, graphite, and the rare earths Nd, Dy, Tb, Ce, La). Import dependence 80% → 50% and recycling 2% → 20% by 2030',
     'https://prod.iea.org/policies/17942-the-strategy-for-securing-reliable-critical-minerals-supply?s=1'),
    ('G14', 'S', 'A', '70→<50 % (Dec-2023)',
     'Industrial supply-chain "3050" strategy: 185 items at 70% reliance to go below 50% by 2030',
     'http://world.kbs.co.kr/service/news_view.htm?lang=e&Seq_Code=182408'),
    ('G15', 'S', 'A', '67.5 KRW bn (Feb-2026)',
     'Comprehensive rare-earth strategy: all 17 rare earths designated as strategic; a hotline and joint committee with China; overseas-development loans raised from ₩39bn (2025) to ₩67.5bn (2026); cooperation with the US, Japan, Australia, Vietnam and Laos',
     'https://koreajoongangdaily.joins.com/news/2026-02-05/national/politics/Korea-unveils-strategy-to-enhance-rare-earth-supply-chains/2516954'),
    ('J1', 'S', 'A', '60 / 180 days (2020 strategy)',
     'JOGMEC stockpiling covers 34 rare metals (gallium and germanium included). Target generally 60 days (42 national + 18 private), and up to 180 days for high-risk minerals; volumes are secret',
     'https://origin.iea.org/policies/16639-international-resource-strategy-national-stockpiling-system ; https://juniorminingnews.com/?p=1195256'),
    ('J2', 'S', 'A', '250 / 9 USD M (2011 / 2022)',
     "JOGMEC and Sojitz (through JARE) financed Lynas with $250M in 2011 (loan plus equity; Sojitz became Lynas's sole distributor in Japan). A further $9M of equity in 2022",
     'https://www.sojitz.com/en/news/2022/09/20220920.php'),
    ('J3', 'S', 'B', '200 AUD M (Mar-2023)',
     "A further A$200M (≈ $134.7M) for heavy rare earths, with up to 65% of Mt Weld Dy/Tb going to Japan, about 30% of Japan's heavy-rare-earth demand",
     'https://www.firstpost.com/business/japan-to-acquire-first-stake-in-heavy-rare-earth-elements-industry-to-reduce-reliance-on-china-12262572.html'),
    ('J4', 'S', 'B', '90 → 58–60 % (2010→2020s)',
     "Japan cut China's share of its rare-earth imports from over 90% to 58% within a decade (UN Comtrade); about 60% today",
     'https://qz.com/1998773/japans-rare-earths-strategy-has-lessons-for-us-europe'),
    ('J5', 'S', 'A', '— (27-Feb-2025)',
     'First Korea–Japan Mineral Resources Cooperation Dialogue (MOTIE–METI): cooperation on critical-minerals stockpiling and joint development in third countries; coordination in the MSP and IEA',
     'https://www.korea.net/Government/Briefing-Room/Press-Releases/view?articleId=7865&type=O'),
    ('J6', 'S', 'A', '5 days (8-Oct-2024)',
     'Korea–Singapore Supply Chain Partnership Arrangement (non-binding): emergency meeting within 5 days of a disruption. LNG MOU covering swaps and joint purchases',
     'https://www.koreaherald.com/view.php?ud=20241008050471'),
    ('J11', 'S', 'C', '— (Aug/Dec-2025)',
     'Korea Zinc–Lockheed Martin MOU (germanium; about ₩140bn facility in Korea). A roughly ₩10tn Korea Zinc–US refinery JV, with the US contributing about ₩2tn',
     'https://indialife.us/article.php?id=269811'),
]

# The export-control timeline (data-facts section 2).
TIMELINE_REFS = [
    ("TL2023", "S", "A–B", "≈2 months near zero; ≈5 months to recover",
     "1 Aug 2023: per-shipment licensing for gallium and germanium (MOFCOM). China's gallium exports fell "
     "from 7.5 t (Jul) to about 0 (Aug–Sep), then recovered to 7.3 t in Dec 2023; germanium exports were "
     "still below half of pre-control levels in December",
     "https://alcircle.com/news/china-may-impose-export-ban-on-gallium-and-germanium-products-96467 ; "
     "https://cm.asiae.co.kr/en/article/2024021018275349266"),
    ("TL2024", "S", "B", "≈11 months",
     "3 Dec 2024: gallium, germanium, antimony and superhard materials to the US 'in principle not "
     "permitted' (country-targeted ban); suspended on 9 Nov 2025 (≈ 11 months)",
     "https://www.share-talk.com/china-imposes-export-ban-on-critical-minerals-to-the-us-amid-growing-trade-tensions"),
    ("TL2025A", "S", "B", "2–3 months severe disruption; controls remain",
     "4 Apr 2025: MOFCOM/GAC Announcement No. 18, licences for Sm, Gd, Tb, Dy, Lu, Sc, Y (metals, oxides, "
     "alloys, magnets). Magnet exports 1,238 t in May 2025 (−74% y/y); Dy/Tb exports zero in May; "
     "recovery after June; the controls remain in force",
     "https://amazingmagnets.com/industry-news/chinas-2025-rare-earth-export-controls-strategic-leverage-or-supply-chain-disruption ; "
     "https://www.automotiveworld.com/news/chinese-rare-earth-exports-collapsed-74-yoy-in-may/ ; "
     "https://rawmaterials.net/rare-earths-chinese-exports-of-terbium-and-dysprosium-plummet-to-zero-in-may/"),
    ("TL2025O", "S", "B", "suspended until 10 Nov 2026",
     "9 Oct 2025: Announcements 55–58, 61, 62 (Ho, Er, Tm, Eu, Yb added; extraterritorial 0.1% rule; "
     "rare-earth technology and equipment). 7 Nov 2025: Announcement No. 70 suspends them until "
     "10 Nov 2026; the Aug 2023 Ga/Ge and Apr 2025 rare-earth controls stay",
     "https://www.pillsburylaw.com/en/news-and-insights/china-suspends-export-controls-certain-critical-minerals-related-items.html ; "
     "https://rawmaterials.net/china-officially-suspends-october-export-tightening ; "
     "https://resilinc.ai/blog/chinas-export-pause-reveals-trade-policy-supply-chain-risk"),
    ("TL2026", "S", "B", "an ally targeted",
     "6 Jan 2026: MOFCOM Announcement No. 1 of 2026, dual-use exports banned to Japanese military end "
     "users; reports of broader rare-earth and magnet restrictions on Japanese firms",
     "https://www.channelnewsasia.com/east-asia/japan-urges-china-drop-controls-dual-use-exports-5829036?cid=cna_flip_070214 ; "
     "https://www.geopolitechs.org/p/china-plans-to-reimpose-rare-earth"),
]

# The data-facts brief's own proposed dataset (its section 3): assumptions unless tagged there.
BRIEF = "data-facts brief (project file shared/brief/data-facts.md)"
DATASET_REFS = [
    ("DF32", "A", "", "t/yr 2024–2030",
     "data-facts §3.2 proposed demand (A): MAG 7,000 t in 2024 = China→Korea ≈5,940 t (K11d) ÷ 85% "
     "China share (K5), +6.4%/yr (W5); NDPR 400→1,000 t (≈30% rare earths in magnets, domestic magnet "
     "output rising, C2, G15); DYTB 35→60 t (Korea took 2.7 t Dy in Oct 2025 alone, K15); GA 12→19 t "
     "(base 12.3 t/yr K18d, +8%/yr for GaN power semiconductors)", f"{BRIEF} §3.2"),
    ("DF34", "A", "", "t/yr 2024–2030",
     "data-facts §3.4 proposed capacities available to Korea with no disruption (A), each anchored to a "
     "section-1 figure named on the row's basis; and the stockpile opening inventory (MAG 1,000 t; NDPR "
     "200 t ≈180 days G4; DYTB 20 t >6 months G7; GA 2 t ≈2 months)", f"{BRIEF} §3.4"),
    ("DF35", "A", "", "USD/kg, 2025 basis",
     "data-facts §3.5 proposed delivered costs (A, anchored): MAG CN 52 (China export unit value "
     "$49.2/kg W16 and $46.7/kg to Korea K12, plus freight), non-China +10–55% (A); NDPR CN 75 (2025 "
     "range 60–91, P5–P7), US 110 (DoD floor X1), AUMY 80 (China index plus a little, X2), AUAR 100 (A); "
     "DYTB CN 0.8×224+0.2×900 ≈ 360 + licence friction = 375 (P11, P7), ex-China 0.8×800+0.2×3,600 = "
     "1,360 (P9, P6), AUMY 1,300 (A); GA CN 350 (China domestic 237 P17 plus licensing and arbitrage; "
     "pre-control imports from China $228/kg K18d), ex-China 725–750 (P16); KR GA 507 (C1d)",
     f"{BRIEF} §3.5"),
    ("DF36", "A", "", "0–1",
     "data-facts §3.6 risk scores (A): risk = 0.5·P + 0.3·F + 0.2·E, P = export-control or political "
     "exposure, F = dependence of the source's own feed, technology or processing on China (incl. the "
     "0.1% extraterritorial rule), E = execution or ramp-up risk; component values and rationale per "
     "source as in the table", f"{BRIEF} §3.6"),
    ("DF37", "A", "", "probabilities and durations A; analogues S",
     "data-facts §3.7 disruption scenarios (A): S2 Korea-targeted ban (12 months; CN→KR GA ×0, DYTB "
     "and MAG ×0.3; analogue TL2024); S3 the Oct-2025 package reactivates after 10 Nov 2026 (CN ×0.7; "
     "PH, EE, JP, BEDE, VN ×0.7 as they carry Chinese content; TL2025O); S5 ally plant outage (AUMY "
     "×0.7 for 3 months; C9); S7 easing (CN risk 0.77 → 0.5)", f"{BRIEF} §3.7"),
    ("DF38", "A", "", "",
     "data-facts §3.8 policy levers: max China share 70% (2024) → 60% (2027) → 50% (2030) interpolated "
     "linearly (S G9; applying it per material is A); stock cover 100 days rare metals, 180 days Nd/Dy/Y, "
     "18 months EV magnets (S G1–G4); pooled procurement with JP and SG −5% price, +10% ally capacity (A)",
     f"{BRIEF} §3.8"),
]

# Derived figures (D): the working is in `what`.
DERIVED_REFS = [
    ("D1", "D", "", "3.08 t/yr; 866 USD/kg; CN 2.69 t/yr; RU 0.385 t/yr",
     "Germanium from K18: 13.6 t over Jan 2019–May 2023 (4.42 yr, as in K18d) = 3.08 t/yr; "
     "$11.78M ÷ 13,600 kg = $866/kg average import unit value (China and Russia together: K18 gives "
     "no split of value); China 87.5% × 3.08 = 2.69 t/yr; Russia 12.5% × 3.08 = 0.385 t/yr", "derived: from K18"),
    ("D2", "D", "", "0.6667 / 0.6333 / 0.60 / 0.5667 / 0.5333 / 0.50",
     "Glide path by linear interpolation of G9 (70% in 2024, 60% in 2027, 50% in 2030): "
     "2025 = 70 − 10/3 = 66.67%; 2026 = 63.33%; 2027 = 60%; 2028 = 56.67%; 2029 = 53.33%; 2030 = 50% "
     "(interpolation is D; that G9 moves linearly between its milestones is A)", "derived: from G9"),
    ("D3", "D", "", "39.8 USD M",
     "Korea Zinc gallium capex: ₩55.7bn (C1) ÷ 1,400 KRW/USD (A1) = $39.8M", "derived: from C1"),
    ("D4", "D", "", "100 USD M",
     "Korea Zinc–Lockheed germanium facility: ₩140bn (J11) ÷ 1,400 KRW/USD (A1) = $100M", "derived: from J11"),
    ("D5", "D", "", "193.1 USD M total; 64.4 USD M/yr",
     "Capex budget: Supply Chain Stabilization Fund ₩10tn (G11) shared equally over the 185 "
     "economic-security items of the 3050 strategy (G14) = ₩54.1bn per item; × 5 materials = ₩270.3bn "
     "÷ 1,400 = $193.1M (the total budget); paced over the three years of the 1st Basic Plan 2025–27 "
     "(G9) = $64.4M per year. The equal split per item and the pacing are A13", "derived: from G11; G14; G9"),
    ("D6", "D", "", "USD/kg",
     "Pooled-channel (SG) prices = 0.95 × the underlying ally source's cost (A7, DF35): MAG 0.95 × 65 "
     "(JP) = 61.75; NDPR 0.95 × 80 (AUMY) = 76; DYTB 0.95 × 1,300 (AUMY) = 1,235; GA 0.95 × 750 (JP) = "
     "712.5. Capacities = 10% of the same source's capacity in each year", "derived: from DF35; DF34; A7"),
    ("D7", "D", "", "USD/kg/yr",
     "Holding cost = 2%/yr (A4) × reference value: MAG 1.04; NDPR 1.50; DYTB 7.50; GA 7.00; GE 17.32",
     "derived: from A4; A5"),
    ("D8", "D", "", "212 days",
     "Full magnet stock target: 25% EV share (A11) × 547.5 days (18 months, G3) + 75% × 100 days "
     "(rare-metal target G1) = 136.9 + 75.0 = 211.9 ≈ 212 days", "derived: from G3; G1; A11"),
    ("D9", "D", "", "days",
     "Opening cover = opening stock ÷ 2024 demand × 365: MAG 1,000 ÷ 7,000 → 52 days; NDPR 200 ÷ 400 → "
     "183 days; DYTB 20 ÷ 35 → 209 days; GA 2 ÷ 12 → 61 days; GE 0.5 ÷ 3.1 → 59 days (actual average "
     "cover across 35 materials c. 2024 was 42 days, G5)", "derived: from DF34; DF32; A10"),
    ("D10", "D", "", "t/yr",
     "Germanium demand = 3.1 t in 2024 (D1, rounded) × 1.03^(year − 2024) (A14): 3.10, 3.19, 3.29, "
     "3.39, 3.49, 3.59, 3.70 t", "derived: from D1; A14"),
]

# General assumptions (A).
ASSUMPTION_REFS = [
    ("A1", "Exchange rates KRW/USD 1,400; CNY/USD 7.05–7.30 (as in the data-facts brief, an assumption)."),
    ("A2", "Discount rate 5%/yr (real), base year 2024: a conventional public-investment rate; "
           "not sourced."),
    ("A3", "Risk weight λ = 0.1: each unit of risk exposure (risk score × reference value × tonnes) is "
           "charged at 10% of its value, e.g. China magnets (risk 0.77) cost 52 + 0.1×0.77×52 = 56.0 "
           "USD/kg in the objective against 58 + 0.1×0.31×52 = 59.6 for the Philippines. Not sourced."),
    ("A4", "Holding cost of stock 2%/yr of the material's reference value (storage, insurance, "
           "handling; capital cost is already in the discount rate)."),
    ("A5", "Reference value (the weight in value-weighted China shares and in risk exposure) = the "
           "China delivered unit cost of the material (DF35; D1 for germanium), so aggregate shares are "
           "value shares at Chinese prices."),
    ("A6", "Prices: the 2025-basis delivered costs (DF35) are applied unchanged to every year "
           "2024–2030 (constant real prices; no forecast is sourced)."),
    ("A7", "Pooled procurement channel SG (Korea–Japan–Singapore joint buying, J5, J6): not a "
           "producer; price 5% below, and capacity 10% of, one underlying ally source per material "
           "(DF38): MAG and GA via JP (Japan's own magnet and JAGA gallium supply); NDPR and DYTB via "
           "AUMY (Lynas, Japanese-financed with Sojitz as sole Japanese distributor and Japanese priority "
           "on Dy/Tb, J2, J3). No SG offer for germanium (no ally source in the data)."),
    ("A8", "Ramp limits: purchases from a foreign non-China supplier (JP, SG, US, AUMY, VN, PH, EE, "
           "BEDE, RU) may grow by at most 50% of that supplier's capacity offered in the year, so a new "
           "source takes two years to be used in full (qualification, contracting). No ramp limit on CN "
           "(established), KR (own plant) or AUAR (the contract sets the volumes)."),
    ("A9", "The G9 target (dependence on any specific country, all economic-security items) is applied "
           "as one value-weighted cap on China's share of these five materials (scope ALL). Reading it "
           "per material (G14's per-item wording) is the per_material_targets scenario."),
    ("A10", "Opening stocks are the data-facts §3.4 inventories stated at 1 Jan 2025 (MAG 1,000 t; NDPR "
            "200 t; DYTB 20 t; GA 2 t), used here as stock at 1 Jan 2024; GE 0.5 t (≈2 months, like "
            "GA) is A. Actual KOMIR stock levels are confidential."),
    ("A11", "EV share of Korea's magnet demand = 25% (unknown; the 18-month EV-magnet target G3 applies "
            "only to it; the rest takes the 100-day rare-metal target G1)."),
    ("A12", "Stockpile targets below their policy level in 2024 ramp linearly from the 2024 opening "
            "cover (D9) to the full target in 2030 (the G9/G13 horizon)."),
    ("A13", "Capex budget: an equal share per item of the ₩10tn stabilization fund (G11, G14) for the "
            "five materials, paced over 2025–2027 and continued at that pace to 2030 (per-year rows), "
            "with the fund share as the total (Settings). No budget in 2024 (the fund dates from 2025; "
            "no project can pay capex in 2024 anyway)."),
    ("A14", "Germanium: demand grows 3%/yr from the 2019–23 average (D1); China can supply up to 4 t/yr "
            "(≈1.3× the average; licensing since Aug 2023, TL2023); Russia up to 0.5 t/yr (average "
            "0.385 t/yr, D1); both priced at the average import unit value $866/kg (D1; no sourced "
            "germanium price after the 2023 controls: a data gap)."),
    ("A15", "Russia risk (not in the data-facts risk table): P 0.80 (sanctions and payment exposure), "
            "F 0.20 (own feed), E 0.30 → 0.5×0.80 + 0.3×0.20 + 0.2×0.30 = 0.52."),
    ("A16", "Seonglim magnet plant: the existing Hyeonpung plant (C2, 1,000 t/yr) is on Supply, ramping "
            "500 → 700 → 1,000 t (DF34); the further domestic growth in DF34 (to 2,000 t/yr in 2029) is "
            "the SEONGLIM_EXP project: +1,000 t/yr, capex $50M (A: about $50 per kg-year of capacity; "
            "the plant received ₩11.6bn ≈ $8.3M of subsidies, C2), opex 60 USD/kg (the KR magnet cost, "
            "DF35), first output 2028 at the earliest, lead time 2 years."),
    ("A17", "Korea Zinc–Lockheed germanium facility (J11): 5 t/yr available to Korean buyers (the plant "
            "size is not public; most output is assumed to go to the US partner), opex 866 USD/kg "
            "(parity with the import unit value, D1), first output 2028 at the earliest, lead time 2."),
    ("A18", "Korea Zinc gallium (C1): the project gives up to 15.5 t/yr from 2028 (the pilot-year ramp "
            "of DF34, 7 t in 2028, is not represented: optimistic for 2028); lead time 3 years puts the "
            "capex in 2025 (spend through Dec 2027, C1); opex = the implied revenue $507/kg (C1d) as an "
            "upper estimate of unit cost. No Korean gallium capacity is on the Supply sheet (no double "
            "counting)."),
    ("A19", "Long-term contracts (minimum volumes): Hyundai–Arafura offtake (C4) = Korea takes all the "
            "NdPr Arafura offers (200 t in 2028, 300 t in 2029–30; the NdPr tonnage and the 2028 start "
            "are A, DF34); Philippine magnet plants 500 t/yr (about half the ≈1,000 t/yr implied by "
            "their 14.3% share, K5); Belgian/German gallium 2 t/yr (about half the ≈4.4 t/yr Belgium "
            "supplied in 2019–23, K18)."),
    ("A20", "Penalties are left to the tool's per-material defaults: stock below target costs 1.5× "
            "the material's highest unit cost per kg and year (so topping up the stockpile is always "
            "worth buying where supply allows, also in 2030), and unmet demand max(10, 2 × 7 years) = "
            "14× per kg (so a tonne unmet always costs more than a tonne of stock missing for the "
            "whole horizon). Both stay in proportion to each material's value, which matters because "
            "the China cap is value-weighted: a uniform per-kg penalty made it 'cheap' to leave "
            "high-value Dy/Tb, gallium and germanium unserved to free China value for magnets. The "
            "penalties are policy weights that rank outcomes, not prices."),
    ("A21", "Two Korean suppliers: KR = Korean magnet makers (Seonglim, C2; risk row 'KR (magnets)' of "
            "DF36) and KRZN = Korea Zinc (gallium C1 and germanium J11 projects; risk row 'KR (Ga: Korea "
            "Zinc)' of DF36), so each keeps its own risk score."),
    ("A22", "2024 Policy row = the trade-data China share of rare-earth imports by value in 2024 (79.8%, "
            "K1) applied to ALL five materials: it records the starting point rather than a target "
            "(gallium and germanium are < 2% of the value weight, so ALL ≈ REE). The policy article's "
            "unconfirmed 47.5% is the baseline_policy_47_5 scenario."),
    ("A23", "Scenario magnitudes and timing (see each scenario's note) are A, anchored to the analogues "
            "named there (DF37, timeline TL…)."),
    ("A24", "Country ids: each supplier sells from one country; Lynas (AUMY) sells the oxide and magnets "
            "it makes in Kuantan, so its country is MY and its mining stage AU (C8); the Belgian/German "
            "gallium refiners (BEDE) are booked to BE; Korean magnet makers and Korea Zinc to KR."),
    ("A25", "Stages: magnets go through mining, refining (separation), metal/alloy and magnet making; "
            "NdPr and Dy/Tb oxide through mining and separation; for gallium and germanium 'refining' is "
            "the primary (low-purity) metal and 'metal' the high-purity refining of the supplier."),
    ("A26", "Origins of allied products (shares of the stage by country): Japanese magnets and Dy/Tb "
            "from feed ≈60% Chinese, the rest Lynas (J4: Japan's rare earths about 60% from China; J2/J3: "
            "Lynas supplies Japan); Philippine magnets from Chinese feed at mining, separation and metal "
            "(PH rationale, K5, TL2025O); Vietnamese products China-linked at 70% of separation and 50% "
            "of mining and metal (W1: 300 t REO in 2024; know-how China-linked); Silmet's Dy/Tb mined "
            "50/50 in China and Russia and separated in Estonia (K15); gallium refined in Belgium from "
            "98% Chinese primary gallium (W8); Japanese gallium 57% Chinese primary (W11); the pooled SG "
            "channel carries the origins of its underlying ally source (A7); the Seonglim expansion's "
            "magnets use feed 90% Chinese at mining and separation and 84% Chinese metal (K8: 84% of "
            "Korea's rare-earth metal imports by value from China). Splits are A, anchored to those rows."),
    ("A27", "Korean magnet lines as conversion (Conversion sheet): NdFeB holds about 30% rare earths "
            "(DF32), taken as 0.31 t NdPr oxide and 0.015 t Dy+Tb oxide per t of magnet (heavy-rare-earth "
            "grade assumed); capacity = the Korean magnet makers' capacity used before (500/700/1,000 t, "
            "C2, A16); conversion cost = the 60 USD/kg delivered price less the feed at China prices "
            "(0.31 × 75 + 0.015 × 375 = 28.9 USD/kg), i.e. 31.1 USD/kg (D). NdPr and Dy/Tb demand are the "
            "former feed-based series (DF32) less the lines' feed at capacity, so the feed is not counted "
            "twice."),
]


def _pfe(p: float, f: float, e: float) -> float:
    """DF36: risk = 0.5·P + 0.3·F + 0.2·E, rounded to 2 decimals."""
    return round(0.5 * p + 0.3 * f + 0.2 * e + 1e-9, 2)


# ============================================================================ Materials
# id, name, group, China delivered cost (reference value), opening stock (t), basis
MATERIALS = [
    ("MAG", "NdFeB sintered magnets", "REE", 52.0, 1000.0, "DF35; W16; K12; K2; A5; D7; DF34; A10"),
    ("NDPR", "NdPr oxide (feed for Korean magnet and alloy makers)", "REE", 75.0, 200.0,
     "DF35; P5; P7; A5; D7; DF34; G4; A10"),
    ("DYTB", "Dy+Tb oxide, 80:20 blend", "REE", 375.0, 20.0, "DF35; P11; P7; A5; D7; DF34; G7; A10"),
    ("GA", "Gallium metal 4N+", "", 350.0, 2.0, "DF35; P17; K18d; A5; D7; DF34; A10"),
    ("GE", "Germanium metal", "", 866.0, 0.5, "K18; D1; A14; A5; D7; A10"),
]

# ============================================================================ Suppliers
# id, name, country, bloc, (P, F, E), rationale, basis
SUPPLIERS = [
    ("CN", "China", "China", "china", (0.90, 1.00, 0.10),
     "About 9 control actions between Jul 2023 and Jan 2026; Dy/Tb exports zero in May 2025; bans "
     "targeted at the US (Dec 2024) and Japan (Jan 2026); the October package is only suspended until "
     "10 Nov 2026.", "DF36; TL2023; TL2024; TL2025A; TL2025O; TL2026"),
    ("JP", "Japan", "Japan", "ally", (0.20, 0.60, 0.10),
     "Ally with stockpiling cooperation (J5), but Japan still takes about 60% of its rare earths and "
     "57% of imported gallium from China; itself targeted in Jan 2026 and will give its own industry "
     "priority.", "DF36; J5; W11; TL2026"),
    ("SG", "Pooled procurement channel (Korea–Japan–Singapore)", "Singapore (channel)", "ally",
     (0.10, 0.50, 0.30),
     "A channel, not a producer: joint buying on top of an underlying ally source (A7); 5-day emergency "
     "consultation (J6). Risk inherits from the underlying supply.", "DF36; J6; J5; A7"),
    ("US", "United States (MP Materials and others)", "United States", "ally", (0.30, 0.10, 0.40),
     "DoD offtake and US-first allocation (X1, C10); 10X magnet plant commissioning in 2028.",
     "DF36; X1; C10"),
    ("AUMY", "Lynas (Mt Weld, Australia → Kuantan, Malaysia)", "Australia / Malaysia", "ally",
     (0.15, 0.20, 0.30),
     "Largest non-China separator (C8); Japan has priority on up to 65% of Dy/Tb (J3); the Kalgoorlie "
     "outage cut NdPr output 30% (C9).", "DF36; C8; J3; C9"),
    ("AUAR", "Arafura (Nolans, Australia)", "Australia", "ally", (0.10, 0.10, 0.70),
     "Offtake contracted (C4); greenfield project, timeline not verified.", "DF36; C4"),
    ("VN", "Vietnam", "Vietnam", "ally", (0.25, 0.50, 0.70),
     "300 t REO output in 2024 (W1) against large plans; processing know-how is China-linked.",
     "DF36; W1"),
    ("PH", "Philippines (Japanese-owned magnet plants)", "Philippines", "ally", (0.15, 0.70, 0.10),
     "14.3% of Korea's magnet imports in 2023 (K5); feed is rare earths from China, so exposed to the "
     "0.1% rule.", "DF36; K5; TL2025O"),
    ("EE", "Estonia (Silmet)", "Estonia", "ally", (0.20, 0.80, 0.20),
     "Small volumes (K15); feed historically from China or Russia.", "DF36; K15"),
    ("BEDE", "Belgian and German gallium refiners", "Belgium / Germany", "ally", (0.15, 0.80, 0.10),
     "Refines low-purity gallium that is 98% Chinese (W8).", "DF36; W8; K18"),
    ("KR", "Korean magnet makers (Seonglim Hyeonpung plant)", "Korea", "domestic", (0.05, 0.60, 0.30),
     "Domestic plant (C2) but its NdPr and Dy/Tb feed come mostly from China. Data-facts row "
     "'KR (magnets)'; Korea Zinc is the separate supplier KRZN (A21).", "DF36; C2; A21"),
    ("KRZN", "Korea Zinc (Onsan gallium recovery; germanium with Lockheed)", "Korea", "domestic",
     (0.05, 0.30, 0.50),
     "New process from 2028 (C1); feed is imported zinc concentrate. Data-facts row 'KR (Ga: Korea "
     "Zinc)'. Output comes only through the Investments sheet (no Supply rows).", "DF36; C1; J11; A21"),
    ("RU", "Russia (germanium)", "Russia", "other", (0.80, 0.20, 0.30),
     "The only non-China origin of Korea's germanium imports in 2019–23 (12.5%, K18); sanctions and "
     "payment exposure (A15).", "K18; D1; A15"),
]

# ============================================================================ Demand (t)
DEMAND = {
    "MAG": ([7000, 7450, 7925, 8430, 8970, 9545, 10155], "DF32; K11d; K5; W5"),
    # the former feed-based series (DF32) less the Korean magnet lines' feed at capacity (A27)
    "NDPR": ([round(d - 0.31 * c, 1) for d, c in zip([400, 450, 550, 650, 800, 900, 1000],
                                                      [500, 700, 1000, 1000, 1000, 1000, 1000])],
             "DF32; C2; G15; A27"),
    "DYTB": ([round(d - 0.015 * c, 2) for d, c in zip([35, 38, 42, 46, 51, 55, 60],
                                                       [500, 700, 1000, 1000, 1000, 1000, 1000])],
             "DF32; K15; A27"),
    "GA": ([12.0, 13.0, 14.0, 15.1, 16.3, 17.6, 19.0], "DF32; K18d"),
    "GE": ([round(3.1 * 1.03 ** i, 2) for i in range(len(YEARS))], "K18; D1; D10; A14"),
}

# ============================================================================ Supply
# (material, source): capacities 2024..2030 (t; 0 = no offer that year), unit cost (USD/kg),
# minimum volumes {year: t} (take-or-pay), basis.  Ramp limits (A8) are added by code for the
# sources in RAMPED_SOURCES.  SG rows are derived from their underlying ally source (A7, D6).
OFFERS = [
    # ---- MAG: NdFeB sintered magnets
    ("MAG", "CN", [7000, 7000, 7500, 8000, 8500, 9000, 9500], 52.0, {},
     "DF34; K11d; K23; K13; K14; DF35; W16; K12; A6"),
    ("MAG", "PH", [900, 1000, 1100, 1200, 1300, 1400, 1500], 58.0, {y: 500.0 for y in YEARS},
     "DF34; K5; DF35; A6; A8; A19"),
    ("MAG", "JP", [200, 250, 300, 350, 400, 450, 500], 65.0, {}, "DF34; DF35; A6; A8"),
    ("MAG", "VN", [100, 150, 200, 300, 400, 500, 600], 58.0, {}, "DF34; DF35; A6; A8"),
    ("MAG", "AUMY", [0, 0, 0, 500, 1500, 2500, 3000], 62.0, {}, "DF34; C3; DF35; A6; A8"),
    ("MAG", "US", [0, 0, 0, 100, 200, 300, 300], 80.0, {}, "DF34; C10; DF35; A6; A8"),
    # ---- NDPR: NdPr oxide
    ("NDPR", "CN", [600, 700, 800, 900, 1000, 1100, 1200], 75.0, {}, "DF34; DF35; P5; P7; A6"),
    ("NDPR", "AUMY", [100, 150, 200, 300, 400, 500, 600], 80.0, {}, "DF34; C8; DF35; X2; A6; A8"),
    ("NDPR", "AUAR", [0, 0, 0, 0, 200, 300, 300], 100.0, {2028: 200.0, 2029: 300.0, 2030: 300.0},
     "DF34; C4; DF35; A6; A19"),
    ("NDPR", "US", [0, 0, 50, 100, 150, 200, 200], 110.0, {}, "DF34; X1; X1d; DF35; A6; A8"),
    ("NDPR", "VN", [0, 0, 0, 50, 100, 150, 150], 80.0, {}, "DF34; W1; DF35; A6; A8"),
    # ---- DYTB: Dy+Tb oxide 80:20
    ("DYTB", "CN", [40, 30, 45, 50, 55, 60, 60], 375.0, {}, "DF34; TL2025A; DF35; P11; P7; A6"),
    ("DYTB", "AUMY", [0, 1, 3, 5, 8, 10, 10], 1300.0, {}, "DF34; C9; J3; DF35; P9; P6; X4; A6; A8"),
    ("DYTB", "EE", [2, 2, 3, 3, 4, 4, 4], 1360.0, {}, "DF34; K15; DF35; P9; P6; X4; A6; A8"),
    ("DYTB", "JP", [1, 1, 1, 2, 2, 2, 2], 1360.0, {}, "DF34; DF35; P9; P6; X4; A6; A8"),
    # ---- GA: gallium metal 4N+
    ("GA", "CN", [15, 15, 16, 17, 18, 19, 20], 350.0, {}, "DF34; K16; K17; W6; DF35; P17; K18d; A6"),
    ("GA", "BEDE", [3, 3, 3, 4, 4, 4, 4], 725.0, {y: 2.0 for y in YEARS},
     "DF34; K18; DF35; P16; P17d; A6; A8; A19"),
    ("GA", "US", [0.5] * 7, 750.0, {}, "DF34; K18; DF35; P16; A6; A8"),
    ("GA", "JP", [0.5, 0.5, 1, 1, 2, 2, 2], 750.0, {}, "DF34; C11; W11; DF35; P16; A6; A8"),
    # ---- GE: germanium
    ("GE", "CN", [4.0] * 7, 866.0, {}, "K18; D1; TL2023; A14; A6"),
    ("GE", "RU", [0.5] * 7, 866.0, {}, "K18; D1; W13; A14; A6; A8"),
]
# Pooled channel SG: material -> underlying ally source (A7)
SG_UNDERLYING = {"MAG": "JP", "NDPR": "AUMY", "DYTB": "AUMY", "GA": "JP"}
SG_BASIS = {"MAG": "A7; D6; J5; J6; DF38; A8", "NDPR": "A7; D6; J2; J6; DF38; A8",
            "DYTB": "A7; D6; J3; J6; DF38; A8", "GA": "A7; D6; C11; J6; DF38; A8"}

# ============================================================================ Policy
GLIDE = {2024: 0.798, 2025: 0.6667, 2026: 0.6333, 2027: 0.60, 2028: 0.5667, 2029: 0.5333, 2030: 0.50}
POLICY_BASIS = {2024: "K1; A22"} | {y: "G9; D2; A9" for y in YEARS[1:]}

# ============================================================================ Stockpile
# Full policy target (days) per material, with its basis; ramped from the 2024 opening cover (A12).
STOCK_TARGET = {
    "MAG": (float(round(EV_SHARE_OF_MAGNETS * 547.5 + (1 - EV_SHARE_OF_MAGNETS) * 100.0)),   # D8: 212
            "G3; G1; A11; D8; A12; D9"),
    "NDPR": (180.0, "G2; G4; DF38"),
    "DYTB": (180.0, "G2; G7; DF38"),
    "GA": (100.0, "G1; DF38; A12; D9"),
    "GE": (100.0, "G1; J1; A12; D9"),
}

# ============================================================================ Investments
INVESTMENTS = [
    dict(project="KZ_GA_ONSAN", name="Korea Zinc gallium recovery, Onsan smelter", material="GA",
         source="KRZN", capacity=15.5, capex=round(55.7e9 / KRW_PER_USD / 1e6, 1), opex=507.0,
         earliest_year=2028, lead_time=3, basis="C1; C1d; D3; X5; A18"),
    dict(project="SEONGLIM_EXP", name="Seonglim NdFeB magnet plant expansion (+1,000 t/yr)",
         material="MAG", source="KR", capacity=1000.0, capex=50.0, opex=60.0, earliest_year=2028,
         lead_time=2, basis="C2; DF34; DF35; A16"),
    dict(project="KZ_GE_LM", name="Korea Zinc–Lockheed Martin germanium facility", material="GE",
         source="KRZN", capacity=5.0, capex=round(140e9 / KRW_PER_USD / 1e6, 1), opex=866.0,
         earliest_year=2028, lead_time=2, basis="J11; D4; D1; A17"),
]

# ============================================================================ Budget (USD M)
FUND_SHARE_USD_M = round(10e12 * 5 / 185 / KRW_PER_USD / 1e6, 1)     # D5: 193.1
BUDGET_PER_YEAR = round(FUND_SHARE_USD_M / 3, 1)                      # D5: 64.4
BUDGET = [dict(year=2024, capex_budget=0.0, basis="G11; A13")] + [
    dict(year=y, capex_budget=BUDGET_PER_YEAR, basis="G11; G14; G9; D5; A13") for y in YEARS[1:]]


# ============================================================================ builders
def _r(x: float, nd: int = 4) -> float:
    return round(float(x), nd)


STAGES = {"MAG": "mining, refining, metal, magnet", "NDPR": "mining, refining", "DYTB": "mining, refining",
          "GA": "refining, metal", "GE": "refining, metal"}                                # A25


def materials_table() -> list[dict]:
    return [dict(material=m, name=n, group=g, china_cap_applies=True, reference_value=v,
                 holding_cost=_r(HOLDING_RATE * v, 2), opening_stock=s, stages=STAGES[m], basis=b + "; A25")
            for m, n, g, v, s, b in MATERIALS]


# ============================================================================ Origins (A26)
# (material, source): {stage: {country: share}}; stages not listed happen in the supplier's country
JP_FEED = {"CN": 0.6, "MY": 0.4}
ORIGINS = {
    ("MAG", "JP"): ({"mining": {"CN": 0.6, "AU": 0.4}, "refining": JP_FEED}, "J4; J2; J3; W3; A26"),
    ("MAG", "PH"): ({"mining": {"CN": 1.0}, "refining": {"CN": 1.0}, "metal": {"CN": 1.0}}, "K5; TL2025O; A26"),
    ("MAG", "VN"): ({"mining": {"CN": 0.5, "VN": 0.5}, "refining": {"CN": 0.7, "VN": 0.3},
                     "metal": {"CN": 0.5, "VN": 0.5}}, "W1; A26"),
    ("MAG", "AUMY"): ({"mining": {"AU": 1.0}}, "C3; C8; A24"),
    ("MAG", "KR"): ({"mining": {"CN": 0.9, "AU": 0.1}, "refining": {"CN": 0.9, "MY": 0.1},
                     "metal": {"CN": 0.84, "KR": 0.16}}, "K8; C2; A26"),
    ("NDPR", "AUMY"): ({"mining": {"AU": 1.0}}, "C8; A24"),
    ("NDPR", "VN"): ({"refining": {"CN": 0.7, "VN": 0.3}}, "W1; A26"),
    ("DYTB", "AUMY"): ({"mining": {"AU": 1.0}}, "C9; A24"),
    ("DYTB", "EE"): ({"mining": {"CN": 0.5, "RU": 0.5}}, "K15; A26"),
    ("DYTB", "JP"): ({"mining": {"CN": 0.6, "AU": 0.4}, "refining": JP_FEED}, "J4; J3; W3; A26"),
    ("GA", "BEDE"): ({"refining": {"CN": 0.98, "BE": 0.02}}, "W8; A26"),
    ("GA", "JP"): ({"refining": {"CN": 0.57, "JP": 0.43}}, "W11; A26"),
}


def origins_table() -> list[dict]:
    table = dict(ORIGINS)
    for m, under in SG_UNDERLYING.items():     # the pooled channel carries its underlying source's origins (A7)
        stages, basis = ORIGINS.get((m, under), ({}, "A24"))
        full = {st: stages.get(st, {COUNTRY_ID[under]: 1.0}) for st in STAGES[m].split(", ")}
        table[(m, "SG")] = (full, "A7; " + basis)
    rows = []
    for (m, src), (stages, basis) in sorted(table.items()):
        for stage, shares in stages.items():
            for country, share in shares.items():
                rows.append(dict(material=m, source=src, year=None, stage=stage, country=country,
                                 share=share, basis=basis))
    return rows


# ============================================================================ Conversion (A27)
KR_LINES_CAPACITY = [500, 700, 1000, 1000, 1000, 1000, 1000]      # C2, A16: the Korean magnet makers
NDPR_PER_T_MAGNET, DYTB_PER_T_MAGNET = 0.31, 0.015                 # DF32, A27
KR_LINES_COST = round(60.0 - NDPR_PER_T_MAGNET * 75.0 - DYTB_PER_T_MAGNET * 375.0, 1)   # D: 31.1 USD/kg


def conversion_table() -> list[dict]:
    return [dict(process="KR_MAG_LINES", name="Korean NdFeB magnet lines (Seonglim Hyeonpung and others)",
                 material="MAG", source="KR", stages="metal, magnet", year=y, capacity=float(c),
                 unit_cost=KR_LINES_COST, basis="C2; A16; DF32; A27") for y, c in zip(YEARS, KR_LINES_CAPACITY)]


def conversion_inputs_table() -> list[dict]:
    return [dict(process="KR_MAG_LINES", material="NDPR", input_per_t=NDPR_PER_T_MAGNET, basis="DF32; A27"),
            dict(process="KR_MAG_LINES", material="DYTB", input_per_t=DYTB_PER_T_MAGNET, basis="DF32; A27")]


COUNTRY_ID = {"CN": "CN", "JP": "JP", "SG": "SG", "US": "US", "AUMY": "MY", "AUAR": "AU", "VN": "VN",
              "PH": "PH", "EE": "EE", "BEDE": "BE", "KR": "KR", "KRZN": "KR", "RU": "RU"}    # A24


def suppliers_table() -> list[dict]:
    rows = []
    for sid, name, country, bloc, (p, f, e), why, basis in SUPPLIERS:
        risk = _pfe(p, f, e)
        text = (f"risk = 0.5·P + 0.3·F + 0.2·E = 0.5×{p:.2f} + 0.3×{f:.2f} + 0.2×{e:.2f} = {risk:.2f} "
                f"(P {p:.2f}, F {f:.2f}, E {e:.2f}). {why}")
        rows.append(dict(source=sid, name=name, country=country, bloc=bloc, risk=risk, rationale=text,
                         country_id=COUNTRY_ID[sid], basis=basis + "; A24"))
    return rows


def _offer_rows(material, source, caps, cost, mins, basis) -> list[dict]:
    rows = []
    for i, (y, cap) in enumerate(zip(YEARS, caps)):
        if cap <= 0:
            continue
        ramp = _r(RAMP_SHARE * cap, 3) if source in RAMPED_SOURCES and y > YEARS[0] else None
        rows.append(dict(material=material, source=source, year=y, capacity=_r(cap, 3),
                         unit_cost=_r(cost, 2), min_volume=mins.get(y), max_increase=ramp, basis=basis))
    return rows


def supply_table() -> list[dict]:
    rows = []
    by_key = {(m, s): (caps, cost) for m, s, caps, cost, _, _ in OFFERS}
    for m, s, caps, cost, mins, basis in OFFERS:
        rows += _offer_rows(m, s, caps, cost, mins, basis)
    for m, under in SG_UNDERLYING.items():
        caps, cost = by_key[(m, under)]
        rows += _offer_rows(m, "SG", [_r(SG_CAPACITY_SHARE * c, 3) for c in caps], SG_PRICE_FACTOR * cost,
                            {}, SG_BASIS[m])
    order = {m[0]: i for i, m in enumerate(MATERIALS)}
    return sorted(rows, key=lambda r: (order[r["material"]], r["source"] != "CN", r["source"], r["year"]))


def demand_table() -> list[dict]:
    return [dict(material=m, year=y, demand=float(d), basis=basis)
            for m, (values, basis) in DEMAND.items() for y, d in zip(YEARS, values)]


def policy_table() -> list[dict]:
    return [dict(year=y, scope="ALL", max_china_share=GLIDE[y], basis=POLICY_BASIS[y]) for y in YEARS]


def opening_cover_days(material: str) -> float:
    opening = next(s for m, _, _, _, s, _ in MATERIALS if m == material)
    return opening / DEMAND[material][0][0] * 365.0


def stockpile_table() -> list[dict]:
    rows = []
    for m, (full, basis) in STOCK_TARGET.items():
        start = min(full, opening_cover_days(m))
        n = len(YEARS) - 1
        for i, y in enumerate(YEARS):
            rows.append(dict(material=m, year=y, target_days=float(round(start + (full - start) * i / n)),
                             basis=basis))
    return rows


def settings_rows() -> list[dict]:
    return [
        dict(setting="first_year", value=2024, notes="G9; G13: plans run to 2030; 2024 is the G9 baseline year"),
        dict(setting="last_year", value=2030, notes="G9; G13; G14: 2030 targets"),
        dict(setting="base_year", value=2024, notes="A2: costs discounted to 2024"),
        dict(setting="currency", value="USD", notes="A1: figures in USD; KRW converted at 1,400 KRW/USD"),
        dict(setting="discount_rate", value=0.05, notes="A2: 5%/yr, assumption"),
        dict(setting="risk_weight", value=0.1, notes="A3: λ = 0.1, assumption"),
        dict(setting="unmet_penalty", value=None,
             notes="A20: blank = per material, max(10, 2 x years) x its highest unit cost per kg"),
        dict(setting="stock_shortfall_penalty", value=None,
             notes="A20: blank = per material, 1.5 x its highest unit cost per kg and year"),
        dict(setting="max_single_source_share", value=None,
             notes="not used in the base case: China supplies most of every material in 2024 (K1; K2; K16)"),
        dict(setting="investment_budget_total", value=FUND_SHARE_USD_M,
             notes="D5; A13: equal per-item share of the ₩10tn fund (G11; G14) for five materials"),
        dict(setting="integer_investments", value="no", notes="A: LP (projects may be built in part)"),
        dict(setting="backend", value="native", notes="tool default"),
        dict(setting="solver", value="highs", notes="tool default"),
        dict(setting="time_limit", value=None, notes="none (the sample solves in well under a second)"),
        dict(setting="scenario", value="", notes="blank = base data; names on the Scenarios sheet"),
    ]


# ---------------------------------------------------------------------------- scenarios
def _sc(name, sheet, target, op, value, note, material="", source="", year=None, country="", stage="") -> dict:
    return dict(scenario=name, sheet=sheet, material=material, source=source, year=year, target=target,
                operation=op, value=value, note=note, country=country, stage=stage)


def scenarios_table() -> list[dict]:
    rows: list[dict] = []
    # 1. the policy article's unconfirmed 47.5 % (data-facts caveat 0.1)
    rows.append(_sc("baseline_policy_47_5", "Policy", "max_china_share", "set", 0.475,
                    "Policy article's 47.5% China share of 2024 rare-earth inputs (unconfirmed: no source "
                    "gives it; trade data give 79.8% by value, K1; it may be a volume share or a narrower "
                    "HS basket) applied as the 2024 cap on ALL in place of K1. A23",
                    material="ALL", year=2024))
    # 2. Korea-targeted gallium embargo in 2026 (S2 analogue: US ban Dec 2024; Ga licensing Aug 2023)
    rows.append(_sc("ga_embargo_2026", "Supply", "capacity", "multiply", 0.0,
                    "DF37 S2: China gallium to Korea × 0 for 2026 (analogues TL2024 US ban ≈11 months; "
                    "TL2023 Ga/Ge licensing ≈2 months at zero). The LP sees it coming (perfect "
                    "foresight). A23", material="GA", source="CN", year=2026))
    # 3. Lynas delay: every AUMY offer (and the pooled share of it) one year later
    base = {(r["material"], r["source"], r["year"]): r["capacity"] for r in supply_table()}
    for (m, s, y), cap in sorted(base.items()):
        if s not in ("AUMY",) and not (s == "SG" and SG_UNDERLYING.get(m) == "AUMY"):
            continue
        if y == YEARS[0]:
            continue
        prev = base.get((m, s, y - 1), 0.0)
        if prev != cap:
            rows.append(_sc("lynas_delay", "Supply", "capacity", "set", prev,
                            f"C3; C9; DF37 S5: Lynas capacity offered to Korea one year later ({y - 1} level "
                            f"in {y}); pooled SG share via Lynas follows. A23", material=m, source=s, year=y))
    # 4. Lynas at half (outage, Kalgoorlie-type, sustained)
    rows.append(_sc("lynas_half", "Supply", "capacity", "multiply", 0.5,
                    "C9; DF37 S5: all Lynas capacity offered to Korea × 0.5 in every year (a sustained "
                    "version of the −30% Dec-Q 2025 outage). A23", source="AUMY"))
    for m, under in SG_UNDERLYING.items():
        if under == "AUMY":
            rows.append(_sc("lynas_half", "Supply", "capacity", "multiply", 0.5,
                            "A7: the pooled SG share sourced via Lynas follows. A23", material=m, source="SG"))
    # 5. budget cut
    rows.append(_sc("budget_cut", "Budget", "capex_budget", "multiply", 0.5,
                    "Capex budget per year × 0.5 (D5 base). A23"))
    rows.append(_sc("budget_cut", "Settings", "investment_budget_total", "multiply", 0.5,
                    "Total capex budget × 0.5 (D5 base). A23"))
    # 6. the glide path per material (G14's per-item reading of G9)
    for m, *_ in MATERIALS:
        for y in YEARS[1:]:
            rows.append(_sc("per_material_targets", "Policy", "max_china_share", "set", GLIDE[y],
                            f"G9; G14; D2; DF38: the glide path applied to {m} alone (added Policy row); "
                            "the ALL rows stay. A23", material=m, year=y))
    # 7. the October 2025 package reactivates after 10 Nov 2026 (S3), persistent from 2027
    for s in ("CN", "PH", "EE", "JP", "BEDE", "VN"):
        for y in YEARS:
            if y >= 2027:
                rows.append(_sc("oct2025_package_reactivates", "Supply", "capacity", "multiply", 0.7,
                                f"DF37 S3; TL2025O: suspension ends 10 Nov 2026; {s} × 0.7 from 2027 "
                                "(kept to 2030, i.e. the package stays like the Apr-2025 controls; S3 "
                                "assumes 12 months). A23", source=s, year=y))
    for m, under in SG_UNDERLYING.items():
        if under == "JP":
            for y in YEARS:
                if y >= 2027:
                    rows.append(_sc("oct2025_package_reactivates", "Supply", "capacity", "multiply", 0.7,
                                    "A7: the pooled SG share sourced via Japan follows JP. A23",
                                    material=m, source="SG", year=y))
    # 8. Korea-targeted ban in 2026, full S2 (Ga × 0, Dy/Tb and magnets × 0.3)
    for m, f in (("GA", 0.0), ("DYTB", 0.3), ("MAG", 0.3)):
        rows.append(_sc("korea_targeted_ban_2026", "Supply", "capacity", "multiply", f,
                        f"DF37 S2: China → Korea {m} × {f:g} in 2026 (analogues TL2024 and TL2026: "
                        "country-targeted bans on the US and Japan). A23", material=m, source="CN", year=2026))
    # 10. the glide path on the look-through measure (CRMA: "at any relevant stage of processing")
    for y in YEARS[1:]:
        rows.append(_sc("lookthrough_glide", "Policy", "max_china_share", "set", GLIDE[y],
                        "G9; G13; A26: the glide path applied to the China bloc's look-through share (its "
                        "largest share at any stage of each product), added to the direct rows. A23",
                        material="ALL", year=y, stage="look-through"))
    # 11. the glide path on any single country (MOTIE: dependence on a specific country)
    for y in YEARS[1:]:
        rows.append(_sc("any_country_glide", "Policy", "max_china_share", "set", GLIDE[y],
                        "G9; G13: dependence on any single country (not only China) along the glide path, "
                        "added to the China rows. A23", material="ALL", year=y, country="ANY"))
    # 12. content-based controls: China stops every product with Chinese-separated content
    rows.append(_sc("content_controls_2027", "Supply", "capacity", "multiply", 0.0,
                    "TL2025O; DF37 S3: the October 2025 rule's reach (goods with 0.1 % or more Chinese-origin "
                    "content) applied to separation: every offer with Chinese-separated content stops in 2027, "
                    "China's own included. A26; A23", year=2027, country="CN", stage="refining"))
    rows.append(_sc("content_controls_2027", "Supply", "min_volume", "multiply", 0.0,
                    "The contracts of those offers lapse with them (force majeure). A23", year=2027,
                    country="CN", stage="refining"))
    # 9. easing (S7)
    rows.append(_sc("china_easing", "Suppliers", "risk", "set", 0.5,
                    "DF37 S7: general licences, de facto easing; China risk 0.77 → 0.5 (claimed Nov 2025, "
                    "not confirmed by MOFCOM). A23", source="CN"))
    return rows


# ---------------------------------------------------------------------------- sources
def sources_table() -> list[dict]:
    rows = []
    for ref, tag, rel, value, what, address in DATA_FACTS_REFS + TIMELINE_REFS:
        rows.append(dict(ref=ref, what=what, value=value, tag=tag, reliability=rel, address=address))
    for ref, tag, rel, value, what, address in DATASET_REFS + DERIVED_REFS:
        rows.append(dict(ref=ref, what=what, value=value, tag=tag, reliability=rel, address=address))
    for ref, what in ASSUMPTION_REFS:
        rows.append(dict(ref=ref, what=what, value="", tag="A", reliability="", address="assumption"))
    return rows


def investments_table() -> list[dict]:
    return [dict(r) for r in INVESTMENTS]


def tables() -> dict:
    """Every sheet of the sample workbook, as lists of dicts keyed by schema column keys."""
    return {
        "Settings": settings_rows(),
        "Materials": materials_table(),
        "Suppliers": suppliers_table(),
        "Supply": supply_table(),
        "Demand": demand_table(),
        "Policy": policy_table(),
        "Stockpile": stockpile_table(),
        "Investments": investments_table(),
        "Budget": [dict(r) for r in BUDGET],
        "Scenarios": scenarios_table(),
        "Origins": origins_table(),
        "Conversion": conversion_table(),
        "ConversionInputs": conversion_inputs_table(),
        "Sources": sources_table(),
    }


def build(path=DEFAULT_OUT) -> Path:
    """Write the sample workbook to ``path`` (through the schema-driven template writer)."""
    from optimizer.sourcing.template import write_input_workbook
    return write_input_workbook(Path(path), tables(), title=TITLE)


# ---------------------------------------------------------------------------- feasibility check
def feasibility(t: dict | None = None) -> list[dict]:
    """Per year: can the value-weighted China cap (scope ALL) be met from non-China supply alone?

    required = (1 − θ) × Σ_m w_m D_m; available = Σ_m w_m × min(D_m, non-China capacity of m
    (supply offers and Korean conversion lines) [+ project capacity]).  Stock drawdown is ignored (it can close a small gap at the price of
    the stockpile target).  min_share = the lowest China share the capacities allow.
    """
    t = t or tables()
    w = {r["material"]: r["reference_value"] for r in t["Materials"]}
    bloc = {r["source"]: r["bloc"] for r in t["Suppliers"]}
    theta = {r["year"]: r["max_china_share"] for r in t["Policy"] if r["scope"] == "ALL"}
    out = []
    for y in YEARS:
        dem = {r["material"]: r["demand"] for r in t["Demand"] if r["year"] == y}
        nonch = {m: 0.0 for m in dem}
        proj = {m: 0.0 for m in dem}
        for r in t["Supply"]:
            if r["year"] == y and bloc[r["source"]] != "china":
                nonch[r["material"]] += r["capacity"]
        for r in t.get("Conversion", []):      # Korean lines: non-China on the direct measure (their feed
            if r["year"] == y and bloc[r["source"]] != "china":       # still needs buying)
                nonch[r["material"]] += r["capacity"]
        for p in t["Investments"]:
            if p["earliest_year"] <= y and bloc[p["source"]] != "china":
                proj[p["material"]] += p["capacity"]
        total = sum(w[m] * d for m, d in dem.items())
        avail = sum(w[m] * min(d, nonch[m]) for m, d in dem.items())
        avail_p = sum(w[m] * min(d, nonch[m] + proj[m]) for m, d in dem.items())
        th = theta.get(y)
        out.append(dict(year=y, theta=th, value_demand=total, required_non_china=(1 - th) * total,
                        available_non_china=avail, available_with_projects=avail_p,
                        min_share=1 - avail / total, min_share_with_projects=1 - avail_p / total,
                        gap_t_mag_equiv=max(0.0, (1 - th) * total - avail_p) / w["MAG"]))
    return out


def _print_feasibility() -> None:
    print("Value-weighted feasibility (k USD = t × USD/kg at China reference values; stock drawdown ignored)")
    print(f"{'year':>4} {'cap':>7} {'value dem':>10} {'need nonCN':>10} {'nonCN cap':>10} {'+projects':>10} "
          f"{'min share':>9} {'+proj':>6} {'gap (t MAG)':>11}")
    for r in feasibility():
        print(f"{r['year']:>4} {r['theta']:>7.4f} {r['value_demand']:>10,.0f} {r['required_non_china']:>10,.0f} "
              f"{r['available_non_china']:>10,.0f} {r['available_with_projects']:>10,.0f} "
              f"{r['min_share']:>9.3f} {r['min_share_with_projects']:>6.3f} {r['gap_t_mag_equiv']:>11,.0f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out", default=str(DEFAULT_OUT), help="output workbook path")
    ap.add_argument("--check", action="store_true", help="print the feasibility check and exit")
    args = ap.parse_args(argv)
    if not args.check:
        path = build(args.out)
        print(f"wrote {path}")
    _print_feasibility()
    return 0


if __name__ == "__main__":
    sys.exit(main())
