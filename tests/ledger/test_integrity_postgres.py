"""Tamper evidence on the PostgreSQL ledger, tampered with through psycopg as a superuser."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql
from sqlalchemy.engine import make_url

from audit.verify import verify_ledger
from domain.grant import grant_id
from ledger.application import open_ledger
from ledger.checkpoints import CheckpointSigner
from tests.builders import lifecycle, submit
from tests.ledger.integrity_contract import RawDatabase
from tests.ledger.personal_data_contract import PersonalDataContract
from tests.ledger.postgres import connect, fresh_schema_url, skip_without_postgres
from tests.ledger.proof_contract import ProofContract

skip_without_postgres()


class RawPostgres:
    def __init__(self, connection: psycopg.Connection, schema: str) -> None:
        self.connection = connection
        self.schema = schema

    def execute(self, template: str, *params: object) -> list[tuple[object, ...]]:
        statement = template.format(
            events=f"{self.schema}.grantledger_events",
            checkpoints=f"{self.schema}.grantledger_checkpoints",
            p="%s",
        )
        cursor = self.connection.execute(sql.SQL(statement), params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []

    def drop_guards(self) -> None:
        """Triggers stop firing for this session: what a superuser can do without leaving a DROP behind."""
        self.connection.execute("SET session_replication_role = replica")

    def originator(self, grant_no: str) -> object:
        return grant_id(grant_no)

    def snapshot(self) -> None:
        self.execute("CREATE TABLE {events}_backup AS SELECT * FROM {events}")
        self.execute("CREATE TABLE {checkpoints}_backup AS SELECT * FROM {checkpoints}")

    def restore(self) -> None:
        """Every row replaced by the backup's, the append-only triggers silenced for this session first."""
        self.drop_guards()
        self.execute("DELETE FROM {events}")
        self.execute("INSERT INTO {events} SELECT * FROM {events}_backup")
        self.execute("DELETE FROM {checkpoints}")
        self.execute("INSERT INTO {checkpoints} SELECT * FROM {checkpoints}_backup")


@pytest.mark.postgres
class TestIntegrityOnPostgres(ProofContract, PersonalDataContract):
    @pytest.fixture
    def ledger_url(self) -> Iterator[str]:
        with fresh_schema_url() as url:
            yield url

    @pytest.fixture
    def raw(self, ledger_url: str) -> Iterator[RawDatabase]:
        schema = make_url(ledger_url).query["schema"]
        with connect(ledger_url) as connection:
            yield RawPostgres(connection, str(schema))

    def test_checkpoints_verify_whatever_time_zone_the_sessions_use(
        self, ledger_url: str, key: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """TIMESTAMPTZ comes back in the session's zone: the signed text (and the digest followed) is in UTC."""
        monkeypatch.setenv("PGTZ", "Asia/Shanghai")
        with open_ledger(ledger_url, CheckpointSigner(key)) as ledger:
            for grant_no in ("A", "B"):
                ledger.execute(submit(grant_no))
                for command in lifecycle(grant_no):
                    ledger.execute(command)
            report = verify_ledger(ledger, key.public_key())
        assert report.ok, report.problems
        assert report.checkpoints == 2 * 3
        monkeypatch.setenv("PGTZ", "UTC")
        with open_ledger(ledger_url) as ledger:
            assert verify_ledger(ledger, key.public_key()).ok
