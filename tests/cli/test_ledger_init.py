"""`grants ledger init` from the command line: as the owner, on the machine's PostgreSQL; the password from a file."""

from __future__ import annotations

import secrets
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql
from sqlalchemy.engine import make_url

from cli.main import grants
from tests.ledger.postgres import connect, fresh_schema_url, server_url, skip_without_postgres

skip_without_postgres()
pytestmark = pytest.mark.postgres


def test_init_prints_the_workers_url_and_the_role_logs_in_with_the_password_from_the_file(tmp_path: Path) -> None:
    role = f"grants_app_{secrets.token_hex(4)}"
    password = secrets.token_hex(12)
    password_file = tmp_path / "app-password"
    password_file.write_text(password + "\n")
    with fresh_schema_url() as owner_url:
        try:
            result = CliRunner().invoke(
                grants,
                ["ledger", "init", "--app-role", role, "--app-password-file", str(password_file)],
                env={"GRANTS_LEDGER_URL": owner_url},
            )

            assert result.exit_code == 0, result.output
            app_url = result.stdout.strip().split("GRANTS_LEDGER_URL=", 1)[1]
            assert password not in result.stdout
            parsed = make_url(app_url)
            assert (parsed.username, parsed.query["access"]) == (role, "append")
            with connect(owner_url) as owner:  # a password was set for the role (trust auth would not ask for it)
                stored = owner.execute("SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s", (role,))
                assert stored.fetchone() == (True,)
            login = parsed.set(password=password).difference_update_query(["access"])
            with psycopg.connect(server_url(login.render_as_string(hide_password=False))) as app:  # it may log in
                assert app.execute("SELECT current_user").fetchone() == (role,)
        finally:
            with connect(owner_url) as owner:
                owner.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                owner.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_init_on_sqlite_is_refused_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        grants, ["ledger", "init", "--app-role", "x"], env={"GRANTS_LEDGER_URL": f"sqlite:///{tmp_path}/l.sqlite"}
    )

    assert result.exit_code == 2
    assert result.stderr == "error: `grants ledger init` sets up PostgreSQL; sqlite needs no roles\n"
