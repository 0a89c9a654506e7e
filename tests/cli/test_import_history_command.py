"""`grants import-history`: a file of histories made elsewhere imported whole, or refused whole with its bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import grants
from ledger.application import open_ledger
from ledger.personal_data import ensure_master_key
from tests.audit.test_imported_histories import minutes_line, paid_on_the_decision, paid_to, registered


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "GRANTS_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "GRANTS_MASTER_KEY_FILE": str(tmp_path / "master.key"),
        "GRANTS_DATA_DIR": str(tmp_path),
    }


def import_file(env: dict[str, str], folder: Path, lines: list[str]) -> tuple[Result, Path]:
    history = folder / "2019.jsonl"
    history.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return CliRunner().invoke(grants, ["import-history", str(history)], env=env), history


def events_in(env: dict[str, str]) -> int:
    with open_ledger(env["GRANTS_LEDGER_URL"]) as ledger:
        return ledger.count_events()


def test_a_history_with_its_minutes_is_imported_and_counted(env: dict[str, str], tmp_path: Path) -> None:
    result, history = import_file(env, tmp_path, [minutes_line(), *paid_on_the_decision()])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"imported 1 grant(s) and 1 decision(s), 6 event(s), from {history}, unchecked; "
        "judge them with `grants audit check`\n"
    )
    assert events_in(env) == 6
    check = CliRunner().invoke(grants, ["audit", "check"], env=env)
    assert (check.exit_code, check.output) == (0, "no findings: every grant complies with the rules on replay\n")


def test_bad_lines_are_reported_by_number_with_exit_status_2_and_nothing_is_written(
    env: dict[str, str], tmp_path: Path
) -> None:
    lines = [minutes_line(), *paid_on_the_decision()]
    lines[2] = lines[2].replace('"400000"', '"four hundred thousand"')  # the approval
    lines[5] = "{not json"
    result, history = import_file(env, tmp_path, lines)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {history}: 2 bad line(s), nothing imported: line 3: ")
    assert "; line 6: " in result.stderr
    assert result.stderr.count("\n") == 1
    assert events_in(env) == 0


def test_a_grant_already_in_the_ledger_is_refused_and_nothing_more_is_written(
    env: dict[str, str], tmp_path: Path
) -> None:
    import_file(env, tmp_path, paid_on_the_decision())
    result, _ = import_file(env, tmp_path, [minutes_line(), *paid_on_the_decision()])
    assert result.exit_code == 2
    assert (
        "grant HN-2019-ZX-0007: already in the ledger; a history is imported once. Fix: leave it out" in result.stderr
    )
    assert events_in(env) == 5


def test_a_beneficiary_list_is_imported_with_the_master_key_and_judged_by_r7(
    env: dict[str, str], tmp_path: Path
) -> None:
    lines = [*paid_on_the_decision()[:4], registered(), paid_to(amount="1300")]
    without_key, history = import_file(env, tmp_path, lines)
    assert without_key.exit_code == 2
    assert without_key.stderr.startswith(f"error: no master key at {env['GRANTS_MASTER_KEY_FILE']}")
    assert not Path(env["GRANTS_LEDGER_URL"].removeprefix("sqlite:///")).exists(), "nothing was even opened"

    ensure_master_key(Path(env["GRANTS_MASTER_KEY_FILE"]))
    result, _ = import_file(env, tmp_path, lines)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"imported 1 grant(s) and 0 decision(s), 6 event(s), from {history}")
    shown = CliRunner().invoke(grants, ["beneficiaries", "list", "HN-2019-ZX-0007"], env=env).output
    assert "43*************233" in shown
    assert "430102198001011233" not in shown
    check = CliRunner().invoke(grants, ["audit", "check", "--format", "json"], env=env)
    assert check.exit_code == 1
    assert [(f["rule"], f["versions"]) for f in json.loads(check.output)] == [("R7 registered list", [3])]
    listed = CliRunner().invoke(grants, ["list", "--format", "json"], env=env)
    assert [grant["grant_no"] for grant in json.loads(listed.output)] == ["HN-2019-ZX-0007"]


def test_a_file_that_is_not_utf8_is_refused_in_one_line(env: dict[str, str], tmp_path: Path) -> None:
    history = tmp_path / "2019.jsonl"
    history.write_bytes("申报".encode("gb18030"))
    result = CliRunner().invoke(grants, ["import-history", str(history)], env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {history}: not UTF-8 text (byte 0: ")
    assert result.stderr.endswith("Fix: save it as UTF-8; nothing was imported\n")
