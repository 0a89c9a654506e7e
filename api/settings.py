"""The console's settings: the stack's own (cli.settings) plus where accounts live and how sign-in behaves."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from cli.settings import Settings
from ledger.secret_files import create_secret_file

SESSION_KEY_BYTES = 32


@dataclass(frozen=True)
class ApiSettings:
    stack: Settings  # the ledger, Temporal and the rules, as the CLI sees them
    accounts_url: str  # GRANTS_ACCOUNTS_URL: SQLAlchemy URL of the accounts and sessions tables
    session_key_file: Path  # GRANTS_SESSION_KEY_FILE: the key that signs session cookies (created when missing)
    session_minutes: int  # GRANTS_SESSION_MINUTES: a browser session ends this long after sign-in
    token_minutes: int  # GRANTS_TOKEN_MINUTES: an API client's bearer token expires this long after it is issued
    max_failed_sign_ins: int  # GRANTS_SIGNIN_ATTEMPTS: failures in a row that lock an account
    lockout_minutes: int  # GRANTS_LOCKOUT_MINUTES: how long a locked account stays locked
    secure_cookies: bool  # GRANTS_SECURE_COOKIES: cookies only over HTTPS (set it to 1 behind TLS)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ApiSettings:
        stack = Settings.from_env(env)
        return cls(
            stack=stack,
            accounts_url=stack.accounts_url or default_accounts_url(stack),
            session_key_file=stack.session_key_file,
            session_minutes=stack.session_minutes,
            token_minutes=stack.token_minutes,
            max_failed_sign_ins=stack.signin_attempts,
            lockout_minutes=stack.lockout_minutes,
            secure_cookies=stack.secure_cookies,
        )


def default_accounts_url(stack: Settings) -> str:
    """The ledger's PostgreSQL database when the ledger is there (its own schema), else a file of its own.

    Accounts are not ledger events: they change (passwords, lockouts), so they never share the ledger's tables.
    """
    ledger = make_url(stack.ledger_url)
    if ledger.get_backend_name() == "postgresql":
        return (
            ledger.set(drivername="postgresql+psycopg")
            .difference_update_query(["schema"])
            .render_as_string(hide_password=False)
        )
    return f"sqlite:///{stack.data_dir / 'accounts.sqlite'}"


def session_key(path: Path) -> bytes:
    """The key that signs session cookies, created (readable by its owner only) the first time."""
    if not path.exists():
        create_secret_file(path, secrets.token_hex(SESSION_KEY_BYTES).encode())
    return path.read_bytes().strip()
