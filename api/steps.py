"""What a person may send: one validated input model per command, and which role may send it.

Field names are the domain's; amounts are yuan as typed (`1200000.00`, thousands separators allowed), turned
into fen by `Money.parse_yuan`, so a bad amount is refused on its field with the domain's own message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from domain.commands import (
    AcknowledgeNotice,
    ApplicationDetails,
    ApproveApplication,
    CloseGrant,
    ConcludePublicity,
    GrantCommand,
    RaiseObjection,
    RecordDisbursement,
    RecordEvaluation,
    RecordMajorChange,
    RecordNotice,
    RejectApplication,
    ResolveObjection,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.deadlines import PAYMENT_STAGES
from domain.errors import InvalidInputError
from domain.stages import Stage
from domain.values import Money, Points

GRANT_NO_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"


def _yuan(text: str) -> str:
    try:
        Money.parse_yuan(text)
    except InvalidInputError as error:
        raise ValueError(str(error)) from None
    return text


def _positive_yuan(text: str) -> str:
    if not Money.parse_yuan(_yuan(text)).is_positive:
        msg = f"the amount must be more than zero, got {text}"
        raise ValueError(msg)
    return text


def _points(text: str) -> str:
    try:
        Points.parse(text)
    except InvalidInputError as error:
        raise ValueError(str(error)) from None
    return text


Yuan = Annotated[
    str,
    Field(max_length=32, description="yuan, to the fen: 1200000.00", examples=["1200000.00"]),
    AfterValidator(_positive_yuan),
]
YuanOrZero = Annotated[
    str, Field(max_length=32, description="yuan, to the fen", examples=["0.00"]), AfterValidator(_yuan)
]
Score = Annotated[
    str, Field(max_length=8, description="0 to 100, one decimal at most", examples=["92.5"]), AfterValidator(_points)
]
Text = Annotated[str, Field(min_length=1, max_length=500)]
OptionalText = Annotated[str, Field(max_length=2000)]
DecisionRef = Annotated[
    str,
    Field(
        max_length=200,
        description="the collective decision (三重一大) it rests on, as BODY:MINUTES",
        examples=["党组会:湘计生协党组纪要〔2020〕12号"],
    ),
]


class StepInput(BaseModel):
    """Common to every input: surrounding blanks are dropped, unknown fields refused."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    def command(self, grant_no: str, actor: str) -> GrantCommand:
        raise NotImplementedError


class ApplyInput(StepInput):
    grant_no: Annotated[str, Field(pattern=GRANT_NO_PATTERN, examples=["HN-2020-ZX-0036"])]
    program: Text
    recipient: Text
    region: Annotated[str, Field(pattern=r"^\d{6}$", description="GB/T 2260 code, e.g. 430100 (Changsha)")]
    fiscal_year: Annotated[int, Field(ge=2000, le=2100)]
    title: Text
    requested: Yuan
    period_start: date
    period_end: date

    @model_validator(mode="after")
    def _period_in_order(self) -> ApplyInput:
        if self.period_end < self.period_start:
            msg = f"the project period ends ({self.period_end}) before it starts ({self.period_start})"
            raise ValueError(msg)
        return self

    def command(self, grant_no: str, actor: str) -> SubmitApplication:
        details = ApplicationDetails(
            program=self.program,
            recipient=self.recipient,
            region=self.region,
            fiscal_year=self.fiscal_year,
            title=self.title,
            requested=Money.parse_yuan(self.requested),
            period_start=self.period_start,
            period_end=self.period_end,
        )
        return SubmitApplication(grant_no=grant_no, actor=actor, details=details)


class ApproveInput(StepInput):
    approved: Yuan
    opinion: OptionalText = ""
    decision_ref: DecisionRef = ""

    def command(self, grant_no: str, actor: str) -> ApproveApplication:
        return ApproveApplication(
            grant_no=grant_no,
            actor=actor,
            approved=Money.parse_yuan(self.approved),
            opinion=self.opinion,
            decision_ref=self.decision_ref,
        )


class RejectInput(StepInput):
    reason: Text

    def command(self, grant_no: str, actor: str) -> RejectApplication:
        return RejectApplication(grant_no=grant_no, actor=actor, reason=self.reason)


class NoticeInput(StepInput):
    document_no: Annotated[str, Field(min_length=1, max_length=200, examples=["湘财社指〔2020〕36号"])]
    issuer: Text
    issued_on: date
    amount: Yuan
    budget_subject: OptionalText = ""

    def command(self, grant_no: str, actor: str) -> RecordNotice:
        return RecordNotice(
            grant_no=grant_no,
            actor=actor,
            document_no=self.document_no,
            issuer=self.issuer,
            issued_on=self.issued_on,
            amount=Money.parse_yuan(self.amount),
            budget_subject=self.budget_subject,
        )


class AcknowledgeInput(StepInput):
    def command(self, grant_no: str, actor: str) -> AcknowledgeNotice:
        return AcknowledgeNotice(grant_no=grant_no, actor=actor)


class DisburseInput(StepInput):
    amount: Yuan
    paid_on: date
    payee: Text
    voucher: OptionalText = ""
    decision_ref: DecisionRef = ""

    def command(self, grant_no: str, actor: str) -> RecordDisbursement:
        return RecordDisbursement(
            grant_no=grant_no,
            actor=actor,
            amount=Money.parse_yuan(self.amount),
            paid_on=self.paid_on,
            payee=self.payee,
            voucher=self.voucher,
            decision_ref=self.decision_ref,
        )


class PublicizeInput(StepInput):
    starts_on: date
    ends_on: date
    place: Text

    @model_validator(mode="after")
    def _period_in_order(self) -> PublicizeInput:
        if self.ends_on < self.starts_on:
            msg = f"publicity ends ({self.ends_on}) before it starts ({self.starts_on})"
            raise ValueError(msg)
        return self

    def command(self, grant_no: str, actor: str) -> StartPublicity:
        return StartPublicity(
            grant_no=grant_no, actor=actor, starts_on=self.starts_on, ends_on=self.ends_on, place=self.place
        )


class ConcludePublicityInput(StepInput):
    concluded_on: date

    def command(self, grant_no: str, actor: str) -> ConcludePublicity:
        return ConcludePublicity(grant_no=grant_no, actor=actor, concluded_on=self.concluded_on)


class ChangeInput(StepInput):
    kind: Literal["officer_change", "scope_change"]
    changed_on: date
    description: Text
    decision_ref: DecisionRef = ""

    def command(self, grant_no: str, actor: str) -> RecordMajorChange:
        return RecordMajorChange(
            grant_no=grant_no,
            actor=actor,
            kind=self.kind,
            changed_on=self.changed_on,
            description=self.description,
            decision_ref=self.decision_ref,
        )


class ObjectionInput(StepInput):
    raised_on: date
    summary: Annotated[str, Field(min_length=1, max_length=500, description="what it says; no names")]

    def command(self, grant_no: str, actor: str) -> RaiseObjection:
        return RaiseObjection(grant_no=grant_no, actor=actor, raised_on=self.raised_on, summary=self.summary)


class ResolveObjectionInput(StepInput):
    objection_no: Annotated[int, Field(ge=1, le=100_000)]
    resolved_on: date
    resolution: Text

    def command(self, grant_no: str, actor: str) -> ResolveObjection:
        return ResolveObjection(
            grant_no=grant_no,
            actor=actor,
            objection_no=self.objection_no,
            resolved_on=self.resolved_on,
            resolution=self.resolution,
        )


class ReportInput(StepInput):
    people_reached: Annotated[int, Field(ge=0, le=100_000_000)]
    money_used: YuanOrZero
    satisfaction: Score
    outcomes: OptionalText = ""

    def command(self, grant_no: str, actor: str) -> SubmitFinalReport:
        return SubmitFinalReport(
            grant_no=grant_no,
            actor=actor,
            people_reached=self.people_reached,
            money_used=Money.parse_yuan(self.money_used),
            satisfaction=Points.parse(self.satisfaction),
            outcomes=self.outcomes,
        )


class EvaluateInput(StepInput):
    score: Score
    findings: OptionalText = ""

    def command(self, grant_no: str, actor: str) -> RecordEvaluation:
        return RecordEvaluation(grant_no=grant_no, actor=actor, score=Points.parse(self.score), findings=self.findings)


class CloseInput(StepInput):
    def command(self, grant_no: str, actor: str) -> CloseGrant:
        return CloseGrant(grant_no=grant_no, actor=actor)


@dataclass(frozen=True)
class Step:
    """One step a person records on a grant: its input, the command it becomes, and where it belongs."""

    slug: str  # its path: POST /api/grants/{grant_no}/{slug}
    model: type[StepInput]
    command: type[GrantCommand]
    stages: frozenset[Stage]  # the stages at which a page offers it (the rules still decide)


STEPS: dict[str, Step] = {
    step.slug: step
    for step in (
        Step("approve", ApproveInput, ApproveApplication, frozenset({Stage.APPLICATION})),
        Step("reject", RejectInput, RejectApplication, frozenset({Stage.APPLICATION})),
        Step("notice", NoticeInput, RecordNotice, frozenset({Stage.APPROPRIATION})),
        Step("acknowledge", AcknowledgeInput, AcknowledgeNotice, frozenset({Stage.APPROPRIATION})),
        Step("disburse", DisburseInput, RecordDisbursement, frozenset(PAYMENT_STAGES)),  # late money too (R9)
        Step("publicize", PublicizeInput, StartPublicity, frozenset({Stage.DISBURSEMENT})),
        Step("object", ObjectionInput, RaiseObjection, frozenset({Stage.PUBLICITY})),
        Step("resolve-objection", ResolveObjectionInput, ResolveObjection, frozenset({Stage.PUBLICITY})),
        Step("conclude-publicity", ConcludePublicityInput, ConcludePublicity, frozenset({Stage.PUBLICITY})),
        Step(
            "change",
            ChangeInput,
            RecordMajorChange,
            frozenset({Stage.APPROPRIATION, Stage.DISBURSEMENT, Stage.PUBLICITY, Stage.FINAL_REPORT}),
        ),
        Step("report", ReportInput, SubmitFinalReport, frozenset({Stage.FINAL_REPORT})),
        Step("evaluate", EvaluateInput, RecordEvaluation, frozenset({Stage.AUDIT})),
        Step("close", CloseInput, CloseGrant, frozenset({Stage.AUDIT})),
    )
}
APPLY = Step("apply", ApplyInput, SubmitApplication, frozenset())
