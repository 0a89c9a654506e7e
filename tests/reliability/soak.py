"""Soak: a steady stream of grants through a dev server on a file and one worker process, for a set time.

    python -m tests.reliability.soak --minutes 10      # `make soak` (not in CI)

Prints, each minute, the grants closed and steps recorded in that minute and the worker's resident memory; at
the end, the worker's RSS at start and end and the reconciliation of the ledger with every workflow history.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from ledger.application import open_ledger
from tests.builders import LIFECYCLE_EVENTS, lifecycle, submit
from tests.reliability.processes import DevServer, gateway, workers
from tests.reliability.support import reconcile, send_until_answered
from tests.workflows.support import new_grant_no

TASK_QUEUE = "soak"


async def soak(minutes: float, in_flight: int, directory: Path) -> bool:
    """Run the stream; True when every grant reconciled with no event lost or doubled."""
    server = DevServer(directory)
    server.start()
    ledger_url = f"sqlite:///{directory / 'ledger.sqlite'}"
    try:
        client = await server.client()
        officer = gateway(client, TASK_QUEUE, ledger_url)
        closed: list[str] = []
        ends = time.monotonic() + minutes * 60

        async def stream() -> None:
            while time.monotonic() < ends:
                grant_no = new_grant_no()
                for number, command in enumerate([submit(grant_no), *lifecycle(grant_no)]):
                    await send_until_answered(officer, command, f"step-{number}")
                closed.append(grant_no)

        with workers(1, server.address, ledger_url, TASK_QUEUE, directory) as (worker,):
            rss_start = worker.rss_kib()
            print(  # noqa: T201
                f"soak: {minutes:g} min, {in_flight} grants in flight, worker RSS at start {rss_start / 1024:.1f} MiB",
                flush=True,
            )
            streams = [asyncio.create_task(stream()) for _ in range(in_flight)]
            minute, counted = 0, 0
            while not all(s.done() for s in streams):
                began = time.monotonic()
                await asyncio.wait(streams, timeout=60)
                minute += 1
                done_now, counted = len(closed) - counted, len(closed)
                steps_per_second = done_now * len(LIFECYCLE_EVENTS) / (time.monotonic() - began)
                print(  # noqa: T201
                    f"minute {minute:3d}: {done_now:5d} grants closed ({steps_per_second:6.1f} steps/s), "
                    f"worker RSS {worker.rss_kib() / 1024:.1f} MiB",
                    flush=True,  # a minute's line as it happens, also into a file
                )
            for finished in streams:
                finished.result()
            rss_end = worker.rss_kib()
        with open_ledger(ledger_url) as ledger:
            checked = await reconcile(client, ledger, closed)
        print(  # noqa: T201
            f"soak: {len(closed)} grants closed in {minutes:g} min; worker RSS {rss_start / 1024:.1f} MiB at start, "
            f"{rss_end / 1024:.1f} MiB at end; {checked.events_checked} events reconciled with "
            f"{checked.updates_checked} updates: duplicates {len(checked.duplicates)}, missing {len(checked.missing)}, "
            f"unexplained {len(checked.unexplained)}"
        )
        return checked.agrees
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to keep the stream going")
    parser.add_argument("--in-flight", type=int, default=20, help="grants being driven at any moment")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grants-soak-") as directory:
        agreed = asyncio.run(soak(options.minutes, options.in_flight, Path(directory)))
    raise SystemExit(0 if agreed else 1)


if __name__ == "__main__":
    main()
