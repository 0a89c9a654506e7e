"""`create_app(settings)`: the console as an ASGI app. Nothing connects at import time; Temporal on first use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from api import pages
from api.accounts import AccountStore
from api.auth import Auth
from api.console import Console, StackAccess
from api.errors import NotSignedIn, install_handlers, refusal_response
from api.routes import router
from api.settings import ApiSettings, session_key


def create_app(settings: ApiSettings, *, stack: StackAccess | None = None) -> FastAPI:
    """The console over `settings`; with `stack` given (tests), it uses that connection instead of making one."""
    accounts = AccountStore(
        settings.accounts_url,
        max_failed_sign_ins=settings.max_failed_sign_ins,
        lockout=timedelta(minutes=settings.lockout_minutes),
    )
    console = Console(settings, accounts, Auth(accounts, settings, session_key(settings.session_key_file)), stack)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            accounts.close()

    app = FastAPI(
        title="Grant Ledger console",
        summary="Officers' and auditors' API over the grants' workflows and the ledger",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.console = console
    install_handlers(app)

    async def not_signed_in(request: Request, _: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            response: Response = refusal_response(
                401, "not signed in. Fix: sign in (POST /api/tokens) and send the token"
            )
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.include_router(router())
    app.include_router(pages.router())
    return app
