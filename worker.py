"""The worker: the composition root that binds GrantLifecycle and the ledger activities to one Temporal client.

Run it with `grants worker` (or inside `grants up`); it stops gracefully on SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from activities.ledger_activities import LedgerActivities
from cli.rules_file import load_rules
from cli.settings import Settings
from ledger.application import GrantLedger, open_ledger
from ledger.checkpoints import CheckpointSigner, load_signing_key
from workflows.converter import DATA_CONVERTER
from workflows.grant_lifecycle import GrantLifecycle

ACTIVITY_THREADS = 8  # the ledger is synchronous: its activities run on this many threads
GRACEFUL_SHUTDOWN = timedelta(seconds=10)

log = structlog.get_logger(__name__)


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address, namespace=settings.temporal_namespace, data_converter=DATA_CONVERTER
    )


def build_worker(client: Client, ledger: GrantLedger, executor: ThreadPoolExecutor, task_queue: str) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[GrantLifecycle],
        activities=LedgerActivities(ledger).all(),
        activity_executor=executor,
        max_concurrent_activities=ACTIVITY_THREADS,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )


async def serve(settings: Settings, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
    """Run a worker until `stop` is set, then finish the activities in flight and return."""
    client = await connect(settings)
    signer = CheckpointSigner(load_signing_key(settings.signing_key_file))
    rules = load_rules(settings.rules_file)
    with (
        open_ledger(settings.ledger_url, signer, settings.checkpoint_every, fund_rules=rules.fund_rules) as ledger,
        ThreadPoolExecutor(ACTIVITY_THREADS) as executor,
    ):
        if ledger.adopt_rules(rules.funding_body, actor=f"worker ({settings.rules_file or 'default rules'})"):
            log.info("ledger.rules_adopted", funding_body=rules.funding_body, rules=str(rules.fund_rules))
        async with build_worker(client, ledger, executor, settings.task_queue):
            log.info("worker.started", task_queue=settings.task_queue, temporal=settings.temporal_address)
            if ready is not None:
                ready.set()
            await stop.wait()
            log.info("worker.stopping")
    log.info("worker.stopped")


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (call inside the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def main() -> None:
    await serve(Settings.from_env(), stop_on_signals())


if __name__ == "__main__":
    from cli.logs import configure_logging

    configure_logging()
    asyncio.run(main())
