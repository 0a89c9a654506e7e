"""The real R9 payment deadline (30 days, `DeadlinePolicy()`'s default) on Temporal's time-skipping test server.

The other deadline tests inject seconds on the dev server; this one keeps the production durations and lets the
test server skip a month in a moment. What the test server lacks is said where it matters: it has no visibility
store, so `grants stuck` (built on `list_workflows`) is tested on the dev server (test_deadlines.py), and here the
overdue grant is found through its own description and `status` query.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cli.gateway import GrantGateway
from domain.deadlines import DeadlineKind, DeadlinePolicy
from domain.state import GrantState
from ledger.application import GrantLedger
from tests.builders import HALF, acknowledge, approve, disburse, notice, submit
from tests.workflows.support import current_details, eventually, gateway_for, new_grant_no
from workflows.grant_lifecycle import GrantLifecycle, workflow_id_for
from workflows.search_attributes import GRANT_DUE_AT, GRANT_OVERDUE


@pytest.fixture
async def on_test_server(
    time_skipping: WorkflowEnvironment, ledger: GrantLedger, ledger_url: str
) -> AsyncIterator[GrantGateway]:
    """A gateway whose grants start with the default (production) deadlines, on the time-skipping server."""
    async with gateway_for(time_skipping.client, ledger, ledger_url, DeadlinePolicy()) as gateway:
        yield gateway


def missed_payments(ledger: GrantLedger, grant_no: str) -> list[datetime]:
    return [
        datetime.fromisoformat(str(event.fields["due_at"]))
        for event in ledger.history(grant_no)
        if event.name == "DeadlineMissed" and event.fields["kind"] == DeadlineKind.PAYMENT
    ]


async def status(client: Client, grant_no: str) -> GrantState:
    state = await client.get_workflow_handle(workflow_id_for(grant_no)).query(GrantLifecycle.status)
    assert state is not None
    return state


async def test_the_30_day_payment_deadline_passes_once_and_paying_clears_it(
    time_skipping: WorkflowEnvironment, on_test_server: GrantGateway, ledger: GrantLedger
) -> None:
    client = time_skipping.client
    grant_no = new_grant_no()
    # A project period that ends next year: only the payment deadline falls within the months skipped here.
    today = date.today()  # noqa: DTZ011 - the test server's clock starts at the real time
    gateway = on_test_server
    await gateway.submit(submit(grant_no, period_start=today, period_end=today + timedelta(days=365)))
    for command in (approve(grant_no=grant_no), notice(grant_no=grant_no), acknowledge(grant_no=grant_no)):
        await gateway.record(command)
    handle = client.get_workflow_handle(workflow_id_for(grant_no))
    acknowledged_at = await time_skipping.get_current_time()
    due_at = (await handle.describe()).typed_search_attributes.get(GRANT_DUE_AT)
    assert due_at is not None
    assert timedelta(days=30) <= due_at - acknowledged_at + timedelta(seconds=1) < timedelta(days=30, minutes=1)

    await time_skipping.sleep(timedelta(days=29))
    assert missed_payments(ledger, grant_no) == [], "29 days in, the payment is not late yet"
    assert (await status(client, grant_no)).overdue() == []

    await time_skipping.sleep(timedelta(days=2))

    async def missed() -> list[datetime]:
        return missed_payments(ledger, grant_no)

    assert await eventually(missed, what="DeadlineMissed in the ledger") == [due_at]
    assert [m.kind for m in (await status(client, grant_no)).overdue()] == [DeadlineKind.PAYMENT]
    assert (await handle.describe()).typed_search_attributes.get(GRANT_OVERDUE) is True
    assert "**OVERDUE** since" in await current_details(client, grant_no)

    await time_skipping.sleep(timedelta(days=60))
    assert missed_payments(ledger, grant_no) == [due_at], "recorded once, however long it stays unpaid"

    await gateway.record(disburse(HALF, grant_no=grant_no))
    state = await gateway.record(disburse(HALF, grant_no=grant_no))
    assert state.overdue() == []
    assert (await handle.describe()).typed_search_attributes.get(GRANT_OVERDUE) is False
    assert [event.name for event in ledger.history(grant_no)].count("DeadlineMissed") == 1
