"""How much do the grant workflow, its rules and the ledger cost on top of Temporal itself?

Ours: whole grant lifecycles (application and eleven steps, each a Workflow Update whose validator runs the rules
and whose handler records the step in a SQLite ledger through an activity), driven concurrently through the
gateway. Baseline: a minimal workflow taking the same number of updates, each running one no-op activity, on the
same in-memory dev server, driven the same way. Alternating, median of three rounds; prints lifecycles per second
and the ratio (target: ours at least 0.8 of the baseline, i.e. at most 25 % overhead).

Run: `.venv/bin/python bench/lifecycle.py [--grants 20]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

sys.path.insert(0, str(Path(__file__).parents[1]))  # the checkout: the grants come from the tests' builders

from minimal_workflow import MinimalLifecycle, Step, no_op

from cli.gateway import GrantGateway
from cli.logs import configure_logging
from domain.commands import SubmitApplication
from ledger.application import open_ledger
from tests.builders import lifecycle, submit
from worker import ACTIVITY_THREADS, build_worker
from workflows import search_attributes
from workflows.converter import DATA_CONVERTER

TARGET = 0.8
ROUNDS = 3
RESULTS = Path(__file__).parent / "results" / "lifecycle.json"
STEPS = 1 + len(lifecycle("x"))  # the application and every step after it


async def ours(client: Client, grants: int) -> float:
    """Lifecycles per second through GrantLifecycle, its rules and a SQLite ledger."""
    queue = f"bench-{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(ACTIVITY_THREADS) as executor:
        url = f"sqlite:///{Path(tmp) / 'ledger.sqlite'}"
        with open_ledger(url) as ledger:
            async with build_worker(client, ledger, executor, queue):
                gateway = GrantGateway(client, queue, url, timeout_seconds=120)

                async def one(index: int) -> None:
                    grant_no = f"B-{uuid.uuid4().hex[:8]}-{index}"
                    application: SubmitApplication = submit(grant_no)
                    await gateway.submit(application)
                    for command in lifecycle(grant_no):
                        await gateway.record(command)

                started = time.perf_counter()
                await asyncio.gather(*(one(index) for index in range(grants)))
                return grants / (time.perf_counter() - started)


async def baseline(client: Client, grants: int) -> float:
    """Lifecycles per second of the minimal workflow: the same updates, no-op activities."""
    queue = f"base-{uuid.uuid4().hex[:6]}"
    with ThreadPoolExecutor(ACTIVITY_THREADS) as executor:
        async with Worker(
            client, task_queue=queue, workflows=[MinimalLifecycle], activities=[no_op], activity_executor=executor
        ):

            async def one(index: int) -> None:
                handle = await client.start_workflow(
                    MinimalLifecycle.run, STEPS, id=f"base-{uuid.uuid4().hex[:8]}-{index}", task_queue=queue
                )
                for number in range(STEPS):
                    await handle.execute_update(MinimalLifecycle.step, Step(number))

            started = time.perf_counter()
            await asyncio.gather(*(one(index) for index in range(grants)))
            return grants / (time.perf_counter() - started)


async def main(grants: int) -> None:
    configure_logging(logging.WARNING)  # the ledger's activities log every step at INFO
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=list(search_attributes.ALL),
        dev_server_log_level="error",
    )
    rates: dict[str, list[float]] = {"ours": [], "baseline": []}
    async with env:
        for round_no in range(ROUNDS):  # alternate, so that noise falls on both
            for name in ("ours", "baseline") if round_no % 2 == 0 else ("baseline", "ours"):
                rate = await (ours if name == "ours" else baseline)(env.client, grants)
                rates[name].append(rate)
                print(f"  round {round_no + 1} {name}: {rate:.2f} lifecycles/s", file=sys.stderr)
    median = {name: statistics.median(values) for name, values in rates.items()}
    ratio = median["ours"] / median["baseline"]
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(f"{'':<46}  lifecycles/s")
    print(f"{'ours: GrantLifecycle + rules + SQLite ledger':<46}  {median['ours']:>12.2f}")
    print(f"{'baseline: same updates, no-op activities':<46}  {median['baseline']:>12.2f}")
    print(f"ratio {ratio:.2f}  {verdict} (>= {TARGET}); {grants} concurrent lifecycles of {STEPS} steps, median of 3")
    RESULTS.parent.mkdir(exist_ok=True)
    results = {"grants": grants, "steps": STEPS, "per_second": median, "ratio": round(ratio, 3), "verdict": verdict}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=20, help="concurrent lifecycles per round")
    asyncio.run(main(parser.parse_args().grants))
