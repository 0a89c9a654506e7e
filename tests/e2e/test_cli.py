"""An officer's day with the `grants` CLI: every step of a grant, and every kind of bad input refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.cli_support import APPLICATION, APPROVER, AUDITOR, NOTICE, PAYER, decide, free_port, grants, ok, refused

pytestmark = pytest.mark.slow


def test_an_officer_takes_a_grant_through_all_six_stages(stack_env: dict[str, str], tmp_path: Path) -> None:
    env = stack_env
    assert "application submitted (event #1)" in ok(env, "apply", "E2E-1", *APPLICATION)
    decision = decide(env, tmp_path, "E2E-1", "1200000")
    ok(env, *APPROVER, "approve", "E2E-1", "--amount", "1200000", "--decision", decision)
    ok(env, "notice", "E2E-1", *NOTICE, "--amount", "1,200,000.00")
    ok(env, "acknowledge", "E2E-1")
    payee = ["--payee", "长沙市计划生育协会", "--decision", decision]
    ok(env, *PAYER, "disburse", "E2E-1", "--amount", "700000", "--paid-on", "2020-07-01", *payee)
    out = ok(env, *PAYER, "disburse", "E2E-1", "--amount", "500000", "--paid-on", "2020-09-01", *payee)
    assert "stage disbursement; next: further tranches or the start of publicity" in out
    ok(env, "publicize", "E2E-1", "--starts-on", "2020-10-01", "--ends-on", "2020-10-07", "--place", "公示栏")
    ok(env, "conclude-publicity", "E2E-1", "--concluded-on", "2020-10-08")
    ok(env, "report", "E2E-1", "--people-reached", "400", "--money-used", "1183200", "--satisfaction", "98")
    assert "score 93.5" in ok(env, *AUDITOR, "evaluate", "E2E-1", "--score", "93.5")
    assert "stage closed" in ok(env, "close", "E2E-1")

    status = ok(env, "status", "E2E-1")
    assert "closed" in status
    assert "1,200,000.00 in 2 tranche(s)" in status
    history = ok(env, "history", "E2E-1")
    assert history.count("DisbursementRecorded") == 2
    assert "EvaluationRecorded" in history
    assert "e2e-officer" in history
    assert "93.5 优" in ok(env, "list")

    assert "R1 stage order: the grant is closed" in refused(
        env, "disburse", "E2E-1", "--amount", "1", "--paid-on", "2020-12-01", "--payee", "x"
    )


def test_bad_input_is_refused_with_one_line_naming_the_grant_the_rule_and_the_fix(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    env = stack_env
    ok(env, "apply", "E2E-2", *APPLICATION)
    assert "application submitted" in ok(env, "apply", "E2E-2", *APPLICATION), "an identical repeat is idempotent"
    different = [*APPLICATION[:-2], "--period-end", "2021-06-30"]
    assert "E2E-2: unique grant number" in refused(env, "apply", "E2E-2", *different)

    payment = ["--paid-on", "2020-07-01", "--payee", "x"]
    assert "must be more than zero" in refused(env, "disburse", "E2E-2", "--amount=-5", *payment)
    assert "must be more than zero" in refused(env, "disburse", "E2E-2", "--amount", "0", *payment)
    assert "more than two decimals" in refused(env, "disburse", "E2E-2", "--amount", "1.005", *payment)
    assert "E2E-2: R1 stage order" in refused(env, "disburse", "E2E-2", "--amount", "10", *payment)

    assert "E2E-2: R3 major project arrangement" in refused(env, *APPROVER, "approve", "E2E-2", "--amount", "1000000")
    decision = decide(env, tmp_path, "E2E-2", "1000000")
    ok(env, *APPROVER, "approve", "E2E-2", "--amount", "1000000", "--decision", decision)
    assert "E2E-2: R2 amounts" in refused(env, "notice", "E2E-2", *NOTICE, "--amount", "1000000.01")
    ok(env, "notice", "E2E-2", *NOTICE, "--amount", "1000000")
    ok(env, "acknowledge", "E2E-2")
    assert "E2E-2: R6 separation of duties" in refused(env, "disburse", "E2E-2", "--amount", "100", *payment)
    assert "E2E-2: R3 large-amount fund use" in refused(
        env, *PAYER, "disburse", "E2E-2", "--amount", "100000", *payment
    )
    too_much = refused(env, *PAYER, "disburse", "E2E-2", "--amount", "1000000.01", *payment, "--decision", decision)
    assert "E2E-2: R2 amounts" in too_much
    assert "Fix: disburse at most the 1,000,000.00 yuan left" in too_much

    assert "NO-SUCH-GRANT: unknown grant" in refused(env, "acknowledge", "NO-SUCH-GRANT")


def test_without_a_running_stack_a_command_says_how_to_start_one(tmp_path: Path) -> None:
    env = {**os.environ, "GRANTS_DATA_DIR": str(tmp_path), "GRANTS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}
    done = grants(env, "acknowledge", "E2E-3")
    assert done.returncode == 1, "a system failure, not a user error"
    assert "grants up" in done.stderr
