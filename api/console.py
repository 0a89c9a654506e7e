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
from cli.rules_file import load_rules
from ledger.application import GrantLedger, open_ledger
from ledger.personal_data import load_master_key
from worker import connect


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
    stack: StackAccess | None = field(default=None)  # connected when first needed, or given (tests)

    async def connected(self) -> StackAccess:
        """The Temporal connection, made on first use: the console starts (and signs people in) without it."""
        if self.stack is None:
            try:
                self.stack = await connect_stack(self.settings)
            except RuntimeError as error:
                msg = (
                    f"cannot reach Temporal at {self.settings.stack.temporal_address} ({error}). "
                    "Fix: start the local stack (`grants up`), or point GRANTS_TEMPORAL_ADDRESS at your Temporal server"
                )
                raise WorkerUnavailableError(msg) from None
        return self.stack

    @contextmanager
    def ledger(self, *, personal_data: bool = False) -> Iterator[GrantLedger]:
        """The ledger for one request's reads (and, with the master key, personal data)."""
        stack = self.settings.stack
        master_key = load_master_key(stack.master_key_file) if personal_data else None
        with open_ledger(stack.ledger_url, master_key=master_key) as ledger:
            yield ledger


async def connect_stack(settings: ApiSettings) -> StackAccess:
    stack = settings.stack
    rules = load_rules(stack.rules_file)
    client = await connect(stack)
    gateway = GrantGateway(
        client,
        stack.task_queue,
        stack.ledger_url,
        stack.command_timeout_seconds,
        policy=rules.deadlines,
        fund_rules=rules.fund_rules,
    )
    return StackAccess(client, gateway)


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
