"""One pass over a stretch of the global log, in order: every record's chain link, and the Merkle log over the
stored record hashes held to the checkpoints of that stretch.

`verify` runs it over the whole log; on a large ledger, over its two halves at once, the second in a process of its
own (audit/verify_apart.py): the pass is bound by the CPU, and the halves share nothing but the Merkle log's frontier
where they meet, which the checkpoint there vouches for (it must fold to the signed root, and the first half proves
that root). Chains that cross into the second half resume from the hash stored with their latest earlier record,
as chains forgotten by the tips cache do; the first half checks that hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.chain_check import Chains
from audit.checkpoint_check import Claims, extend_log
from audit.problem import PartReport, Problem
from ledger.checkpoints import Checkpoint
from ledger.integrity import encoded_topic, hash_of_record
from ledger.merkle import MerkleLog
from ledger.recorders import LedgerRecorder

PROGRESS_EVERY = 100_000


@dataclass(frozen=True)
class Part:
    """A stretch of the log: the records after its first `start`, the last of which is at log position `after`, up
    to `stop` records of the log in all (None: to its end); and the Merkle log's frontier after the first `start`."""

    start: int = 0
    after: int = 0
    stop: int | None = None
    frontier: tuple[bytes, ...] = ()


WHOLE = Part()


def check_part(
    integrity: LedgerRecorder,
    public_key: Ed25519PublicKey,
    against: Checkpoint | None,
    part: Part,
    progress: Callable[[int], None] | None = None,
) -> PartReport:
    """The pass, a batch of rows at a time. Its inner loop is flat on purpose: it runs a million times, and only the
    rare paths call out (a record of another shape than the common one, with values of the wrong type included,
    takes `irregular`); the Merkle log takes each batch's hashes at once, up to each checkpoint's size."""
    report = PartReport()
    chains = Chains(integrity, report.problems)
    claims = Claims(integrity, public_key, against, report, after=part.start or -1, stop=part.stop)
    log = MerkleLog.from_frontier(part.start, part.frontier)
    extend_log(log, [], claims, report)  # checkpoints of the empty log
    next_position, tips = part.after + 1, chains.tips
    for batch in integrity.log_batches(after=part.after):
        rows = batch if part.stop is None else batch[: part.stop - log.size]
        for record in rows:
            position, stored, originator, version, topic, state = record
            if position != next_position:
                chains.positions_missing(next_position, position)
            next_position = position + 1
            tip = tips.pop(originator, None) or chains.resume(originator, version)  # re-inserted last, below
            if version == tip[0] + 1 and type(state) is bytes and type(topic) is str:
                if hash_of_record(tip[2], version, encoded_topic(topic), state, tip[1]) != stored:
                    stored = chains.changed(record, tip)
                tips[originator] = (version, stored, tip[2])
            else:
                tips[originator] = chains.irregular(record, tip)
        chains.forget_oldest()
        extend_log(log, chains.leaf_hashes(rows), claims, report)
        report.records += len(rows)
        if progress is not None and log.size // PROGRESS_EVERY > (log.size - len(rows)) // PROGRESS_EVERY:
            progress(log.size)
        if log.size == part.stop:
            break
    while claims.size is not None:  # checkpoints of more records than the ledger holds
        expected, found = f"at least {claims.size} records", f"{log.size} records in the ledger"
        report.problems.append(Problem("log truncated", claims.group[0].describe(), expected, found))
        claims.advance()
    report.chains = chains.count
    return report
