"""`grants audit prove` from the command line: the proof as JSON on stdout, checked, the verdict on stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import grants
from ledger.application import open_ledger
from ledger.merkle import verify_consistency, verify_leaf_hash_inclusion
from tests.builders import submit
from tests.cli.signed_ledger import signed_ledger


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return signed_ledger(tmp_path)


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(grants, list(args), env=env)


def exported(env: dict[str, str], path: Path) -> Path:
    result = run(env, "ledger", "checkpoint", "--export", str(path))
    assert result.exit_code == 0, result.output
    return path


def test_a_record_is_proven_in_the_latest_checkpoint_and_the_json_proof_checks_on_its_own(env: dict[str, str]) -> None:
    result = run(env, "audit", "prove", "B", "5")
    assert result.exit_code == 0, result.output
    proof: dict[str, Any] = json.loads(result.stdout)
    assert (proof["grant_no"], proof["version"], proof["log_position"], proof["verified"]) == ("B", 5, 16, True)
    checkpoint = proof["checkpoint"]
    assert checkpoint["tree_size"] == 21, "the latest: at B's evaluation, its last milestone (its closing is not)"
    assert verify_leaf_hash_inclusion(
        bytes.fromhex(proof["record_hash"]),
        proof["leaf_index"],
        checkpoint["tree_size"],
        [bytes.fromhex(node) for node in proof["inclusion_path"]],
        bytes.fromhex(checkpoint["root"]),
    )
    assert result.stderr.startswith("proven: record version 5 at log position 16 is in checkpoint of 21 records")


def test_a_record_is_proven_in_an_exported_checkpoint_file(env: dict[str, str], tmp_path: Path) -> None:
    held = exported(env, tmp_path / "checkpoint.txt")
    result = run(env, "audit", "prove", "A", "1", "--checkpoint", str(held))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["checks"] == {
        "path_leads_to_the_signed_root": True,
        "checkpoints_signed_by_the_ledger_key": True,
    }


def test_a_checkpoint_file_whose_root_was_changed_fails_with_exit_status_1(env: dict[str, str], tmp_path: Path) -> None:
    held = exported(env, tmp_path / "checkpoint.txt")
    lines = held.read_text().splitlines(keepends=True)
    root = next(index for index, line in enumerate(lines) if line.startswith("root "))
    lines[root] = "root " + ("0" * 64) + "\n"
    held.write_text("".join(lines))
    result = run(env, "audit", "prove", "A", "1", "--checkpoint", str(held))
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["checks"] == {
        "path_leads_to_the_signed_root": False,
        "checkpoints_signed_by_the_ledger_key": False,
    }
    assert result.stderr.startswith("NOT proven: record version 1 at log position 1 is in checkpoint of 22 records")


def test_a_record_after_the_checkpoint_is_refused_with_the_fix(env: dict[str, str], tmp_path: Path) -> None:
    held = exported(env, tmp_path / "checkpoint.txt")
    with open_ledger(env["GRANTS_LEDGER_URL"]) as ledger:
        ledger.execute(submit("C"))
    result = run(env, "audit", "prove", "C", "1", "--checkpoint", str(held))
    assert result.exit_code == 2, result.output
    assert "after the 22 records of the checkpoint. Fix: take a later checkpoint" in result.stderr
    assert "error: grant X" in run(env, "audit", "prove", "X", "1").stderr


def test_an_earlier_exported_checkpoint_is_proven_to_begin_the_latest(env: dict[str, str], tmp_path: Path) -> None:
    earlier = exported(env, tmp_path / "earlier.txt")
    with open_ledger(env["GRANTS_LEDGER_URL"]) as ledger:
        ledger.execute(submit("C"))
    exported(env, tmp_path / "later.txt")
    result = run(env, "audit", "prove", "--consistency", str(earlier))
    assert result.exit_code == 0, result.output
    proof = json.loads(result.stdout)
    old, new = proof["old_checkpoint"], proof["new_checkpoint"]
    assert (old["tree_size"], new["tree_size"]) == (22, 23)
    path = [bytes.fromhex(node) for node in proof["consistency_path"]]
    assert verify_consistency(22, 23, bytes.fromhex(old["root"]), bytes.fromhex(new["root"]), path)
    assert result.stderr.startswith("proven: checkpoint of 22 records")


@pytest.mark.parametrize("args", [(), ("A",), ("A", "1", "--consistency", "{file}")])
def test_it_needs_a_grant_and_version_or_an_older_checkpoint(
    env: dict[str, str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    held = exported(env, tmp_path / "checkpoint.txt")
    result = run(env, "audit", "prove", *(arg.format(file=held) for arg in args))
    assert result.exit_code == 2, result.output
    assert "name a grant and a version" in result.stderr
