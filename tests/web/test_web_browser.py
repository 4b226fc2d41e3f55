"""End to end in headless Chromium (Debian's chromium + chromium-driver, driven by Selenium).

Skipped when selenium, chromium or chromedriver is missing (``.ci/run`` installs them).
The real server runs on 127.0.0.1 and a free port in a thread; solves run in its worker processes.
"""
from __future__ import annotations

import shutil
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
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

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
