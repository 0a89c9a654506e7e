"""One grant's commands, step by step, for tests above the domain (workflows, CLI)."""

from __future__ import annotations

from datetime import date

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
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.values import Money, Points

AMOUNT = Money(3_690_000_00)


def details(**changes: object) -> ApplicationDetails:
    fields: dict[str, object] = {
        "program": "暖心家园",
        "recipient": "长沙市计划生育协会",
        "region": "430100",
        "fiscal_year": 2020,
        "title": "2020年暖心家园项目",
        "requested": AMOUNT,
        "period_start": date(2020, 1, 1),
        "period_end": date(2020, 12, 31),
    }
    fields.update(changes)
    return ApplicationDetails(**fields)  # type: ignore[arg-type]


def application(grant_no: str, **changes: object) -> SubmitApplication:
    return SubmitApplication(grant_no=grant_no, actor="applicant", details=details(**changes))


def steps_after_application(grant_no: str) -> list[GrantCommand]:
    half = Money(AMOUNT.fen // 2)
    return [
        ApproveApplication(grant_no=grant_no, actor="approver", approved=AMOUNT),
        RecordNotice(
            grant_no=grant_no,
            actor="finance",
            document_no="湘财社指〔2020〕36号",
            issuer="湖南省财政厅",
            issued_on=date(2020, 6, 10),
            amount=AMOUNT,
        ),
        AcknowledgeNotice(grant_no=grant_no, actor="recipient"),
        RecordDisbursement(grant_no=grant_no, actor="recipient", amount=half, paid_on=date(2020, 7, 1), payee="x"),
        RecordDisbursement(grant_no=grant_no, actor="recipient", amount=half, paid_on=date(2020, 9, 1), payee="x"),
        StartPublicity(
            grant_no=grant_no, actor="officer", starts_on=date(2020, 10, 1), ends_on=date(2020, 10, 7), place="公示栏"
        ),
        ConcludePublicity(grant_no=grant_no, actor="officer", concluded_on=date(2020, 10, 8)),
        SubmitFinalReport(
            grant_no=grant_no, actor="recipient", people_reached=1200, money_used=AMOUNT, satisfaction=Points(980)
        ),
        RecordEvaluation(grant_no=grant_no, actor="auditor", score=Points(935)),
        CloseGrant(grant_no=grant_no, actor="officer"),
    ]
