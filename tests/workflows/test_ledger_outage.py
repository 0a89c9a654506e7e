"""The ledger's database goes away: the step waits, `grants stuck` shows why, and it completes by itself on return."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from click.testing import CliRunner
from temporalio.client import Client

from cli.operations import StuckGrant, find_stuck, now_utc, stuck
from cli.settings import Settings
from domain.deadlines import DeadlinePolicy
from ledger.application import GrantLedger
from ledger.schema import ensure_postgres_schema
from ledger.settings import persistence_env
from tests.builders import HALF, disburse
from tests.workflows.private_postgres import PrivatePostgres, private_postgres
from tests.workflows.support import eventually, gateway_for, new_grant_no, run_until

pytestmark = pytest.mark.slow
UI_URL = "http://ui.test/namespaces/default/workflows"


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as cluster:
        yield cluster


@contextmanager
def ledger_that_gives_up_quickly(url: str) -> Iterator[GrantLedger]:
    """The ledger on `url`, waiting 1 s (not 10 s) for a connection, so that a failed attempt comes back fast."""
    ensure_postgres_schema(url)
    ledger = GrantLedger(env={**persistence_env(url), "POSTGRES_CONNECT_TIMEOUT": "1"})
    try:
        yield ledger
    finally:
        ledger.close()


def stuck_json(client: Client, settings: Settings) -> list[dict[str, object]]:
    """`grants stuck --format json`, as an operator runs it."""
    result = CliRunner().invoke(stuck, ["--format", "json"], obj=settings, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))


async def test_a_step_waits_out_a_database_outage_visibly_and_records_one_event(
    client: Client, postgres: PrivatePostgres
) -> None:
    grant_no = new_grant_no()
    with ledger_that_gives_up_quickly(postgres.url) as ledger:
        async with gateway_for(client, ledger, postgres.url, DeadlinePolicy(), timeout_seconds=180) as gateway:
            await run_until(gateway, grant_no, steps=3)
            postgres.stop()
            outage_began = now_utc()
            payment = asyncio.create_task(gateway.record(disburse(HALF, grant_no=grant_no)))

            async def failing() -> list[StuckGrant]:
                found = await find_stuck(client, UI_URL, timedelta(0), now_utc())
                return [s for s in found if s.grant_no == grant_no and s.last_failure]

            (reported,) = await eventually(failing, within=60, what="the failing ledger step in `grants stuck`")
            assert reported.problem == "ledger step failing: record_disbursement"
            assert reported.stage == "disbursement"
            assert reported.attempts >= 2
            assert outage_began - timedelta(seconds=5) < reported.since <= now_utc(), "since the step was sent"
            assert "couldn't get a connection" in (reported.last_failure or ""), reported.last_failure
            assert not payment.done(), "the officer's step waits for the ledger"

            address = client.service_client.config.target_host
            settings = Settings.from_env({"GRANTS_TEMPORAL_ADDRESS": address, "GRANTS_DATA_DIR": "unused"})
            listed = await asyncio.to_thread(stuck_json, client, settings)
            assert any(entry["grant_no"] == grant_no and entry["last_failure"] for entry in listed), listed

            postgres.start()
            state = await asyncio.wait_for(payment, timeout=120)
            assert state.disbursed == HALF
            names = [event.name for event in ledger.history(grant_no)]
            assert names.count("DisbursementRecorded") == 1, names
            found = await find_stuck(client, UI_URL, timedelta(0), now_utc())
            assert not [s for s in found if s.grant_no == grant_no]
