"""`GrantLifecycle`: one workflow per grant (id `grant-<grant number>`), from application to closing.

Officers act through Workflow Updates. Each update's validator runs the domain's rules against the
state the ledger last returned, so an invalid or out-of-order step is refused before it enters
history; the handler then records the step in the ledger through an activity and keeps the new state.

Between steps the workflow watches the grant's R9 deadlines with durable timers: when one passes with
its obligation open, it records `DeadlineMissed` in the ledger and keeps waiting for the step. Search
attributes and current details keep the Web UI's view of the grant current, and a long grant (hundreds
of tranches) continues as new, carrying its state, when Temporal suggests it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar, cast

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.ledger_activities import LedgerActivities
    from domain import deadlines, roles, rules
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
        RecordMissedDeadline,
        RecordNotice,
        RecordReturn,
        RejectApplication,
        ResolveObjection,
        StartPublicity,
        SubmitApplication,
        SubmitFinalReport,
    )
    from domain.deadlines import DeadlineKind, DeadlinePolicy
    from domain.errors import GrantError
    from domain.oversight import FundRules
    from domain.stages import Stage
    from domain.state import GrantState
    from workflows import search_attributes
    from workflows.operator_view import (
        ArmedDeadline,
        activity_summary,
        current_details,
        timer_summary,
    )
    from workflows.search_attributes import GRANT_STAGE

TASK_QUEUE = "grant-ledger"
# Longer than the ledger takes to give up on an unreachable database (about 40 s measured with eventsourcing's
# own retries and its 10 s connection timeout), so that operators see the database's error, not a timeout.
LEDGER_CALL_TIMEOUT = timedelta(seconds=60)
# Infrastructure failures (the ledger's database is down) are retried until they succeed; the
# growing interval keeps a long outage cheap, and the pending activity shows operators what is stuck.
LEDGER_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))

# Runs started before deadlines existed wait without timers; see `run`.
DEADLINE_TIMERS_PATCH = "deadline-timers"
# Runs started before the payment deadline outlived the disbursement stage stop watching it once publicity
# starts, as they did; later runs watch it until the money is paid in full (see `_watches`).
PAYMENT_UNTIL_PAID_PATCH = "payment-deadline-until-paid"
# Continued runs started before this upsert nothing at their start; later ones upsert every attribute there.
CARRIED_ATTRIBUTES_PATCH = "carried-run-attributes"
DEADLINE_ACTOR = "GrantLifecycle (deadline timer)"

C = TypeVar("C", bound=GrantCommand)

__all__ = ["GRANT_STAGE", "GrantLifecycle", "StartGrantInput", "workflow_id_for"]


def workflow_id_for(grant_no: str) -> str:
    return f"grant-{grant_no}"


@dataclass(frozen=True)
class CarriedGrant:
    """What a run hands to the next when it continues as new: the grant's state and its armed deadlines."""

    state: GrantState
    deadlines: list[ArmedDeadline] = field(default_factory=list)


@dataclass(frozen=True)
class StartGrantInput:
    grant_no: str
    policy: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    carried: CarriedGrant | None = None
    fund_rules: FundRules = field(default_factory=FundRules)  # what the validators judge by (the ledger judges again)


@workflow.defn
class GrantLifecycle:
    @workflow.init
    def __init__(self, start: StartGrantInput) -> None:
        self._grant_no = start.grant_no
        self._policy = start.policy
        self._fund_rules = start.fund_rules
        self._state: GrantState | None = None
        self._deadlines: dict[DeadlineKind, ArmedDeadline] = {}
        self._one_step_at_a_time = asyncio.Lock()
        self._payment_until_paid = True  # `run` asks the history first
        if start.carried is not None:
            self._state = start.carried.state
            self._deadlines = {deadline.kind: deadline for deadline in start.carried.deadlines}
            workflow.set_current_details(current_details(self._state, list(self._deadlines.values())))

    @workflow.run
    async def run(self, start: StartGrantInput) -> GrantState:
        if not workflow.patched(DEADLINE_TIMERS_PATCH):
            # A run started by the code before deadlines existed: keep its original shape (no timers).
            await workflow.wait_condition(self._finished)
            return cast("GrantState", self._state)  # the wait condition guarantees it is set
        self._payment_until_paid = workflow.patched(PAYMENT_UNTIL_PAID_PATCH)
        if start.carried is not None and workflow.patched(CARRIED_ATTRIBUTES_PATCH):
            # A continued run starts with the attributes of the run it continues, unless told otherwise: say
            # them again, so that the new run stands on its own (as its current details do). A run started by
            # hand from a grant's state, without its deadlines, arms them from now.
            self._arm_deadlines(start.carried.state)
            self._show(start.carried.state)
        while not self._finished():
            if workflow.info().is_continue_as_new_suggested():
                await self._continue_as_new(start)
            deadline = self._next_timer()
            # One durable timer per deadline: steps that leave the deadline as it was do not restart it.
            look_again = functools.partial(self._time_to_look_again, deadline)
            if deadline is None:
                await workflow.wait_condition(look_again)
                continue
            try:
                await workflow.wait_condition(
                    look_again,
                    timeout=max(deadline.timer_at - workflow.now(), timedelta(0)),
                    timeout_summary=timer_summary(deadline),
                )
            except TimeoutError:
                await self._record_missed(deadline)
        return cast("GrantState", self._state)  # _finished() guarantees it is set

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
    async def record_return(self, command: RecordReturn) -> GrantState:
        return await self._record(LedgerActivities.record_return, command)

    @record_return.validator
    def _validate_record_return(self, command: RecordReturn) -> None:
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
    async def record_major_change(self, command: RecordMajorChange) -> GrantState:
        return await self._record(LedgerActivities.record_major_change, command)

    @record_major_change.validator
    def _validate_record_major_change(self, command: RecordMajorChange) -> None:
        self.validate(command)

    @workflow.update
    async def raise_objection(self, command: RaiseObjection) -> GrantState:
        return await self._record(LedgerActivities.raise_objection, command)

    @raise_objection.validator
    def _validate_raise_objection(self, command: RaiseObjection) -> None:
        self.validate(command)

    @workflow.update
    async def resolve_objection(self, command: ResolveObjection) -> GrantState:
        return await self._record(LedgerActivities.resolve_objection, command)

    @resolve_objection.validator
    def _validate_resolve_objection(self, command: ResolveObjection) -> None:
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

    def _finished(self) -> bool:
        return self._state is not None and self._state.stage.is_final and workflow.all_handlers_finished()

    def _time_to_look_again(self, watched: ArmedDeadline | None) -> bool:
        """The grant is done, the deadline to watch changed (met, or a new one armed), or history grew long."""
        return self._finished() or self._next_timer() != watched or workflow.info().is_continue_as_new_suggested()

    def _version(self) -> int:
        return self._state.version if self._state is not None else 0

    async def _continue_as_new(self, start: StartGrantInput) -> None:
        """Start a fresh run (a short history again) with the same state, once no step is in flight."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        carried = CarriedGrant(cast("GrantState", self._state), list(self._deadlines.values()))
        workflow.logger.info("grant %s continues as new at ledger event #%d", self._grant_no, self._version())
        workflow.continue_as_new(replace(start, carried=carried))

    def _watches(self, state: GrantState, kind: DeadlineKind) -> bool:
        """Whether deadline `kind`'s obligation is open, as this run judges it (see PAYMENT_UNTIL_PAID_PATCH)."""
        if kind is DeadlineKind.PAYMENT and not self._payment_until_paid and state.stage is not Stage.DISBURSEMENT:
            return False
        return state.deadline_is_open(kind)

    def _next_timer(self) -> ArmedDeadline | None:
        """The earliest deadline still to watch: armed, its obligation open, not yet recorded as missed."""
        state = self._state
        if state is None:
            return None
        waiting = [
            deadline
            for deadline in self._deadlines.values()
            if self._watches(state, deadline.kind) and state.missed(deadline.kind) is None
        ]
        return min(waiting, key=lambda deadline: deadline.timer_at, default=None)

    def _arm_deadlines(self, state: GrantState) -> None:
        """Arm each deadline whose obligation has just begun, measured from now (workflow time)."""
        now = workflow.now()
        for kind in DeadlineKind:
            if kind in self._deadlines or not self._watches(state, kind) or state.missed(kind) is not None:
                continue
            due_at = deadlines.business_due_at(
                kind,
                self._policy,
                armed_at=now,
                publicity_ends_on=state.publicity_ends_on,
                period_end=state.application.period_end,
            )
            timer_at = deadlines.timer_due_at(due_at, self._policy, armed_at=now)
            self._deadlines[kind] = ArmedDeadline(kind, due_at, timer_at)

    def _earliest_open_due(self, state: GrantState) -> datetime | None:
        """For GrantDueAt: the earliest deadline whose obligation is open, missed or not."""
        open_dues = [d.due_at for d in self._deadlines.values() if self._watches(state, d.kind)]
        return min(open_dues, default=None)

    def _accept(self, state: GrantState) -> GrantState:
        """Keep the ledger's answer (unless a newer one came first) and show it to operators."""
        if self._state is None or state.version >= self._state.version:
            self._state = state
        self._arm_deadlines(self._state)
        self._show(self._state)
        return self._state

    def _show(self, state: GrantState) -> None:
        """The Web UI's view of the grant: its search attributes and current details."""
        workflow.upsert_search_attributes(search_attributes.updates_for(state, self._earliest_open_due(state)))
        workflow.set_current_details(current_details(state, list(self._deadlines.values())))

    async def _record_missed(self, deadline: ArmedDeadline) -> None:
        """R9: record in the ledger that `deadline` passed with its obligation open (once per deadline)."""
        async with self._one_step_at_a_time:
            state = cast("GrantState", self._state)  # a deadline is armed only once there is a state
            if not self._watches(state, deadline.kind) or state.missed(deadline.kind) is not None:
                return  # met (or recorded) while this timer was firing
            command = RecordMissedDeadline(
                grant_no=self._grant_no,
                actor=DEADLINE_ACTOR,
                command_id=f"{workflow.info().workflow_id}/deadline/{deadline.kind}",
                kind=deadline.kind,
                due_at=deadline.due_at,
            )
            try:
                self._accept(await self._execute(LedgerActivities.record_missed_deadline, command))
            except ApplicationError as refusal:
                # The ledger knows better (the step landed meanwhile): stop watching this deadline.
                workflow.logger.warning(
                    "grant %s: %s deadline not recorded: %s", self._grant_no, deadline.kind, refusal
                )
                self._deadlines.pop(deadline.kind, None)
                return
            workflow.logger.warning(
                "grant %s: %s deadline missed (due %s)", self._grant_no, deadline.kind, deadline.due_at
            )

    def validate(self, command: GrantCommand) -> None:
        """Refuse, before it enters history, a step that the rules refuse now, or whose claimed role may not take it."""
        if command.grant_no != self._grant_no:
            msg = f"grant {command.grant_no}: this step was sent to the workflow of grant {self._grant_no}"
            raise ApplicationError(msg, type="WrongGrant", non_retryable=True)
        try:
            roles.check_claimed_role(command)  # the register is the ledger's to check: a validator does no I/O
            rules.check(self._state, command, workflow.now(), fund_rules=self._fund_rules)
        except GrantError as refusal:
            raise ApplicationError(str(refusal), type=type(refusal).__name__, non_retryable=True) from None

    async def _record(self, activity: Callable[[LedgerActivities, C], GrantState], command: C) -> GrantState:
        async with self._one_step_at_a_time:
            update = workflow.current_update_info()
            command_id = f"{workflow.info().workflow_id}/{update.id if update else 'run'}"
            return self._accept(await self._execute(activity, replace(command, command_id=command_id)))

    async def _execute(self, activity: Callable[[LedgerActivities, C], GrantState], command: C) -> GrantState:
        """Run one ledger activity; a refusal by the domain comes back as a non-retryable ApplicationError."""
        try:
            return await workflow.execute_activity_method(
                activity,
                command,
                start_to_close_timeout=LEDGER_CALL_TIMEOUT,
                retry_policy=LEDGER_RETRY,
                summary=activity_summary(command),
            )
        except ActivityError as failure:
            refusal = failure.cause
            if isinstance(refusal, ApplicationError) and refusal.non_retryable:
                raise ApplicationError(refusal.message, type=refusal.type, non_retryable=True) from None
            raise
