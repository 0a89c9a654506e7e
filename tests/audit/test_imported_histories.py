"""Histories made elsewhere: imported as they happened, unchecked, and then judged by `grants audit check`."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from audit.check import Finding, check_ledger
from domain.clock import SHANGHAI
from domain.decisions import DecisionKind
from domain.errors import GrantError, InvalidInputError
from domain.personal import Person, beneficiary_list_id
from domain.values import Money
from ledger.application import GrantLedger, open_ledger
from ledger.history_import import HistoryFileError, parse_history
from ledger.personal_data import MasterKeyError
from tests.builders import decision_item, minutes

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
        # Acknowledged 2019-07-10: the payments below fall within the 30 days it opens (R9), unless a case says.
        line("NoticeAcknowledged", "2019-07-10T09:00:00+08:00", "受款方"),
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


def steps_to_disbursement() -> list[str]:
    return history_with_an_undecided_large_payment()[:4]


def paid(amount: str, on: str = "2019-07-15", actor: str = "出纳", payee: str = "长沙市计划生育协会") -> str:
    fields = {"amount": amount, "paid_on": on, "payee": payee, "voucher": "", "decision_ref": ""}
    return line("DisbursementRecorded", f"{on}T10:00+08:00", actor, **fields)


def posted(starts: str, ends: str) -> str:
    return line("PublicityStarted", f"{starts}T09:00+08:00", "项目办", starts_on=starts, ends_on=ends, place="公示栏")


BREACHES = [
    pytest.param(
        [*steps_to_disbursement()[:3], paid("50000")], "R1 stage order", 4, id="R1 paid before the acknowledgement"
    ),
    pytest.param(
        [*steps_to_disbursement(), *(paid("99999", payee=payee) for payee in "甲乙丙丁戊")], "R2 amounts", 9,
        id="R2 paid beyond the notice",
    ),
    pytest.param(
        [*steps_to_disbursement(), paid("60000"), paid("50000", on="2019-08-01")], "R4 no splitting (化整为零)", 6,
        id="R4 split payments",
    ),
    pytest.param(
        [*steps_to_disbursement(), paid("50000", actor="审批人")], "R6 separation of duties", 5, id="R6 approver paid"
    ),
    pytest.param(
        [*steps_to_disbursement(), paid("50000"), posted("2019-08-01", "2019-08-05")], "R8 publicity", 6,
        id="R8 publicity of five days",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("history", "rule", "version"), BREACHES)
def test_each_rule_broken_in_an_imported_history_is_a_finding_at_its_event(
    ledger: GrantLedger, history: list[str], rule: str, version: int
) -> None:
    ledger.import_history(parse_history(history, "breach.jsonl"))
    findings = [(finding.rule, finding.versions) for finding in check_ledger(ledger)]
    assert findings == [(rule, (version,))]


# Oversight rules judged again on imported histories (issue #4's audit: dates, deadlines, extensions).


def test_an_imported_major_project_approved_on_minutes_dated_after_it_is_an_r3_finding(ledger: GrantLedger) -> None:
    """Decide first: an approval on 2019-03-20 cannot rest on minutes of a meeting held on 2019-06-20."""
    item = decision_item(kind=DecisionKind.MAJOR_PROJECT, grant_no="HN-2019-ZX-0007", amount=Money(600_000_00))
    ledger.record_decision(minutes(held_on=date(2019, 6, 20), items=(item,)))
    approval = {"approved": "600000", "opinion": "", "decision_ref": "党组会:纪要〔2020〕12号"}
    major = {**APPLICATION, "requested": "600000.00"}
    history = [
        line("ApplicationSubmitted", "2019-03-01T09:00+08:00", "申报人", grant_no="HN-2019-ZX-0007", details=major),
        line("ApplicationApproved", "2019-03-20T09:00+08:00", "审批人", **approval),
    ]
    ledger.import_history(parse_history(history, "major.jsonl"))
    (finding,) = check_ledger(ledger)
    assert (finding.rule, finding.versions) == ("R3 major project arrangement", (2,))
    assert "decision 纪要〔2020〕12号 does not authorise it" in finding.message
    assert "taken before 2019-03-20" in finding.message


def paid_in_full(on: str) -> list[str]:
    """The 400,000 of the notice paid to five payees, 80,000 each (no payee's sum reaches the R3/R4 threshold)."""
    return [paid("80000", on=on, payee=payee) for payee in "甲乙丙丁戊"]


def rules_of(findings: list[Finding]) -> list[tuple[str, tuple[int, ...]]]:
    return [(finding.rule, finding.versions) for finding in findings]


def test_an_imported_payment_in_full_after_its_deadline_is_an_r9_finding(ledger: GrantLedger) -> None:
    """Acknowledged 2019-07-10, so due by 2019-08-09 (30 days): paid in full only on 2019-09-20."""
    history = [*steps_to_disbursement(), *paid_in_full("2019-07-15")[:4], paid("80000", on="2019-09-20", payee="戊")]
    ledger.import_history(parse_history(history, "late.jsonl"))
    (finding,) = check_ledger(ledger)
    assert (finding.rule, finding.versions) == ("R9 deadlines", (4, 9))
    assert finding.message.startswith(
        "payment in full of the appropriated amount was due by 2019-08-09 09:00 (Asia/Shanghai) (counted from the "
        "notice's acknowledgement (#4)), but it came only on 2019-09-20 10:00 (Asia/Shanghai) (#9). Fix: "
    )


def test_an_imported_payment_never_made_in_full_is_an_r9_finding_at_the_end_of_its_history(ledger: GrantLedger) -> None:
    """Still short of the notice when the history ends (or by the day the auditor asks about): a finding."""
    history = [*steps_to_disbursement(), paid("80000", on="2019-07-15")]
    ledger.import_history(parse_history(history, "short.jsonl"))
    assert check_ledger(ledger) == [], "by its last event (2019-07-15) the payment was not yet due"
    (finding,) = check_ledger(ledger, as_of=datetime(2019, 9, 1, tzinfo=SHANGHAI))
    assert (finding.rule, finding.versions) == ("R9 deadlines", (4,))
    assert "it was still not met by 2019-09-01 00:00 (Asia/Shanghai)" in finding.message


def reported(on: str) -> str:
    fields = {"people_reached": 1200, "money_used": "400000", "satisfaction": "95.0", "outcomes": "建成暖心家园"}
    return line("FinalReportSubmitted", f"{on}T09:00+08:00", "受款方", **fields)


def concluded(on: str) -> str:
    return line("PublicityConcluded", f"{on}T09:00+08:00", "项目办", concluded_on=on)


def test_an_imported_final_report_after_its_deadline_is_an_r9_finding(ledger: GrantLedger) -> None:
    """The period ended 2019-12-31, so the report was due by 2020-01-30 (30 days): it came on 2020-03-15."""
    history = [
        *steps_to_disbursement(),
        *paid_in_full("2019-07-15"),
        posted("2019-08-01", "2019-08-10"),
        concluded("2019-08-11"),
        reported("2020-03-15"),
    ]
    ledger.import_history(parse_history(history, "late-report.jsonl"))
    (finding,) = check_ledger(ledger)
    assert (finding.rule, finding.versions) == ("R9 deadlines", (2, 12))
    assert finding.message.startswith(
        "the final report was due by 2020-01-31 00:00 (Asia/Shanghai) (counted from the end of the project period on "
        "2019-12-31), but it came only on 2020-03-15 09:00 (Asia/Shanghai) (#12). Fix: "
    )


def test_a_deadline_recorded_as_missed_is_reported_once(ledger: GrantLedger) -> None:
    """The workflow's DeadlineMissed stands for the deadline: the late payment that followed adds nothing."""
    due = {"kind": "payment", "due_at": "2019-08-09T01:00Z"}
    missed = line("DeadlineMissed", "2019-08-09T09:00+08:00", "GrantLifecycle", **due)
    history = [*steps_to_disbursement(), missed, *paid_in_full("2019-09-20")]
    ledger.import_history(parse_history(history, "missed.jsonl"))
    assert rules_of(check_ledger(ledger)) == [("R9 deadlines", (5,))]


def objection(raised: str, extends_to: str) -> str:
    fields = {"raised_on": raised, "summary": "名单有误", "extends_to": extends_to}
    return line("ObjectionRaised", f"{raised}T09:00+08:00", "项目办", **fields)


def resolved(number: int, on: str) -> str:
    fields = {"objection_no": number, "resolved_on": on, "resolution": "已核实更正"}
    return line("ObjectionResolved", f"{on}T09:00+08:00", "项目办", **fields)


def posted_and_paid() -> list[str]:
    """Paid in full, then posted from 2019-08-01 to 2019-08-10 (events #1-#10)."""
    return [*steps_to_disbursement(), *paid_in_full("2019-07-15"), posted("2019-08-01", "2019-08-10")]


def test_an_imported_objection_extension_is_recomputed_and_concluding_before_it_is_an_r8_finding(
    ledger: GrantLedger,
) -> None:
    """Raised 2019-08-08, the objection keeps the posting up a full 7 days, to 08-14: the file says 08-10."""
    history = [
        *posted_and_paid(),
        objection("2019-08-08", "2019-08-10"),
        resolved(1, "2019-08-09"),
        concluded("2019-08-11"),
    ]
    ledger.import_history(parse_history(history, "objection.jsonl"))
    extension, conclusion = check_ledger(ledger)
    assert rules_of([extension, conclusion]) == [("R8 publicity", (11,)), ("R8 publicity", (13,))]
    assert extension.severity == conclusion.severity == "violation"
    assert extension.message.startswith(
        "objection #1 raised on 2019-08-08 is recorded as extending publicity only to 2019-08-10, but with a "
        "minimum period of 7 days after the objection, publicity runs until 2019-08-14"
    )
    assert conclusion.message.startswith("publicity runs until 2019-08-14, so it cannot conclude on 2019-08-11")


def test_an_imported_conclusion_with_an_objection_open_is_an_r8_finding(ledger: GrantLedger) -> None:
    history = [*posted_and_paid(), objection("2019-08-02", "2019-08-10"), concluded("2019-08-11")]
    ledger.import_history(parse_history(history, "open.jsonl"))
    (finding,) = check_ledger(ledger)
    assert (finding.rule, finding.versions) == ("R8 publicity", (12,))
    assert finding.message.startswith("objection(s) #1 are still open")


def test_an_imported_extension_longer_than_the_rules_give_is_a_warning(ledger: GrantLedger) -> None:
    """Posted longer than needed breaks no rule, but the record does not follow the rules' computation."""
    history = [
        *posted_and_paid(),
        objection("2019-08-08", "2019-08-20"),
        resolved(1, "2019-08-09"),
        concluded("2019-08-21"),
    ]
    ledger.import_history(parse_history(history, "longer.jsonl"))
    (finding,) = check_ledger(ledger)
    assert (finding.rule, finding.versions, finding.severity) == ("R8 publicity", (11,), "warning")


@pytest.mark.parametrize(("history", "rule", "version"), BREACHES)
def test_each_finding_says_what_would_fix_it(ledger: GrantLedger, history: list[str], rule: str, version: int) -> None:
    """A finding is a sentence a person can act on: the problem, then the rule's fix."""
    ledger.import_history(parse_history(history, "breach.jsonl"))
    (finding,) = check_ledger(ledger)
    problem, fix = finding.message.split(". Fix: ")
    assert problem.endswith(")"), "the problem, and where the event came from"
    assert fix


def test_the_fix_of_an_undecided_large_payment_names_the_decision_it_needs(ledger: GrantLedger) -> None:
    ledger.import_history(parse_history(history_with_an_undecided_large_payment(), "2019.jsonl"))
    (finding,) = check_ledger(ledger)
    assert finding.message.endswith(
        "(imported as DisbursementRecorded). Fix: record the collective decision (large-fund-use for "
        "HN-2019-ZX-0007, at least 300,000.00 yuan, taken before 2019-07-15) with `grants decision record`, and "
        "name it with --decision BODY:MINUTES"
    )


# Collective decisions (R3, R5) and beneficiary lists (R7) in imported histories.

MINUTES = "湘计生协党组纪要〔2019〕5号"
DECISION_REF = f"党组会:{MINUTES}"
BOARD = ["王强", "李明", "张华", "赵丽", "陈刚"]  # 王强 chairs


def minutes_line(
    held_on: str = "2019-07-01",
    present: tuple[str, ...] = ("王强", "李明", "张华", "赵丽"),
    recused: tuple[str, ...] = (),
    voters: tuple[str, ...] = ("李明", "张华", "赵丽", "王强"),  # in the order stated: the chair last
) -> str:
    """The 党组会's minutes deciding a payment of up to 300,000 yuan for the grant, recorded the day they were held."""
    item = {
        "kind": "large_fund_use",
        "grant_no": "HN-2019-ZX-0007",
        "amount": "300000",
        "description": "2019年暖心家园项目资金拨付",
        "votes": [[voter, "for"] for voter in voters],
    }
    fields = {
        "body": "党组会",
        "minutes_ref": MINUTES,
        "held_on": held_on,
        "chair": "王强",
        "members": BOARD,
        "present": list(present),
        "recused": list(recused),
        "items": [item],
    }
    return json.dumps({"event": "DecisionRecorded", "at": f"{held_on}T16:00+08:00", "actor": "党办", "fields": fields})


def paid_on_the_decision(applicant: str = "申报人") -> list[str]:
    """Minutes, then the grant up to its payment of 300,000 yuan on 2019-07-15 naming them (event #5)."""
    history = history_with_an_undecided_large_payment()
    application = json.loads(history[0])
    history[0] = line("ApplicationSubmitted", application["at"], applicant, **application["fields"])
    history[-1] = history[-1].replace('"decision_ref": ""', f'"decision_ref": "{DECISION_REF}"')
    return history


def test_an_imported_decision_is_kept_as_its_minutes_say_and_marked_as_imported(ledger: GrantLedger) -> None:
    ledger.import_history(parse_history([minutes_line(), *paid_on_the_decision()], "2019.jsonl"))
    decision = ledger.decision("党组会", MINUTES)
    assert (decision.held_on.isoformat(), decision.present, decision.command_id) == (
        "2019-07-01",
        ["王强", "李明", "张华", "赵丽"],
        "import:1",
    )
    assert decision.created_on.isoformat() == "2019-07-01T08:00:00+00:00"
    assert [item.amount for item in decision.items] == [Money(300_000_00)]


def test_a_large_payment_resting_on_valid_minutes_taken_before_it_leaves_no_finding(ledger: GrantLedger) -> None:
    ledger.import_history(parse_history([minutes_line(), *paid_on_the_decision()], "2019.jsonl"))
    assert check_ledger(ledger) == []


def test_minutes_that_break_r5_are_imported_as_they_are(ledger: GrantLedger) -> None:
    """No R5 check on import: the minutes are what happened, and `grants audit check` judges them."""
    without_quorum = minutes_line(present=("王强", "李明"), voters=("李明", "王强"))
    ledger.import_history(parse_history([without_quorum, *paid_on_the_decision()], "2019.jsonl"))
    assert ledger.decision("党组会", MINUTES).present == ["王强", "李明"]


DECISION_BREACHES = [
    pytest.param(
        [minutes_line(recused=("赵丽",), voters=("李明", "张华", "王强")), *paid_on_the_decision()],
        "R5 valid collective decision", "3 of 5 members present and not recused, below the quorum of 2/3",
        id="R5 a quorum that counts a recused member",
    ),
    pytest.param(
        [minutes_line(), *paid_on_the_decision(applicant="李明")],
        "R5 valid collective decision", "李明 voted in decision 湘计生协党组纪要〔2019〕5号 on this grant, though they "
        "have a conflict",
        id="R5 the applicant voting",
    ),
    pytest.param(
        [minutes_line(held_on="2019-07-20"), *paid_on_the_decision()],
        "R3 large-amount fund use", "decision 湘计生协党组纪要〔2019〕5号 does not authorise it (large-fund-use, "
        "this grant, at least 300,000.00 yuan, taken before 2019-07-15)",
        id="R3 minutes dated after the payment they authorise",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("history", "rule", "says"), DECISION_BREACHES)
def test_a_payment_resting_on_imported_minutes_that_do_not_authorise_it_is_a_finding_at_the_payment(
    ledger: GrantLedger, history: list[str], rule: str, says: str
) -> None:
    ledger.import_history(parse_history(history, "2019.jsonl"))
    [finding] = check_ledger(ledger)
    assert (finding.grant_no, finding.versions, finding.rule) == ("HN-2019-ZX-0007", (5,), rule)
    assert says in finding.message


def test_minutes_are_imported_once(ledger: GrantLedger) -> None:
    ledger.import_history(parse_history([minutes_line()], "minutes.jsonl"))
    before = ledger.count_events()
    with pytest.raises(GrantError, match=r"minutes .* of 党组会 are already in the ledger"):
        ledger.import_history(parse_history([minutes_line()], "minutes.jsonl"))
    assert ledger.count_events() == before


def test_the_same_minutes_twice_in_a_file_are_refused_and_nothing_is_imported(ledger: GrantLedger) -> None:
    with pytest.raises(InvalidInputError, match=r"line 2: minutes .* are already on line 1"):
        ledger.import_history(parse_history([minutes_line(), minutes_line()], "twice.jsonl"))
    assert ledger.count_events() == 0


ZHANG = {"name": "张三", "id_number": "430102198001011233", "card_account": "6217001234567890123",
         "category": "计生特殊家庭", "township": "岳麓区莲花镇", "amount": "1200.00"}  # fmt: skip
LI = {"name": "李四", "id_number": "430102198502022344", "card_account": "6217009876543210987",
      "category": "独生子女伤残家庭", "township": "岳麓区雨敞坪镇", "amount": "1200.00"}  # fmt: skip
WANG_NOT_LISTED = "430121199003034563"


@pytest.fixture
def sealing_ledger(ledger_url: str) -> Iterator[GrantLedger]:
    """A ledger opened with the master key, as importing personal data needs."""
    with open_ledger(ledger_url, master_key=secrets.token_bytes(32)) as opened:
        yield opened


def registered(pay_by: str | None = "2019-09-30", *people: dict[str, str]) -> str:
    listed = list(people or (ZHANG, LI))
    return line("BeneficiariesRegistered", "2019-07-20T09:00+08:00", "项目办", pay_by=pay_by, beneficiaries=listed)


def paid_to(
    id_number: str = ZHANG["id_number"], amount: str = "1200", on: str = "2019-09-01", channel: str = "一卡通"
) -> str:
    fields = {"id_number": id_number, "amount": amount, "paid_on": on, "channel": channel}
    return line("BeneficiaryPaid", f"{on}T10:00+08:00", "出纳", **fields)


def test_an_imported_list_is_sealed_per_person_and_nothing_personal_is_stored_in_clear(
    sealing_ledger: GrantLedger, ledger_url: str
) -> None:
    history = [*steps_to_disbursement(), registered(), paid_to()]
    sealing_ledger.import_history(parse_history(history, "2019.jsonl"))
    listed = sealing_ledger.beneficiaries("HN-2019-ZX-0007")
    assert sorted((b.personal.name, b.township, b.amount.yuan()) for b in listed) == [  # type: ignore[union-attr]
        ("张三", "岳麓区莲花镇", "1,200.00"),
        ("李四", "岳麓区雨敞坪镇", "1,200.00"),
    ]
    assert {b.person_id for b in listed} == {sealing_ledger.vault.person_id(p["id_number"]) for p in (ZHANG, LI)}
    stored = Path(ledger_url.removeprefix("sqlite:///")).read_bytes()
    for person in (ZHANG, LI):
        for key in ("name", "id_number", "card_account", "category"):
            for spelling in (person[key], json.dumps(person[key])[1:-1]):  # as UTF-8, or JSON-escaped
                assert spelling.encode() not in stored, f"{key} of a beneficiary is stored in clear"
    assert check_ledger(sealing_ledger) == []


def test_imported_list_events_are_marked_as_imported_and_keep_their_dates(sealing_ledger: GrantLedger) -> None:
    sealing_ledger.import_history(parse_history([*steps_to_disbursement(), registered(), paid_to()], "2019.jsonl"))
    events = list(sealing_ledger.repository.event_store.get(beneficiary_list_id("HN-2019-ZX-0007")))
    assert [(type(e).__name__, getattr(e, "command_id", "")) for e in events] == [
        ("BeneficiaryListOpened", ""),
        ("BeneficiariesRegistered", "import:5"),
        ("BeneficiaryPaid", "import:6"),
    ]
    assert events[-1].timestamp.isoformat() == "2019-09-01T02:00:00+00:00"  # type: ignore[attr-defined]
    person: Person = sealing_ledger.repository.get(sealing_ledger.vault.person_id(ZHANG["id_number"]))
    assert (person.grants, person.created_on.isoformat()) == (["HN-2019-ZX-0007"], "2019-07-20T01:00:00+00:00")


R7_BREACHES = [
    pytest.param(paid_to(WANG_NOT_LISTED), "is not on the registered list", id="R7 paid someone off the list"),
    pytest.param(paid_to(amount="1300"), "the payment of 1,300.00 yuan is off the amount standard of 1,200.00 yuan",
                 id="R7 paid off the amount standard"),
    pytest.param(paid_to(on="2019-10-08"), "paid on 2019-10-08, after the list's deadline of 2019-09-30",
                 id="R7 paid after the list's deadline"),
    pytest.param(paid_to(channel="现金"), "paid through '现金', not the one-card system (一卡通)",
                 id="R7 paid in cash, not through the one-card system"),
]  # fmt: skip


@pytest.mark.parametrize(("payment", "says"), R7_BREACHES)
def test_an_imported_payment_to_a_person_off_the_registered_list_is_an_r7_finding(
    sealing_ledger: GrantLedger, payment: str, says: str
) -> None:
    sealing_ledger.import_history(parse_history([*steps_to_disbursement(), registered(), payment], "2019.jsonl"))
    [finding] = check_ledger(sealing_ledger)
    assert (finding.grant_no, finding.versions, finding.rule) == ("HN-2019-ZX-0007", (3,), "R7 registered list")
    assert says in finding.message
    assert "(beneficiary list event #3)" in finding.message


def test_a_payment_imported_for_a_grant_without_a_list_is_an_r7_finding(sealing_ledger: GrantLedger) -> None:
    sealing_ledger.import_history(parse_history([*steps_to_disbursement(), paid_to()], "2019.jsonl"))
    assert [(f.rule, f.versions) for f in check_ledger(sealing_ledger)] == [("R7 registered list", (2,))]


def test_a_list_needs_the_master_key_and_without_it_nothing_is_imported(ledger: GrantLedger) -> None:
    with pytest.raises(MasterKeyError, match="opened without the master key"):
        ledger.import_history(parse_history([*steps_to_disbursement(), registered()], "2019.jsonl"))
    assert ledger.count_events() == 0


def test_a_list_comes_after_its_grant_in_the_file(sealing_ledger: GrantLedger) -> None:
    with pytest.raises(InvalidInputError, match=r"line 1: a beneficiary list is imported with its grant"):
        sealing_ledger.import_history(parse_history([registered(), *steps_to_disbursement()], "2019.jsonl"))
    assert sealing_ledger.count_events() == 0


def test_a_bad_person_is_reported_by_line_without_their_id_number_in_clear() -> None:
    wrong_check_digit = {**LI, "id_number": "430102198502022345"}
    history = [*steps_to_disbursement(), registered("2019-09-30", ZHANG, wrong_check_digit), paid_to(amount="0")]
    with pytest.raises(HistoryFileError) as refused:
        parse_history(history, "2019.jsonl")
    message = str(refused.value)
    assert message.startswith("2019.jsonl: 2 bad line(s), nothing imported: line 5: beneficiary 2: ID number ")
    assert "43*************345 is not a valid resident ID" in message
    assert "line 6: the payment must be more than zero" in message
    assert "430102198502022345" not in message
