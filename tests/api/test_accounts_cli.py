"""`grants accounts add|reset|list`: accounts are created and reset from the command line, with one-line refusals."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli.account_commands import accounts


def run(tmp_path: Path, *args: str, typed_in: str | None = None) -> tuple[int, str]:
    """The `accounts` group itself: the `grants` group would configure logging for the rest of the session."""
    env = {"GRANTS_DATA_DIR": str(tmp_path / "var")}
    typed = f"{typed_in}\n{typed_in}\n" if typed_in is not None else None
    result = CliRunner().invoke(accounts, list(args), env=env, input=typed)
    return result.exit_code, result.output


def test_an_account_is_added_listed_and_reset_and_bad_requests_are_refused(tmp_path: Path) -> None:
    added = run(tmp_path, "add", "wang", "--role", "officer", "--name", "王强", typed_in="a long passphrase")
    twice = run(tmp_path, "add", "wang", "--role", "auditor", typed_in="a long passphrase")
    short = run(tmp_path, "add", "li", "--role", "approver", typed_in="short")
    reset = run(tmp_path, "reset", "wang", typed_in="another passphrase")
    unknown = run(tmp_path, "reset", "nobody", typed_in="another passphrase")
    listed = run(tmp_path, "list")

    assert added[0] == 0
    assert "account wang (王强, officer) created" in added[1]
    assert twice[0] == 2
    assert "exists already" in twice[1]
    assert short[0] == 2
    assert "at least 12" in short[1]
    assert reset[0] == 0
    assert unknown[0] == 2
    assert "no account 'nobody'" in unknown[1]
    assert listed[0] == 0
    assert "wang" in listed[1]
    assert "li" not in listed[1].split()
    assert (tmp_path / "var" / "accounts.sqlite").exists()
