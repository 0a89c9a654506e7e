"""Proofs built from the ledger's stored hashes, for someone who holds only a signed checkpoint.

- An inclusion proof shows that one stored record (a grant's version) is in the log a checkpoint signed: the record's
  hash, its place in the log and the sibling hashes up to the checkpoint's root (RFC 6962 §2.1.1).
- A consistency proof shows that a later checkpoint's log extends an earlier one's: nothing the earlier one signed was
  removed or rewritten since (RFC 6962 §2.1.2).

Both are built in one pass over the log's hashes, read from storage a batch at a time: memory stays flat however long
the log is. A proof is checked with nothing but itself and the checkpoint (`verifies`); the checkpoint's signature is
the caller's to check, with the ledger's public key.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ledger.checkpoints import Checkpoint
from ledger.integrity import GENESIS, record_hash
from ledger.merkle import (
    consistency_proof_from_leaf_hashes,
    inclusion_proof_from_leaf_hashes,
    verify_consistency,
    verify_leaf_hash_inclusion,
)
from ledger.recorders import LedgerRecorder
from ledger.stored_values import HASH_SIZE

VERIFY = "Fix: run `grants audit verify`, which names what was changed"


class ProofError(Exception):
    """No proof can be built: the record is not stored, not yet checkpointed, or the stored log was tampered with."""


@dataclass(frozen=True)
class InclusionProof:
    """A record (its originator and version, hash and place in the log) and the path from it to a checkpoint's root."""

    originator_id: UUID
    version: int
    position: int  # 1-based place in the log; the leaf's index is one less
    record_hash: bytes  # the record's leaf hash in the log
    checkpoint: Checkpoint
    path: list[bytes]

    def verifies(self) -> bool:
        """Whether the path leads from the record's hash at its place to the checkpoint's root."""
        checkpoint = self.checkpoint
        return verify_leaf_hash_inclusion(
            self.record_hash, self.position - 1, checkpoint.tree_size, self.path, checkpoint.root
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "originator_id": str(self.originator_id),
            "version": self.version,
            "log_position": self.position,
            "leaf_index": self.position - 1,
            "record_hash": self.record_hash.hex(),
            "checkpoint": checkpoint_dict(self.checkpoint),
            "inclusion_path": [node.hex() for node in self.path],
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """Two checkpoints and the hashes that show the older one's log is the beginning of the newer one's."""

    old: Checkpoint
    new: Checkpoint
    path: list[bytes]

    def verifies(self) -> bool:
        return verify_consistency(self.old.tree_size, self.new.tree_size, self.old.root, self.new.root, self.path)

    def as_dict(self) -> dict[str, Any]:
        return {
            "old_checkpoint": checkpoint_dict(self.old),
            "new_checkpoint": checkpoint_dict(self.new),
            "consistency_path": [node.hex() for node in self.path],
        }


def checkpoint_dict(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "tree_size": checkpoint.tree_size,
        "root": checkpoint.root.hex(),
        "time": checkpoint.taken_at.isoformat(),
        "key_id": checkpoint.key_id,
        "signature": base64.b64encode(checkpoint.signature).decode(),
    }


def prove_inclusion(
    recorder: LedgerRecorder, originator_id: UUID, version: int, checkpoint: Checkpoint
) -> InclusionProof:
    """The proof that the stored record `version` of `originator_id` is in the log `checkpoint` signed.

    The record's hash is first checked against its stored bytes and its predecessor's stored hash, so that the proof
    is about this record's content, not only about a hash stored beside it.
    """
    chain = {row[3]: row for row in recorder.chain_of(originator_id)}
    row = chain.get(version)
    if row is None:
        msg = f"record {originator_id} has no stored version {version}"
        raise ProofError(msg)
    position, stored, _, _, topic, state = row
    predecessor = chain.get(version - 1)
    previous = GENESIS if version == 1 else None if predecessor is None else predecessor[1]
    what = f"record {originator_id} version {version}"
    if not _is_hash(stored) or not _is_hash(previous) or not isinstance(topic, str) or not isinstance(state, bytes):
        msg = f"{what} or the one before it is missing or holds values of the wrong type. {VERIFY}"
        raise ProofError(msg)
    if record_hash(originator_id, version, topic, state, previous) != stored:  # type: ignore[arg-type]
        msg = f"{what} does not match its stored hash. {VERIFY}"
        raise ProofError(msg)
    if position > checkpoint.tree_size:
        msg = (
            f"{what} is at log position {position}, after the {checkpoint.tree_size} records of the checkpoint. "
            "Fix: take a later checkpoint (`grants ledger checkpoint`)"
        )
        raise ProofError(msg)
    leaves = _checked_leaf(recorder, position, stored)
    try:
        path = inclusion_proof_from_leaf_hashes(leaves, position - 1, checkpoint.tree_size)
    except ValueError as error:
        raise ProofError(_shorter(checkpoint, error)) from None
    return InclusionProof(originator_id, version, position, stored, checkpoint, path)


def prove_consistency(recorder: LedgerRecorder, old: Checkpoint, new: Checkpoint) -> ConsistencyProof:
    """The proof that the log `new` signed begins with the log `old` signed."""
    if old.tree_size > new.tree_size:
        msg = (
            f"the older checkpoint holds {old.tree_size} records, more than the {new.tree_size} of the newer one: "
            "a log only grows. Fix: name the earlier checkpoint first"
        )
        raise ProofError(msg)
    try:
        path = consistency_proof_from_leaf_hashes(recorder.hashes_after(0), old.tree_size, new.tree_size)
    except ValueError as error:
        raise ProofError(_shorter(new, error)) from None
    return ConsistencyProof(old, new, path)


def _checked_leaf(recorder: LedgerRecorder, position: int, stored: bytes) -> Iterator[bytes]:
    """The log's hashes in order, checking on the way that the record's is at its place (no row missing before it)."""
    for index, leaf in enumerate(recorder.hashes_after(0), 1):
        if index == position and leaf != stored:
            msg = f"the log's record {position} is not the one stored at that position. {VERIFY}"
            raise ProofError(msg)
        yield leaf


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _shorter(checkpoint: Checkpoint, error: ValueError) -> str:
    return f"the ledger holds fewer records than {checkpoint.describe()} ({error}). {VERIFY}"
