"""What each of the ledger's columns must hold, and what a tampered row holds instead, said in a few words.

SQLite keeps any value in any column (a record hash as text, a version as a blob), and an attacker with database
rights can put one there; PostgreSQL keeps the declared types, but a NULL where the ledger never writes one. Rows are
read as they are stored and judged here, so that `verify` reports each wrongly typed value where it is instead of
failing on it. The checks run off the verifier's common path: a well-typed row never comes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

HASH_SIZE = 32  # SHA-256
SHOWN_CHARACTERS = 24  # of a wrong value: enough to recognise it, never a whole stored event
HEX_DIGITS = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class WrongType:
    """One stored value that is not of its column's type."""

    column: str
    expected: str
    found: str


def describe(value: object) -> str:
    """A stored value in a few words: its type and its beginning (`text 'abc'`, `3 bytes 0a0b0c`, `NULL`)."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        shown = value if len(value) <= SHOWN_CHARACTERS else f"{value[:SHOWN_CHARACTERS]}..."
        return f"text {shown!r}"
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        shown = data[: SHOWN_CHARACTERS // 2].hex() + ("..." if len(data) > SHOWN_CHARACTERS // 2 else "")
        return f"{len(data)} bytes {shown}".rstrip()
    kind = {bool: "boolean", int: "integer", float: "real"}.get(type(value), type(value).__name__)
    return f"{kind} {value!r}"[: SHOWN_CHARACTERS * 2]


def wrong_hash(column: str, value: object) -> WrongType | None:
    if isinstance(value, bytes) and len(value) == HASH_SIZE:
        return None
    return WrongType(column, f"{column} as {HASH_SIZE} bytes", describe(value))


def wrong_originator(value: object) -> WrongType | None:
    """An originator id as the ledger stores it: a UUID's 32 lowercase hex digits (any other spelling of the same
    UUID would hide the record from its grant, whose events are read by the exact text)."""
    if isinstance(value, str) and len(value) == HASH_SIZE and HEX_DIGITS.issuperset(value):
        return None
    return WrongType("originator_id", "originator_id as 32 lowercase hex digits", describe(value))


def wrong_version(value: object) -> WrongType | None:
    if type(value) is int:
        return None
    return WrongType("originator_version", "originator_version as an integer", describe(value))


def wrong_text(column: str, value: object) -> WrongType | None:
    if isinstance(value, str):
        return None
    return WrongType(column, f"{column} as text", describe(value))


def wrong_bytes(column: str, value: object) -> WrongType | None:
    if isinstance(value, bytes):
        return None
    return WrongType(column, f"{column} as bytes", describe(value))


def wrong_size(value: object, column: str = "tree_size") -> WrongType | None:
    if type(value) is int and value >= 0:
        return None
    return WrongType(column, f"{column} as an integer of at least 0", describe(value))


def wrong_time(value: object) -> WrongType | None:
    if stored_time(value) is not None:
        return None
    return WrongType("taken_at", "taken_at as an ISO 8601 time with its offset", describe(value))


def stored_time(value: object) -> datetime | None:
    """A checkpoint's time as stored: its ISO 8601 text (SQLite), with its offset from UTC, or a timestamp
    (PostgreSQL), in UTC as the ledger wrote and signed it whatever the session's time zone; None if neither."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return None


def as_bytes(value: object) -> bytes:
    """A stored value as bytes, whatever it is: text encoded, nothing as no bytes (to hash a tampered row)."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()
