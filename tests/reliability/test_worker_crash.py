"""A worker process dies between the ledger's commit and the activity's completion: one event, and the grant goes on.

The activity is held right after the commit by the test hook in activities/ledger_activities.py, the worker is
SIGKILLed there, and a new worker picks the step up when Temporal times the attempt out (the workflow's 60 s
start-to-close timeout: the test waits it out, as production would).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.ledger_activities import PAUSE_AFTER_COMMIT
from ledger.application import open_ledger
from tests.builders import HALF, LIFECYCLE_EVENTS, disburse, lifecycle
from tests.reliability.processes import gateway, wait_until, workers
from tests.workflows.support import new_grant_no, run_until, send
from workflows.grant_lifecycle import workflow_id_for

pytestmark = pytest.mark.slow


def disbursements(ledger_url: str, grant_no: str) -> int:
    with open_ledger(ledger_url) as ledger:
        return [event.name for event in ledger.history(grant_no)].count("DisbursementRecorded")


async def disbursement_attempts(client: Client, grant_no: str) -> list[int]:
    """The attempt number of every start of a `record_disbursement` activity in the workflow's history."""
    history = await client.get_workflow_handle(workflow_id_for(grant_no)).fetch_history()
    scheduled = {
        event.event_id
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and event.activity_task_scheduled_event_attributes.activity_type.name == "record_disbursement"
    }
    return [
        event.activity_task_started_event_attributes.attempt
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and event.activity_task_started_event_attributes.scheduled_event_id in scheduled
    ]


async def test_a_worker_killed_after_the_commit_leaves_one_event_and_the_grant_goes_on(
    client: Client, ledger_url: str, tmp_path: Path
) -> None:
    grant_no, hold = new_grant_no(), tmp_path / "hold-after-commit"
    address = client.service_client.config.target_host
    task_queue = f"crash-{grant_no}"
    officer = gateway(client, task_queue, ledger_url)
    with workers(1, address, ledger_url, task_queue, tmp_path, **{PAUSE_AFTER_COMMIT: str(hold)}) as (first,):
        await run_until(officer, grant_no, steps=3)
        hold.touch()
        payment = asyncio.create_task(officer.record(disburse(HALF, grant_no=grant_no)))
        await asyncio.to_thread(wait_until, lambda: hold.read_text() != "", 30, "the activity to pause after commit")
        assert await asyncio.to_thread(disbursements, ledger_url, grant_no) == 1, "committed before the kill"

        first.kill()
        hold.unlink()
        with workers(1, address, ledger_url, task_queue, tmp_path):
            state = await asyncio.wait_for(payment, timeout=120)
            assert state.disbursed == HALF
            for command in lifecycle(grant_no)[4:]:
                state = await send(officer, command)

    assert state.stage.value == "closed"
    with open_ledger(ledger_url) as ledger:
        names = [event.name for event in ledger.history(grant_no)]
    assert tuple(names) == LIFECYCLE_EVENTS, "exactly one event per step: the retried attempt wrote nothing"
    attempts = await disbursement_attempts(client, grant_no)
    assert max(attempts) >= 2, f"the paused attempt was retried on the new worker: {attempts}"
