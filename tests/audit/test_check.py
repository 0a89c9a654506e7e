"""`grants audit check`: the rules judged again on replay, including what the preventive checks let through."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from audit.check import check_grant, check_ledger
from cli.main import grants
from domain.clock import SHANGHAI
from domain.commands import RecordMissedDeadline
from domain.deadlines import DeadlineKind
from domain.decisions import DecisionKind, Vote
from domain.errors import GrantNotFoundError
from domain.oversight import DEFAULT_FUND_RULES, FundRules
from domain.rulebook import RuleBook
from domain.values import Money
from ledger.application import GrantLedger, open_ledger
from ledger.history_import import parse_history
from tests.audit.test_imported_histories import paid, steps_to_disbursement
from tests.builders import acknowledge, approve, decision_item, disburse, lifecycle, minutes, notice, submit

BIG = Money(400_000_00)
BODY = "湖南省计划生育协会"
LAX = FundRules(large_fund_threshold=Money(1_000_000_00))


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


def test_loosening_the_rules_is_a_warning_and_a_step_it_let_through_a_violation(ledger_url: str) -> None:
    """A payment made under rules loosened for it passes those rules, but not those in force earlier that year."""
    with open_ledger(ledger_url) as strict:
        assert strict.adopt_rules(BODY, actor="worker")
        assert not strict.adopt_rules(BODY, actor="worker"), "unchanged rules are not recorded again"
    with open_ledger(ledger_url, fund_rules=LAX) as ledger:
        ledger.adopt_rules(BODY, actor="worker")
        pay_a_large_sum_without_a_decision(ledger)
        loosening, payment = check_ledger(ledger)
    assert (loosening.rule, loosening.severity, loosening.versions) == ("rules loosened", "warning", (3,))
    assert "large-fund threshold raised from 100,000.00 yuan to 1,000,000.00 yuan" in loosening.message
    assert (payment.grant_no, payment.versions, payment.rule) == ("A", (5,), "R3 large-amount fund use")


def pay_a_large_sum_without_a_decision(ledger: GrantLedger) -> None:
    """Grant A approved and noticed for 400,000, then 200,000 paid on no collective decision (event #5)."""
    ledger.execute(submit("A", requested=BIG))
    for command in (approve(BIG, grant_no="A"), notice(BIG, grant_no="A"), acknowledge(grant_no="A")):
        ledger.execute(command)
    ledger.execute(disburse(Money(200_000_00), grant_no="A"))


def test_a_payment_let_through_by_rules_loosened_and_tightened_again_is_a_violation(ledger_url: str) -> None:
    """Loosen the threshold, pay, tighten it again: the payment broke the rules in force before and after it."""
    with open_ledger(ledger_url) as strict:
        strict.adopt_rules(BODY, actor="worker")  # rule book version 2
    with open_ledger(ledger_url, fund_rules=LAX) as lax:
        lax.adopt_rules(BODY, actor="worker")  # version 3
        pay_a_large_sum_without_a_decision(lax)
    with open_ledger(ledger_url) as strict:
        strict.adopt_rules(BODY, actor="worker")  # version 4
        findings = check_ledger(strict)
        paid_in = strict.history("A")[-1].recorded_at.astimezone(SHANGHAI).year
    assert [(f.grant_no, f.versions, f.rule, f.severity) for f in findings] == [
        ("(rules of 湖南省计划生育协会)", (3,), "rules loosened", "warning"),
        ("A", (5,), "R3 large-amount fund use", "violation"),
    ]
    assert findings[1].message.startswith(
        "it passes only because the rules were loosened: the rules of 湖南省计划生育协会 in force when it was recorded "
        f"(rule book version 3) are laxer than those in force earlier in {paid_in} (version 2). "
        "a payment of 200,000.00 yuan is at or above the large-fund threshold of 100,000.00 yuan"
    )
    result = CliRunner().invoke(grants, ["audit", "check"], env={"GRANTS_LEDGER_URL": ledger_url})
    assert result.exit_code == 1, result.output
    assert "violation: R3 large-amount fund use: grant A, event #5: it passes only because" in result.output


def test_a_step_after_the_fiscal_year_of_a_loosening_is_judged_by_the_rules_then_in_force(ledger: GrantLedger) -> None:
    """Rules loosened in 2019 govern a payment in 2020 without a finding of their own: only the change warns."""
    book = RuleBook(funding_body=BODY)
    book.adopt(FundRules(), "worker", at=datetime(2019, 3, 1, tzinfo=SHANGHAI))
    book.adopt(LAX, "worker", at=datetime(2019, 6, 1, tzinfo=SHANGHAI))
    history = [*steps_to_disbursement(), paid("200000", on="2019-07-15")]
    ledger.import_history(parse_history(history, "2019.jsonl"))
    findings = check_grant(ledger, "HN-2019-ZX-0007", FundRules(), book)
    assert [(f.rule, f.versions) for f in findings] == [("R3 large-amount fund use", (5,))], "within 2019: judged"
    assert "(rule book version 3) are laxer than those in force earlier in 2019 (version 2)" in findings[0].message
    later = RuleBook(funding_body=BODY)
    later.adopt(FundRules(), "worker", at=datetime(2018, 3, 1, tzinfo=SHANGHAI))
    later.adopt(LAX, "worker", at=datetime(2018, 6, 1, tzinfo=SHANGHAI))
    assert check_grant(ledger, "HN-2019-ZX-0007", FundRules(), later) == [], "a loosening of 2018 stands in 2019"


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


def test_a_ledger_holding_the_rule_books_of_two_funding_bodies_says_which_one_judges(ledger_url: str) -> None:
    """A ledger serves one funding body; a second book (a renamed body, say) is a warning, not a silent choice."""
    with open_ledger(ledger_url) as ledger:
        ledger.adopt_rules(BODY, actor="worker")
        ledger.adopt_rules("湖南省计生协", actor="worker")
        (finding,) = check_ledger(ledger)
    assert (finding.rule, finding.severity) == ("rules configuration", "warning")
    assert finding.message.startswith(
        "the ledger holds the rule books of 2 funding bodies (湖南省计划生育协会, 湖南省计生协), but a ledger serves "
        "one: every step is judged by the rules of 湖南省计划生育协会. Fix: "
    )


def test_a_deadline_lengthened_to_let_a_late_payment_through_still_counts_at_its_shortest(ledger_url: str) -> None:
    """Payment due 30 days after the acknowledgement; lengthened to a year, the grant part paid: late by day 40."""
    lax_deadline = dataclasses.replace(
        DEFAULT_FUND_RULES,
        deadlines=dataclasses.replace(DEFAULT_FUND_RULES.deadlines, payment_due_seconds=365 * 86_400),
    )
    with open_ledger(ledger_url) as strict:
        strict.adopt_rules(BODY, actor="worker")
    with open_ledger(ledger_url, fund_rules=lax_deadline) as lax:
        lax.adopt_rules(BODY, actor="worker")
        lax.execute(submit("A"))
        for command in lifecycle("A")[:3]:  # approved, noticed, acknowledged
            lax.execute(command)
        lax.execute(disburse(Money(10_000_00), grant_no="A"))
        findings = check_ledger(lax, as_of=datetime.now(UTC) + timedelta(days=40))
    late = [finding for finding in findings if finding.message.startswith("payment in full")]  # not the 2020 report
    assert [(finding.grant_no, finding.versions, finding.rule) for finding in late] == [("A", (4,), "R9 deadlines")]


def test_a_grant_named_but_never_applied_for_is_refused_not_reported_as_complying(ledger: GrantLedger) -> None:
    with pytest.raises(GrantNotFoundError, match="HN-2030-NONE"):
        check_ledger(ledger, ["HN-2030-NONE"])
