"""Server-rendered pages (Jinja2, plain forms): sign-in, grants list, a grant, one form per step, the audit page.

Each step form is built from the step's input model, so the page and the API accept exactly the same values;
a bad field is shown beside the field, a refusal (rule, role) above the form, and nothing is recorded.
"""

from __future__ import annotations

import hmac
import secrets
import typing
from datetime import date
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api.accounts import SessionKind, SignIn, SignInOutcome
from api.auth import COOKIE, CSRF_FIELD, Principal
from api.console import acting, console_of, signed_in
from api.errors import Forbidden, rule_of
from api.i18n import LANG_COOKIE, LANGUAGES, field_label, language, words
from api.routes import send_step
from api.steps import APPLY, STEPS, Step, StepInput
from api.views import GrantFilter, grants, integrity
from audit.check import check_ledger
from audit.timeline import timeline
from cli.gateway import WorkerUnavailableError
from cli.rules_file import load_rules
from domain.clock import SHANGHAI
from domain.errors import GrantError
from domain.roles import may_issue
from domain.stages import Stage
from ledger.checkpoints import CheckpointFileError

log = structlog.get_logger("api.pages")
SIGN_IN_COOKIE = (
    "grants_signin"  # the sign-in form's CSRF token: a forged post would sign the victim in as someone else
)
STAGE_BAR = (
    Stage.APPLICATION,
    Stage.APPROPRIATION,
    Stage.DISBURSEMENT,
    Stage.PUBLICITY,
    Stage.FINAL_REPORT,
    Stage.AUDIT,
    Stage.CLOSED,
)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = language(request)
    principal: Principal | None = context.get("principal")
    page = templates.TemplateResponse(
        request,
        name,
        {
            "w": words(lang),
            "lang": lang,
            "other_lang": "en" if lang == "zh" else "zh",
            "label": lambda field: field_label(field, lang),
            "csrf": principal.session.csrf_token if principal else "",
            "csrf_field": CSRF_FIELD,
            "shanghai": SHANGHAI,
            **context,
        },
        status_code=status,
    )
    if request.query_params.get("lang") in LANGUAGES:
        page.set_cookie(LANG_COOKIE, lang, samesite="lax", httponly=True)
    return page


def router() -> APIRouter:  # noqa: C901, PLR0915 - one place that lists the pages
    pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @pages.get("/")
    def home() -> Response:
        return RedirectResponse("/grants", status_code=303)

    @pages.get("/signin")
    def sign_in_page(request: Request, next: str = "/grants") -> Response:
        return _sign_in_form(request, _local(next), None)

    @pages.post("/signin")
    async def sign_in(request: Request) -> Response:
        form = await request.form()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        target = _local(str(form.get("next", "/grants")))
        sent, expected = str(form.get(CSRF_FIELD, "")), request.cookies.get(SIGN_IN_COOKIE, "")
        if not sent or not hmac.compare_digest(sent, expected):
            log.warning("csrf_refused", username=username, path=request.url.path)
            return _sign_in_form(request, target, "the sign-in form has expired; please sign in again", 403)
        opened = console_of(request).auth.sign_in(username, password, SessionKind.BROWSER)
        if isinstance(opened, SignIn):
            w = words(language(request))
            error = w["wrong_password"]
            if opened.outcome is SignInOutcome.LOCKED and opened.locked_until:
                error = f"{w['locked']} {opened.locked_until.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
            return _sign_in_form(request, target, error, 401, username)
        response = RedirectResponse(target, status_code=303)
        console_of(request).auth.set_cookie(response, opened[0])
        return response

    @pages.post("/signout")
    async def sign_out(request: Request) -> Response:
        principal = await acting(request)
        console_of(request).auth.sign_out(principal)
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @pages.get("/grants")
    def grants_page(request: Request) -> Response:
        principal = signed_in(request)
        query = request.query_params
        year = query.get("year", "")
        chosen = GrantFilter(
            stage=query.get("stage") or None,
            region=query.get("region") or None,
            program=query.get("program") or None,
            year=int(year) if year.isdigit() else None,
            overdue={"yes": True, "no": False}.get(query.get("overdue", "")),
        )
        with console_of(request).ledger() as ledger:
            listed = grants(ledger, chosen)
        return render(
            request,
            "grants.html",
            {
                "principal": principal,
                "grants": listed,
                "query": query,
                "stages": list(Stage),
                "may_apply": may_issue(principal.account.role, APPLY.command),
            },
        )

    @pages.get("/grants/{grant_no}")
    def grant_page(request: Request, grant_no: str) -> Response:
        principal = signed_in(request)
        try:
            with console_of(request).ledger() as ledger:
                state = ledger.state(grant_no)
                entries = timeline(ledger, grant_no)
        except GrantError as error:
            return render(request, "error.html", {"principal": principal, "message": str(error)}, 404)
        role = principal.account.role
        actions = [s for s in STEPS.values() if state.stage in s.stages and may_issue(role, s.command)]
        return render(
            request,
            "grant.html",
            {
                "principal": principal,
                "state": state,
                "stage_bar": STAGE_BAR,
                "reached": STAGE_BAR.index(state.stage) if state.stage in STAGE_BAR else 0,
                "actions": actions,
                "timeline": entries,
                "overdue": state.overdue(),
            },
        )

    @pages.get("/apply")
    def apply_form(request: Request) -> Response:
        return _form(request, signed_in(request), APPLY, "", {}, {}, None)

    @pages.post("/apply")
    async def apply(request: Request) -> Response:
        return await _submitted(request, APPLY, "")

    @pages.get("/grants/{grant_no}/{slug}")
    def step_form(request: Request, grant_no: str, slug: str) -> Response:
        principal = signed_in(request)
        if slug not in STEPS:
            return render(request, "error.html", {"principal": principal, "message": f"no step {slug!r}"}, 404)
        return _form(request, principal, STEPS[slug], grant_no, {}, {}, None)

    @pages.post("/grants/{grant_no}/{slug}")
    async def step(request: Request, grant_no: str, slug: str) -> Response:
        if slug not in STEPS:
            return render(request, "error.html", {"principal": signed_in(request), "message": f"no step {slug!r}"}, 404)
        return await _submitted(request, STEPS[slug], grant_no)

    @pages.get("/audit")
    def audit_page(request: Request) -> Response:
        principal = signed_in(request)
        console = console_of(request)
        rules = load_rules(console.settings.stack.rules_file).fund_rules
        with console.ledger() as ledger:
            found = check_ledger(ledger, None, None, rules)
            try:
                checked, problem = integrity(ledger, console.settings.stack.signing_key_file), None
            except CheckpointFileError as error:
                checked, problem = None, str(error)
        return render(
            request,
            "audit.html",
            {"principal": principal, "findings": found, "integrity": checked, "integrity_problem": problem},
        )

    return pages


def _sign_in_form(request: Request, target: str, error: str | None, status: int = 200, username: str = "") -> Response:
    """The sign-in form, with a fresh token in a cookie and in the form (no session yet: a double-submitted token)."""
    token = secrets.token_urlsafe(32)
    context = {"next": target, "error": error, "username": username, "sign_in_token": token}
    page = render(request, "signin.html", context, status)
    page.set_cookie(SIGN_IN_COOKIE, token, max_age=3600, httponly=True, samesite="lax", path="/signin")
    return page


async def _submitted(request: Request, step: Step, grant_no: str) -> Response:
    """Validate the form into the step's model and send it; on any refusal, show the form again with why."""
    principal = await acting(request)
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if key != CSRF_FIELD}
    sent = {key: value for key, value in values.items() if value.strip() or _required(step, key)}
    try:
        body = step.model.model_validate(sent)
    except ValidationError as invalid:
        return _form(request, principal, step, grant_no, values, _field_errors(invalid), None, 422)
    target = body.grant_no if isinstance(body, APPLY.model) else grant_no  # type: ignore[attr-defined]
    try:
        await send_step(request, step, target, body, principal)
    except Forbidden as refusal:
        return _form(request, principal, step, grant_no, values, {}, str(refusal), 403)
    except GrantError as refusal:
        rule = rule_of(refusal)
        message = f"[{rule}] {refusal}" if rule else str(refusal)
        return _form(request, principal, step, grant_no, values, {}, message, 409)
    except WorkerUnavailableError as trouble:
        return _form(request, principal, step, grant_no, values, {}, str(trouble), 503)
    return RedirectResponse(f"/grants/{target}", status_code=303)


def _form(  # noqa: PLR0913, PLR0917 - everything one form shows
    request: Request,
    principal: Principal,
    step: Step,
    grant_no: str,
    values: dict[str, str],
    errors: dict[str, str],
    refusal: str | None,
    status: int = 200,
) -> Response:
    action = "/apply" if step is APPLY else f"/grants/{grant_no}/{step.slug}"
    context = {
        "principal": principal,
        "step": step,
        "grant_no": grant_no,
        "action": action,
        "fields": _fields(step.model),
        "values": values,
        "errors": errors,
        "refusal": refusal,
        "allowed": may_issue(principal.account.role, step.command),
    }
    return render(request, "form.html", context, status)


def _fields(model: type[StepInput]) -> list[dict[str, Any]]:
    """Each input field as the form shows it: its name, its input type, the choices of a list, whether required."""
    shown = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        choices = list(typing.get_args(annotation)) if typing.get_origin(annotation) is typing.Literal else []
        kind = "date" if annotation is date else "number" if annotation is int else "text"
        shown.append({"name": name, "kind": kind, "choices": choices, "required": info.is_required()})
    return shown


def _required(step: Step, name: str) -> bool:
    info = step.model.model_fields.get(name)
    return bool(info and info.is_required())


def _field_errors(invalid: ValidationError) -> dict[str, str]:
    """One message per field; an error of the whole form (a period in the wrong order) under the key ''."""
    errors: dict[str, str] = {}
    for error in invalid.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        errors.setdefault(field, str(error["msg"]).removeprefix("Value error, "))
    return errors


def _local(target: str) -> str:
    """Only a path on this site is a place to go after sign-in (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/grants"
