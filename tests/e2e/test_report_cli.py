"""Money returned and the evaluation report through the `grants` CLI, against the running local stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.e2e.cli_support import APPLICATION, APPROVER, NOTICE, PAYER, decide, ok, refused

pytestmark = pytest.mark.slow

GRANT = "E2E-R-1"


def test_finance_records_a_return_and_the_auditor_reports_it(stack_env: dict[str, str], tmp_path: Path) -> None:
    env = stack_env
    application = [*APPLICATION[:5], "430900", *APPLICATION[6:]]  # a region of its own: the report sees this grant only
    ok(env, "apply", GRANT, *application)
    decision = decide(env, tmp_path, GRANT, "1200000")
    ok(env, *APPROVER, "approve", GRANT, "--amount", "1200000", "--decision", decision)
    ok(env, "notice", GRANT, *NOTICE, "--amount", "1200000")
    ok(env, "acknowledge", GRANT)
    ok(
        env,
        *PAYER,
        "disburse",
        GRANT,
        "--amount",
        "700000",
        "--paid-on",
        "2020-07-01",
        "--payee",
        "长沙",
        "--decision",
        decision,
    )

    back = ["--returned-on", "2020-09-01", "--reason", "项目结余", "--document-no", "湘财缴〔2020〕8号"]
    too_much = refused(env, "--actor", "财务", "return", GRANT, "--amount", "700000.01", *back)
    assert f"{GRANT}: R2 amounts: returning 700,000.01 yuan is more than" in too_much
    assert "return of 50,000.00 yuan recorded" in ok(
        env, "--actor", "财务", "return", GRANT, "--amount", "50000", *back
    )

    assert "700,000.00 in 1 tranche(s), 50,000.00 returned (退回)" in ok(env, "status", GRANT)

    page = ok(env, "audit", "timeline", GRANT, "--format", "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "FundsReturned" in page

    out = tmp_path / "report.json"
    said = ok(env, "audit", "report", "--year", "2020", "--region", "430900", "--format", "json", "--out", str(out))
    assert "1 grant(s), 650,000.00 of 1,200,000.00 yuan disbursed net of returns" in said
    total = json.loads(out.read_text(encoding="utf-8"))["total"]
    assert (total["returned_fen"], total["net_disbursed_fen"]) == (5_000_000, 65_000_000)

    workbook = tmp_path / "report.xlsx"
    ok(env, "audit", "report", "--year", "2020", "--region", "430900", "--format", "xlsx", "--out", str(workbook))
    assert load_workbook(workbook)["项目明细"]["H2"].value == 50000
    assert "--format" in refused(env, "audit", "report", "--year", "2020", "--format", "pdf", "--out", str(out))
