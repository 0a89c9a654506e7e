"""Who may ask for what: the roles of the people who record a grant's steps, and the commands each role may issue.

The table is the one place that says which role records which step; the HTTP API checks a signed-in person's role
against it, the workflow's update validators check it again (defence in depth), and the ledger checks that the
person actually holds the role (an appointment recorded in the ledger).
"""

from __future__ import annotations

from enum import StrEnum

from domain.commands import (
    AcknowledgeNotice,
    ApproveApplication,
    CloseGrant,
    ConcludePublicity,
    GrantCommand,
    RaiseObjection,
    RecordDisbursement,
    RecordEvaluation,
    RecordMajorChange,
    RecordNotice,
    RecordReturn,
    RejectApplication,
    ResolveObjection,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)


class Role(StrEnum):
    OFFICER = "officer"  # 项目经办人: submits applications, runs publicity, records changes, closes the grant
    APPROVER = "approver"  # 审批人: approves or rejects applications
    FINANCE = "finance"  # 财务: issues the appropriation notice, pays the tranches, books money returned
    RECIPIENT = "recipient"  # 项目承担单位: acknowledges the notice, submits the final report
    AUDITOR = "auditor"  # 审计 / 绩效评价: records the evaluation; otherwise reads everything and changes nothing
    OPERATOR = "operator"  # 运维: watches workflows; records no step


MAY_ISSUE: dict[Role, frozenset[type[GrantCommand]]] = {
    Role.OFFICER: frozenset(
        {
            SubmitApplication,
            StartPublicity,
            ConcludePublicity,
            RaiseObjection,
            ResolveObjection,
            RecordMajorChange,
            CloseGrant,
        }
    ),
    Role.APPROVER: frozenset({ApproveApplication, RejectApplication}),
    Role.FINANCE: frozenset({RecordNotice, RecordDisbursement, RecordReturn}),
    Role.RECIPIENT: frozenset({AcknowledgeNotice, SubmitFinalReport}),
    Role.AUDITOR: frozenset({RecordEvaluation}),
    Role.OPERATOR: frozenset(),
}


def may_issue(role: Role, command: type[GrantCommand]) -> bool:
    """Whether a person in `role` may record a command of this kind."""
    return command in MAY_ISSUE[role]


def roles_for(command: type[GrantCommand]) -> list[Role]:
    """The roles that may record a command of this kind, for an error message that says who should act."""
    return [role for role, commands in MAY_ISSUE.items() if command in commands]
