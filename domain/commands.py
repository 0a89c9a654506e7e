"""What officers and auditors ask the ledger to record: one immutable dataclass per command.

Each command validates its own values when built, so bad input is refused at the edge (CLI,
workflow update validators) before anything can be written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime

from domain.deadlines import DeadlineKind
from domain.errors import InvalidInputError
from domain.values import Money, Points

REGION_CODE = re.compile(r"^\d{6}$")  # GB/T 2260, e.g. 430100 Changsha


def _require_text(owner: object, *names: str) -> None:
    for name in names:
        if not str(getattr(owner, name)).strip():
            msg = f"{name.replace('_', ' ')} must not be empty"
            raise InvalidInputError(msg)


def _require_positive(name: str, amount: Money) -> None:
    if not amount.is_positive:
        msg = f"{name} must be more than zero, got {amount}"
        raise InvalidInputError(msg)


@dataclass(frozen=True, kw_only=True)
class ApplicationDetails:
    """What an applicant submits (项目申报); a second application must repeat it exactly."""

    program: str
    recipient: str
    region: str
    fiscal_year: int
    title: str
    requested: Money
    period_start: date
    period_end: date

    def __post_init__(self) -> None:
        _require_text(self, "program", "recipient", "title")
        _require_positive("requested amount", self.requested)
        if not REGION_CODE.match(self.region):
            msg = f"region {self.region!r} is not a six-digit GB/T 2260 code (e.g. 430100 for Changsha)"
            raise InvalidInputError(msg)
        if not 2000 <= self.fiscal_year <= 2100:
            msg = f"fiscal year {self.fiscal_year} is not a plausible year"
            raise InvalidInputError(msg)
        if self.period_end < self.period_start:
            msg = f"project period ends ({self.period_end}) before it starts ({self.period_start})"
            raise InvalidInputError(msg)

    def differences(self, other: ApplicationDetails) -> list[str]:
        """Name each field in which `other` differs, for an error a person can act on."""
        return [
            f"{f.name}: recorded {getattr(self, f.name)}, now {getattr(other, f.name)}"
            for f in fields(self)
            if getattr(self, f.name) != getattr(other, f.name)
        ]


@dataclass(frozen=True, kw_only=True)
class GrantCommand:
    """Common to every command: the grant, who acts (in which role, if they say), and an id that makes a retry harmless.

    `command_id` is stamped by the workflow (`<workflow id>/<update id>`); a command whose id the
    grant has already seen returns the earlier result and writes nothing.
    """

    grant_no: str
    actor: str
    command_id: str = ""
    role: str = ""  # the role the actor claims to act in (domain.roles.Role); validators check it may do this

    def __post_init__(self) -> None:
        _require_text(self, "grant_no", "actor")


@dataclass(frozen=True, kw_only=True)
class SubmitApplication(GrantCommand):
    details: ApplicationDetails


@dataclass(frozen=True, kw_only=True)
class ApproveApplication(GrantCommand):
    approved: Money
    opinion: str = ""
    decision_ref: str = ""  # `BODY:MINUTES` of the collective decision a major project needs (R3)

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_positive("approved amount", self.approved)


@dataclass(frozen=True, kw_only=True)
class RejectApplication(GrantCommand):
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "reason")


@dataclass(frozen=True, kw_only=True)
class RecordNotice(GrantCommand):
    """The finance department's appropriation notice (资金指标文件), e.g. 湘财社指〔2020〕36号."""

    document_no: str
    issuer: str
    issued_on: date
    amount: Money
    budget_subject: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "document_no", "issuer")
        _require_positive("notice amount", self.amount)


@dataclass(frozen=True, kw_only=True)
class AcknowledgeNotice(GrantCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class RecordDisbursement(GrantCommand):
    """One tranche paid to the recipient (拨付)."""

    amount: Money
    paid_on: date
    payee: str
    voucher: str = ""
    decision_ref: str = ""  # `BODY:MINUTES` of the collective decision a large payment needs (R3, R4)

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "payee")
        _require_positive("disbursement amount", self.amount)


@dataclass(frozen=True, kw_only=True)
class StartPublicity(GrantCommand):
    """挂牌公示: the project is posted from `starts_on` to `ends_on` inclusive."""

    starts_on: date
    ends_on: date
    place: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "place")
        if self.ends_on < self.starts_on:
            msg = f"publicity ends ({self.ends_on}) before it starts ({self.starts_on})"
            raise InvalidInputError(msg)


@dataclass(frozen=True, kw_only=True)
class ConcludePublicity(GrantCommand):
    concluded_on: date


MAJOR_CHANGES = ("officer_change", "scope_change")


@dataclass(frozen=True, kw_only=True)
class RecordMajorChange(GrantCommand):
    """A change of an approved project's responsible officer (重要干部任免) or its scope or budget (重大事项)."""

    kind: str  # officer_change | scope_change
    changed_on: date
    description: str
    decision_ref: str = ""  # `BODY:MINUTES`: a major project's change rests on a collective decision (R3)

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "description")
        if self.kind not in MAJOR_CHANGES:
            msg = f"kind {self.kind!r} is not one of {', '.join(MAJOR_CHANGES)}"
            raise InvalidInputError(msg)


@dataclass(frozen=True, kw_only=True)
class RaiseObjection(GrantCommand):
    """An objection to the posted project (异议), as the officer records it: what, not who (no personal data)."""

    raised_on: date
    summary: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "summary")


@dataclass(frozen=True, kw_only=True)
class ResolveObjection(GrantCommand):
    objection_no: int
    resolved_on: date
    resolution: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "resolution")


@dataclass(frozen=True, kw_only=True)
class SubmitFinalReport(GrantCommand):
    """项目终期报告 with the project's data."""

    people_reached: int
    money_used: Money
    satisfaction: Points
    outcomes: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.people_reached < 0:
            msg = f"people reached cannot be negative, got {self.people_reached}"
            raise InvalidInputError(msg)
        if self.money_used.fen < 0:
            msg = f"money used cannot be negative, got {self.money_used}"
            raise InvalidInputError(msg)


@dataclass(frozen=True, kw_only=True)
class RecordEvaluation(GrantCommand):
    """绩效评价: the score; the rating is derived from it."""

    score: Points
    findings: str = ""


@dataclass(frozen=True, kw_only=True)
class CloseGrant(GrantCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class RecordMissedDeadline(GrantCommand):
    """R9: the workflow's timer for `kind` fired with the obligation still open. Changes no stage.

    Its command id is deterministic per deadline (`<workflow id>/deadline/<kind>`), so a timer that fires
    again after a retry or a continue-as-new records nothing twice.
    """

    kind: DeadlineKind
    due_at: datetime

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.due_at.tzinfo is None:
            msg = f"due time {self.due_at} has no time zone; instants are stored in UTC"
            raise InvalidInputError(msg)
