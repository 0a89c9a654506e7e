"""Record the histories of the current `GrantLifecycle`, one per lifecycle shape, for the replay test.

Run it after a deliberate workflow change (and add a `workflow.patched()` for running grants):

    .venv/bin/python -m tests.workflows.record_histories [SHAPE ...]

It starts a throwaway dev server and ledger, runs each shape (all by default), and writes
`tests/workflows/histories/<shape>.json`; a shape that continues as new writes each earlier run as
`<shape>-run-<n>.json` too. The `v1-*` and `v2-*` files were recorded by earlier code and are never re-recorded:
they prove that runs started then still replay.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from cli.gateway import GrantGateway
from domain.commands import RaiseObjection, RecordMajorChange, ResolveObjection
from domain.deadlines import DAY_SECONDS, DeadlineKind, DeadlinePolicy
from domain.values import Money
from ledger.application import GrantLedger, open_ledger
from tests.builders import (
    HALF,
    REQUESTED,
    RETURNED,
    acknowledge,
    approve,
    close,
    conclude_publicity,
    disburse,
    evaluate,
    final_report,
    funds_return,
    lifecycle,
    notice,
    reject,
    start_publicity,
    submit,
)
from tests.workflows.support import eventually, gateway_for
from workflows import search_attributes
from workflows.converter import DATA_CONVERTER
from workflows.grant_lifecycle import workflow_id_for

HISTORIES = Path(__file__).parent / "histories"
BIN = Path(sys.executable).parent
# Seconds instead of days, so that the overdue shape takes seconds to record.
POLICY = DeadlinePolicy(payment_due_seconds=1, backfill_grace_seconds=3600)
# The builders' 2020 dates lie in the past, so the publicity and final report deadlines count from the backfill
# grace; each overdue shape pushes the other one ten years out, so that only its own deadline is missed.
TEN_YEARS = 10 * 365 * DAY_SECONDS
LATE_REPORT_POLICY = DeadlinePolicy(publicity_grace_seconds=TEN_YEARS, backfill_grace_seconds=2)
LATE_PUBLICITY_POLICY = DeadlinePolicy(final_report_due_seconds=TEN_YEARS, backfill_grace_seconds=2)
# The dev server suggests continue-as-new after this many events (4,096 by default): above every other shape
# (at most about 200 events), below the continued shape's first run.
CONTINUE_AS_NEW_AFTER_EVENTS = 300


async def full(gateway: GrantGateway, grant_no: str, _: GrantLedger, _client: Client) -> None:
    await gateway.submit(submit(grant_no))
    for command in lifecycle(grant_no):
        await gateway.record(command)


async def rejected(gateway: GrantGateway, grant_no: str, _: GrantLedger, _client: Client) -> None:
    await gateway.submit(submit(grant_no))
    await gateway.record(reject(grant_no=grant_no))


async def overdue(gateway: GrantGateway, grant_no: str, ledger: GrantLedger, _client: Client) -> None:
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


async def _missed(ledger: GrantLedger, grant_no: str, kind: DeadlineKind) -> None:
    async def recorded() -> bool:
        return ledger.state(grant_no).missed(kind) is not None

    await eventually(recorded, what=f"the {kind} deadline to be missed")


async def overdue_final_report(gateway: GrantGateway, grant_no: str, ledger: GrantLedger, _client: Client) -> None:
    """Through publicity at once, then the final report deadline (2021-01-31, so the grace) is missed; reported."""
    await gateway.submit(submit(grant_no))
    steps = lifecycle(grant_no)
    for command in steps[:7]:
        await gateway.record(command)
    await _missed(ledger, grant_no, DeadlineKind.FINAL_REPORT)
    for command in steps[7:]:
        await gateway.record(command)


async def overdue_publicity(gateway: GrantGateway, grant_no: str, ledger: GrantLedger, _client: Client) -> None:
    """Publicity posted until 2020-10-07 is not concluded within the grace: missed; then concluded, and on."""
    await gateway.submit(submit(grant_no))
    steps = lifecycle(grant_no)
    for command in steps[:6]:
        await gateway.record(command)
    await _missed(ledger, grant_no, DeadlineKind.PUBLICITY)
    for command in steps[6:]:
        await gateway.record(command)


async def overdue_payment_in_publicity(
    gateway: GrantGateway, grant_no: str, ledger: GrantLedger, _client: Client
) -> None:
    """Half paid, publicity started: the payment deadline is still missed; the rest is paid late, and on."""
    await gateway.submit(submit(grant_no))
    steps = lifecycle(grant_no)
    for command in (*steps[:4], steps[5]):  # the second tranche left unpaid
        await gateway.record(command)
    await _missed(ledger, grant_no, DeadlineKind.PAYMENT)
    await gateway.record(steps[4])
    for command in steps[6:]:
        await gateway.record(command)


async def objection_return_change(gateway: GrantGateway, grant_no: str, _: GrantLedger, _client: Client) -> None:
    """A change of responsible officer, a surplus paid back, an objection raised and resolved during publicity."""
    officer = {"grant_no": grant_no, "actor": "officer"}
    await gateway.submit(submit(grant_no))
    for command in (
        approve(grant_no=grant_no),
        notice(grant_no=grant_no),
        acknowledge(grant_no=grant_no),
        disburse(HALF, grant_no=grant_no),
        disburse(HALF, grant_no=grant_no),
        RecordMajorChange(**officer, kind="officer_change", changed_on=date(2020, 8, 1), description="负责人调整"),
        funds_return(RETURNED, grant_no=grant_no),
        start_publicity(grant_no=grant_no),
        RaiseObjection(**officer, raised_on=date(2020, 10, 5), summary="对补助对象资格有异议"),
        ResolveObjection(**officer, objection_no=1, resolved_on=date(2020, 10, 9), resolution="经核实符合条件"),
        conclude_publicity(date(2020, 10, 12), grant_no=grant_no),  # the objection extended it to 10-11
        final_report(REQUESTED - RETURNED, grant_no=grant_no),
        evaluate(grant_no=grant_no),
        close(grant_no=grant_no),
    ):
        await gateway.record(command)


async def continued(gateway: GrantGateway, grant_no: str, _: GrantLedger, client: Client) -> None:
    """One-fen tranches until the server suggests continue-as-new; the continued run pays the rest and closes."""
    await gateway.submit(submit(grant_no))
    steps = lifecycle(grant_no)
    for command in steps[:3]:
        await gateway.record(command)
    handle = client.get_workflow_handle(workflow_id_for(grant_no))
    first_run = (await handle.describe()).run_id
    paid = Money.zero()
    while (await handle.describe()).run_id == first_run:
        state = await gateway.record(disburse(Money(1), grant_no=grant_no))
        paid = state.disbursed
    await gateway.record(disburse(REQUESTED - paid, grant_no=grant_no))
    for command in steps[5:]:
        await gateway.record(command)


Shape = Callable[[GrantGateway, str, GrantLedger, Client], Awaitable[None]]
SHAPES: dict[str, tuple[Shape, DeadlinePolicy]] = {
    "full": (full, POLICY),
    "rejected": (rejected, POLICY),
    "overdue": (overdue, POLICY),
    "overdue-final-report": (overdue_final_report, LATE_REPORT_POLICY),
    "overdue-publicity": (overdue_publicity, LATE_PUBLICITY_POLICY),
    "overdue-payment-in-publicity": (overdue_payment_in_publicity, POLICY),
    "objection-return-change": (objection_return_change, POLICY),
    "continued": (continued, POLICY),
}


async def runs_of(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of `workflow_id`, first to last, following each run back to the one it continued."""
    histories = [await client.get_workflow_handle(workflow_id).fetch_history()]
    while previous := histories[0].events[0].workflow_execution_started_event_attributes.continued_execution_run_id:
        histories.insert(0, await client.get_workflow_handle(workflow_id, run_id=previous).fetch_history())
    return histories


async def record(shapes: list[str], directory: Path = HISTORIES) -> list[Path]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=list(search_attributes.ALL),
        dev_server_log_level="error",
        dev_server_extra_args=[
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={CONTINUE_AS_NEW_AFTER_EVENTS}",
        ],
    )
    written = []
    async with env:
        with tempfile.TemporaryDirectory() as scratch:
            url = f"sqlite:///{scratch}/ledger.sqlite"
            with open_ledger(url) as ledger:
                for shape in shapes:
                    play, policy = SHAPES[shape]
                    async with gateway_for(env.client, ledger, url, policy) as gateway:
                        grant_no = f"REC-{shape}"
                        await play(gateway, grant_no, ledger, env.client)
                        runs = await runs_of(env.client, workflow_id_for(grant_no))
                    if (len(runs) > 1) is not (shape == "continued"):
                        msg = f"{shape}: {len(runs)} run(s); see CONTINUE_AS_NEW_AFTER_EVENTS"
                        raise RuntimeError(msg)
                    for number, history in enumerate(runs, start=1):
                        name = shape if number == len(runs) else f"{shape}-run-{number}"
                        path = directory / f"{name}.json"
                        path.write_text(history.to_json())
                        written.append(path)
    return written


if __name__ == "__main__":
    for path in asyncio.run(record(sys.argv[1:] or list(SHAPES))):
        print(f"recorded {path}")  # noqa: T201 - a script's output
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: Temporal's Rust threads can abort it (see cli.main.main)
