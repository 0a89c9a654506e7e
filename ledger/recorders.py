"""eventsourcing's SQLite and PostgreSQL application recorders, extended with the ledger's own tables.

In the same transaction as the events, each recorder writes one chain link per record (its place in the
global log and its hash); the schema set-up also creates the checkpoint table and installs triggers that
refuse UPDATE and DELETE (and, in PostgreSQL, TRUNCATE) on the events, the links and the checkpoints.
The person keys table is the one table rows leave: destroying a person's key is how they are erased.
The SQL differs by dialect only; everything else is shared in `LedgerRecorder`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed

from ledger.integrity import GENESIS, ChainLink, LogRecord, StoredRecord, record_hash

BATCH = 10_000  # rows per round trip when streaming the log: memory stays flat however long the log is


class ChainBrokenError(Exception):
    """A new record cannot be chained: its grant's previous record has no link (the ledger was tampered with)."""


@dataclass(frozen=True)
class CheckpointRow:
    tree_size: int
    root: bytes
    taken_at: datetime
    frontier: bytes
    signature: bytes
    key_id: str
    reason: str


@dataclass(frozen=True)
class LedgerTables:
    """The ledger's table names in one database, and its dialect's parameter placeholder."""

    events: str
    links: str
    checkpoints: str
    person_keys: str
    placeholder: str
    event_key: str  # the events table's notification id column (SQLite: its rowid)

    @classmethod
    def beside(cls, events: str, placeholder: str, event_key: str, schema: str = "") -> LedgerTables:
        """The ledger's tables, named after eventsourcing's events table (`stored_events`, `grantledger_events`)."""
        stem, qualify = events.removesuffix("events"), f"{schema}." if schema else ""
        return cls(
            events=f"{qualify}{events}",
            links=f"{qualify}{stem}record_hashes",
            checkpoints=f"{qualify}{stem}checkpoints",
            person_keys=f"{qualify}{stem}person_keys",
            placeholder=placeholder,
            event_key=event_key,
        )

    def render(self, template: str) -> str:
        return template.format(
            events=self.events,
            links=self.links,
            checkpoints=self.checkpoints,
            person_keys=self.person_keys,
            p=self.placeholder,
            event_key=self.event_key,
        )


SELECT_PREVIOUS_HASH = "SELECT record_hash FROM {links} WHERE originator_id = {p} AND originator_version = {p}"
SELECT_LOG_SIZE = "SELECT COALESCE(MAX(position), 0) AS size FROM {links}"
INSERT_LINK = (
    "INSERT INTO {links} (position, notification_id, originator_id, originator_version, record_hash) "
    "VALUES ({p}, {p}, {p}, {p}, {p})"
)
SELECT_HASHES = "SELECT position, record_hash FROM {links} WHERE position > {p} ORDER BY position LIMIT {p}"
SELECT_EVENT_COUNT = "SELECT COUNT(*) AS count FROM {events}"
SELECT_LOG_RECORDS = (  # an event row that is not the one its link names (moved, deleted) joins as NULL
    "SELECT l.position, l.record_hash, l.originator_id, l.originator_version, e.topic, e.state "
    "FROM {links} l LEFT JOIN {events} e ON e.{event_key} = l.notification_id "
    "AND e.originator_id = l.originator_id AND e.originator_version = l.originator_version "
    "WHERE l.position > {p} ORDER BY l.position LIMIT {p}"
)
SELECT_RECORDS_OF = (
    "SELECT l.position, l.originator_id, l.originator_version, l.record_hash, e.topic, e.state "
    "FROM {links} l LEFT JOIN {events} e "
    "ON e.originator_id = l.originator_id AND e.originator_version = l.originator_version "
    "WHERE l.originator_id = {p} ORDER BY l.originator_version"
)
SELECT_UNLINKED_EVENTS = (
    "SELECT e.originator_id, e.originator_version FROM {events} e LEFT JOIN {links} l "
    "ON e.originator_id = l.originator_id AND e.originator_version = l.originator_version "
    "WHERE l.position IS NULL ORDER BY e.originator_id, e.originator_version"
)
INSERT_CHECKPOINT = (
    "INSERT INTO {checkpoints} (tree_size, root, taken_at, frontier, signature, key_id, reason) "
    "SELECT {p}, {p}, {p}, {p}, {p}, {p}, {p} WHERE NOT EXISTS (SELECT 1 FROM {checkpoints} WHERE tree_size = {p})"
)
INSERT_PERSON_KEY = (
    "INSERT INTO {person_keys} (person_id, wrapped_key) SELECT {p}, {p} "
    "WHERE NOT EXISTS (SELECT 1 FROM {person_keys} WHERE person_id = {p})"
)
SELECT_PERSON_KEY = "SELECT wrapped_key FROM {person_keys} WHERE person_id = {p}"
DELETE_PERSON_KEY = "DELETE FROM {person_keys} WHERE person_id = {p}"
SELECT_CHECKPOINTS = (
    "SELECT tree_size, root, taken_at, frontier, signature, key_id, reason FROM {checkpoints} ORDER BY tree_size"
)
SELECT_LATEST_CHECKPOINT = (
    "SELECT tree_size, root, taken_at, frontier, signature, key_id, reason FROM {checkpoints} "
    "ORDER BY tree_size DESC LIMIT 1"
)


def chain_links(
    stored_events: Sequence[StoredEvent],
    first_position: int,
    previous_hash: Callable[[UUID, int], bytes | None],
) -> list[ChainLink]:
    """The links of newly stored records, chained to each grant's previous record.

    Positions, not notification ids, index the log: PostgreSQL's notification ids may have gaps.
    """
    latest: dict[UUID, bytes] = {}
    links = []
    for offset, stored in enumerate(stored_events):
        originator = stored.originator_id
        if not isinstance(originator, UUID):
            originator = UUID(str(originator))
        version = stored.originator_version
        previous = latest.get(originator)
        if previous is None:
            previous = GENESIS if version == 1 else previous_hash(originator, version - 1)
        if previous is None:
            msg = f"record {originator} v{version} cannot be chained: version {version - 1} has no hash"
            raise ChainBrokenError(msg)
        latest[originator] = record_hash(originator, version, stored.topic, stored.state, previous)
        links.append(ChainLink(first_position + offset, originator, version, latest[originator]))
    return links


class _Tips:
    """The hashes of the records this process wrote last, by grant: the previous hash of its next record.

    Stored records never change, so a remembered (grant, version) -> hash is true for good; it is remembered only
    once its transaction has committed, so a rolled-back write can never leave a wrong one behind.
    """

    KEPT = 10_000

    def __init__(self) -> None:
        self._tips: dict[UUID, tuple[int, bytes]] = {}
        self._pending = threading.local()

    def previous(self, originator: UUID, version: int) -> bytes | None:
        tip = self._tips.get(originator)
        return tip[1] if tip is not None and tip[0] == version else None

    def written(self, links: list[ChainLink]) -> None:
        self._pending.links = links

    def committed(self) -> None:
        for link in getattr(self._pending, "links", ()):
            self._tips.pop(link.originator_id, None)
            self._tips[link.originator_id] = (link.version, link.hash)
        self._pending.links = ()
        while len(self._tips) > self.KEPT:
            self._tips.pop(next(iter(self._tips)), None)


class LedgerRecorder:
    """The ledger's own operations, over whichever eventsourcing datastore the concrete recorder has."""

    tables: LedgerTables
    datastore: Any

    def _encode_id(self, originator_id: UUID) -> object:
        return originator_id

    tips: _Tips

    def _statement(self, template: str) -> str:
        """A template rendered for these tables, once."""
        rendered: dict[str, str] = self.__dict__.setdefault("_rendered", {})
        statement = rendered.get(template)
        if statement is None:
            rendered[template] = statement = self.tables.render(template)
        return statement

    def _run(self, cursor: Any, template: str, params: Sequence[object] = ()) -> None:  # noqa: ANN401
        cursor.execute(self._statement(template), params)

    def _write_links(self, cursor: Any, stored_events: Sequence[StoredEvent], ids: Sequence[int]) -> None:  # noqa: ANN401
        """Chain the records just inserted, in their transaction (the events table is locked for writing)."""
        first_position = self._first_position(cursor, ids)

        def previous_hash(originator: UUID, version: int) -> bytes | None:
            known = self.tips.previous(originator, version)
            if known is not None:
                return known
            self._run(cursor, SELECT_PREVIOUS_HASH, (self._encode_id(originator), version))
            row = cursor.fetchone()
            return bytes(row["record_hash"]) if row else None

        links = chain_links(stored_events, first_position, previous_hash)
        rows = [
            (link.position, notification_id, self._encode_id(link.originator_id), link.version, link.hash)
            for link, notification_id in zip(links, ids, strict=True)
        ]
        cursor.executemany(self._statement(INSERT_LINK), rows)
        self.tips.written(links)

    def _first_position(self, cursor: Any, ids: Sequence[int]) -> int:  # noqa: ANN401, ARG002 - a driver's cursor
        """The log position of the first record just inserted: one past the log's end."""
        self._run(cursor, SELECT_LOG_SIZE)
        return int(cursor.fetchone()["size"]) + 1

    def log_size(self) -> int:
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_LOG_SIZE)
            return int(cursor.fetchone()["size"])

    def hashes_after(self, position: int) -> Iterator[bytes]:
        """The record hashes after `position`, in log order, fetched in batches: what a checkpoint adds up."""
        while True:
            with self.datastore.transaction(commit=False) as cursor:
                self._plain_tuples(cursor)
                self._run(cursor, SELECT_HASHES, (position, BATCH))
                rows = cursor.fetchall()
            for _, stored in rows:
                yield bytes(stored)
            if len(rows) < BATCH:
                return
            position = int(rows[-1][0])

    def log_records(self) -> Iterator[LogRecord]:
        """The whole log in order, each link with the event row its notification id points at, in batches.

        Plain tuples in `LogRecord`'s order; both tables are read in their storage order, so this costs little
        more than reading the events alone.
        """
        position = 0
        while True:
            with self.datastore.transaction(commit=False) as cursor:
                self._plain_tuples(cursor)
                self._run(cursor, SELECT_LOG_RECORDS, (position, BATCH))
                rows = cursor.fetchall()
            yield from self._log_records(rows)
            if len(rows) < BATCH:
                return
            position = int(rows[-1][0])

    def _plain_tuples(self, cursor: Any) -> None:  # noqa: ANN401 - a driver's cursor
        """Have this cursor return plain tuples (cheaper than the named rows eventsourcing asks for)."""

    def _log_records(self, rows: list[Any]) -> Iterable[LogRecord]:
        return rows

    def stored_hash(self, originator: str, version: int) -> bytes | None:
        """The hash the log holds for one record, or None: the verifier's fallback for a chain it has forgotten."""
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_PREVIOUS_HASH, (self._encode_id(UUID(originator)), version))
            row = cursor.fetchone()
        return None if row is None else bytes(row["record_hash"])

    def event_count(self) -> int:
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_EVENT_COUNT)
            return int(cursor.fetchone()["count"])

    def records_of(self, originator_id: UUID) -> list[StoredRecord]:
        """One grant's chain links with their stored events, in version order."""
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_RECORDS_OF, (self._encode_id(originator_id),))
            return [_record(row) for row in cursor.fetchall()]

    def unlinked_events(self) -> list[tuple[UUID, int]]:
        """Events with no chain link: written behind the ledger's back."""
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_UNLINKED_EVENTS)
            return [(UUID(str(row["originator_id"])), int(row["originator_version"])) for row in cursor.fetchall()]

    def insert_checkpoint(self, row: CheckpointRow) -> None:
        """Record a checkpoint, unless another writer already recorded one of this size."""
        params = (
            row.tree_size,
            row.root,
            self._encode_time(row.taken_at),
            row.frontier,
            row.signature,
            row.key_id,
            row.reason,
            row.tree_size,
        )
        with self.datastore.transaction(commit=True) as cursor:
            self._run(cursor, INSERT_CHECKPOINT, params)

    def checkpoints(self) -> list[CheckpointRow]:
        with self.datastore.transaction(commit=False) as cursor:
            self._run(cursor, SELECT_CHECKPOINTS)
            return [self._checkpoint(row) for row in cursor.fetchall()]

    def latest_checkpoint(self) -> CheckpointRow | None:
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

    def _checkpoint(self, row: Any) -> CheckpointRow:  # noqa: ANN401 - a driver's row
        taken_at = row["taken_at"]
        return CheckpointRow(
            tree_size=int(row["tree_size"]),
            root=bytes(row["root"]),
            taken_at=taken_at if isinstance(taken_at, datetime) else datetime.fromisoformat(taken_at),
            frontier=bytes(row["frontier"]),
            signature=bytes(row["signature"]),
            key_id=str(row["key_id"]),
            reason=str(row["reason"]),
        )


def _link(row: Any) -> ChainLink:  # noqa: ANN401 - a driver's row
    return ChainLink(
        position=int(row["position"]),
        originator_id=UUID(str(row["originator_id"])),
        version=int(row["originator_version"]),
        hash=bytes(row["record_hash"]),
    )


def _record(row: Any) -> StoredRecord:  # noqa: ANN401 - a driver's row
    return StoredRecord(_link(row), row["topic"], _as_bytes(row["state"]))


def _as_bytes(value: object) -> bytes | None:
    """Stored bytes as read back; a tampered row may hold text or a number where bytes belong."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


class ChainedSQLiteApplicationRecorder(LedgerRecorder, SQLiteApplicationRecorder):
    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:  # noqa: ANN401
        self.tables = LedgerTables.beside(events_table_name, "?", "rowid")
        self.tips = _Tips()
        super().__init__(datastore, events_table_name)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:  # noqa: ANN401
        self.tips.written([])  # nothing of an earlier, failed write may be taken for this one
        ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        self.tips.committed()
        return ids

    def construct_create_table_statements(self) -> list[str]:
        sql = self.tables
        statements = [
            *super().construct_create_table_statements(),
            (
                f"CREATE TABLE IF NOT EXISTS {sql.links} (position INTEGER PRIMARY KEY, "
                "notification_id INTEGER NOT NULL, originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
                "record_hash BLOB NOT NULL, UNIQUE (originator_id, originator_version))"
            ),
            (
                f"CREATE TABLE IF NOT EXISTS {sql.checkpoints} (tree_size INTEGER NOT NULL, root BLOB NOT NULL, "
                "taken_at TEXT NOT NULL, frontier BLOB NOT NULL, signature BLOB NOT NULL, key_id TEXT NOT NULL, "
                "reason TEXT NOT NULL)"
            ),
            f"CREATE INDEX IF NOT EXISTS {sql.checkpoints}_by_size ON {sql.checkpoints} (tree_size)",
            f"CREATE TABLE IF NOT EXISTS {sql.person_keys} (person_id TEXT PRIMARY KEY, wrapped_key BLOB NOT NULL)",
        ]
        statements.extend(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'the grant ledger is append-only: {operation} on {table} refused'); END"
            for table in (sql.events, sql.links, sql.checkpoints)
            for operation in ("UPDATE", "DELETE")
        )
        return statements

    def _encode_id(self, originator_id: UUID) -> object:
        return originator_id.hex  # as eventsourcing's SQLite recorder stores it

    def _first_position(self, cursor: Any, ids: Sequence[int]) -> int:  # noqa: ANN401, ARG002 - a sqlite3.Cursor
        """In SQLite a record's log position is its row id: rows are never deleted, so row ids have no gaps."""
        return ids[0] if ids else 1

    def _plain_tuples(self, cursor: Any) -> None:  # noqa: ANN401 - a sqlite3.Cursor
        cursor.row_factory = None  # ids are text, versions int, hashes and states bytes: tuples as they are

    def _encode_time(self, instant: datetime) -> object:
        return instant.isoformat()

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: object
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        self._write_links(c, stored_events, ids or [])
        return ids


class ChainedPostgresApplicationRecorder(LedgerRecorder, PostgresApplicationRecorder):
    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:  # noqa: ANN401
        super().__init__(datastore, events_table_name=events_table_name)
        schema = self.datastore.schema
        self.tables = LedgerTables.beside(events_table_name, "%s", "notification_id", schema)
        self.tips = _Tips()
        self.sql_create_statements.extend(Composed([SQL(_literal(text))]) for text in self._ledger_statements(schema))

    def _ledger_statements(self, schema: str) -> list[str]:
        sql = self.tables
        index = sql.checkpoints.split(".")[-1]
        refuse = f"{schema}.grantledger_refuse_change"
        statements = [
            (
                f"CREATE TABLE IF NOT EXISTS {sql.links} (position BIGINT PRIMARY KEY, "
                "notification_id BIGINT NOT NULL, originator_id UUID NOT NULL, originator_version INTEGER NOT NULL, "
                "record_hash BYTEA NOT NULL, "
                "UNIQUE (originator_id, originator_version))"
            ),
            (
                f"CREATE TABLE IF NOT EXISTS {sql.checkpoints} (tree_size BIGINT NOT NULL, root BYTEA NOT NULL, "
                "taken_at TIMESTAMPTZ NOT NULL, frontier BYTEA NOT NULL, signature BYTEA NOT NULL, "
                "key_id TEXT NOT NULL, reason TEXT NOT NULL)"
            ),
            f"CREATE INDEX IF NOT EXISTS {index}_by_size ON {sql.checkpoints} (tree_size)",
            f"CREATE TABLE IF NOT EXISTS {sql.person_keys} (person_id UUID PRIMARY KEY, wrapped_key BYTEA NOT NULL)",
            (
                f"CREATE OR REPLACE FUNCTION {refuse}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'the grant ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME; END $$"
            ),
        ]
        for table in (sql.events, sql.links, sql.checkpoints):
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

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:  # noqa: ANN401
        self.tips.written([])  # nothing of an earlier, failed write may be taken for this one
        ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        self.tips.committed()
        return ids

    def _plain_tuples(self, cursor: Any) -> None:  # noqa: ANN401 - a psycopg cursor
        cursor.row_factory = tuple_row

    def _log_records(self, rows: list[Any]) -> Iterable[LogRecord]:
        """UUIDs as text, as the verifier keys its chains."""
        for position, stored, originator, version, topic, state in rows:
            yield (position, bytes(stored), str(originator), version, topic, None if state is None else bytes(state))

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: object
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        self._write_links(curs, stored_events, ids or [])
        return ids


def _literal(text: str) -> LiteralString:
    """Our statements are built only from constants and table names from configuration, never from input."""
    return text  # mypy reads LiteralString as str: the claim in the signature is ours to make
