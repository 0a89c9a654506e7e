"""The read models beside the embedded SQLite ledger, in the same file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger.projection_contract import ProjectionContract


class TestReadModelsOnSQLite(ProjectionContract):
    @pytest.fixture
    def ledger_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
