"""The JSON API under /api: the CLI's commands and reads, for the signed-in person.

Every command is sent through `GrantGateway` (Workflow Updates, so the workflow's validators judge it first)
with the verified account as its actor, after the account's role has been checked against domain.roles.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile, status
from pydantic import BaseModel, Field

from api.accounts import SessionKind, SignIn, SignInOutcome
from api.auth import LIST_KEEPERS, MINUTES_KEEPERS, Principal, require_any, require_role
from api.console import acting, console_of, signed_in
from api.errors import Refusal
from api.steps import APPLY, GRANT_NO_PATTERN, STEPS, ApplyInput, Step, StepInput
from api.views import GrantFilter, GrantOut, IntegrityOut, grants, integrity
from audit.check import check_ledger
from audit.timeline import state_as_of, timeline
from cli.audit_commands import moment
from cli.operations import find_stuck
from cli.personal_data_commands import beneficiaries_from_csv
from cli.rules_file import load_rules
from domain.commands import GrantCommand, SubmitApplication
from domain.decisions import DecisionItem, DecisionKind, RecordDecision, validate_votes
from domain.errors import InvalidInputError
from domain.personal import PersonalData, RegisterBeneficiaries, mask_id_number
from domain.roles import MAY_ISSUE, Role, roles_for
from domain.stages import Stage
from domain.values import Money
from ledger.projections import version_index

log = structlog.get_logger("api")

GrantNo = Annotated[str, Path(pattern=GRANT_NO_PATTERN, examples=["HN-2020-ZX-0036"])]
Reader = Annotated[Principal, Depends(signed_in)]
Actor = Annotated[Principal, Depends(acting)]
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": Refusal, "description": "not signed in"},
    403: {"model": Refusal, "description": "the role may not do this, or the CSRF token is missing"},
    404: {"model": Refusal, "description": "no such grant"},
    409: {"model": Refusal, "description": "a rule refused it; `rule` names it (R1 ... R9)"},
    422: {"description": "invalid input; each error names its field"},
    503: {"model": Refusal, "description": "Temporal, a worker or a key file is not available"},
}


class SignInInput(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_at: datetime
    username: str
    role: Role


class AccountOut(BaseModel):
    username: str
    display_name: str
    role: Role
    may_record: list[str]  # the steps this role records (their paths under /api/grants/{grant_no}/)


def sign_in_refusal(attempt: SignIn) -> tuple[int, str]:
    if attempt.outcome is SignInOutcome.LOCKED and attempt.locked_until:
        until = attempt.locked_until.astimezone(UTC).isoformat(timespec="minutes")
        return (
            423,
            f"too many failed sign-ins: the account is locked until {until} (UTC). Fix: wait, or ask for a reset",
        )
    return 401, "wrong username or password"


def router() -> APIRouter:  # noqa: C901, PLR0915 - one place that lists the API's routes
    api = APIRouter(prefix="/api", responses=REFUSALS)

    @api.post("/tokens", tags=["sign-in"], responses={423: {"model": Refusal}})
    def issue_token(request: Request, body: SignInInput, response: Response) -> TokenOut | Refusal:
        """Sign in as an API client: a bearer token that expires (send it as `Authorization: Bearer ...`)."""
        opened = console_of(request).auth.sign_in(body.username, body.password, SessionKind.TOKEN)
        if isinstance(opened, SignIn):
            response.status_code, detail = sign_in_refusal(opened)
            return Refusal(detail=detail)
        token, session = opened
        return TokenOut(
            token=token, expires_at=session.expires_at, username=session.account.username, role=session.account.role
        )

    @api.delete("/tokens/current", tags=["sign-in"], status_code=status.HTTP_204_NO_CONTENT)
    def revoke_token(request: Request, principal: Actor) -> None:
        """Sign out: the token (or browser session) is revoked on the server at once."""
        console_of(request).auth.sign_out(principal)

    @api.get("/me", tags=["sign-in"])
    def me(principal: Reader) -> AccountOut:
        role = principal.account.role
        return AccountOut(
            username=principal.account.username,
            display_name=principal.account.display_name,
            role=role,
            may_record=[APPLY.slug] * (role is Role.OFFICER)
            + [slug for slug, step in STEPS.items() if step.command in MAY_ISSUE[role]],
        )

    @api.get("/grants", tags=["grants"])
    def list_grants(  # noqa: PLR0913, PLR0917 - one query parameter per filter
        request: Request,
        _: Reader,
        stage: Stage | None = None,
        region: Annotated[str | None, Query(max_length=6, pattern=r"^\d{1,6}$")] = None,
        program: Annotated[str | None, Query(max_length=100)] = None,
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
        overdue: bool | None = None,  # noqa: FBT001 - a query parameter
    ) -> list[GrantOut]:
        """Every grant in the ledger, filtered by stage, region (a code prefix), program, fiscal year, overdue."""
        chosen = GrantFilter(str(stage) if stage else None, region, program, year, overdue)
        with console_of(request).ledger() as ledger:
            return [GrantOut.of(state) for state in grants(ledger, chosen)]

    @api.post("/grants", tags=["grants"], status_code=status.HTTP_201_CREATED)
    async def apply(request: Request, body: ApplyInput, principal: Actor) -> GrantOut:
        """Submit an application (项目申报): this starts the grant's workflow."""
        return await send_step(request, APPLY, body.grant_no, body, principal)

    @api.get("/grants/{grant_no}", tags=["grants"])
    def grant(request: Request, grant_no: GrantNo, _: Reader) -> GrantOut:
        """Where the grant stands and what it waits for (from the ledger, the system of record)."""
        with console_of(request).ledger() as ledger:
            return GrantOut.of(ledger.state(grant_no))

    @api.get("/grants/{grant_no}/timeline", tags=["audit"])
    def grant_timeline(request: Request, grant_no: GrantNo, _: Reader) -> list[dict[str, Any]]:
        """Every event: time (Asia/Shanghai), actor, stage, running totals, the decision it rests on, its hash."""
        with console_of(request).ledger() as ledger:
            return [entry.as_dict() for entry in timeline(ledger, grant_no)]

    @api.get("/grants/{grant_no}/state", tags=["audit"])
    def grant_state_as_of(
        request: Request,
        grant_no: GrantNo,
        _: Reader,
        as_of: Annotated[str, Query(max_length=40, examples=["2020-10-01"])],
    ) -> GrantOut | None:
        """The grant as it stood at a date (its end, Asia/Shanghai) or time; null before its application."""
        at = moment(as_of)
        console = console_of(request)
        stack = console.settings.stack
        quorum = load_rules(stack.rules_file).fund_rules.quorum_fraction
        with console.ledger() as ledger, version_index(ledger, stack.ledger_url, quorum) as version_at:
            state = state_as_of(ledger, grant_no, at, version_at)
        return GrantOut.of(state) if state else None

    @api.get("/grants/{grant_no}/beneficiaries", tags=["beneficiaries"])
    def list_beneficiaries(request: Request, grant_no: GrantNo, _: Reader) -> list[dict[str, str]]:
        """The registered list as it may be shown: names, masked ID numbers, townships, amounts (no accounts)."""
        with console_of(request).ledger(personal_data=True) as ledger:
            ledger.state(grant_no)
            people = ledger.beneficiaries(grant_no)
        return [
            {
                "person_id": str(person.person_id),
                "name": person.personal.name if isinstance(person.personal, PersonalData) else "",
                "id_number": mask_id_number(person.personal.id_number)
                if isinstance(person.personal, PersonalData)
                else "",
                "township": person.township,
                "amount": person.amount.yuan(),
            }
            for person in people
        ]

    @api.post("/grants/{grant_no}/beneficiaries", tags=["beneficiaries"], status_code=status.HTTP_201_CREATED)
    def register_beneficiaries(
        request: Request,
        grant_no: GrantNo,
        principal: Actor,
        file: Annotated[
            UploadFile, File(description="CSV (UTF-8): name,id_number,card_account,category,township,amount")
        ],
        pay_by: Annotated[date | None, Form(description="the list's deadline for paying the people on it (R7)")] = None,
    ) -> dict[str, int]:
        """Register the people of a CSV file on the grant's list; any bad row refuses the whole file."""
        require_any(principal, LIST_KEEPERS, "registering a beneficiary list", grant_no)
        try:
            text = file.file.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            msg = f"grant {grant_no}: {file.filename}: not UTF-8 text. Fix: save the list as CSV in UTF-8"
            raise InvalidInputError(msg) from None
        with console_of(request).ledger(personal_data=True) as ledger:
            people = beneficiaries_from_csv(grant_no, file.filename or "upload", text, ledger.vault)
            command = RegisterBeneficiaries(
                grant_no=grant_no, actor=principal.actor, beneficiaries=people, pay_by=pay_by
            )
            size = ledger.register_beneficiaries(command)
        log.info("beneficiaries_registered", grant_no=grant_no, actor=principal.actor, people=len(people))
        return {"registered": len(people), "on_list": size}

    @api.post("/decisions", tags=["decisions"], status_code=status.HTTP_201_CREATED)
    def record_decision(request: Request, body: DecisionInput, principal: Actor) -> dict[str, str]:
        """Record the minutes of a collective decision (三重一大); refused (R5) unless they show a valid meeting."""
        require_any(principal, MINUTES_KEEPERS, "recording a collective decision", body.items[0].grant_no)
        minutes = body.minutes(principal.actor)
        with console_of(request).ledger() as ledger:
            ledger.record_decision(minutes)
        log.info("decision_recorded", actor=principal.actor, body=minutes.body, minutes_ref=minutes.minutes_ref)
        return {"decision_ref": f"{minutes.body}:{minutes.minutes_ref}"}

    @api.get("/audit/findings", tags=["audit"])
    def findings(
        request: Request,
        _: Reader,
        grant_no: Annotated[str | None, Query(pattern=GRANT_NO_PATTERN)] = None,
        fiscal_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    ) -> list[dict[str, Any]]:
        """`grants audit check`: every step judged again on replay; findings cite event versions."""
        rules = load_rules(console_of(request).settings.stack.rules_file).fund_rules
        with console_of(request).ledger() as ledger:
            found = check_ledger(ledger, [grant_no] if grant_no else None, fiscal_year, rules)
        return [finding.as_dict() for finding in found]

    @api.get("/audit/integrity", tags=["audit"])
    def integrity_status(request: Request, _: Reader) -> IntegrityOut:
        """`grants audit verify`: every hash chain, the Merkle log and every signed checkpoint."""
        console = console_of(request)
        with console.ledger() as ledger:
            return integrity(ledger, console.settings.stack.signing_key_file)

    @api.get("/stuck", tags=["operations"])
    async def stuck(
        request: Request, _: Reader, older_than_minutes: Annotated[int, Query(ge=0, le=525_600)] = 0
    ) -> list[dict[str, Any]]:
        """`grants stuck`: grants overdue or waiting on a failing ledger step."""
        console = console_of(request)
        client = (await console.connected()).client
        found = await find_stuck(
            client, console.settings.stack.ui_url, timedelta(minutes=older_than_minutes), datetime.now(UTC)
        )
        return [one.as_json() for one in found]

    for step in STEPS.values():
        api.add_api_route(
            f"/grants/{{grant_no}}/{step.slug}",
            _step_endpoint(step),
            methods=["POST"],
            tags=["steps"],
            name=step.slug,
            summary=f"{step.command.__name__} ({', '.join(r.value for r in _roles(step))})",
        )
    return api


class DecisionItemInput(BaseModel):
    kind: DecisionKind
    grant_no: Annotated[str, Field(pattern=GRANT_NO_PATTERN)]
    amount: Annotated[str | None, Field(max_length=32, description="yuan; the most this decision authorises")] = None
    description: Annotated[str, Field(max_length=500)] = ""
    votes: Annotated[
        list[tuple[str, str]],
        Field(min_length=1, max_length=100, description="[member, for|against|abstain], chair last"),
    ]


class DecisionInput(BaseModel):
    """The minutes of one meeting (see `grants decision example`)."""

    body: Annotated[str, Field(min_length=1, max_length=50, examples=["党组会"])]
    held_on: date
    form: Annotated[str, Field(max_length=50)] = "meeting"
    minutes_ref: Annotated[str, Field(min_length=1, max_length=200)]
    chair: Annotated[str, Field(min_length=1, max_length=100)]
    members: Annotated[list[str], Field(min_length=1, max_length=100)]
    present: Annotated[list[str], Field(max_length=100)]
    recused: Annotated[list[str], Field(max_length=100)] = []
    absent: Annotated[list[str] | None, Field(max_length=100)] = None  # if given: exactly the members not present
    items: Annotated[list[DecisionItemInput], Field(min_length=1, max_length=50)]

    def minutes(self, actor: str) -> RecordDecision:
        return RecordDecision(
            body=self.body,
            held_on=self.held_on,
            form=self.form,
            minutes_ref=self.minutes_ref,
            chair=self.chair,
            members=tuple(self.members),
            present=tuple(self.present),
            recused=tuple(self.recused),
            items=tuple(
                DecisionItem(
                    kind=item.kind,
                    grant_no=item.grant_no,
                    amount=None if item.amount is None else Money.parse_yuan(item.amount),
                    description=item.description,
                    votes=validate_votes(item.votes),
                )
                for item in self.items
            ),
            actor=actor,
            absent=tuple(self.absent) if self.absent is not None else None,
        )


async def send_step(request: Request, step: Step, grant_no: str, body: StepInput, principal: Principal) -> GrantOut:
    require_role(principal, step.command, grant_no)
    command: GrantCommand = body.command(grant_no, principal.actor)
    gateway = (await console_of(request).connected()).gateway
    if isinstance(command, SubmitApplication):
        state = await gateway.submit(command)
    else:
        state = await gateway.record(command)
    log.info("step_recorded", grant_no=grant_no, step=step.slug, actor=principal.actor, stage=str(state.stage))
    return GrantOut.of(state)


def _step_endpoint(step: Step) -> Callable[..., Awaitable[GrantOut]]:
    """A POST endpoint whose body is the step's own model, so the published OpenAPI describes each step."""

    async def endpoint(request: Request, grant_no: str, body: StepInput, principal: Principal) -> GrantOut:
        return await send_step(request, step, grant_no, body, principal)

    endpoint.__doc__ = f"Record {step.command.__name__} on the grant; {', '.join(r.value for r in _roles(step))} only."
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
            inspect.Parameter("grant_no", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=GrantNo),
            inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=step.model),
            inspect.Parameter("principal", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Actor),
        ],
        return_annotation=GrantOut,
    )
    return endpoint


def _roles(step: Step) -> list[Role]:
    return roles_for(step.command)
