"""The ledger activities: idempotent by command id, and refusals that Temporal must not retry."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from temporalio.api.failure.v1 import Failure
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.ledger_activities import LedgerActivities
from domain.commands import ApproveApplication, RecordMissedDeadline
from domain.deadlines import DeadlineKind
from domain.values import Money
from ledger.application import GrantLedger
from ledger.settings import persistence_env
from tests.builders import REQUESTED, lifecycle, submit


def test_a_retried_activity_with_the_same_command_id_records_one_event(ledger: GrantLedger) -> None:
    activities, env = LedgerActivities(ledger), ActivityEnvironment()
    env.run(activities.submit_application, submit("G-1"))
    approve = ApproveApplication(grant_no="G-1", actor="approver", approved=REQUESTED, command_id="grant-G-1/update-7")
    first = env.run(activities.approve_application, approve)
    retried = env.run(activities.approve_application, approve)
    assert retried == first
    assert [event.name for event in ledger.history("G-1")] == ["ApplicationSubmitted", "ApplicationApproved"]


def test_a_refusal_becomes_a_non_retryable_application_error_with_the_domain_message(ledger: GrantLedger) -> None:
    activities, env = LedgerActivities(ledger), ActivityEnvironment()
    env.run(activities.submit_application, submit("G-2", period_end=date(2020, 12, 31)))
    too_much = ApproveApplication(grant_no="G-2", actor="approver", approved=REQUESTED + Money(1), command_id="c-1")
    with pytest.raises(ApplicationError, match=r"grant G-2: R2 amounts: approving") as refused:
        env.run(activities.approve_application, too_much)
    assert refused.value.non_retryable
    assert refused.value.type == "AmountViolation"
    assert ledger.count_events() == 1


def test_a_missed_deadline_is_recorded_once_however_often_its_activity_runs(ledger: GrantLedger) -> None:
    """The workflow's command id for a deadline is fixed (`<workflow id>/deadline/<kind>`): retries write nothing."""
    activities, env = LedgerActivities(ledger), ActivityEnvironment()
    env.run(activities.submit_application, submit("G-3"))
    for command in lifecycle("G-3")[:3]:
        ledger.execute(command)
    missed = RecordMissedDeadline(
        grant_no="G-3",
        actor="GrantLifecycle (deadline timer)",
        command_id="grant-G-3/deadline/payment",
        kind=DeadlineKind.PAYMENT,
        due_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    first = env.run(activities.record_missed_deadline, missed)
    again = env.run(activities.record_missed_deadline, missed)
    assert again == first
    assert first.stage.value == "disbursement"
    assert [event.name for event in ledger.history("G-3")].count("DeadlineMissed") == 1


def test_a_database_outage_is_a_short_retryable_failure_that_temporal_keeps_whole(tmp_path: Path) -> None:
    """Temporal truncates an activity's last failure beyond ~4 KB to "Failure exceeds size limit.", hiding the why."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    ledger = GrantLedger(env={**persistence_env(url), "SQLITE_LOCK_TIMEOUT": "1"})
    activities, env = LedgerActivities(ledger), ActivityEnvironment()
    env.run(activities.submit_application, submit("G-4"))
    holder = sqlite3.connect(tmp_path / "ledger.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(ApplicationError) as failed:
            env.run(
                activities.approve_application,
                ApproveApplication(grant_no="G-4", actor="approver", approved=REQUESTED, command_id="c-2"),
            )
    finally:
        holder.close()
        ledger.close()
    error = failed.value
    assert not error.non_retryable
    assert error.type == "LedgerUnavailable"
    assert error.message.startswith("grant G-4: the ledger's database is unavailable (database is locked)")
    assert error.__cause__ is None, "the driver's chain stays in the worker log"
    failure = Failure()
    DataConverter.default.failure_converter.to_failure(error, DataConverter.default.payload_converter, failure)
    assert failure.ByteSize() < 2048
