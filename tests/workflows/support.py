"""Helpers shared by the workflow tests: fresh grant numbers, sending commands, waiting for what the UI shows."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowExecutionDescription

from cli.gateway import GrantGateway
from domain.commands import GrantCommand, SubmitApplication
from domain.deadlines import DeadlinePolicy
from domain.state import GrantState
from ledger.application import GrantLedger
from tests.builders import lifecycle, submit
from worker import ACTIVITY_THREADS, build_worker
from workflows.grant_lifecycle import workflow_id_for

T = TypeVar("T")


@asynccontextmanager
async def gateway_for(
    client: Client, ledger: GrantLedger, ledger_url: str, policy: DeadlinePolicy, timeout_seconds: float = 20
) -> AsyncIterator[GrantGateway]:
    """A gateway whose new grants start with `policy`, served by a worker of its own on `ledger`."""
    task_queue = f"test-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(ACTIVITY_THREADS) as executor:
        async with build_worker(client, ledger, executor, task_queue):
            yield GrantGateway(client, task_queue, ledger_url, timeout_seconds=timeout_seconds, policy=policy)


def new_grant_no() -> str:
    return f"T-{uuid.uuid4().hex[:10]}"


async def send(gateway: GrantGateway, command: GrantCommand) -> GrantState:
    if isinstance(command, SubmitApplication):
        return await gateway.submit(command)
    return await gateway.record(command)


async def run_until(
    gateway: GrantGateway, grant_no: str, steps: int | None = None, application: SubmitApplication | None = None
) -> GrantState:
    """Apply, then send the first `steps` steps of the lifecycle (all of them by default)."""
    state = await gateway.submit(application or submit(grant_no))
    for command in lifecycle(grant_no)[:steps]:
        state = await send(gateway, command)
    return state


async def eventually(check: Callable[[], Awaitable[T | None]], within: float = 30, what: str = "condition") -> T:
    """Poll `check` until it returns a truthy value, or fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            msg = f"timed out after {within:.0f} s waiting for {what}"
            raise AssertionError(msg)
        await asyncio.sleep(0.2)


async def describe(client: Client, grant_no: str) -> WorkflowExecutionDescription:
    return await client.get_workflow_handle(workflow_id_for(grant_no)).describe()


async def current_details(client: Client, grant_no: str) -> str:
    """The Markdown the Web UI shows as the workflow's current details."""
    handle = client.get_workflow_handle(workflow_id_for(grant_no))
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return metadata.current_details
