"""Roles through the workflow: the validator refuses a claimed role that may not act; the ledger checks the register."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from temporalio.client import Client

from cli.gateway import GrantGateway, GrantRefusedError
from domain.commands import GrantCommand, RaiseObjection, RecordEvaluation, RecordMajorChange
from domain.deadlines import DeadlinePolicy
from domain.oversight import FundRules
from domain.stages import Stage
from ledger.application import GrantLedger, open_ledger
from tests.builders import approve, lifecycle, reject, submit
from tests.staff_support import APPOINTED_AT, appoint_builder_staff
from tests.workflows.support import gateway_for, new_grant_no, send
from workflows.grant_lifecycle import workflow_id_for


async def accepted_updates(client: Client, grant_no: str) -> int:
    history = await client.get_workflow_handle(workflow_id_for(grant_no)).fetch_history()
    return sum(e.HasField("workflow_execution_update_accepted_event_attributes") for e in history.events)


async def test_a_claimed_role_that_may_not_approve_is_refused_before_it_enters_history(
    gateway: GrantGateway, client: Client, ledger: GrantLedger
) -> None:
    grant_no = new_grant_no()
    await gateway.submit(submit(grant_no))
    before = ledger.count_events()
    claims = dataclasses.replace(approve(grant_no=grant_no), actor="officer", role="officer")
    with pytest.raises(GrantRefusedError, match=rf"grant {grant_no}: R6 roles .*officer, acting as officer, may not"):
        await gateway.record(claims)
    assert ledger.count_events() == before
    assert await accepted_updates(client, grant_no) == 1, "only the application entered the workflow's history"


@pytest.fixture
async def strict_gateway(client: Client, tmp_path: Path) -> AsyncIterator[tuple[GrantGateway, GrantLedger]]:
    """A worker on a ledger whose rules require roles, with the builders' actors appointed."""
    url = f"sqlite:///{tmp_path / 'strict.sqlite'}"
    with open_ledger(url, fund_rules=FundRules(roles_required=True)) as ledger:
        appoint_builder_staff(ledger, APPOINTED_AT)
        async with gateway_for(client, ledger, url, DeadlinePolicy()) as gateway:
            yield gateway, ledger


async def test_with_roles_required_the_ledger_refuses_an_actor_without_the_role_and_staff_finish_the_grant(
    strict_gateway: tuple[GrantGateway, GrantLedger],
) -> None:
    gateway, ledger = strict_gateway
    grant_no = new_grant_no()
    await gateway.submit(submit(grant_no))
    before = ledger.count_events()
    with pytest.raises(GrantRefusedError, match="stranger may not approve application: that needs the role approver"):
        await gateway.record(dataclasses.replace(approve(grant_no=grant_no), actor="stranger"))
    assert ledger.count_events() == before
    for command in lifecycle(grant_no):
        state = await send(gateway, command)
    assert state.stage is Stage.CLOSED


def extra_steps(grant_no: str, stage: Stage) -> list[GrantCommand]:
    """Steps beyond the straight path that the grant would accept at `stage`: an auditor tries them too."""
    on, grant = date(2020, 10, 2), {"grant_no": grant_no, "actor": "officer"}
    if stage is Stage.APPLICATION:
        return [reject(grant_no=grant_no)]
    if stage is Stage.PUBLICITY:
        return [RaiseObjection(**grant, raised_on=on, summary="名单有误")]
    if stage is Stage.DISBURSEMENT:
        return [RecordMajorChange(**grant, kind="scope_change", changed_on=on, description="扩大范围")]
    return []


async def test_an_auditor_records_the_evaluation_and_nothing_else(
    strict_gateway: tuple[GrantGateway, GrantLedger],
) -> None:
    """At every stage the auditor tries each step the grant would accept from the right person: only the evaluation
    is recorded (the refusals name the role; the stage never is the reason)."""
    gateway, ledger = strict_gateway
    grant_no = new_grant_no()
    state = await gateway.submit(submit(grant_no))
    for command in lifecycle(grant_no):
        for attempt in [command, *extra_steps(grant_no, state.stage)]:
            if isinstance(attempt, RecordEvaluation):
                continue
            before = ledger.count_events()
            with pytest.raises(GrantRefusedError, match="R6 roles and separation of duties: auditor may not"):
                await gateway.record(dataclasses.replace(attempt, actor="auditor"))
            assert ledger.count_events() == before
        state = await gateway.record(command)
    assert state.stage is Stage.CLOSED
    assert state.evaluator == "auditor"
