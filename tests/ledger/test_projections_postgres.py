"""The read models beside the PostgreSQL ledger, in its schema (a fresh one per test on `GRANTS_TEST_POSTGRES_URL`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ledger.postgres import fresh_schema_url, skip_without_postgres
from tests.ledger.projection_contract import ProjectionContract

skip_without_postgres()


@pytest.mark.postgres
class TestReadModelsOnPostgres(ProjectionContract):
    @pytest.fixture
    def ledger_url(self) -> Iterator[str]:
        with fresh_schema_url() as url:
            yield url
