"""PostgreSQL for the ledger tests: each test gets a fresh schema on `GRANTS_TEST_POSTGRES_URL`.

Unset, the modules that need it are skipped with the reason printed; set but unreachable, their tests fail:
a CI machine that should run them must never pass quietly without them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

POSTGRES_URL_VARIABLE = "GRANTS_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(POSTGRES_URL_VARIABLE, "")


def skip_without_postgres() -> None:
    if not POSTGRES_URL:
        pytest.skip(f"set {POSTGRES_URL_VARIABLE} to run the ledger contract on PostgreSQL", allow_module_level=True)


def server_url(url: str) -> str:
    """The URL as libpq reads it: no SQLAlchemy driver suffix, no `schema` parameter, password kept."""
    parsed = make_url(url).difference_update_query(["schema"]).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def connect(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(server_url(url), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        shown = make_url(url).render_as_string(hide_password=True)
        pytest.fail(f"{POSTGRES_URL_VARIABLE} is set to {shown}, but PostgreSQL is unreachable: {error}")


@contextmanager
def fresh_schema_url() -> Iterator[str]:
    """A ledger URL on a schema of its own (`?schema=t_<hex>`), dropped with everything in it afterwards."""
    schema = f"t_{secrets.token_hex(8)}"
    with connect(POSTGRES_URL) as connection:
        yield f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
