"""`make demo KEEP=1`: the stack it leaves up keeps the demo's own ledger, and the printed export reaches it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.demo import grant_no
from tests.e2e.cli_support import free_port

pytestmark = pytest.mark.slow


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=240, check=False
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """A directory to run the demo from, as from a fresh clone (every setting at its default but the ports)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("GRANTS_")}
    env |= {"GRANTS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "GRANTS_UI_PORT": str(free_port())}
    yield env, tmp_path
    run(env, tmp_path, "down")


def test_the_kept_demo_stack_is_reached_with_the_export_it_prints(checkout: tuple[dict[str, str], Path]) -> None:
    env, cwd = checkout
    demo = run(env, cwd, "demo", "--keep")
    assert demo.returncode == 0, demo.stderr
    (export,) = [line.strip() for line in demo.stdout.splitlines() if line.strip().startswith("export ")]
    assert export.startswith("export GRANTS_DATA_DIR=var/demo GRANTS_RULES_FILE="), export
    example = grant_no(0)

    default = run(env, cwd, "status", example)
    assert default.returncode == 2, "the default ledger (var/ledger.sqlite) does not hold the demo's grants"

    exported = dict(assignment.split("=", 1) for assignment in shlex.split(export.removeprefix("export ")))
    status = run(env | exported, cwd, "status", example)
    assert status.returncode == 0, status.stderr
    assert "closed" in status.stdout
    history = run(env | exported, cwd, "history", example)
    assert history.returncode == 0, history.stderr
    assert "GrantClosed" in history.stdout

    down = run(env, cwd, "down")
    assert down.returncode == 0, down.stderr
