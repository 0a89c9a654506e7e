"""Reconciliation (R10): does the process record (Temporal's workflow histories) agree with the book of record?

For every grant it reads the history of workflow `grant-<grant number>`, following its continue-as-new chain
back to the first run, and pairs each ledger step it finds (an activity stamped with a command id: an officer's
Update, or a deadline the workflow recorded as missed) with the ledger's event of the same command id:

- a step the workflow completed whose event the ledger lacks is a **missing event**;
- a ledger event that no workflow step wrote (written behind the workflow's back) is an **event without a step**;
- a step still in flight whose event the ledger already holds, after a grace, is a **workflow stuck** after it;
- a workflow that ended (failed, terminated, ...) or is gone while the ledger shows the grant open.

The ledger is the system of record: a closed or rejected grant whose history Temporal's retention has already
removed is reported as such, not as a difference; so is a grant imported from elsewhere, which never ran here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.clock import SHANGHAI
from domain.state import GrantState
from ledger.application import GrantLedger, RecordedEvent
from workflows.grant_lifecycle import workflow_id_for

CONSISTENT = "consistent"
DIFFERENT = "differences"
NOT_KEPT = "history no longer kept"
IMPORTED = "imported"
# A step may be caught between the ledger's write and the workflow's taking the result. An activity whose worker
# died after the write is retried after its 60 s timeout and answers at once (idempotent): after this, it is stuck.
IN_FLIGHT_GRACE = timedelta(minutes=2)
CONCURRENT_FETCHES = 8  # histories fetched at once: a province-year of grants without swamping the frontend
IMPORT_PREFIX = "import:"


@dataclass(frozen=True)
class WorkflowStep:
    """One ledger step in the workflow's history: the activity that records it, and how far it got."""

    command_id: str
    name: str  # the update's name, or the activity's for a step the workflow took itself (a missed deadline)
    started_at: datetime
    completed: bool = False
    version: int | None = None  # the grant's version the ledger answered with


@dataclass(frozen=True)
class ProcessRecord:
    """What Temporal still holds of one grant's workflow: its runs (oldest first), status and steps."""

    runs: list[str]
    status: str  # "running", "completed", "terminated", ...
    steps: list[WorkflowStep]


@dataclass(frozen=True)
class GrantReconciliation:
    grant_no: str
    outcome: str  # CONSISTENT, DIFFERENT, NOT_KEPT or IMPORTED
    events: int
    steps: int
    runs: int
    differences: list[str] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if self.outcome == DIFFERENT:
            return "\n".join(
                [f"{self.grant_no}  {len(self.differences)} difference(s):", *(f"  - {d}" for d in self.differences)]
            )
        if self.outcome == CONSISTENT:
            return (
                f"{self.grant_no}  consistent: {self.events} ledger event(s), {self.steps} workflow step(s) "
                f"in {self.runs} run(s)"
            )
        return f"{self.grant_no}  {self.outcome}: {self.note}"


async def reconcile(
    client: Client,
    ledger: GrantLedger,
    fiscal_year: int | None = None,
    now: datetime | None = None,
) -> list[GrantReconciliation]:
    """Every grant of the ledger (of `fiscal_year`, if given) against its workflow history, by grant number."""
    at = now or datetime.now(UTC)
    grants = []
    for grant_no in sorted(ledger.grant_numbers()):
        state = ledger.state(grant_no)
        if fiscal_year is None or state.application.fiscal_year == fiscal_year:
            grants.append((grant_no, state, ledger.history(grant_no)))
    fetching = asyncio.Semaphore(CONCURRENT_FETCHES)

    async def one(grant_no: str, state: GrantState, events: list[RecordedEvent]) -> GrantReconciliation:
        async with fetching:
            record = await process_record(client, grant_no)
        return compare(grant_no, str(state.stage), events, record, at, final=state.stage.is_final)

    return list(await asyncio.gather(*(one(*grant) for grant in grants)))


async def process_record(client: Client, grant_no: str) -> ProcessRecord | None:
    """The workflow's steps across its continue-as-new chain; None when Temporal holds no such workflow."""
    workflow_id = workflow_id_for(grant_no)
    try:
        latest = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return None
        raise
    runs: list[str] = []
    steps: list[WorkflowStep] = []
    run_id: str | None = latest.run_id
    while run_id:  # back from the latest run to the first, each started by its predecessor's continue-as-new
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs.insert(0, run_id)
        steps[:0] = _steps(client, history.events)
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id or None
    status = latest.status.name.lower() if latest.status else "unknown"
    return ProcessRecord(runs=runs, status=status, steps=steps)


def _steps(client: Client, events: Sequence[HistoryEvent]) -> list[WorkflowStep]:
    """The ledger steps of one run: each activity's command id and result, named by the update that asked.

    A step an update asked for is complete only once the update is: a workflow that took the ledger's answer
    but never finished the update (its workflow task failing, say) is stuck too.
    """
    converter = client.data_converter.payload_converter
    updates: dict[str, str] = {}  # update id -> update name
    finished_updates: set[str] = set()
    scheduled: dict[int, WorkflowStep] = {}  # by the scheduling event's id
    for event in events:
        match event.event_type:
            case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                request = event.workflow_execution_update_accepted_event_attributes.accepted_request
                updates[request.meta.update_id] = request.input.name
            case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
                finished_updates.add(event.workflow_execution_update_completed_event_attributes.meta.update_id)
            case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attributes = event.activity_task_scheduled_event_attributes
                command = converter.from_payloads(attributes.input.payloads)[0]
                command_id = str(command.get("command_id", ""))
                scheduled[event.event_id] = WorkflowStep(
                    command_id=command_id,
                    name=updates.get(_update_id(command_id), attributes.activity_type.name),
                    started_at=event.event_time.ToDatetime(tzinfo=UTC),
                )
            case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                attributes_done = event.activity_task_completed_event_attributes
                step = scheduled[attributes_done.scheduled_event_id]
                result = converter.from_payloads(attributes_done.result.payloads)[0]
                scheduled[attributes_done.scheduled_event_id] = WorkflowStep(
                    step.command_id, step.name, step.started_at, completed=True, version=int(result["version"])
                )
            case (
                EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
                | EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT
                | EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED
            ):
                # Refused by the ledger (non-retryable) or given up: nothing was recorded, nothing is expected.
                scheduled.pop(_scheduled_event_id(event), None)
    unfinished = set(updates) - finished_updates
    return [
        replace(step, completed=False) if _update_id(step.command_id) in unfinished else step
        for step in scheduled.values()
    ]


def _update_id(command_id: str) -> str:
    """The update a step's command id names (`grant-<no>/<update id>`; a deadline's names its kind instead)."""
    return command_id.rpartition("/")[2]


def _scheduled_event_id(event: HistoryEvent) -> int:
    for attributes in (
        event.activity_task_failed_event_attributes,
        event.activity_task_timed_out_event_attributes,
        event.activity_task_canceled_event_attributes,
    ):
        if attributes.scheduled_event_id:
            return attributes.scheduled_event_id
    return 0


def compare(  # noqa: PLR0913 - one grant's two records and what is needed to judge them
    grant_no: str,
    stage: str,
    events: list[RecordedEvent],
    record: ProcessRecord | None,
    now: datetime,
    *,
    final: bool,
) -> GrantReconciliation:
    """One grant's ledger events against its workflow's steps (None: Temporal no longer holds the workflow)."""
    if all(str(event.fields.get("command_id", "")).startswith(IMPORT_PREFIX) for event in events):
        note = "its history was imported from elsewhere (grants import-history); it never ran as a workflow here"
        return GrantReconciliation(grant_no, IMPORTED, len(events), 0, 0, note=note)
    if record is None:
        if final:
            note = (
                f"Temporal no longer keeps the closed workflow {workflow_id_for(grant_no)} (its retention period has "
                f"passed); the ledger, the system of record, holds the grant's {len(events)} event(s), {stage}"
            )
            return GrantReconciliation(grant_no, NOT_KEPT, len(events), 0, 0, note=note)
        missing = (
            f"no workflow {workflow_id_for(grant_no)} in Temporal, though the ledger shows the grant open ({stage})"
        )
        return GrantReconciliation(grant_no, DIFFERENT, len(events), 0, 0, differences=[missing])
    differences = _differences(events, record, now)
    if not final and record.status != "running":
        differences.append(
            f"the workflow ended ({record.status}) while the ledger shows the grant still open ({stage})"
        )
    outcome = DIFFERENT if differences else CONSISTENT
    return GrantReconciliation(
        grant_no, outcome, len(events), len(record.steps), len(record.runs), differences=differences
    )


def _differences(events: list[RecordedEvent], record: ProcessRecord, now: datetime) -> list[str]:
    by_command = {str(event.fields.get("command_id", "")): event for event in events}
    steps = {step.command_id: step for step in record.steps}
    found = []
    for event in events:
        command_id = str(event.fields.get("command_id", ""))
        step = steps.get(command_id)
        if step is None:
            found.append(
                f"event #{event.version} {event.name} (command id {command_id or '-'!r}, "
                f"recorded {_shown(event.recorded_at)}) was written by no workflow step"
            )
        elif step.completed and step.version != event.version:
            found.append(
                f"event #{event.version} {event.name}: the workflow's step {step.name} was told event #{step.version}"
            )
    for step in record.steps:
        written = by_command.get(step.command_id)
        if written is None and step.completed:
            found.append(
                f"the workflow's step {step.name} (command id {step.command_id!r}, {_shown(step.started_at)}) completed"
                f" with event #{step.version}, but the ledger has no event of that command"
            )
        elif written is not None and not step.completed and now - step.started_at > IN_FLIGHT_GRACE:
            found.append(
                f"the workflow is stuck after event #{written.version} {written.name} was written: "
                f"its step {step.name} (command id {step.command_id!r}) has not completed "
                f"since {_shown(step.started_at)}"
            )
    return found


def _shown(at: datetime) -> str:
    return f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"


def summary_line(results: list[GrantReconciliation]) -> str:
    counts = {outcome: sum(r.outcome == outcome for r in results) for outcome in (DIFFERENT, NOT_KEPT, IMPORTED)}
    return (
        f"reconciled {len(results)} grant(s): {counts[DIFFERENT]} with differences, "
        f"{counts[NOT_KEPT]} whose closed history Temporal no longer keeps, {counts[IMPORTED]} imported"
    )
