"""Which eventsourcing persistence module should the ledger use? Appends per second on the same SQLite file.

Measures, in one run and alternating, eventsourcing's own SQLite module against eventsourcing-sqlalchemy,
with one event per save and twenty per save, the median of three rounds each, and prints the ratios.
Run: `.venv/bin/python bench/persistence_modules.py` (needs the `bench` extra: `pip install -e '.[bench]'`).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

ROUNDS = 3
EVENTS_PER_ROUND = 2_000


class Counter(Aggregate):
    @event("Created")
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self, by: int) -> None:
        self.count += by


def appends_per_second(env: dict[str, str], per_save: int) -> float:
    app: Application = Application(env=env)
    try:
        started = time.perf_counter()
        written = 0
        while written < EVENTS_PER_ROUND:
            counter = Counter()
            for _ in range(per_save - 1):
                counter.increment(1)
            app.save(counter)
            written += per_save
        return written / (time.perf_counter() - started)
    finally:
        app.close()


def module_envs(directory: Path, round_no: int) -> dict[str, dict[str, str]]:
    return {
        "eventsourcing.sqlite": {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(directory / f"own-{round_no}.sqlite"),
        },
        "eventsourcing_sqlalchemy": {
            "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
            "SQLALCHEMY_URL": f"sqlite:///{directory / f'sqlalchemy-{round_no}.sqlite'}",
        },
    }


def main() -> None:
    print(f"{'per save':>8}  {'eventsourcing.sqlite':>22}  {'eventsourcing_sqlalchemy':>26}  ratio")
    for per_save in (1, 20):
        rates: dict[str, list[float]] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for round_no in range(ROUNDS):  # alternate the two, so that noise falls on both
                for name, env in module_envs(Path(tmp), round_no).items():
                    rates.setdefault(name, []).append(appends_per_second(env, per_save))
        own = statistics.median(rates["eventsourcing.sqlite"])
        other = statistics.median(rates["eventsourcing_sqlalchemy"])
        print(f"{per_save:>8}  {own:>18,.0f} ev/s  {other:>22,.0f} ev/s  {own / other:.2f}x")


if __name__ == "__main__":
    main()
