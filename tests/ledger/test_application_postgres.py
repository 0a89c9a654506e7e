"""The ledger contract on PostgreSQL (production), each test in a fresh schema on `GRANTS_TEST_POSTGRES_URL`.

Unset, the module is skipped with its reason; set but unreachable, every test fails: a CI machine that should
run these must never pass quietly without them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from ledger.application import GrantLedger
from tests.ledger.contract import LedgerContract, record

POSTGRES_URL_VARIABLE = "GRANTS_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(POSTGRES_URL_VARIABLE, "")

if not POSTGRES_URL:
    pytest.skip(f"set {POSTGRES_URL_VARIABLE} to run the ledger contract on PostgreSQL", allow_module_level=True)


def server_url(url: str) -> str:
    """The URL as libpq reads it: no SQLAlchemy driver suffix, no `schema` parameter, password kept."""
    parsed = make_url(url).difference_update_query(["schema"]).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


@pytest.mark.postgres
class TestLedgerOnPostgres(LedgerContract):
    @pytest.fixture
    def ledger_url(self) -> Iterator[str]:
        """A URL on a schema of its own (`?schema=t_<hex>`), dropped with everything in it afterwards."""
        schema = f"t_{secrets.token_hex(8)}"
        try:
            connection = psycopg.connect(server_url(POSTGRES_URL), autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as error:
            shown = make_url(POSTGRES_URL).render_as_string(hide_password=True)
            pytest.fail(f"{POSTGRES_URL_VARIABLE} is set to {shown}, but PostgreSQL is unreachable: {error}")
        with connection:
            yield f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"
            connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    def test_the_ledger_writes_only_into_the_schema_of_its_url(self, ledger: GrantLedger, ledger_url: str) -> None:
        record(ledger, [])
        schema = make_url(ledger_url).query["schema"]

        with psycopg.connect(server_url(ledger_url)) as connection:
            tables = connection.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name LIKE 'grantledger%%'"
                " AND table_schema = %s",
                (schema,),
            ).fetchall()
            rows = connection.execute(
                sql.SQL("SELECT count(*) FROM {}.grantledger_events").format(sql.Identifier(schema))
            ).fetchone()

        assert tables == [(schema, "grantledger_events")]
        assert rows == (1,)
