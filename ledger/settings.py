"""Where the ledger lives: `GRANTS_LEDGER_URL`, or a SQLite file under the data directory."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_LOCK_TIMEOUT_SECONDS = 15  # wait this long for another writer (busy timeout) before failing


class LedgerURLError(ValueError):
    pass


def default_ledger_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'ledger.sqlite'}"


APPEND_ACCESS = "append"
"""`?access=append` on a PostgreSQL URL: the role `grants ledger init` creates, which may only insert and read."""


def persistence_env(url: str, pool_size: int | None = None) -> dict[str, str]:
    """The eventsourcing settings for a ledger URL (`sqlite:///path` or `postgresql://...?schema=name`).

    We use eventsourcing's own SQLite and PostgreSQL modules rather than eventsourcing-sqlalchemy:
    measured here they append 2-3x faster (see README), and SQLAlchemy stays ours for everything else.
    `pool_size` fixes the number of PostgreSQL connections kept (eventsourcing's default: 5, and 10 more
    when busy). With `access=append` the ledger creates nothing: `grants ledger init` has, as the owner.
    """
    parsed = check_ledger_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = str(parsed.database)
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "APPLICATION_RECORDER_TOPIC": "ledger.recorders:ChainedSQLiteApplicationRecorder",
            "SQLITE_DBNAME": database,
            "SQLITE_LOCK_TIMEOUT": str(SQLITE_LOCK_TIMEOUT_SECONDS),
        }
    env = {
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
    if pool_size is not None:
        env |= {"POSTGRES_POOL_SIZE": str(pool_size), "POSTGRES_MAX_OVERFLOW": "0"}
    if postgres_access(parsed) == APPEND_ACCESS:
        env |= {"CREATE_TABLE": "no", "APPLICATION_RECORDER_TOPIC": "ledger.roles:AppendRolePostgresRecorder"}
    return env


def postgres_schema(parsed: URL) -> str:
    schema = parsed.query.get("schema", "public")
    return schema if isinstance(schema, str) else schema[0]


def postgres_access(parsed: URL) -> str | None:
    """`append` for the application role (`?access=append`), None for an owner that sets its schema up itself."""
    access = parsed.query.get("access")
    access = access if access is None or isinstance(access, str) else access[0]
    if access not in {None, APPEND_ACCESS}:
        msg = f"ledger URL: access={access!r} is unknown. Fix: leave it out (owner) or write access={APPEND_ACCESS}"
        raise LedgerURLError(msg)
    return access


def creates_schema(env: dict[str, str]) -> bool:
    """Whether opening a ledger with these settings creates its schema, tables and triggers."""
    return env["PERSISTENCE_MODULE"] == "eventsourcing.postgres" and env.get("CREATE_TABLE") != "no"


def check_ledger_url(url: str) -> URL:
    """`url` parsed, or `LedgerURLError` if it is not a ledger URL; unlike `persistence_env`, touch nothing."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and (not parsed.database or parsed.database == ":memory:"):
        msg = f"ledger URL {url!r} names no file; the book of record must outlive the process"
        raise LedgerURLError(msg)
    if backend == "postgresql":
        postgres_access(parsed)
    elif backend != "sqlite":
        msg = f"ledger URL {url!r} is neither sqlite:///FILE nor postgresql://USER@HOST/DB"
        raise LedgerURLError(msg)
    return parsed


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except Exception as error:  # SQLAlchemy raises ArgumentError and ValueError alike
        msg = f"ledger URL {url!r} cannot be parsed: {error}"
        raise LedgerURLError(msg) from error
