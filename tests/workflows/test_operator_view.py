"""What an operator sees of a grant in the Web UI: search attributes, summary and current details."""

from __future__ import annotations

import re
import time
import typing
from datetime import date

from temporalio import workflow
from temporalio.client import Client, WorkflowExecution

from cli.gateway import GrantGateway
from cli.operations import inspect_grant
from domain.commands import GrantCommand, RaiseObjection, RecordMajorChange, ResolveObjection
from domain.values import Money
from tests.builders import (
    GRANT_NO,
    REQUESTED,
    acknowledge,
    approve,
    close,
    conclude_publicity,
    disburse,
    evaluate,
    final_report,
    funds_return,
    notice,
    reject,
    start_publicity,
    submit,
)
from tests.workflows.support import current_details, describe, eventually, new_grant_no
from workflows import search_attributes
from workflows.grant_lifecycle import GrantLifecycle, StartGrantInput, workflow_id_for
from workflows.operator_view import activity_summary
from workflows.search_attributes import (
    FISCAL_YEAR,
    GRANT_AMOUNT_FEN,
    GRANT_DUE_AT,
    GRANT_OVERDUE,
    GRANT_PROGRAM,
    GRANT_REGION,
    GRANT_STAGE,
)

OFFICER = {"grant_no": GRANT_NO, "actor": "officer"}
# One example of each command an officer can send; the test below fails when an update takes a new one.
EXAMPLES: list[GrantCommand] = [
    submit(),
    approve(),
    reject(),
    notice(),
    acknowledge(),
    disburse(),
    funds_return(),
    start_publicity(),
    RaiseObjection(**OFFICER, raised_on=date(2020, 10, 5), summary="对补助对象资格有异议"),
    ResolveObjection(**OFFICER, objection_no=1, resolved_on=date(2020, 10, 9), resolution="经核实符合条件"),
    conclude_publicity(),
    RecordMajorChange(**OFFICER, kind="officer_change", changed_on=date(2020, 8, 1), description="项目负责人调整"),
    final_report(),
    evaluate(),
    close(),
]


def update_command_types() -> set[type]:
    """The command type each of GrantLifecycle's updates takes (read from the SDK's definition of the class)."""
    definition = workflow._Definition.must_from_class(GrantLifecycle)  # private, but no public accessor exists
    return {typing.get_type_hints(update.fn)["command"] for update in definition.updates.values()}


def test_every_step_an_update_accepts_has_a_summary_in_domain_words() -> None:
    """Not the fallback `record <ClassName>`: the Web UI's event history reads as the grant's story."""
    assert {type(command) for command in EXAMPLES} == update_command_types()
    for command in EXAMPLES:
        summary = activity_summary(command)
        assert not re.fullmatch(r"record [A-Z]\w+", summary), summary
        assert type(command).__name__ not in summary, summary


def test_an_objection_summary_carries_no_free_text() -> None:
    """An objection's own words may name a person: the history shows its date and number only."""
    summaries = [activity_summary(c) for c in EXAMPLES if isinstance(c, RaiseObjection | ResolveObjection)]
    assert summaries == [
        "record an objection raised on 2020-10-05",
        "record the resolution of objection #1 on 2020-10-09",
    ]


async def test_a_new_grant_is_searchable_by_region_program_year_and_amount_and_has_a_summary(
    gateway: GrantGateway, client: Client
) -> None:
    grant_no = new_grant_no()
    await gateway.submit(submit(grant_no))
    description = await describe(client, grant_no)
    attributes = description.typed_search_attributes
    assert attributes.get(GRANT_STAGE) == "application"
    assert attributes.get(GRANT_REGION) == "430100"
    assert attributes.get(GRANT_PROGRAM) == "暖心家园"
    assert attributes.get(FISCAL_YEAR) == 2020
    assert attributes.get(GRANT_AMOUNT_FEN) == REQUESTED.fen
    assert attributes.get(GRANT_OVERDUE) is False
    assert attributes.get(GRANT_DUE_AT) is None, "no deadline runs before approval"
    assert await description.static_summary() == f"{grant_no} · 暖心家园 · 长沙市计划生育协会 · {REQUESTED}"
    details = await current_details(client, grant_no)
    assert f"**{grant_no}** · stage **application**" in details
    assert "who must act: approver" in details


async def test_the_amount_becomes_the_approved_one_and_the_final_report_deadline_appears(
    gateway: GrantGateway, client: Client
) -> None:
    grant_no = new_grant_no()
    await gateway.submit(submit(grant_no))
    await gateway.record(approve(Money(80_000_00), grant_no=grant_no))
    attributes = (await describe(client, grant_no)).typed_search_attributes
    assert attributes.get(GRANT_AMOUNT_FEN) == 80_000_00
    assert attributes.get(GRANT_STAGE) == "appropriation"
    assert attributes.get(GRANT_DUE_AT) is not None
    details = await current_details(client, grant_no)
    assert "deadline: the final report by 2021-01-31 00:00:00 (already past when entered" in details


async def test_a_search_by_attribute_finds_exactly_the_grant(gateway: GrantGateway, client: Client) -> None:
    grant_no = new_grant_no()
    await gateway.submit(submit(grant_no, region="431300", program="能力建设"))
    query = 'GrantRegion = "431300" AND GrantProgram = "能力建设" AND FiscalYear = 2020'

    async def found() -> list[str]:
        return [execution.id async for execution in client.list_workflows(query)]

    assert f"grant-{grant_no}" in await eventually(found, what="the visibility store to index the grant")


async def test_grants_stuck_asks_no_worker_about_a_grant_waiting_normally(client: Client) -> None:
    """A running grant neither overdue nor failing is left out without a status query, which would wait 10 s for
    a worker when none polls (exactly when an operator runs `grants stuck`)."""
    grant_no = new_grant_no()
    await client.start_workflow(
        GrantLifecycle.run,
        StartGrantInput(grant_no),
        id=workflow_id_for(grant_no),
        task_queue=f"nobody-polls-{grant_no}",
        search_attributes=search_attributes.at_start(submit(grant_no).details),
    )
    try:
        query = f"WorkflowId = '{workflow_id_for(grant_no)}'"

        async def listed() -> list[WorkflowExecution]:
            return [execution async for execution in client.list_workflows(query)]

        (execution,) = await eventually(listed, what="the grant in visibility")
        started = time.monotonic()
        assert await inspect_grant(client, execution, "http://ui.test") == []
        assert time.monotonic() - started < 5, "no status query was sent"
    finally:
        await client.get_workflow_handle(workflow_id_for(grant_no)).terminate("test over")
