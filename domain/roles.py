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
    RecordMissedDeadline,
    RecordNotice,
    RejectApplication,
    ResolveObjection,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.errors import GrantRuleViolation
from domain.personal import PayBeneficiary, RegisterBeneficiaries


class Role(StrEnum):
    OFFICER = "officer"  # 项目经办人: submits applications, runs publicity, records changes, closes the grant
    APPROVER = "approver"  # 审批人: approves or rejects applications
    FINANCE = "finance"  # 财务: issues the appropriation notice and pays the tranches
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
            RegisterBeneficiaries,  # 上报名单
        }
    ),
    Role.APPROVER: frozenset({ApproveApplication, RejectApplication}),
    Role.FINANCE: frozenset({RecordNotice, RecordDisbursement, PayBeneficiary}),
    Role.RECIPIENT: frozenset({AcknowledgeNotice, SubmitFinalReport}),
    Role.AUDITOR: frozenset({RecordEvaluation}),
    Role.OPERATOR: frozenset(),
}

# Recorded by the workflow itself (its deadline timer), never by a person: no role is needed, and none may.
SYSTEM_COMMANDS: frozenset[type[GrantCommand]] = frozenset({RecordMissedDeadline})
ROLES_RULE = "R6 roles and separation of duties"


def may_issue(role: Role, command: type[GrantCommand]) -> bool:
    """Whether a person in `role` may record a command of this kind."""
    return command in MAY_ISSUE[role]


def roles_for(command: type[GrantCommand]) -> list[Role]:
    """The roles that may record a command of this kind, for an error message that says who should act."""
    return [role for role, commands in MAY_ISSUE.items() if command in commands]


def describe(command: type[GrantCommand]) -> str:
    """`RecordDisbursement` -> `record disbursement`, for messages."""
    return "".join(f" {char.lower()}" if char.isupper() else char for char in command.__name__).strip()


def check_claimed_role(command: GrantCommand) -> None:
    """Refuse a command whose actor claims a role that may not record it (no claim: the ledger's register decides).

    This is what a workflow's update validator can check without I/O; the ledger then checks that the actor
    actually holds the role (`domain.staff.check_actor`).
    """
    if not command.role:
        return
    needed = ", ".join(roles_for(type(command))) or "none: the workflow records it itself"
    try:
        role = Role(command.role)
    except ValueError:
        known = ", ".join(Role)
        problem = f"{command.actor} claims the role {command.role!r}, which is not one of {known}"
        raise GrantRuleViolation(command.grant_no, ROLES_RULE, problem, f"act in one of: {needed}") from None
    if not may_issue(role, type(command)):
        raise GrantRuleViolation(
            command.grant_no,
            ROLES_RULE,
            f"{command.actor}, acting as {role}, may not {describe(type(command))}",
            f"ask a person with role {needed}",
        )
