"""`grants audit report` and `grants audit timeline --format html` on a ledger file (no stack needed to read)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import grants
from ledger.application import open_ledger
from tests.audit import report_scenario
from tests.audit.report_scenario import YEAR, A


@pytest.fixture(scope="module")
def ledger_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-report') / 'ledger.sqlite'}"
    with open_ledger(url, master_key=secrets.token_bytes(32)) as ledger:
        report_scenario.build(ledger)
    return url


def run(ledger_url: str, *args: str) -> Result:
    return CliRunner().invoke(grants, list(args), env={"GRANTS_LEDGER_URL": ledger_url})


def test_the_report_is_written_to_the_file_named_and_summed_up_in_one_line(ledger_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run(ledger_url, "audit", "report", "--year", str(YEAR), "--format", "json", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == (
        "evaluation report of 2020年度 · 全部地区: 3 grant(s), 150,000.00 of 190,000.00 yuan disbursed net of "
        f"returns, 2 finding(s); written to {out}\n"
    )
    assert json.loads(out.read_text(encoding="utf-8"))["total"]["returned_fen"] == 1_000_000


def test_a_report_that_cannot_be_written_is_one_line_and_exit_status_2(ledger_url: str, tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "report.md"
    result = run(ledger_url, "audit", "report", "--year", str(YEAR), "--format", "md", "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: cannot write the report to {out}: No such file or directory. "
        "Fix: name a file in a folder you can write to\n"
    )


def test_the_timeline_page_is_printed_for_a_redirect(ledger_url: str) -> None:
    result = run(ledger_url, "audit", "timeline", A, "--format", "html")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert result.stdout.count("<tr>") == 1 + 12, "the header and one row per event"
