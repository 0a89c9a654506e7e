"""Temporal's dev server is stopped and started again on the same SQLite file while grants are in flight.

Every grant still reaches `closed`, and the ledger and the workflow histories agree: one event per completed update.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from domain.stages import Stage
from ledger.application import open_ledger
from tests.builders import LIFECYCLE_EVENTS, lifecycle, submit
from tests.reliability.processes import DevServer, gateway, workers
from tests.reliability.support import Resends, reconcile, send_until_answered
from tests.workflows.support import eventually, new_grant_no

pytestmark = pytest.mark.slow
DOWN_SECONDS = 3


@pytest.mark.parametrize("grants", [pytest.param(10, id="10-grants"), pytest.param(50, marks=pytest.mark.full)])
async def test_grants_in_flight_survive_a_server_restart_and_reconcile(
    grants: int, ledger_url: str, tmp_path: Path
) -> None:
    server = DevServer(tmp_path)
    server.start()
    try:
        client = await server.client()
        task_queue, resends = "restart", Resends()
        officer = gateway(client, task_queue, ledger_url)
        numbers = [new_grant_no() for _ in range(grants)]

        async def drive(grant_no: str) -> Stage:
            steps = [submit(grant_no), *lifecycle(grant_no)]
            for number, command in enumerate(steps):
                state = await send_until_answered(officer, command, f"step-{number}", resends=resends)
            return state.stage

        with workers(1, server.address, ledger_url, task_queue, tmp_path), open_ledger(ledger_url) as ledger:
            driving = [asyncio.create_task(drive(grant_no)) for grant_no in numbers]
            half_way = grants * len(LIFECYCLE_EVENTS) // 3

            async def half_way_there() -> bool:
                return ledger.count_events() >= half_way

            await eventually(half_way_there, within=120, what="a third of the events in the ledger")
            in_ledger_at_stop = ledger.count_events()
            began = time.monotonic()
            await asyncio.to_thread(server.stop)
            await asyncio.sleep(DOWN_SECONDS)
            await asyncio.to_thread(server.start)
            stages = await asyncio.wait_for(asyncio.gather(*driving), timeout=240)
            recovered = time.monotonic() - began
            checked = await reconcile(client, ledger, numbers)

        assert set(stages) == {Stage.CLOSED}
        assert in_ledger_at_stop < grants * len(LIFECYCLE_EVENTS), "the restart fell while grants were in flight"
        assert checked.agrees, checked
        assert checked.events_checked == grants * len(LIFECYCLE_EVENTS)
        print(  # noqa: T201 - the figure RELIABILITY.md quotes
            f"\nserver restart: {grants} grants, {in_ledger_at_stop} events in the ledger at the stop, "
            f"{resends.count} steps resent, all closed {recovered:.1f} s after the stop; "
            f"{checked.events_checked} events reconciled with {checked.updates_checked} updates; "
            f"duplicates {len(checked.duplicates)}, missing {len(checked.missing)}"
        )
    finally:
        server.stop()
