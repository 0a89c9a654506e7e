"""Returned money judged again on replay: a return beyond what was paid, in a history made elsewhere, is a finding."""

from __future__ import annotations

from audit.check import check_ledger
from ledger.application import GrantLedger
from ledger.history_import import parse_history
from tests.audit.test_imported_histories import line, paid, steps_to_disbursement


def returned(amount: str, on: str = "2019-08-01") -> str:
    fields = {"amount": amount, "returned_on": on, "reason": "项目结余", "document_no": "湘财缴〔2019〕3号"}
    return line("FundsReturned", f"{on}T10:00+08:00", "财务", **fields)


def test_a_return_beyond_the_money_paid_is_an_r2_finding_at_its_event(ledger: GrantLedger) -> None:
    history = [*steps_to_disbursement(), paid("50000"), returned("30000"), returned("20000.01")]
    ledger.import_history(parse_history(history, "returns.jsonl"))
    findings = check_ledger(ledger)
    assert [(finding.rule, finding.versions) for finding in findings] == [("R2 amounts", (7,))]
    assert "returning 20,000.01 yuan is more than the 20,000.00 yuan that can come back" in findings[0].message
