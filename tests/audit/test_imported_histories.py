"""Histories made elsewhere: imported as they happened, unchecked, and then judged by `grants audit check`."""

from __future__ import annotations

import json

import pytest

from audit.check import check_ledger
from domain.errors import GrantError
from ledger.application import GrantLedger
from ledger.history_import import HistoryFileError, parse_history

APPLICATION = {
    "program": "暖心家园",
    "recipient": "长沙市计划生育协会",
    "region": "430100",
    "fiscal_year": 2019,
    "title": "2019年暖心家园项目",
    "requested": "400000.00",
    "period_start": "2019-01-01",
    "period_end": "2019-12-31",
}


def line(event: str, at: str, actor: str, **fields: object) -> str:
    return json.dumps({"grant_no": "HN-2019-ZX-0007", "event": event, "at": at, "actor": actor, "fields": fields})


def history_with_an_undecided_large_payment() -> list[str]:
    return [
        line(
            "ApplicationSubmitted",
            "2019-03-01T09:00:00+08:00",
            "申报人",
            grant_no="HN-2019-ZX-0007",
            details=APPLICATION,
        ),
        line(
            "ApplicationApproved", "2019-03-20T09:00:00+08:00", "审批人", approved="400000", opinion="", decision_ref=""
        ),
        line(
            "NoticeRecorded",
            "2019-04-01T09:00:00+08:00",
            "财政厅",
            document_no="湘财社指〔2019〕20号",
            issuer="湖南省财政厅",
            issued_on="2019-03-28",
            amount="400000",
            budget_subject="",
        ),
        line("NoticeAcknowledged", "2019-04-02T09:00:00+08:00", "受款方"),
        line(
            "DisbursementRecorded",
            "2019-07-15T10:00:00+08:00",
            "出纳",
            amount="300000",
            paid_on="2019-07-15",
            payee="长沙市计划生育协会",
            voucher="",
            decision_ref="",
        ),
    ]


def test_an_imported_history_keeps_its_dates_and_its_breaches_are_findings(ledger: GrantLedger) -> None:
    events = parse_history(history_with_an_undecided_large_payment(), "2019.jsonl")
    assert ledger.import_history(events) == ["HN-2019-ZX-0007"]
    history = ledger.history("HN-2019-ZX-0007")
    assert history[-1].recorded_at.isoformat() == "2019-07-15T02:00:00+00:00"
    assert history[-1].fields["command_id"] == "import:5"
    findings = [(f.versions, f.rule) for f in check_ledger(ledger)]
    assert findings == [((5,), "R3 large-amount fund use")]
    assert "imported as DisbursementRecorded" in check_ledger(ledger)[0].message


def test_a_history_is_imported_once(ledger: GrantLedger) -> None:
    events = parse_history(history_with_an_undecided_large_payment(), "2019.jsonl")
    ledger.import_history(events)
    before = ledger.count_events()
    with pytest.raises(GrantError, match="already in the ledger"):
        ledger.import_history(events)
    assert ledger.count_events() == before


def test_bad_lines_are_reported_by_number_and_nothing_is_imported() -> None:
    lines = history_with_an_undecided_large_payment()
    lines[1] = lines[1].replace('"400000"', '"four hundred thousand"')
    lines[3] = lines[3].replace("NoticeAcknowledged", "NoticeLost")
    with pytest.raises(HistoryFileError, match=r"2 bad line\(s\), nothing imported: line 2: .*; line 4: 'NoticeLost'"):
        parse_history(lines, "2019.jsonl")
