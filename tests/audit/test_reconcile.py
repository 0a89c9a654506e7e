"""Reconciliation on the real dev server: Temporal's workflow histories against the ledger, grant by grant."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import PersistenceError
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client, WorkflowUpdateStage
from temporalio.service import RPCError

from audit.reconcile import (
    CONSISTENT,
    DIFFERENT,
    IMPORTED,
    IN_FLIGHT_GRACE,
    NOT_KEPT,
    reconcile,
)
from cli.gateway import GrantGateway
from domain.clock import SHANGHAI
from domain.commands import GrantCommand, RecordDisbursement
from domain.deadlines import DeadlinePolicy
from domain.state import GrantState
from ledger.application import GrantLedger, RecordedEvent
from ledger.history_import import parse_history
from tests.audit.test_imported_histories import history_with_an_undecided_large_payment
from tests.builders import HALF, disburse
from tests.workflows.support import eventually, new_grant_no, run_until
from worker import ACTIVITY_THREADS, build_worker
from workflows.grant_lifecycle import GrantLifecycle, workflow_id_for


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


class AnswerLostAfterTheWrite:
    """The ledger, except that the answer to a disbursement is lost after its commit (the connection dropped)."""

    def __init__(self, ledger: GrantLedger) -> None:
        self._ledger = ledger

    def execute(self, command: GrantCommand, at: datetime | None = None) -> GrantState:
        state = self._ledger.execute(command, at)
        if isinstance(command, RecordDisbursement):
            raise PersistenceError("server closed the connection unexpectedly")
        return state


async def test_a_workflow_whose_step_never_learns_that_its_event_was_written_is_stuck(
    client: Client, ledger: GrantLedger, ledger_url: str
) -> None:
    grant_no = new_grant_no()
    task_queue = f"test-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(ACTIVITY_THREADS) as executor:
        async with build_worker(client, AnswerLostAfterTheWrite(ledger), executor, task_queue):  # type: ignore[arg-type]
            gateway = GrantGateway(client, task_queue, ledger_url, timeout_seconds=1)
            await run_until(gateway, grant_no, steps=3)
            handle = client.get_workflow_handle(workflow_id_for(grant_no))
            await handle.start_update(  # its activity writes, loses the answer, is retried, and retried, ...
                GrantLifecycle.record_disbursement,
                disburse(HALF, grant_no=grant_no),
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            )

            async def written() -> RecordedEvent | None:
                return next((e for e in ledger.history(grant_no) if e.name == "DisbursementRecorded"), None)

            disbursement = await eventually(written, within=15, what="the disbursement in the ledger")
            [now] = await reconcile(client, ledger)
            [later] = await reconcile(client, ledger, now=datetime.now(UTC) + IN_FLIGHT_GRACE + timedelta(seconds=1))
            await handle.terminate("test over")
    assert now.outcome == CONSISTENT, "a step in flight is not stuck yet"
    [stuck] = later.differences
    assert stuck.startswith(
        f"the workflow is stuck after event #{disbursement.version} DisbursementRecorded was written: "
        "its step record_disbursement (command id 'grant-"
    )


async def test_an_imported_history_that_never_ran_as_a_workflow_is_no_difference(
    client: Client, ledger: GrantLedger
) -> None:
    ledger.import_history(parse_history(history_with_an_undecided_large_payment(), "2019.jsonl"))
    [result] = await reconcile(client, ledger)
    assert (result.grant_no, result.outcome, result.differences) == ("HN-2019-ZX-0007", IMPORTED, [])
