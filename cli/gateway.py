"""`GrantGateway`: how officers' commands reach a grant's workflow, and how refusals come back.

Every command goes through Temporal as a Workflow Update, so the workflow's validator sees it first.
When the workflow is gone (the grant was closed and the run completed, or Temporal's retention has
deleted it), the ledger, the system of record, says why the step is refused.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain import rules
from domain.commands import (
    AcknowledgeNotice,
    ApproveApplication,
    CloseGrant,
    ConcludePublicity,
    GrantCommand,
    RaiseObjection,
    RecordDisbursement,
    RecordEvaluation,
    RecordMajorChange,
    RecordNotice,
    RecordReturn,
    RejectApplication,
    ResolveObjection,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.deadlines import DeadlinePolicy
from domain.errors import GrantError
from domain.oversight import FundRules
from domain.state import GrantState
from ledger.application import open_ledger
from workflows import search_attributes
from workflows.grant_lifecycle import GrantLifecycle, StartGrantInput, workflow_id_for
from workflows.operator_view import static_summary

UPDATES: dict[type[GrantCommand], Any] = {
    ApproveApplication: GrantLifecycle.approve_application,
    RejectApplication: GrantLifecycle.reject_application,
    RecordNotice: GrantLifecycle.record_notice,
    AcknowledgeNotice: GrantLifecycle.acknowledge_notice,
    RecordDisbursement: GrantLifecycle.record_disbursement,
    RecordReturn: GrantLifecycle.record_return,
    StartPublicity: GrantLifecycle.start_publicity,
    ConcludePublicity: GrantLifecycle.conclude_publicity,
    RecordMajorChange: GrantLifecycle.record_major_change,
    RaiseObjection: GrantLifecycle.raise_objection,
    ResolveObjection: GrantLifecycle.resolve_objection,
    SubmitFinalReport: GrantLifecycle.submit_final_report,
    RecordEvaluation: GrantLifecycle.record_evaluation,
    CloseGrant: GrantLifecycle.close_grant,
}


class GrantRefusedError(GrantError):
    """The workflow or the ledger refused a command; the message is the domain's own."""


class WorkerUnavailableError(Exception):
    """No worker answered in time: the stack is probably not running."""


class GrantGateway:
    def __init__(  # noqa: PLR0913 - the connection, where to find the ledger, and the rules new grants start with
        self,
        client: Client,
        task_queue: str,
        ledger_url: str,
        timeout_seconds: float,
        *,
        policy: DeadlinePolicy | None = None,
        fund_rules: FundRules | None = None,
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._ledger_url = ledger_url
        self._timeout = timeout_seconds
        self._policy = policy or DeadlinePolicy()  # the deadlines a new grant's workflow starts with
        self._fund_rules = fund_rules or FundRules()  # the rules its validators judge steps by

    async def submit(self, command: SubmitApplication, *, update_id: str | None = None) -> GrantState:
        """Start the grant's workflow with its application (or repeat an identical one harmlessly).

        A caller that resends a step after a lost connection passes the same `update_id` each time: Temporal
        then answers with the first attempt's outcome instead of running the step twice (see `record`).
        """
        details = command.details
        start = WithStartWorkflowOperation(
            GrantLifecycle.run,
            StartGrantInput(command.grant_no, policy=self._policy, fund_rules=self._fund_rules),
            id=workflow_id_for(command.grant_no),
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=search_attributes.at_start(details),
            static_summary=static_summary(command.grant_no, details),
        )
        try:
            return await self._answer(
                self._client.execute_update_with_start_workflow(
                    GrantLifecycle.submit_application, command, start_workflow_operation=start, id=update_id
                )
            )
        except WorkflowAlreadyStartedError:  # its workflow has completed: the ledger decides
            with open_ledger(self._ledger_url) as ledger:
                state = ledger.state(command.grant_no)
            rules.is_repeat_application(state, command)
            return state

    async def record(self, command: GrantCommand, *, update_id: str | None = None) -> GrantState:
        """Send one step; resent with the same `update_id` (hence the same command id) it is recorded once."""
        handle = self._client.get_workflow_handle(workflow_id_for(command.grant_no))
        try:
            return await self._answer(handle.execute_update(UPDATES[type(command)], command, id=update_id))
        except RPCError as error:
            if error.status is not RPCStatusCode.NOT_FOUND:
                raise
        # No running workflow: the ledger raises the rule the step breaks (closed, or unknown grant).
        with open_ledger(self._ledger_url) as ledger:
            rules.check(ledger.state(command.grant_no), command, datetime.now(UTC))
        msg = f"grant {command.grant_no}: its workflow is not running, though the ledger would accept this step"
        raise GrantRefusedError(msg)

    async def status(self, grant_no: str) -> GrantState | None:
        handle = self._client.get_workflow_handle(workflow_id_for(grant_no))
        state: GrantState | None = await handle.query(GrantLifecycle.status)
        return state

    async def _answer(self, call: Any) -> GrantState:  # noqa: ANN401 - any update call's awaitable
        try:
            state: GrantState = await asyncio.wait_for(call, self._timeout)
        except WorkflowUpdateFailedError as failure:
            cause = failure.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(cause)
            raise GrantRefusedError(message) from None
        except TimeoutError:
            msg = (
                f"no worker answered within {self._timeout:.0f} s on task queue {self._task_queue!r}. "
                "Fix: start the local stack (`grants up`) or a worker (`grants worker`)"
            )
            raise WorkerUnavailableError(msg) from None
        return state
