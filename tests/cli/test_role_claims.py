"""`grants --role R STEP ...`: a step sent in a role that may not take it is refused by the workflow's validator."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner, Result
from temporalio.client import Client

from cli.main import grants
from domain.deadlines import DeadlinePolicy
from ledger.application import GrantLedger
from tests.builders import submit
from tests.workflows.support import gateway_for, new_grant_no
from workflows.grant_lifecycle import workflow_id_for


async def test_a_step_sent_in_a_role_that_may_not_take_it_is_refused_before_it_enters_history(
    client: Client, ledger: GrantLedger, ledger_url: str
) -> None:
    async with gateway_for(client, ledger, ledger_url, DeadlinePolicy()) as gateway:
        grant_no = new_grant_no()
        await gateway.submit(submit(grant_no))
        env = {
            "GRANTS_TEMPORAL_ADDRESS": client.service_client.config.target_host,
            "GRANTS_TASK_QUEUE": gateway._task_queue,
            "GRANTS_LEDGER_URL": ledger_url,
            "GRANTS_ACTOR": "王芳",
        }

        def approve(role: str) -> Result:
            return CliRunner().invoke(grants, ["--role", role, "approve", grant_no, "--amount", "90000"], env=env)

        refused = await asyncio.to_thread(approve, "officer")
        assert refused.exit_code == 2, refused.output
        assert refused.stderr.startswith(
            f"error: grant {grant_no}: R6 roles and separation of duties: 王芳, acting as officer, may not approve "
            "application. Fix: ask a person with role approver."
        )
        history = await client.get_workflow_handle(workflow_id_for(grant_no)).fetch_history()
        updates = [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
        assert len(updates) == 1, "only the application entered the workflow's history"
        approved = await asyncio.to_thread(approve, "approver")
        assert approved.exit_code == 0, approved.output
        assert ledger.state(grant_no).approver == "王芳"
