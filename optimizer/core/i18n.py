"""English and Korean: one message catalogue for the web page, the terminal headlines and workbook labels.

``t(key, lang, **values)`` returns the text of ``key`` in ``lang`` ("en" or "ko") with its
``{placeholders}`` filled; every key has both languages with the same placeholders
(``tests/core/test_i18n.py`` fails on a missing key or a placeholder that differs).  A key not in
the catalogue raises :class:`KeyError` -- never a silent English fallback.

``money(value_m, currency, lang)`` shows currency millions; Korean won (KRW) as 억 원 / 조 원
(1억 = 100 M, 1조 = 1,000,000 M), the way Korean budgets are written, in either language.
``pick(accept_language)`` chooses the language a browser asks for.
"""
from __future__ import annotations

import contextlib
import contextvars
import math
import re

from optimizer.core.labels_ko import LABEL_PATTERNS_KO, LABELS_KO

LANGS = ("en", "ko")
DEFAULT = "en"

# key: (English, 한국어)
MESSAGES: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ page frame
    "app.name": ("Sourcing optimizer", "핵심광물 조달 최적화"),
    "nav.new": ("New upload", "새 파일 올리기"),
    "nav.template": ("Blank template (.xlsx)", "빈 입력 양식 (.xlsx)"),
    "index.title": ("Plan critical-material sourcing from a workbook", "워크북으로 핵심광물 조달 계획 세우기"),
    "index.intro": ("Upload an input workbook (.xlsx). It is checked first: every problem is listed with its sheet "
                    "and cell. If it is valid, the analysis you choose runs and you get the key numbers, charts and "
                    "the result workbook to download. By default the analysis is the one the workbook's sheets ask "
                    "for.",
                    "입력 워크북(.xlsx)을 올리십시오. 먼저 검사하여 모든 문제를 시트와 셀 위치와 함께 보여 줍니다. 문제가 "
                    "없으면 선택한 분석을 실행하고 주요 수치, 차트, 결과 워크북을 제공합니다. 기본값은 워크북의 시트에 맞는 "
                    "분석입니다."),
    "index.no_workbook": ("No workbook yet?", "워크북이 없으십니까?"),
    "index.download_template": ("Download the blank, documented template", "설명이 달린 빈 양식 내려받기"),
    "index.drop": ("Drop a workbook here, or click to choose one", "워크북을 여기에 끌어다 놓거나 눌러서 선택하십시오"),
    "index.submit": ("Check and run", "검사 후 실행"),
    "index.limit": ("Files up to {mb} MB. Your files are kept only for a limited time and only you get the link.",
                    "{mb} MB까지 올릴 수 있습니다. 파일은 정해진 시간 동안만 보관되며 링크는 본인만 받습니다."),
    # ------------------------------------------------------------------ the analyses
    "kind.name.plan": ("Plan", "조달 계획"),
    "kind.name.risk": ("Risk (two-stage, CVaR)", "위험 분석 (2단계, CVaR)"),
    "kind.name.curve": ("Cost curve", "비용 곡선"),
    "kind.name.frontier": ("Cost-risk frontier", "비용-위험 경계"),
    "kind.name.compare": ("Scenario comparison", "시나리오 비교"),
    "kind.name.pool": ("Pooled procurement", "공동 구매"),
    "kind.about.plan": ("the cheapest plan that meets the China-share glide path, proven optimal",
                        "중국 비중 감축 경로를 지키는 최저 비용 계획 (최적성 증명)"),
    "kind.about.risk": ("contracts chosen before disruptions are known: expected cost, CVaR and VaR, the value of "
                        "planning for the scenarios (VSS) and of knowing them (EVPI); needs RiskScenarios and "
                        "Disruptions sheets",
                        "공급 차질을 알기 전에 정하는 계약: 기대 비용, CVaR·VaR, 시나리오를 고려한 계획의 가치(VSS)와 "
                        "미리 아는 가치(EVPI); RiskScenarios와 Disruptions 시트 필요"),
    "kind.about.curve": ("what each point of less China dependence costs, with every exact breakpoint",
                         "중국 의존도를 1%p 낮출 때마다 드는 비용, 정확한 꺾은점 전부"),
    "kind.about.frontier": ("the trade-off between money spent and supply risk (Pareto points)",
                            "지출과 공급 위험 사이의 상충 관계 (파레토 점)"),
    "kind.about.compare": ("base data and every named scenario side by side, all cost curves on one chart",
                           "기본 자료와 모든 시나리오를 나란히, 비용 곡선을 한 차트에"),
    "kind.about.pool": ("buying together: coalition costs, fair cost shares and whether a proposed split holds",
                        "함께 구매할 때: 연합 비용, 공정한 비용 분담, 제안된 분담의 안정성"),
    "form.analysis": ("Analysis", "분석"),
    "form.auto": ("Chosen from the workbook's sheets", "워크북 시트에 맞게 자동 선택"),
    "form.analysis_hint": ("A risk workbook is analysed for risk unless you choose otherwise.",
                           "위험 시트가 있는 워크북은 따로 고르지 않으면 위험 분석을 합니다."),
    "form.scenario": ("Scenario (optional, a name from the workbook's Scenarios sheet):",
                      "시나리오 (선택, 워크북 Scenarios 시트의 이름):"),
    "form.base_data": ("base data", "기본 자료"),
    "form.options": ("Options", "옵션"),
    "form.alpha": ("CVaR level alpha", "CVaR 수준 alpha"),
    "form.beta": ("CVaR weight beta", "CVaR 가중치 beta"),
    "form.points": ("frontier points", "경계 점 수"),
    "form.measure": ("curve measure", "곡선 기준"),
    # ------------------------------------------------------------------ job page
    "job.scenario": ("scenario {name}", "시나리오 {name}"),
    "job.working": ("Working on it:", "처리 중:"),
    "job.cancel": ("Cancel the run", "실행 취소"),
    "job.reload": ("Reload this page to see the progress.", "진행 상황을 보려면 페이지를 새로 고치십시오."),
    "job.invalid": ("The workbook has {errors} error(s).", "워크북에 오류가 {errors}개 있습니다."),
    "job.invalid_warnings": ("It also has {warnings} warning(s).", "경고도 {warnings}개 있습니다."),
    "job.fix": ("Fix them and upload it again.", "고친 뒤 다시 올리십시오."),
    "job.failed": ("The run failed: {error}", "실행 실패: {error}"),
    "job.cancelled": ("Cancelled: the run was stopped before it finished.", "취소됨: 실행이 끝나기 전에 중단되었습니다."),
    "job.download": ("Download the result workbook", "결과 워크북 내려받기"),
    "job.other": ("Analyse this upload another way", "같은 파일로 다른 분석 실행"),
    "job.run": ("Run", "실행"),
    "job.scenarios_known": ("Scenarios in this workbook:", "이 워크북의 시나리오:"),
    "job.warnings": ("Warnings", "경고"),
    "stage.queued": ("queued", "대기 중"),
    "stage.validating": ("validating", "검사 중"),
    "stage.solving": ("solving", "계산 중"),
    "stage.writing": ("writing", "결과 작성 중"),
    "stage.done": ("done", "완료"),
    "stage.invalid": ("invalid", "입력 오류"),
    "stage.failed": ("failed", "실패"),
    "status.optimal": ("proven optimal", "최적성 증명됨"),
    "yes": ("yes", "예"),
    "no": ("no", "아니요"),
    # ------------------------------------------------------------------ plan
    "plan.ignored": ("This is the plain plan: the {sheets} sheet(s) of this workbook are not used by it. Choose the "
                     "risk analysis below to plan for them.",
                     "일반 조달 계획입니다. 이 워크북의 {sheets} 시트는 사용하지 않았습니다. 이를 반영하려면 아래에서 "
                     "위험 분석을 선택하십시오."),
    "plan.missed": ("Targets missed", "달성하지 못한 목표"),
    "plan.target": ("target", "목표"),
    "plan.missing": ("what is missing", "부족한 부분"),
    "plan.penalty_col": ("penalty in the objective ({cur} M, not money spent)", "목적함수의 벌점 ({cur} 백만, 실제 지출 아님)"),
    "plan.money_disc": ("Money spent (discounted)", "지출 (할인)"),
    "plan.money_undisc": ("Money spent (undiscounted)", "지출 (할인 전)"),
    "plan.unmet": ("Unmet demand", "미충족 수요"),
    "plan.unmet_text": ("{t} t in {n} material-year(s)", "{n}개 광물-연도에 {t} t"),
    "plan.none": ("none", "없음"),
    "plan.scenario": ("Scenario", "시나리오"),
    "plan.money_spent": ("money spent", "지출"),
    "plan.cur_disc": ("{cur} M, discounted", "{cur} 백만, 할인"),
    "plan.undisc": ("undiscounted", "할인 전"),
    "plan.not_money": ("in the objective but not money", "목적함수에 있으나 지출이 아닌 항목"),
    "plan.objective": ("objective minimised (money + penalties + risk charge)", "최소화한 목적함수 (지출 + 벌점 + 위험 부담)"),
    "plan.rerun": ("Run again with scenario", "다른 시나리오로 다시 실행"),
    "plan.share_h": ("China share by year vs target", "연도별 중국 비중과 목표"),
    "plan.no_cap": ("no cap", "상한 없음"),
    "plan.over": ("OVER TARGET", "목표 초과"),
    "plan.dep_h": ("Dependence of all capped materials: China direct and look-through",
                   "상한이 있는 모든 광물의 의존도: 중국 직접 및 공급망 추적"),
    "plan.suppliers_h": ("Largest suppliers over the horizon", "전체 기간 주요 공급처"),
    "plan.weak_h": ("Weakest points: time-to-survive", "가장 약한 고리: 버틸 수 있는 기간"),
    "plan.china_direct": ("China, direct", "중국, 직접"),
    "plan.china_lt": ("China, look-through", "중국, 공급망 추적"),
    "plan.largest_direct": ("largest single country, direct", "최대 단일 국가, 직접"),
    "plan.largest_lt": ("largest single country, look-through", "최대 단일 국가, 공급망 추적"),
    "plan.dep_hint": ("Share of demand value. Direct = the country the supplier sells from; look-through = a product's "
                      "largest share at any processing stage (mining, separation, metal, magnet), including what "
                      "Korea converts from imported inputs.",
                      "수요 가치 대비 비중. 직접 = 공급처가 판매하는 국가; 공급망 추적 = 모든 공정 단계(채굴, 분리, 금속, "
                      "자석) 중 가장 큰 비중, 수입 원료를 국내에서 전환한 것 포함."),
    "plan.demand_t": ("demand (t)", "수요 (t)"),
    "plan.unmet_t": ("unmet (t)", "미충족 (t)"),
    "plan.share": ("share", "비중"),
    "plan.name": ("name", "이름"),
    "plan.bloc": ("bloc", "블록"),
    "plan.tonnes": ("tonnes", "물량 (t)"),
    "plan.cost_col": ("cost ({cur} M)", "비용 ({cur} 백만)"),
    "plan.weeks": ("weeks", "주"),
    "plan.lost": ("lost over a year (t)", "1년간 손실 (t)"),
    "plan.weak_hint": ("Weeks each year's demand is met if the source stops at the start of the year, from the plan's "
                       "stock and the other sources' capacity (52 = the whole year). All rows are in the result "
                       "workbook's TimeToSurvive sheet.",
                       "그 공급처가 연초에 멈출 때 계획의 재고와 다른 공급처 용량으로 그해 수요를 맞출 수 있는 주 수 "
                       "(52 = 1년 전체). 전체 행은 결과 워크북의 TimeToSurvive 시트에 있습니다."),
    "chart.mix": ("Sourcing mix by year ({basis} of all purchases, by bloc)", "연도별 조달 구성 (전체 구매의 {basis}, 블록별)"),
    "chart.share": ("China share of the whole vs the glide path (target)", "전체 중 중국 비중과 감축 경로 (목표)"),
    "col.year": ("year", "연도"),
    "col.scope": ("scope", "범위"),
    "col.china_share": ("China share", "중국 비중"),
    "col.within": ("within target", "목표 이내"),
    "col.scenario": ("scenario", "시나리오"),
    "col.probability": ("probability", "확률"),
    "col.material": ("material", "광물"),
    "col.source": ("source", "공급처"),
    "col.member": ("member", "참여자"),
    "col.point": ("point", "점"),
    "col.grid": ("grid point", "격자점"),
    "col.severity": ("severity", "심각도"),
    "col.sheet": ("sheet", "시트"),
    "col.cell": ("cell", "셀"),
    "col.value": ("value", "값"),
    "col.message": ("message (as sourcing validate prints it)", "메시지 (sourcing validate 출력과 동일)"),
    # ------------------------------------------------------------------ risk
    "risk.status": ("Risk plan over {n} scenarios: {status}", "{n}개 시나리오에 대한 위험 대비 계획: {status}"),
    "risk.expected": ("Expected cost", "기대 비용"),
    "risk.cvar": ("CVaR at alpha {alpha}", "CVaR (alpha {alpha})"),
    "risk.var": ("VaR at alpha {alpha}", "VaR (alpha {alpha})"),
    "risk.objective": ("Objective minimised: expected cost + {beta} x CVaR (a weighted sum, not a cost)",
                       "최소화한 목적함수: 기대 비용 + {beta} x CVaR (가중합이며 비용이 아님)"),
    "risk.vss": ("Value of planning for the scenarios (VSS)", "시나리오를 고려한 계획의 가치 (VSS)"),
    "risk.evpi": ("Value of knowing the scenario in advance (EVPI)", "시나리오를 미리 아는 가치 (EVPI)"),
    "risk.gloss_cvar": ("CVaR is the mean cost of the worst {tail} of scenarios; VaR the cost exceeded with "
                        "probability at most {tail}.",
                        "CVaR는 가장 나쁜 {tail} 시나리오의 평균 비용이고, VaR는 {tail} 이하의 확률로만 넘는 비용입니다."),
    "risk.gloss_vss": ("VSS: how much worse the plan made for the average scenario does when the real scenarios "
                       "come (EEV - RP).",
                       "VSS: 평균 시나리오에 맞춘 계획이 실제 시나리오에서 얼마나 더 나쁜가 (EEV - RP)."),
    "risk.gloss_evpi": ("EVPI: how much would be saved if the scenario were known before contracting (RP - WS).",
                        "EVPI: 계약 전에 시나리오를 안다면 절약할 수 있는 금액 (RP - WS)."),
    "risk.split": ("Of the expected cost: money spent {money}, penalties of missed targets {pen} (not money), risk "
                   "charge {rc} (a weight).",
                   "기대 비용 중 지출 {money}, 목표 미달 벌점 {pen} (지출 아님), 위험 부담 {rc} (가중치)."),
    "risk.chart": ("Cost per scenario ({cur} M; bar width = probability; red = above VaR)",
                   "시나리오별 비용 ({cur} 백만; 막대 너비 = 확률; 빨강 = VaR 초과)"),
    "risk.chart_hint": ("Scenarios cheapest first; lines: expected cost (E), VaR and CVaR.",
                        "비용이 낮은 시나리오부터; 선: 기대 비용(E), VaR, CVaR."),
    "risk.tip": ("{scenario}: probability {p}, cost {cost}", "{scenario}: 확률 {p}, 비용 {cost}"),
    "risk.scenarios_h": ("Cost per scenario", "시나리오별 비용"),
    "risk.cost_col": ("cost ({cur} M: money + penalties + risk charge)", "비용 ({cur} 백만: 지출 + 벌점 + 위험 부담)"),
    "risk.ws_col": ("wait-and-see cost (the scenario known in advance)", "사후 최적 비용 (시나리오를 미리 알 때)"),
    "risk.above_var": ("above VaR", "VaR 초과"),
    "risk.contracts_h": ("First stage: volumes contracted in advance (largest)", "1단계: 미리 계약한 물량 (큰 순)"),
    "risk.contracted": ("contracted (t)", "계약량 (t)"),
    "risk.price": ("contract price ({cur}/kg)", "계약 가격 ({cur}/kg)"),
    "risk.weak_h": ("Most exposed sources", "위험 노출이 큰 공급처"),
    "risk.rei": ("risk exposure index", "위험 노출 지수"),
    "risk.min_tts": ("shortest time-to-survive (weeks)", "최단 버틸 수 있는 기간 (주)"),
    # ------------------------------------------------------------------ curve, frontier, compare
    "curve.status": ("Exact cost curve: {n} breakpoints from {high} down to {low}",
                     "정확한 비용 곡선: {high}에서 {low}까지 꺾은점 {n}개"),
    "curve.what": ("What moves", "움직이는 목표"),
    "curve.lowest": ("Lowest achievable share", "달성 가능한 최저 비중"),
    "curve.money_range": ("Money spent, start → end", "지출, 시작 → 끝"),
    "curve.chart": ("Money spent against the target ({cur} M; tighter to the right)",
                    "목표에 따른 지출 ({cur} 백만; 오른쪽일수록 엄격)"),
    "curve.chart_hint": ("Every dot is a breakpoint of the exact curve: hover for its cost and the cost of one "
                         "point tighter.",
                         "점마다 정확한 곡선의 꺾은점입니다. 마우스를 올리면 비용과 1%p 더 낮출 때의 비용이 보입니다."),
    "curve.tip": ("{kind} at {target}: money spent {money}; {per_pp} per point tighter; objective {cost} "
                  "({cost_pp} per point)",
                  "{target}의 {kind}: 지출 {money}; 1%p 더 낮추면 {per_pp}; 목적함수 {cost} (1%p당 {cost_pp})"),
    "curve.table_h": ("Breakpoints", "꺾은점"),
    "curve.money_col": ("money spent ({cur} M)", "지출 ({cur} 백만)"),
    "curve.per_pp_col": ("money for 1 pp tighter ({cur} M)", "1%p 더 낮추는 비용 ({cur} 백만)"),
    "curve.short_col": ("stock below target (t)", "비축 목표 미달 (t)"),
    "curve.cost_col": ("objective ({cur} M)", "목적함수 ({cur} 백만)"),
    "curve.more": ("{n} more rows in the result workbook", "나머지 {n}행은 결과 워크북에 있습니다"),
    "kind.lowest achievable share": ("lowest achievable share", "달성 가능한 최저 비중"),
    "kind.end of range": ("end of range", "범위 끝"),
    "kind.start": ("start", "시작"),
    "kind.breakpoint": ("breakpoint", "꺾은점"),
    "frontier.status": ("Cost-risk frontier: {n} Pareto points ({solves} solves)", "비용-위험 경계: 파레토 점 {n}개 (계산 {solves}회)"),
    "frontier.about": ("Cost = money spent + penalties of missed targets; risk = {risk}.",
                       "비용 = 지출 + 목표 미달 벌점; 위험 = {risk}."),
    "frontier.chart": ("Cost against risk ({cur} M)", "위험에 따른 비용 ({cur} 백만)"),
    "frontier.tip": ("cost {cost}, risk {risk}", "비용 {cost}, 위험 {risk}"),
    "frontier.penalties": ("penalties ({cur} M, not money)", "벌점 ({cur} 백만, 지출 아님)"),
    "frontier.risk_col": ("risk: {risk}", "위험: {risk}"),
    "compare.status": ("Scenario comparison: {n} runs", "시나리오 비교: {n}개 실행"),
    "compare.chart": ("Every scenario's cost curve: money spent against the target ({cur} M)",
                      "모든 시나리오의 비용 곡선: 목표에 따른 지출 ({cur} 백만)"),
    "compare.tip": ("{scenario} at {target}: money spent {money}", "{scenario}, {target}: 지출 {money}"),
    "compare.unmet": ("unmet demand (t)", "미충족 수요 (t)"),
    # ------------------------------------------------------------------ pool
    "pool.status": ("Pooled procurement: {status}", "공동 구매: {status}"),
    "pool.grand": ("Pooled cost (all members together)", "공동 구매 비용 (전원 참여)"),
    "pool.alone": ("Sum of stand-alone costs", "단독 구매 비용 합계"),
    "pool.savings": ("Savings from pooling", "공동 구매 절감액"),
    "pool.grand_savings": ("Grand-coalition savings", "전체 연합 절감액"),
    "pool.core": ("Core (splits no group of members would leave)", "코어 (어떤 참여자 집단도 이탈하지 않는 분담)"),
    "pool.core_non-empty": ("non-empty", "존재함"),
    "pool.core_empty": ("empty", "없음"),
    "pool.core_none": ("not computed", "계산하지 않음"),
    "pool.verdict_h": ("The proposed split", "제안된 분담"),
    "pool.in_core": ("In the core: no member or group of members pays more than it would alone.",
                     "코어 안에 있음: 어떤 참여자나 집단도 단독보다 더 내지 않습니다."),
    "pool.blocked": ("NOT in the core: {coalition} would save {gain} {unit} by leaving ({n} blocking coalition(s)).",
                     "코어 밖: {coalition}이(가) 이탈하면 {gain} {unit}을(를) 절약합니다 (이탈 유인이 있는 연합 {n}개)."),
    "pool.share": ("share", "분담률"),
    "pool.pays": ("pays", "부담액"),
    "pool.alone_col": ("stand-alone", "단독 구매"),
    "pool.saving": ("saving", "절감액"),
    "pool.better": ("better off than alone?", "단독보다 유리?"),
    "pool.chart": ("Shares by method, member by member ({unit})", "참여자별, 방법별 분담액 ({unit})"),
    "pool.triangle": ("The core on the imputation triangle", "배분 삼각형 위의 코어"),
    "pool.triangle_hint": ("Each corner: that member keeps all the savings. Green: the core (no member or pair pays "
                           "more than on its own). Red square: the proposed split; dots: the methods.",
                           "각 꼭짓점: 그 참여자가 절감액을 모두 가짐. 초록: 코어 (어떤 참여자나 두 참여자도 따로 할 때보다 "
                           "더 내지 않음). 빨간 사각형: 제안된 분담; 점: 각 방법."),
    "pool.shares_h": ("{word} shares by method ({unit})", "방법별 {word} 분담 ({unit})"),
    "pool.cost": ("Cost", "비용"),
    "pool.savings_word": ("Savings", "절감액"),
    "pool.in_core_q": ("in the core?", "코어 안?"),
    "pool.NO": ("NO", "아니요"),
    "method.prop_volume": ("Proportional to volume", "물량 비례"),
    "method.prop_standalone": ("Proportional to stand-alone cost", "단독 비용 비례"),
    "method.pay_as_you_take": ("Own deliveries at pool prices", "공동 가격으로 자기 물량"),
    "method.shapley": ("Shapley", "섀플리"),
    "method.nucleolus": ("Nucleolus", "핵인"),
    "method.least_core": ("Least core (nearest Shapley)", "최소 코어 (섀플리에 가장 가까운)"),
    "method.owen": ("Owen (dual prices)", "오언 (쌍대 가격)"),
    "method.proposed": ("Proposed split", "제안된 분담"),
    # ------------------------------------------------------------------ terms the views layer names (term())
    "term.purchases": ("purchases", "구매"),
    "term.holding": ("holding", "보관"),
    "term.capex": ("capex", "투자비"),
    "term.project opex": ("project opex", "사업 운영비"),
    "term.conversion": ("conversion", "전환 가공"),
    "term.risk charge": ("risk charge", "위험 부담"),
    "term.unmet demand penalty": ("unmet demand penalty", "미충족 수요 벌점"),
    "term.stock shortfall penalty": ("stock shortfall penalty", "비축 부족 벌점"),
    "term.stock below target": ("stock below target", "비축 목표 미달"),
    "term.unmet demand": ("unmet demand", "미충족 수요"),
    "term.(base data)": ("(base data)", "(기본 자료)"),
    "term.value share": ("value share", "가치 비중"),
    "term.tonnage share": ("tonnage share", "물량 비중"),
    "plan.gloss": ("Penalties are what the optimiser charges for a missed target: not money paid; the risk charge is "
                   "lambda x risk score x reference value x tonnes: a weight the optimiser trades against money, not "
                   "money paid.",
                   "벌점은 목표를 지키지 못할 때 최적화가 부과하는 값으로 실제 지출이 아닙니다. 위험 부담은 lambda x 위험 "
                   "점수 x 기준 가치 x 물량으로, 최적화가 지출과 맞바꾸는 가중치이며 실제 지출이 아닙니다."),
    # ------------------------------------------------------------------ errors
    "err.title": ("Error {code}", "오류 {code}"),
    "err.back": ("Back to the upload page", "올리기 화면으로 돌아가기"),
    "err.404": ("Not found: there is no such page or job (jobs are deleted some time after they finish).",
                "찾을 수 없음: 그런 페이지나 작업이 없습니다 (작업은 끝난 뒤 일정 시간이 지나면 삭제됩니다)."),
    "err.405": ("This method is not allowed here.", "여기서는 허용되지 않는 요청 방식입니다."),
    "err.too_big": ("The file is larger than the upload limit of {mb} MB. Remove unused sheets or rows and try again.",
                    "파일이 올리기 한도 {mb} MB보다 큽니다. 쓰지 않는 시트나 행을 지우고 다시 시도하십시오."),
    "err.no_file": ("No file was sent: choose an .xlsx workbook.", "파일이 전송되지 않았습니다: .xlsx 워크북을 선택하십시오."),
    "err.empty": ("The file is empty.", "파일이 비어 있습니다."),
    "err.param": ("The field '{name}' is out of its range.", "'{name}' 값이 허용 범위를 벗어났습니다."),
    "err.busy": ("The server is busy with other runs: try again in a minute.",
                 "서버가 다른 작업으로 바쁩니다: 잠시 후 다시 시도하십시오."),
    "err.client_busy": ("You already have {n} runs going: wait for one to finish (or cancel one) and try again.",
                        "이미 {n}개 작업이 진행 중입니다: 하나가 끝나거나 취소한 뒤 다시 시도하십시오."),
    "err.cross_site": ("Refused: this request came from another site.", "거부됨: 다른 사이트에서 온 요청입니다."),
    "err.csrf": ("Refused: the form's security token is missing or stale. Reload the page and try again.",
                 "거부됨: 양식의 보안 토큰이 없거나 만료되었습니다. 페이지를 새로 고친 뒤 다시 시도하십시오."),
    "err.no_result": ("No result workbook: the job is {status}.", "결과 워크북 없음: 작업 상태는 {status}입니다."),
    # ------------------------------------------------------------------ the outcome sentence (sourcing.views)
    "outcome.proven": ("Proven optimal", "최적성 증명됨"),
    "outcome.not_proven": ("{status}", "최적성 미증명 ({status})"),
    "outcome.all_met": (": all demand met and every stock target reached.", ": 모든 수요를 충족하고 모든 비축 목표를 달성했습니다."),
    "outcome.unmet": ("demand is not met in {n} material-years (largest: {material} {year}, {t} unmet)",
                      "{n}개 광물-연도에서 수요 미충족 (최대: {material} {year}, {t} 미충족)"),
    "outcome.stock": ("stock targets are missed in {n} material-years (largest: {material} {year}, {t} short)",
                      "{n}개 광물-연도에서 비축 목표 미달 (최대: {material} {year}, {t} 부족)"),
    "outcome.but": ("{base}, but {parts}.", "{base}. 단, {parts}."),
    # ------------------------------------------------------------------ terminal headlines
    "cli.solved": ("Solved: the plan is proven optimal.", "해결: 계획의 최적성이 증명되었습니다."),
    "cli.money_total": ("Money spent (discounted): {money}", "지출 (할인): {money}"),
    "cli.money_undisc": ("Money spent (undiscounted): {money}", "지출 (할인 전): {money}"),
    "cli.not_proven": ("[NOT proven optimal]", "[최적성 미증명]"),
    "cli.missed": ("Targets missed: {unmet} material-year(s) of unmet demand, {stock} below the stock target "
                   "(penalties {pen}, not money spent)",
                   "달성하지 못한 목표: 수요 미충족 {unmet}개 광물-연도, 비축 목표 미달 {stock}개 (벌점 {pen}, 지출 아님)"),
    "cli.risk_charge": ("Risk charge: {money} (a weight, not money paid)", "위험 부담: {money} (가중치이며 지출 아님)"),
    "cli.objective": ("Objective minimised (money + penalties + risk charge): {money}",
                      "최소화한 목적함수 (지출 + 벌점 + 위험 부담): {money}"),
    "cli.result_workbook": ("Result workbook: {path}", "결과 워크북: {path}"),
    "cli.risk_expected": ("Expected cost: {money}", "기대 비용: {money}"),
    "cli.risk_cvar": ("CVaR {alpha}: {cvar}; VaR {alpha}: {var}", "CVaR {alpha}: {cvar}; VaR {alpha}: {var}"),
    "cli.risk_values": ("Value of planning for the scenarios (VSS): {vss}; value of knowing the scenario in advance "
                        "(EVPI): {evpi}",
                        "시나리오를 고려한 계획의 가치 (VSS): {vss}; 시나리오를 미리 아는 가치 (EVPI): {evpi}"),
    "cli.pool_verdict_in": ("Proposed split: in the core", "제안된 분담: 코어 안"),
    "cli.pool_verdict_out": ("Proposed split: NOT in the core: {coalition} would save {gain} by leaving",
                             "제안된 분담: 코어 밖: {coalition}이(가) 이탈하면 {gain} 절약"),
}


def check(lang: str | None) -> str:
    """A supported language code, else the default (English)."""
    return lang if lang in LANGS else DEFAULT


def t(key: str, lang: str | None = DEFAULT, **values) -> str:
    """The text of ``key`` in ``lang`` with its placeholders filled (KeyError for an unknown key)."""
    text = MESSAGES[key][LANGS.index(check(lang))]
    return text.format(**values) if values else text


def term(text, lang: str | None = DEFAULT):
    """A term the views layer writes in English (a cost part, a kind of missed target), in ``lang``;
    anything not in the catalogue (a supplier name, a material id) unchanged."""
    key = f"term.{text}"
    return t(key, lang) if isinstance(text, str) and key in MESSAGES else text


def pick(accept_language: str | None) -> str:
    """The first of our languages the browser lists (by q weight), else English.

    >>> pick("ko-KR,ko;q=0.9,en-US;q=0.8")
    'ko'
    """
    best, best_q = DEFAULT, -1.0
    for k, part in enumerate((accept_language or "").split(",")[:20]):
        bits = part.strip().split(";")
        code = bits[0].strip().lower().split("-")[0]
        q = 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        if code in LANGS and q - k * 1e-6 > best_q:
            best, best_q = code, q - k * 1e-6
    return best


def krw(value_m: float, digits: int = 1) -> str:
    """Korean won given in millions as 억 원 (below 1조) or 조 원: 452,500 M -> '4,525.0억 원'."""
    sign = "-" if value_m < 0 else ""
    v = abs(value_m)
    if v >= 1_000_000:
        return f"{sign}{v / 1_000_000:,.{max(digits, 2)}f}조 원"
    return f"{sign}{v / 100:,.{digits}f}억 원"


def money(value_m, currency: str = "USD", lang: str | None = DEFAULT, digits: int = 1) -> str:
    """Currency millions as shown to a person: '4,525.3 USD M' (Korean: '4,525.3 백만 USD'), KRW in 억/조 원."""
    if value_m is None or (isinstance(value_m, float) and not math.isfinite(value_m)):
        return "n/a"
    cur = (currency or "USD").strip()
    if cur.upper() in ("KRW", "WON", "원"):
        return krw(float(value_m), digits)
    if check(lang) == "ko":
        return f"{float(value_m):,.{digits}f} 백만 {cur}"
    return f"{float(value_m):,.{digits}f} {cur} M"


# --------------------------------------------------------------------------- workbook labels
# The result workbook's sheet titles, section titles and column headers (English as the report layer
# writes them, the currency as {cur}) -> Korean.  Sheet names are never translated (formulas and
# scripts refer to them).  A label not listed here stays in English.


_CURRENCY = re.compile(r"\b[A-Z]{3}(?=( M\b|/kg| M,| M-|/t\b))")
_WORKBOOK_LANG: contextvars.ContextVar[str | None] = contextvars.ContextVar("workbook_lang", default=None)


@contextlib.contextmanager
def workbook_language(lang: str | None):
    """Within the block, workbook labels written through :func:`label` are in ``lang`` (None: leave
    the current choice)."""
    token = _WORKBOOK_LANG.set(check(lang)) if lang else None
    try:
        yield
    finally:
        if token is not None:
            _WORKBOOK_LANG.reset(token)


def workbook_lang() -> str | None:
    return _WORKBOOK_LANG.get()


def label(text, lang: str | None = None):
    """A workbook label (sheet title, section, column header) in the workbook's language: the one
    function the report layer's labels pass through on their way to the writer."""
    lang = lang or _WORKBOOK_LANG.get()
    if lang != "ko" or not isinstance(text, str):
        return text
    m = _CURRENCY.search(text)
    key = _CURRENCY.sub("{cur}", text)
    ko = LABELS_KO.get(key)
    if ko is None:
        for pattern, template in LABEL_PATTERNS_KO:
            hit = pattern.fullmatch(text)
            if hit:
                return template.format(*hit.groups())
        if "; " in text:      # glosses joined by '; ': each part on its own
            parts = text.split("; ")
            done = [label(part, lang) for part in parts]
            if all(d != p for d, p in zip(done, parts)):
                return "; ".join(done)
        return text
    return ko.replace("{cur}", m.group(0)) if m else ko
