"""Is `verify` fast and flat? `audit.verify.verify_ledger` against a bare loop that reads the same rows and hashes them.

Target (issue #3, benchmark 2 of issue #8): verify over 1,000,000 records on SQLite runs at no less than 1/3 the speed
of a bare loop that reads the same rows and SHA-256s them, and its peak RSS at 1,000,000 records is within 1.2x of
its peak RSS at 100,000 (memory must not grow with the number of records).

How: a SQLite ledger of N records is built quickly, not command by command: the stored bytes of the demo's 14 real
grants (11 events each, through all six stages) are copied to new grants (new numbers, new ids) and inserted straight
through `ChainedSQLiteApplicationRecorder.insert_events` in batches of 10,000, so every record is chained as the
ledger chains it. Its signed checkpoints are those the ledger takes: three a grant, at its milestones, and one every
1,000 records (about 280,000 at 1,000,000 records of 11-event grants); `--sparse-checkpoints` takes one every 100,000
records only, to show what the checkpoints cost. Then, alternating, the median of 3 rounds:
- ours: `verify_ledger` (every chain, the Merkle log, every checkpoint), which must report no problem. From 200,000
  records it verifies the log's two halves at once, the second in a process of its own: the speed is wall-clock
  records/s, and the CPU time of both processes is printed beside it (the bare loop uses one core);
- the baseline: plain `sqlite3` selecting the events' rows in log order in batches of 10,000 and SHA-256ing each
  row's state;
Peak RSS is measured in a fresh process per size (its VmHWM after verify: see `peak_rss_kib` for why not ru_maxrss),
at N/10 and at N records, and that of the process verifying the second half.

Run: `.venv/bin/python bench/verify_speed.py` (1,000,000 records, about 2 minutes), `--quick` (100,000), or
`--records N`; `--events-per-grant 1333` for fewer, longer grants (a province-year's shape: verify keeps a little
state per grant). The ledgers live in a temp dir, deleted afterwards (about 0.6 GB at 1,000,000 records). Results also
go to bench/results/verify_speed.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eventsourcing.persistence import StoredEvent
from sample_grants import demo_grant_events

from audit.verify import APART_FROM, verify_ledger
from domain.grant import grant_id
from ledger.application import CHECKPOINT_EVERY, MILESTONES, open_ledger
from ledger.checkpoints import FIRST, Checkpoint, CheckpointSigner, Follows
from ledger.merkle import MerkleLog

SPEED_TARGET = 1 / 3  # verify's records/s over the bare loop's, at least
MEMORY_TARGET = 1.2  # peak RSS at N over peak RSS at N/10, at most
ROUNDS = 3
RECORDS = 1_000_000
QUICK_RECORDS = 100_000
SPARSE_CHECKPOINT_EVERY = 100_000  # records between checkpoints with --sparse-checkpoints (and no milestones)
INSERT_CHECKPOINT = (
    "INSERT INTO stored_checkpoints (tree_size, root, taken_at, frontier, signature, key_id, reason, follows_size, "
    "follows_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
BATCH = 10_000  # events per insert while building; rows per SELECT in the bare loops (as the verifier's BATCH)
RESULTS = Path(__file__).parent / "results" / "verify_speed.json"

Template = tuple[str, list[tuple[str, bytes]]]  # a real grant: its number, its stored (topic, state) by version

SELECT_EVENTS = "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events WHERE rowid > ? "
SELECT_EVENTS += "ORDER BY rowid LIMIT ?"


@dataclass(frozen=True)
class Timing:
    records: int
    seconds: float
    cpu_seconds: float  # of this process and the children it waited for

    @property
    def per_second(self) -> float:
        return self.records / self.seconds


@dataclass(frozen=True)
class Memory:
    """What a fresh process verifying a ledger of `records` used: RSS before verify (imports) and at its peak; and the
    peak of the process it started for the second half (0 if it verified alone)."""

    records: int
    rss_before_mib: float
    rss_peak_mib: float
    half_rss_peak_mib: float
    seconds: float


def progress(message: str, *, end: str = "\n") -> None:
    print(message, file=sys.stderr, end=end, flush=True)


def ledger_events(templates: list[Template], records: int) -> Iterator[StoredEvent]:
    """`records` stored events: the real grants copied to new grants, each under its own number and id."""
    written, index = 0, 0
    while True:
        template_no, events = templates[index % len(templates)]
        number = f"HN-2020-BX-{index + 1:07d}"
        originator = grant_id(number)
        old, new = template_no.encode(), number.encode()
        for number_in_grant, (topic, state) in enumerate(events, 1):
            if written == records:
                return
            yield StoredEvent(originator, number_in_grant, topic, state.replace(old, new))
            written += 1
        index += 1


def build_ledger(path: Path, records: int, templates: list[Template], key: Ed25519PrivateKey, *, sparse: bool) -> int:
    """A ledger of `records` chained records with its signed checkpoints; their number.

    As the ledger takes them: one at each milestone of a grant (its notice acknowledged, its final report submitted,
    its evaluation recorded: three a grant, however far `--events-per-grant` stretches it by repeating its events)
    and one every CHECKPOINT_EVERY records; with `sparse`, one every SPARSE_CHECKPOINT_EVERY only. Each is signed over
    the log as it stood after its record, computed alongside the build and inserted a batch at a time (taking each
    through the ledger would cost a transaction apiece).
    """
    started = time.perf_counter()
    signer, log, every = CheckpointSigner(key), MerkleLog(), SPARSE_CHECKPOINT_EVERY if sparse else CHECKPOINT_EVERY
    follows = FIRST
    with open_ledger(f"sqlite:///{path}") as ledger, closing(sqlite3.connect(path)) as connection:
        batch: list[StoredEvent] = []
        grant, reached = None, set()  # the grant being written and the milestones it has reached
        for stored in ledger_events(templates, records):
            batch.append(stored)
            if len(batch) == BATCH or log.size + len(batch) == records:
                ledger.recorder.insert_events(batch)
                due = []
                for event, leaf in zip(batch, ledger.integrity.hashes_after(log.size), strict=True):
                    log.extend_leaf_hashes((leaf,))
                    if event.originator_id != grant:
                        grant, reached = event.originator_id, set()
                    name = event.topic.rsplit(".", 1)[-1]
                    milestone = not sparse and name in MILESTONES and name not in reached
                    reached.add(name)
                    if milestone or log.size % every == 0 or log.size == records:
                        reason = "milestone" if milestone else f"every {every} records"
                        frontier = log.frontier_bytes()
                        signed = signer.sign(
                            log.size, log.root(), datetime.now(UTC), reason, follows, frontier=frontier
                        )
                        due.append(checkpoint_row(signed))
                        follows = Follows(signed.tree_size, signed.digest())
                with connection:
                    connection.executemany(INSERT_CHECKPOINT, due)
                batch = []
                if log.size % 100_000 == 0:
                    elapsed = time.perf_counter() - started
                    progress(f"  built {log.size:,} of {records:,} records ({log.size / elapsed:,.0f}/s)")
        return int(connection.execute("SELECT COUNT(*) FROM stored_checkpoints").fetchone()[0])


def checkpoint_row(signed: Checkpoint) -> tuple[object, ...]:
    """A checkpoint of the log as it stands, as the ledger's checkpoint table holds it."""
    follows = signed.follows or FIRST  # the signer always names one
    return (
        signed.tree_size,
        signed.root,
        signed.taken_at.isoformat(),
        signed.frontier,
        signed.signature,
        signed.key_id,
        signed.reason,
        follows.tree_size,
        follows.digest,
    )


def run_verify(path: Path, public_key: Ed25519PublicKey, label: str = "") -> Timing:
    def show(done: int) -> None:
        progress(f"\r  {label}verify: {done:,} records", end="")

    with open_ledger(f"sqlite:///{path}") as ledger:
        started, cpu_started = time.perf_counter(), cpu_seconds()
        report = verify_ledger(ledger, public_key, progress=show if label and sys.stderr.isatty() else None)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    if label and sys.stderr.isatty():
        progress("\r", end="")
    if not report.ok:
        msg = f"verify found problems in a ledger nobody touched: {[str(problem) for problem in report.problems[:3]]}"
        raise AssertionError(msg)
    return Timing(report.records, seconds, cpu)


def cpu_seconds() -> float:
    """CPU time of this process and of the children it has waited for (verify's second half)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_bare_loop(path: Path, query: str, state_column: int) -> Timing:
    """Read every row of `query` in batches of BATCH, keyed on its first column, and SHA-256 its state."""
    connection = sqlite3.connect(path)
    try:
        started, cpu_started = time.perf_counter(), cpu_seconds()
        records, last = 0, 0
        while True:
            rows = connection.execute(query, (last, BATCH)).fetchall()
            for row in rows:
                hashlib.sha256(row[state_column]).digest()
            records += len(rows)
            if len(rows) < BATCH:
                return Timing(records, time.perf_counter() - started, cpu_seconds() - cpu_started)
            last = rows[-1][0]
    finally:
        connection.close()


def measure_memory(path: Path, public_key: Ed25519PublicKey) -> Memory:
    """Verify `path` in a fresh process that reports its own peak RSS."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    command = [sys.executable, __file__, "--child-verify", str(path), "--public-key", raw.hex()]
    completed = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 - our own script
    return Memory(**json.loads(completed.stdout))


def peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM), in KiB.

    Not `ru_maxrss`: on Linux a child's ru_maxrss starts at its parent's RSS at the fork (the kernel carries the
    high-water mark across exec), so it would report this benchmark's own size; VmHWM belongs to the new process.
    """
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the best there is (KiB on Linux, BSD)


def child_verify(path: Path, public_key_hex: str) -> None:
    """In the fresh process: verify, then print records, peak RSS before verify (imports) and after it, and the peak
    of the process verifying the second half: its ru_maxrss, which on Linux starts at this process's RSS when it was
    started (see `peak_rss_kib`), so it is at most that."""
    before = peak_rss_kib()
    timing = run_verify(path, Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)))
    peak = peak_rss_kib()
    half = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "records": timing.records,
                "rss_before_mib": round(before / 1024, 1),
                "rss_peak_mib": round(peak / 1024, 1),
                "half_rss_peak_mib": round(half / 1024, 1),
                "seconds": round(timing.seconds, 2),
            }
        )
    )


def machine() -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
        "eventsourcing": version("eventsourcing"),
    }


def main() -> None:  # noqa: PLR0915 - one straight script: build, time, measure, print, write
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=RECORDS, help=f"ledger size (default {RECORDS:,})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RECORDS:,} records")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument(
        "--events-per-grant",
        type=int,
        default=0,
        help="stretch each grant to this many events, cycling its real ones (default: the real 11; a province-year's "
        "grants have ~1,300): verify keeps a little state per grant, so this shows memory with fewer, longer grants",
    )
    parser.add_argument(
        "--sparse-checkpoints",
        action="store_true",
        help=f"a checkpoint every {SPARSE_CHECKPOINT_EVERY:,} records only (default: the ledger's own, three a grant "
        f"at its milestones and one every {CHECKPOINT_EVERY:,} records)",
    )
    parser.add_argument("--child-verify", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--public-key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_verify is not None:
        child_verify(args.child_verify, args.public_key)
        return
    records = QUICK_RECORDS if args.quick else args.records
    small = records // 10

    progress("recording the demo's 14 grants for realistic stored events ...")
    templates = demo_grant_events()
    if args.events_per_grant:
        templates = [
            (number, [events[index % len(events)] for index in range(args.events_per_grant)])
            for number, events in templates
        ]
    sizes = [len(state) for _, events in templates for _, state in events]
    key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory() as tmp:
        big_path, small_path = Path(tmp) / f"ledger-{records}.sqlite", Path(tmp) / f"ledger-{small}.sqlite"
        progress(f"building a ledger of {records:,} records ...")
        started = time.perf_counter()
        checkpoints = build_ledger(big_path, records, templates, key, sparse=args.sparse_checkpoints)
        build_seconds = time.perf_counter() - started
        progress(f"  done in {build_seconds:.0f} s, {checkpoints} checkpoints; and one of {small:,} records ...")
        build_ledger(small_path, small, templates, key, sparse=args.sparse_checkpoints)
        database_mib = sum(file.stat().st_size for file in Path(tmp).glob(f"{big_path.name}*")) / 2**20

        timings: dict[str, list[Timing]] = {"verify": [], "bare": []}
        for round_no in range(args.rounds):
            order = ("verify", "bare") if round_no % 2 == 0 else ("bare", "verify")
            for name in order:
                if name == "verify":
                    timing = run_verify(big_path, key.public_key(), label=f"round {round_no + 1} ")
                else:
                    timing = run_bare_loop(big_path, SELECT_EVENTS, state_column=4)
                if timing.records != records:
                    msg = f"{name} read {timing.records:,} records of {records:,}"
                    raise AssertionError(msg)
                timings[name].append(timing)
                progress(f"  round {round_no + 1} {name}: {timing.per_second:,.0f} records/s ({timing.seconds:.1f} s)")

        progress("peak memory of verify, each size in a fresh process ...")
        memory = [measure_memory(path, key.public_key()) for path in (small_path, big_path)]

    rate = {name: statistics.median(timing.per_second for timing in runs) for name, runs in timings.items()}
    cpu = {name: statistics.median(timing.cpu_seconds for timing in runs) for name, runs in timings.items()}
    speed_ratio = rate["verify"] / rate["bare"]
    memory_ratio = max(memory[1].rss_peak_mib, memory[1].half_rss_peak_mib) / memory[0].rss_peak_mib
    speed_verdict = "PASS" if speed_ratio >= SPEED_TARGET else "FAIL"
    memory_verdict = "PASS" if memory_ratio <= MEMORY_TARGET else "FAIL"

    grants = -(-records // len(templates[0][1]))
    print(
        f"ledger: {records:,} records in {grants:,} grants of {len(templates[0][1])} events "
        f"({database_mib:,.0f} MiB of SQLite), {checkpoints} signed checkpoints"
    )
    print(f"\n{'':<42}  {'records/s':>10}  {'ratio':>6}  target")
    print(f"{'verify_ledger':<42}  {rate['verify']:>10,.0f}  {speed_ratio:>6.3f}  {speed_verdict} (>= 1/3 = 0.333)")
    print(f"{'bare loop: events rows + SHA-256 (baseline)':<42}  {rate['bare']:>10,.0f}  {1:>6.3f}")
    print(
        f"CPU time (median): verify {cpu['verify']:.1f} s in {'two processes' if records >= APART_FROM else 'one'}, "
        f"bare loop {cpu['bare']:.1f} s in one: {cpu['bare'] / cpu['verify']:.3f} of the bare loop's records per CPU s"
    )
    print(
        f"\n{'verify, fresh process':<22}  {'records':>10}  {'RSS before':>10}  {'peak RSS':>9}  "
        f"{'2nd half':>9}  {'seconds':>7}"
    )
    for used in memory:
        print(
            f"{'':<22}  {used.records:>10,}  {used.rss_before_mib:>6.1f} MiB  {used.rss_peak_mib:>5.1f} MiB  "
            f"{used.half_rss_peak_mib:>5.1f} MiB  {used.seconds:>7.1f}"
        )
    print(
        f"peak RSS of either process at {records:,} / at {small:,}: {memory_ratio:.2f}x  {memory_verdict} "
        f"(<= {MEMORY_TARGET}x)"
    )

    RESULTS.parent.mkdir(exist_ok=True)
    results = {
        "script": "bench/verify_speed.py",
        "question": "verify runs at >= 1/3 the speed of a bare read + SHA-256 loop, peak RSS at N <= 1.2x at N/10",
        "records": records,
        "records_per_grant": len(templates[0][1]),
        "grants": grants,
        "mean_stored_event_bytes": round(statistics.mean(sizes)),
        "checkpoints": checkpoints,
        "checkpoints_taken": f"every {SPARSE_CHECKPOINT_EVERY}"
        if args.sparse_checkpoints
        else f"milestones and every {CHECKPOINT_EVERY}",
        "database_mib": round(database_mib),
        "build_seconds": round(build_seconds, 1),
        "rounds": args.rounds,
        "records_per_second": {name: round(value) for name, value in rate.items()},
        "cpu_seconds": {name: round(value, 2) for name, value in cpu.items()},
        "verify_processes": 2 if records >= APART_FROM else 1,
        "seconds_by_round": {name: [round(timing.seconds, 2) for timing in runs] for name, runs in timings.items()},
        "speed_ratio": round(speed_ratio, 3),
        "speed_target_at_least": round(SPEED_TARGET, 3),
        "speed_verdict": speed_verdict,
        "memory": [asdict(used) for used in memory],
        "memory_ratio": round(memory_ratio, 3),
        "memory_target_at_most": MEMORY_TARGET,
        "memory_verdict": memory_verdict,
        "machine": machine(),
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
