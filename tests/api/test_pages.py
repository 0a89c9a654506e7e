"""The pages: Chinese first, the actions a role may take, forms with field-level errors and refusals beside them."""

from __future__ import annotations

import httpx

from tests.api.conftest import application, bearer
from tests.api.test_security import browser_sign_in
from tests.workflows.support import new_grant_no


async def test_pages_speak_chinese_first_and_english_on_request(http: httpx.AsyncClient) -> None:
    await browser_sign_in(http, "wang.officer")

    chinese = await http.get("/grants")
    english = await http.get("/grants", params={"lang": "en"})
    remembered = await http.get("/grants")
    http.cookies.delete("grants_lang")
    by_browser = await http.get("/grants", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert "<h1>项目</h1>" in chinese.text
    assert "<h1>Grants</h1>" in english.text
    assert "<h1>Grants</h1>" in remembered.text, "the choice is remembered"
    assert "<h1>Grants</h1>" in by_browser.text


async def test_an_officer_applies_through_the_form_and_the_approver_sees_the_actions_of_the_role(
    http: httpx.AsyncClient,
) -> None:
    grant_no = new_grant_no()
    csrf = await browser_sign_in(http, "wang.officer")
    form = {key: str(value) for key, value in application(grant_no).items()}

    applied = await http.post("/apply", data={**form, "csrf_token": csrf})
    assert applied.status_code == 303, applied.text
    assert applied.headers["location"] == f"/grants/{grant_no}"
    officer_view = await http.get(f"/grants/{grant_no}")
    assert 'class="now">申报审批' in officer_view.text
    assert "您的角色在此阶段无可办事项" in officer_view.text, "approving is not the officer's"
    assert "wang.officer" in officer_view.text, "the timeline names the actor"

    await http.post("/signout", data={"csrf_token": csrf})
    await browser_sign_in(http, "li.approver")
    approver_view = await http.get(f"/grants/{grant_no}")
    assert f'href="/grants/{grant_no}/approve"' in approver_view.text
    assert f'href="/grants/{grant_no}/reject"' in approver_view.text


async def test_a_form_shows_errors_beside_their_fields_and_refusals_above_it(http: httpx.AsyncClient) -> None:
    grant_no = new_grant_no()
    await http.post("/api/grants", json=application(grant_no), headers=await bearer(http, "wang.officer"))
    csrf = await browser_sign_in(http, "li.approver")

    invalid = await http.post(f"/grants/{grant_no}/approve", data={"approved": "12.345", "csrf_token": csrf})
    refused = await http.post(f"/grants/{grant_no}/approve", data={"approved": "300000", "csrf_token": csrf})

    assert invalid.status_code == 422
    assert 'id="error-approved"' in invalid.text
    assert "more than two decimals" in invalid.text
    assert 'value="12.345"' in invalid.text, "what was typed is kept"
    assert refused.status_code == 409
    assert "[R2]" in refused.text
    assert 'id="refusal"' in refused.text


async def test_a_page_post_without_the_csrf_token_is_refused(http: httpx.AsyncClient) -> None:
    grant_no = new_grant_no()
    await browser_sign_in(http, "wang.officer")
    form = {key: str(value) for key, value in application(grant_no).items()}

    response = await http.post("/apply", data=form)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


async def test_the_auditors_page_shows_integrity_and_findings(http: httpx.AsyncClient) -> None:
    await http.post("/api/grants", json=application(new_grant_no()), headers=await bearer(http, "wang.officer"))
    await browser_sign_in(http, "sun.auditor")

    page = await http.get("/audit")

    assert page.status_code == 200
    assert 'id="integrity"' in page.text
    assert "完整" in page.text
    assert "重放账本未发现问题" in page.text
