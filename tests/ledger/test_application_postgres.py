"""The ledger contract on PostgreSQL (production), each test in a fresh schema on `GRANTS_TEST_POSTGRES_URL`.

Unset, the module is skipped with its reason; set but unreachable, every test fails: a CI machine that should
run these must never pass quietly without them.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from ledger.application import GrantLedger
from tests.ledger.contract import LedgerContract, record
from tests.ledger.postgres import fresh_schema_url, server_url, skip_without_postgres

skip_without_postgres()


@pytest.mark.postgres
class TestLedgerOnPostgres(LedgerContract):
    @pytest.fixture
    def ledger_url(self) -> Iterator[str]:
        with fresh_schema_url() as url:
            yield url

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

        assert sorted(tables) == [
            (schema, "grantledger_checkpoints"),
            (schema, "grantledger_events"),
            (schema, "grantledger_person_keys"),
        ]
        assert rows == (1,)
