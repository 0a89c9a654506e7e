"""R9 surplus (结余): money paid out, neither used by the final report nor returned two years after the approval."""

from __future__ import annotations

from datetime import datetime

from audit.check import check_ledger
from domain.clock import SHANGHAI
from ledger.application import GrantLedger
from ledger.history_import import parse_history
from tests.audit.test_imported_histories import concluded, line, paid_in_full, posted, steps_to_disbursement
from tests.audit.test_returns_check import returned

APPROVED_PLUS_TWO_YEARS = datetime(2021, 3, 20, 9, 0, tzinfo=SHANGHAI)  # approved 2019-03-20 09:00


def reported_using(money_used: str) -> str:
    fields = {"people_reached": 1200, "money_used": money_used, "satisfaction": "95.0", "outcomes": "建成暖心家园"}
    return line("FinalReportSubmitted", "2020-01-10T09:00+08:00", "受款方", **fields)


def reported_history(money_used: str, *after: str) -> list[str]:
    """The 400,000 paid in full, posted, and a final report using `money_used` of it."""
    return [
        *steps_to_disbursement(),
        *paid_in_full("2019-07-15"),
        posted("2019-08-01", "2019-08-10"),
        concluded("2019-08-11"),
        reported_using(money_used),
        *after,
    ]


def test_money_unused_and_not_returned_two_years_after_the_approval_is_a_violation(ledger: GrantLedger) -> None:
    ledger.import_history(parse_history(reported_history("350000"), "surplus.jsonl"))
    (finding,) = check_ledger(ledger, as_of=APPROVED_PLUS_TWO_YEARS)
    assert (finding.rule, finding.severity, finding.versions) == ("R9 surplus", "violation", (2, 12))
    assert finding.message.startswith(
        "50,000.00 yuan paid out was neither used (final report: 350,000.00 yuan) nor returned two years after the "
        "approval (#2), by 2021-03-20 09:00 (Asia/Shanghai): it is surplus (结余) to be paid back. Fix: record the "
        "return of the surplus with `grants return`"
    )


def test_surplus_is_not_yet_due_before_two_years_have_passed(ledger: GrantLedger) -> None:
    ledger.import_history(parse_history(reported_history("350000"), "surplus.jsonl"))
    assert check_ledger(ledger) == [], "by its last event (2020-01-10) the surplus was not yet due"
    assert check_ledger(ledger, as_of=datetime(2021, 3, 20, 8, 59, tzinfo=SHANGHAI)) == []


def test_surplus_returned_or_money_used_in_full_leaves_no_finding(ledger: GrantLedger) -> None:
    history = reported_history("350000", returned("50000", on="2020-02-01"))
    ledger.import_history(parse_history(history, "returned.jsonl"))
    used_in_full = [text.replace("HN-2019-ZX-0007", "HN-2019-ZX-0008") for text in reported_history("400000")]
    ledger.import_history(parse_history(used_in_full, "used.jsonl"))
    assert check_ledger(ledger, as_of=APPROVED_PLUS_TWO_YEARS) == []
