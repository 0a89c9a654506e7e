"""eventsourcing's SQLite and PostgreSQL application recorders, extended with the ledger's own columns and tables.

Each event row also holds its record hash (ledger/integrity.py), computed before the row is written and inserted
with it, one row and one INSERT per event: the chain costs no second table, index or round trip (a separate table
of hashes cost 1.3-1.7x plain eventsourcing on append, mostly in writing its pages and index). A record's place in
the global log is its row id in SQLite (rows are never deleted, so row ids have no gaps) and a `position` column in
PostgreSQL (whose notification ids may have gaps), numbered in the same INSERT under eventsourcing's table lock.
Each recorder also keeps the Merkle log as far as its own inserts tell it (`_KnownLog`), so that a checkpoint reads
from the database only the records written since by others, not the thousand it has just written itself.
The schema set-up also creates the checkpoint table and installs triggers that refuse UPDATE and DELETE (and, in
PostgreSQL, TRUNCATE) on the events and the checkpoints. The person keys table is the one table rows leave:
destroying a person's key is how they are erased. The SQL differs by dialect only; the rest is `LedgerRecorder`.
"""

from __future__ import annotations

import sqlite3
import struct
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString
from uuid import UUID

from eventsourcing.persistence import DatabaseError, OperationalError, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteTransaction
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed

from ledger.checkpoints import Checkpoint, Follows
from ledger.integrity import (
    GENESIS,
    RECORD_DOMAIN,
    ChainLink,
    LogRecord,
    StoredRecord,
    encoded_topic,
    hash_of_record,
)
from ledger.merkle import MerkleLog
from ledger.stored_values import (
    HASH_SIZE,
    WrongType,
    as_bytes,
    stored_time,
    wrong_bytes,
    wrong_hash,
    wrong_size,
    wrong_text,
    wrong_time,
)

BATCH = 10_000  # rows per round trip when streaming the log: memory stays flat however long the log is
CHECKPOINT_BATCH = 1_000  # checkpoint rows per round trip when streaming them


class ChainBrokenError(Exception):
    """A new record cannot be chained: its grant's previous record has no hash (the ledger was tampered with)."""


class LedgerShapeError(Exception):
    """The database holds a ledger of an older shape, whose record hashes are not in its events table."""


@dataclass(frozen=True)
class CheckpointRow:
    tree_size: int
    root: bytes
    taken_at: datetime
    frontier: bytes
    signature: bytes
    key_id: str
    reason: str
    follows: Follows | None  # None in rows of format v1

    def checkpoint(self) -> Checkpoint:
        """The signed checkpoint this row stores."""
        return Checkpoint(
            self.tree_size,
            self.root,
            self.taken_at,
            self.key_id,
            self.signature,
            self.reason,
            self.follows,
            self.frontier,
        )

    def log(self) -> MerkleLog | None:
        """The Merkle log as of this checkpoint, resumed from its frontier: only if the frontier folds to the signed
        root (the frontier itself is not signed)."""
        frontier = [self.frontier[start : start + HASH_SIZE] for start in range(0, len(self.frontier), HASH_SIZE)]
        try:
            log = MerkleLog.from_frontier(self.tree_size, frontier)
        except ValueError:
            return None
        return log if log.root() == self.root else None


@dataclass(frozen=True)
class MalformedCheckpoint:
    """A checkpoint row holding values of the wrong type: its size and root as stored, and what is wrong."""

    tree_size: object
    root: object
    wrong: list[WrongType]


@dataclass(frozen=True)
class LedgerTables:
    """The ledger's table names in one database, its dialect's parameter placeholder and its log position column."""

    events: str
    checkpoints: str
    person_keys: str
    placeholder: str
    position: str  # the events table's log position: SQLite's rowid, PostgreSQL's own column

    @classmethod
    def beside(cls, events: str, placeholder: str, position: str, schema: str = "") -> LedgerTables:
        """The ledger's tables, named after eventsourcing's events table (`stored_events`, `grantledger_events`)."""
        stem, qualify = events.removesuffix("events"), f"{schema}." if schema else ""
        return cls(
            events=f"{qualify}{events}",
            checkpoints=f"{qualify}{stem}checkpoints",
            person_keys=f"{qualify}{stem}person_keys",
            placeholder=placeholder,
            position=position,
        )

    def render(self, template: str) -> str:
        return template.format(
            events=self.events,
            checkpoints=self.checkpoints,
            person_keys=self.person_keys,
            p=self.placeholder,
            position=self.position,
            checkpoint=", ".join(CHECKPOINT_COLUMNS),
            # a row the ledger wrote (hashed, placed in the log), not one written behind its back
            chained=f"record_hash IS NOT NULL AND {self.position} IS NOT NULL",
        )


SELECT_PREVIOUS_HASH = "SELECT record_hash FROM {events} WHERE originator_id = {p} AND originator_version = {p}"
SELECT_LATEST_BEFORE = (
    "SELECT originator_version, record_hash FROM {events} WHERE originator_id = {p} AND originator_version < {p} "
    "AND {chained} ORDER BY originator_version DESC LIMIT 1"
)
SELECT_LOG_SIZE = "SELECT {position} AS size FROM {events} WHERE {chained} ORDER BY {position} DESC LIMIT 1"
SELECT_HASHES = (
    "SELECT {position}, record_hash FROM {events} WHERE {position} > {p} AND {chained} ORDER BY {position} LIMIT {p}"
)
SELECT_EVENT_COUNT = "SELECT COUNT(*) AS count FROM {events}"
SELECT_LEDGER_COLUMNS = "SELECT record_hash, {position} FROM {events} LIMIT 0"
SELECT_LOG_RECORDS = (
    "SELECT {position}, record_hash, originator_id, originator_version, topic, state FROM {events} "
    "WHERE {position} > {p} AND {chained} ORDER BY {position} LIMIT {p}"
)
SELECT_RECORDS_OF = (  # in `LogRecord`'s order
    "SELECT {position}, record_hash, originator_id, originator_version, topic, state FROM {events} "
    "WHERE originator_id = {p} AND {chained} ORDER BY originator_version"
)
INSERT_EVENT = (  # SQLite: eventsourcing's row and its hash; its row id is its place in the log
    "INSERT INTO {events} (originator_id, originator_version, topic, state, record_hash) "
    "VALUES ({p}, {p}, {p}, {p}, {p})"
)
INSERT_CHAINED_EVENTS = (  # PostgreSQL: the rows as parallel arrays, numbered after the log's end under the table lock
    "INSERT INTO {events} (originator_id, originator_version, topic, state, record_hash, position) "
    "SELECT r.originator_id, r.originator_version, r.topic, r.state, r.record_hash, log.size + r.n "
    "FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[], %b::bytea[]) WITH ORDINALITY "
    "AS r (originator_id, originator_version, topic, state, record_hash, n), "
    "(SELECT COALESCE(MAX(position), 0) AS size FROM {events}) AS log ORDER BY r.n "
    "RETURNING notification_id, position"
)
SELECT_UNCHAINED_EVENTS = (
    "SELECT originator_id, originator_version FROM {events} WHERE record_hash IS NULL OR {position} IS NULL "
    "ORDER BY originator_id, originator_version"
)
INSERT_CHECKPOINT = (
    "INSERT INTO {checkpoints} (tree_size, root, taken_at, frontier, signature, key_id, reason, follows_size, "
    "follows_digest) SELECT {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p} "
    "WHERE NOT EXISTS (SELECT 1 FROM {checkpoints} WHERE tree_size = {p})"
)
INSERT_PERSON_KEY = (
    "INSERT INTO {person_keys} (person_id, wrapped_key) SELECT {p}, {p} "
    "WHERE NOT EXISTS (SELECT 1 FROM {person_keys} WHERE person_id = {p})"
)
SELECT_PERSON_KEY = "SELECT wrapped_key FROM {person_keys} WHERE person_id = {p}"
DELETE_PERSON_KEY = "DELETE FROM {person_keys} WHERE person_id = {p}"
CHECKPOINT_COLUMNS = (  # what a checkpoint row holds
    "tree_size",
    "root",
    "taken_at",
    "signature",
    "key_id",
    "reason",
    "follows_size",
    "follows_digest",
    "frontier",
)
SELECT_CHECKPOINTS_AFTER = "SELECT {checkpoint} FROM {checkpoints} WHERE tree_size > {p} ORDER BY tree_size LIMIT {p}"
SELECT_CHECKPOINTS_OF_SIZE = "SELECT {checkpoint} FROM {checkpoints} WHERE tree_size = {p}"
SELECT_LATEST_CHECKPOINT = "SELECT {checkpoint} FROM {checkpoints} ORDER BY tree_size DESC LIMIT 1"
SELECT_CHECKPOINT_BEFORE = (
    "SELECT {checkpoint} FROM {checkpoints} WHERE tree_size <= {p} ORDER BY tree_size DESC LIMIT 1"
)
SELECT_POSITION_OF = (
    "SELECT {position} AS position FROM {events} WHERE {chained} ORDER BY {position} LIMIT 1 OFFSET {p}"
)
LOCK_CHECKPOINTS = "SELECT pg_advisory_xact_lock(hashtext('{checkpoints}'))"  # PostgreSQL
SELECT_FOLLOWS_COLUMNS = "SELECT follows_size, follows_digest FROM {checkpoints} LIMIT 0"


# grant (its UUID's int: cheap to hash) -> its latest record's version (8 bytes) followed by its hash: one bytes value,
# which Python's cyclic garbage collector does not track (a tuple kept per grant made every append feed a collection).
Tips = dict[int, bytes]
# What a new checkpoint is made of: the latest checkpoint (if well formed), the log resumed from its frontier (if that
# folds to its signed root) and the log as it stands now; the row to insert, or None if there is nothing to add.
Signing = Callable[[CheckpointRow | None, MerkleLog | None, MerkleLog], CheckpointRow | None]
_TIP_VERSION = struct.Struct(">Q")


def chain_hashes(
    stored_events: Sequence[StoredEvent], previous_hash: Callable[[UUID, int], bytes | None]
) -> tuple[list[bytes], Tips]:
    """Each new record's hash, chained to its grant's previous record; and each grant's new tip.

    A save is most often one aggregate's run of consecutive versions: the loop keeps that run's grant, prefix and
    latest hash in locals, and goes to the tips only where a run begins (it runs for every record appended).
    """
    tips: Tips = {}
    hashes: list[bytes] = []
    grant, version, prefix, previous = -1, 0, b"", b""
    for stored in stored_events:
        originator, following = stored.originator_id, version + 1
        if type(originator) is not UUID:
            originator = UUID(str(originator))
        version = stored.originator_version
        if originator.int != grant or version != following:
            if grant >= 0:
                tips[grant] = _TIP_VERSION.pack(following - 1) + previous
            grant, prefix = originator.int, RECORD_DOMAIN + originator.bytes  # record_prefix, inlined
            previous = _previous(tips.get(grant), originator, version, previous_hash)
        previous = hash_of_record(prefix, version, encoded_topic(stored.topic), stored.state, previous)
        hashes.append(previous)
    if grant >= 0:
        tips[grant] = _TIP_VERSION.pack(version) + previous
    return hashes, tips


def _previous(
    tip: bytes | None, originator: UUID, version: int, previous_hash: Callable[[UUID, int], bytes | None]
) -> bytes:
    """The hash a grant's record `version` chains to: its tip earlier in this save, nothing before its first, or
    what `previous_hash` finds."""
    if tip is not None and _TIP_VERSION.unpack_from(tip)[0] == version - 1:
        return tip[_TIP_VERSION.size :]
    found = GENESIS if version == 1 else previous_hash(originator, version - 1)
    if found is None:
        msg = f"record {originator} v{version} cannot be chained: version {version - 1} has no hash of 32 bytes"
        raise ChainBrokenError(msg)
    return found


class _Tips:
    """The hashes of the records this process wrote last, by grant: the previous hash of its next record.

    Stored records never change, so a remembered (grant, version) -> hash is true for good; it is remembered only
    once its transaction has committed, so a rolled-back write can never leave a wrong one behind.
    """

    KEPT = 10_000

    def __init__(self) -> None:
        self._tips: Tips = {}
        self._pending = threading.local()

    def previous(self, originator: UUID, version: int) -> bytes | None:
        tip = self._tips.get(originator.int)
        return tip[_TIP_VERSION.size :] if tip is not None and tip.startswith(_TIP_VERSION.pack(version)) else None

    def written(self, tips: Tips) -> None:
        self._pending.tips = tips

    def committed(self) -> None:
        for grant, tip in getattr(self._pending, "tips", {}).items():
            self._tips.pop(grant, None)  # re-inserted last: the grants written longest ago are forgotten first
            self._tips[grant] = tip
        self._pending.tips = {}
        while len(self._tips) > self.KEPT:
            self._tips.pop(next(iter(self._tips)), None)


class _KnownLog:
    """The Merkle log as far as this process knows it without a gap: where a checkpoint starts, so that it need not
    read back from the database the records this process has just written.

    Unknown until this process's first checkpoint has read the log. From then on, each insert's records, once
    committed, extend it when they follow on from its end; records another writer put in between leave it behind
    until the next checkpoint reads them from the database and catches it up. What it holds is always a prefix of
    the stored log: stored records never change, and each log position is taken once.
    """

    def __init__(self) -> None:
        self._log: MerkleLog | None = None
        self._lock = threading.Lock()  # the worker saves from several threads

    def extend(self, first: int, hashes: Sequence[bytes]) -> None:
        """The committed records at log positions `first`, `first` + 1, ... with these hashes."""
        with self._lock:
            if self._log is not None and self._log.size == first - 1:
                self._log.extend_leaf_hashes(hashes)

    def further_than(self, log: MerkleLog) -> MerkleLog:
        """A copy of the known log if it is further than `log`; otherwise `log`."""
        with self._lock:
            known = self._log
            return log if known is None or known.size <= log.size else _copy(known)

    def catch_up(self, log: MerkleLog) -> None:
        """`log`, read from the database, becomes the known log if it is further."""
        with self._lock:
            if self._log is None or self._log.size < log.size:
                self._log = _copy(log)


def _copy(log: MerkleLog) -> MerkleLog:
    return MerkleLog.from_frontier(log.size, log.frontier())


class LedgerRecorder:
    """The ledger's own operations, over whichever eventsourcing datastore the concrete recorder has."""

    tables: LedgerTables
    datastore: Any
    tips: _Tips
    known_log: _KnownLog
    _appended: threading.local  # `appended()` and the hashes it wrote: set by each insert, per thread

    def appended(self) -> tuple[int, int] | None:
        """The first and last log positions of the records this thread's latest insert wrote (consecutive: one
        transaction numbers its records in a row), known from the insert itself, without asking the database."""
        span: tuple[int, int] | None = getattr(self._appended, "span", None)
        return span

    def _encode_id(self, originator_id: UUID) -> object:
        return originator_id

    def create_table(self) -> None:
        """eventsourcing's set-up with the ledger's own, then a clear refusal of a ledger of the older shape.

        `CREATE TABLE IF NOT EXISTS` leaves an events table without record hashes as it is (ledgers made before
        the hashes moved into the events rows kept them in a `record_hashes` table).
        """
        super().create_table()  # type: ignore[misc]  # the eventsourcing recorder's, next in the MRO
        try:
            with self.datastore.transaction(commit=False) as cursor:
                self._run(cursor, SELECT_LEDGER_COLUMNS)
        except DatabaseError as error:
            if "record_hash" not in str(error) and self.tables.position not in str(error):
                raise
            msg = (
                f"the ledger's events table {self.tables.events} has no record hashes in its rows: it was made by an "
                "older version, which kept them in a separate record_hashes table. Fix: record into a new ledger "
                "(GRANTS_LEDGER_URL); keep the old file to verify with the version that made it"
            )
            raise LedgerShapeError(msg) from error

    def _statement(self, template: str) -> str:
        """A template rendered for these tables, once."""
        rendered: dict[str, str] = self.__dict__.setdefault("_rendered", {})
        statement = rendered.get(template)
        if statement is None:
            rendered[template] = statement = self.tables.render(template)
        return statement

    def _run(self, cursor: Any, template: str, params: Sequence[object] = ()) -> None:  # noqa: ANN401
        cursor.execute(self._statement(template), params)

    def _chain(self, cursor: Any, stored_events: Sequence[StoredEvent]) -> list[bytes]:  # noqa: ANN401
        """The new records' hashes, in the transaction that inserts them (remembered once it commits)."""

        def previous_hash(originator: UUID, version: int) -> bytes | None:
            known = self.tips.previous(originator, version)
            if known is not None:
                return known
            self._run(cursor, SELECT_PREVIOUS_HASH, (self._encode_id(originator), version))
            row = cursor.fetchone()
            stored = None if row is None else row["record_hash"]
            return stored if isinstance(stored, bytes) and len(stored) == HASH_SIZE else None

        hashes, tips = chain_hashes(stored_events, previous_hash)
        self.tips.written(tips)
        self._appended.hashes = hashes
        return hashes

    def position_of(self, size: int) -> int | None:
        """The log position of the `size`-th record of the log (the same number, unless rows were deleted)."""
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_POSITION_OF, (size - 1,))
            row = cursor.fetchone()
            return None if row is None else int(row["position"])

    def checkpoint_before(self, size: int) -> CheckpointRow | MalformedCheckpoint | None:
        """The checkpoint of the most records, at most `size`, with its frontier."""
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_CHECKPOINT_BEFORE, (size,))
            row = cursor.fetchone()
        return None if row is None else self._checkpoint(row)

    def _committed(self, span: tuple[int, int] | None) -> None:
        """The insert has committed the records it chained at the log positions `span`: its grants' tips are
        remembered, `appended` tells the span, and the records extend the known log."""
        self.tips.committed()
        self._appended.span = span
        if span is not None:
            self.known_log.extend(span[0], self._appended.hashes)

    def take_checkpoint(self, sign: Signing) -> CheckpointRow | None:
        """A checkpoint of the log as it stands now, in one transaction that holds the ledger's checkpoint lock, so
        that checkpoints are taken one after another and each sees the one before (SQLite: the write lock itself):
        the latest checkpoint is read, the log resumed from the log this process knows or from the latest's frontier
        (if it folds to its signed root), whichever is further, and only the records after it read; then `sign` is
        given them and the row it returns is inserted. The row inserted, or the latest if `sign` returned none."""
        with self._checkpoint_transaction() as cursor:
            self._run(cursor, SELECT_LATEST_CHECKPOINT)
            row = cursor.fetchone()
            latest = None if row is None else self._checkpoint(row)
            well_formed = latest if isinstance(latest, CheckpointRow) else None  # else `verify` reports it
            resumed = None if well_formed is None else well_formed.log()
            log = self.known_log.further_than(resumed or MerkleLog())
            position: int | None = log.size
            while position is not None:
                hashes, position = self._hash_batch(cursor, position)
                log.extend_leaf_hashes(hashes)
            self.known_log.catch_up(log)
            taken = sign(well_formed, resumed, log)
            if taken is not None:
                self._run(cursor, INSERT_CHECKPOINT, self._checkpoint_params(taken))
        return taken or well_formed

    def _checkpoint_transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def log_size(self) -> int:
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_LOG_SIZE)
            row = cursor.fetchone()
            return 0 if row is None else int(row["size"])

    def hashes_after(self, position: int) -> Iterator[bytes]:
        """The record hashes after `position`, in log order, fetched in batches: what a proof adds up."""
        for batch in self.hash_batches_after(position):
            yield from batch

    def hash_batches_after(self, position: int) -> Iterator[list[bytes]]:
        """`hashes_after` a batch at a time: what a checkpoint adds up, a list at once (no step per hash)."""
        after: int | None = position
        while after is not None:
            with self.datastore.transaction(commit=False) as cursor:
                hashes, after = self._hash_batch(cursor, after)
            yield hashes

    def _hash_batch(self, cursor: Any, position: int) -> tuple[list[bytes], int | None]:  # noqa: ANN401
        """Up to BATCH record hashes after `position`, as bytes whatever was stored (a tampered row's text only
        changes the root, and `verify` reports it); and the position to go on from, None if the log ended."""
        self._plain_tuples(cursor)
        self._run(cursor, SELECT_HASHES, (position, BATCH))
        rows = cursor.fetchall()
        hashes = [stored if type(stored) is bytes else as_bytes(stored) for _, stored in rows]
        return hashes, (int(rows[-1][0]) if len(rows) == BATCH else None)

    def log_batches(self, after: int = 0) -> Iterator[list[LogRecord]]:
        """The log after position `after` in order, in batches of plain tuples in `LogRecord`'s order: one table read
        in its order."""
        position = after
        while True:
            with self.datastore.transaction(commit=False) as cursor:
                self._plain_tuples(cursor)
                self._run(cursor, SELECT_LOG_RECORDS, (position, BATCH))
                rows = cursor.fetchall()
            if rows:
                yield self._log_records(rows)
            if len(rows) < BATCH:
                return
            position = int(rows[-1][0])

    def _plain_tuples(self, cursor: Any) -> None:  # noqa: ANN401 - a driver's cursor
        """Have this cursor return plain tuples (cheaper than the named rows eventsourcing asks for)."""

    def _log_records(self, rows: list[Any]) -> list[LogRecord]:
        return rows

    def latest_before(self, originator: str, version: int) -> tuple[int, bytes] | None:
        """The version and hash of a grant's latest record before `version`: where the verifier resumes a chain.

        The hash as bytes whatever was stored (the verifier has reported a stored hash of the wrong type already).
        """
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_LATEST_BEFORE, (self._encode_id(UUID(originator)), version))
            row = cursor.fetchone()
        return None if row is None else (int(row["originator_version"]), as_bytes(row["record_hash"]))

    def event_count(self) -> int:
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_EVENT_COUNT)
            return int(cursor.fetchone()["count"])

    def chain_of(self, originator_id: UUID) -> list[LogRecord]:
        """One grant's records in version order, as stored (a tampered row may hold values of the wrong type)."""
        with self.datastore.transaction(commit=False) as cursor:
            self._plain_tuples(cursor)
            self._run(cursor, SELECT_RECORDS_OF, (self._encode_id(originator_id),))
            return self._log_records(cursor.fetchall())

    def records_of(self, originator_id: UUID) -> list[StoredRecord]:
        """One grant's records with their hashes and places in the log, in version order.

        For reading, not judging: a row whose version is not a number is left out, a hash that is not bytes is
        read as bytes (`verify` reports both).
        """
        return [
            StoredRecord(ChainLink(position, originator_id, version, as_bytes(stored)), topic, as_bytes(state))
            for position, stored, _, version, topic, state in self.chain_of(originator_id)
            if type(version) is int
        ]

    def unchained_events(self) -> list[tuple[object, object]]:
        """Events with no hash or no place in the log (written behind the ledger's back): their ids and versions,
        as stored."""
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_UNCHAINED_EVENTS)
            return [(row["originator_id"], row["originator_version"]) for row in cursor.fetchall()]

    def _checkpoint_params(self, row: CheckpointRow) -> tuple[object, ...]:
        """INSERT_CHECKPOINT's: the row's values, and its size again (none is inserted if one of its size is)."""
        return (
            row.tree_size,
            row.root,
            self._encode_time(row.taken_at),
            row.frontier,
            row.signature,
            row.key_id,
            row.reason,
            None if row.follows is None else row.follows.tree_size,
            None if row.follows is None else row.follows.digest,
            row.tree_size,
        )

    def checkpoints(self, after: int = -1) -> Iterator[Checkpoint | MalformedCheckpoint]:
        """Every checkpoint of more than `after` records in order of size (those of one size together), with its
        frontier, read in batches: memory stays flat however many there are."""
        bound: object = after  # a tampered SQLite row's size may be text
        while True:
            rows = self._checkpoint_rows(SELECT_CHECKPOINTS_AFTER, (bound, CHECKPOINT_BATCH))
            if len(rows) < CHECKPOINT_BATCH:
                yield from map(self._signed, rows)
                return
            # The last size may go on in the next batch: all of its checkpoints are read at once.
            bound = rows[-1][0]
            yield from (self._signed(row) for row in rows if row[0] != bound)
            yield from map(self._signed, self._checkpoint_rows(SELECT_CHECKPOINTS_OF_SIZE, (bound,)))

    def _checkpoint_rows(self, template: str, params: Sequence[object]) -> list[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            self._plain_tuples(cursor)
            self._run(cursor, template, params)
            return list(cursor.fetchall())

    def _signed(self, row: tuple[object, ...]) -> Checkpoint | MalformedCheckpoint:
        """A stored checkpoint (a row of `CHECKPOINT_COLUMNS`). The common case, every value of the type the ledger
        writes, is checked in one expression: a verifier reads hundreds of thousands of them."""
        size, root, taken_at, signature, key_id, reason, follows_size, follows_digest, frontier = row
        if (
            type(size) is int
            and type(follows_size) is int
            and size >= 0
            and follows_size >= 0
            and type(root) is bytes
            and type(follows_digest) is bytes
            and len(root) == len(follows_digest) == HASH_SIZE
            and type(signature) is bytes
            and type(frontier) is bytes
            and type(key_id) is str
            and type(reason) is str
        ):
            when = stored_time(taken_at)
            if when is not None:
                follows = Follows(follows_size, follows_digest)
                return Checkpoint(size, root, when, key_id, signature, reason, follows, frontier)
        judged = self._checkpoint(dict(zip(CHECKPOINT_COLUMNS, row, strict=True)))
        return judged if isinstance(judged, MalformedCheckpoint) else judged.checkpoint()

    def latest_checkpoint(self) -> CheckpointRow | MalformedCheckpoint | None:
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_LATEST_CHECKPOINT)
            row = cursor.fetchone()
        return None if row is None else self._checkpoint(row)

    def keep_person_keys(self, wrapped_keys: Mapping[UUID, bytes]) -> dict[UUID, bytes]:
        """Store each person's wrapped key unless they have one already, in one transaction (a 16,000-person list
        is one commit, not 16,000); return the keys that are kept."""
        kept = {}
        with self.datastore.transaction(commit=True) as cursor:
            for person_id, wrapped_key in wrapped_keys.items():
                encoded = self._encode_id(person_id)
                self._run(cursor, INSERT_PERSON_KEY, (encoded, wrapped_key, encoded))
                self._run(cursor, SELECT_PERSON_KEY, (encoded,))
                kept[person_id] = bytes(cursor.fetchone()["wrapped_key"])
        return kept

    def person_key(self, person_id: UUID) -> bytes | None:
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_PERSON_KEY, (self._encode_id(person_id),))
            row = cursor.fetchone()
        return None if row is None else bytes(row["wrapped_key"])

    def destroy_person_key(self, person_id: UUID) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            self._run(cursor, DELETE_PERSON_KEY, (self._encode_id(person_id),))

    def _encode_time(self, instant: datetime) -> object:
        return instant

    def _checkpoint(self, row: Any) -> CheckpointRow | MalformedCheckpoint:  # noqa: ANN401 - a driver's row
        """A checkpoint row as the ledger wrote it, or what is wrong with it (SQLite keeps any value anywhere)."""
        size, root, taken_at, signature = row["tree_size"], row["root"], row["taken_at"], row["signature"]
        frontier = row["frontier"]
        key_id, reason = row["key_id"], row["reason"]
        follows_size, follows_digest = row["follows_size"], row["follows_digest"]
        v1 = follows_size is None and follows_digest is None  # written before checkpoints followed one another
        wrong = [
            problem
            for problem in (
                wrong_size(size),
                wrong_hash("root", root),
                wrong_time(taken_at),
                wrong_bytes("signature", signature),
                wrong_bytes("frontier", frontier),
                wrong_text("key_id", key_id),
                wrong_text("reason", reason),
                None if v1 else wrong_size(follows_size, "follows_size"),
                None if v1 else wrong_hash("follows_digest", follows_digest),
            )
            if problem is not None
        ]
        when = stored_time(taken_at)
        if wrong or when is None:  # (no time: `wrong_time` said so)
            return MalformedCheckpoint(size, root, wrong)
        return CheckpointRow(
            tree_size=size,
            root=root,
            taken_at=when,
            frontier=frontier,
            signature=signature,
            key_id=key_id,
            reason=reason,
            follows=None if v1 else Follows(follows_size, follows_digest),
        )


class ChainedSQLiteApplicationRecorder(LedgerRecorder, SQLiteApplicationRecorder):
    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:  # noqa: ANN401
        self.tables = LedgerTables.beside(events_table_name, "?", "rowid")
        self.tips = _Tips()
        self.known_log = _KnownLog()
        self._appended = threading.local()
        super().__init__(datastore, events_table_name)
        self.insert_events_statement = self.tables.render(INSERT_EVENT)

    @contextmanager
    def _checkpoint_transaction(self) -> Iterator[Any]:
        """SQLite's write lock, from the transaction's start: checkpoints and appends one after another."""
        with (
            self.datastore.get_connection(commit=True) as connection,
            _Immediate(connection, commit=True) as transaction,
            transaction as cursor,
        ):
            yield cursor

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:  # noqa: ANN401
        """eventsourcing's insert, in a transaction that holds SQLite's write lock from its start (see `_Immediate`)."""
        self.tips.written({})  # nothing of an earlier, failed write may be taken for this one
        self._appended.span = None
        with (
            self.datastore.get_connection(commit=True) as connection,
            _Immediate(connection, commit=True) as transaction,
            transaction as cursor,
        ):
            ids = self._insert_events(cursor, stored_events, **kwargs)
        self._committed((ids[0], ids[-1]) if ids else None)  # the row ids: the records' places in the log
        return ids

    def construct_create_table_statements(self) -> list[str]:
        """eventsourcing's events table with the record hash column, and the ledger's own tables and triggers."""
        sql = self.tables
        statements = [
            (
                f"CREATE TABLE IF NOT EXISTS {sql.events} (originator_id TEXT, originator_version INTEGER, "
                "topic TEXT, state BLOB, record_hash BLOB, PRIMARY KEY (originator_id, originator_version))"
            ),
            (
                f"CREATE TABLE IF NOT EXISTS {sql.checkpoints} (tree_size INTEGER NOT NULL, root BLOB NOT NULL, "
                "taken_at TEXT NOT NULL, frontier BLOB NOT NULL, signature BLOB NOT NULL, key_id TEXT NOT NULL, "
                "reason TEXT NOT NULL, follows_size INTEGER, follows_digest BLOB)"
            ),
            f"CREATE INDEX IF NOT EXISTS {sql.checkpoints}_by_size ON {sql.checkpoints} (tree_size)",
            f"CREATE TABLE IF NOT EXISTS {sql.person_keys} (person_id TEXT PRIMARY KEY, wrapped_key BLOB NOT NULL)",
        ]
        statements.extend(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'the grant ledger is append-only: {operation} on {table} refused'); END"
            for table in (sql.events, sql.checkpoints)
            for operation in ("UPDATE", "DELETE")
        )
        return statements

    def create_table(self) -> None:
        """The tables; and to a checkpoint table made before checkpoints followed one another (format v1), the
        columns naming the checkpoint followed (its rows keep NULL there). SQLite cannot add a column if missing."""
        super().create_table()
        try:
            with self.datastore.transaction(commit=False) as cursor:
                self._run(cursor, SELECT_FOLLOWS_COLUMNS)
        except DatabaseError:
            with self.datastore.transaction(commit=True) as cursor:
                for column in ("follows_size INTEGER", "follows_digest BLOB"):
                    cursor.execute(f"ALTER TABLE {self.tables.checkpoints} ADD COLUMN {column}")

    def _encode_id(self, originator_id: UUID) -> object:
        return _encoded(originator_id)

    def _plain_tuples(self, cursor: Any) -> None:  # noqa: ANN401 - a sqlite3.Cursor
        cursor.row_factory = None  # ids are text, versions int, hashes and states bytes: tuples as they are

    def _encode_time(self, instant: datetime) -> object:
        return instant.isoformat()

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **_: object) -> Sequence[int]:  # noqa: ANN401
        """eventsourcing's rows with their hashes; their row ids are their places in the log.

        All rows but the last are one `executemany`; the last is one `execute`, whose row id the cursor gives (it
        leaves `lastrowid` unchanged after an `executemany`, and a `SELECT last_insert_rowid()` cost 2% of a save of
        twenty). The row ids are consecutive: in SQLite's one write transaction at a time, each new row of a table
        without AUTOINCREMENT takes the largest row id plus one.
        """
        rows, originator, encoded = [], None, None
        for stored, hashed in zip(stored_events, self._chain(c, stored_events), strict=True):
            if stored.originator_id is not originator:  # a save is most often one aggregate's: encoded once
                originator = stored.originator_id
                encoded = _encoded(originator)
            rows.append((encoded, stored.originator_version, stored.topic, stored.state, hashed))
        if not rows:
            return []
        if len(rows) > 1:
            c.executemany(self.insert_events_statement, rows[:-1])
        c.execute(self.insert_events_statement, rows[-1])
        last = int(c.lastrowid)
        return list(range(last - len(rows) + 1, last + 1))


class _Immediate(SQLiteTransaction):
    """A write transaction that takes SQLite's write lock as it begins (`BEGIN IMMEDIATE`), waiting out the busy
    timeout for another writer's commit: the chains' tips are read inside it, and a transaction that had read first
    could not wait for the lock when it came to write (it would fail at once with "database is locked")."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:  # as eventsourcing's own transaction translates errors
            raise OperationalError(error) from error
        return cursor


def _encoded(originator: object) -> object:
    """An originator id as eventsourcing's SQLite recorder stores it: a UUID's hex digits."""
    return originator.hex if isinstance(originator, UUID) else originator


class ChainedPostgresApplicationRecorder(LedgerRecorder, PostgresApplicationRecorder):
    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:  # noqa: ANN401
        super().__init__(datastore, events_table_name=events_table_name)
        if self.datastore.enable_db_functions:
            msg = "the ledger inserts its own rows (with their hashes): unset POSTGRES_ENABLE_DB_FUNCTIONS"
            raise ValueError(msg)
        schema = self.datastore.schema
        self.tables = LedgerTables.beside(events_table_name, "%s", "position", schema)
        self.tips = _Tips()
        self.known_log = _KnownLog()
        self._appended = threading.local()
        self.sql_create_statements[self.create_table_statement_index] = Composed([SQL(_literal(self._events_table()))])
        self.sql_create_statements.extend(Composed([SQL(_literal(text))]) for text in self._ledger_statements(schema))
        insert = INSERT_CHAINED_EVENTS.format(events=self.tables.events, id_type=self.datastore.originator_id_type)
        self.insert_chained_statement = SQL(_literal(insert))

    def _events_table(self) -> str:
        """eventsourcing's events table (and its storage settings) with the record hash and log position columns."""
        return (
            f"CREATE TABLE IF NOT EXISTS {self.tables.events} ("
            f"originator_id {self.datastore.originator_id_type} NOT NULL, originator_version bigint NOT NULL, "
            "topic text, state bytea, notification_id bigserial, record_hash bytea, position bigint, "
            "PRIMARY KEY (originator_id, originator_version)) WITH (autovacuum_enabled = true, "
            "autovacuum_vacuum_threshold = 100000000, autovacuum_vacuum_scale_factor = 0.5, "
            "autovacuum_analyze_threshold = 1000, autovacuum_analyze_scale_factor = 0.01)"
        )

    def _ledger_statements(self, schema: str) -> list[str]:
        sql = self.tables
        events_name, index = sql.events.split(".")[-1], sql.checkpoints.split(".")[-1]
        refuse = f"{schema}.grantledger_refuse_change"
        statements = [
            f"CREATE UNIQUE INDEX IF NOT EXISTS {events_name}_by_position ON {sql.events} (position)",
            (
                f"CREATE TABLE IF NOT EXISTS {sql.checkpoints} (tree_size BIGINT NOT NULL, root BYTEA NOT NULL, "
                "taken_at TIMESTAMPTZ NOT NULL, frontier BYTEA NOT NULL, signature BYTEA NOT NULL, "
                "key_id TEXT NOT NULL, reason TEXT NOT NULL, follows_size BIGINT, follows_digest BYTEA)"
            ),
            # a table made before checkpoints followed one another (format v1): its rows keep NULL there
            f"ALTER TABLE {sql.checkpoints} ADD COLUMN IF NOT EXISTS follows_size BIGINT",
            f"ALTER TABLE {sql.checkpoints} ADD COLUMN IF NOT EXISTS follows_digest BYTEA",
            f"CREATE INDEX IF NOT EXISTS {index}_by_size ON {sql.checkpoints} (tree_size)",
            f"CREATE TABLE IF NOT EXISTS {sql.person_keys} (person_id UUID PRIMARY KEY, wrapped_key BYTEA NOT NULL)",
            (
                f"CREATE OR REPLACE FUNCTION {refuse}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'the grant ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME; END $$"
            ),
        ]
        for table in (sql.events, sql.checkpoints):
            name = table.split(".")[-1]
            statements += [
                (
                    f"CREATE OR REPLACE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION {refuse}()"
                ),
                (
                    f"CREATE OR REPLACE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {refuse}()"
                ),
            ]
        return statements

    def _run(self, cursor: Any, template: str, params: Sequence[object] = ()) -> None:  # noqa: ANN401
        cursor.execute(SQL(_literal(self._statement(template))), params)

    @contextmanager
    def _checkpoint_transaction(self) -> Iterator[Any]:
        """A transaction holding the ledger's checkpoint lock (an advisory lock: the application role needs no right
        for it); appends go on meanwhile, under their own lock."""
        with self.datastore.transaction(commit=True) as cursor:
            self._run(cursor, LOCK_CHECKPOINTS)
            yield cursor

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:  # noqa: ANN401
        self.tips.written({})  # nothing of an earlier, failed write may be taken for this one
        self._appended.span = self._appended.pending = None
        ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        self._committed(self._appended.pending)  # committed: the positions are the log's now
        return ids

    def _fetch_ids_after_insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **_: Any,  # noqa: ANN401 - eventsourcing's signature
    ) -> Sequence[int] | None:
        """eventsourcing's notification ids; and the log positions the same INSERT returned, for `appended`."""
        rows = curs.fetchall()
        if len(rows) != len(stored_events):
            msg = f"the insert returned {len(rows)} rows for {len(stored_events)} events"
            raise ProgrammingError(msg)
        positions = [int(row["position"]) for row in rows]
        self._appended.pending = (min(positions), max(positions)) if positions else None
        return [row["notification_id"] for row in rows]

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: object) -> None:
        """eventsourcing's insert (table lock, notify, one INSERT), with each row's hash and log position.

        Positions are numbered by the INSERT itself, so appending costs no round trip more than eventsourcing's own
        (one more only when this process does not know the grant's previous hash).
        """
        hashes = self._chain(curs, stored_events)
        self._lock_table(curs)
        self._notify_channel(curs)
        columns = (
            [stored.originator_id for stored in stored_events],
            [stored.originator_version for stored in stored_events],
            [stored.topic for stored in stored_events],
            [stored.state for stored in stored_events],
            hashes,
        )
        curs.execute(self.insert_chained_statement, columns)

    def _plain_tuples(self, cursor: Any) -> None:  # noqa: ANN401 - a psycopg cursor
        cursor.row_factory = tuple_row

    def _log_records(self, rows: list[Any]) -> list[LogRecord]:
        """Originator ids as hex text, as SQLite stores them and the verifier keys its chains."""
        return [
            (position, bytes(stored), originator.hex, version, topic, None if state is None else bytes(state))
            for position, stored, originator, version, topic, state in rows
        ]


def _literal(text: str) -> LiteralString:
    """Our statements are built only from constants and table names from configuration, never from input."""
    return text  # mypy reads LiteralString as str: the claim in the signature is ours to make
