"""The console on the real stack: the session's dev server, a worker on a fresh ledger, accounts in a SQLite file.

The app is served in the test's own event loop (httpx's ASGI transport), where the worker runs too.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from api.accounts import AccountStore
from api.app import create_app
from api.console import Console, StackAccess
from api.settings import ApiSettings
from cli.gateway import GrantGateway
from cli.settings import Settings
from domain.roles import Role
from ledger.checkpoints import ensure_signing_key
from ledger.personal_data import ensure_master_key

PASSWORD = "correct horse battery"  # noqa: S105 - the test accounts' password
ACCOUNTS = {
    "wang.officer": Role.OFFICER,
    "li.approver": Role.APPROVER,
    "zhao.finance": Role.FINANCE,
    "chen.recipient": Role.RECIPIENT,
    "sun.auditor": Role.AUDITOR,
}
BASE_URL = "http://console.test"


@pytest.fixture(scope="session")
def accounts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test accounts, hashed once per session (argon2 is slow on purpose); each test gets a copy."""
    path = tmp_path_factory.mktemp("accounts") / "accounts.sqlite"
    store = AccountStore(f"sqlite:///{path}", max_failed_sign_ins=3, lockout=timedelta(minutes=15))
    for username, role in ACCOUNTS.items():
        store.add(username, username.split(".")[0].title(), role, PASSWORD)
    store.close()
    return path


@pytest.fixture
def console_settings(tmp_path: Path, ledger_url: str, accounts_file: Path) -> ApiSettings:
    data_dir = tmp_path / "var"
    stack = replace(Settings.from_env({"GRANTS_DATA_DIR": str(data_dir)}), ledger_url=ledger_url)
    ensure_signing_key(stack.signing_key_file)
    ensure_master_key(stack.master_key_file)
    accounts = shutil.copy(accounts_file, tmp_path / "accounts.sqlite")
    return replace(
        ApiSettings.from_env({"GRANTS_DATA_DIR": str(data_dir)}),
        stack=stack,
        accounts_url=f"sqlite:///{accounts}",
        max_failed_sign_ins=3,
        lockout_minutes=15,
    )


@pytest.fixture
def app(console_settings: ApiSettings, client: Client, gateway: GrantGateway) -> Iterator[FastAPI]:
    app = create_app(console_settings, stack=StackAccess(client, gateway))
    console: Console = app.state.console
    yield app
    console.accounts.close()


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        yield http


async def bearer(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Headers of an API client signed in as `username`."""
    response = await http.post("/api/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def application(grant_no: str, requested: str = "200000.00") -> dict[str, object]:
    return {
        "grant_no": grant_no,
        "program": "暖心家园",
        "recipient": "长沙市计生协",
        "region": "430100",
        "fiscal_year": 2020,
        "title": "长沙市暖心家园建设",
        "requested": requested,
        "period_start": "2020-01-01",
        "period_end": "2020-12-31",
    }
