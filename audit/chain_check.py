"""The chains' half of `verify`: each record's hash recomputed from its stored bytes and its grant's previous record.

A record whose hash does not match its stored one is an edited or swapped event; a version missing from a grant's
chain is a deleted record, a position missing from the log a deleted row. The pass keeps the tips of the chains seen
lately in a bounded cache (`Chains.tips`); a chain that fell out of it resumes from the hash stored with its latest
earlier record, which the pass has already checked. So memory stays flat however many grants the ledger holds. The
common case is handled inline by the pass (audit/log_pass.py); everything off it comes here.
"""

from __future__ import annotations

import json
from itertools import islice
from uuid import UUID

from audit.problem import Problem
from ledger.integrity import GENESIS, LogRecord, encoded_topic, hash_of_record, record_prefix
from ledger.recorders import LedgerRecorder
from ledger.stored_values import (
    HASH_SIZE,
    WrongType,
    as_bytes,
    describe,
    wrong_bytes,
    wrong_hash,
    wrong_originator,
    wrong_text,
    wrong_version,
)

TIPS_KEPT = 10_000  # chains whose tip is kept in memory; a forgotten one costs one query when it resumes


# A chain's tip as the pass keeps it: the version and stored hash of its latest record, and its record prefix.
Tip = tuple[int, bytes, bytes]
# The version of the tip of a chain whose originator id is not of its type: no stored 64-bit version is one more than
# it, so every record of such a chain leaves the common path (and is reported there).
MALFORMED = -(2**64)


class Chains:
    """The tips of the chains seen lately (grant id -> `Tip`), and what happens off the common path."""

    def __init__(self, integrity: LedgerRecorder, problems: list[Problem]) -> None:
        self.integrity, self.problems = integrity, problems
        self.tips: dict[object, Tip] = {}
        self.count = 0  # chains begun: grants, decisions, lists, people
        # Chains whose latest record's stored hash did not match: that version, and the hash its stored bytes give.
        # Its successor may be chained to that hash (only the stored hash was changed): then it is not reported too.
        self.recomputed: dict[object, tuple[int, bytes]] = {}

    def resume(self, originator: object, version: object) -> Tip:
        """A chain not in memory: a new grant, or one forgotten (resumed from its latest earlier record)."""
        if not isinstance(originator, str) or wrong_originator(originator) is not None:
            return MALFORMED, GENESIS, b""
        prefix = record_prefix(bytes.fromhex(originator))
        earlier = None
        if type(version) is int and version > 1:
            earlier = self.integrity.latest_before(originator, version)
        if earlier is None:
            self.count += 1
            return 0, GENESIS, prefix
        return *earlier, prefix

    def forget_oldest(self) -> None:
        """Keep at most TIPS_KEPT chains in memory: the ones seen longest ago go."""
        tips = self.tips
        for oldest in list(islice(tips, max(0, len(tips) - TIPS_KEPT))):
            del tips[oldest]

    def leaf_hashes(self, rows: list[LogRecord]) -> list[bytes]:
        """The batch's record hashes for the Merkle log; any stored as other than bytes, as bytes."""
        hashes = [record[1] for record in rows]
        if all(type(stored) is bytes for stored in hashes):
            return hashes
        return [stored if type(stored) is bytes else as_bytes(stored) for stored in hashes]

    def positions_missing(self, expected: int, found: int) -> None:
        """Rows gone from the log (or moved): reported once per gap, not once for every record after it."""
        self.problems.append(
            Problem(
                "log position missing", f"log position {expected}", f"position {expected}", f"position {found} next"
            )
        )

    def changed(self, record: LogRecord, tip: Tip) -> bytes:
        """A record of the common shape whose hash does not match; the hash its chain goes on from."""
        _, _, _, version, topic, state = record
        return self._compare(record, tip, hash_of_record(tip[2], version, encoded_topic(topic), state, tip[1]))  # type: ignore[arg-type]

    def irregular(self, record: LogRecord, tip: Tip) -> Tip:
        """A record off the common path: its originator id malformed, a value of the wrong type, after a gap in its
        chain or out of order. Each is reported; returned is the tip its chain goes on from.

        After a gap the record's own hash cannot be checked (it covers the deleted record's); the Merkle log and the
        checkpoints still cover it. Text where bytes belong (or bytes where text does) is hashed as bytes, so that
        changed content is reported besides its type.
        """
        position, stored, originator, version, topic, state = record
        last_version, previous, prefix = tip
        if last_version == MALFORMED:
            self._wrong_type(record, wrong_originator(originator))
            return tip
        wrong = [
            problem
            for problem in (
                wrong_version(version),
                wrong_text("topic", topic),
                wrong_bytes("state", state),
                wrong_hash("record_hash", stored),
            )
            if problem is not None
        ]
        for problem in wrong:
            self._wrong_type(record, problem)
        continued = stored if type(stored) is bytes else as_bytes(stored)
        if type(version) is not int:
            return last_version + 1, continued, prefix  # taken as the next record: its successor is judged on its own
        if version > last_version + 1:
            missing = f"version {last_version + 1}"
            if version > last_version + 2:
                missing = f"versions {last_version + 1} to {version - 1}"
            where = f"{named(self.integrity, originator)} {missing} (before log position {position})"
            self.problems.append(Problem("record deleted", where, "its stored event", "none"))
            return version, continued, prefix
        if version <= last_version:
            expected = f"version {last_version + 1} next"
            self._problem("chain out of order", record, expected, f"version {version}")
        if topic is None or state is None:
            return version, continued, prefix  # nothing to hash
        computed = hash_of_record(prefix, version, encoded_topic(_as_text(topic)), as_bytes(state), previous)
        if any(problem.column == "record_hash" for problem in wrong):
            return version, computed, prefix  # no stored hash to compare: its successor chains to what it should be
        return version, self._compare(record, tip, computed), prefix

    def _compare(self, record: LogRecord, tip: Tip, computed: bytes) -> bytes:
        """Report a stored hash other than `computed`, unless the record is intact and chained to a predecessor whose
        own stored hash was changed (reported there); returned is the hash its chain goes on from."""
        _, stored, originator, version, topic, state = record
        if computed == stored:
            return stored
        if type(stored) is not bytes or len(stored) != HASH_SIZE:
            self._wrong_type(record, wrong_hash("record_hash", stored))
            return computed
        recomputed = self.recomputed.pop(originator, None)
        if recomputed is not None and recomputed[0] == tip[0]:
            as_chained = hash_of_record(tip[2], version, encoded_topic(_as_text(topic)), as_bytes(state), recomputed[1])
            if as_chained == stored:
                return stored
        self.recomputed[originator] = (version, computed)
        self._problem("stored record changed", record, f"hash {computed.hex()[:16]}", stored.hex()[:16])
        return stored

    def _wrong_type(self, record: LogRecord, problem: WrongType | None) -> None:
        if problem is None:
            return
        self._problem("stored value of the wrong type", record, problem.expected, problem.found)

    def _problem(self, what: str, record: LogRecord, expected: str, found: str) -> None:
        """A problem with one record, named by its grant and version when they can be read, and its log position."""
        position, _, originator, version, *_ = record
        where = f"log position {position}"
        if wrong_originator(originator) is None:
            name = named(self.integrity, originator)
            where = f"{name} version {version} ({where})" if type(version) is int else f"{name} ({where})"
        self.problems.append(Problem(what, where, expected, found))


def _as_text(topic: object) -> str:
    """A stored topic as text, whatever it is (to hash a tampered row)."""
    return topic if isinstance(topic, str) else as_bytes(topic).decode(errors="replace")


def named(integrity: LedgerRecorder, originator: object) -> str:
    """A chain's grant number if its first record names one (`grant B`), else its id (`record <uuid>`)."""
    if isinstance(originator, UUID):
        originator = originator.hex
    if not isinstance(originator, str) or wrong_originator(originator) is not None:
        return f"record {describe(originator)}"
    first = next((state for _, _, _, version, _, state in integrity.chain_of(UUID(originator)) if version == 1), None)
    grant_no = _grant_no(as_bytes(first)) if isinstance(first, bytes | str) else None  # text: a tampered row
    return f"grant {grant_no}" if grant_no else f"record {UUID(originator)}"


def _grant_no(state: bytes) -> str | None:
    try:
        decoded = json.loads(state)
    except ValueError:
        return None
    value = decoded.get("grant_no") if isinstance(decoded, dict) else None
    return value if isinstance(value, str) else None
