"""Helpers for the end-to-end tests: the `grants` CLI run as a user runs it, in a subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys

from cli.settings import Settings
from ledger.application import open_ledger

APPLICATION = [
    "--program", "暖心家园",
    "--recipient", "长沙市计划生育协会",
    "--region", "430100",
    "--year", "2020",
    "--title", "2020年暖心家园项目",
    "--amount", "1200000.00",
    "--period-start", "2020-01-01",
    "--period-end", "2020-12-31",
]  # fmt: skip
NOTICE = ["--document-no", "湘财社指〔2020〕36号", "--issuer", "湖南省财政厅", "--issued-on", "2020-06-10"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def grants(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, timeout=90, check=False
    )


def ok(env: dict[str, str], *args: str) -> str:
    done = grants(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def events_in_ledger(env: dict[str, str]) -> int:
    with open_ledger(Settings.from_env(env).ledger_url) as ledger:
        return ledger.count_events()


def refused(env: dict[str, str], *args: str) -> str:
    """Run a command that must be refused: exit status 2, one line on stderr, nothing written."""
    before = events_in_ledger(env)
    done = grants(env, *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert events_in_ledger(env) == before
    return done.stderr
