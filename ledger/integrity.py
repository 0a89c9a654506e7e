"""The hash chain: what each stored record's hash covers, and the rows that keep it.

A record's hash covers its originator id, version, topic and stored bytes (the ciphertext, where a cipher
is configured) and the hash of the grant's previous record. Editing, reordering or deleting a record
breaks the chain; a grant forged whole, with its chain recomputed, is caught by the Merkle log over all
record hashes (ledger/merkle.py) and its signed checkpoints (ledger/checkpoints.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

GENESIS = bytes(32)  # the "previous hash" of a grant's first record
RECORD_DOMAIN = b"grant-ledger/record/v1\x00"  # so a record hash can never be mistaken for another hash


def record_hash(originator_id: UUID, version: int, topic: str, state: bytes, previous: bytes) -> bytes:
    """SHA-256 over the record's fields, each length-prefixed so that no two records encode alike."""
    topic_bytes = topic.encode()
    digest = hashlib.sha256(RECORD_DOMAIN)
    digest.update(originator_id.bytes)
    digest.update(version.to_bytes(8, "big"))
    digest.update(len(topic_bytes).to_bytes(4, "big"))
    digest.update(topic_bytes)
    digest.update(len(state).to_bytes(8, "big"))
    digest.update(state)
    digest.update(previous)
    return digest.digest()


@dataclass(frozen=True)
class ChainLink:
    """One row of the record_hashes table: where a record stands in the global log, and its hash."""

    position: int  # 1-based place in the global log (notification order, without gaps)
    originator_id: UUID
    version: int
    hash: bytes


@dataclass(frozen=True)
class StoredRecord:
    """A chain link joined with the stored event it covers (None where the event row is gone)."""

    link: ChainLink
    topic: str | None
    state: bytes | None
