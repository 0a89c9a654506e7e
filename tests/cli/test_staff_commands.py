"""`grants staff appoint|revoke|list`, run as a user runs them (the `grants` group, settings from the environment)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import grants
from domain.roles import Role
from ledger.application import open_ledger
from tests.staff_support import APPOINTING, appointment_minutes

SHIPPED_RULES = Path(__file__).parents[2] / "config" / "rules" / "hunan.toml"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "GRANTS_DATA_DIR": str(tmp_path),
        "GRANTS_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "GRANTS_RULES_FILE": str(SHIPPED_RULES),  # roles required, approver and finance key
        "GRANTS_ACTOR": "人事处",
    }


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(grants, list(args), env=env)


def events(env: dict[str, str]) -> int:
    with open_ledger(env["GRANTS_LEDGER_URL"]) as ledger:
        return ledger.count_events()


def refused(env: dict[str, str], *args: str) -> str:
    """A refusal: exit status 2, one line on stderr, nothing written."""
    before = events(env)
    result = run(env, *args)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert events(env) == before
    return result.stderr


def test_an_officer_is_appointed_and_listed(env: dict[str, str]) -> None:
    result = run(env, "staff", "appoint", "刘洋", "--role", "officer", "--scope", "430100")
    assert result.exit_code == 0, result.output
    assert result.stdout == "appointed 刘洋 as officer for region 430100, recorded by 人事处\n"
    listed = run(env, "staff", "list").stdout
    assert "刘洋" in listed
    assert "430100" in listed
    again = run(env, "staff", "appoint", "刘洋", "--role", "officer", "--scope", "430100")
    assert again.stdout == "刘洋 as officer for region 430100: already held, nothing recorded\n"


def test_an_approver_appointed_without_a_decision_is_refused(env: dict[str, str]) -> None:
    run(env, "staff", "list")  # creates the ledger
    error = refused(env, "staff", "appoint", "刘洋", "--role", "approver")
    assert error.startswith("error: person 刘洋: R3 important appointment (重要干部任免): approver is a key role")
    assert "Fix: record the collective decision" in error


def test_an_approver_is_appointed_on_a_recorded_decision_and_revoked(env: dict[str, str]) -> None:
    with open_ledger(env["GRANTS_LEDGER_URL"]) as ledger:
        ledger.record_decision(appointment_minutes(("刘洋", Role.APPROVER)))
    result = run(env, "staff", "appoint", "刘洋", "--role", "approver", "--decision", APPOINTING)
    assert result.stdout == f"appointed 刘洋 as approver for all regions on decision {APPOINTING}, recorded by 人事处\n"
    revoked = run(env, "staff", "revoke", "刘洋", "--role", "approver", "--reason", "调离")
    assert revoked.exit_code == 0, revoked.output
    [row] = [line for line in run(env, "staff", "list").stdout.splitlines() if "刘洋" in line]
    assert row.count("20") >= 2, "the row shows when the role began and when it ended"


def test_a_bad_scope_or_a_backdated_change_is_refused_with_the_fix(env: dict[str, str]) -> None:
    run(env, "staff", "list")
    assert "scope 'Changsha' is neither 'all' nor a six-digit" in refused(
        env, "staff", "appoint", "刘洋", "--role", "officer", "--scope", "Changsha"
    )
    assert "before it is recorded. Fix: make it effective from today" in refused(
        env, "staff", "appoint", "刘洋", "--role", "officer", "--effective-from", "2020-01-01"
    )
    assert "holds no appointment as officer" in refused(
        env, "staff", "revoke", "刘洋", "--role", "officer", "--reason", "调离"
    )


def test_an_auditor_changes_nothing_in_the_register_or_the_decisions(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "staff", "appoint", "审计员", "--role", "auditor").exit_code == 0
    as_auditor = {**env, "GRANTS_ACTOR": "审计员"}
    error = refused(as_auditor, "staff", "appoint", "刘洋", "--role", "officer")
    assert "审计员 is an auditor, and an auditor changes nothing but a grant's evaluation" in error
    refused(as_auditor, "staff", "revoke", "审计员", "--role", "auditor", "--reason", "自行离任")
    minutes = tmp_path / "minutes.toml"
    minutes.write_text(run(env, "decision", "example").stdout, encoding="utf-8")
    refused(as_auditor, "decision", "record", "--file", str(minutes))
