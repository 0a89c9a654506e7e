"""Record the histories of the current `GrantLifecycle`, one per lifecycle shape, for the replay test.

Run it after a deliberate workflow change (and add a `workflow.patched()` for running grants):

    .venv/bin/python -m tests.workflows.record_histories

It starts a throwaway dev server and ledger, runs each shape, and writes
`tests/workflows/histories/<shape>.json`. The `v1-*` files were recorded by the code before deadlines
existed and are never re-recorded: they prove that runs started then still replay.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from cli.gateway import GrantGateway
from domain.deadlines import DeadlinePolicy
from domain.values import Money
from ledger.application import GrantLedger, open_ledger
from tests.builders import HALF, disburse, lifecycle, reject, submit
from tests.workflows.support import eventually, gateway_for
from workflows import search_attributes
from workflows.converter import DATA_CONVERTER
from workflows.grant_lifecycle import workflow_id_for

HISTORIES = Path(__file__).parent / "histories"
BIN = Path(sys.executable).parent
# Seconds instead of days, so that the overdue shape takes seconds to record.
POLICY = DeadlinePolicy(payment_due_seconds=1, backfill_grace_seconds=3600)


async def full(gateway: GrantGateway, grant_no: str, _: GrantLedger) -> None:
    await gateway.submit(submit(grant_no))
    for command in lifecycle(grant_no):
        await gateway.record(command)


async def rejected(gateway: GrantGateway, grant_no: str, _: GrantLedger) -> None:
    await gateway.submit(submit(grant_no))
    await gateway.record(reject(grant_no=grant_no))


async def overdue(gateway: GrantGateway, grant_no: str, ledger: GrantLedger) -> None:
    """Payment deadline missed, then paid in full (clearing it), then on to closing."""
    await gateway.submit(submit(grant_no))
    steps = lifecycle(grant_no)
    for command in steps[:3]:
        await gateway.record(command)

    async def missed() -> bool:
        return bool(ledger.state(grant_no).missed_deadlines)

    await eventually(missed, what="the payment deadline to be missed")
    await gateway.record(disburse(HALF, grant_no=grant_no))
    await gateway.record(disburse(Money(HALF.fen), grant_no=grant_no))
    for command in steps[5:]:
        await gateway.record(command)


SHAPES: dict[str, Callable[[GrantGateway, str, GrantLedger], Awaitable[None]]] = {
    "full": full,
    "rejected": rejected,
    "overdue": overdue,
}


async def record(directory: Path = HISTORIES) -> list[Path]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=list(search_attributes.ALL),
        dev_server_log_level="error",
    )
    written = []
    async with env:
        with tempfile.TemporaryDirectory() as scratch:
            url = f"sqlite:///{scratch}/ledger.sqlite"
            with open_ledger(url) as ledger:
                async with gateway_for(env.client, ledger, url, POLICY) as gateway:
                    for shape, play in SHAPES.items():
                        grant_no = f"REC-{shape}"
                        await play(gateway, grant_no, ledger)
                        history = await env.client.get_workflow_handle(workflow_id_for(grant_no)).fetch_history()
                        path = directory / f"{shape}.json"
                        path.write_text(history.to_json())
                        written.append(path)
    return written


if __name__ == "__main__":
    for path in asyncio.run(record()):
        print(f"recorded {path}")  # noqa: T201 - a script's output
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: Temporal's Rust threads can abort it (see cli.main.main)
