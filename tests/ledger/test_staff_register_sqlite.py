"""The staff register's contract on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger.staff_contract import StaffRegisterContract


class TestStaffRegisterOnSQLite(StaffRegisterContract):
    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
