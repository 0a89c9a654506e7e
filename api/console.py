"""What every request handler reaches through `request.app.state.console`: settings, sign-in, and the stack."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import Request
from temporalio.client import Client

from api.accounts import AccountStore
from api.auth import Auth, Principal
from api.settings import ApiSettings
from cli.gateway import GrantGateway, WorkerUnavailableError
from ledger.application import GrantLedger, open_ledger
from ledger.personal_data import load_master_key


@dataclass(frozen=True)
class StackAccess:
    """The Temporal connection and the gateway that sends commands through it."""

    client: Client
    gateway: GrantGateway


@dataclass
class Console:
    settings: ApiSettings
    accounts: AccountStore
    auth: Auth
    stack: StackAccess | None = field(default=None)  # connected at start-up, or given (tests)

    def connected(self) -> StackAccess:
        if self.stack is None:
            msg = "the console is not connected to Temporal yet. Fix: wait for start-up, or check GRANTS_TEMPORAL_ADDRESS"
            raise WorkerUnavailableError(msg)
        return self.stack

    @contextmanager
    def ledger(self, *, personal_data: bool = False) -> Iterator[GrantLedger]:
        """The ledger for one request's reads (and, with the master key, personal data)."""
        stack = self.settings.stack
        master_key = load_master_key(stack.master_key_file) if personal_data else None
        with open_ledger(stack.ledger_url, master_key=master_key) as ledger:
            yield ledger


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def signed_in(request: Request) -> Principal:
    """The signed-in person (any role may read); NotSignedIn otherwise."""
    return console_of(request).auth.principal(request)


async def acting(request: Request) -> Principal:
    """The signed-in person about to change something: a browser session must also show its CSRF token."""
    auth = console_of(request).auth
    principal = auth.principal(request)
    await auth.check_csrf(request, principal)
    return principal
