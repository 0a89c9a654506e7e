"""The `Grant` aggregate: one grant's life as a sequence of immutable, past-tense events."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import rules
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
    RecordMissedDeadline,
    RecordNotice,
    RecordReturn,
    RejectApplication,
    ResolveObjection,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.deadlines import DeadlineKind, MissedDeadline
from domain.errors import InvalidInputError
from domain.oversight import DEFAULT_FUND_RULES, Authorisation, FundRules
from domain.publicity import extended_end
from domain.stages import Stage
from domain.state import GrantState, Objection, Payment
from domain.values import Money, Points

GRANT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:grant-ledger:grant")


def grant_id(grant_no: str) -> UUID:
    """The aggregate id of a grant number: derived, so a retried application cannot create a twin."""
    return uuid5(GRANT_NAMESPACE, grant_no)


class Grant(Aggregate):
    """A grant from application to closing. Commands check the rules, then trigger one event each."""

    @staticmethod
    def create_id(grant_no: str, **_: Any) -> UUID:  # noqa: ANN401 - eventsourcing passes the event's fields
        return grant_id(grant_no)

    @classmethod
    def submit(cls, command: SubmitApplication) -> Grant:
        return cls(
            grant_no=command.grant_no, details=command.details, actor=command.actor, command_id=command.command_id
        )

    @classmethod
    def imported(cls, application: SubmitApplication, at: datetime) -> Grant:
        """A grant from a history made elsewhere, its application dated as it was made: no rule is checked."""
        grant: Grant = cls._create(
            cls.ApplicationSubmitted,  # type: ignore[attr-defined]  # made by @event
            timestamp=at,
            grant_no=application.grant_no,
            details=application.details,
            actor=application.actor,
            command_id=application.command_id,
        )
        return grant

    def import_event(self, name: str, at: datetime, fields: dict[str, Any]) -> None:
        """Append one event of a history made elsewhere, as and when it happened: audit-only, no rule is checked.

        The rules judge it later, on replay (`grants audit check`), like every other recorded step.
        """
        event_class = getattr(type(self), name, None)
        if name == "ApplicationSubmitted" or not isinstance(event_class, type):
            msg = f"grant {self.state.grant_no}: {name!r} is not an event of a grant after its application"
            raise InvalidInputError(msg)
        self.trigger_event(event_class, timestamp=at, **fields)

    @event("ApplicationSubmitted")
    def __init__(self, grant_no: str, details: ApplicationDetails, actor: str, command_id: str) -> None:
        self._state = GrantState(grant_no=grant_no, application=details, applicant=actor)
        self._versions_by_command: dict[str, int] = {}
        self._remember(command_id, version=1)

    @property
    def state(self) -> GrantState:
        return replace(self._state, version=self.version)

    def version_of(self, command_id: str) -> int | None:
        """The version this command produced, if the grant has already seen it (a command without an id: never)."""
        return self._versions_by_command.get(command_id) if command_id else None

    def _remember(self, command_id: str, version: int) -> None:
        if command_id:
            self._versions_by_command[command_id] = version

    def execute(  # noqa: C901, PLR0912 - one case per command
        self,
        command: GrantCommand,
        at: datetime,
        decision: Authorisation | None = None,
        fund_rules: FundRules = DEFAULT_FUND_RULES,
    ) -> None:
        """Check `command` against the rules at time `at` (and the decision it names), then record its event."""
        rules.check(self.state, command, at, decision, fund_rules)
        actor, command_id = command.actor, command.command_id
        match command:
            case ApproveApplication():
                self._application_approved(command.approved, command.opinion, command.decision_ref, actor, command_id)
            case RejectApplication():
                self._application_rejected(command.reason, actor, command_id)
            case RecordNotice():
                self._notice_recorded(
                    command.document_no,
                    command.issuer,
                    command.issued_on,
                    command.amount,
                    command.budget_subject,
                    actor,
                    command_id,
                )
            case AcknowledgeNotice():
                self._notice_acknowledged(actor, command_id)
            case RecordDisbursement():
                self._disbursement_recorded(
                    command.amount,
                    command.paid_on,
                    command.payee,
                    command.voucher,
                    command.decision_ref,
                    actor,
                    command_id,
                )
            case RecordReturn():
                self._funds_returned(
                    command.amount, command.returned_on, command.reason, command.document_no, actor, command_id
                )
            case StartPublicity():
                self._publicity_started(command.starts_on, command.ends_on, command.place, actor, command_id)
            case ConcludePublicity():
                self._publicity_concluded(command.concluded_on, actor, command_id)
            case RecordMajorChange():
                self._major_change_recorded(
                    command.kind, command.changed_on, command.description, command.decision_ref, actor, command_id
                )
            case RaiseObjection():
                extends_to = extended_end(self._state, command, fund_rules.publicity_min_days)
                self._objection_raised(command.raised_on, command.summary, extends_to, actor, command_id)
            case ResolveObjection():
                self._objection_resolved(
                    command.objection_no, command.resolved_on, command.resolution, actor, command_id
                )
            case SubmitFinalReport():
                self._final_report_submitted(
                    command.people_reached,
                    command.money_used,
                    command.satisfaction,
                    command.outcomes,
                    actor,
                    command_id,
                )
            case RecordEvaluation():
                self._evaluation_recorded(command.score, command.findings, actor, command_id)
            case CloseGrant():
                self._grant_closed(actor, command_id)
            case RecordMissedDeadline():
                self._deadline_missed(command.kind.value, command.due_at, actor, command_id)

    def _advance(self, command_id: str, **changes: Any) -> None:  # noqa: ANN401 - fields of GrantState
        self._state = replace(self._state, **changes)
        self._remember(command_id, version=self.version + 1)

    # The events. Their bodies only apply facts: rules were checked in `execute`, and replaying
    # history must never be refused by a rule that changed later.

    @event("ApplicationApproved")
    def _application_approved(
        self, approved: Money, opinion: str, decision_ref: str, actor: str, command_id: str
    ) -> None:
        self._advance(command_id, stage=Stage.APPROPRIATION, approved=approved, approver=actor)

    @event("ApplicationRejected")
    def _application_rejected(self, reason: str, actor: str, command_id: str) -> None:
        self._advance(command_id, stage=Stage.REJECTED, approver=actor)

    @event("NoticeRecorded")
    def _notice_recorded(
        self,
        document_no: str,
        issuer: str,
        issued_on: date,
        amount: Money,
        budget_subject: str,
        actor: str,
        command_id: str,
    ) -> None:
        self._advance(command_id, notice_no=document_no, appropriated=amount)

    @event("NoticeAcknowledged")
    def _notice_acknowledged(self, actor: str, command_id: str) -> None:
        self._advance(command_id, stage=Stage.DISBURSEMENT, notice_acknowledged=True)

    @event("DisbursementRecorded")
    def _disbursement_recorded(
        self,
        amount: Money,
        paid_on: date,
        payee: str,
        voucher: str,
        decision_ref: str,
        actor: str,
        command_id: str,
    ) -> None:
        self._advance(
            command_id,
            disbursed=self._state.disbursed + amount,
            tranches=self._state.tranches + 1,
            payments=(*self._state.payments, Payment(amount, paid_on, payee, decision_ref)),
            disbursers=tuple(dict.fromkeys((*self._state.disbursers, actor))),
        )

    @event("FundsReturned")
    def _funds_returned(
        self, amount: Money, returned_on: date, reason: str, document_no: str, actor: str, command_id: str
    ) -> None:
        self._advance(command_id, returned=self._state.returned + amount)

    @event("PublicityStarted")
    def _publicity_started(self, starts_on: date, ends_on: date, place: str, actor: str, command_id: str) -> None:
        self._advance(command_id, stage=Stage.PUBLICITY, publicity_ends_on=ends_on)

    @event("PublicityConcluded")
    def _publicity_concluded(self, concluded_on: date, actor: str, command_id: str) -> None:
        self._advance(command_id, stage=Stage.FINAL_REPORT)

    @event("MajorChangeRecorded")
    def _major_change_recorded(
        self, kind: str, changed_on: date, description: str, decision_ref: str, actor: str, command_id: str
    ) -> None:
        self._advance(command_id)

    @event("ObjectionRaised")
    def _objection_raised(self, raised_on: date, summary: str, extends_to: date, actor: str, command_id: str) -> None:
        objection = Objection(len(self._state.objections) + 1, raised_on, summary)
        self._advance(command_id, objections=(*self._state.objections, objection), publicity_ends_on=extends_to)

    @event("ObjectionResolved")
    def _objection_resolved(
        self, objection_no: int, resolved_on: date, resolution: str, actor: str, command_id: str
    ) -> None:
        objections = tuple(
            replace(objection, resolved_on=resolved_on) if objection.number == objection_no else objection
            for objection in self._state.objections
        )
        self._advance(command_id, objections=objections)

    @event("FinalReportSubmitted")
    def _final_report_submitted(
        self,
        people_reached: int,
        money_used: Money,
        satisfaction: Points,
        outcomes: str,
        actor: str,
        command_id: str,
    ) -> None:
        self._advance(command_id, stage=Stage.AUDIT, money_used=money_used)

    @event("EvaluationRecorded")
    def _evaluation_recorded(self, score: Points, findings: str, actor: str, command_id: str) -> None:
        self._advance(command_id, score=score, rating=rules.rating_for(score), evaluator=actor)

    @event("GrantClosed")
    def _grant_closed(self, actor: str, command_id: str) -> None:
        self._advance(command_id, stage=Stage.CLOSED)

    @event("DeadlineMissed")
    def _deadline_missed(self, kind: str, due_at: datetime, actor: str, command_id: str) -> None:
        missed = MissedDeadline(DeadlineKind(kind), due_at)
        self._advance(command_id, missed_deadlines=(*self._state.missed_deadlines, missed))
