"""An auditor's integrity checks and an officer's beneficiary list, through the `grants` CLI."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from cli.settings import Settings
from tests.e2e.cli_support import APPLICATION, APPROVER, NOTICE, PAYER, decide, grants, ok, refused

pytestmark = pytest.mark.slow

LIST_HEADER = "name,id_number,card_account,category,township,amount\n"
ZHANG = "张三,430102198001011233,6217001234567890123,计生特殊家庭,岳麓区莲花镇,1200.00\n"
LI = "李四,430102198502022344,6217009876543210987,独生子女伤残家庭,岳麓区雨敞坪镇,1200.00\n"


def a_grant_at_disbursement(env: dict[str, str], grant_no: str, folder: Path) -> None:
    ok(env, "apply", grant_no, *APPLICATION)
    ok(
        env,
        *APPROVER,
        "approve",
        grant_no,
        "--amount",
        "1200000",
        "--decision",
        decide(env, folder, grant_no, "1200000"),
    )
    ok(env, "notice", grant_no, *NOTICE, "--amount", "1200000")
    ok(env, "acknowledge", grant_no)  # a milestone: the ledger signs a checkpoint


def test_the_ledger_verifies_and_an_exported_checkpoint_holds_it_to_its_word(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    env = stack_env
    a_grant_at_disbursement(env, "E2E-V1", tmp_path)
    exported = tmp_path / "checkpoint.txt"
    assert f"written to {exported}" in ok(env, "ledger", "checkpoint", "--export", str(exported))
    assert exported.read_text().startswith("grant-ledger checkpoint v2\n")

    assert "every chain intact" in ok(env, "audit", "verify")

    assert f"and the checkpoint in {exported}" in ok(env, "audit", "verify", "--against", str(exported))
    assert "verified grant E2E-V1: 4 records" in ok(env, "audit", "verify", "E2E-V1")
    assert "no findings: grant E2E-V1 complies" in ok(env, "audit", "check", "--grant", "E2E-V1")

    tampered = tmp_path / "tampered.sqlite"
    ledger_file = Settings.from_env(env).ledger_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(ledger_file)) as source, closing(sqlite3.connect(tampered)) as target:
        source.backup(target)
    with closing(sqlite3.connect(tampered)) as connection, connection:
        connection.execute("DROP TRIGGER stored_events_no_update")
        connection.execute("UPDATE stored_events SET state = replace(state, '1200000', '9200000')")
    done = grants({**env, "GRANTS_LEDGER_URL": f"sqlite:///{tampered}"}, "audit", "verify")
    assert done.returncode == 1
    assert "ledger verification FAILED" in done.stdout
    assert "grant E2E-V1 version 1 (log position" in done.stdout


def test_a_beneficiary_list_is_sealed_shown_masked_and_a_person_erased_after_retention(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    env = stack_env
    a_grant_at_disbursement(env, "E2E-P1", tmp_path)
    names = tmp_path / "list.csv"
    names.write_text(LIST_HEADER + ZHANG + LI, encoding="utf-8")
    assert "2 people registered, 2 on the list; personal data sealed" in ok(
        env, "beneficiaries", "register", "E2E-P1", "--file", str(names), "--pay-by", "2020-09-30"
    )
    shown = ok(env, "beneficiaries", "list", "E2E-P1")
    assert "43*************233" in shown
    assert "430102198001011233" not in shown
    assert "6217001234567890123" not in shown, "one-card accounts are never printed"

    bad = tmp_path / "bad.csv"
    bad.write_text(LIST_HEADER + ZHANG.replace("张三", "王五").replace("1233", "1299") + "赵六,x,1,c,t,-5\n")
    error = refused(env, "beneficiaries", "register", "E2E-P1", "--file", str(bad))
    assert "2 bad row(s), nothing registered: line 2: ID number 43*************299 is not a valid" in error
    assert "line 3:" in error

    person = next(line.split()[0] for line in shown.splitlines() if "张三" in line)
    paying = ["--person", person, "--amount", "1200", "--paid-on", "2020-09-01"]
    assert "not the one registered in their own name" in refused(
        env, *PAYER, "beneficiaries", "pay", "E2E-P1", *paying, "--card", "6217000000000000000"
    )
    assert "paid to person" in ok(env, *PAYER, "beneficiaries", "pay", "E2E-P1", *paying, "--card", ZHANG.split(",")[2])
    assert "retention period" in refused(env, "erase-person", person, "--reason", "asked")
    no_retention = {**env, "GRANTS_PERSONAL_DATA_RETENTION_DAYS": "0"}
    assert "personal data erased" in ok(no_retention, "erase-person", person, "--reason", "retention over")
    after = ok(env, "beneficiaries", "list", "E2E-P1")
    assert "(erased)" in after
    assert "张三" not in after
    assert "李四" in after
    assert "every chain intact" in ok(env, "audit", "verify")

    ok(env, *PAYER, "disburse", "E2E-P1", "--amount", "1200", "--paid-on", "2020-09-02", "--payee", "x")
    notice = ok(
        env,
        "publicize",
        "E2E-P1",
        "--starts-on",
        "2020-10-01",
        "--ends-on",
        "2020-10-07",
        "--place",
        "公示栏",
        "--print",
    )
    assert "李四" in notice
    assert "43*************344" in notice
    assert "430102198502022344" not in notice
    assert "6217009876543210987" not in notice, "account numbers are never published"
