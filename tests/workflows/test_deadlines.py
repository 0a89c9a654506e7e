"""R9 deadlines as durable timers, on a real dev server with durations of seconds injected through the policy."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from temporalio.client import Client

from cli.gateway import GrantGateway
from cli.operations import find_stuck, now_utc, stuck_text
from domain.deadlines import DeadlineKind, DeadlinePolicy, end_of_day
from domain.stages import Stage
from ledger.application import GrantLedger
from tests.builders import HALF, disburse, start_publicity
from tests.workflows.support import current_details, describe, eventually, gateway_for, new_grant_no, run_until
from workflows.search_attributes import GRANT_DUE_AT, GRANT_OVERDUE, GRANT_STAGE

PAYMENT_DUE_SECONDS = 2
UI_URL = "http://ui.test/namespaces/default/workflows"


@pytest.fixture
def deadline_policy() -> DeadlinePolicy:
    """Payment due 2 s after the acknowledgement; the 2020 final report deadline (long past) gets an hour."""
    return DeadlinePolicy(payment_due_seconds=PAYMENT_DUE_SECONDS, backfill_grace_seconds=3600)


def missed_events(ledger: GrantLedger, grant_no: str) -> list[str]:
    return [str(e.fields["kind"]) for e in ledger.history(grant_no) if e.name == "DeadlineMissed"]


async def test_an_unpaid_grant_becomes_overdue_and_paying_in_full_clears_it(
    gateway: GrantGateway, client: Client, ledger: GrantLedger
) -> None:
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=3)  # approved, notice recorded and acknowledged

    async def overdue() -> bool:
        return bool((await describe(client, grant_no)).typed_search_attributes.get(GRANT_OVERDUE))

    await eventually(overdue, what="GrantOverdue = true")
    assert missed_events(ledger, grant_no) == ["payment"]
    state = ledger.state(grant_no)
    assert state.stage is Stage.DISBURSEMENT, "a missed deadline changes no stage"
    assert [missed.kind for missed in state.overdue()] == [DeadlineKind.PAYMENT]
    details = await current_details(client, grant_no)
    assert "**OVERDUE** since" in details
    assert "payment in full" in details
    assert "recipient's finance office" in details

    stuck = [s for s in await find_stuck(client, UI_URL, timedelta(0), now_utc()) if s.grant_no == grant_no]
    assert len(stuck) == 1
    assert stuck[0].problem.startswith("overdue: payment in full")
    assert stuck[0].web_ui == f"{UI_URL}/grant-{grant_no}"
    report = stuck_text(stuck, now_utc())
    assert f"{grant_no}  stage disbursement  overdue: payment in full" in report
    assert "who must act: recipient's finance office" in report
    assert report.endswith("1 stuck grant(s)")
    assert not [s for s in await find_stuck(client, UI_URL, timedelta(days=1), now_utc()) if s.grant_no == grant_no]

    await gateway.record(disburse(HALF, grant_no=grant_no))
    assert await overdue(), "half the money paid is not payment in full"
    await gateway.record(disburse(HALF, grant_no=grant_no))
    assert not await overdue()
    attributes = (await describe(client, grant_no)).typed_search_attributes
    assert attributes.get(GRANT_STAGE) == "disbursement"
    assert attributes.get(GRANT_DUE_AT) == end_of_day(date(2020, 12, 31)) + timedelta(days=30), "the final report"
    assert "on time" in await current_details(client, grant_no)
    assert not [s for s in await find_stuck(client, UI_URL, timedelta(0), now_utc()) if s.grant_no == grant_no]
    assert missed_events(ledger, grant_no) == ["payment"], "recorded once"


async def test_starting_publicity_half_paid_does_not_escape_the_payment_deadline(
    gateway: GrantGateway, client: Client, ledger: GrantLedger
) -> None:
    """Publicity may start after one tranche, but the rest is still owed: on time and in full (R9)."""
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=4)  # acknowledged, half paid
    state = await gateway.record(start_publicity(grant_no=grant_no))
    assert state.stage is Stage.PUBLICITY

    async def overdue() -> bool:
        return bool((await describe(client, grant_no)).typed_search_attributes.get(GRANT_OVERDUE))

    await eventually(overdue, what="GrantOverdue = true in publicity")
    assert missed_events(ledger, grant_no) == ["payment"]
    assert ledger.state(grant_no).stage is Stage.PUBLICITY
    details = await current_details(client, grant_no)
    assert "**OVERDUE** since" in details
    assert "payment in full of the appropriated amount (payment deadline; recipient's finance office must act)" in (
        details
    )
    (stuck,) = [s for s in await find_stuck(client, UI_URL, timedelta(0), now_utc()) if s.grant_no == grant_no]
    assert (stuck.stage, stuck.who_must_act) == ("publicity", "recipient's finance office")
    assert stuck.problem.startswith("overdue: payment in full")

    state = await gateway.record(disburse(HALF, grant_no=grant_no))  # the rest, late
    assert state.stage is Stage.PUBLICITY
    assert not await overdue()
    assert "on time" in await current_details(client, grant_no)
    assert not [s for s in await find_stuck(client, UI_URL, timedelta(0), now_utc()) if s.grant_no == grant_no]
    assert missed_events(ledger, grant_no) == ["payment"], "recorded once"


async def test_a_grant_paid_before_its_deadline_records_no_missed_deadline(
    gateway: GrantGateway, client: Client, ledger: GrantLedger
) -> None:
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=5)  # both tranches paid at once
    await asyncio.sleep(PAYMENT_DUE_SECONDS + 1.5)  # past the payment deadline
    assert missed_events(ledger, grant_no) == []
    assert not (await describe(client, grant_no)).typed_search_attributes.get(GRANT_OVERDUE)


async def test_a_deadline_already_past_when_entered_is_missed_after_the_backfill_grace(
    client: Client, ledger: GrantLedger, ledger_url: str
) -> None:
    """A 2020 grant entered now: its final report deadline (2021-01-30) counts only after the grace period."""
    policy = DeadlinePolicy(backfill_grace_seconds=1)
    async with gateway_for(client, ledger, ledger_url, policy) as gateway:
        grant_no = new_grant_no()
        await run_until(gateway, grant_no, steps=1)  # approved: the final report is awaited from now on

        async def missed() -> list[str]:
            return missed_events(ledger, grant_no)

        assert await eventually(missed, what="DeadlineMissed") == ["final_report"]
        (recorded,) = ledger.state(grant_no).missed_deadlines
        assert recorded.due_at == end_of_day(date(2020, 12, 31)) + timedelta(days=30), "the business deadline"
        assert ledger.state(grant_no).stage is Stage.APPROPRIATION
