"""What does the integrity layer cost on append? The ledger's store path against plain eventsourcing on the same store.

Target (issue #3, benchmark 1 of issue #8): appending events with the hash chain, the Merkle log and its signed
checkpoints costs at most 1.2x appending them with plain eventsourcing on the same store.

Measured in one run, alternating ours and plain (the order swapped every round), the median of 5 rounds, each run on a
fresh database (SQLite: a new temp file; PostgreSQL: a new schema, dropped afterwards):
- recorder level: the same pre-built `StoredEvent`s (the stored bytes of the demo's real grant events) inserted through
  `ChainedSQLiteApplicationRecorder.insert_events` (ours, a `GrantLedger` with a signing key taking a checkpoint every
  1000 records, as the application does) against `SQLiteApplicationRecorder.insert_events` (plain); the same pair on
  PostgreSQL. One event per save is a grant's life command by command (every save but a grant's first chains onto a
  stored record); twenty per save is one aggregate's twenty new events saved at once.
- application level: a small aggregate saved through `GrantLedger` on the ledger's settings (taking its checkpoints
  itself, in `save`, one every 1000 records) against a plain eventsourcing `Application` on the same settings without
  our recorder.
The ratio is ours / plain time (the slowdown), with the checkpoints included; ours without its checkpoints is shown
beside it ("chain only": the hash chain, and the Merkle log the recorder extends as it appends, so that a checkpoint
reads back from the store only records others wrote). A second table gives a checkpoint's cost, alone and amortised
over 1000 records (the median: a run's first checkpoint reads the whole log, the recorder's Merkle log starts there).

Run: `.venv/bin/python bench/append_overhead.py` [--events N] [--rounds N] [--no-postgres]. PostgreSQL comes from
`GRANTS_TEST_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/test) and is skipped, with a note, when
unreachable. Results also go to bench/results/append_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from uuid import uuid4

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import StoredEvent
from psycopg import sql
from sample_grants import demo_grant_events
from sqlalchemy.engine import make_url

from ledger.application import CHECKPOINT_EVERY, GrantLedger
from ledger.checkpoints import Checkpoint, CheckpointSigner
from ledger.settings import persistence_env

TARGET = 1.2  # ours / plain time, at most
ROUNDS = 5
EVENTS = {1: 2_000, 20: 100_000}  # events a run appends, by events per save (20 per save is fast: more, less noise)
POSTGRES_URL = os.environ.get("GRANTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
RESULTS = Path(__file__).parent / "results" / "append_overhead.json"

Save = list[StoredEvent]
Template = list[tuple[str, bytes]]  # one grant's stored (topic, state), in version order


class Counter(Aggregate):
    """The application-level load: a small aggregate, as in bench/persistence_modules.py."""

    @event("Created")
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self, by: int) -> None:
        self.count += by


@dataclass
class Run:
    """One timed run: events appended, seconds spent appending, seconds spent on each checkpoint."""

    events: int
    append_seconds: float
    checkpoint_seconds: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.append_seconds + sum(self.checkpoint_seconds)


@dataclass(frozen=True)
class Row:
    store: str
    level: str
    per_save: int
    events: int
    plain_per_second: float
    ours_per_second: float  # chain, log and checkpoints
    chain_ratio: float  # ours without its checkpoints / plain
    ratio: float  # ours with its checkpoints / plain
    checkpoints_per_run: int
    checkpoint_ms: float  # median of every checkpoint taken in the rounds
    verdict: str


@dataclass(frozen=True)
class Store:
    """A backend: `fresh()` yields the ledger's settings for a new, empty database and removes it afterwards."""

    name: str
    fresh: Callable[[], AbstractContextManager[dict[str, str]]]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_saves(templates: list[Template], per_save: int, events: int) -> list[Save]:
    """`events` stored events in saves of `per_save`: new originators, real stored bytes, built before any timing.

    One per save: grants of 11 events, one save per event (versions 1..11). Twenty per save: one originator per save,
    versions 1..20, the states taken from the real grants in turn.
    """
    flat = [item for template in templates for item in template]
    saves: list[Save] = []
    written = 0
    while written < events:
        originator = uuid4()
        if per_save == 1:
            template = templates[len(saves) // 11 % len(templates)]
        else:
            template = [flat[(written + offset) % len(flat)] for offset in range(per_save)]
        stored = [StoredEvent(originator, version, topic, state) for version, (topic, state) in enumerate(template, 1)]
        saves.extend(stored[start : start + per_save] for start in range(0, len(stored), per_save))
        written += len(stored)
    return saves


def append_saves(app: Application, saves: list[Save], ledger: GrantLedger | None) -> Run:
    """Insert every save through the app's recorder; with `ledger`, a checkpoint every CHECKPOINT_EVERY records."""
    recorder = app.recorder
    run = Run(events=sum(len(save) for save in saves), append_seconds=0.0)
    since = 0
    started = time.perf_counter()
    for save in saves:
        recorder.insert_events(save)
        since += len(save)
        if ledger is not None and since >= CHECKPOINT_EVERY:
            run.checkpoint_seconds.append(timed_checkpoint(ledger))
            since = 0
    run.append_seconds = time.perf_counter() - started - sum(run.checkpoint_seconds)
    return run


def save_aggregates(app: Application, per_save: int, events: int, ledger: TimedLedger | None) -> Run:
    """Create and save Counters of `per_save` events each through the application, as persistence_modules does.

    Our ledger takes its checkpoints itself (one every CHECKPOINT_EVERY records, in `save`): each is timed apart.
    """
    run = Run(events=0, append_seconds=0.0)
    started = time.perf_counter()
    while run.events < events:
        counter = Counter()
        for _ in range(per_save - 1):
            counter.increment(1)
        app.save(counter)
        run.events += per_save
    run.checkpoint_seconds = ledger.checkpoint_seconds if ledger is not None else []
    run.append_seconds = time.perf_counter() - started - sum(run.checkpoint_seconds)
    return run


class TimedLedger(GrantLedger):
    """The ledger, timing each checkpoint it takes."""

    name = GrantLedger.name

    def __init__(self, env: dict[str, str], signer: CheckpointSigner) -> None:
        super().__init__(env=env, signer=signer)
        self.checkpoint_seconds: list[float] = []

    def take_checkpoint(self, reason: str) -> Checkpoint:
        started = time.perf_counter()
        checkpoint = super().take_checkpoint(reason)
        self.checkpoint_seconds.append(time.perf_counter() - started)
        return checkpoint


def timed_checkpoint(ledger: GrantLedger) -> float:
    started = time.perf_counter()
    ledger.take_checkpoint(f"every {CHECKPOINT_EVERY} records")
    return time.perf_counter() - started


def plain(env: dict[str, str]) -> dict[str, str]:
    """The same store and settings, with eventsourcing's own recorder in place of ours."""
    return {key: value for key, value in env.items() if key != "APPLICATION_RECORDER_TOPIC"}


@dataclass(frozen=True)
class Case:
    store: Store
    level: str  # "recorder" or "application"
    per_save: int
    events: int


def measure(case: Case, rounds: int, templates: list[Template]) -> Row:
    store, level, per_save, events = case.store, case.level, case.per_save, case.events
    signer = CheckpointSigner(Ed25519PrivateKey.generate())
    runs: dict[str, list[Run]] = {"plain": [], "ours": []}
    for round_no in range(rounds):
        order = ("plain", "ours") if round_no % 2 == 0 else ("ours", "plain")  # noise falls on both
        for variant in order:
            saves = build_saves(templates, per_save, events) if level == "recorder" else []
            with store.fresh() as env:
                ledger = TimedLedger(env=env, signer=signer) if variant == "ours" else None
                app = ledger if ledger is not None else Application(env=plain(env))
                try:
                    if level == "recorder":
                        run = append_saves(app, saves, ledger)
                    else:
                        run = save_aggregates(app, per_save, events, ledger)
                finally:
                    app.close()
            runs[variant].append(run)
            progress(
                f"  {store.name} {level} {per_save}/save round {round_no + 1} {variant}: "
                f"{run.events / run.seconds:,.0f} ev/s ({len(run.checkpoint_seconds)} checkpoints)"
            )
    plain_rate = statistics.median(run.events / run.seconds for run in runs["plain"])
    ours_rate = statistics.median(run.events / run.seconds for run in runs["ours"])
    chain_rate = statistics.median(run.events / run.append_seconds for run in runs["ours"])
    every_checkpoint = [seconds for run in runs["ours"] for seconds in run.checkpoint_seconds]
    ratio = plain_rate / ours_rate
    return Row(
        store=store.name,
        level=level,
        per_save=per_save,
        events=runs["ours"][0].events,
        plain_per_second=round(plain_rate, 1),
        ours_per_second=round(ours_rate, 1),
        chain_ratio=round(plain_rate / chain_rate, 3),
        ratio=round(ratio, 3),
        checkpoints_per_run=len(runs["ours"][0].checkpoint_seconds),
        checkpoint_ms=round(statistics.median(every_checkpoint) * 1000, 2) if every_checkpoint else 0.0,
        verdict="PASS" if ratio <= TARGET else "FAIL",
    )


def sqlite_store(directory: Path) -> Store:
    @contextmanager
    def fresh() -> Iterator[dict[str, str]]:
        path = directory / f"ledger-{secrets.token_hex(4)}.sqlite"
        try:
            yield persistence_env(f"sqlite:///{path}")
        finally:
            for leftover in directory.glob(f"{path.name}*"):  # the file and its -wal, -shm
                leftover.unlink()

    return Store("sqlite", fresh)


def libpq_url(url: str) -> str:
    parsed = make_url(url).difference_update_query(["schema"]).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def postgres_store(url: str) -> tuple[Store | None, str]:
    """A store of fresh schemas on `url`, or None and why not."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=5) as connection:
            server = str(connection.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    except psycopg.OperationalError as error:
        shown = make_url(url).render_as_string(hide_password=True)
        return None, f"PostgreSQL at {shown} is unreachable ({str(error).strip()}): skipped"

    @contextmanager
    def fresh() -> Iterator[dict[str, str]]:
        schema = f"bench_{secrets.token_hex(6)}"
        with psycopg.connect(libpq_url(url), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            try:
                yield persistence_env(f"{url}{'&' if '?' in url else '?'}schema={schema}")
            finally:
                connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    return Store("postgresql", fresh), server


def machine(postgres_version: str | None) -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version,
        "eventsourcing": version("eventsourcing"),
    }


def print_tables(rows: list[Row]) -> None:
    print(
        f"{'store':<10}  {'level':<11}  {'per save':>8}  {'plain ev/s':>10}  {'ours ev/s':>10}  "
        f"{'chain only':>10}  {'ratio':>6}  target"
    )
    for row in rows:
        print(
            f"{row.store:<10}  {row.level:<11}  {row.per_save:>8}  {row.plain_per_second:>10,.0f}  "
            f"{row.ours_per_second:>10,.0f}  {row.chain_ratio:>9.2f}x  {row.ratio:>5.2f}x  "
            f"{row.verdict} (<= {TARGET}x)"
        )
    print(
        "\nratio = ours / plain time (the slowdown), ours with its checkpoints; chain only = without them "
        "(the chain and the Merkle log, extended as records are appended)"
    )
    print(
        f"\n{'store':<10}  {'level':<11}  {'per save':>8}  {'checkpoint':>10}  "
        f"{'amortised, 1 per ' + format(CHECKPOINT_EVERY, ',') + ' records':>34}"
    )
    for row in rows:
        if not row.checkpoints_per_run:
            continue
        amortised_us = row.checkpoint_ms * 1000 / CHECKPOINT_EVERY
        share = amortised_us / (1e6 / row.plain_per_second)
        print(
            f"{row.store:<10}  {row.level:<11}  {row.per_save:>8}  {row.checkpoint_ms:>7.2f} ms  "
            f"{amortised_us:>11.1f} us/event = {share:>5.1%} of a plain append"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, help="events per run (default: 2,000 one per save, 100,000 twenty)")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()

    progress("recording the demo's 14 grants for realistic stored events ...")
    templates = [events for _, events in demo_grant_events()]
    sizes = [len(state) for template in templates for _, state in template]
    progress(f"  {len(sizes)} events, {statistics.mean(sizes):.0f} bytes stored on average")

    notes: list[str] = []
    postgres, postgres_version = (None, None) if args.no_postgres else postgres_store(POSTGRES_URL)
    if postgres is None and postgres_version is not None:
        notes.append(postgres_version)
        progress(postgres_version)
        postgres_version = None
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        stores = [sqlite_store(Path(tmp)), *([postgres] if postgres else [])]
        for store in stores:
            for level in ("recorder", "application"):
                for per_save in (1, 20):
                    case = Case(store, level, per_save, args.events or EVENTS[per_save])
                    rows.append(measure(case, args.rounds, templates))
    print_tables(rows)
    for note in notes:
        print(f"note: {note}")

    RESULTS.parent.mkdir(exist_ok=True)
    results = {
        "script": "bench/append_overhead.py",
        "question": "appending with the chain, the log and checkpoints costs at most 1.2x plain eventsourcing",
        "target_ratio_at_most": TARGET,
        "rounds": args.rounds,
        "checkpoint_every": CHECKPOINT_EVERY,
        "mean_stored_event_bytes": round(statistics.mean(sizes)),
        "machine": machine(postgres_version),
        "rows": [asdict(row) for row in rows],
        "notes": notes,
    }
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
