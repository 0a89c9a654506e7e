"""Helpers for the end-to-end tests: the `grants` CLI run as a user runs it, in a subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

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
# R6: one person per role. The stack's GRANTS_ACTOR applies; these act in the other roles.
APPROVER = ["--actor", "审批人"]
PAYER = ["--actor", "出纳"]
AUDITOR = ["--actor", "审计"]
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


def decide(env: dict[str, str], folder: Path, grant_no: str, yuan: str) -> str:
    """Record a 党组会 decision for `grant_no` (major project and large-fund use up to `yuan`); return its reference."""
    minutes = folder / f"minutes-{grant_no}.toml"
    votes = '[["李明", "for"], ["张华", "for"], ["赵丽", "for"], ["王强", "for"]]'
    items = "".join(
        f'[[items]]\nkind = "{kind}"\ngrant_no = "{grant_no}"\namount = "{yuan}"\nvotes = {votes}\n'
        for kind in ("major_project", "large_fund_use")
    )
    minutes.write_text(
        'body = "党组会"\nheld_on = 2020-06-20\nform = "meeting"\n'
        f'minutes_ref = "纪要〔2020〕{grant_no}"\nchair = "王强"\n'
        'members = ["王强", "李明", "张华", "赵丽", "陈刚"]\npresent = ["王强", "李明", "张华", "赵丽"]\n' + items,
        encoding="utf-8",
    )
    assert "recorded" in ok(env, "decision", "record", "--file", str(minutes))
    return f"党组会:纪要〔2020〕{grant_no}"
