"""Scale-out: three worker processes on one task queue share the grants; one is killed midway; nothing is lost.

Real parts: the session's Temporal dev server, the machine's PostgreSQL (the ledger set up by `grants ledger init`,
the workers connected as its append-only role), and `grants worker` processes as an operator starts them.
`make test` runs 30 grants and kills a worker between two waves of steps, while the grants' workflows are cached
on it (their next tasks must move to the survivors); `make test-reliability` runs 500 grants and kills it under
load, with activities in flight (Temporal retries those after their 60 s start-to-close timeout).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from cli.gateway import GrantGateway
from ledger.application import open_ledger
from tests.builders import LIFECYCLE_EVENTS, lifecycle, submit
from tests.ledger.postgres import skip_without_postgres
from tests.ledger.roles_support import RoleLedger, role_ledger
from tests.worker.processes import worker_env, worker_processes
from tests.workflows.support import describe, new_grant_no, send

skip_without_postgres()
pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WORKERS = 3
CONCURRENT_GRANTS = 10  # grants in flight at once from the test's officers
HALFWAY = 5  # steps of the lifecycle in the first wave (approve ... the first tranche)


@pytest.fixture
def ledger() -> Iterator[RoleLedger]:
    with role_ledger() as ledger:
        yield ledger


async def scale_out(
    temporal: WorkflowEnvironment, ledger: RoleLedger, directory: Path, grants: int, *, kill_under_load: bool
) -> None:
    env = worker_env(temporal, ledger.app_url, f"scale-{uuid.uuid4().hex[:8]}", directory)
    gateway = GrantGateway(temporal.client, env["GRANTS_TASK_QUEUE"], ledger.app_url, timeout_seconds=150)
    numbers = [new_grant_no() for _ in range(grants)]
    steps = {grant_no: lifecycle(grant_no) for grant_no in numbers}
    slots = asyncio.Semaphore(CONCURRENT_GRANTS)
    with worker_processes(env, directory, count=WORKERS) as workers:
        victim, survivors = workers[0], workers[1:]
        halfway_done = 0
        killed = asyncio.Event()
        at_kill: dict[str, int] = {}

        def kill() -> None:
            at_kill.update({worker.name: worker.recorded() for worker in workers})
            victim.kill()
            killed.set()

        async def first_wave(grant_no: str) -> None:
            nonlocal halfway_done
            async with slots:
                await gateway.submit(submit(grant_no))
                for command in steps[grant_no][:HALFWAY]:
                    await send(gateway, command)
            halfway_done += 1
            if kill_under_load and halfway_done == grants // 2:
                kill()

        async def second_wave(grant_no: str) -> None:
            async with slots:
                for command in steps[grant_no][HALFWAY:]:
                    await send(gateway, command)

        started = time.monotonic()
        await asyncio.gather(*(first_wave(grant_no) for grant_no in numbers))
        if not killed.is_set():
            kill()
        await asyncio.gather(*(second_wave(grant_no) for grant_no in numbers))
        elapsed = time.monotonic() - started

        recorded = {worker.name: worker.recorded() for worker in workers}

    await assert_each_completed_once(temporal, ledger, numbers)
    assert victim.process.returncode == -9
    assert at_kill[victim.name] > 0, "the killed worker had done its share before it died"
    after_kill = {survivor.name: recorded[survivor.name] - at_kill[survivor.name] for survivor in survivors}
    for name, steps_taken in after_kill.items():  # each survivor took a fair part of what was left
        assert steps_taken >= sum(after_kill.values()) // 10, f"{name} took little of the work: {after_kill}"
    assert sum(recorded.values()) >= grants * len(LIFECYCLE_EVENTS)  # a retried step may log twice, never write twice
    print(f"{grants} grants, {WORKERS} workers, one killed: {elapsed:.1f} s; steps recorded {recorded}")  # noqa: T201


async def assert_each_completed_once(temporal: WorkflowEnvironment, ledger: RoleLedger, numbers: list[str]) -> None:
    """Every grant's workflow completed, and its ledger holds each step exactly once."""
    for grant_no in numbers:
        assert (await describe(temporal.client, grant_no)).status == WorkflowExecutionStatus.COMPLETED, grant_no
    with open_ledger(ledger.app_url) as book:
        for grant_no in numbers:
            assert tuple(event.name for event in book.history(grant_no)) == LIFECYCLE_EVENTS, grant_no


async def test_three_workers_share_the_grants_and_survive_losing_one(
    temporal: WorkflowEnvironment, ledger: RoleLedger, tmp_path: Path
) -> None:
    await scale_out(temporal, ledger, tmp_path, grants=30, kill_under_load=False)


@pytest.mark.full
@pytest.mark.timeout(1800)
async def test_five_hundred_grants_on_three_workers_one_killed_under_load(
    temporal: WorkflowEnvironment, ledger: RoleLedger, tmp_path: Path
) -> None:
    await scale_out(temporal, ledger, tmp_path, grants=500, kill_under_load=True)
