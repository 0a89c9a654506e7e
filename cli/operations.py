"""`grants stuck`: the grants an operator must look at, overdue or waiting on a failing ledger step.

Built on Temporal's visibility (`list_workflows` filtered by the grant search attributes) and on each
running grant's description (its pending activities, their attempts and last failure). The same questions
can be asked in the Web UI's filter box; the README lists the queries.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from temporalio.client import Client, WorkflowExecution, WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError

from cli.errors import SYSTEM_FAILURE
from cli.settings import Settings
from domain.deadlines import DeadlineKind
from domain.state import GrantState
from worker import connect
from workflows.grant_lifecycle import GrantLifecycle
from workflows.operator_view import local_time
from workflows.search_attributes import GRANT_DUE_AT, GRANT_OVERDUE, GRANT_STAGE

RUNNING_GRANTS = 'WorkflowType = "GrantLifecycle" AND ExecutionStatus = "Running"'
DESCRIBE_CONCURRENCY = 8  # describe calls in flight at once: gentle on the frontend
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class StuckGrant:
    grant_no: str
    workflow_id: str
    stage: str
    problem: str
    who_must_act: str
    since: datetime
    last_failure: str | None
    attempts: int
    web_ui: str

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "since": self.since.isoformat()}


class DurationType(click.ParamType[timedelta, Any]):
    """`30s`, `15m`, `2h`, `2d`."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:  # noqa: ANN401
        if isinstance(value, timedelta):
            return value
        match = DURATION.match(str(value))
        if match is None:
            self.fail(f"{value!r} is not a duration; write it like 30s, 15m, 2h or 2d", param, ctx)
        return timedelta(**{UNITS[match.group(2)]: float(match.group(1))})


async def find_stuck(client: Client, ui_url: str, older_than: timedelta, now: datetime) -> list[StuckGrant]:
    """Every running grant that is overdue or waits on a failing ledger step, stuck for at least `older_than`."""
    running = [execution async for execution in client.list_workflows(RUNNING_GRANTS)]
    limit = asyncio.Semaphore(DESCRIBE_CONCURRENCY)

    async def inspect(execution: WorkflowExecution) -> list[StuckGrant]:
        async with limit:
            return await inspect_grant(client, execution, ui_url)

    found = [stuck for stucks in await asyncio.gather(*map(inspect, running)) for stuck in stucks]
    return sorted((s for s in found if now - s.since >= older_than), key=lambda stuck: stuck.since)


async def inspect_grant(client: Client, execution: WorkflowExecution, ui_url: str) -> list[StuckGrant]:
    """What is stuck about one running grant (nothing, for most)."""
    handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
    attributes = execution.typed_search_attributes
    description = await handle.describe()
    failing = [
        pending
        for pending in description.raw_description.pending_activities
        if pending.attempt > 1 or pending.HasField("last_failure")  # a first attempt still running is not stuck
    ]
    if not failing and not attributes.get(GRANT_OVERDUE):
        return []  # asked no worker: a grant waiting normally costs no status query (10 s each when none answers)
    state = await _status(handle)
    grant_no = state.grant_no if state else execution.id.removeprefix("grant-")
    who = state.next_step().who if state else "unknown (no worker answered the status query)"
    stage = str(state.stage) if state else attributes.get(GRANT_STAGE) or "?"

    def stuck(
        problem: str, since: datetime, last_failure: str | None = None, attempts: int = 0, owner: str = who
    ) -> StuckGrant:
        return StuckGrant(
            grant_no, execution.id, stage, problem, owner, since, last_failure, attempts, f"{ui_url}/{execution.id}"
        )

    found: list[StuckGrant] = []
    if attributes.get(GRANT_OVERDUE):
        overdue = state.overdue() if state else []
        found += [
            stuck(
                f"overdue: {missed.kind.obligation} ({DeadlineKind(missed.kind)} deadline missed)",
                missed.due_at,
                owner=DeadlineKind(missed.kind).owner,  # paying is the finance office's, whatever the stage
            )
            for missed in overdue
        ]
        if not overdue:
            found.append(stuck("overdue", attributes.get(GRANT_DUE_AT) or execution.start_time))
    for pending in failing:
        since = await _first_scheduled(handle, pending.activity_id) or execution.start_time
        failure = pending.last_failure.message if pending.HasField("last_failure") else None
        found.append(
            stuck(f"ledger step failing: {pending.activity_type.name}", since, failure, attempts=pending.attempt)
        )
    return found


async def _first_scheduled(handle: WorkflowHandle[Any, Any], activity_id: str) -> datetime | None:
    """When the step was first scheduled: a pending activity only tells when its *next* attempt is."""
    async for event in handle.fetch_history_events():
        scheduled = event.activity_task_scheduled_event_attributes
        if event.HasField("activity_task_scheduled_event_attributes") and scheduled.activity_id == activity_id:
            return event.event_time.ToDatetime(tzinfo=UTC)
    return None


async def _status(handle: WorkflowHandle[Any, Any]) -> GrantState | None:
    try:
        state: GrantState | None = await asyncio.wait_for(handle.query(GrantLifecycle.status), timeout=10)
    except (RPCError, TimeoutError, WorkflowQueryFailedError):
        return None  # no worker answered: report what visibility knows
    return state


def now_utc() -> datetime:
    return datetime.now(UTC)


def ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def stuck_text(stucks: list[StuckGrant], now: datetime) -> str:
    if not stucks:
        return "no stuck grants"
    blocks = []
    for stuck in stucks:
        lines = [
            f"{stuck.grant_no}  stage {stuck.stage}  {stuck.problem}",
            f"  since {local_time(stuck.since)} (Asia/Shanghai, {ago(now - stuck.since)} ago)",
            f"  who must act: {stuck.who_must_act}",
        ]
        if stuck.last_failure:
            lines.append(f"  last failure (attempt {stuck.attempts}): {stuck.last_failure}")
        lines.append(f"  {stuck.web_ui}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + f"\n{len(stucks)} stuck grant(s)"


@click.command()
@click.option(
    "--older-than",
    type=DurationType(),
    default="0s",
    show_default=True,
    help="Only grants stuck for at least this long (30s, 15m, 2h, 2d).",
)
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def stuck(ctx: click.Context, older_than: timedelta, output: str) -> None:
    """Grants overdue or waiting on a failing ledger step: stage, who must act, since when, last failure, link."""
    settings: Settings = ctx.find_object(Settings)  # type: ignore[assignment]

    async def find() -> list[StuckGrant]:
        return await find_stuck(await connect(settings), settings.ui_url, older_than, now_utc())

    try:
        stucks = asyncio.run(find())
    except RuntimeError as error:
        click.echo(
            f"error: cannot reach Temporal ({error}). Fix: start the local stack with `grants up`, "
            "or point GRANTS_TEMPORAL_ADDRESS at your Temporal server",
            err=True,
        )
        raise SystemExit(SYSTEM_FAILURE) from None
    if output == "json":
        click.echo(json.dumps([s.as_json() for s in stucks], ensure_ascii=False, indent=2))
    else:
        click.echo(stuck_text(stucks, now_utc()))
