"""`grants audit verify` from the command line: what it prints on stdout and stderr, and its exit status."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from audit import log_pass
from cli.main import grants
from domain.grant import grant_id
from tests.cli.signed_ledger import signed_ledger


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return signed_ledger(tmp_path)


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(grants, ["audit", "verify", *args], env=env)


def tamper(env: dict[str, str], statement: str, *params: object) -> None:
    with closing(sqlite3.connect(env["GRANTS_LEDGER_URL"].removeprefix("sqlite:///"))) as connection, connection:
        for (trigger,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            connection.execute(f"DROP TRIGGER {trigger}")
        connection.execute(statement, params)


def test_an_untouched_ledger_verifies_with_exit_status_0(env: dict[str, str]) -> None:
    result = run(env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("verified: 22 records in 2 hash chains, every chain intact")


def test_progress_goes_to_stderr_every_so_many_records(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress goes to stderr, so that stdout stays the one-line verdict a script can read."""
    monkeypatch.setattr(log_pass, "PROGRESS_EVERY", 10)
    monkeypatch.setattr("ledger.recorders.BATCH", 10)
    result = run(env)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["  verified 10 records ...", "  verified 20 records ..."]
    assert "verified 10" not in result.stdout


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("record_hash", "'beef'", "expected record_hash as 32 bytes, found text 'beef'"),
        ("topic", None, "expected topic as text, found NULL"),
        ("originator_version", "five", "expected originator_version as an integer, found text 'five'"),
    ],
)
def test_a_value_of_the_wrong_type_fails_verification_with_its_place_not_a_crash(
    env: dict[str, str], column: str, value: str | None, expected: str
) -> None:
    tamper(
        env,
        f"UPDATE stored_events SET {column} = ? WHERE originator_id = ? AND originator_version = 5",  # noqa: S608
        value.strip("'") if value else None,
        grant_id("B").hex,
    )
    for args in ((), ("B",)):
        result = run(env, *args)
        assert result.exit_code == 1, result.output
        assert result.stdout.startswith("ledger verification FAILED"), result.output
        assert f"stored value of the wrong type: {expected}" in result.stdout
        assert "grant B" in result.stdout
        assert "unexpectedly" not in result.output
