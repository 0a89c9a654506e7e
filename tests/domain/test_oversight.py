"""R3 and R4 (三重一大): large payments and major projects rest on a collective decision taken before them."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from domain import rules
from domain.commands import RecordMajorChange
from domain.decisions import CollectiveDecision, DecisionKind
from domain.errors import GrantRuleViolation
from domain.grant import Grant
from domain.values import Money
from tests.builders import (
    AFTER_PERIOD,
    GRANT_NO,
    acknowledge,
    approve,
    decision_item,
    disburse,
    evaluate,
    grant_through,
    lifecycle,
    minutes,
    notice,
    submit,
)

BIG = Money(2_000_000_00)
DECIDED = "党组会:纪要〔2020〕12号"


def decision(**changes: object) -> CollectiveDecision:
    items = (
        decision_item(kind=DecisionKind.MAJOR_PROJECT, grant_no=GRANT_NO, amount=BIG),
        decision_item(kind=DecisionKind.LARGE_FUND_USE, grant_no=GRANT_NO, amount=BIG),
    )
    return CollectiveDecision.record(minutes(**{"items": items, **changes}))


def a_big_grant_paying_out() -> Grant:
    """A grant approved (on a decision) and noticed for BIG, ready to disburse."""
    approved = dataclasses.replace(approve(BIG), decision_ref=DECIDED)
    return grant_through([approved, notice(BIG), acknowledge()], grant_no=GRANT_NO, application=submit(requested=BIG))


def test_approving_a_major_project_without_a_decision_is_refused_with_the_fix() -> None:
    state = grant_through([], application=submit(requested=BIG)).state
    with pytest.raises(GrantRuleViolation, match=r"R3 major project arrangement: .* no collective decision is named"):
        rules.check(state, approve(BIG), AFTER_PERIOD)


def test_a_major_project_is_approved_only_on_a_decision_taken_before_the_day_of_the_approval() -> None:
    """Decide first: minutes dated after the approval (here 2099), or on its day, are no authority for it."""
    state = grant_through([], application=submit(requested=BIG)).state
    approval = dataclasses.replace(approve(BIG), decision_ref=DECIDED)
    approved_on = AFTER_PERIOD.date()
    for held_on in (date(2099, 1, 1), approved_on):
        with pytest.raises(GrantRuleViolation, match=r"R3 major project arrangement: .* does not authorise") as caught:
            rules.check(state, approval, AFTER_PERIOD, decision(held_on=held_on))
        assert f"taken before {approved_on}" in caught.value.fix
    rules.check(state, approval, AFTER_PERIOD, decision(held_on=approved_on - timedelta(days=1)))


def test_a_payment_at_the_threshold_without_a_decision_is_refused() -> None:
    state = a_big_grant_paying_out().state
    with pytest.raises(GrantRuleViolation, match=r"R3 large-amount fund use: a payment of 100,000.00 yuan") as caught:
        rules.check(state, disburse(Money(100_000_00)), AFTER_PERIOD)
    assert "grants decision record" in caught.value.fix


def test_a_payment_just_under_the_threshold_needs_no_decision() -> None:
    rules.check(a_big_grant_paying_out().state, disburse(Money(99_999_99)), AFTER_PERIOD)


def test_a_decision_taken_after_the_payment_does_not_authorise_it() -> None:
    """Decide first, then execute: minutes dated on or after the payment are no authority for it."""
    state = a_big_grant_paying_out().state
    payment = dataclasses.replace(disburse(BIG, paid_on=date(2020, 6, 20)), decision_ref=DECIDED)
    with pytest.raises(GrantRuleViolation, match=r"decision 纪要〔2020〕12号 does not authorise it"):
        rules.check(state, payment, AFTER_PERIOD, decision(held_on=date(2020, 6, 20)))
    rules.check(state, payment, AFTER_PERIOD, decision(held_on=date(2020, 6, 19)))


def test_a_decision_for_less_money_or_another_grant_does_not_authorise_the_payment() -> None:
    state = a_big_grant_paying_out().state
    payment = dataclasses.replace(disburse(BIG), decision_ref=DECIDED)
    smaller = decision_item(kind=DecisionKind.LARGE_FUND_USE, grant_no=GRANT_NO, amount=BIG - Money(1))
    elsewhere = decision_item(kind=DecisionKind.LARGE_FUND_USE, grant_no="HN-2020-ZX-9999", amount=BIG)
    for items in ((smaller,), (elsewhere,)):
        with pytest.raises(GrantRuleViolation, match="does not authorise it"):
            rules.check(state, payment, AFTER_PERIOD, CollectiveDecision.record(minutes(items=items)))


def test_splitting_a_large_payment_into_small_ones_is_refused_naming_the_earlier_payments() -> None:
    """R4 (化整为零): 60,000 then 50,000 to one payee reach the 100,000 threshold with no decision."""
    grant = a_big_grant_paying_out()
    grant.execute(disburse(Money(60_000_00), paid_on=date(2020, 7, 1)), AFTER_PERIOD)
    with pytest.raises(GrantRuleViolation, match=r"R4 no splitting \(化整为零\): .* \(60,000.00 on 2020-07-01\)"):
        grant.execute(disburse(Money(50_000_00), paid_on=date(2020, 8, 1)), AFTER_PERIOD)
    assert grant.state.tranches == 1, "nothing was recorded"


def test_small_payments_to_different_payees_are_no_splitting() -> None:
    grant = a_big_grant_paying_out()
    grant.execute(disburse(Money(60_000_00)), AFTER_PERIOD)
    other = dataclasses.replace(disburse(Money(50_000_00)), payee="望城区计生协")
    grant.execute(other, AFTER_PERIOD)
    assert grant.state.tranches == 2


def test_split_payments_rest_on_a_decision_taken_before_the_first_of_them() -> None:
    grant = a_big_grant_paying_out()
    grant.execute(disburse(Money(60_000_00), paid_on=date(2020, 7, 1)), AFTER_PERIOD)
    second = dataclasses.replace(disburse(Money(50_000_00), paid_on=date(2020, 8, 1)), decision_ref=DECIDED)
    with pytest.raises(GrantRuleViolation, match="R4 no splitting"):
        grant.execute(second, AFTER_PERIOD, decision(held_on=date(2020, 7, 15)))
    grant.execute(second, AFTER_PERIOD, decision(held_on=date(2020, 6, 30)))
    assert grant.state.tranches == 2


@pytest.mark.parametrize(
    ("steps_before", "step", "role"),
    [
        pytest.param(0, dataclasses.replace(approve(), actor="applicant"), "applicant", id="the applicant approves"),
        pytest.param(3, dataclasses.replace(disburse(), actor="approver"), "approver", id="the approver pays"),
        pytest.param(3, dataclasses.replace(disburse(), actor="applicant"), "applicant", id="the applicant pays"),
    ],
)
def test_one_person_may_not_hold_two_roles_on_a_grant(steps_before: int, step: object, role: str) -> None:
    """R6: applicant, approver, disburser and evaluator are different people."""
    state = grant_through(lifecycle()[:steps_before]).state
    with pytest.raises(GrantRuleViolation, match=rf"R6 separation of duties: \w+ acted as the {role} of this grant"):
        rules.check(state, step, AFTER_PERIOD)  # type: ignore[arg-type]


def test_whoever_paid_out_a_grant_may_not_evaluate_it() -> None:
    state = grant_through(lifecycle()[:8]).state
    with pytest.raises(GrantRuleViolation, match="recipient acted as the disburser of this grant"):
        rules.check(state, dataclasses.replace(evaluate(), actor="recipient"), AFTER_PERIOD)
    rules.check(state, evaluate(), AFTER_PERIOD)


def test_a_decision_in_which_the_payee_voted_does_not_authorise_the_payment() -> None:
    """R5: members with a conflict (the applicant, the payee) are recused; a vote of theirs taints the item."""
    state = a_big_grant_paying_out().state
    payment = dataclasses.replace(disburse(BIG), payee="李明", decision_ref=DECIDED)
    with pytest.raises(GrantRuleViolation, match=r"R5 valid collective decision: 李明 voted in decision .* conflict"):
        rules.check(state, payment, AFTER_PERIOD, decision())


def officer_change(**changes: object) -> RecordMajorChange:
    fields: dict[str, object] = {
        "kind": "officer_change",
        "changed_on": date(2020, 8, 1),
        "description": "项目负责人由李华改为周明",
    }
    fields.update(changes)
    return RecordMajorChange(grant_no=GRANT_NO, actor="officer", **fields)  # type: ignore[arg-type]


def test_changing_the_officer_of_a_major_project_rests_on_a_decision_taken_before() -> None:
    state = a_big_grant_paying_out().state
    with pytest.raises(GrantRuleViolation, match=r"R3 major project arrangement: changing its responsible officer"):
        rules.check(state, officer_change(), AFTER_PERIOD)
    item = decision_item(kind=DecisionKind.OFFICER_CHANGE, grant_no=GRANT_NO, amount=None)
    authority = CollectiveDecision.record(minutes(items=(item,)))
    rules.check(state, officer_change(decision_ref=DECIDED), AFTER_PERIOD, authority)
    too_late = officer_change(changed_on=date(2020, 6, 20), decision_ref=DECIDED)
    with pytest.raises(GrantRuleViolation, match="does not authorise it"):
        rules.check(state, too_late, AFTER_PERIOD, authority)


def test_a_small_project_changes_its_scope_without_a_decision() -> None:
    small = grant_through(lifecycle()[:3]).state
    rules.check(small, officer_change(kind="scope_change", description="增加一个村"), AFTER_PERIOD)
