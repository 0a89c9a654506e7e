"""Sign-in, roles, sessions, CSRF and lockout: who may do what through the console, and what is logged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from structlog.testing import capture_logs

from api.accounts import SessionKind
from api.auth import COOKIE, CSRF_HEADER
from api.console import Console
from tests.api.conftest import PASSWORD, application, bearer
from tests.workflows.support import new_grant_no

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


async def post_sign_in(http: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    """Post the sign-in form as a browser does: with the token the form page set (cookie and hidden field)."""
    page = await http.get("/signin")
    match = CSRF_INPUT.search(page.text)
    assert match, "the sign-in form carries its token"
    return await http.post("/signin", data={**form, "csrf_token": match.group(1)})


async def browser_sign_in(http: httpx.AsyncClient, username: str) -> str:
    """Sign in through the page; returns the session's CSRF token as a page shows it."""
    response = await post_sign_in(http, {"username": username, "password": PASSWORD, "next": "/grants"})
    assert response.status_code == 303, response.text
    assert COOKIE in http.cookies
    page = await http.get("/grants")
    match = CSRF_INPUT.search(page.text)
    assert match, "every page with a form carries the session's CSRF token"
    return match.group(1)


async def test_nothing_is_reachable_without_signing_in(http: httpx.AsyncClient) -> None:
    for path in ("/api/grants", "/api/me", "/api/audit/findings", "/api/audit/integrity"):
        response = await http.get(path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert (await http.post("/api/grants", json=application(new_grant_no()))).status_code == 401
    page = await http.get("/grants")
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=/grants"
    http.cookies.set(COOKIE, "forged.cookie.value")
    assert (await http.get("/api/me")).status_code == 401


async def test_an_auditor_cannot_record_a_payment_and_nothing_reaches_temporal(http: httpx.AsyncClient) -> None:
    grant_no = new_grant_no()
    await http.post("/api/grants", json=application(grant_no), headers=await bearer(http, "wang.officer"))
    auditor = await bearer(http, "sun.auditor")
    payment = {"amount": "1000.00", "paid_on": "2020-04-01", "payee": "长沙市计生协"}

    with capture_logs() as logs:
        refused = await http.post(f"/api/grants/{grant_no}/disburse", json=payment, headers=auditor)

    assert refused.status_code == 403
    assert "needs the role finance" in refused.json()["detail"]
    assert "signed in as auditor" in refused.json()["detail"]
    assert [log["event"] for log in logs] == ["role_refused"], "refused before anything was sent"
    assert logs[0]["username"] == "sun.auditor"


async def test_an_officer_cannot_approve(http: httpx.AsyncClient) -> None:
    grant_no = new_grant_no()
    officer = await bearer(http, "wang.officer")
    await http.post("/api/grants", json=application(grant_no), headers=officer)

    refused = await http.post(f"/api/grants/{grant_no}/approve", json={"approved": "1000.00"}, headers=officer)

    assert refused.status_code == 403
    assert "needs the role approver" in refused.json()["detail"]
    assert (await http.get(f"/api/grants/{grant_no}", headers=officer)).json()["stage"] == "application"


async def test_an_expired_session_is_refused(app: FastAPI, http: httpx.AsyncClient) -> None:
    console: Console = app.state.console
    [account] = [a for a in console.accounts.accounts() if a.username == "wang.officer"]
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    token, _ = console.accounts.open_session(account, SessionKind.TOKEN, timedelta(hours=1), long_ago)

    response = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


async def test_signing_out_revokes_the_token_on_the_server(http: httpx.AsyncClient) -> None:
    officer = await bearer(http, "wang.officer")
    assert (await http.get("/api/me", headers=officer)).json()["role"] == "officer"

    assert (await http.delete("/api/tokens/current", headers=officer)).status_code == 204

    assert (await http.get("/api/me", headers=officer)).status_code == 401


async def test_signing_out_of_the_browser_revokes_the_session_cookie(http: httpx.AsyncClient) -> None:
    csrf = await browser_sign_in(http, "wang.officer")
    cookie = http.cookies[COOKIE]

    assert (await http.post("/signout", data={"csrf_token": csrf})).status_code == 303

    http.cookies.set(COOKIE, cookie)
    replayed = await http.get("/api/me")
    assert replayed.status_code == 401, "a copy of the cookie opens nothing after sign-out"


async def test_a_browser_post_without_its_csrf_token_is_refused(http: httpx.AsyncClient) -> None:
    csrf = await browser_sign_in(http, "wang.officer")
    grant_no = new_grant_no()

    missing = await http.post("/api/grants", json=application(grant_no))
    wrong = await http.post("/api/grants", json=application(grant_no), headers={CSRF_HEADER: "not-the-token"})
    form = await http.post("/signout", data={})
    accepted = await http.post("/api/grants", json=application(grant_no), headers={CSRF_HEADER: csrf})

    assert (missing.status_code, wrong.status_code, form.status_code) == (403, 403, 403)
    assert "CSRF" in missing.json()["detail"]
    assert accepted.status_code == 201


async def test_repeated_failures_lock_the_account_even_against_the_right_password(http: httpx.AsyncClient) -> None:
    """Three failures in a row (the configured N) lock the account for its lockout period; each is logged."""
    with capture_logs() as logs:
        answers = [
            (await http.post("/api/tokens", json={"username": "li.approver", "password": f"guess {n}"})).status_code
            for n in range(3)
        ]
        right = await http.post("/api/tokens", json={"username": "li.approver", "password": PASSWORD})

    assert answers == [401, 401, 423]
    assert right.status_code == 423
    assert "locked until" in right.json()["detail"]
    outcomes = [log["outcome"] for log in logs if log["event"] == "sign_in_refused"]
    assert outcomes == ["wrong_password", "wrong_password", "locked", "locked"]
    assert (await http.post("/api/tokens", json={"username": "wang.officer", "password": PASSWORD})).status_code == 200


async def test_passwords_are_stored_as_argon2id_with_rfc_9106_parameters(app: FastAPI) -> None:
    console: Console = app.state.console
    with console.accounts._engine.connect() as db:
        [stored] = db.exec_driver_sql(
            "SELECT password_hash FROM console_accounts WHERE username = 'wang.officer'"
        ).one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in stored
    assert console.accounts.hasher.verify(stored, PASSWORD)


async def test_signing_in_is_logged_and_the_cookie_is_httponly_and_samesite(http: httpx.AsyncClient) -> None:
    with capture_logs() as logs:
        response = await post_sign_in(http, {"username": "sun.auditor", "password": PASSWORD, "next": "//evil"})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "max-age=" in cookie
    assert response.headers["location"] == "/grants", "no redirect off the site"
    assert {"event": "signed_in", "username": "sun.auditor", "role": "auditor", "kind": "browser"}.items() <= logs[
        0
    ].items()


async def test_a_sign_in_post_without_the_forms_token_is_refused(http: httpx.AsyncClient) -> None:
    """Login CSRF: a page elsewhere cannot sign the victim's browser in as someone else."""
    forged = await http.post("/signin", data={"username": "sun.auditor", "password": PASSWORD})

    assert forged.status_code == 403
    assert COOKIE not in http.cookies
