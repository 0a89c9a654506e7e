"""Driving grants through faults the way a careful client would, and reconciling the ledger with Temporal's histories.

A careful client resends a step that got no answer with the *same* update id, so that Temporal returns the first
attempt's outcome; the ledger then holds one event per completed update, which `reconcile` checks grant by grant.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from cli.gateway import GrantGateway, WorkerUnavailableError
from domain.commands import GrantCommand, SubmitApplication
from domain.state import GrantState
from ledger.application import GrantLedger
from workflows.grant_lifecycle import workflow_id_for

# What a lost connection or a server restart looks like to a client: worth resending, unlike a refusal.
TRANSIENT = (RPCError, RuntimeError, WorkerUnavailableError, WorkflowUpdateRPCTimeoutOrCancelledError)


@dataclass
class Resends:
    """How many steps had to be resent (faults the clients saw)."""

    count: int = 0


async def send_until_answered(
    officer: GrantGateway, command: GrantCommand, update_id: str, within: float = 180, resends: Resends | None = None
) -> GrantState:
    """Send `command` as update `update_id`, resending the same update after transient failures."""
    deadline = time.monotonic() + within
    while True:
        try:
            if isinstance(command, SubmitApplication):
                return await officer.submit(command, update_id=update_id)
            return await officer.record(command, update_id=update_id)
        except TRANSIENT:
            if time.monotonic() > deadline:
                raise
            if resends is not None:
                resends.count += 1
            await asyncio.sleep(0.5)


async def terminate(client: Client, grant_numbers: list[str]) -> None:
    """End the grants a test leaves open, so that later tests' `grants stuck` does not query workflows whose
    worker is gone (each such query waits out its timeout)."""
    for grant_no in grant_numbers:
        with suppress(RPCError):  # already closed, or never started
            await client.get_workflow_handle(workflow_id_for(grant_no)).terminate("test over")


@dataclass
class Reconciliation:
    """The ledger against the workflow histories, over some grants."""

    grants: int = 0
    events_checked: int = 0
    updates_checked: int = 0
    duplicates: list[str] = field(default_factory=list)  # command ids recorded more than once
    missing: list[str] = field(default_factory=list)  # completed updates without their ledger event
    unexplained: list[str] = field(default_factory=list)  # ledger events no completed update asked for

    @property
    def agrees(self) -> bool:
        return not (self.duplicates or self.missing or self.unexplained)


async def completed_command_ids(client: Client, grant_no: str) -> list[str]:
    """The command id (`<workflow id>/<update id>`) of every update that completed successfully in the history."""
    workflow_id = workflow_id_for(grant_no)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return [
        f"{workflow_id}/{event.workflow_execution_update_completed_event_attributes.meta.update_id}"
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
        and event.workflow_execution_update_completed_event_attributes.outcome.HasField("success")
    ]


async def reconcile(client: Client, ledger: GrantLedger, grant_numbers: list[str]) -> Reconciliation:
    """Each completed update has exactly one ledger event with its command id, and each event has its update."""
    result = Reconciliation()
    for grant_no in grant_numbers:
        recorded = Counter(
            event.fields["command_id"]
            for event in await asyncio.to_thread(ledger.history, grant_no)
            if "/deadline/" not in event.fields["command_id"]  # recorded by the workflow's timers, not by updates
        )
        completed = set(await completed_command_ids(client, grant_no))
        result.grants += 1
        result.events_checked += sum(recorded.values())
        result.updates_checked += len(completed)
        result.duplicates += [command_id for command_id, times in recorded.items() if times > 1]
        result.missing += sorted(completed - recorded.keys())
        result.unexplained += sorted(recorded.keys() - completed)
    return result
