"""The console in a real browser: headless Chromium signs in, starts a grant, records a payment, sees a refusal.

The console runs under uvicorn in the test's event loop (beside the worker); the browser is driven from a thread
over its DevTools pipe. Screenshots are kept in the test's temporary directory.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tests.api.conftest import PASSWORD, application, bearer
from tests.e2e.chromium import Chromium
from tests.e2e.cli_support import free_port
from tests.workflows.support import new_grant_no

pytestmark = pytest.mark.slow

FILL_AND_SUBMIT = """
(() => {{
  const form = document.querySelector('main form');
  for (const [name, value] of Object.entries({values})) form.elements[name].value = value;
  form.submit();
}})()
"""


class Browser(Chromium):
    def submit(self, values: dict[str, str], *, until: str, within: float = 30) -> str:
        """Fill the page's form, submit it, and return the next page's text once it shows `until`."""
        self._call("Runtime.evaluate", session=True, expression=FILL_AND_SUBMIT.format(values=json.dumps(values)))
        return self.wait_for(until, within)

    def wait_for(self, until: str, within: float = 30) -> str:
        deadline, text = time.monotonic() + within, ""
        while time.monotonic() < deadline:
            text = self.text()
            if until in text:
                return text
            time.sleep(0.2)
        return text

    def sign_in(self, base: str, username: str) -> str:
        self.open(f"{base}/signin?lang=zh", until="登录")  # Chromium asks for English; this office reads Chinese
        return self.submit({"username": username, "password": PASSWORD}, until="当前用户")


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


async def test_an_officer_starts_a_grant_and_finance_pays_and_sees_a_refusal_in_the_browser(
    served: str, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    grant_no = new_grant_no()
    form = {key: str(value) for key, value in application(grant_no).items()}
    browser = Browser(tmp_path / "chromium-profile")
    try:
        await asyncio.to_thread(browser.sign_in, served, "wang.officer")
        await asyncio.to_thread(browser.open, f"{served}/apply", until="项目编号")
        applied = await asyncio.to_thread(browser.submit, form, until="时间线")
        browser.screenshot(tmp_path / "console-applied.png")
        assert grant_no in applied, "the grant's page follows the application"

        await _approve_and_appropriate(http, grant_no)

        await asyncio.to_thread(browser.sign_in, served, "zhao.finance")
        await asyncio.to_thread(browser.open, f"{served}/grants/{grant_no}", until="登记拨付")
        await asyncio.to_thread(browser.open, f"{served}/grants/{grant_no}/disburse", until="收款单位")
        payment = {"amount": "50000.00", "paid_on": "2020-04-01", "payee": "长沙市计生协"}
        paid = await asyncio.to_thread(browser.submit, payment, until="50,000.00")
        browser.screenshot(tmp_path / "console-paid.png")
        assert "DisbursementRecorded" in paid, "the payment is on the timeline"

        await asyncio.to_thread(browser.open, f"{served}/grants/{grant_no}/disburse", until="收款单位")
        refused = await asyncio.to_thread(browser.submit, {**payment, "amount": "150000.00"}, until="未记录")
        browser.screenshot(tmp_path / "console-refused.png")
        assert "[R3]" in refused, "the refusal names the rule: a large payment needs a collective decision first"
    finally:
        browser.__exit__()
    assert (tmp_path / "console-refused.png").stat().st_size > 0


async def _approve_and_appropriate(http: httpx.AsyncClient, grant_no: str) -> None:
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("li.approver", "approve", {"approved": "200000.00"}),
        (
            "zhao.finance",
            "notice",
            {
                "document_no": "湘财社指〔2020〕7号",
                "issuer": "湖南省财政厅",
                "issued_on": "2020-03-01",
                "amount": "200000.00",
            },
        ),
        ("chen.recipient", "acknowledge", {}),
    ]
    for username, slug, body in steps:
        response = await http.post(f"/api/grants/{grant_no}/{slug}", json=body, headers=await bearer(http, username))
        assert response.status_code == 200, response.text
