"""Reconciliation on the real dev server: Temporal's workflow histories against the ledger, grant by grant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError

from audit.reconcile import (
    CONSISTENT,
    DIFFERENT,
    NOT_KEPT,
    ProcessRecord,
    WorkflowStep,
    compare,
    reconcile,
)
from cli.gateway import GrantGateway
from domain.clock import SHANGHAI
from domain.deadlines import DeadlinePolicy
from ledger.application import GrantLedger, RecordedEvent
from tests.builders import HALF, disburse
from tests.workflows.support import eventually, new_grant_no, run_until
from workflows.grant_lifecycle import workflow_id_for


@pytest.fixture
def deadline_policy() -> DeadlinePolicy:
    """Payment due 1 s after the acknowledgement, so the workflow records a missed deadline of its own."""
    return DeadlinePolicy(payment_due_seconds=1, backfill_grace_seconds=3600)


async def test_workflows_and_ledger_that_agree_reconcile_including_deadlines_the_workflow_recorded(
    gateway: GrantGateway, client: Client, ledger: GrantLedger
) -> None:
    closed, overdue = new_grant_no(), new_grant_no()
    await run_until(gateway, closed)
    await run_until(gateway, overdue, steps=3)  # acknowledged, then nothing paid

    async def missed() -> bool:
        return any(event.name == "DeadlineMissed" for event in ledger.history(overdue))

    await eventually(missed, within=15, what="the workflow to record the missed payment deadline")
    results = {result.grant_no: result for result in await reconcile(client, ledger)}
    assert [result.outcome for result in results.values()] == [CONSISTENT, CONSISTENT], results
    assert (results[overdue].events, results[overdue].steps) == (5, 5)
    assert results[closed].events == results[closed].steps


async def test_an_event_written_to_the_ledger_behind_the_workflows_back_is_a_difference(
    gateway: GrantGateway, client: Client, ledger: GrantLedger
) -> None:
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=4)
    ledger.execute(disburse(HALF, grant_no=grant_no, command_id="typed-in-by-hand"))
    written = ledger.history(grant_no)[-1]
    [result] = await reconcile(client, ledger)
    assert result.outcome == DIFFERENT
    assert result.differences == [
        (
            "event #6 DisbursementRecorded (command id 'typed-in-by-hand', recorded "
            f"{written.recorded_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}) was written by no workflow step"
        )
    ]


async def test_a_closed_grant_whose_history_temporal_deleted_is_no_difference(
    gateway: GrantGateway, client: Client, ledger: GrantLedger
) -> None:
    """The ledger is the system of record: the report says the history is no longer kept, and nothing more."""
    grant_no = new_grant_no()
    await run_until(gateway, grant_no)
    handle = client.get_workflow_handle(workflow_id_for(grant_no))
    await handle.result()
    await client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=client.namespace, workflow_execution=WorkflowExecution(workflow_id=workflow_id_for(grant_no))
        )
    )

    async def gone() -> bool:
        try:
            await handle.describe()
        except RPCError:
            return True
        return False

    await eventually(gone, within=15, what="Temporal to delete the workflow")
    [result] = await reconcile(client, ledger)
    assert result.outcome == NOT_KEPT
    assert result.differences == []
    assert "the ledger, the system of record, holds the grant's 11 event(s), closed" in result.note


def test_a_step_in_flight_long_after_its_event_was_written_is_a_stuck_workflow() -> None:
    """Say the worker died after the ledger's write: the activity never reports, the update never completes."""
    started = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    step = WorkflowStep(command_id="grant-G/u1", name="record_disbursement", started_at=started)
    events = [_event(1, "ApplicationSubmitted", "grant-G/u0"), _event(2, "DisbursementRecorded", "grant-G/u1")]
    submitted = WorkflowStep("grant-G/u0", "submit_application", started, completed=True, version=1)
    record = ProcessRecord(runs=["r1"], status="running", steps=[submitted, step])

    soon = compare("G", "disbursement", events, record, started + timedelta(seconds=5), final=False)
    later = compare("G", "disbursement", events, record, started + timedelta(hours=1), final=False)
    assert soon.outcome == CONSISTENT, "within the grace the step is merely in flight"
    assert later.differences == [
        (
            "the workflow is stuck after event #2 DisbursementRecorded was written: its step record_disbursement "
            "(command id 'grant-G/u1') has not completed since 2026-01-05 09:00:00"
        )
    ]


def _event(version: int, name: str, command_id: str) -> RecordedEvent:
    return RecordedEvent(version, datetime(2026, 1, 5, tzinfo=UTC), name, {"command_id": command_id})
