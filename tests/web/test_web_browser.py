"""End to end in headless Chromium (Debian's chromium + chromium-driver, driven by Selenium).

Skipped when selenium, chromium or chromedriver is missing (``.ci/run`` installs them).
The real server runs on 127.0.0.1 and a free port in a thread; solves run in its worker processes.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip("flask", reason="the web app needs flask")
selenium = pytest.importorskip("selenium", reason="browser tests need selenium (pip install selenium)")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from test_web_api import SAMPLE, XSS, live_server, write_broken, write_small  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs Debian's chromium and chromium-driver (apt-get install -y "
                                       "chromium chromium-driver)")
SOLVE_WAIT = 120   # seconds: generous for a slow CI machine; the loop ends as soon as the page is there


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("webdata"), max_upload_mb=5, keep_minutes=30) as (url, _app):
        yield url


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(tmp_path_factory, downloads):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,2200",
                 f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}"):
        opts.add_argument(flag)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False,
                                           "safebrowsing.enabled": False})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    except WebDriverException as exc:   # e.g. chromium and chromedriver versions differ
        pytest.skip(f"cannot start headless chromium: {exc.msg}")
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _upload(driver, base: str, path: Path) -> None:
    driver.get(base + "/")
    driver.find_element(By.ID, "file-input").send_keys(str(path))
    assert driver.find_element(By.ID, "file-name").text == path.name
    driver.find_element(By.ID, "upload-button").click()


def _wait_status(driver) -> str:
    el = WebDriverWait(driver, SOLVE_WAIT).until(EC.presence_of_element_located((By.ID, "status-text")))
    return el.text


def _no_alert(driver) -> bool:
    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


@pytest.fixture(scope="module")
def expected_first_year():
    """The sample's first-year China share and target as the page prints them (from solve_data)."""
    from optimizer.sourcing.run import RunOptions, solve_data
    from optimizer.sourcing.validate import load_and_validate
    ref, _, _ = solve_data(load_and_validate(str(SAMPLE)), RunOptions())
    row = ref.shares[ref.shares["scope"] == "ALL"].sort_values("year").iloc[0]
    return str(int(row["year"])), f"{100 * row['china_share']:.1f} %", f"{100 * row['target']:.1f} %"


def test_sample_summary_charts_and_download(browser, server, downloads, tmp_path, expected_first_year):
    year, share, target = expected_first_year
    _upload(browser, server, SAMPLE)
    WebDriverWait(browser, SOLVE_WAIT).until(EC.url_contains("/jobs/"))   # the upload's redirect, not a race with it
    status = _wait_status(browser)
    assert status.startswith("Proven optimal, but stock targets are missed in 12 material-years")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#missed tbody tr")) == 12
    rows = browser.find_elements(By.CSS_SELECTOR, "#china-share tbody tr")
    first = [td.text for td in rows[0].find_elements(By.TAG_NAME, "td")]
    assert len(rows) == 7 and first[:4] == [year, "ALL", share, target]
    assert browser.find_element(By.ID, "total-cost").text.endswith("USD M")
    assert browser.find_element(By.ID, "unmet-total").text == "none"

    # hover over the first China-share point: the tooltip shows its values
    point = browser.find_element(By.CSS_SELECTOR, f"#share-chart circle[data-tip^='{year} China share']")
    ActionChains(browser).move_to_element(point).perform()
    tip = WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "tooltip")))
    assert tip.text == f"{year} China share {share}, target {target}"
    browser.save_screenshot(str(tmp_path / "results.png"))
    assert (tmp_path / "results.png").stat().st_size > 10_000

    browser.find_element(By.ID, "download-link").click()
    target = downloads / "korea_2024_2030_result.xlsx"
    end = time.monotonic() + 60
    while time.monotonic() < end and not target.is_file():
        time.sleep(0.2)
    assert target.is_file(), f"no download in {downloads}: {list(downloads.iterdir())}"
    import openpyxl
    wb = openpyxl.load_workbook(target, read_only=True)
    assert wb.sheetnames[0] == "Summary"
    wb.close()


def test_broken_workbook_shows_cell_addressed_error(browser, server, tmp_path):
    _upload(browser, server, write_broken(tmp_path / "broken.xlsx"))
    status = _wait_status(browser)
    assert status.startswith("The workbook has 1 error(s)")
    rows = browser.find_elements(By.CSS_SELECTOR, "#issues-table tbody tr.error")
    cells = [td.text for td in rows[0].find_elements(By.TAG_NAME, "td")]
    assert cells[:4] == ["error", "Supply", "D3", "-5"]
    assert cells[4] == "ERROR Supply!D3 (value: -5): 'capacity (t)': must be at least 0"   # the CLI's line


def test_workbook_text_is_shown_not_run(browser, server, tmp_path):
    _upload(browser, server, write_small(tmp_path / "xss.xlsx"))
    assert _wait_status(browser).startswith("Proven optimal")
    names = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#suppliers tbody td:nth-child(2)")]
    assert XSS in names
    assert _no_alert(browser)


def test_oversize_file_is_refused_with_a_message(browser, server, tmp_path):
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"\0" * (5 * 1024 * 1024 + 1))        # the server fixture's limit is 5 MB
    _upload(browser, server, big)
    err = WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "upload-error")))
    assert err.text.startswith("The file is larger than the upload limit of 5 MB")
    assert browser.current_url.rstrip("/") == server           # nothing was sent


# --------------------------------------------------------------------------- every analysis (issue 15)
INPUTS = SAMPLE.parent
SHOTS = os.environ.get("SOURCING_SCREENSHOTS")      # a folder: keep a screenshot of every analysis page


def _shot(driver, name: str, tmp_path: Path) -> Path:
    path = Path(SHOTS) / f"{name}.png" if SHOTS else tmp_path / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def _run(driver, base: str, path: Path, analysis: str | None = None) -> str:
    driver.get(base + "/")
    driver.find_element(By.ID, "file-input").send_keys(str(path))
    if analysis:
        Select(driver.find_element(By.ID, "analysis-select")).select_by_value(analysis)
    driver.find_element(By.ID, "upload-button").click()
    return _wait_status(driver)


def _hover(driver, el) -> str:
    ActionChains(driver).move_to_element(el).perform()
    return WebDriverWait(driver, 10).until(EC.visibility_of_element_located((By.ID, "tooltip"))).text


def test_risk_sample_shows_cvar(browser, server, tmp_path):
    from optimizer.risk.run import run_risk
    ref = run_risk(str(INPUTS / "korea_2024_2030_risk.xlsx"))[0]
    status = _run(browser, server, INPUTS / "korea_2024_2030_risk.xlsx")       # chosen from its sheets
    assert status.startswith("Risk plan over 10 scenarios: proven optimal")
    assert browser.find_element(By.ID, "risk-cvar").text == f"{ref.cvar:,.2f} USD M"
    assert browser.find_element(By.ID, "risk-vss").text == f"{ref.vss:,.2f} USD M"
    bars = browser.find_elements(By.CSS_SELECTOR, "#risk-chart rect.hover")
    assert len(bars) == 10
    assert "probability" in _hover(browser, bars[-1])
    _shot(browser, "risk", tmp_path)


def test_curve_hover_shows_cost_and_cost_per_point(browser, server, tmp_path):
    _run(browser, server, SAMPLE, "curve")
    dots = browser.find_elements(By.CSS_SELECTOR, "#curve-chart circle.breakpoint")
    assert len(dots) > 100
    tip = _hover(browser, dots[len(dots) // 2])
    assert re.fullmatch(r"breakpoint at \d+\.\d\d %: money spent [\d,]+\.\d\d USD M; [\d,]+\.\d\d USD M per point "
                        r"tighter; objective [\d,]+\.\d\d USD M \([\d,.]+ USD M per point\)", tip), tip
    _shot(browser, "curve", tmp_path)


def test_compare_draws_every_curve_on_one_chart(browser, server, tmp_path):
    from optimizer.sourcing.overrides import list_scenarios
    from optimizer.sourcing.validate import load_and_validate
    n = 1 + len(list_scenarios(load_and_validate(str(SAMPLE), scenario="")))
    status = _run(browser, server, SAMPLE, "compare")
    assert status == f"Scenario comparison: {n} runs"
    lines = browser.find_elements(By.CSS_SELECTOR, "#compare-chart polyline.series")
    assert len(lines) == n and lines[0].get_attribute("data-scenario") == "base"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#compare-table tbody tr")) == n
    _shot(browser, "compare", tmp_path)


def test_frontier_chart(browser, server, tmp_path):
    assert _run(browser, server, SAMPLE, "frontier").startswith("Cost-risk frontier:")
    dots = browser.find_elements(By.CSS_SELECTOR, "#frontier-chart circle.hover")
    assert len(dots) >= 2 and _hover(browser, dots[0]).startswith("cost ")
    _shot(browser, "frontier", tmp_path)


def test_pool_names_the_blocking_coalition(browser, server, tmp_path):
    _run(browser, server, INPUTS / "pool_kr_jp_sg.xlsx")
    verdict = browser.find_element(By.ID, "verdict-text").text
    assert verdict.startswith("NOT in the core: JP+SG would save 1.12 USD M by leaving"), verdict
    assert browser.find_element(By.ID, "core-polygon").is_displayed()
    proposed = browser.find_element(By.CSS_SELECTOR, "#core-triangle rect.proposed")
    assert _hover(browser, proposed).startswith("Proposed split: KR ")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#pool-chart rect.hover")) >= 3 * 6
    _shot(browser, "pool", tmp_path)


def test_cross_origin_post_is_refused(browser, server, tmp_path):
    """A page on another origin that posts a form to the app: refused, and no job is made."""
    import http.server
    import threading
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "index.html").write_text(
        f'<form id="f" action="{server}/jobs" method="post" enctype="multipart/form-data">'
        '<input name="analysis" value="plan"><button id="go" type="submit">go</button></form>')
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(evil), **k)   # noqa: E731
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        browser.get(f"http://127.0.0.1:{other.server_port}/index.html")
        browser.find_element(By.ID, "go").click()
        msg = WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "error-message"))).text
    finally:
        other.shutdown()
        other.server_close()
    assert msg == "Refused: this request came from another site."
    assert "/jobs/" not in browser.current_url


def test_korean_page_renders_hangul(browser, server, tmp_path):
    fonts = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True).stdout
    assert "NanumGothic" in fonts, "install fonts-nanum (.ci/run does)"
    browser.get(server + "/?lang=ko")
    h1 = browser.find_element(By.TAG_NAME, "h1")
    assert h1.text == "워크북으로 핵심광물 조달 계획 세우기"
    # real glyphs, not tofu: two different syllables draw different pixels (tofu boxes are all alike), and
    # neither looks like the missing-glyph box; the heading has a width
    ink = browser.execute_script("""
        function draw(s) { var c = document.createElement('canvas'); c.width = 40; c.height = 40;
          var x = c.getContext('2d'); x.font = '32px NanumGothic'; x.fillText(s, 2, 32);
          return Array.from(x.getImageData(0, 0, 40, 40).data.filter(function (v, i) { return i % 4 === 3; })); }
        var a = draw('핵'), b = draw('심'), z = draw('\\u0378');
        function diff(p, q) { var n = 0; for (var i = 0; i < p.length; i++) n += Math.abs(p[i] - q[i]); return n; }
        return [document.fonts.check('20px NanumGothic', '한'), a.reduce(function (s, v) { return s + v; }, 0),
                diff(a, b), diff(a, z), arguments[0].getBoundingClientRect().width];""", h1)
    ok, total, ab, az, box = ink
    assert ok and total > 0 and ab > 1000 and az > 1000 and box > 100, ink
    _shot(browser, "korean", tmp_path)
    # a result page in Korean: the outcome sentence and the labels
    browser.find_element(By.ID, "file-input").send_keys(str(SAMPLE))
    browser.find_element(By.ID, "upload-button").click()
    assert _wait_status(browser).startswith("최적성 증명됨. 단, 12개 광물-연도에서 비축 목표 미달")
    assert browser.find_element(By.TAG_NAME, "h2").text == "달성하지 못한 목표"
    _shot(browser, "korean_plan", tmp_path)
    browser.find_element(By.ID, "lang-en").click()           # the switch, remembered for the next page
    assert _wait_status(browser).startswith("Proven optimal, but stock targets are missed in 12")
    browser.get(server + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
