"""`verify`: prove the ledger was not rewritten, or say precisely where it was.

One streaming pass over the global log in order (audit/log_pass.py), reading each event row with the hash stored
beside it:
- every stored record hash is fed into a Merkle log, whose root is compared with every signed checkpoint as the
  pass reaches its size (audit/checkpoint_check.py);
- every record's hash is recomputed from its stored bytes and its grant's previous record, and compared with the
  stored one (audit/chain_check.py).
On a large ledger the log is cut in two at a checkpoint near its middle and each half has its own pass, the second
in a process of its own (the pass is bound by the CPU; each half then has a core). Memory stays flat however many
records, grants and checkpoints the ledger holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.chain_check import Chains, Tip, named
from audit.log_pass import WHOLE, Part, check_part
from audit.problem import PartReport, Problem
from audit.verify_apart import checked_apart
from domain.errors import GrantNotFoundError
from domain.grant import grant_id
from ledger.application import GrantLedger
from ledger.checkpoints import Checkpoint
from ledger.integrity import GENESIS, record_prefix
from ledger.recorders import CheckpointRow, LedgerRecorder
from ledger.stored_values import describe

__all__ = ["Problem", "VerifyReport", "verify_grant", "verify_ledger"]

APART_FROM = 200_000  # records from which the log is verified in two halves at once (a process takes ~0.3 s to start)


@dataclass
class VerifyReport(PartReport):
    """What every pass found (chains: one per aggregate: grants, decisions, beneficiary lists, people), and when."""

    seconds: float = 0.0

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
    integrity = ledger.integrity
    size = integrity.log_size()
    halves = _halves(integrity, size) if size >= APART_FROM else None
    if halves is None:
        _add(report, check_part(integrity, public_key, against, WHOLE, progress))
    else:
        first, second = halves
        with checked_apart(ledger.name, ledger.env, public_key, against, second) as second_report:
            _add(report, check_part(integrity, public_key, against, first, progress))
            _add(report, second_report())
    unchained = [] if ledger.integrity.event_count() == report.records else ledger.integrity.unchained_events()
    for originator, version in unchained:
        where = f"{named(integrity, originator)} version {describe(version).removeprefix('integer ')}"
        report.problems.append(Problem("event outside the chain", where, "a chain link", "none"))
    report.seconds = time.perf_counter() - started
    return report


def verify_grant(ledger: GrantLedger, grant_no: str) -> VerifyReport:
    """Check one grant's chain only (quick; the full `verify_ledger` also proves nothing else was removed)."""
    started = time.perf_counter()
    records = ledger.integrity.chain_of(grant_id(grant_no))
    if not records:
        raise GrantNotFoundError(grant_no)
    report = VerifyReport(chains=1, records=len(records))
    chains = Chains(ledger.integrity, report.problems)
    tip: Tip = (0, GENESIS, record_prefix(grant_id(grant_no).bytes))
    for record in records:
        tip = chains.irregular(record, tip)
    report.seconds = time.perf_counter() - started
    return report


def _add(report: VerifyReport, part: PartReport) -> None:
    report.records += part.records
    report.chains += part.chains
    report.checkpoints += part.checkpoints
    report.problems.extend(part.problems)


def _halves(integrity: LedgerRecorder, size: int) -> tuple[Part, Part] | None:
    """The log cut at its checkpoint nearest below its middle, if that one's stored frontier folds to its signed root
    (the frontier itself is not signed) and it is in the log's second quarter; else None: one pass does it all.

    A log tampered with before the cut differs from the cut checkpoint there (the first half reports it); the second
    half goes on from the frontier the cut checkpoint signed for, so later checkpoints that differ only because of
    that are not reported again; nor is a record whose predecessor, the last before the cut, had its stored hash
    changed (as for a chain resumed from a stored hash in one pass)."""
    cut = integrity.checkpoint_before(size // 2)
    if not isinstance(cut, CheckpointRow) or cut.tree_size < size // 4:
        return None
    log = cut.log()
    position = integrity.position_of(cut.tree_size)
    if log is None or position is None:
        return None
    return Part(stop=cut.tree_size), Part(cut.tree_size, position, None, tuple(log.frontier()))
