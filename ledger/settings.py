"""Where the ledger lives: `GRANTS_LEDGER_URL`, or a SQLite file under the data directory."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_LOCK_TIMEOUT_SECONDS = 15  # wait this long for another writer (busy timeout) before failing


class LedgerURLError(ValueError):
    pass


def default_ledger_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'ledger.sqlite'}"


def persistence_env(url: str) -> dict[str, str]:
    """The eventsourcing settings for a ledger URL (`sqlite:///path` or `postgresql://...?schema=name`).

    We use eventsourcing's own SQLite and PostgreSQL modules rather than eventsourcing-sqlalchemy:
    measured here they append 2-3x faster (see README), and SQLAlchemy stays ours for everything else.
    """
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            msg = f"ledger URL {url!r} names no file; the book of record must outlive the process"
            raise LedgerURLError(msg)
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "APPLICATION_RECORDER_TOPIC": "ledger.recorders:ChainedSQLiteApplicationRecorder",
            "SQLITE_DBNAME": parsed.database,
            "SQLITE_LOCK_TIMEOUT": str(SQLITE_LOCK_TIMEOUT_SECONDS),
        }
    if parsed.get_backend_name() == "postgresql":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": "ledger.recorders:ChainedPostgresApplicationRecorder",
            "POSTGRES_DBNAME": parsed.database or "postgres",
            "POSTGRES_HOST": parsed.host or "127.0.0.1",
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": parsed.username or "postgres",
            "POSTGRES_PASSWORD": parsed.password or "",
            "POSTGRES_SCHEMA": postgres_schema(parsed),
            "POSTGRES_CONNECT_TIMEOUT": "10",
        }
    msg = f"ledger URL {url!r} is neither sqlite:///FILE nor postgresql://USER@HOST/DB"
    raise LedgerURLError(msg)


def postgres_schema(parsed: URL) -> str:
    schema = parsed.query.get("schema", "public")
    return schema if isinstance(schema, str) else schema[0]


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except Exception as error:  # SQLAlchemy raises ArgumentError and ValueError alike
        msg = f"ledger URL {url!r} cannot be parsed: {error}"
        raise LedgerURLError(msg) from error
