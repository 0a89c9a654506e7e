"""`GrantLifecycle`: one workflow per grant (id `grant-<grant number>`), from application to closing.

Officers act through Workflow Updates. Each update's validator runs the domain's rules against the
state the ledger last returned, so an invalid or out-of-order step is refused before it enters
history; the handler then records the step in the ledger through an activity and keeps the new state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TypeVar, cast

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.ledger_activities import LedgerActivities
    from domain import rules
    from domain.commands import (
        AcknowledgeNotice,
        ApproveApplication,
        CloseGrant,
        ConcludePublicity,
        GrantCommand,
        RecordDisbursement,
        RecordEvaluation,
        RecordNotice,
        RejectApplication,
        StartPublicity,
        SubmitApplication,
        SubmitFinalReport,
    )
    from domain.errors import GrantError
    from domain.state import GrantState

TASK_QUEUE = "grant-ledger"
GRANT_STAGE = SearchAttributeKey.for_keyword("GrantStage")
LEDGER_CALL_TIMEOUT = timedelta(seconds=30)
# Infrastructure failures (the ledger's database is down) are retried until they succeed; the
# growing interval keeps a long outage cheap, and the pending activity shows operators what is stuck.
LEDGER_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))

C = TypeVar("C", bound=GrantCommand)


def workflow_id_for(grant_no: str) -> str:
    return f"grant-{grant_no}"


@dataclass(frozen=True)
class StartGrantInput:
    grant_no: str


@workflow.defn
class GrantLifecycle:
    @workflow.init
    def __init__(self, start: StartGrantInput) -> None:
        self._grant_no = start.grant_no
        self._state: GrantState | None = None
        self._one_step_at_a_time = asyncio.Lock()

    @workflow.run
    async def run(self, start: StartGrantInput) -> GrantState:  # noqa: ARG002 - Temporal passes the input to run and init alike
        await workflow.wait_condition(
            lambda: self._state is not None and self._state.stage.is_final and workflow.all_handlers_finished()
        )
        return cast("GrantState", self._state)  # the wait condition guarantees it is set

    @workflow.query
    def status(self) -> GrantState | None:
        return self._state

    @workflow.update
    async def submit_application(self, command: SubmitApplication) -> GrantState:
        if self._state is not None:  # the validator let it through: the same application again
            return self._state
        return await self._record(LedgerActivities.submit_application, command)

    @submit_application.validator
    def _validate_submit_application(self, command: SubmitApplication) -> None:
        self.validate(command)

    @workflow.update
    async def approve_application(self, command: ApproveApplication) -> GrantState:
        return await self._record(LedgerActivities.approve_application, command)

    @approve_application.validator
    def _validate_approve_application(self, command: ApproveApplication) -> None:
        self.validate(command)

    @workflow.update
    async def reject_application(self, command: RejectApplication) -> GrantState:
        return await self._record(LedgerActivities.reject_application, command)

    @reject_application.validator
    def _validate_reject_application(self, command: RejectApplication) -> None:
        self.validate(command)

    @workflow.update
    async def record_notice(self, command: RecordNotice) -> GrantState:
        return await self._record(LedgerActivities.record_notice, command)

    @record_notice.validator
    def _validate_record_notice(self, command: RecordNotice) -> None:
        self.validate(command)

    @workflow.update
    async def acknowledge_notice(self, command: AcknowledgeNotice) -> GrantState:
        return await self._record(LedgerActivities.acknowledge_notice, command)

    @acknowledge_notice.validator
    def _validate_acknowledge_notice(self, command: AcknowledgeNotice) -> None:
        self.validate(command)

    @workflow.update
    async def record_disbursement(self, command: RecordDisbursement) -> GrantState:
        return await self._record(LedgerActivities.record_disbursement, command)

    @record_disbursement.validator
    def _validate_record_disbursement(self, command: RecordDisbursement) -> None:
        self.validate(command)

    @workflow.update
    async def start_publicity(self, command: StartPublicity) -> GrantState:
        return await self._record(LedgerActivities.start_publicity, command)

    @start_publicity.validator
    def _validate_start_publicity(self, command: StartPublicity) -> None:
        self.validate(command)

    @workflow.update
    async def conclude_publicity(self, command: ConcludePublicity) -> GrantState:
        return await self._record(LedgerActivities.conclude_publicity, command)

    @conclude_publicity.validator
    def _validate_conclude_publicity(self, command: ConcludePublicity) -> None:
        self.validate(command)

    @workflow.update
    async def submit_final_report(self, command: SubmitFinalReport) -> GrantState:
        return await self._record(LedgerActivities.submit_final_report, command)

    @submit_final_report.validator
    def _validate_submit_final_report(self, command: SubmitFinalReport) -> None:
        self.validate(command)

    @workflow.update
    async def record_evaluation(self, command: RecordEvaluation) -> GrantState:
        return await self._record(LedgerActivities.record_evaluation, command)

    @record_evaluation.validator
    def _validate_record_evaluation(self, command: RecordEvaluation) -> None:
        self.validate(command)

    @workflow.update
    async def close_grant(self, command: CloseGrant) -> GrantState:
        return await self._record(LedgerActivities.close_grant, command)

    @close_grant.validator
    def _validate_close_grant(self, command: CloseGrant) -> None:
        self.validate(command)

    def validate(self, command: GrantCommand) -> None:
        """Refuse, before it enters history, a step that the rules refuse now."""
        if command.grant_no != self._grant_no:
            msg = f"grant {command.grant_no}: this step was sent to the workflow of grant {self._grant_no}"
            raise ApplicationError(msg, type="WrongGrant", non_retryable=True)
        try:
            rules.check(self._state, command, workflow.now())
        except GrantError as refusal:
            raise ApplicationError(str(refusal), type=type(refusal).__name__, non_retryable=True) from None

    async def _record(self, activity: Callable[[LedgerActivities, C], GrantState], command: C) -> GrantState:
        async with self._one_step_at_a_time:
            update = workflow.current_update_info()
            command_id = f"{workflow.info().workflow_id}/{update.id if update else 'run'}"
            try:
                state = await workflow.execute_activity_method(
                    activity,
                    replace(command, command_id=command_id),
                    start_to_close_timeout=LEDGER_CALL_TIMEOUT,
                    retry_policy=LEDGER_RETRY,
                )
            except ActivityError as failure:
                refusal = failure.cause
                if isinstance(refusal, ApplicationError) and refusal.non_retryable:
                    raise ApplicationError(refusal.message, type=refusal.type, non_retryable=True) from None
                raise
            if self._state is None or state.version >= self._state.version:
                self._state = state
            workflow.upsert_search_attributes([GRANT_STAGE.value_set(self._state.stage.value)])
            return self._state
