"""The HTML report as a reader sees it: rendered by headless Chromium, on screen and in print."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit.report import build_report
from audit.report_html import report_page
from audit.timeline import timeline
from audit.timeline_html import timeline_page
from domain.values import Money
from ledger.application import GrantLedger
from tests.audit.report_scenario import CHANGSHA, GENERATED_AT, YEAR, ZHUZHOU, A
from tests.e2e.chromium import Chromium

pytestmark = pytest.mark.slow

# For each chart: how many shapes it draws, and how big it is on the page.
CHARTS = """
Array.from(document.querySelectorAll('figure')).map((figure) => {
  const svg = figure.querySelector('svg');
  const box = svg.getBoundingClientRect();
  return {id: figure.id, svgs: figure.querySelectorAll('svg').length, shapes: svg.querySelectorAll('path').length,
          width: box.width, height: box.height};
})
"""


class Page(Chromium):
    def evaluate(self, expression: str) -> Any:
        result = self._call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result["result"].get("value")

    def width_of(self, element_id: str) -> float:
        return float(self.evaluate(f"document.getElementById('{element_id}').getBBox().width"))

    def height_of(self, element_id: str) -> float:
        return float(self.evaluate(f"document.getElementById('{element_id}').getBBox().height"))

    def pdf(self) -> bytes:
        data = self._call("Page.printToPDF", session=True, preferCSSPageSize=True, printBackground=True)["data"]
        return base64.b64decode(data)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    with Page(tmp_path_factory.mktemp("chromium-profile")) as page:
        yield page


def test_the_report_draws_its_charts_and_shows_the_ledger_s_totals(
    scenario_ledger: GrantLedger, browser: Page, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_text(report_page(build_report(scenario_ledger, YEAR), GENERATED_AT), encoding="utf-8")
    text = browser.open(page.as_uri(), until="审计发现")
    browser.screenshot(tmp_path / "report.png")
    assert "2020年度专项资金绩效评价报告" in text

    charts = {chart["id"]: chart for chart in browser.evaluate(CHARTS)}
    assert set(charts) == {"chart-execution-rate", "chart-money-over-time"}
    for chart in charts.values():
        assert chart["svgs"] == 1
        assert chart["shapes"] > 20, f"{chart['id']} draws its bars, axes and labels"
        assert chart["width"] > 300
        assert chart["height"] > 100
    # The bars have the lengths of the rates: Changsha 73.33 %, Zhuzhou 100 %.
    changsha, zhuzhou = browser.width_of(f"rate-chart-rate-{CHANGSHA}"), browser.width_of(f"rate-chart-rate-{ZHUZHOU}")
    assert changsha / zhuzhou == pytest.approx(0.7333, abs=0.001)
    # July's payments (115,000) against August's (45,000); September's return drawn below the axis.
    july, august = browser.height_of("money-chart-paid-2020-07"), browser.height_of("money-chart-paid-2020-08")
    assert july / august == pytest.approx(115 / 45, rel=0.01)
    assert browser.height_of("money-chart-returned-2020-09") > 0

    states = [scenario_ledger.state(grant_no) for grant_no in scenario_ledger.grant_numbers()]
    of_year = [state for state in states if state.application.fiscal_year == YEAR]
    for key, amount in {
        "total-appropriated": sum((state.appropriated for state in of_year), Money(0)),
        "total-disbursed": sum((state.disbursed for state in of_year), Money(0)),
        "total-returned": sum((state.returned for state in of_year), Money(0)),
        "total-net": sum((state.net_disbursed for state in of_year), Money(0)),
    }.items():
        assert browser.evaluate(f"document.getElementById('{key}').innerText") == amount.yuan()
    assert browser.evaluate("document.getElementById('total-rate').innerText") == "78.95%"


def test_the_report_prints_on_a4_landscape_with_charts_and_rows_kept_whole(
    scenario_ledger: GrantLedger, browser: Page, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_text(report_page(build_report(scenario_ledger, YEAR), GENERATED_AT), encoding="utf-8")
    browser.open(page.as_uri(), until="审计发现")
    assert browser.evaluate("getComputedStyle(document.querySelector('figure')).breakInside") == "auto"
    browser._call("Emulation.setEmulatedMedia", session=True, media="print")
    try:
        assert browser.evaluate("getComputedStyle(document.querySelector('figure')).breakInside") == "avoid"
        assert browser.evaluate("getComputedStyle(document.querySelector('tbody tr')).breakInside") == "avoid"
        assert browser.evaluate("getComputedStyle(document.querySelector('.charts')).display") == "block"
    finally:
        browser._call("Emulation.setEmulatedMedia", session=True, media="")
    pdf = browser.pdf()
    assert pdf.startswith(b"%PDF")
    assert set(re.findall(rb"/MediaBox \[0 0 (\d+)", pdf)) == {b"841"}, "every page A4 landscape (841.9 x 595 pt)"


def test_a_timeline_page_lists_every_event_with_its_running_totals(
    scenario_ledger: GrantLedger, browser: Page, tmp_path: Path
) -> None:
    page = tmp_path / "timeline.html"
    page.write_text(timeline_page(A, timeline(scenario_ledger, A), GENERATED_AT), encoding="utf-8")
    text = browser.open(page.as_uri(), until="GrantClosed")
    assert f"项目时间线 (timeline) · {A}" in text
    rows = browser.evaluate("Array.from(document.querySelectorAll('tbody tr')).map((row) => row.innerText)")
    assert len(rows) == len(scenario_ledger.history(A))
    returned = next(row for row in rows if "FundsReturned" in row)
    assert "90,000.00\t10,000.00" in returned, "disbursed and returned after the return"
