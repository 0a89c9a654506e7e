"""The read models beside the PostgreSQL ledger, in its schema (a fresh one per test on `GRANTS_TEST_POSTGRES_URL`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from tests.ledger.postgres import connect, fresh_schema_url, skip_without_postgres
from tests.ledger.projection_contract import ProjectionContract

skip_without_postgres()


@pytest.mark.postgres
class TestReadModelsOnPostgres(ProjectionContract):
    @pytest.fixture
    def ledger_url(self) -> Iterator[str]:
        with fresh_schema_url() as url:
            yield url

    def test_the_read_models_live_in_the_schema_of_the_ledgers_url(self, ledger_url: str, engine: Engine) -> None:
        schema = make_url(ledger_url).query["schema"]
        with connect(ledger_url) as connection:
            found = connection.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name LIKE 'rm\\_%%'"
                " AND table_schema IN (%s, 'public') ORDER BY table_name",
                (schema,),
            ).fetchall()
        tables = (
            "rm_beneficiary_lists",
            "rm_decisions",
            "rm_grant_versions",
            "rm_grants",
            "rm_payments",
            "rm_positions",
        )
        assert found == [(schema, table) for table in tables]
