"""`verify`: prove the ledger was not rewritten, or say precisely where it was.

One streaming pass over the global log in order, reading each event row with the hash stored beside it:
- every stored record hash is fed into a Merkle log, whose root is compared with every signed checkpoint as the
  pass reaches its size (a forged grant whose chain was recomputed, a grant deleted whole, a truncated tail or a
  restored backup cannot match what was signed);
- every record's hash is recomputed from its stored bytes and its grant's previous record, and compared with the
  stored one (an edited or swapped event); a version missing from a grant's chain is a deleted record, a
  position missing from the log a deleted row.
The tips of recently seen chains are kept in a bounded cache; a chain that fell out of it resumes from the hash
stored with its latest earlier record, which this pass has already checked. So memory stays flat however many
records and grants the ledger holds.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.errors import GrantNotFoundError
from domain.grant import grant_id
from ledger.application import GrantLedger
from ledger.checkpoints import Checkpoint, is_signed_by
from ledger.integrity import GENESIS, LogRecord, encoded_topic, hash_of_record, record_prefix
from ledger.merkle import MerkleLog

PROGRESS_EVERY = 100_000
TIPS_KEPT = 10_000  # chains whose tip is kept in memory; a forgotten one costs one query when it resumes


@dataclass(frozen=True)
class Problem:
    """One thing that does not match: where, what was expected, what was found."""

    what: str
    where: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}: expected {self.expected}, found {self.found}"


@dataclass
class VerifyReport:
    chains: int = 0  # one per aggregate: grants, decisions, beneficiary lists, people
    records: int = 0
    checkpoints: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_ledger(
    ledger: GrantLedger,
    public_key: Ed25519PublicKey,
    against: Checkpoint | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Check the Merkle log against every checkpoint (and one kept outside, if given), and every chain."""
    started = time.perf_counter()
    report = VerifyReport()
    checkpoints = ledger.checkpoints()
    report.checkpoints = len(checkpoints)
    claimed = [*checkpoints, *([against] if against else [])]
    _check_signatures(claimed, public_key, report)
    report.records, report.chains = _check_log(ledger, _by_size(claimed, report), report, progress)
    unchained = [] if ledger.integrity.event_count() == report.records else ledger.integrity.unchained_events()
    for originator, version in unchained:
        report.problems.append(
            Problem("event outside the chain", f"{_name(ledger, originator)} version {version}", "a chain link", "none")
        )
    report.seconds = time.perf_counter() - started
    return report


def verify_grant(ledger: GrantLedger, grant_no: str) -> VerifyReport:
    """Check one grant's chain only (quick; the full `verify_ledger` also proves nothing else was removed)."""
    started = time.perf_counter()
    records = ledger.integrity.records_of(grant_id(grant_no))
    if not records:
        raise GrantNotFoundError(grant_no)
    report = VerifyReport(chains=1, records=len(records))
    chains, last_version, previous = _Chains(ledger, report), 0, GENESIS
    prefix = record_prefix(grant_id(grant_no).bytes)
    for record in records:
        link = record.link
        row = (link.position, link.hash, link.originator_id.hex, link.version, record.topic, record.state)
        chains.irregular(row, (last_version, previous, prefix))
        last_version, previous = link.version, link.hash
    report.seconds = time.perf_counter() - started
    return report


def _check_log(
    ledger: GrantLedger,
    by_size: dict[int, list[Checkpoint]],
    report: VerifyReport,
    progress: Callable[[int], None] | None,
) -> tuple[int, int]:
    """The pass itself, a batch of rows at a time. Its inner loop is flat on purpose: it runs a million times, and
    only the rare paths call out; the Merkle log takes each batch's hashes at once, up to each checkpoint's size."""
    log, chains, count, next_position = MerkleLog(), _Chains(ledger, report), 0, 1
    tips = chains.tips
    for rows in ledger.integrity.log_batches():
        for record in rows:
            position, stored, originator, version, topic, state = record
            if position != next_position:
                chains.positions_missing(next_position, position)
            next_position = position + 1
            tip = tips.pop(originator, None) or chains.resume(originator, version)  # re-inserted last, below
            if version == tip[0] + 1 and type(state) is bytes:
                if hash_of_record(tip[2], version, encoded_topic(topic), state, tip[1]) != stored:
                    chains.changed(record, tip)
            else:
                chains.irregular(record, tip)
            tips[originator] = (version, stored, tip[2])
        chains.forget_oldest()
        count = _extend_log(log, [record[1] for record in rows], by_size, report)
        if progress is not None and count // PROGRESS_EVERY > (count - len(rows)) // PROGRESS_EVERY:
            progress(count)
    for size, unmatched in sorted(by_size.items()):
        expected, found = f"at least {size} records", f"{count} records in the ledger"
        report.problems.append(Problem("log truncated", unmatched[0].describe(), expected, found))
    return count, chains.count


def _extend_log(log: MerkleLog, hashes: list[bytes], by_size: dict[int, list[Checkpoint]], report: VerifyReport) -> int:
    """Append a batch's record hashes, comparing the root with the checkpoints of every size reached; the new size."""
    start, end = log.size, log.size + len(hashes)
    for size in sorted(size for size in by_size if start < size <= end):
        log.extend_leaf_hashes(hashes[log.size - start : size - start])
        _compare_roots(log, by_size.pop(size), report)
    log.extend_leaf_hashes(hashes[log.size - start :])
    return log.size


# A chain's tip as the pass keeps it: the version and stored hash of its latest record, and its record prefix.
Tip = tuple[int, bytes, bytes]


class _Chains:
    """The tips of the chains seen lately (grant id -> `Tip`), and what happens off the common path."""

    def __init__(self, ledger: GrantLedger, report: VerifyReport) -> None:
        self.ledger, self.report = ledger, report
        self.tips: dict[str, Tip] = {}
        self.count = 0  # chains begun: grants, decisions, lists, people

    def resume(self, originator: str, version: int) -> Tip:
        """A chain not in memory: a new grant, or one forgotten (resumed from its latest earlier record)."""
        prefix = record_prefix(bytes.fromhex(originator))
        earlier = None if version == 1 else self.ledger.integrity.latest_before(originator, version)
        if earlier is None:
            self.count += 1
            return 0, GENESIS, prefix
        return *earlier, prefix

    def forget_oldest(self) -> None:
        """Keep at most TIPS_KEPT chains in memory: the ones seen longest ago go."""
        tips = self.tips
        for oldest in list(islice(tips, max(0, len(tips) - TIPS_KEPT))):
            del tips[oldest]

    def positions_missing(self, expected: int, found: int) -> None:
        """Rows gone from the log (or moved): reported once per gap, not once for every record after it."""
        self.report.problems.append(
            Problem(
                "log position missing", f"log position {expected}", f"position {expected}", f"position {found} next"
            )
        )

    def changed(self, record: LogRecord, tip: Tip) -> None:
        position, stored, originator, version, topic, state = record
        computed = hash_of_record(tip[2], version, encoded_topic(topic or ""), _as_bytes(state), tip[1])
        expected = f"hash {computed.hex()[:16]}"
        self._problem("stored record changed", originator, version, position, expected, stored.hex()[:16])

    def irregular(self, record: LogRecord, tip: Tip) -> None:
        """A record off the common path: after a gap in its chain, out of order, or stored as other than bytes.

        After a gap the record's own hash cannot be checked (it covers the deleted record's); the Merkle log and the
        checkpoints still cover it.
        """
        position, stored, originator, version, topic, state = record
        last_version, previous, prefix = tip
        if version > last_version + 1:
            missing = f"version {last_version + 1}"
            if version > last_version + 2:
                missing = f"versions {last_version + 1} to {version - 1}"
            where = f"{_name(self.ledger, UUID(originator))} {missing} (before log position {position})"
            self.report.problems.append(Problem("record deleted", where, "its stored event", "none"))
            return
        if version <= last_version:
            expected = f"version {last_version + 1} next"
            self._problem("chain out of order", originator, version, position, expected, f"version {version}")
        if hash_of_record(prefix, version, encoded_topic(topic or ""), _as_bytes(state), previous) != stored:
            self.changed(record, tip)

    def _problem(  # noqa: PLR0913, PLR0917 - where and what, for the message
        self, what: str, originator: str, version: int, position: int, expected: str, found: str
    ) -> None:
        where = f"{_name(self.ledger, UUID(originator))} version {version} (log position {position})"
        self.report.problems.append(Problem(what, where, expected, found))


def _as_bytes(state: object) -> bytes:
    """Stored bytes as hashed; a tampered row may hold nothing, or text where bytes belong."""
    if state is None:
        return b""
    return state if isinstance(state, bytes) else str(state).encode()


def _check_signatures(checkpoints: Iterable[Checkpoint], public_key: Ed25519PublicKey, report: VerifyReport) -> None:
    for checkpoint in checkpoints:
        if not is_signed_by(checkpoint, public_key):
            report.problems.append(
                Problem(
                    "checkpoint signature invalid",
                    checkpoint.describe(),
                    "a signature by the ledger's key",
                    f"one that does not verify (key id {checkpoint.key_id})",
                )
            )


def _by_size(checkpoints: Iterable[Checkpoint], report: VerifyReport) -> dict[int, list[Checkpoint]]:
    grouped: dict[int, list[Checkpoint]] = defaultdict(list)
    for checkpoint in checkpoints:
        grouped[checkpoint.tree_size].append(checkpoint)
    for size, same_size in grouped.items():
        roots = {checkpoint.root for checkpoint in same_size}
        if len(roots) > 1:
            report.problems.append(
                Problem(
                    "two checkpoints of one size disagree",
                    f"checkpoints of {size} records",
                    "one root",
                    ", ".join(sorted(root.hex()[:16] for root in roots)),
                )
            )
    return grouped


def _compare_roots(log: MerkleLog, checkpoints: list[Checkpoint], report: VerifyReport) -> None:
    root = log.root()
    for checkpoint in checkpoints:
        if checkpoint.root != root:
            report.problems.append(
                Problem(
                    "log differs from its checkpoint",
                    checkpoint.describe(),
                    f"root {checkpoint.root.hex()[:16]}",
                    f"root {root.hex()[:16]} over the ledger's first {log.size} records",
                )
            )


def _name(ledger: GrantLedger, originator: UUID) -> str:
    records = ledger.integrity.records_of(originator)
    first = next((record.state for record in records if record.link.version == 1), None)
    grant_no = _grant_no(first) if first else None
    return f"grant {grant_no}" if grant_no else f"record {originator}"


def _grant_no(state: bytes) -> str | None:
    try:
        decoded = json.loads(state)
    except ValueError:
        return None
    value = decoded.get("grant_no") if isinstance(decoded, dict) else None
    return value if isinstance(value, str) else None
