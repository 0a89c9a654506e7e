"""Builders for one grant's commands and for a `Grant` brought to any point of its life.

Every command gets a fresh command id unless a test names one, so a test never trips over idempotency by accident.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from domain.clock import SHANGHAI
from domain.commands import (
    AcknowledgeNotice,
    ApplicationDetails,
    ApproveApplication,
    CloseGrant,
    ConcludePublicity,
    GrantCommand,
    RecordDisbursement,
    RecordEvaluation,
    RecordNotice,
    RecordReturn,
    RejectApplication,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.decisions import DecisionItem, DecisionKind, RecordDecision, Vote
from domain.grant import Grant
from domain.values import Money, Points

GRANT_NO = "HN-2020-ZX-0036"
REQUESTED = Money(90_000_00)  # below the large-fund and major-project thresholds: no decision needed
HALF = Money(REQUESTED.fen // 2)
RETURNED = Money(10_000_00)  # a surplus paid back (退回)
PERIOD_START = date(2020, 1, 1)
PERIOD_END = date(2020, 12, 31)
NOTICE_NO = "湘财社指〔2020〕36号"
PUBLICITY_ENDS = date(2020, 10, 7)
# A moment well after the project period: the final report is allowed then.
AFTER_PERIOD = datetime(2021, 1, 15, 9, 30, tzinfo=SHANGHAI)

_ids = itertools.count(1)


def _command_id(command_id: str | None) -> str:
    return command_id if command_id is not None else f"test/{next(_ids)}"


def details(**changes: Any) -> ApplicationDetails:
    fields: dict[str, Any] = {
        "program": "暖心家园",
        "recipient": "长沙市计划生育协会",
        "region": "430100",
        "fiscal_year": 2020,
        "title": "2020年暖心家园项目",
        "requested": REQUESTED,
        "period_start": PERIOD_START,
        "period_end": PERIOD_END,
    }
    fields.update(changes)
    return ApplicationDetails(**fields)


def submit(grant_no: str = GRANT_NO, command_id: str | None = None, **changes: Any) -> SubmitApplication:
    return SubmitApplication(
        grant_no=grant_no, actor="applicant", command_id=_command_id(command_id), details=details(**changes)
    )


def approve(approved: Money = REQUESTED, grant_no: str = GRANT_NO, command_id: str | None = None) -> ApproveApplication:
    return ApproveApplication(
        grant_no=grant_no, actor="approver", command_id=_command_id(command_id), approved=approved, opinion="同意"
    )


def reject(grant_no: str = GRANT_NO, command_id: str | None = None) -> RejectApplication:
    return RejectApplication(
        grant_no=grant_no, actor="approver", command_id=_command_id(command_id), reason="不符合条件"
    )


def notice(amount: Money = REQUESTED, grant_no: str = GRANT_NO, command_id: str | None = None) -> RecordNotice:
    return RecordNotice(
        grant_no=grant_no,
        actor="finance",
        command_id=_command_id(command_id),
        document_no=NOTICE_NO,
        issuer="湖南省财政厅",
        issued_on=date(2020, 6, 10),
        amount=amount,
        budget_subject="2100717 计划生育服务",
    )


def acknowledge(grant_no: str = GRANT_NO, command_id: str | None = None) -> AcknowledgeNotice:
    return AcknowledgeNotice(grant_no=grant_no, actor="recipient", command_id=_command_id(command_id))


def disburse(
    amount: Money = HALF,
    paid_on: date = date(2020, 7, 1),
    grant_no: str = GRANT_NO,
    command_id: str | None = None,
) -> RecordDisbursement:
    return RecordDisbursement(
        grant_no=grant_no,
        actor="recipient",
        command_id=_command_id(command_id),
        amount=amount,
        paid_on=paid_on,
        payee="长沙市计划生育协会",
        voucher="记-2020-07-001",
    )


def funds_return(
    amount: Money = RETURNED,
    returned_on: date = date(2020, 9, 1),
    grant_no: str = GRANT_NO,
    command_id: str | None = None,
) -> RecordReturn:
    return RecordReturn(
        grant_no=grant_no,
        actor="finance",
        command_id=_command_id(command_id),
        amount=amount,
        returned_on=returned_on,
        reason="项目结余",
        document_no="湘财缴〔2020〕8号",
    )


def start_publicity(grant_no: str = GRANT_NO, command_id: str | None = None) -> StartPublicity:
    return StartPublicity(
        grant_no=grant_no,
        actor="officer",
        command_id=_command_id(command_id),
        starts_on=date(2020, 10, 1),
        ends_on=PUBLICITY_ENDS,
        place="村务公开栏",
    )


def conclude_publicity(
    concluded_on: date = date(2020, 10, 8), grant_no: str = GRANT_NO, command_id: str | None = None
) -> ConcludePublicity:
    return ConcludePublicity(
        grant_no=grant_no, actor="officer", command_id=_command_id(command_id), concluded_on=concluded_on
    )


def final_report(
    money_used: Money = REQUESTED, grant_no: str = GRANT_NO, command_id: str | None = None
) -> SubmitFinalReport:
    return SubmitFinalReport(
        grant_no=grant_no,
        actor="recipient",
        command_id=_command_id(command_id),
        people_reached=1200,
        money_used=money_used,
        satisfaction=Points.parse("98.6"),
        outcomes="建成暖心家园 3 个",
    )


def evaluate(score: str = "93.5", grant_no: str = GRANT_NO, command_id: str | None = None) -> RecordEvaluation:
    return RecordEvaluation(
        grant_no=grant_no,
        actor="auditor",
        command_id=_command_id(command_id),
        score=Points.parse(score),
        findings="无",
    )


def close(grant_no: str = GRANT_NO, command_id: str | None = None) -> CloseGrant:
    return CloseGrant(grant_no=grant_no, actor="officer", command_id=_command_id(command_id))


# The straight path through the six stages, one builder per step (two tranches of half each).
LIFECYCLE: tuple[Callable[..., GrantCommand], ...] = (
    approve,
    notice,
    acknowledge,
    disburse,
    disburse,
    start_publicity,
    conclude_publicity,
    final_report,
    evaluate,
    close,
)

LIFECYCLE_EVENTS = (
    "ApplicationSubmitted",
    "ApplicationApproved",
    "NoticeRecorded",
    "NoticeAcknowledged",
    "DisbursementRecorded",
    "DisbursementRecorded",
    "PublicityStarted",
    "PublicityConcluded",
    "FinalReportSubmitted",
    "EvaluationRecorded",
    "GrantClosed",
)


def lifecycle(grant_no: str = GRANT_NO) -> list[GrantCommand]:
    """Every command after the application, in order, that takes a grant to closed."""
    return [build(grant_no=grant_no) for build in LIFECYCLE]


def grant_after(steps: int = 0, *, grant_no: str = GRANT_NO) -> Grant:
    """A grant submitted and taken through the first `steps` steps of the lifecycle."""
    return grant_through(lifecycle(grant_no)[:steps], grant_no=grant_no)


def grant_through(
    commands: Sequence[GrantCommand],
    *,
    grant_no: str = GRANT_NO,
    at: datetime = AFTER_PERIOD,
    application: SubmitApplication | None = None,
) -> Grant:
    """A grant submitted (by default with `submit()`) and taken through `commands`, all executed at `at`."""
    grant = Grant.submit(application or submit(grant_no=grant_no, command_id="submit"))
    for command in commands:
        grant.execute(command, at)
    return grant


def event_names(grant: Grant) -> list[str]:
    """Collect the grant's pending events and name them."""
    return [type(event).__name__ for event in grant.collect_events()]


# What the grant has been through after each number of lifecycle steps (the index).
MILESTONES = (
    "submitted",
    "approved",
    "notice recorded",
    "notice acknowledged",
    "first tranche paid",
    "fully disbursed",
    "publicity started",
    "publicity concluded",
    "final report submitted",
    "evaluated",
    "closed",
)


# Collective decisions (三重一大)

MEMBERS = ("王强", "李明", "张华", "赵丽", "陈刚")
PAYMENT = Money(5_200_000_00)


def decision_item(votes: tuple[tuple[str, Vote], ...] | None = None, **changes: object) -> DecisionItem:
    fields: dict[str, object] = {
        "kind": DecisionKind.LARGE_FUND_USE,
        "grant_no": "HN-2020-ZX-0001",
        "amount": PAYMENT,
        "description": "长沙市2020年专项资金拨付",
        "votes": votes or (("李明", Vote.FOR), ("张华", Vote.FOR), ("赵丽", Vote.FOR), ("王强", Vote.FOR)),
    }
    fields.update(changes)
    return DecisionItem(**fields)  # type: ignore[arg-type]


def minutes(**changes: object) -> RecordDecision:
    fields: dict[str, object] = {
        "body": "党组会",
        "held_on": date(2020, 6, 20),
        "form": "meeting",
        "minutes_ref": "纪要〔2020〕12号",
        "chair": "王强",
        "members": MEMBERS,
        "present": ("王强", "李明", "张华", "赵丽"),
        "recused": (),
        "items": (decision_item(),),
        "actor": "secretary",
    }
    fields.update(changes)
    return RecordDecision(**fields)  # type: ignore[arg-type]
