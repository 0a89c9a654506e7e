"""Whole grant lifecycles for the property tests: what one holds, how it runs, and how it reads as imported history.

A lifecycle is the application, the minutes it rests on, and every later step in order (beneficiary lists
included). It runs through the pure domain (`run_in_domain`), through a ledger (tests/audit), and as a history
made elsewhere (`history_lines`, for `grants import-history`), so that the preventive and the detective
halves of each rule can be held to the same cases. Nothing here touches the ledger: tests/domain stays pure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

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
    RecordNotice,
    ResolveObjection,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.decisions import CollectiveDecision, DecisionItem, RecordDecision
from domain.errors import GrantError, GrantRuleViolation
from domain.grant import Grant
from domain.oversight import DEFAULT_FUND_RULES
from domain.personal import BeneficiaryList, PayBeneficiary, PersonalData, RegisterBeneficiaries
from domain.values import Money, Points
from tests.builders import AFTER_PERIOD, submit

APPLIED_AT = datetime(2020, 3, 1, 9, 0, tzinfo=SHANGHAI)
TEST_PEOPLE = uuid5(NAMESPACE_URL, "urn:grant-ledger:test-people")
R5 = "R5 valid collective decision"


def person_id_of(id_number: str) -> UUID:
    """A person's id in the domain's tests, where no vault derives it (the ledger's runs re-derive it)."""
    return uuid5(TEST_PEOPLE, id_number)


@dataclass(frozen=True)
class Lifecycle:
    requested: Money
    decisions: tuple[RecordDecision, ...]
    steps: tuple[GrantCommand, ...]  # after the application, in the order recorded
    id_numbers: dict[UUID, str] = field(default_factory=dict)  # every person paid or listed, by their test id

    @property
    def application(self) -> SubmitApplication:
        return submit(requested=self.requested, command_id="submit")

    def timed(self) -> list[tuple[datetime, GrantCommand]]:
        """Each step with the moment it is recorded: on its business date, and always after the step before."""
        at, timed = APPLIED_AT, []
        for step in self.steps:
            at = max(at + timedelta(minutes=1), _business_time(step))
            timed.append((at, step))
        return timed


# When each kind of step happens: on a fixed day, on the date it carries, or some days after the project period.
FIXED_DAYS = {
    ApproveApplication: date(2020, 3, 20),
    AcknowledgeNotice: date(2020, 6, 12),
    RegisterBeneficiaries: date(2020, 6, 15),
}
DATE_FIELDS = {
    RecordNotice: "issued_on",
    RecordDisbursement: "paid_on",
    PayBeneficiary: "paid_on",
    StartPublicity: "starts_on",
    RaiseObjection: "raised_on",
    ResolveObjection: "resolved_on",
    ConcludePublicity: "concluded_on",
}
DAYS_AFTER_THE_PERIOD = {SubmitFinalReport: 0, RecordEvaluation: 5, CloseGrant: 10}


def _business_time(step: GrantCommand) -> datetime:
    kind = type(step)
    if kind in DAYS_AFTER_THE_PERIOD:
        return AFTER_PERIOD + timedelta(days=DAYS_AFTER_THE_PERIOD[kind])
    day = FIXED_DAYS[kind] if kind in FIXED_DAYS else getattr(step, DATE_FIELDS[kind])
    return datetime.combine(day, time(10), SHANGHAI)


def reference(decision: RecordDecision) -> str:
    return f"{decision.body}:{decision.minutes_ref}"


def refused_rule(error: GrantError) -> str:
    """The rule a refusal names (minutes refused when recorded are refused by R5)."""
    if isinstance(error, GrantRuleViolation):
        return error.rule
    return R5 if f": {R5}: " in str(error) else type(error).__name__


def run_in_domain(lifecycle: Lifecycle) -> tuple[Grant, BeneficiaryList | None]:
    """Record the minutes, then every step, with the domain's rules checked at each; the first refusal is raised."""
    decisions = {reference(minutes): CollectiveDecision.record(minutes) for minutes in lifecycle.decisions}
    grant, names = Grant.submit(lifecycle.application), None
    for at, step in lifecycle.timed():
        if isinstance(step, RegisterBeneficiaries):
            names = names or BeneficiaryList(grant_no=step.grant_no)
            names.register(step)
        elif isinstance(step, PayBeneficiary):
            assert names is not None, "the lifecycles pay people only once a list is registered"
            listed = names.people.get(step.person_id)
            personal = listed.personal if listed is not None else None
            names.pay(step, personal.card_account if isinstance(personal, PersonalData) else None)
        else:
            grant.execute(step, at, decisions.get(getattr(step, "decision_ref", "")), DEFAULT_FUND_RULES)
    return grant, names


# The lifecycle as a history made elsewhere: one JSON line per event, as `grants import-history` reads them.

EVENT_OF_STEP: dict[type[GrantCommand], str] = {
    ApproveApplication: "ApplicationApproved",
    RecordNotice: "NoticeRecorded",
    AcknowledgeNotice: "NoticeAcknowledged",
    RecordDisbursement: "DisbursementRecorded",
    StartPublicity: "PublicityStarted",
    RaiseObjection: "ObjectionRaised",
    ResolveObjection: "ObjectionResolved",
    ConcludePublicity: "PublicityConcluded",
    SubmitFinalReport: "FinalReportSubmitted",
    RecordEvaluation: "EvaluationRecorded",
    CloseGrant: "GrantClosed",
    RegisterBeneficiaries: "BeneficiariesRegistered",
    PayBeneficiary: "BeneficiaryPaid",
}
NOT_IN_THE_EVENT = {"grant_no", "actor", "command_id", "role", "card_account"}


def history_lines(lifecycle: Lifecycle) -> list[str]:
    """The minutes, the application and every step, each recorded when `Lifecycle.timed` says."""
    lines = [_minutes_line(minutes) for minutes in lifecycle.decisions]
    application = lifecycle.application
    lines.append(
        _line(
            application.grant_no,
            "ApplicationSubmitted",
            APPLIED_AT,
            application.actor,
            {"grant_no": application.grant_no, "details": _json(application.details)},
        )
    )
    publicity_ends: date | None = None
    for at, step in lifecycle.timed():
        facts = {f.name: _json(getattr(step, f.name)) for f in fields(step) if f.name not in NOT_IN_THE_EVENT}
        match step:
            case StartPublicity():
                publicity_ends = step.ends_on
            case RaiseObjection():  # the event records the day publicity then runs until (R8)
                minimum = step.raised_on + timedelta(days=DEFAULT_FUND_RULES.publicity_min_days - 1)
                publicity_ends = max(publicity_ends or minimum, minimum)
                facts["extends_to"] = publicity_ends.isoformat()
            case RegisterBeneficiaries():
                facts = {"pay_by": _json(step.pay_by), "beneficiaries": [_person(b) for b in step.beneficiaries]}
            case PayBeneficiary():
                facts = {"id_number": lifecycle.id_numbers[step.person_id], **facts}
                del facts["person_id"]
        lines.append(_line(step.grant_no, EVENT_OF_STEP[type(step)], at, step.actor, facts))
    return lines


def _minutes_line(minutes: RecordDecision) -> str:
    facts = {
        f.name: _json(getattr(minutes, f.name)) for f in fields(minutes) if f.name not in {"form", "actor", "absent"}
    }
    recorded = datetime.combine(minutes.held_on, time(16), SHANGHAI)
    return json.dumps(
        {"event": "DecisionRecorded", "at": recorded.isoformat(), "actor": minutes.actor, "fields": facts},
        ensure_ascii=False,
    )


def _person(beneficiary: Any) -> dict[str, str]:
    personal: PersonalData = beneficiary.personal
    return {
        "name": personal.name,
        "id_number": personal.id_number,
        "card_account": personal.card_account,
        "category": personal.category,
        "township": beneficiary.township,
        "amount": beneficiary.amount.yuan(),
    }


def _line(grant_no: str, event: str, at: datetime, actor: str, facts: dict[str, Any]) -> str:
    raw = {"grant_no": grant_no, "event": event, "at": at.isoformat(), "actor": actor, "fields": facts}
    return json.dumps(raw, ensure_ascii=False)


def _json(value: Any) -> Any:  # noqa: PLR0911 - a field's value as the file writes it
    if isinstance(value, Money):
        return value.yuan()
    if isinstance(value, Points):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, DecisionItem):
        return {f.name: _json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_json(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _json(getattr(value, f.name)) for f in fields(value)}
    return value
