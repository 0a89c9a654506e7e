"""One activity per ledger command. Each is idempotent through the command id the workflow stamps.

The eventsourcing library is synchronous, so these are plain methods run by the worker's thread pool.
A refusal by the domain crosses into Temporal as a non-retryable `ApplicationError` carrying the domain's
message. A database that is down stays retryable, as a short `LedgerUnavailable` error: Temporal keeps only about
4 KB of an activity's last failure (more shows as "Failure exceeds size limit." in `grants stuck` and the Web UI),
so the driver's chained tracebacks go to the worker's log, and the operator sees the one line that says why.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import structlog
from eventsourcing.persistence import PersistenceError
from temporalio import activity
from temporalio.exceptions import ApplicationError

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
    RecordReturn,
    RejectApplication,
    ResolveObjection,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.errors import GrantError
from domain.state import GrantState
from ledger.application import GrantLedger

log = structlog.get_logger(__name__)

FAILURE_MESSAGE_LIMIT = 500
"""Characters of a database error's message kept in the activity failure Temporal stores."""

PAUSE_AFTER_COMMIT = "GRANTS_TEST_PAUSE_AFTER_COMMIT"
"""Test hook, inert unless set: see `pause_after_commit`."""


class LedgerActivities:
    def __init__(self, ledger: GrantLedger) -> None:
        self._ledger = ledger

    @activity.defn
    def submit_application(self, command: SubmitApplication) -> GrantState:
        return self._record(command)

    @activity.defn
    def approve_application(self, command: ApproveApplication) -> GrantState:
        return self._record(command)

    @activity.defn
    def reject_application(self, command: RejectApplication) -> GrantState:
        return self._record(command)

    @activity.defn
    def record_notice(self, command: RecordNotice) -> GrantState:
        return self._record(command)

    @activity.defn
    def acknowledge_notice(self, command: AcknowledgeNotice) -> GrantState:
        return self._record(command)

    @activity.defn
    def record_disbursement(self, command: RecordDisbursement) -> GrantState:
        return self._record(command)

    @activity.defn
    def record_return(self, command: RecordReturn) -> GrantState:
        return self._record(command)

    @activity.defn
    def start_publicity(self, command: StartPublicity) -> GrantState:
        return self._record(command)

    @activity.defn
    def conclude_publicity(self, command: ConcludePublicity) -> GrantState:
        return self._record(command)

    @activity.defn
    def record_major_change(self, command: RecordMajorChange) -> GrantState:
        return self._record(command)

    @activity.defn
    def raise_objection(self, command: RaiseObjection) -> GrantState:
        return self._record(command)

    @activity.defn
    def resolve_objection(self, command: ResolveObjection) -> GrantState:
        return self._record(command)

    @activity.defn
    def submit_final_report(self, command: SubmitFinalReport) -> GrantState:
        return self._record(command)

    @activity.defn
    def record_evaluation(self, command: RecordEvaluation) -> GrantState:
        return self._record(command)

    @activity.defn
    def close_grant(self, command: CloseGrant) -> GrantState:
        return self._record(command)

    @activity.defn
    def record_missed_deadline(self, command: RecordMissedDeadline) -> GrantState:
        return self._record(command)

    def _record(self, command: GrantCommand) -> GrantState:
        bound = log.bind(
            grant_no=command.grant_no,
            workflow_id=activity.info().workflow_id,
            command=type(command).__name__,
            actor=command.actor,
        )
        try:
            state = self._ledger.execute(command)
        except GrantError as refusal:
            bound.info("ledger.refused", reason=str(refusal))
            raise ApplicationError(str(refusal), type=type(refusal).__name__, non_retryable=True) from refusal
        except PersistenceError as outage:
            bound.warning("ledger.unavailable", exc_info=outage)
            raise ledger_unavailable(command, outage) from None
        bound.info("ledger.recorded", version=state.version, stage=state.stage.value)
        pause_after_commit(command)
        return state

    def all(self) -> list[Callable[..., GrantState]]:
        """Every activity, bound to this ledger, for the worker to register."""
        return [
            self.submit_application,
            self.approve_application,
            self.reject_application,
            self.record_notice,
            self.acknowledge_notice,
            self.record_disbursement,
            self.record_return,
            self.start_publicity,
            self.conclude_publicity,
            self.record_major_change,
            self.raise_objection,
            self.resolve_objection,
            self.submit_final_report,
            self.record_evaluation,
            self.close_grant,
            self.record_missed_deadline,
        ]


def ledger_unavailable(command: GrantCommand, outage: PersistenceError) -> ApplicationError:
    """A retryable failure small enough for Temporal to keep whole: what failed, for which grant, and why."""
    reason = " ".join(str(outage).split())[:FAILURE_MESSAGE_LIMIT] or type(outage).__name__
    return ApplicationError(
        f"grant {command.grant_no}: the ledger's database is unavailable ({reason}); retried until it is back",
        type="LedgerUnavailable",
    )


def pause_after_commit(command: GrantCommand) -> None:
    """Test hook for the crash tests (tests/reliability): hold a step between the ledger's commit and its completion.

    Inert unless `GRANTS_TEST_PAUSE_AFTER_COMMIT` names a file *and* that file exists: then the activity writes the
    command id into it and waits while it exists, so that a test can kill the worker process exactly there.
    """
    hold = os.environ.get(PAUSE_AFTER_COMMIT)
    if not hold or not Path(hold).exists():
        return
    Path(hold).write_text(command.command_id)
    log.warning("test.paused_after_commit", grant_no=command.grant_no, command_id=command.command_id, file=hold)
    while Path(hold).exists():
        time.sleep(0.05)
