"""Schema set-up that the eventsourcing recorders do not do themselves."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateSchema

from ledger.settings import postgres_schema


def ensure_postgres_schema(url: str) -> None:
    """Create the PostgreSQL schema named in the URL (`?schema=`), if it does not exist yet."""
    parsed = make_url(url)
    schema = postgres_schema(parsed)
    engine = create_engine(parsed.set(drivername="postgresql+psycopg").difference_update_query(["schema"]))
    try:
        with engine.begin() as connection:
            connection.execute(CreateSchema(schema, if_not_exists=True))
    finally:
        engine.dispose()
