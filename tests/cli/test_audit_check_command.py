"""`grants audit check` on a ledger file: stable findings, by grant or year; exit 1 on a violation."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from cli.main import grants
from domain.oversight import FundRules
from domain.values import Money
from ledger.application import open_ledger
from ledger.history_import import parse_history
from tests.builders import lifecycle, submit

COMPLIANT = "HN-2020-ZX-0036"


def undecided_large_payment(grant_no: str, year: int) -> list[str]:
    """A grant of `year` whose history, made elsewhere, pays 300,000 yuan without a collective decision (R3)."""

    def line(event: str, day: str, actor: str, **fields: object) -> str:
        at = f"{year}-{day}T10:00:00+08:00"
        return json.dumps({"grant_no": grant_no, "event": event, "at": at, "actor": actor, "fields": fields})

    details = {
        "program": "暖心家园", "recipient": "长沙市计划生育协会", "region": "430100", "fiscal_year": year,
        "title": f"{year}年暖心家园项目", "requested": "400000", "period_start": f"{year}-01-01",
        "period_end": f"{year}-12-31",
    }  # fmt: skip
    notice = {"document_no": f"湘财社指〔{year}〕20号", "issuer": "湖南省财政厅", "issued_on": f"{year}-03-28",
              "amount": "400000", "budget_subject": ""}  # fmt: skip
    payment = {"amount": "300000", "paid_on": f"{year}-07-15", "payee": "长沙市计划生育协会", "voucher": "",
               "decision_ref": ""}  # fmt: skip
    return [
        line("ApplicationSubmitted", "03-01", "申报人", grant_no=grant_no, details=details),
        line("ApplicationApproved", "03-20", "审批人", approved="400000", opinion="", decision_ref=""),
        line("NoticeRecorded", "04-01", "财政厅", **notice),
        line("NoticeAcknowledged", "07-10", "受款方"),  # paid within 30 days: R3 alone
        line("DisbursementRecorded", "07-15", "出纳", **payment),
    ]


def ledger_file(folder: Path, *histories: list[str]) -> dict[str, str]:
    """A ledger holding one compliant closed grant and the histories given, imported."""
    url = f"sqlite:///{folder / 'ledger.sqlite'}"
    with open_ledger(url) as ledger:
        ledger.execute(submit(COMPLIANT))
        for command in lifecycle(COMPLIANT):
            ledger.execute(command)
        for history in histories:
            ledger.import_history(parse_history(history, "history.jsonl"))
    return {"GRANTS_LEDGER_URL": url}


def check(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(grants, ["audit", "check", *args], env=env)


def test_a_violation_is_printed_with_its_rule_grant_and_event_and_exits_1(tmp_path: Path) -> None:
    env = ledger_file(tmp_path, undecided_large_payment("HN-2019-ZX-0007", 2019))
    result = check(env)
    assert result.exit_code == 1
    assert result.output.startswith(
        "violation: R3 large-amount fund use: grant HN-2019-ZX-0007, event #5: a payment of 300,000.00 yuan is at "
        "or above the large-fund threshold of 100,000.00 yuan, and no collective decision is named"
    )
    assert result.output.count("\n") == 1


def test_a_compliant_ledger_has_no_findings_and_exits_0(tmp_path: Path) -> None:
    result = check(ledger_file(tmp_path))
    assert (result.exit_code, result.output) == (0, "no findings: every grant complies with the rules on replay\n")


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    """A loosening of the rules is a warning: reported, but no violation, so the check passes."""
    env = ledger_file(tmp_path)
    for threshold in (100_000_00, 200_000_00):
        with open_ledger(
            env["GRANTS_LEDGER_URL"], fund_rules=FundRules(large_fund_threshold=Money(threshold))
        ) as ledger:
            ledger.adopt_rules("湖南省计划生育协会", "运维")
    result = check(env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("warning: rules loosened: grant (rules of 湖南省计划生育协会), event #3: ")
    assert "large-fund threshold raised from 100,000.00 yuan to 200,000.00 yuan" in result.output


def test_the_json_findings_are_byte_identical_from_one_run_to_the_next(tmp_path: Path) -> None:
    env = ledger_file(
        tmp_path, undecided_large_payment("HN-2019-ZX-0007", 2019), undecided_large_payment("HN-2020-ZX-0101", 2020)
    )
    first, second = check(env, "--format", "json"), check(env, "--format", "json")
    assert first.exit_code == second.exit_code == 1
    assert first.stdout_bytes == second.stdout_bytes
    findings = json.loads(first.stdout)
    assert [(f["grant_no"], f["versions"], f["rule"], f["severity"]) for f in findings] == [
        ("HN-2019-ZX-0007", [5], "R3 large-amount fund use", "violation"),
        ("HN-2020-ZX-0101", [5], "R3 large-amount fund use", "violation"),
    ]


def test_year_and_grant_filters_check_only_the_grants_chosen(tmp_path: Path) -> None:
    env = ledger_file(
        tmp_path, undecided_large_payment("HN-2019-ZX-0007", 2019), undecided_large_payment("HN-2020-ZX-0101", 2020)
    )

    def grants_found(*args: str) -> list[str]:
        return [finding["grant_no"] for finding in json.loads(check(env, *args, "--format", "json").stdout)]

    assert grants_found("--year", "2019") == ["HN-2019-ZX-0007"]
    assert grants_found("--grant", "HN-2020-ZX-0101") == ["HN-2020-ZX-0101"]
    assert grants_found("--year", "2021") == []
    assert (
        check(env, "--grant", COMPLIANT).output == f"no findings: grant {COMPLIANT} complies with the rules on replay\n"
    )
    assert check(env, "--year", "2021").output == "no findings: fiscal year 2021 complies with the rules on replay\n"


def test_an_unknown_grant_is_refused_in_one_line_with_exit_status_2(tmp_path: Path) -> None:
    result = check(ledger_file(tmp_path), "--grant", "HN-2030-NONE")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: grant HN-2030-NONE: unknown grant")


def test_as_of_counts_deadlines_still_open_by_that_date_as_missed(tmp_path: Path) -> None:
    """300,000 of the 400,000 paid by 2019-07-15: not yet late at its last event, long overdue by 2019-12-31."""
    env = ledger_file(tmp_path, undecided_large_payment("HN-2019-ZX-0007", 2019))
    assert "R9 deadlines" not in check(env).output
    result = check(env, "--as-of", "2019-12-31")
    assert result.exit_code == 1
    assert "violation: R9 deadlines: grant HN-2019-ZX-0007, event #4: payment in full" in result.output
    assert "it was still not met by 2020-01-01 00:00 (Asia/Shanghai)" in result.output  # the end of 2019-12-31


def test_an_as_of_that_is_no_date_is_refused_in_one_line_with_exit_status_2(tmp_path: Path) -> None:
    result = check(ledger_file(tmp_path), "--as-of", "31/12/2019")
    assert result.exit_code == 2
    assert result.stderr == "error: '31/12/2019' is neither a date (2020-10-01) nor a time (2020-10-01T12:00)\n"
