"""The staff register (人员与岗位): who holds which role, for which regions, from when, and on whose authority.

Granting a role is an appointment, recorded as an event of the person's `StaffMember`. A key role (approver
and finance unless the rule book says otherwise) is an important appointment (重要干部任免, 三重一大): it rests
on a valid collective decision (R5) with an item appointing this person to this role, taken before the
appointment takes effect, on which the appointee did not vote. A revocation is an event too, effective from
its time; nothing is ever edited. When the rules require it, the ledger checks every step's actor against the
register as it stands at the step's time (`check_actor`), and `grants audit check` does so again on replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.clock import local_date
from domain.commands import REGION_CODE, GrantCommand, SubmitApplication
from domain.decisions import CollectiveDecision, DecisionKind, r5_problems
from domain.errors import GrantError, GrantRuleViolation, InvalidInputError
from domain.oversight import FundRules, check_duties
from domain.roles import ROLES_RULE, SYSTEM_COMMANDS, Role, describe, may_issue, roles_for
from domain.state import GrantState

STAFF_NAMESPACE = uuid5(NAMESPACE_URL, "urn:grant-ledger:staff-member")
ALL_REGIONS = "all"
IMPORTANT_APPOINTMENT = "R3 important appointment (重要干部任免)"


def staff_member_id(person: str) -> UUID:
    """Derived from the person's name (their id in the register), so a person is registered once."""
    return uuid5(STAFF_NAMESPACE, person)


def covers(scope: str, region: str) -> bool:
    """Whether an appointment for `scope` reaches a grant of `region` (GB/T 2260: 430000 > 430100 > 430102)."""
    if scope in {ALL_REGIONS, region}:
        return True
    if scope.endswith("0000"):
        return region[:2] == scope[:2]
    if scope.endswith("00"):
        return region[:4] == scope[:4]
    return False


def _require(owner: object, *names: str) -> None:
    for name in names:
        if not str(getattr(owner, name)).strip():
            msg = f"{name.replace('_', ' ')} must not be empty"
            raise InvalidInputError(msg)


def _check_scope_and_time(scope: str, effective_from: datetime | None) -> None:
    if scope != ALL_REGIONS and not REGION_CODE.match(scope):
        msg = f"scope {scope!r} is neither 'all' nor a six-digit GB/T 2260 region code (e.g. 430100 for Changsha)"
        raise InvalidInputError(msg)
    if effective_from is not None and effective_from.tzinfo is None:
        msg = f"effective time {effective_from} has no time zone; instants are stored in UTC"
        raise InvalidInputError(msg)


@dataclass(frozen=True, kw_only=True)
class AppointStaff:
    """An appointment as it is entered: `granted_by` records it; a key role names the decision it rests on."""

    person: str
    role: Role
    granted_by: str
    scope: str = ALL_REGIONS  # "all", or the region (a province or city code covers the regions within it)
    decision_ref: str = ""  # `BODY:MINUTES` of the collective decision a key role rests on
    effective_from: datetime | None = None  # default: when it is recorded

    def __post_init__(self) -> None:
        _require(self, "person", "granted_by")
        _check_scope_and_time(self.scope, self.effective_from)


@dataclass(frozen=True, kw_only=True)
class RevokeRole:
    person: str
    role: Role
    revoked_by: str
    reason: str
    scope: str = ALL_REGIONS
    effective_from: datetime | None = None  # default: when it is recorded

    def __post_init__(self) -> None:
        _require(self, "person", "revoked_by", "reason")
        _check_scope_and_time(self.scope, self.effective_from)


@dataclass(frozen=True)
class Appointment:
    """One role held: for which regions, from when (until when, once revoked), by whose act, on which decision."""

    role: Role
    scope: str
    effective_from: datetime
    granted_by: str
    decision_ref: str = ""
    revoked_from: datetime | None = None

    def in_force_at(self, at: datetime) -> bool:
        return self.effective_from <= at and (self.revoked_from is None or at < self.revoked_from)

    def __str__(self) -> str:
        return f"{self.role} ({'all regions' if self.scope == ALL_REGIONS else f'region {self.scope}'})"


class StaffRuleViolation(GrantError):
    """An appointment or revocation that the rules refuse; names the person, the rule and the fix."""

    def __init__(self, person: str, rule: str, problem: str, fix: str) -> None:
        self.person = person
        self.rule = rule
        self.problem = problem
        super().__init__(f"person {person}: {rule}: {problem}. Fix: {fix}.")


def appointment_problems(
    person: str,
    role: Role,
    effective_from: datetime,
    decision_ref: str,
    decision: CollectiveDecision | None,
    rules: FundRules,
) -> list[str]:
    """Why an appointment lacks the valid prior collective decision a key role needs (empty: it has one, or needs none).

    The ledger refuses an appointment with problems; `grants audit check` reports one found on replay.
    """
    if role not in rules.key_roles:
        return []
    if not decision_ref:
        return [f"{role} is a key role, and no collective decision is named"]
    if decision is None:
        return [f"decision {decision_ref} is not recorded"]
    minutes = decision.minutes_ref
    invalid = r5_problems(decision.as_minutes(), rules.quorum_fraction)
    problems = [f"decision {minutes} is not valid (R5): {problem}" for problem in invalid]
    items = [
        item
        for item in decision.items
        if item.kind == DecisionKind.APPOINTMENT and item.appointee == person and item.role == role
    ]
    if not items:
        problems.append(f"decision {minutes} has no appointment item for {person} as {role}")
    if decision.held_on >= local_date(effective_from):
        problems.append(
            f"decision {minutes} was taken on {decision.held_on}, not before the appointment "
            f"takes effect ({local_date(effective_from)})"
        )
    if any(member == person for item in items for member, _ in item.votes):
        problems.append(f"{person} voted on their own appointment in decision {minutes}, and should have been recused")
    return problems


class StaffMember(Aggregate):
    """One person's appointments, as a sequence of events (their id: uuid5 of the person)."""

    @staticmethod
    def create_id(person: str, **_: Any) -> UUID:  # noqa: ANN401 - eventsourcing passes the event's fields
        return staff_member_id(person)

    @event("StaffMemberRegistered")
    def __init__(self, person: str) -> None:
        self.person = person
        self.appointments: list[Appointment] = []

    def roles_at(self, at: datetime) -> list[Appointment]:
        """The appointments in force at `at`."""
        return [appointment for appointment in self.appointments if appointment.in_force_at(at)]

    def appoint(
        self, command: AppointStaff, at: datetime, decision: CollectiveDecision | None, rules: FundRules
    ) -> bool:
        """Record the appointment (at `at`) unless the person already holds it; True if it was recorded."""
        effective_from = self._effective(command.effective_from, at)
        if command.granted_by == self.person:
            raise StaffRuleViolation(
                self.person, ROLES_RULE, "nobody records their own appointment", "have another person record it"
            )
        if self._held(command.role, command.scope):
            return False
        problems = appointment_problems(
            self.person, command.role, effective_from, command.decision_ref, decision, rules
        )
        if problems:
            fix = (
                f"record the collective decision that appoints {self.person} as {command.role} (an `appointment` "
                "item, see `grants decision example`), taken before the appointment, without their vote, and "
                "name it with --decision BODY:MINUTES"
            )
            raise StaffRuleViolation(self.person, IMPORTANT_APPOINTMENT, "; ".join(problems), fix)
        self._role_granted(command.role.value, command.scope, effective_from, command.granted_by, command.decision_ref)
        return True

    def revoke(self, command: RevokeRole, at: datetime) -> None:
        """Record that the person no longer holds the role (for that scope) from the revocation's time."""
        effective_from = self._effective(command.effective_from, at)
        if not self._held(command.role, command.scope):
            held = ", ".join(str(appointment) for appointment in self.roles_at(at)) or "no role"
            raise StaffRuleViolation(
                self.person,
                ROLES_RULE,
                f"{self.person} holds no appointment as {command.role} for scope {command.scope} to revoke "
                f"(holds: {held})",
                "check the role and scope with `grants staff list`",
            )
        self._role_revoked(command.role.value, command.scope, effective_from, command.revoked_by, command.reason)

    def _held(self, role: Role, scope: str) -> bool:
        return any(a.role == role and a.scope == scope and a.revoked_from is None for a in self.appointments)

    def _effective(self, requested: datetime | None, at: datetime) -> datetime:
        """From `requested` (a later time) or from now; never earlier: steps already recorded keep their judgement."""
        if requested is None or requested <= at:
            if requested is not None and local_date(requested) < local_date(at):
                raise StaffRuleViolation(
                    self.person,
                    ROLES_RULE,
                    f"a change of roles cannot take effect on {local_date(requested)}, before it is recorded",
                    "make it effective from today or a later date",
                )
            return at
        return requested

    # The events only apply facts: the rules were checked above, and replay is never refused.

    @event("RoleGranted")
    def _role_granted(
        self, role: str, scope: str, effective_from: datetime, granted_by: str, decision_ref: str
    ) -> None:
        self.appointments.append(Appointment(Role(role), scope, effective_from, granted_by, decision_ref))

    @event("RoleRevoked")
    def _role_revoked(self, role: str, scope: str, effective_from: datetime, revoked_by: str, reason: str) -> None:
        self.appointments = [
            replace(appointment, revoked_from=effective_from)
            if appointment.role == role and appointment.scope == scope and appointment.revoked_from is None
            else appointment
            for appointment in self.appointments
        ]


def check_held_role(command: GrantCommand, held: Sequence[Appointment], state: GrantState | None) -> None:
    """The actor must hold, among `held` (their appointments in force at the step's time), a role that may record
    `command` for the grant's region, and the role they claim if they claim one. The workflow's own steps are exempt.
    """
    kind = type(command)
    if kind in SYSTEM_COMMANDS:
        return
    region = state.application.region if state is not None else _region_applied_for(command)
    usable = [
        appointment
        for appointment in held
        if covers(appointment.scope, region)
        and may_issue(appointment.role, kind)
        and command.role in {"", appointment.role}
    ]
    if usable:
        return
    needed = [str(role) for role in roles_for(kind)]
    holds = ", ".join(str(appointment) for appointment in held) or "no role"
    if command.role:
        problem = f"{command.actor} acts as {command.role}, but holds no such appointment for region {region} now"
        role = command.role
    else:
        problem = f"{command.actor} may not {describe(kind)}: that needs the role {' or '.join(needed)}"
        role = needed[0] if needed else "?"
    raise GrantRuleViolation(
        command.grant_no,
        ROLES_RULE,
        f"{problem} (holds: {holds})",
        f"appoint {command.actor} as {role} with `grants staff appoint {command.actor} --role {role} "
        f"--scope {region}`, or ask a person with role {' or '.join(needed)}",
    )


def check_actor(command: GrantCommand, held: Sequence[Appointment], state: GrantState | None) -> None:
    """Whether the actor may record `command` now: the role held (`check_held_role`) and, on an existing grant,
    no conflicting role on it (R6, `domain.oversight.check_duties`: e.g. its approver may not pay it).
    """
    check_held_role(command, held, state)
    if state is not None:
        check_duties(state, command)


def _region_applied_for(command: GrantCommand) -> str:
    if isinstance(command, SubmitApplication):
        return command.details.region
    msg = f"grant {command.grant_no}: no state to judge {type(command).__name__} by"
    raise TypeError(msg)
