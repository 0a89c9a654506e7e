"""GrantLifecycle on a real Temporal dev server, with real activities over a temporary SQLite ledger."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client
from temporalio.worker import Replayer

from cli.gateway import GrantGateway, GrantRefusedError
from domain.errors import DuplicateGrantError, GrantNotFoundError, StageOrderViolation
from domain.stages import Stage
from domain.values import Money
from ledger.application import GrantLedger
from tests.builders import LIFECYCLE_EVENTS, REQUESTED, disburse, lifecycle, submit
from tests.workflows.support import new_grant_no, run_until
from workflows.converter import DATA_CONVERTER
from workflows.grant_lifecycle import GRANT_STAGE, GrantLifecycle, workflow_id_for


async def test_a_grant_goes_through_all_six_stages_and_its_workflow_completes(
    gateway: GrantGateway, client: Client, ledger: GrantLedger
) -> None:
    grant_no = new_grant_no()
    state = await run_until(gateway, grant_no)
    assert state.stage is Stage.CLOSED
    assert state.disbursed == REQUESTED
    result = await client.get_workflow_handle_for(GrantLifecycle.run, workflow_id_for(grant_no)).result()
    assert result == state
    assert [event.name for event in ledger.history(grant_no)] == list(LIFECYCLE_EVENTS)


async def test_the_stage_search_attribute_follows_the_grant(gateway: GrantGateway, client: Client) -> None:
    grant_no = new_grant_no()
    handle = client.get_workflow_handle(workflow_id_for(grant_no))
    await run_until(gateway, grant_no, steps=3)
    assert (await handle.describe()).typed_search_attributes.get(GRANT_STAGE) == "disbursement"
    for command in lifecycle(grant_no)[3:]:
        await gateway.record(command)
    assert (await handle.describe()).typed_search_attributes.get(GRANT_STAGE) == "closed"


async def test_an_out_of_order_step_is_rejected_before_it_enters_history(
    gateway: GrantGateway, client: Client, ledger: GrantLedger
) -> None:
    grant_no = new_grant_no()
    await gateway.submit(submit(grant_no))
    events_before = ledger.count_events()
    with pytest.raises(GrantRefusedError, match=rf"grant {grant_no}: R1 stage order: disbursing .* Fix: "):
        await gateway.record(disburse(Money(100), grant_no=grant_no))
    assert ledger.count_events() == events_before
    history = await client.get_workflow_handle(workflow_id_for(grant_no)).fetch_history()
    accepted = [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
    assert len(accepted) == 1, "only the application was accepted into the workflow's history"


async def test_disbursing_more_than_appropriated_is_refused_with_the_amount_left(
    gateway: GrantGateway, ledger: GrantLedger
) -> None:
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=3)
    await gateway.record(disburse(Money(REQUESTED.fen - 100), grant_no=grant_no))
    events_before = ledger.count_events()
    with pytest.raises(GrantRefusedError, match=r"R2 amounts: .* disburse at most the 1.00 yuan left"):
        await gateway.record(disburse(Money(101), grant_no=grant_no))
    assert ledger.count_events() == events_before


async def test_concurrent_disbursements_never_exceed_the_appropriation(
    gateway: GrantGateway, ledger: GrantLedger
) -> None:
    """Both pass the validator together; the ledger, checked step by step, accepts only what fits."""
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=3)
    three_fifths = REQUESTED.fen * 3 // 5
    outcomes = await asyncio.gather(
        gateway.record(disburse(Money(three_fifths), grant_no=grant_no)),
        gateway.record(disburse(Money(three_fifths), grant_no=grant_no)),
        return_exceptions=True,
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, GrantRefusedError)]
    assert len(refused) == 1
    assert "R2 amounts" in str(refused[0])
    assert ledger.state(grant_no).disbursed == Money(three_fifths)


async def test_repeating_an_identical_application_changes_nothing(gateway: GrantGateway, ledger: GrantLedger) -> None:
    grant_no = new_grant_no()
    first = await gateway.submit(submit(grant_no))
    again = await gateway.submit(submit(grant_no))
    assert again == first
    assert [event.name for event in ledger.history(grant_no)] == ["ApplicationSubmitted"]


async def test_an_application_with_different_content_under_a_used_number_is_refused(gateway: GrantGateway) -> None:
    grant_no = new_grant_no()
    await gateway.submit(submit(grant_no))
    with pytest.raises(GrantRefusedError, match=rf"grant {grant_no}: unique grant number: .*recipient"):
        await gateway.submit(submit(grant_no, recipient="株洲市计划生育协会"))


async def test_after_closing_the_ledger_refuses_further_steps_and_accepts_the_same_application(
    gateway: GrantGateway, ledger: GrantLedger
) -> None:
    """The workflow has completed; the ledger, the system of record, answers in its place."""
    grant_no = new_grant_no()
    await run_until(gateway, grant_no)
    with pytest.raises(StageOrderViolation, match=r"the grant is closed"):
        await gateway.record(disburse(Money(100), grant_no=grant_no))
    assert (await gateway.submit(submit(grant_no))).stage is Stage.CLOSED
    with pytest.raises(DuplicateGrantError):
        await gateway.submit(submit(grant_no, title="another project"))
    assert ledger.count_events() == len(list(LIFECYCLE_EVENTS))


async def test_a_step_for_an_unknown_grant_is_refused(gateway: GrantGateway) -> None:
    with pytest.raises(GrantNotFoundError, match="unknown grant"):
        await gateway.record(disburse(Money(100), grant_no="NO-SUCH-GRANT"))


async def test_a_recorded_history_replays_deterministically(gateway: GrantGateway, client: Client) -> None:
    grant_no = new_grant_no()
    await run_until(gateway, grant_no)
    history = await client.get_workflow_handle(workflow_id_for(grant_no)).fetch_history()
    replayer = Replayer(workflows=[GrantLifecycle], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
