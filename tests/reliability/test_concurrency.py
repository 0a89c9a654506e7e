"""Many grants at once on two worker processes, with payments sent to one grant concurrently; and two writers on
one ledger file racing for the same grant.

Every grant ends consistent (the ledger's total is the sum of the payments accepted; the one that would overspend is
refused by R2, nothing else is), optimistic-concurrency conflicts are retried inside the ledger and never reach an
officer, and the hash chains and signed checkpoints still verify.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from temporalio.client import Client

from audit.verify import verify_ledger
from cli.gateway import GrantGateway, GrantRefusedError
from domain.values import Money
from ledger.application import open_ledger
from ledger.checkpoints import load_signing_key
from tests.builders import REQUESTED, acknowledge, approve, disburse, notice, submit
from tests.reliability.processes import gateway, signing_key, workers
from tests.reliability.support import reconcile, terminate
from tests.workflows.support import new_grant_no, run_until

pytestmark = pytest.mark.slow
TRANCHES = 4  # payments that fit the appropriation; one more is sent with them and must be refused
TRANCHE = Money(REQUESTED.fen // TRANCHES)


async def pay_concurrently(officer: GrantGateway, grant_no: str) -> tuple[list[Money], list[str]]:
    """Send TRANCHES + 1 payments to one grant at once: the amounts accepted and the refusals' messages."""
    payments = [disburse(TRANCHE, grant_no=grant_no) for _ in range(TRANCHES + 1)]
    results = await asyncio.gather(*(officer.record(p) for p in payments), return_exceptions=True)
    accepted, refused = [], []
    for payment, result in zip(payments, results, strict=True):
        if isinstance(result, GrantRefusedError):
            refused.append(str(result))
        elif isinstance(result, BaseException):
            raise result  # anything but a business refusal reaching the officer is a failure
        else:
            accepted.append(payment.amount)
    return accepted, refused


@pytest.mark.parametrize("grants", [pytest.param(100, id="100-grants"), pytest.param(1000, marks=pytest.mark.full)])
async def test_two_worker_processes_keep_every_grant_consistent_under_concurrent_payments(
    client: Client, ledger_url: str, tmp_path: Path, grants: int
) -> None:
    address, task_queue = client.service_client.config.target_host, f"concurrency-{new_grant_no()}"
    officer = gateway(client, task_queue, ledger_url, timeout_seconds=300)
    numbers = [new_grant_no() for _ in range(grants)]
    limit = asyncio.Semaphore(200)  # officers at their desks at once: bounded so the client is not the bottleneck

    async def one_grant(grant_no: str) -> tuple[list[Money], list[str]]:
        async with limit:
            await run_until(officer, grant_no, steps=3)
            return await pay_concurrently(officer, grant_no)

    try:
        with workers(2, address, ledger_url, task_queue, tmp_path) as started:
            outcomes = await asyncio.wait_for(asyncio.gather(*map(one_grant, numbers)), timeout=grants * 2 + 60)
            logs = [worker.log() for worker in started]

        with open_ledger(ledger_url) as ledger:
            for grant_no, (accepted, refused) in zip(numbers, outcomes, strict=True):
                assert ledger.state(grant_no).disbursed == Money(sum(a.fen for a in accepted)) == REQUESTED
                assert len(refused) == 1, refused
                assert "R2 amounts" in refused[0], refused[0]
            checked = await reconcile(client, ledger, numbers)
            verified = verify_ledger(ledger, load_signing_key(signing_key(tmp_path)).public_key())
    finally:
        await terminate(client, numbers)
    assert checked.agrees, checked
    assert verified.ok, verified.problems
    shares = [log.count("ledger.recorded") for log in logs]
    assert all(shares), f"both worker processes recorded steps: {shares}"
    print(  # noqa: T201 - the figure RELIABILITY.md quotes
        f"\nconcurrency: {grants} grants on 2 worker processes (steps recorded {shares}), "
        f"{grants * (TRANCHES + 1)} concurrent payments, {grants} refused by R2 and nothing else; "
        f"{checked.events_checked} events reconciled, duplicates {len(checked.duplicates)}, "
        f"missing {len(checked.missing)}; {verified.records} records and {verified.checkpoints} checkpoints verified"
    )


def test_two_writers_racing_for_one_grant_both_land_through_internal_conflict_retries(ledger_url: str) -> None:
    """Two ledgers on one file (as two worker processes have) pay the same grant at once: no conflict escapes."""
    grant_no, per_writer = new_grant_no(), 10
    small = Money(REQUESTED.fen // (2 * per_writer))
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer() -> None:
        with open_ledger(ledger_url) as ledger:
            start.wait()
            for _ in range(per_writer):
                try:
                    ledger.execute(disburse(small, grant_no=grant_no))
                except BaseException as error:  # noqa: BLE001 - collected for the assertion below
                    errors.append(error)

    with open_ledger(ledger_url) as ledger:
        for command in (submit(grant_no), approve(grant_no=grant_no), notice(grant_no=grant_no)):
            ledger.execute(command)
        ledger.execute(acknowledge(grant_no=grant_no))
    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, [f"{type(e).__name__}: {e}" for e in errors]
    with open_ledger(ledger_url) as ledger:
        assert ledger.state(grant_no).disbursed == Money(small.fen * 2 * per_writer)
        names = [event.name for event in ledger.history(grant_no)]
    assert names.count("DisbursementRecorded") == 2 * per_writer


def test_the_ledger_file_runs_in_wal_mode(ledger_url: str) -> None:
    """Readers never wait for the writer (WAL); writers wait for each other up to the busy timeout."""
    with open_ledger(ledger_url) as ledger:
        ledger.execute(submit(new_grant_no()))
    with sqlite3.connect(str(make_url(ledger_url).database)) as reader:
        (mode,) = reader.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"
