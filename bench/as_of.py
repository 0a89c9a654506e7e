"""How fast is "what did this grant look like then?" against rebuilding the grant from all its events?

Ours: `grants audit state GRANT --as-of T` as the CLI runs it (the index of recording times finds the version T saw,
then only the events up to it are replayed), for moments spread over a grant with 2,000 events. Baseline: the
grant rebuilt from all its events (what answering by replaying everything would cost). Both on the same SQLite
ledger in the same run, alternating; prints p50 and p95 of each and their ratio (issue #8, item 5).

Run: `.venv/bin/python bench/as_of.py [--events 2000] [--queries 200]`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))  # the checkout: the grant comes from the tests' builders

from audit.timeline import state_as_of
from domain.decisions import DEFAULT_QUORUM
from domain.values import Money
from ledger.application import GrantLedger, open_ledger
from ledger.projections import version_index
from tests.builders import acknowledge, approve, disburse, notice, submit

RESULTS = Path(__file__).parent / "results" / "as_of.json"
GRANT_NO = "HN-2020-ZX-0001"


def build(ledger: GrantLedger, events: int) -> None:
    """A grant paid in many small tranches: the application, three steps, then a tranche per remaining event."""
    ledger.execute(submit(GRANT_NO))
    for command in (approve(grant_no=GRANT_NO), notice(grant_no=GRANT_NO), acknowledge(grant_no=GRANT_NO)):
        ledger.execute(command)
    for done in range(4, events):
        ledger.execute(disburse(Money(100), grant_no=GRANT_NO))
        if done % 500 == 0:
            print(f"  {done:,} events recorded", file=sys.stderr)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(events: int, queries: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'ledger.sqlite'}"
        with open_ledger(url) as ledger, version_index(ledger, url, DEFAULT_QUORUM) as version_at:
            build(ledger, events)
            history = ledger.history(GRANT_NO)
            first, last = history[0].recorded_at, history[-1].recorded_at
            started = time.perf_counter()
            version_at(GRANT_NO, last)  # the index catches up with the whole grant once
            catch_up = time.perf_counter() - started
            moments = [first + (last - first) * random.random() for _ in range(queries)]  # noqa: S311 - not crypto
            seconds: dict[str, list[float]] = {"as_of": [], "rebuild": []}
            for index, moment in enumerate(moments):  # alternate, so that noise falls on both
                for name in ("as_of", "rebuild") if index % 2 == 0 else ("rebuild", "as_of"):
                    started = time.perf_counter()
                    if name == "as_of":
                        state_as_of(ledger, GRANT_NO, moment, version_at)
                    else:
                        ledger.state(GRANT_NO)
                    seconds[name].append(time.perf_counter() - started)
    p50 = {name: statistics.median(values) * 1000 for name, values in seconds.items()}
    p95 = {name: percentile(values, 0.95) * 1000 for name, values in seconds.items()}
    print(f"{'':<52}  p50 ms  p95 ms")
    print(f"{'ours: as of a moment (index + replay up to it)':<52}  {p50['as_of']:>6.1f}  {p95['as_of']:>6.1f}")
    print(f"{'baseline: the grant rebuilt from all its events':<52}  {p50['rebuild']:>6.1f}  {p95['rebuild']:>6.1f}")
    print(
        f"ratio (rebuild / as of) p50 {p50['rebuild'] / p50['as_of']:.1f}x, p95 {p95['rebuild'] / p95['as_of']:.1f}x; "
        f"{events:,} events, {queries} moments; the index's first catch-up {catch_up:.2f} s"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    results = {"events": events, "queries": queries, "p50_ms": p50, "p95_ms": p95, "catch_up_seconds": catch_up}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events of the grant")
    parser.add_argument("--queries", type=int, default=200, help="as-of moments, spread over its history")
    arguments = parser.parse_args()
    main(arguments.events, arguments.queries)
