"""The staff register's contract on PostgreSQL, each test in a fresh schema on `GRANTS_TEST_POSTGRES_URL`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ledger.postgres import fresh_schema_url, skip_without_postgres
from tests.ledger.staff_contract import StaffRegisterContract

skip_without_postgres()


@pytest.mark.postgres
class TestStaffRegisterOnPostgres(StaffRegisterContract):
    @pytest.fixture
    def url(self) -> Iterator[str]:
        with fresh_schema_url() as url:
            yield url
