"""The log's half of `verify`: the Merkle log over the stored record hashes, held to every signed checkpoint.

As the pass (audit/log_pass.py) feeds the log a batch of record hashes, its root is compared with each checkpoint's
as it reaches that size (a forged grant whose chain was recomputed, a grant deleted whole, a truncated tail or a
restored backup cannot match what was signed). The checkpoints are read alongside in order of size, one size at a
time with the next read ahead, so memory stays flat however many there are.

Checkpoints follow one another (ledger/checkpoints.py): a checkpoint that one of the next size follows is vouched for
by that one, so only the signatures of the checkpoints nothing follows are verified (normally the newest alone), with
those of format v1 and the one kept outside. A checkpoint removed from between two that follow one another shows as
the later following a checkpoint the ledger no longer holds. (The ledger follows nothing, FIRST, after a latest
checkpoint it cannot vouch for; one removed before such a break goes unnoticed, as any did before checkpoints
followed one another: checkpoints kept outside are what hold the ledger to its past.)
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from itertools import groupby

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.problem import PartReport, Problem
from ledger.checkpoints import FIRST, Checkpoint, is_signed_by, key_id_of
from ledger.merkle import MerkleLog
from ledger.recorders import LedgerRecorder, MalformedCheckpoint
from ledger.stored_values import describe


def extend_log(log: MerkleLog, hashes: list[bytes], claims: Claims, report: PartReport) -> None:
    """Append a batch's record hashes, comparing the root with the checkpoints of every size reached."""
    start, end = log.size, log.size + len(hashes)
    while claims.size is not None and claims.size <= end:
        log.extend_leaf_hashes(hashes[log.size - start : claims.size - start])
        if not claims.vouched or log.frontier_bytes() != claims.group[0].frontier:
            _compare_roots(log, claims.group, report)  # folds the root: ten hashes or so
        claims.advance()
    log.extend_leaf_hashes(hashes[log.size - start :])


class Claims:
    """The checkpoints the log is held to, the ledger's and one kept outside, read in order of size as the pass
    reaches them, the next size read ahead. Each size is checked as it is reached: the signatures of its checkpoints
    that none of the next size follows, that none of the next size follows a checkpoint the ledger no longer holds,
    its stored values' types, and its roots against each other."""

    def __init__(  # noqa: PLR0913 - the claims, whom they are checked for, and which of them
        self,
        integrity: LedgerRecorder,
        public_key: Ed25519PublicKey,
        against: Checkpoint | None,
        report: PartReport,
        *,
        after: int = -1,
        stop: int | None = None,
    ) -> None:
        """The claims of checkpoints of more than `after` records and at most `stop` (None: any number)."""
        self.public_key, self.key_id, self.report, self.against = public_key, key_id_of(public_key), report, against
        self.stop = stop
        outside = [against] if against is not None and against.tree_size > after else []
        merged = heapq.merge(self._well_formed(integrity, after), outside, key=_size)
        self._groups = groupby(merged, key=_size)
        self.size: int | None = None  # of the next checkpoints to compare with the log; None when there are no more
        self.group: list[Checkpoint] = []  # the checkpoints of that size
        self.vouched = False  # whether the group is one checkpoint the next follows (its frontier vouched for)
        self._next = self._read()
        if after < 0:  # else the pass over the records before checked what the first checkpoints here follow
            _check_followed(self._next, -1, set(), self.report)
        self.advance()

    def advance(self) -> None:
        """Move on to the checkpoints of the next size and check them."""
        group, following = self._next, self._read()
        self.group, self._next, self.size, self.vouched = group, following, None, False
        if not group or (self.stop is not None and group[0].tree_size > self.stop):
            self.group = []  # beyond this stretch of the log: the next pass's (which reads them again)
            return
        self.size = size = group[0].tree_size
        if len(group) == 1 and len(following) == 1:  # the common case, decided at once: the next follows this one
            only, after = group[0], following[0].follows
            ours = only is not self.against and only.follows is not None  # the outside one is always checked
            if ours and after is not None and after.tree_size == size and after.digest == only.digest():
                self.vouched = True
                return
        followed = {
            checkpoint.follows.digest
            for checkpoint in self._next
            if checkpoint.follows is not None and checkpoint.follows.tree_size == size
        }
        digests = [checkpoint.digest() for checkpoint in self.group]
        unvouched = [
            checkpoint
            for checkpoint, digest in zip(self.group, digests, strict=True)
            if checkpoint is self.against or checkpoint.follows is None or digest not in followed
        ]
        forged = _check_signatures(unvouched, self.public_key, self.key_id, self.report)
        if not forged:  # a forged checkpoint is why the next may not follow one here: reported once, there
            _check_followed(self._next, size, set(digests), self.report)
        _check_one_root(self.group, self.report)

    def _read(self) -> list[Checkpoint]:
        """The checkpoints of the next size (none at the end)."""
        for _, group in self._groups:
            return list(group)
        return []

    def _well_formed(self, integrity: LedgerRecorder, after: int) -> Iterator[Checkpoint]:
        """The ledger's checkpoints of more than `after` records, counted up to `stop`; each value of the wrong type
        in a checkpoint row reported instead (by the last stretch if its size is not a number: SQLite sorts text and
        blobs after every number)."""
        for row in integrity.checkpoints(after=after):
            size = row.tree_size
            if self.stop is None or (type(size) in {int, float} and size <= self.stop):  # type: ignore[operator]
                self.report.checkpoints += 1
                if isinstance(row, MalformedCheckpoint):
                    _report_malformed(row, self.report)
                    continue
            if isinstance(row, Checkpoint):
                yield row


def _size(checkpoint: Checkpoint) -> int:
    return checkpoint.tree_size


def _check_followed(checkpoints: list[Checkpoint], size: int, held: set[bytes], report: PartReport) -> None:
    """Each checkpoint follows one of those of the size before it (whose digests are `held`), nothing (FIRST), or
    one of a smaller size (two were taken at once after the same one); else the one it follows is missing."""
    for checkpoint in checkpoints:
        follows = checkpoint.follows
        if follows is None or follows == FIRST or follows.tree_size < size:
            continue
        if follows.tree_size > size or follows.digest not in held:
            report.problems.append(
                Problem(
                    "checkpoint missing",
                    f"checkpoint of {follows.tree_size} records (before the {checkpoint.describe()})",
                    f"the checkpoint it follows, digest {follows.digest.hex()[:16]}",
                    "none" if follows.tree_size != size else f"{len(held)} others of that size",
                )
            )


def _report_malformed(row: MalformedCheckpoint, report: PartReport) -> None:
    where = f"checkpoint of {row.tree_size} records"
    if type(row.tree_size) is not int:
        where = f"checkpoint of {describe(row.tree_size)} records (root {describe(row.root)})"
    for wrong in row.wrong:
        report.problems.append(Problem("stored value of the wrong type", where, wrong.expected, wrong.found))


def _check_signatures(
    checkpoints: Iterable[Checkpoint], public_key: Ed25519PublicKey, key_id: str, report: PartReport
) -> bool:
    """Report each checkpoint whose signature does not verify; whether there was one."""
    forged = False
    for checkpoint in checkpoints:
        if not is_signed_by(checkpoint, public_key, key_id):
            forged = True
            report.problems.append(
                Problem(
                    "checkpoint signature invalid",
                    checkpoint.describe(),
                    "a signature by the ledger's key",
                    f"one that does not verify (key id {checkpoint.key_id})",
                )
            )
    return forged


def _check_one_root(same_size: list[Checkpoint], report: PartReport) -> None:
    """Checkpoints of one size must agree: two roots are a split view (or a forgery with a leaked key)."""
    roots = {checkpoint.root for checkpoint in same_size}
    if len(roots) > 1:
        report.problems.append(
            Problem(
                "two checkpoints of one size disagree",
                f"checkpoints of {same_size[0].tree_size} records",
                "one root",
                ", ".join(sorted(root.hex()[:16] for root in roots)),
            )
        )


def _compare_roots(log: MerkleLog, checkpoints: list[Checkpoint], report: PartReport) -> None:
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
