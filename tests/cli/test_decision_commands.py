"""`grants decision record`: minutes from a TOML file, refused (R5) with the reason and the fix, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import grants
from ledger.application import open_ledger


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "GRANTS_DATA_DIR": str(tmp_path),
        "GRANTS_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "GRANTS_ACTOR": "党办",
    }


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(grants, list(args), env=env)


def minutes_file(env: dict[str, str], tmp_path: Path, *, replace: tuple[str, str] = ("", "")) -> str:
    """The example minutes (`grants decision example`), with one piece of text replaced."""
    path = tmp_path / "minutes.toml"
    path.write_text(run(env, "decision", "example").stdout.replace(*replace), encoding="utf-8")
    return str(path)


def refused(env: dict[str, str], minutes: str) -> str:
    """A refusal: exit status 2, one line on stderr, nothing written."""
    result = run(env, "decision", "record", "--file", minutes)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    with open_ledger(env["GRANTS_LEDGER_URL"]) as ledger:
        assert ledger.count_events() == 0
    return result.stderr


def test_the_example_minutes_are_recorded(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, "decision", "record", "--file", minutes_file(env, tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("decision 湘计生协党组纪要〔2020〕12号 of 党组会 (2020-06-20) recorded: ")


def test_a_large_fund_use_decided_without_an_amount_is_refused_naming_the_grant_and_the_fix(
    env: dict[str, str], tmp_path: Path
) -> None:
    """An item with no amount would authorise any sum: the minutes must say how much was decided."""
    no_amount = minutes_file(env, tmp_path, replace=('amount = "5200000.00"', ""))
    error = refused(env, no_amount)
    assert "R5 valid collective decision: item 1 (large_fund_use for grant HN-2020-ZX-0001) names no amount" in error
    assert "Fix: " in error


def test_absentees_that_do_not_add_up_are_refused(env: dict[str, str], tmp_path: Path) -> None:
    wrong = minutes_file(env, tmp_path, replace=('absent = ["陈刚"]', 'absent = ["赵丽"]'))
    error = refused(env, wrong)
    assert "the minutes list 赵丽 as absent, but the members not present are 陈刚" in error
