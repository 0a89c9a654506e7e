"""Who is asking: a signed session cookie (browsers) or a bearer token (API clients), checked against the
server-side session table, so that signing out really ends a session. Browser form posts carry the session's
CSRF token. Every sign-in, failure, lockout and refusal is logged.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.accounts import Account, AccountStore, Session, SessionKind, SignIn, SignInOutcome
from api.errors import Forbidden, NotSignedIn
from api.settings import ApiSettings
from domain.commands import GrantCommand
from domain.roles import Role, may_issue, roles_for

COOKIE = "grants_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

log = structlog.get_logger("api.auth")


@dataclass(frozen=True)
class Principal:
    """The verified person behind a request, and how they proved it."""

    session_id: str
    session: Session

    @property
    def account(self) -> Account:
        return self.session.account

    @property
    def actor(self) -> str:
        """What every recorded event's actor says: the account the sign-in verified."""
        return self.account.username


class Auth:
    def __init__(self, store: AccountStore, settings: ApiSettings, key: bytes) -> None:
        self._store = store
        self._settings = settings
        self._cookies = URLSafeTimedSerializer(key, salt="grants-session")

    def sign_in(self, username: str, password: str, kind: SessionKind) -> tuple[str, Session] | SignIn:
        """A new session for the right password; otherwise the failed attempt (logged either way)."""
        now = datetime.now(UTC)
        attempt = self._store.sign_in(username, password, now)
        if attempt.outcome is not SignInOutcome.SIGNED_IN or attempt.account is None:
            locked_until = attempt.locked_until.isoformat() if attempt.locked_until else None
            log.warning("sign_in_refused", username=username, outcome=attempt.outcome.value, locked_until=locked_until)
            return attempt
        minutes = self._settings.session_minutes if kind is SessionKind.BROWSER else self._settings.token_minutes
        opened = self._store.open_session(attempt.account, kind, timedelta(minutes=minutes), now)
        log.info("signed_in", username=username, role=attempt.account.role.value, kind=kind.value)
        return opened

    def set_cookie(self, response: Response, session_id: str) -> None:
        response.set_cookie(
            COOKIE,
            self._cookies.dumps(session_id),
            max_age=self._settings.session_minutes * 60,
            httponly=True,
            samesite="lax",
            secure=self._settings.secure_cookies,
            path="/",
        )

    def principal(self, request: Request) -> Principal:
        """The signed-in person, or NotSignedIn: no credential, a forged or stale cookie, an ended session."""
        session_id = self._session_id(request)
        session = self._store.session(session_id, datetime.now(UTC)) if session_id else None
        if session_id is None or session is None:
            raise NotSignedIn
        return Principal(session_id, session)

    def sign_out(self, principal: Principal) -> None:
        self._store.revoke(principal.session_id, datetime.now(UTC))
        log.info("signed_out", username=principal.actor, kind=principal.session.kind.value)

    async def check_csrf(self, request: Request, principal: Principal) -> None:
        """A browser session's unsafe request must carry its CSRF token (header or form field)."""
        if request.method not in UNSAFE_METHODS or principal.session.kind is not SessionKind.BROWSER:
            return
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
        if not sent or not hmac.compare_digest(sent, principal.session.csrf_token):
            log.warning("csrf_refused", username=principal.actor, path=request.url.path)
            msg = "the form's CSRF token is missing or wrong. Fix: reload the page and submit the form again"
            raise Forbidden(msg)

    def _session_id(self, request: Request) -> str | None:
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            return authorization[len("bearer ") :].strip() or None
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        try:
            session_id: str = self._cookies.loads(cookie, max_age=self._settings.session_minutes * 60)
        except BadSignature:
            log.warning("bad_session_cookie", path=request.url.path)
            return None
        return session_id


# Who records what the role table (domain.roles) does not cover, because it is not a step of a grant's workflow.
LIST_KEEPERS = (Role.OFFICER,)  # beneficiary lists (上报名单), sealed personal data
MINUTES_KEEPERS = (Role.OFFICER,)  # the minutes of collective decisions (三重一大)


def require_role(principal: Principal, command: type[GrantCommand], grant_no: str) -> None:
    """Refuse, before anything is sent, a command the person's role may not issue (domain.roles.MAY_ISSUE)."""
    if not may_issue(principal.account.role, command):
        require_any(principal, tuple(roles_for(command)), command.__name__, grant_no)


def require_any(principal: Principal, allowed: tuple[Role, ...], what: str, grant_no: str) -> None:
    """Refuse unless the person holds one of the `allowed` roles; the message names them."""
    role = principal.account.role
    if role in allowed:
        return
    log.warning("role_refused", username=principal.actor, role=role.value, what=what, grant_no=grant_no)
    who = " or ".join(r.value for r in allowed) or "no signed-in role"
    msg = (
        f"grant {grant_no}: {what} needs the role {who}; you are signed in as {role.value}. "
        f"Fix: ask a person with the role {who} to do it"
    )
    raise Forbidden(msg)
