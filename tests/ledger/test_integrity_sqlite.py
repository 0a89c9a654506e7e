"""Tamper evidence on the embedded SQLite ledger, tampered with through Python's own sqlite3."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.verify import verify_grant
from domain.grant import grant_id
from ledger.application import open_ledger
from ledger.checkpoints import Checkpoint
from ledger.recorders import LedgerShapeError
from tests.ledger.integrity_contract import RawDatabase
from tests.ledger.personal_data_contract import PersonalDataContract
from tests.ledger.proof_contract import ProofContract


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


class TestIntegrityOnSQLite(ProofContract, PersonalDataContract):
    @pytest.fixture
    def ledger_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path}/ledger.sqlite"

    @pytest.fixture
    def raw(self, tmp_path: Path) -> RawDatabase:
        return RawSQLite(tmp_path / "ledger.sqlite")

    @pytest.mark.parametrize(
        ("column", "value", "expected"),
        [
            ("topic", "x'00ff'", "expected topic as text, found 2 bytes 00ff"),
            ("state", "'none'", "expected state as bytes, found text 'none'"),
            ("record_hash", "x'00ff'", "expected record_hash as 32 bytes, found 2 bytes 00ff"),
        ],
    )
    def test_a_value_of_the_wrong_type_is_reported_where_it_is(
        self,
        ledger_url: str,
        key: Ed25519PrivateKey,
        raw: RawDatabase,
        exported: Checkpoint,
        column: str,
        value: str,
        expected: str,
    ) -> None:
        """SQLite keeps any value in any column: each is named with its grant, version and log position."""
        raw.drop_guards()
        raw.execute(
            f"UPDATE {{events}} SET {column} = {value} WHERE originator_id = {{p}} AND originator_version = 5",  # noqa: S608 - the test's own values
            raw.originator("B"),
        )
        problem = f"grant B version 5 (log position 16): stored value of the wrong type: {expected}"
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert problem in problems
        assert not any("grant B version 6" in p for p in problems), "its successor is untouched"
        with open_ledger(ledger_url) as ledger:
            assert problem in [str(problem) for problem in verify_grant(ledger, "B").problems]

    def test_a_record_hash_stored_as_text_is_reported_and_its_place_in_the_log_too(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        raw.execute(
            "UPDATE {events} SET record_hash = hex(record_hash) WHERE originator_id = {p} AND originator_version = 5",
            raw.originator("B"),
        )
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert problems[0].startswith(
            "grant B version 5 (log position 16): stored value of the wrong type: expected record_hash as 32 bytes, "
            "found text '"
        )
        assert not any("grant B version 6" in p for p in problems), "its successor is untouched"
        assert any("log differs from its checkpoint" in p for p in problems[1:]), problems
        with open_ledger(ledger_url) as ledger:
            assert [str(problem) for problem in verify_grant(ledger, "B").problems] == problems[:1]

    def test_a_version_stored_as_text_is_reported_with_its_grant_and_log_position(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        raw.execute(
            "UPDATE {events} SET originator_version = 'five' WHERE originator_id = {p} AND originator_version = 5",
            raw.originator("B"),
        )
        assert [str(problem) for problem in self.verify(ledger_url, key).problems] == [
            (
                "grant B (log position 16): stored value of the wrong type: expected originator_version as an "
                "integer, found text 'five'"
            )
        ]

    @pytest.mark.parametrize(
        ("value", "found"),
        [
            ("CAST(originator_id AS BLOB)", f"32 bytes {grant_id('B').hex.encode()[:12].hex()}..."),
            ("upper(originator_id)", f"text '{grant_id('B').hex.upper()[:24]}...'"),
        ],
    )
    def test_an_originator_id_of_another_type_or_spelling_is_reported_at_its_log_position(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint, value: str, found: str
    ) -> None:
        """Another spelling of the same id would hide the event from its grant, which is read by the exact text."""
        raw.drop_guards()
        raw.execute(
            f"UPDATE {{events}} SET originator_id = {value} WHERE originator_id = {{p}} AND originator_version = 5",  # noqa: S608
            raw.originator("B"),
        )
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert problems[0].startswith(
            "log position 16: stored value of the wrong type: expected originator_id as 32 lowercase hex digits, "
            f"found {found}"
        ), problems
        assert problems[1:] == [
            "grant B version 5 (before log position 17): record deleted: expected its stored event, found none"
        ]

    def test_a_respelled_originator_id_with_a_text_record_hash_is_reported_not_a_crash(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        """Two wrong values in one row: the malformed id is reported, and the Merkle log still takes the hash."""
        raw.drop_guards()
        raw.execute(
            "UPDATE {events} SET originator_id = upper(originator_id), record_hash = hex(record_hash) "
            "WHERE originator_id = {p} AND originator_version = 5",
            raw.originator("B"),
        )
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert problems[0].startswith("log position 16: stored value of the wrong type: expected originator_id")
        assert any("log differs from its checkpoint" in problem for problem in problems), problems

    @pytest.mark.parametrize(
        ("column", "value", "where", "expected"),
        [
            ("root", "'abc'", "checkpoint of {size} records", "expected root as 32 bytes, found text 'abc'"),
            (
                "taken_at",
                "'yesterday'",
                "checkpoint of {size} records",
                "expected taken_at as an ISO 8601 time with its offset, found text 'yesterday'",
            ),
            (
                "tree_size",
                "'many'",
                "checkpoint of text 'many' records (root 32 bytes ",
                "expected tree_size as an integer of at least 0, found text 'many'",
            ),
            (
                "follows_digest",
                "x'00'",
                "checkpoint of {size} records",
                "expected follows_digest as 32 bytes, found 1 bytes 00",
            ),
            (
                "follows_size",
                "NULL",
                "checkpoint of {size} records",
                "expected follows_size as an integer of at least 0, found NULL",
            ),
        ],
    )
    def test_a_checkpoint_value_of_the_wrong_type_is_reported(
        self,
        ledger_url: str,
        key: Ed25519PrivateKey,
        raw: RawDatabase,
        exported: Checkpoint,
        column: str,
        value: str,
        where: str,
        expected: str,
    ) -> None:
        raw.drop_guards()
        tampering = f"UPDATE {{checkpoints}} SET {column} = {value} WHERE tree_size = {{p}}"  # noqa: S608 - the test's own
        raw.execute(tampering, exported.tree_size)
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert len(problems) == 1, problems
        assert problems[0].startswith(where.format(size=exported.tree_size)), problems
        assert problems[0].endswith(f": stored value of the wrong type: {expected}"), problems

    def test_a_checkpoint_table_of_the_older_format_gains_the_columns_naming_the_checkpoint_followed(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        """Made before checkpoints followed one another: opening the ledger adds the columns, its rows keep NULL."""
        raw.drop_guards()
        raw.execute("ALTER TABLE {checkpoints} DROP COLUMN follows_size")
        raw.execute("ALTER TABLE {checkpoints} DROP COLUMN follows_digest")
        with open_ledger(ledger_url):
            pass
        rows = raw.execute("SELECT follows_size, follows_digest FROM {checkpoints}")
        assert rows
        assert set(rows) == {(None, None)}

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
