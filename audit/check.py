"""`grants audit check`: every rule enforced once more, by replaying the ledger (the detective half of R1-R9).

Each recorded step is turned back into the command that made it and judged by the same rules the ledger applied
when it was recorded, against the grant's state just before it, at the time it was recorded, and with the
collective decision it named. A ledger written under laxer rules (a threshold raised to let one payment
through), or a decision that no longer authorises what it was cited for, shows up here; so does every deadline
the workflows recorded as missed. Findings cite the event versions they rest on and come out in a stable order.

Where the rules in force required roles, each step's actor is judged against the staff register as it stood
when the step was recorded; and every key appointment is judged again against the decision it named.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from domain import rules
from domain.clock import SHANGHAI
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
    RejectApplication,
    ResolveObjection,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.decisions import CollectiveDecision, r5_problems
from domain.errors import GrantError, GrantRuleViolation
from domain.grant import Grant, grant_id
from domain.oversight import DEFAULT_FUND_RULES, FundRules
from domain.personal import BeneficiaryList, beneficiary_list_id
from domain.roles import ROLES_RULE, Role
from domain.rulebook import RuleBook, loosened
from domain.staff import (
    IMPORTANT_APPOINTMENT,
    Appointment,
    StaffMember,
    appointment_problems,
    check_held_role,
    staff_member_id,
)
from ledger.application import GrantLedger

VIOLATION = "violation"
WARNING = "warning"

# The command each recorded step came from (the application and missed deadlines are not steps to re-judge).
STEP_OF_EVENT: dict[str, type[GrantCommand]] = {
    "ApplicationApproved": ApproveApplication,
    "ApplicationRejected": RejectApplication,
    "NoticeRecorded": RecordNotice,
    "NoticeAcknowledged": AcknowledgeNotice,
    "DisbursementRecorded": RecordDisbursement,
    "PublicityStarted": StartPublicity,
    "MajorChangeRecorded": RecordMajorChange,
    "ObjectionRaised": RaiseObjection,
    "ObjectionResolved": ResolveObjection,
    "PublicityConcluded": ConcludePublicity,
    "FinalReportSubmitted": SubmitFinalReport,
    "EvaluationRecorded": RecordEvaluation,
    "GrantClosed": CloseGrant,
}
STEP_FIELDS = {name: {f.name for f in fields(command)} for name, command in STEP_OF_EVENT.items()}


@dataclass(frozen=True, order=True)
class Finding:
    grant_no: str
    versions: tuple[int, ...]
    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        events = ", ".join(f"#{version}" for version in self.versions)
        return f"{self.severity}: {self.rule}: grant {self.grant_no}, event {events}: {self.message}"


def check_ledger(
    ledger: GrantLedger,
    grant_nos: Iterable[str] | None = None,
    fiscal_year: int | None = None,
    fund_rules: FundRules = DEFAULT_FUND_RULES,
) -> list[Finding]:
    """The findings of every grant (or of those named, or of one fiscal year), in a stable order."""
    books = ledger.rule_books()
    book = books[0] if books else None
    findings = [finding for book in books for finding in _loosenings(book)]
    findings.extend(check_appointments(ledger, fund_rules, book))
    register = StaffRegister(ledger)
    for grant_no in sorted(grant_nos if grant_nos is not None else ledger.grant_numbers()):
        if fiscal_year is None or ledger.state(grant_no).application.fiscal_year == fiscal_year:
            findings.extend(check_grant(ledger, grant_no, fund_rules, book, register))
            findings.extend(check_beneficiary_payments(ledger, grant_no))
    return sorted(findings)


class StaffRegister:
    """The staff register as it stood at any moment: each person's appointments recorded by then, in force then."""

    def __init__(self, ledger: GrantLedger) -> None:
        self._ledger = ledger
        self._events: dict[str, list[Any]] = {}

    def roles(self, person: str, at: datetime) -> list[Appointment]:
        if person not in self._events:
            self._events[person] = list(self._ledger.repository.event_store.get(staff_member_id(person)))
        member: StaffMember | None = None
        for recorded in self._events[person]:
            if recorded.timestamp > at:
                break
            member = recorded.mutate(member)
        return member.roles_at(at) if member is not None else []


def check_appointments(
    ledger: GrantLedger, fund_rules: FundRules = DEFAULT_FUND_RULES, book: RuleBook | None = None
) -> list[Finding]:
    """Each appointment to a role that was key when it was recorded, judged again against the decision it named."""
    findings = []
    for member in ledger.staff():
        for recorded in ledger.repository.event_store.get(member.id):
            if type(recorded).__name__ != "RoleGranted":
                continue
            granted: Any = recorded
            in_force = book.in_force_at(granted.timestamp, fund_rules) if book else fund_rules
            decision = _decision_then(ledger, granted.decision_ref, granted.timestamp)
            problems = appointment_problems(
                member.person, Role(granted.role), granted.effective_from, granted.decision_ref, decision, in_force
            )
            if problems:
                message = f"appointment as {granted.role} recorded {_local(granted.timestamp)}: {'; '.join(problems)}"
                subject = f"(staff {member.person})"
                findings.append(
                    Finding(subject, (granted.originator_version,), IMPORTANT_APPOINTMENT, VIOLATION, message)
                )
    return findings


def _decision_then(ledger: GrantLedger, reference: str, at: datetime) -> CollectiveDecision | None:
    """The decision `reference` names, if it was recorded by `at` (minutes entered later authorised nothing then)."""
    body, _, minutes_ref = reference.partition(":")
    if not minutes_ref:
        return None
    try:
        decision = ledger.decision(body, minutes_ref)
    except GrantError:
        return None
    return decision if decision.created_on <= at else None


def _local(at: datetime) -> str:
    return f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} (Asia/Shanghai)"


def _loosenings(book: RuleBook) -> list[Finding]:
    """Each change of the rules that loosened them: a warning, whatever it let through."""
    findings = []
    for index in range(1, len(book.history)):
        (_, before), (adopted_at, after) = book.history[index - 1], book.history[index]
        for change in loosened(before, after):
            message = f"{change} on {adopted_at:%Y-%m-%d %H:%M} UTC"
            findings.append(
                Finding(f"(rules of {book.funding_body})", (index + 2,), "rules loosened", WARNING, message)
            )
    return findings


def check_beneficiary_payments(ledger: GrantLedger, grant_no: str) -> list[Finding]:
    """R7 on replay: each payment judged against the list as it stood (the card was checked when it was paid)."""
    findings: list[Finding] = []
    names: BeneficiaryList | None = None
    for recorded in ledger.repository.event_store.get(beneficiary_list_id(grant_no)):
        if type(recorded).__name__ == "BeneficiaryPaid" and names is not None:
            paid: Any = recorded
            problem, _ = names.payment_problem(paid.person_id, paid.amount, paid.paid_on, paid.channel)
            if problem:
                message = f"person {paid.person_id}: {problem} (beneficiary list event #{paid.originator_version})"
                findings.append(Finding(grant_no, (paid.originator_version,), "R7 registered list", VIOLATION, message))
        names = recorded.mutate(names)  # type: ignore[attr-defined]
    return findings


def check_grant(
    ledger: GrantLedger,
    grant_no: str,
    fund_rules: FundRules = DEFAULT_FUND_RULES,
    book: RuleBook | None = None,
    register: StaffRegister | None = None,
) -> list[Finding]:
    """One grant's findings; each step judged by the rules in force when it was recorded (`book`, else `fund_rules`)."""
    findings: list[Finding] = []
    grant: Grant | None = None
    register = register or StaffRegister(ledger)
    for recorded in ledger.repository.event_store.get(grant_id(grant_no)):
        name, version = type(recorded).__name__, recorded.originator_version
        at = recorded.timestamp  # type: ignore[attr-defined]  # every stored event has one
        in_force = book.in_force_at(at, fund_rules) if book else fund_rules
        if name == "DeadlineMissed":
            message = f"the {recorded.kind} deadline of {recorded.due_at:%Y-%m-%d %H:%M} UTC passed with it unmet"  # type: ignore[attr-defined]
            findings.append(Finding(grant_no, (version,), "R9 deadlines", VIOLATION, message))
        elif name in STEP_OF_EVENT and grant is not None:
            findings.extend(_judge(ledger, grant, grant_no, recorded, in_force))
        if in_force.roles_required and (name in STEP_OF_EVENT or grant is None):
            findings.extend(_judge_actor(register, grant, grant_no, recorded))
        grant = recorded.mutate(grant)  # type: ignore[attr-defined]
    return findings


def _judge_actor(register: StaffRegister, grant: Grant | None, grant_no: str, recorded: Any) -> list[Finding]:  # noqa: ANN401
    """Whether the step's actor held a role that may record it, by the register as it stood when it was recorded.

    Histories imported from elsewhere are left alone: the register does not speak for the time before this system.
    """
    if str(recorded.command_id).startswith("import:"):
        return []
    try:
        command = _command_of(grant_no, recorded)
        check_held_role(command, register.roles(command.actor, recorded.timestamp), grant.state if grant else None)
    except GrantRuleViolation as broken:
        message = f"{broken.problem}, when {type(recorded).__name__} was recorded {_local(recorded.timestamp)}"
        return [Finding(grant_no, (recorded.originator_version,), ROLES_RULE, VIOLATION, message)]
    except GrantError:
        return []  # a step that cannot be rebuilt is reported by `_judge`
    return []


def _command_of(grant_no: str, recorded: Any) -> GrantCommand:  # noqa: ANN401
    """The command that made a recorded step, rebuilt from the event's facts."""
    name = type(recorded).__name__
    if name == "ApplicationSubmitted":
        return SubmitApplication(grant_no=grant_no, actor=recorded.actor, details=recorded.details)
    facts = {key: value for key, value in vars(recorded).items() if key in STEP_FIELDS[name]}
    return STEP_OF_EVENT[name](**{**facts, "grant_no": grant_no})


def _judge(ledger: GrantLedger, grant: Grant, grant_no: str, recorded: Any, fund_rules: FundRules) -> list[Finding]:  # noqa: ANN401
    """Judge one recorded step by the rules, against the state the grant had just before it."""
    name, version = type(recorded).__name__, recorded.originator_version
    try:
        command = _command_of(grant_no, recorded)
        decision = ledger.named_decision(command)
        if decision is not None:
            problems = r5_problems(decision.as_minutes(), fund_rules.quorum_fraction)
            if problems:
                message = f"it rests on decision {decision.minutes_ref}, which is not valid: {'; '.join(problems)}"
                return [Finding(grant_no, (version,), "R5 valid collective decision", VIOLATION, message)]
        rules.check(grant.state, command, recorded.timestamp, decision, fund_rules)
    except GrantRuleViolation as broken:
        source = "imported" if str(recorded.command_id).startswith("import:") else "recorded"
        return [Finding(grant_no, (version,), broken.rule, VIOLATION, f"{broken.problem} ({source} as {name})")]
    except GrantError as broken:
        return [Finding(grant_no, (version,), "record", VIOLATION, f"{name}: {broken}")]
    return []
