"""The smoke grid's report as a reader sees it, in a real browser: Debian's chromium driven by
Selenium (installed by .ci/run; skipped, with the reason shown, where they are missing)."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from pipeline_helpers import snakemake

from pai.config import registry
from pai.reporting import plots

SMOKE = ("--configfile", "presets/smoke.yaml")
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
SIZES = [(1280, 800), (1920, 1080)]
# where the test leaves its screenshots for the README (docs/figures), when asked
SCREENSHOTS = os.environ.get("PAI_REPORT_SCREENSHOTS")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
if not (CHROMIUM and DRIVER):
    pytest.skip(
        "no chromium and chromedriver on PATH (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def report(smoke_run) -> Path:
    snakemake(smoke_run, *SMOKE, "--report", "browser_report.html")
    return smoke_run / "browser_report.html"


@pytest.fixture
def browser():
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver, report: Path, size: tuple[int, int]) -> None:
    driver.set_window_rect(width=size[0], height=size[1])
    driver.get(report.as_uri())
    # the report is a JavaScript app: wait until it has drawn the landing page
    for _ in range(100):
        if driver.execute_script("return document.querySelectorAll('h1').length > 1"):
            return
        time.sleep(0.1)
    raise AssertionError("the report drew no landing page within 10 s")


def _find(driver, xpath: str, seconds: float = 10.0):
    """The element at ``xpath`` once the report has drawn it: a click only starts the drawing
    of the page it opens (a CI run looked for a row before it was there)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(
        expected_conditions.element_to_be_clickable((By.XPATH, xpath)),
        f"nothing clickable at {xpath} within {seconds} s",
    )


def _box(driver, script: str):
    return driver.execute_script(
        f"const e = {script}; if (!e) return null; const r = e.getBoundingClientRect();"
        "return {top: r.top, left: r.left, bottom: r.bottom, right: r.right};"
    )


def _heading(text: str) -> str:
    return f"[...document.querySelectorAll('h1')].find(e => e.innerText.trim() === {text!r})"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_landing_page_starts_at_its_title(report, browser, size):
    _open(browser, report, size)
    title = browser.execute_script(
        "return [...document.querySelectorAll('h1')].map(e => e.innerText)"
        ".find(t => t.startsWith('Pruning at initialization'))"
    )
    assert title, "the report's landing page has no title"
    for heading in (title, "What was run"):
        box = _box(browser, _heading(heading))
        # a negative position lies above or left of the scrollable area: it can never be seen
        assert box["top"] >= 0 and box["left"] >= 0, (heading, box)
    first = _box(browser, _heading(title))
    assert first["top"] < size[1], f"the title starts below the window: {first}"
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(SCREENSHOTS) / f"report_landing_{size[0]}.png"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_table_cell_lies_under_the_rule_graph(report, browser, size):
    _open(browser, report, size)
    graph = _box(browser, "document.querySelector('#app .vega-embed')")
    cells = browser.execute_script(
        "return [...document.querySelectorAll('#app .prose td, #app .prose th')].map(e => {"
        "const r = e.getBoundingClientRect();"
        "return {text: e.innerText, top: r.top, left: r.left, bottom: r.bottom, right: r.right};"
        "})"
    )
    assert cells, "the landing page shows no table"
    if graph is None:
        return  # no graph drawn: nothing can lie under it
    under = [
        cell["text"]
        for cell in cells
        if cell["left"] < graph["right"]
        and cell["right"] > graph["left"]
        and cell["top"] < graph["bottom"]
        and cell["bottom"] > graph["top"]
    ]
    assert not under, f"table cells under the rule graph: {under[:5]}"


def _report_data(report: Path, name: str) -> dict:
    """A JavaScript object of the report (``var name = {...};``) as Python."""
    match = re.search(rf"var {name} = (\{{.*?\}});\n", report.read_text(), re.DOTALL)
    assert match, f"the report has no {name}"
    return json.loads(match.group(1))


def test_every_figure_and_table_of_each_paper_opens_in_the_page(report, browser):

    categories = _report_data(report, "categories")
    results = _report_data(report, "results")
    filed = {
        path: paper
        for paper in registry.PAPERS
        for paths in categories.get(paper, {}).values()
        for path in paths
    }
    assert {f"results/figures/{name}.png" for name in registry.FIGURES} <= set(filed)
    assert any(path.endswith(".html") for path in filed)  # the tables
    for path, paper in filed.items():
        _open(browser, report, SIZES[0])
        _find(browser, f"//span[normalize-space(text())={paper!r}]").click()
        # a paper's page lists its results by what they show (their labels), not by file name
        shown_as = results[path]["labels"]["result"]
        _find(
            browser, f"//td[normalize-space(text())={shown_as!r}]/following-sibling::td"
            "//a[@iconname='eye']",
        ).click()  # fmt: skip
        # a figure opens as an image, a table as a page of its own (an iframe) holding a table
        assert _opened(browser, Path(path).name), f"{path} does not open under {paper!r}"


def test_a_figure_is_shown_as_wide_as_its_labels_were_sized_for(report, browser):
    """plots.REPORT_FIGURE_PX, which the figures' font sizes assume, is the width the report
    gives an opened figure in a 1400 px window (the results menu beside it held narrow)."""

    results = _report_data(report, "results")
    path = "results/figures/ablations.png"
    paper = registry.FIGURES["ablations"].paper
    browser.set_window_rect(width=1400, height=1000)
    _open(browser, report, (1400, 1000))
    _find(browser, f"//span[normalize-space(text())={paper!r}]").click()
    shown_as = results[path]["labels"]["result"]
    _find(
        browser, f"//td[normalize-space(text())={shown_as!r}]/following-sibling::td"
        "//a[@iconname='eye']",
    ).click()  # fmt: skip
    assert _opened(browser, Path(path).name)
    width, natural, menu_overflows = browser.execute_script(
        "const i = [...document.querySelectorAll('img')].find(e => e.naturalWidth > 0"
        " && (e.src || '').includes('filename=ablations.png'));"
        "const nav = document.querySelector('nav');"
        "return [i.getBoundingClientRect().width, i.naturalWidth,"
        " nav.scrollWidth > nav.clientWidth + 1];"
    )
    assert width >= min(natural, plots.REPORT_FIGURE_PX) - 1, (width, natural)
    assert not menu_overflows  # the menu's cells wrap instead of running out of it


def _opened(driver, name: str) -> bool:
    """Whether the result file ``name`` is shown: an image drawn, or a frame with a table."""
    from selenium.webdriver.common.by import By

    named = (
        "return [...document.querySelectorAll(arguments[1])].filter(e =>"
        " (e.src || '').includes('filename=' + arguments[0])"
        " && e.getBoundingClientRect().width > 0 && (e.tagName != 'IMG' || e.naturalWidth > 0))"
    )
    for _ in range(50):
        if driver.execute_script(named, name, "img"):
            return True
        for frame in driver.execute_script(named, name, "iframe"):
            # the frame holds a data: URL, another origin: look inside by switching to it
            driver.switch_to.frame(frame)
            try:
                if driver.find_elements(By.TAG_NAME, "table"):
                    return True
            finally:
                driver.switch_to.default_content()
        time.sleep(0.1)
    return False
