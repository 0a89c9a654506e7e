"""How the console refuses: the domain's own message, with the HTTP status that says what kind of refusal it is.

- 409: a rule refused the step (the body names the rule, e.g. "R3"); nothing was written.
- 422: a value that can never be valid; nothing was sent.
- 403: the signed-in person's role may not issue this command; nothing was sent to Temporal.
- 404: no such grant. 503: Temporal, a worker or a key file is not there.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cli.gateway import WorkerUnavailableError
from cli.rules_file import RulesFileError
from domain.errors import GrantError, GrantNotFoundError, GrantRuleViolation, InvalidInputError
from ledger.checkpoints import CheckpointFileError
from ledger.personal_data import MasterKeyError
from ledger.settings import LedgerURLError

RULE_ID = re.compile(r"^grant [^:]+: (R\d+)\b")  # "grant HN-1: R3 三重一大: ..." -> R3


class Refusal(BaseModel):
    """Why nothing was done: the domain's one-line message (grant, rule, fix) and the rule's id when a rule refused."""

    detail: str
    rule: str | None = None


class Forbidden(Exception):
    """The signed-in person may not do this; the message names the role that may."""


class NotSignedIn(Exception):
    """No valid session or token came with the request."""


def rule_of(error: GrantError) -> str | None:
    """The rule's id (R1 ... R9): from the violation itself, or from a refusal relayed by Temporal as a message."""
    text = f"grant {error.grant_no}: {error.rule}" if isinstance(error, GrantRuleViolation) else str(error)
    match = RULE_ID.match(text)
    return match.group(1) if match else None


def status_of(error: GrantError) -> int:
    if isinstance(error, InvalidInputError):
        return 422
    if isinstance(error, GrantNotFoundError):
        return 404
    return 409


def refusal_response(status: int, detail: str, rule: str | None = None) -> JSONResponse:
    return JSONResponse(Refusal(detail=detail, rule=rule).model_dump(), status_code=status)


def install_handlers(app: FastAPI) -> None:
    """JSON refusals for the API; the pages catch their own and show them beside the form."""

    async def grant_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, GrantError)  # noqa: S101 - registered for GrantError only
        return refusal_response(status_of(error), str(error), rule_of(error))

    async def unavailable(_: Request, error: Exception) -> JSONResponse:
        return refusal_response(503, str(error))

    async def forbidden(_: Request, error: Exception) -> JSONResponse:
        return refusal_response(403, str(error))

    app.add_exception_handler(GrantError, grant_error)
    app.add_exception_handler(Forbidden, forbidden)
    for kind in (WorkerUnavailableError, MasterKeyError, LedgerURLError, RulesFileError, CheckpointFileError):
        app.add_exception_handler(kind, unavailable)
