"""A grant with hundreds of tranches continues as new when Temporal suggests it, and loses nothing."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from audit.reconcile import CONSISTENT, reconcile
from cli.gateway import GrantGateway
from domain.stages import Stage
from domain.values import Money
from ledger.application import GrantLedger
from tests.builders import (
    REQUESTED,
    close,
    conclude_publicity,
    disburse,
    evaluate,
    final_report,
    start_publicity,
)
from tests.workflows.support import current_details, eventually, new_grant_no, run_until
from workflows.grant_lifecycle import CarriedGrant, GrantLifecycle, StartGrantInput, workflow_id_for
from workflows.search_attributes import (
    FISCAL_YEAR,
    GRANT_AMOUNT_FEN,
    GRANT_DUE_AT,
    GRANT_OVERDUE,
    GRANT_PROGRAM,
    GRANT_REGION,
    GRANT_STAGE,
)

TRANCHES = 500
PER_TRANCHE = Money(1)  # one fen each: the amount does not matter, the count does


def summary_line(grant_no: str) -> str:
    """The static summary's line (grant number · program · recipient · amount) of `tests.builders.submit`."""
    return f"{grant_no} · 暖心家园 · 长沙市计划生育协会 · {REQUESTED}"


async def test_a_continued_run_shows_its_summary_and_upserts_its_search_attributes_at_its_start(
    gateway: GrantGateway, client: Client
) -> None:
    """A run started with carried state, as `continue_as_new` starts one, but given no attributes or summary."""
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=4)  # half paid
    first = client.get_workflow_handle(workflow_id_for(grant_no))
    task_queue = (await first.describe()).task_queue
    state = await first.query(GrantLifecycle.status)
    assert state is not None
    await first.terminate("replaced by a run that carries its state")

    handle = await client.start_workflow(
        GrantLifecycle.run,
        StartGrantInput(grant_no, carried=CarriedGrant(state)),
        id=workflow_id_for(grant_no),
        task_queue=task_queue,
    )

    async def details() -> str:
        return await current_details(client, grant_no)

    assert (await eventually(details, what="the continued run's current details")).startswith(summary_line(grant_no))
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(GRANT_STAGE) == "disbursement"
    assert attributes.get(GRANT_REGION) == "430100"
    assert attributes.get(GRANT_PROGRAM) == "暖心家园"
    assert attributes.get(FISCAL_YEAR) == 2020
    assert attributes.get(GRANT_AMOUNT_FEN) == REQUESTED.fen
    assert attributes.get(GRANT_OVERDUE) is False
    assert attributes.get(GRANT_DUE_AT) is not None, "the final report's deadline"
    state = await gateway.record(disburse(Money(REQUESTED.fen - state.disbursed.fen), grant_no=grant_no))
    assert state.disbursed == REQUESTED, "the continued run goes on from the carried state"


@pytest.mark.slow
async def test_a_grant_with_500_disbursements_continues_as_new_and_completes(
    gateway: GrantGateway, client: Client, ledger: GrantLedger
) -> None:
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=3)
    handle = client.get_workflow_handle(workflow_id_for(grant_no))
    first_run = (await handle.describe()).run_id
    for _ in range(TRANCHES):
        state = await gateway.record(disburse(PER_TRANCHE, grant_no=grant_no))
    assert state.tranches == TRANCHES
    assert state.disbursed == Money(TRANCHES)

    current_run = (await handle.describe()).run_id
    assert current_run != first_run, "Temporal suggested continue-as-new and the workflow took it"
    first_history = await client.get_workflow_handle(workflow_id_for(grant_no), run_id=first_run).fetch_history()
    assert first_history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    status = await handle.query(GrantLifecycle.status)
    assert status is not None
    assert status.tranches == TRANCHES, "the state was carried into the new run"
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(GRANT_STAGE) == "disbursement", "the search attributes too"
    assert attributes.get(GRANT_REGION) == "430100"
    details = await current_details(client, grant_no)
    assert details.startswith(summary_line(grant_no)), "the new run has no static summary: its details say it"

    for command in (
        start_publicity(grant_no=grant_no),
        conclude_publicity(grant_no=grant_no),
        final_report(Money(TRANCHES), grant_no=grant_no),
        evaluate(grant_no=grant_no),
        close(grant_no=grant_no),
    ):  # publicity to closing, on the new run
        state = await gateway.record(command)
    assert state.stage is Stage.CLOSED
    result = await client.get_workflow_handle_for(GrantLifecycle.run, workflow_id_for(grant_no)).result()
    assert result.stage is Stage.CLOSED
    names = [event.name for event in ledger.history(grant_no)]
    assert names.count("DisbursementRecorded") == TRANCHES, "no tranche lost or doubled across runs"
    assert names[-1] == "GrantClosed"
    [reconciled] = await reconcile(client, ledger)
    assert (reconciled.outcome, reconciled.steps) == (CONSISTENT, len(names)), "every run's steps, each with its event"
    assert reconciled.runs >= 2
