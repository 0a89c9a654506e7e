"""The ledger's PostgreSQL stops for 20 s during a batch of payments (full run only).

The quick version, one grant and `grants stuck` checked in detail, is tests/workflows/test_ledger_outage.py; this
one takes a private cluster away for the issue's 20 s while a batch of grants pays, with production timeouts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from temporalio.client import Client

from domain.deadlines import DeadlinePolicy
from domain.stages import Stage
from ledger.application import open_ledger
from tests.builders import HALF, LIFECYCLE_EVENTS, disburse, lifecycle
from tests.reliability.support import reconcile
from tests.workflows.private_postgres import PrivatePostgres, private_postgres
from tests.workflows.support import gateway_for, new_grant_no, run_until, send

pytestmark = [pytest.mark.slow, pytest.mark.full]
GRANTS = 20
OUTAGE_SECONDS = 20


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as cluster:
        yield cluster


async def test_a_batch_of_payments_waits_out_a_20_second_postgres_outage_with_one_event_each(
    client: Client, postgres: PrivatePostgres
) -> None:
    numbers = [new_grant_no() for _ in range(GRANTS)]
    with open_ledger(postgres.url) as ledger:
        async with gateway_for(client, ledger, postgres.url, DeadlinePolicy(), timeout_seconds=300) as officer:
            await asyncio.gather(*(run_until(officer, grant_no, steps=3) for grant_no in numbers))
            payments = [asyncio.create_task(officer.record(disburse(HALF, grant_no=g))) for g in numbers[::2]]
            await asyncio.sleep(0.2)  # some payments are recorded, some are in flight when the database goes
            await asyncio.to_thread(postgres.stop)
            stopped = time.monotonic()
            payments += [asyncio.create_task(officer.record(disburse(HALF, grant_no=g))) for g in numbers[1::2]]
            await asyncio.sleep(OUTAGE_SECONDS)
            pending_in_outage = sum(not payment.done() for payment in payments)
            await asyncio.to_thread(postgres.start)
            states = await asyncio.wait_for(asyncio.gather(*payments), timeout=240)
            recovered = time.monotonic() - stopped - OUTAGE_SECONDS
            for grant_no in numbers:
                for command in lifecycle(grant_no)[4:]:
                    await send(officer, command)
        checked = await reconcile(client, ledger, numbers)
        closed = {ledger.state(grant_no).stage for grant_no in numbers}
        names = {tuple(event.name for event in ledger.history(grant_no)) for grant_no in numbers}

    assert pending_in_outage >= GRANTS // 2, "the payments sent during the outage waited for the database"
    assert all(state.disbursed == HALF for state in states)
    assert closed == {Stage.CLOSED}
    assert names == {LIFECYCLE_EVENTS}
    assert checked.agrees, checked
    print(  # noqa: T201 - the figure RELIABILITY.md quotes
        f"\npostgres outage: {GRANTS} grants, database down {OUTAGE_SECONDS} s with {pending_in_outage} payments "
        f"waiting, all paid {recovered:.1f} s after it returned; {checked.events_checked} events reconciled, "
        f"duplicates {len(checked.duplicates)}, missing {len(checked.missing)}"
    )
