"""`grants audit check`: every rule enforced once more, by replaying the ledger (the detective half of R1-R9).

Each recorded step is turned back into the command that made it and judged by the same rules the ledger applied
when it was recorded, against the grant's state just before it, at the time it was recorded, and with the
collective decision it named. A ledger written under laxer rules (a threshold raised to let one payment
through), or a decision that no longer authorises what it was cited for, shows up here; so does a step that passes
only because the rules were loosened earlier in its fiscal year, every deadline the workflows recorded as missed,
and every deadline met late in a history no workflow watched (audit/deadline_check.py); an objection's extension is
computed again rather than taken from the record. Findings cite the event versions they rest on, say what would fix
them, and come out in a stable order.

Where the rules in force required roles, each step's actor is judged against the staff register as it stood
when the step was recorded; and every key appointment is judged again against the decision it named.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import fields, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

from audit.deadline_check import DeadlineWatch, deadline_fix
from audit.findings import VIOLATION, WARNING, Finding, local_time
from domain import rules
from domain.clock import SHANGHAI, local_date
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
    RecordReturn,
    RejectApplication,
    ResolveObjection,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.deadlines import DeadlineKind, DeadlinePolicy
from domain.decisions import CollectiveDecision, r5_problems
from domain.errors import GrantError, GrantNotFoundError, GrantRuleViolation
from domain.grant import Grant, grant_id
from domain.oversight import DEFAULT_FUND_RULES, FundRules
from domain.personal import BeneficiaryList, beneficiary_list_id
from domain.publicity import RULE as RULE_PUBLICITY
from domain.publicity import extended_end
from domain.roles import ROLES_RULE, Role
from domain.rulebook import RuleBook, loosened, strictest
from domain.staff import (
    IMPORTANT_APPOINTMENT,
    Appointment,
    StaffMember,
    appointment_problems,
    check_held_role,
    staff_member_id,
)
from domain.state import GrantState
from ledger.application import GrantLedger

__all__ = [  # with what the commands and the report import from here: the findings' type and severities
    "VIOLATION",
    "WARNING",
    "Finding",
    "StaffRegister",
    "applications",
    "check_appointments",
    "check_beneficiary_payments",
    "check_grant",
    "check_ledger",
    "loosenings",
    "rule_book",
]

# The command each recorded step came from (the application and missed deadlines are not steps to re-judge).
STEP_OF_EVENT: dict[str, type[GrantCommand]] = {
    "ApplicationApproved": ApproveApplication,
    "ApplicationRejected": RejectApplication,
    "NoticeRecorded": RecordNotice,
    "NoticeAcknowledged": AcknowledgeNotice,
    "DisbursementRecorded": RecordDisbursement,
    "FundsReturned": RecordReturn,
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


def check_ledger(
    ledger: GrantLedger,
    grant_nos: Iterable[str] | None = None,
    fiscal_year: int | None = None,
    fund_rules: FundRules = DEFAULT_FUND_RULES,
    as_of: datetime | None = None,
) -> list[Finding]:
    """The findings of every grant (or of those named, or of one fiscal year), in a stable order.

    `as_of`: the moment by which deadlines still open count as missed (default: each grant's last event).
    """
    book, findings = rule_book(ledger)
    findings.extend(check_appointments(ledger, fund_rules, book))
    register, rules = StaffRegister(ledger), RulesOverTime(book, fund_rules)
    applied = dict(applications(ledger))
    for grant_no in sorted(grant_nos if grant_nos is not None else applied):
        details = _application(applied, grant_no)  # a grant named but never applied for is refused, not passed
        if fiscal_year is not None and details.fiscal_year != fiscal_year:
            continue
        findings.extend(check_grant(ledger, grant_no, register=register, as_of=as_of, rules=rules))
        findings.extend(check_beneficiary_payments(ledger, grant_no))
    return sorted(findings)


def rule_book(ledger: GrantLedger) -> tuple[RuleBook | None, list[Finding]]:
    """The rule book steps are judged by, and the findings on the books themselves (each loosening: a warning).

    A ledger serves one funding body: its worker records the rules of the one body its rules file names, and a
    grant carries no funding body of its own to choose a book by. A ledger that holds the books of several bodies
    (a renamed body, or two rules files against one ledger) has its steps judged by the first one opened, and
    says so in a warning.
    """
    books = ledger.rule_books()
    findings = [finding for each in books for finding in loosenings(each)]
    if len(books) > 1:
        names = ", ".join(each.funding_body for each in books)
        message = (
            f"the ledger holds the rule books of {len(books)} funding bodies ({names}), but a ledger serves one: "
            f"every step is judged by the rules of {books[0].funding_body}. Fix: point every worker of this ledger "
            "at one rules file (GRANTS_RULES_FILE), with one funding_body"
        )
        findings.append(Finding("(rule books)", (), "rules configuration", WARNING, message))
    return (books[0] if books else None), findings


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
                recorded_at = local_time(granted.timestamp)
                message = (
                    f"appointment as {granted.role} recorded {recorded_at}: {'; '.join(problems)}. Fix: appoint "
                    f"{member.person} again on a valid collective decision taken before (`grants staff appoint "
                    f"{member.person} --role {granted.role} --decision BODY:MINUTES`), or revoke the role"
                )
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


def applications(ledger: GrantLedger) -> Iterator[tuple[str, ApplicationDetails]]:
    """Every grant's number and application, in recording order, read from the application events alone.

    Choosing a year's grants this way costs one event per grant, not a replay of each (a grant can have thousands).
    """
    topic = [get_topic(Grant.ApplicationSubmitted)]  # type: ignore[attr-defined]  # made by @event
    start = 1
    while notifications := ledger.recorder.select_notifications(start=start, limit=500, topics=topic):
        for notification in notifications:
            submitted: Any = ledger.mapper.to_domain_event(notification)
            yield submitted.grant_no, submitted.details
        start = notifications[-1].id + 1


def _application(applied: dict[str, ApplicationDetails], grant_no: str) -> ApplicationDetails:
    if grant_no not in applied:
        raise GrantNotFoundError(grant_no)
    return applied[grant_no]


def loosenings(book: RuleBook) -> list[Finding]:
    """Each change of the rules that loosened them: a warning, whatever it let through."""
    findings = []
    for index in range(1, len(book.history)):
        (_, before), (adopted_at, after) = book.history[index - 1], book.history[index]
        for change in loosened(before, after):
            message = (
                f"{change} on {adopted_at:%Y-%m-%d %H:%M} UTC. Fix: have the funding body confirm the change "
                "(who changed the rules file, and on what authority); steps that pass only because of it are "
                "reported as violations"
            )
            findings.append(
                Finding(f"(rules of {book.funding_body})", (index + 2,), "rules loosened", WARNING, message)
            )
    return findings


def check_beneficiary_payments(
    ledger: GrantLedger, grant_no: str, events: Iterable[DomainEventProtocol[UUID]] | None = None
) -> list[Finding]:
    """R7 on replay: each payment judged against the list as it stood (the card was checked when it was paid).

    `events` are the list's events where the caller has read them already (the evaluation report does).
    """
    findings: list[Finding] = []
    names: BeneficiaryList | None = None
    if events is None:
        events = ledger.repository.event_store.get(beneficiary_list_id(grant_no))
    for recorded in events:
        if type(recorded).__name__ == "BeneficiaryPaid" and names is not None:
            paid: Any = recorded
            problem, fix = names.payment_problem(paid.person_id, paid.amount, paid.paid_on, paid.channel)
            if problem:
                message = (
                    f"person {paid.person_id}: {problem} (beneficiary list event #{paid.originator_version}). "
                    f"Fix: {fix}; recover what was paid wrongly"
                )
                findings.append(Finding(grant_no, (paid.originator_version,), "R7 registered list", VIOLATION, message))
        names = recorded.mutate(names)  # type: ignore[attr-defined]
    return findings


def check_grant(  # noqa: PLR0913 - the grant, the rules, and what a caller has read already
    ledger: GrantLedger,
    grant_no: str,
    fund_rules: FundRules = DEFAULT_FUND_RULES,
    book: RuleBook | None = None,
    *,
    events: Iterable[DomainEventProtocol[UUID]] | None = None,
    register: StaffRegister | None = None,
    as_of: datetime | None = None,
    rules: RulesOverTime | None = None,
) -> list[Finding]:
    """One grant's findings; each step judged by the rules in force when it was recorded (`book`, else `fund_rules`).

    `events` are the grant's events where the caller has read them already (the evaluation report does). A deadline
    whose obligation is still open counts as missed if it passed by `as_of`, by default the time of the grant's last
    event: so the same ledger gives the same findings whenever it is checked (a stalled live grant's deadlines are
    the workflow's to record as missed). `rules`: the same `book` and `fund_rules` over time, where a caller checking
    many grants keeps one (its spans of strictest rules are worked out once for them all).
    """
    if events is None:
        events = ledger.repository.event_store.get(grant_id(grant_no))
    rules = rules or RulesOverTime(book, fund_rules)
    replay = GrantReplay(ledger, grant_no, rules, register or StaffRegister(ledger))
    findings = [finding for recorded in events for finding in replay.step(recorded)]
    return findings + replay.at_end(as_of)


class RulesOverTime:
    """The rule book (if the ledger holds one) and the rules before its first adoption."""

    def __init__(self, book: RuleBook | None, default: FundRules) -> None:
        self.book, self.default = book, default
        self._stricter: dict[tuple[int, ...], tuple[FundRules, str] | None] = {}

    def at(self, at: datetime) -> FundRules:
        return self.book.in_force_at(at, self.default) if self.book else self.default

    def strictest_deadlines(self, at: datetime) -> DeadlinePolicy:
        """The deadlines a deadline armed at `at` is held to: the shortest in force since its fiscal year began, so
        that lengthening one to let a late payment or report through (and shortening it again) gains nothing."""
        stricter = self.stricter_earlier(at)
        return (stricter[0] if stricter else self.at(at)).deadlines

    def stricter_earlier(self, at: datetime) -> tuple[FundRules, str] | None:
        """The strictest rules in force from the start of the fiscal year of `at` (a calendar year) until `at`.

        None where they are the rules in force at `at`; else with them, which versions of the book say what.
        """
        if self.book is None:
            return None
        year_start = datetime(local_date(at).year, 1, 1, tzinfo=SHANGHAI)
        during = self.book.in_force_during(year_start, at)
        if len(during) < 2:  # one set of rules all year: nothing was loosened
            return None
        versions = (year_start.year, *(version for version, _ in during))
        if versions not in self._stricter:  # the same few spans recur for every step of every grant
            self._stricter[versions] = self._stricter_than_last(year_start.year, during)
        return self._stricter[versions]

    def _stricter_than_last(self, year: int, during: list[tuple[int, FundRules]]) -> tuple[FundRules, str] | None:
        strict = strictest([rules for _, rules in during])
        (current, in_force), earlier = during[-1], [str(version) for version, _ in during[:-1]]
        if strict == in_force:
            return None
        where = (
            f"the rules of {self.book.funding_body if self.book else ''} in force when it was recorded (rule book "
            f"version {current}) are laxer than those in force earlier in {year} "
            f"(version{'s' if len(earlier) > 1 else ''} {', '.join(earlier)})"
        )
        return strict, where


class GrantReplay:
    """One grant replayed event by event: each step judged against the state the grant had just before it."""

    def __init__(self, ledger: GrantLedger, grant_no: str, rules: RulesOverTime, register: StaffRegister) -> None:
        self._ledger, self._grant_no, self._register = ledger, grant_no, register
        self._rules = rules
        self._grant: Grant | None = None
        self._current: GrantState | None = None  # the grant's state after the last event (read once per event)
        self._deadlines = DeadlineWatch(grant_no, rules.strictest_deadlines)
        # Publicity's last day as the rules extend it for an objection, where the record says an earlier one.
        self._extended_to: date | None = None

    def step(self, recorded: Any) -> list[Finding]:  # noqa: ANN401 - any event of a grant
        """The findings of one event, judged before it is applied; then the grant moves on."""
        name, version, at = type(recorded).__name__, recorded.originator_version, recorded.timestamp
        in_force, before = self._rules.at(at), self._state()
        findings: list[Finding] = []
        if name == "DeadlineMissed":
            message = (
                f"the {recorded.kind} deadline of {recorded.due_at:%Y-%m-%d %H:%M} UTC passed with it unmet. "
                f"Fix: {deadline_fix(DeadlineKind(recorded.kind))}"
            )
            findings.append(Finding(self._grant_no, (version,), "R9 deadlines", VIOLATION, message))
        elif name in STEP_OF_EVENT and before is not None:
            judged = _judge(self._ledger, before, self._grant_no, recorded, in_force)
            findings.extend(judged or self._judge_loosened(before, recorded))
        if in_force.roles_required and (name in STEP_OF_EVENT or before is None):
            findings.extend(_judge_actor(self._register, self._grant, self._grant_no, recorded))
        self._grant = recorded.mutate(self._grant)
        if name == "PublicityStarted":
            self._extended_to = None
        elif name == "ObjectionRaised" and before is not None:
            rightful = _rightful_extension(before, self._grant_no, recorded, in_force)
            self._extended_to = rightful if rightful > recorded.extends_to else None
        self._current = self._grant.state if self._grant is not None else None
        if self._current is not None:
            findings.extend(self._deadlines.after(self._current, version, at))
        return findings

    def _judge_loosened(self, before: GrantState, recorded: Any) -> list[Finding]:  # noqa: ANN401 - any step
        """A step that passes only because the rules were loosened earlier in its fiscal year: a violation.

        Loosen a threshold, pay, tighten it again: each change alone is only a warning, so the step is judged once
        more by the strictest rules in force from the start of its year until it was recorded.
        """
        stricter = self._rules.stricter_earlier(recorded.timestamp)
        if stricter is None:
            return []
        strict, where = stricter
        broken = _judge(self._ledger, before, self._grant_no, recorded, strict)
        return [
            replace(finding, message=f"it passes only because the rules were loosened: {where}. {finding.message}")
            for finding in broken
            if finding.severity == VIOLATION
        ]

    def at_end(self, as_of: datetime | None) -> list[Finding]:
        """The deadlines passed by `as_of` (default: the grant's last event) with their obligation still open."""
        if self._grant is None or self._current is None:
            return []
        return self._deadlines.at_end(self._current, self._grant.version, as_of or self._grant.modified_on)

    def _state(self) -> GrantState | None:
        """The grant's state as the rules see it: with publicity extended as they extend it."""
        state = self._current
        if state is None or self._extended_to is None:
            return state
        return replace(state, publicity_ends_on=self._extended_to)


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
        at = local_time(recorded.timestamp)
        message = f"{broken.problem}, when {type(recorded).__name__} was recorded {at}. Fix: {broken.fix}"
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


def _judge(
    ledger: GrantLedger,
    state: GrantState,
    grant_no: str,
    recorded: Any,  # noqa: ANN401 - any step of a grant
    fund_rules: FundRules,
) -> list[Finding]:
    """Judge one recorded step by the rules, against the state the grant had just before it."""
    name, version = type(recorded).__name__, recorded.originator_version
    try:
        command = _command_of(grant_no, recorded)
        decision = ledger.named_decision(command)
        if decision is not None:
            problems = r5_problems(decision.as_minutes(), fund_rules.quorum_fraction)
            if problems:
                message = (
                    f"it rests on decision {decision.minutes_ref}, which is not valid: {'; '.join(problems)}. "
                    f"Fix: {name} needs the minutes of a valid meeting taken before it; record them "
                    "(`grants decision record`) and have the step confirmed on them"
                )
                return [Finding(grant_no, (version,), "R5 valid collective decision", VIOLATION, message)]
        rules.check(state, command, recorded.timestamp, decision, fund_rules)
    except GrantRuleViolation as broken:
        source = "imported" if str(recorded.command_id).startswith("import:") else "recorded"
        message = f"{broken.problem} ({source} as {name}). Fix: {broken.fix}"
        return [Finding(grant_no, (version,), broken.rule, VIOLATION, message)]
    except GrantError as broken:
        return [Finding(grant_no, (version,), "record", VIOLATION, f"{name}: {broken}")]
    if name == "ObjectionRaised":
        return _judge_extension(state, grant_no, recorded, fund_rules)
    return []


def _rightful_extension(state: GrantState, grant_no: str, recorded: Any, fund_rules: FundRules) -> date:  # noqa: ANN401
    """The last day of publicity after this objection, as the rules in force compute it (R8)."""
    command = _command_of(grant_no, recorded)
    assert isinstance(command, RaiseObjection)  # noqa: S101 - the event of a RaiseObjection, by STEP_OF_EVENT
    return extended_end(state, command, fund_rules.publicity_min_days)


def _judge_extension(state: GrantState, grant_no: str, recorded: Any, fund_rules: FundRules) -> list[Finding]:  # noqa: ANN401
    """R8: the extension an objection records is the one the rules give (a history made elsewhere says its own)."""
    rightful, said = _rightful_extension(state, grant_no, recorded, fund_rules), recorded.extends_to
    if said == rightful:
        return []
    number, version, days = len(state.objections) + 1, recorded.originator_version, fund_rules.publicity_min_days
    rule = f"with a minimum period of {days} days after the objection, publicity runs until {rightful}"
    if said < rightful:
        message = (
            f"objection #{number} raised on {recorded.raised_on} is recorded as extending publicity only to {said}, "
            f"but {rule}: the step that ends it is judged against {rightful}. Fix: keep the project posted until "
            f"{rightful}, and answer the objection there"
        )
        return [Finding(grant_no, (version,), RULE_PUBLICITY, VIOLATION, message)]
    message = (
        f"objection #{number} raised on {recorded.raised_on} is recorded as extending publicity to {said}, "
        f"later than the rules give ({rule}): the record does not follow them. Fix: check the record of the "
        "objection against the posting"
    )
    return [Finding(grant_no, (version,), RULE_PUBLICITY, WARNING, message)]
