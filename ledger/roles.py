"""The ledger's two PostgreSQL roles: an owner that sets the schema up, and an application role that appends.

`initialise_ledger` runs as the owner (`grants ledger init`): it creates the schema, tables and append-only
triggers the way every ledger does when it first opens, then gives the application role the least it needs:
SELECT and INSERT on the ledger's tables, DELETE on the person keys only (erasing a person destroys their key,
PIPL art. 47), and EXECUTE on one function that takes the events table's write lock. It has no UPDATE, DELETE
or TRUNCATE on the events (which carry the chain) or the checkpoints, owns nothing, may create nothing: the database
refuses it an edit even if a trigger were dropped (and only an owner can drop one).

Why the lock function: eventsourcing serialises writers with `LOCK TABLE ... IN EXCLUSIVE MODE`, which
PostgreSQL (before 17's MAINTAIN privilege) grants only to roles that may UPDATE, DELETE or TRUNCATE the table.
The function takes that lock as its owner (SECURITY DEFINER) and can do nothing else.

The read models (`rm_*` tables) are the exception that proves the rule: they are derived, rebuilt from the ledger
at will, and every reader's catch-up writes them, so the application role may change them; the book of record it
may only append to.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from ledger.application import open_ledger
from ledger.read_models import metadata as read_model_tables
from ledger.read_models import opened_read_models
from ledger.recorders import ChainedPostgresApplicationRecorder
from ledger.settings import APPEND_ACCESS, LedgerURLError, check_ledger_url


def lock_function(schema: str, events_table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(f"{events_table}_lock"))


class AppendRolePostgresRecorder(ChainedPostgresApplicationRecorder):
    """The recorder of a ledger URL with `access=append`: it takes the write lock through the owner's function."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:  # noqa: ANN401
        super().__init__(datastore, events_table_name=events_table_name)
        set_timeout, _lock_table = self.lock_table_statements
        function = lock_function(self.datastore.schema, events_table_name)
        self.lock_table_statements = [set_timeout, sql.SQL("SELECT {}()").format(function)]


def initialise_ledger(owner_url: str, app_role: str, app_password: str | None = None) -> str:
    """Set the ledger's schema up as the owner at `owner_url` and grant `app_role` append access.

    Idempotent: run it again after an upgrade (new tables get their grants) or to change the password.
    Returns the URL the workers use (the password, if any, left out: it comes from their secret).
    """
    parsed = check_ledger_url(owner_url)
    if parsed.get_backend_name() != "postgresql":
        msg = f"`grants ledger init` sets up PostgreSQL; {parsed.get_backend_name()} needs no roles"
        raise LedgerURLError(msg)
    if parsed.query.get("access"):
        msg = "`grants ledger init` runs as the owner. Fix: remove access= from GRANTS_LEDGER_URL for this command"
        raise LedgerURLError(msg)
    with open_ledger(owner_url) as ledger:  # creates the schema, the tables and the triggers
        recorder = ledger.recorder
        assert isinstance(recorder, ChainedPostgresApplicationRecorder)  # noqa: S101 - a postgresql URL's recorder
        with opened_read_models(owner_url):  # the read models' tables, which the role may then keep up to date
            pass
        with recorder.datastore.transaction(commit=True) as cursor:
            statements = _grant_statements(recorder, app_role, app_password, cursor)
            for statement in [*statements, _read_model_grant(recorder.datastore.schema, app_role)]:
                cursor.execute(statement)
    return parsed.set(username=app_role, password=None).update_query_dict({"access": APPEND_ACCESS}).render_as_string()


def _grant_statements(
    recorder: ChainedPostgresApplicationRecorder,
    app_role: str,
    password: str | None,
    cursor: Any,  # noqa: ANN401 - a psycopg cursor
) -> list[sql.Composable]:
    schema = recorder.datastore.schema
    role = sql.Identifier(app_role)
    tables = recorder.tables
    events, checkpoints, person_keys = (
        sql.SQL(".").join(sql.Identifier(part) for part in name.split("."))
        for name in (tables.events, tables.checkpoints, tables.person_keys)
    )
    function = lock_function(schema, recorder.events_table_name)
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app_role,))
    exists = cursor.fetchone() is not None
    login = sql.SQL("LOGIN PASSWORD {}").format(sql.Literal(password)) if password else sql.SQL("LOGIN")
    return [
        sql.SQL("ALTER ROLE {} {}" if exists else "CREATE ROLE {} {}").format(role, login),
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {function}() RETURNS void LANGUAGE sql SECURITY DEFINER "
            "SET search_path = pg_catalog, pg_temp AS $$ LOCK TABLE {events} IN EXCLUSIVE MODE $$"
        ).format(function=function, events=events),
        sql.SQL("REVOKE ALL ON FUNCTION {}() FROM PUBLIC").format(function),
        sql.SQL("GRANT EXECUTE ON FUNCTION {}() TO {}").format(function, role),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(sql.Identifier(schema), role),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(sql.Identifier(schema), role),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), role),
        sql.SQL("GRANT SELECT, INSERT ON {}, {}, {} TO {}").format(events, checkpoints, person_keys, role),
        sql.SQL("GRANT DELETE ON {} TO {}").format(person_keys, role),
        sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(sql.Identifier(schema), role),
    ]


def _read_model_grant(schema: str, app_role: str) -> sql.Composable:
    tables = sql.SQL(", ").join(sql.Identifier(schema, table.name) for table in read_model_tables.sorted_tables)
    return sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(tables, sql.Identifier(app_role))
