"""`grants ledger init` on PostgreSQL: the owner sets the schema up; the application role may only append and read.

Each test uses a schema of its own and a uniquely named role, dropped afterwards. The ledger contracts run again
connected as that role, so everything the ledger does works with no more than the grants it is given.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from domain.decisions import DEFAULT_QUORUM
from ledger.application import GrantLedger, open_ledger
from ledger.projections import current_grants
from ledger.roles import initialise_ledger
from ledger.settings import LedgerURLError
from tests.builders import lifecycle, submit
from tests.ledger.contract import LedgerContract
from tests.ledger.integrity_contract import RawDatabase
from tests.ledger.personal_data_contract import PersonalDataContract
from tests.ledger.postgres import connect, skip_without_postgres
from tests.ledger.roles_support import RoleLedger, role_ledger
from tests.ledger.test_integrity_postgres import RawPostgres

skip_without_postgres()


@pytest.fixture
def roles() -> Iterator[RoleLedger]:
    with role_ledger() as ledger:
        yield ledger


@pytest.fixture
def owner_url(roles: RoleLedger) -> str:
    return roles.owner_url


@pytest.fixture
def app_url(roles: RoleLedger) -> str:
    """The URL `grants ledger init` returns for the workers, after it set up the schema at `owner_url`."""
    return roles.app_url


def as_app(app_url: str) -> psycopg.Connection:
    """A raw connection as the application role: what an attacker holding the workers' credentials gets."""
    parsed = make_url(app_url)
    schema = str(parsed.query["schema"])
    server = parsed.difference_update_query(["schema", "access"]).render_as_string(hide_password=False)
    connection = psycopg.connect(server, autocommit=True)
    connection.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(schema)))
    return connection


@pytest.mark.postgres
class TestApplicationRole:
    def test_init_returns_an_append_access_url_for_the_role(self, owner_url: str, app_url: str) -> None:
        parsed = make_url(app_url)

        assert parsed.username.startswith("grants_app_")
        assert parsed.query["access"] == "append"
        assert parsed.query["schema"] == make_url(owner_url).query["schema"]

    def test_the_role_appends_and_reads_through_the_ledger(self, app_url: str) -> None:
        with open_ledger(app_url) as ledger:
            ledger.execute(submit("A"))
            for command in lifecycle("A"):
                ledger.execute(command)
        with open_ledger(app_url) as reopened:
            assert reopened.state("A").stage.is_final
            assert reopened.count_events() == len(lifecycle("A")) + 1

    def test_the_role_keeps_the_read_models_up_to_date(self, app_url: str) -> None:
        """The `rm_*` tables are derived and rebuilt at will: every reader's catch-up writes them."""
        with open_ledger(app_url) as ledger:
            ledger.execute(submit("A"))
        (summary,) = current_grants(app_url, DEFAULT_QUORUM)
        assert (summary.grant_no, summary.stage) == ("A", "application")

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE grantledger_events SET topic = 'forged'",
            "DELETE FROM grantledger_events",
            "TRUNCATE grantledger_events",
            "UPDATE grantledger_events SET record_hash = 'x'",
            "DELETE FROM grantledger_checkpoints",
            "DROP TRIGGER grantledger_events_append_only ON grantledger_events",
            "ALTER TABLE grantledger_events DISABLE TRIGGER USER",
            "CREATE TABLE shadow (id int)",
            "SET session_replication_role = replica",
        ],
    )
    def test_the_database_refuses_the_role_any_edit_or_ddl(self, app_url: str, statement: str) -> None:
        """Refused for want of a privilege, not by the triggers: no trigger can be switched off to allow it."""
        with open_ledger(app_url) as ledger:
            ledger.execute(submit("A"))
        with as_app(app_url) as connection, pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(statement)  # type: ignore[arg-type]  # constant statements of this test

    def test_init_is_idempotent_and_keeps_what_was_recorded(self, owner_url: str, app_url: str) -> None:
        with open_ledger(app_url) as ledger:
            ledger.execute(submit("A"))

        again = initialise_ledger(owner_url, str(make_url(app_url).username))

        assert again == app_url
        with open_ledger(app_url) as reopened:
            assert reopened.count_events() == 1

    def test_init_refuses_an_append_access_url(self, app_url: str) -> None:
        with pytest.raises(LedgerURLError, match="runs as the owner"):
            initialise_ledger(app_url, "whoever")


@pytest.mark.postgres
class TestLedgerContractAsApplicationRole(LedgerContract):
    @pytest.fixture
    def ledger_url(self, app_url: str) -> str:
        return app_url


@pytest.mark.postgres
class TestPersonalDataAsApplicationRole(PersonalDataContract):
    """Erasing a person deletes their key: the one DELETE the role is granted."""

    @pytest.fixture
    def ledger_url(self, app_url: str) -> str:
        return app_url

    @pytest.fixture
    def raw(self, owner_url: str) -> Iterator[RawDatabase]:
        with connect(owner_url) as connection:
            yield RawPostgres(connection, str(make_url(owner_url).query["schema"]))

    def test_the_role_is_what_the_ledger_connects_as(self, ledger: GrantLedger, app_url: str) -> None:
        with as_app(app_url) as connection:
            assert connection.execute("SELECT current_user").fetchone() == (make_url(app_url).username,)
