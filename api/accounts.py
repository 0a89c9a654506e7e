"""Local accounts and their sessions: who may sign in, with which role, and which sessions are still open.

Accounts are not ledger events (passwords change, lockouts expire), so they live in tables of their own: a
SQLite file under the data directory by default, or the ledger's PostgreSQL in production. Passwords are
hashed with argon2id at RFC 9106's recommended low-memory parameters (argon2-cffi's defaults). A session's
secret id is never stored, only its SHA-256, so a copy of the table opens no session.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    create_engine,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Dialect, Engine, make_url

from domain.roles import Role

MIN_PASSWORD_LENGTH = 12
USERNAME_MAX = 64


class UtcDateTime(TypeDecorator[datetime]):
    """Instants stored in UTC and read back time-zone aware, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()
accounts_table = Table(
    "console_accounts",
    metadata,
    Column("username", String(USERNAME_MAX), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("failed_sign_ins", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
)
sessions_table = Table(
    "console_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),  # SHA-256 of the secret session id
    Column("username", String(USERNAME_MAX), ForeignKey("console_accounts.username"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)


class AccountError(ValueError):
    """An account that cannot be created or changed as asked; the message says why and what to do."""


class SessionKind(StrEnum):
    BROWSER = "browser"  # a signed cookie, with a CSRF token for its form posts
    TOKEN = "token"  # noqa: S105 - a kind of session; a bearer token for API clients (no ambient credential, so no CSRF token needed)


class SignInOutcome(StrEnum):
    SIGNED_IN = "signed_in"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 - an outcome, not a password
    UNKNOWN_USER = "unknown_user"
    LOCKED = "locked"  # locked before this attempt, or by it


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: Role
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Session:
    account: Account
    kind: SessionKind
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class SignIn:
    """The result of one attempt: the account when it succeeded, and what happened, for the log."""

    outcome: SignInOutcome
    account: Account | None = None
    locked_until: datetime | None = None


class AccountStore:
    """Accounts, sign-in with lockout, and server-side sessions that logout really revokes."""

    def __init__(self, url: str, *, max_failed_sign_ins: int, lockout: timedelta) -> None:
        self._engine = _engine(url)
        metadata.create_all(self._engine)
        self._hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile: t=3, m=64 MiB, p=4
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))  # so an unknown name costs as much as a known one
        self._max_failed = max_failed_sign_ins
        self._lockout = lockout

    @property
    def hasher(self) -> PasswordHasher:
        return self._hasher

    def close(self) -> None:
        self._engine.dispose()

    def add(self, username: str, display_name: str, role: Role, password: str) -> Account:
        _check_username(username)
        _check_password(password)
        with self._begin() as db:
            if db.execute(select(accounts_table.c.username).where(accounts_table.c.username == username)).first():
                msg = f"account {username!r} exists already. Fix: choose another name, or `grants accounts reset`"
                raise AccountError(msg)
            db.execute(
                insert(accounts_table).values(
                    username=username,
                    display_name=display_name.strip() or username,
                    role=role.value,
                    password_hash=self._hasher.hash(password),
                    failed_sign_ins=0,
                    created_at=_now(),
                )
            )
        return Account(username, display_name.strip() or username, role)

    def reset_password(self, username: str, password: str) -> None:
        """A new password; it also lifts a lockout and ends every open session of the account."""
        _check_password(password)
        with self._begin() as db:
            self._account_row(db, username)
            db.execute(
                update(accounts_table)
                .where(accounts_table.c.username == username)
                .values(password_hash=self._hasher.hash(password), failed_sign_ins=0, locked_until=None)
            )
            db.execute(
                update(sessions_table)
                .where(sessions_table.c.username == username, sessions_table.c.revoked_at.is_(None))
                .values(revoked_at=_now())
            )

    def accounts(self) -> list[Account]:
        with self._engine.connect() as db:
            rows = db.execute(select(accounts_table).order_by(accounts_table.c.username)).all()
        return [_account(row) for row in rows]

    def sign_in(self, username: str, password: str, now: datetime) -> SignIn:
        """Check a password; `max_failed_sign_ins` failures in a row lock the account for `lockout`."""
        with self._begin() as db:
            row = db.execute(select(accounts_table).where(accounts_table.c.username == username)).first()
            if row is None:
                self._verify(self._dummy_hash, password)
                return SignIn(SignInOutcome.UNKNOWN_USER)
            account = _account(row)
            if account.locked_until is not None and account.locked_until > now:
                return SignIn(SignInOutcome.LOCKED, account, account.locked_until)
            where = accounts_table.c.username == username
            if not self._verify(row.password_hash, password):
                failures = row.failed_sign_ins + 1
                locked_until = now + self._lockout if failures >= self._max_failed else None
                db.execute(
                    update(accounts_table)
                    .where(where)
                    .values(failed_sign_ins=0 if locked_until else failures, locked_until=locked_until)
                )
                if locked_until:
                    return SignIn(SignInOutcome.LOCKED, account, locked_until)
                return SignIn(SignInOutcome.WRONG_PASSWORD, account)
            values: dict[str, Any] = {"failed_sign_ins": 0, "locked_until": None}
            if self._hasher.check_needs_rehash(row.password_hash):
                values["password_hash"] = self._hasher.hash(password)
            db.execute(update(accounts_table).where(where).values(**values))
        return SignIn(SignInOutcome.SIGNED_IN, Account(account.username, account.display_name, account.role))

    def open_session(self, account: Account, kind: SessionKind, lasts: timedelta, now: datetime) -> tuple[str, Session]:
        """A new session; returns its secret id (the cookie's or the token's content) and the session."""
        session_id = secrets.token_urlsafe(32)
        session = Session(account, kind, secrets.token_urlsafe(32), now + lasts)
        with self._begin() as db:
            db.execute(
                insert(sessions_table).values(
                    id_hash=_digest(session_id),
                    username=account.username,
                    kind=kind.value,
                    csrf_token=session.csrf_token,
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
        return session_id, session

    def session(self, session_id: str, now: datetime) -> Session | None:
        """The open session with this id: not expired, not revoked; None otherwise."""
        joined = sessions_table.join(accounts_table, sessions_table.c.username == accounts_table.c.username)
        query = select(sessions_table, accounts_table.c.display_name, accounts_table.c.role).select_from(joined)
        with self._engine.connect() as db:
            row = db.execute(query.where(sessions_table.c.id_hash == _digest(session_id))).first()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        account = Account(row.username, row.display_name, Role(row.role))
        return Session(account, SessionKind(row.kind), row.csrf_token, row.expires_at)

    def revoke(self, session_id: str, now: datetime) -> None:
        with self._begin() as db:
            db.execute(
                update(sessions_table)
                .where(sessions_table.c.id_hash == _digest(session_id), sessions_table.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _account_row(self, db: Connection, username: str) -> Any:  # noqa: ANN401 - a SQLAlchemy row
        row = db.execute(select(accounts_table).where(accounts_table.c.username == username)).first()
        if row is None:
            msg = f"no account {username!r}. Fix: see `grants accounts list`, or add it with `grants accounts add`"
            raise AccountError(msg)
        return row

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with self._engine.begin() as connection:
            yield connection


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed)


def _account(row: Any) -> Account:  # noqa: ANN401 - a SQLAlchemy row of the accounts table
    return Account(row.username, row.display_name, Role(row.role), row.locked_until)


def _check_username(username: str) -> None:
    if not username or len(username) > USERNAME_MAX or not all(c.isalnum() or c in "._-" for c in username):
        msg = f"username {username!r} must be 1-{USERNAME_MAX} letters, digits, '.', '_' or '-'"
        raise AccountError(msg)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = f"the password has {len(password)} characters; it needs at least {MIN_PASSWORD_LENGTH}"
        raise AccountError(msg)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)
