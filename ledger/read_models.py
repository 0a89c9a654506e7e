"""The read models: tables the projections keep from the ledger, for listing and reporting without replay.

They live beside the ledger (the same SQLite file, or the same PostgreSQL schema), prefixed `rm_`, so there
is nothing new to configure. They hold no personal data: payments to people on a beneficiary list are rows
without the person. Everything here can be rebuilt from the ledger (`grants ledger rebuild-read-models`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator

from domain.stages import Stage
from ledger.settings import SQLITE_LOCK_TIMEOUT_SECONDS, postgres_schema


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored as naive UTC (SQLite keeps no offset) and read back timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

grants = Table(
    "rm_grants",
    metadata,
    Column("grant_no", String(64), primary_key=True),
    Column("region", String(6), nullable=False, index=True),
    Column("program", String(100), nullable=False, index=True),
    Column("fiscal_year", Integer, nullable=False, index=True),
    Column("recipient", String(200), nullable=False),
    Column("stage", String(20), nullable=False, index=True),
    Column("requested_fen", BigInteger, nullable=False),
    Column("approved_fen", BigInteger),
    Column("appropriated_fen", BigInteger, nullable=False),
    Column("disbursed_fen", BigInteger, nullable=False),
    Column("tranches", Integer, nullable=False),
    Column("score_tenths", Integer),
    Column("rating", String(2)),
    # A deadline the workflow recorded as missed whose obligation is still open (R9).
    Column("overdue", Boolean, nullable=False),
    Column("events", Integer, nullable=False),
    Column("last_event_at", UTCDateTime, nullable=False),
)

PAYEE_RECIPIENT = "recipient"  # a tranche to the grant's recipient organisation
PAYEE_OTHER = "other"  # a tranche to another payee named on the disbursement
PAYEE_BENEFICIARY = "beneficiary"  # an individual on the registered list, through the one-card system (一卡通)

payments = Table(
    "rm_payments",
    metadata,
    # The ledger's notification id: one row per payment event, the same on every rebuild.
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("grant_no", String(64), nullable=False, index=True),
    Column("amount_fen", BigInteger, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("payee_kind", String(20), nullable=False),
)

decisions = Table(
    "rm_decisions",
    metadata,
    Column("body", String(50), primary_key=True),
    Column("minutes_ref", String(200), primary_key=True),
    Column("held_on", Date, nullable=False),
    Column("items", Integer, nullable=False),
    Column("grant_nos", Text, nullable=False),  # the grants its items concern, comma-separated
    Column("valid", Boolean, nullable=False),
    Column("problems", Text, nullable=False),  # why it is not a valid decision (R5), by the quorum in `quorum`
    Column("quorum", String(10), nullable=False),
)

# When each version of each grant was recorded: the index by which `grants audit state --as-of` finds the version a
# moment saw, without reading the grant's history to find it.
grant_versions = Table(
    "rm_grant_versions",
    metadata,
    Column("grant_no", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index("rm_grant_versions_by_time", "grant_no", "recorded_at"),
)

# Which grant each beneficiary list belongs to (a payment event names the list, not the grant).
beneficiary_lists = Table(
    "rm_beneficiary_lists",
    metadata,
    Column("list_id", String(36), primary_key=True),
    Column("grant_no", String(64), nullable=False),
)

# How far each projection has read the ledger's notification log; written in the same transaction as its rows.
positions = Table(
    "rm_positions",
    metadata,
    Column("projection", String(50), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

PROJECTED_TABLES = (grants, payments, decisions, beneficiary_lists, grant_versions)


@dataclass(frozen=True)
class GrantSummary:
    """One grant as `grants list` shows it: amounts in fen, the evaluation score in tenths."""

    grant_no: str
    region: str
    program: str
    fiscal_year: int
    recipient: str
    stage: str
    requested_fen: int
    approved_fen: int | None
    appropriated_fen: int
    disbursed_fen: int
    tranches: int
    score_tenths: int | None
    rating: str | None
    overdue: bool
    events: int
    last_event_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "last_event_at": self.last_event_at.isoformat()}


@dataclass(frozen=True)
class GrantFilter:
    """Which grants to list; `None` (or False for `overdue`) does not filter."""

    stage: Stage | None = None
    region: str | None = None
    fiscal_year: int | None = None
    program: str | None = None
    overdue: bool = False


def grant_summaries(connection: Connection, where: GrantFilter) -> list[GrantSummary]:
    """The grants that match `where`, by grant number."""
    query = select(grants).order_by(grants.c.grant_no)
    if where.stage is not None:
        query = query.where(grants.c.stage == str(where.stage))
    if where.region is not None:
        query = query.where(grants.c.region == where.region)
    if where.fiscal_year is not None:
        query = query.where(grants.c.fiscal_year == where.fiscal_year)
    if where.program is not None:
        query = query.where(grants.c.program == where.program)
    if where.overdue:
        query = query.where(grants.c.overdue.is_(True))
    return [GrantSummary(**row._asdict()) for row in connection.execute(query)]


def table_contents(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every projected table's rows in primary-key order (to compare a rebuilt projection with the original)."""
    return {
        table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
        for table in PROJECTED_TABLES
    }


def version_at(connection: Connection, grant_no: str, at: datetime) -> int:
    """The grant's last version recorded by `at` (0: none was, or no such grant)."""
    found = connection.scalar(
        select(func.max(grant_versions.c.version)).where(
            grant_versions.c.grant_no == grant_no, grant_versions.c.recorded_at <= at
        )
    )
    return int(found or 0)


def read_model_engine(ledger_url: str) -> Engine:
    """An engine on the ledger's own database: the same SQLite file, or the schema the PostgreSQL URL names."""
    parsed = make_url(ledger_url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed.set(drivername="sqlite+pysqlite"),
            # The driver's own transaction handling off, so that each of ours can begin IMMEDIATE (below).
            connect_args={"timeout": SQLITE_LOCK_TIMEOUT_SECONDS, "isolation_level": None},
        )
        # Take SQLite's write lock when a transaction begins, not at its first write: a transaction that read
        # first and then wrote could not wait for another writer and would fail at once with "database is locked".
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    schema = postgres_schema(parsed)
    engine = create_engine(parsed.set(drivername="postgresql+psycopg").difference_update_query(["schema", "access"]))
    return engine.execution_options(schema_translate_map={None: schema})


@contextmanager
def opened_read_models(ledger_url: str) -> Iterator[Engine]:
    """The read models' engine, their tables created if missing; its connections released afterwards."""
    engine = read_model_engine(ledger_url)
    try:
        with engine.begin() as connection:
            metadata.create_all(connection)
        yield engine
    finally:
        engine.dispose()
