"""The ledger contract on a SQLite file: the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.application import GrantLedger
from tests.ledger.contract import LedgerContract, record


class TestLedgerOnSQLite(LedgerContract):
    @pytest.fixture
    def ledger_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path}/ledger.sqlite"

    def test_the_ledger_is_the_file_named_by_the_url(self, ledger: GrantLedger, tmp_path: Path) -> None:
        record(ledger, [])
        assert (tmp_path / "ledger.sqlite").stat().st_size > 0
