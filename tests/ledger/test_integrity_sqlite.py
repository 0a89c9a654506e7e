"""Tamper evidence on the embedded SQLite ledger, tampered with through Python's own sqlite3."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from domain.grant import grant_id
from ledger.application import open_ledger
from ledger.recorders import LedgerShapeError
from tests.ledger.integrity_contract import IntegrityContract, RawDatabase
from tests.ledger.personal_data_contract import PersonalDataContract


class RawSQLite:
    def __init__(self, path: Path) -> None:
        self.path = path

    def execute(self, template: str, *params: object) -> list[tuple[object, ...]]:
        statement = template.format(events="stored_events", checkpoints="stored_checkpoints", p="?")
        with closing(sqlite3.connect(self.path)) as connection, connection:
            return connection.execute(statement, params).fetchall()

    def drop_guards(self) -> None:
        for (name,) in self.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            self.execute(f"DROP TRIGGER {name}")

    def originator(self, grant_no: str) -> object:
        return grant_id(grant_no).hex

    def snapshot(self) -> None:
        with closing(sqlite3.connect(self.path)) as source, closing(sqlite3.connect(self.backup)) as target:
            source.backup(target)

    def restore(self) -> None:
        """The backup file copied over the ledger's, its write-ahead log removed: what restoring a file does."""
        shutil.copyfile(self.backup, self.path)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    @property
    def backup(self) -> Path:
        return self.path.with_suffix(".backup")


class TestIntegrityOnSQLite(IntegrityContract, PersonalDataContract):
    @pytest.fixture
    def ledger_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path}/ledger.sqlite"

    @pytest.fixture
    def raw(self, tmp_path: Path) -> RawDatabase:
        return RawSQLite(tmp_path / "ledger.sqlite")

    def test_a_ledger_of_the_older_shape_is_refused_with_the_reason(self, tmp_path: Path) -> None:
        """Made before the record hashes moved into the events rows: no silent half-working ledger."""
        path = tmp_path / "old.sqlite"
        with closing(sqlite3.connect(path)) as connection, connection:
            connection.execute(
                "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
                "PRIMARY KEY (originator_id, originator_version))"
            )
        with (
            pytest.raises(LedgerShapeError, match=r"no record hashes in its rows.*Fix: record into a new ledger"),
            open_ledger(f"sqlite:///{path}"),
        ):
            pass
