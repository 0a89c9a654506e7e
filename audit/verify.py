"""`verify`: prove the ledger was not rewritten, or say precisely where it was.

One streaming pass over the global log in order: each record's hash is recomputed from its stored bytes
and its grant's previous record (the per-grant chain), fed into a Merkle log, and the log's root is
compared with every signed checkpoint as the pass reaches its size. Memory grows with the number of
grants (the tip of each chain), never with the number of records.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.errors import GrantNotFoundError
from domain.grant import grant_id
from ledger.application import GrantLedger
from ledger.checkpoints import Checkpoint, is_signed_by
from ledger.integrity import GENESIS, StoredRecord, record_hash
from ledger.merkle import MerkleLog

PROGRESS_EVERY = 100_000


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
    grants: int = 0
    records: int = 0
    checkpoints: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Chains:
    """The tip of every grant's chain seen so far, and each grant's number for messages."""

    tips: dict[UUID, tuple[int, bytes]] = field(default_factory=dict)
    names: dict[UUID, str] = field(default_factory=dict)

    def name(self, originator: UUID) -> str:
        return f"grant {self.names[originator]}" if originator in self.names else f"record {originator}"

    def check(self, record: StoredRecord, report: VerifyReport) -> bytes:
        """Check one record against its chain; return the hash the log must contain for it."""
        link = record.link
        where = f"{self.name(link.originator_id)} version {link.version} (log position {link.position})"
        if record.state is None or record.topic is None:
            report.problems.append(Problem("record deleted", where, "a stored event", "none (its row is gone)"))
            return link.hash
        if link.version == 1:
            self.names[link.originator_id] = _grant_no(record.state) or str(link.originator_id)
            where = f"{self.name(link.originator_id)} version 1 (log position {link.position})"
        last_version, previous = self.tips.get(link.originator_id, (0, GENESIS))
        if link.version != last_version + 1:
            report.problems.append(
                Problem("chain out of order", where, f"version {last_version + 1} next", f"version {link.version}")
            )
        computed = record_hash(link.originator_id, link.version, record.topic, record.state, previous)
        if computed != link.hash:
            report.problems.append(
                Problem("stored record changed", where, f"hash {computed.hex()[:16]}", f"{link.hash.hex()[:16]}")
            )
        self.tips[link.originator_id] = (link.version, computed)
        return computed


def verify_ledger(
    ledger: GrantLedger,
    public_key: Ed25519PublicKey,
    against: Checkpoint | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Check every chain, the Merkle log and every checkpoint (and one kept outside, if given)."""
    started = time.perf_counter()
    report = VerifyReport()
    checkpoints = ledger.checkpoints()
    report.checkpoints = len(checkpoints)
    _check_signatures([*checkpoints, *([against] if against else [])], public_key, report)
    by_size = _by_size([*checkpoints, *([against] if against else [])], report)
    chains, log = _Chains(), MerkleLog()
    for record in ledger.integrity.records_after(0):
        if record.link.position != log.size + 1:
            report.problems.append(
                Problem(
                    "log position missing",
                    f"log position {log.size + 1}",
                    f"position {log.size + 1}",
                    f"position {record.link.position} next",
                )
            )
        log.append(chains.check(record, report))
        _compare_roots(log, by_size.pop(log.size, []), report)
        if progress is not None and log.size % PROGRESS_EVERY == 0:
            progress(log.size)
    for size, claimed in sorted(by_size.items()):
        report.problems.append(
            Problem(
                "log truncated",
                f"{claimed[0].describe()}",
                f"at least {size} records",
                f"{log.size} records in the ledger",
            )
        )
    for originator, version in ledger.integrity.unlinked_events():
        report.problems.append(
            Problem("event outside the chain", f"{chains.name(originator)} version {version}", "a chain link", "none")
        )
    report.records, report.grants = log.size, len(chains.tips)
    report.seconds = time.perf_counter() - started
    return report


def verify_grant(ledger: GrantLedger, grant_no: str) -> VerifyReport:
    """Check one grant's chain only (quick; the full `verify_ledger` also proves nothing else was removed)."""
    started = time.perf_counter()
    report, chains = VerifyReport(grants=1), _Chains()
    records = ledger.integrity.records_of(grant_id(grant_no))
    if not records:
        raise GrantNotFoundError(grant_no)
    for record in records:
        chains.check(record, report)
    report.records = len(records)
    report.seconds = time.perf_counter() - started
    return report


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
    root = log.root() if checkpoints else b""
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


def _grant_no(state: bytes) -> str | None:
    try:
        decoded = json.loads(state)
    except ValueError:
        return None
    value = decoded.get("grant_no") if isinstance(decoded, dict) else None
    return value if isinstance(value, str) else None
