"""`grants accounts add|reset|list`: the console's local accounts (sign-in side; not ledger events)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import click

from api.accounts import AccountError, AccountStore
from api.settings import ApiSettings
from cli.errors import fail
from cli.render import table
from domain.clock import SHANGHAI
from domain.roles import Role

PASSWORD_HELP = "The password (at least 12 characters); asked for when not given. GRANTS_ACCOUNT_PASSWORD also works."  # noqa: S105


@contextmanager
def account_store() -> Iterator[AccountStore]:
    settings = ApiSettings.from_env()
    store = AccountStore(
        settings.accounts_url,
        max_failed_sign_ins=settings.max_failed_sign_ins,
        lockout=timedelta(minutes=settings.lockout_minutes),
    )
    try:
        yield store
    except AccountError as error:
        fail(str(error))
    finally:
        store.close()


@click.group()
def accounts() -> None:
    """Who may sign in to the console (`grants serve`), and with which role."""


@accounts.command()
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]), help="What they record.")
@click.option("--name", "display_name", default="", help="Their name as pages show it, e.g. 王强.")
@click.option(
    "--password",
    envvar="GRANTS_ACCOUNT_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help=PASSWORD_HELP,
)
def add(username: str, role: str, display_name: str, password: str) -> None:
    """Create an account."""
    with account_store() as store:
        account = store.add(username, display_name, Role(role), password)
    click.echo(f"account {account.username} ({account.display_name}, {account.role.value}) created")


@accounts.command()
@click.argument("username")
@click.option(
    "--password",
    envvar="GRANTS_ACCOUNT_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help=PASSWORD_HELP,
)
def reset(username: str, password: str) -> None:
    """Set a new password; it also lifts a lockout and ends every open session of the account."""
    with account_store() as store:
        store.reset_password(username, password)
    click.echo(f"account {username}: password reset, lockout lifted, open sessions ended")


@accounts.command("list")
def list_accounts() -> None:
    """Every account with its role, and whether it is locked now."""
    with account_store() as store:
        listed = store.accounts()
    now = datetime.now(UTC)
    rows = [
        [
            account.username,
            account.display_name,
            account.role.value,
            f"locked until {account.locked_until.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
            if account.locked_until and account.locked_until > now
            else "",
        ]
        for account in listed
    ]
    click.echo(table(["username", "name", "role", "status"], rows) if rows else "no accounts yet")
