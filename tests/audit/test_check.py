"""`grants audit check`: the rules judged again on replay, including what the preventive checks let through."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from audit.check import check_ledger
from domain.commands import RecordMissedDeadline
from domain.deadlines import DeadlineKind
from domain.decisions import DecisionKind, Vote
from domain.oversight import FundRules
from domain.values import Money
from ledger.application import open_ledger
from tests.builders import acknowledge, approve, decision_item, disburse, lifecycle, minutes, notice, submit

BIG = Money(400_000_00)


def test_a_compliant_ledger_has_no_findings(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        for grant_no in ("A", "B"):
            ledger.execute(submit(grant_no))
            for command in lifecycle(grant_no):
                ledger.execute(command)
        assert check_ledger(ledger) == []


def test_a_payment_let_through_by_laxer_rules_is_a_finding_citing_its_event(ledger_url: str) -> None:
    """A threshold raised to let one payment through (三重一大 without a decision) shows on replay."""
    lax = FundRules(large_fund_threshold=Money(1_000_000_00))
    with open_ledger(ledger_url, fund_rules=lax) as ledger:
        ledger.execute(submit("A", requested=BIG))
        for command in (approve(BIG, grant_no="A"), notice(BIG, grant_no="A"), acknowledge(grant_no="A")):
            ledger.execute(command)
        ledger.execute(disburse(Money(200_000_00), grant_no="A"))
    with open_ledger(ledger_url) as ledger:
        (finding,) = check_ledger(ledger)
        assert (finding.grant_no, finding.versions, finding.rule) == ("A", (5,), "R3 large-amount fund use")
        assert "no collective decision is named" in finding.message
        assert check_ledger(ledger) == [finding], "the same ledger gives the same findings"


def test_a_missed_deadline_is_a_finding(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.execute(submit("A"))
        for command in lifecycle("A")[:3]:
            ledger.execute(command)
        due = datetime(2020, 8, 1, tzinfo=UTC)
        missed = RecordMissedDeadline(grant_no="A", actor="workflow", kind=DeadlineKind.PAYMENT, due_at=due)
        ledger.execute(dataclasses.replace(missed, command_id="grant-A/deadline/payment"))
        (finding,) = check_ledger(ledger, fiscal_year=2020)
        assert (finding.rule, finding.versions) == ("R9 deadlines", (5,))
        assert check_ledger(ledger, fiscal_year=2021) == []


def test_rules_are_judged_as_in_force_and_loosening_them_is_a_warning(ledger_url: str) -> None:
    """A payment made under rules that were loosened for it passes those rules, but the loosening shows."""
    with open_ledger(ledger_url) as strict:
        assert strict.adopt_rules("湖南省计划生育协会", actor="worker")
        assert not strict.adopt_rules("湖南省计划生育协会", actor="worker"), "unchanged rules are not recorded again"
    lax = FundRules(large_fund_threshold=Money(1_000_000_00))
    with open_ledger(ledger_url, fund_rules=lax) as ledger:
        ledger.adopt_rules("湖南省计划生育协会", actor="worker")
        ledger.execute(submit("A", requested=BIG))
        for command in (approve(BIG, grant_no="A"), notice(BIG, grant_no="A"), acknowledge(grant_no="A")):
            ledger.execute(command)
        ledger.execute(disburse(Money(200_000_00), grant_no="A"))
        (finding,) = check_ledger(ledger)
    assert (finding.rule, finding.severity) == ("rules loosened", "warning")
    assert "large-fund threshold raised from 100,000.00 yuan to 1,000,000.00 yuan" in finding.message


def test_a_step_resting_on_a_decision_without_a_quorum_is_a_finding(ledger_url: str) -> None:
    """Minutes accepted under a lower quorum do not make a valid decision under the rules in force."""
    loose = FundRules(quorum=(1, 2))
    three_of_five = ("王强", "李明", "张华")
    votes = (("李明", Vote.FOR), ("张华", Vote.FOR), ("王强", Vote.FOR))
    items = (decision_item(kind=DecisionKind.LARGE_FUND_USE, grant_no="A", amount=BIG, votes=votes),)
    authority = minutes(present=three_of_five, items=items)
    with open_ledger(ledger_url, fund_rules=loose) as ledger:
        ledger.record_decision(authority)
        ledger.execute(submit("A", requested=BIG))
        for command in (approve(BIG, grant_no="A"), notice(BIG, grant_no="A"), acknowledge(grant_no="A")):
            ledger.execute(command)
        decided = f"{authority.body}:{authority.minutes_ref}"
        ledger.execute(dataclasses.replace(disburse(Money(200_000_00), grant_no="A"), decision_ref=decided))
    with open_ledger(ledger_url) as ledger:
        (finding,) = check_ledger(ledger)
    assert (finding.rule, finding.versions) == ("R5 valid collective decision", (5,))
    assert "3 of 5 members present and not recused, below the quorum of 2/3" in finding.message
