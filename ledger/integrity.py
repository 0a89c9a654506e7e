"""The hash chain: what each stored record's hash covers (each event row keeps its own: ledger/recorders.py).

A record's hash covers its originator id, version, topic and stored bytes (the ciphertext, where a cipher
is configured) and the hash of the grant's previous record. Editing, reordering or deleting a record
breaks the chain; a grant forged whole, with its chain recomputed, is caught by the Merkle log over all
record hashes (ledger/merkle.py) and its signed checkpoints (ledger/checkpoints.py).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from functools import lru_cache
from uuid import UUID

GENESIS = bytes(32)  # the "previous hash" of a grant's first record
# A record's hash is the RFC 6962 leaf hash (0x00 prefix) of the record's encoding, which begins with this tag:
# the same hash links the grant's chain and is the record's leaf in the global Merkle log.
RECORD_DOMAIN = b"\x00grant-ledger/record/v1\x00"
_UINT64 = struct.Struct(">Q").pack  # versions and lengths: 8 bytes, big-endian (as int.to_bytes(8, "big"), faster)


def record_hash(originator_id: UUID, version: int, topic: str, state: bytes, previous: bytes) -> bytes:
    """SHA-256 over the record's fields, each length-prefixed so that no two records encode alike.

    It is also the record's Merkle leaf hash (ledger/merkle.py), so verifying a record costs one hash, not two.
    """
    return hash_of_record(record_prefix(originator_id.bytes), version, encoded_topic(topic), state, previous)


def record_prefix(originator: bytes) -> bytes:
    """What every record of one grant starts with: the domain tag and the grant's id (16 bytes)."""
    return RECORD_DOMAIN + originator


def topic_field(topic: bytes) -> bytes:
    """The topic, length-prefixed."""
    return len(topic).to_bytes(4, "big") + topic


@lru_cache(maxsize=1024)  # topics name event classes: a few dozen, met a million times
def encoded_topic(topic: str) -> bytes:
    """`topic_field` of a topic as text."""
    return topic_field(topic.encode())


def hash_of_record(prefix: bytes, version: int, topic: bytes, state: bytes, previous: bytes) -> bytes:
    """`record_hash` from its precomputed parts: the verifier's hot loop calls this a million times."""
    return hashlib.sha256(b"".join((prefix, _UINT64(version), topic, _UINT64(len(state)), state, previous))).digest()


@dataclass(frozen=True)
class ChainLink:
    """A record's place in the chain and the log: its grant, version, position in the global log and hash."""

    position: int  # 1-based place in the global log (notification order, without gaps)
    originator_id: UUID
    version: int
    hash: bytes


# One place of the global log, as the verifier streams it: position, the record hash stored with the event, the
# grant (originator id as 32 hex digits) and version, then its topic and stored bytes (as stored: a tampered row
# may hold None or text). A tuple, not an object: the verifier reads a million of them.
LogRecord = tuple[int, bytes, str, int, str | None, bytes | None]


@dataclass(frozen=True)
class StoredRecord:
    """A record's chain link with its stored topic and bytes (None where a tampered row holds none)."""

    link: ChainLink
    topic: str | None
    state: bytes | None
