"""Returned money (退回): an event of its own that R2 bounds, never an edit of a payment."""

from __future__ import annotations

import pytest

from domain import rules
from domain.commands import RecordReturn
from domain.errors import AmountViolation, InvalidInputError, StageOrderViolation
from domain.roles import Role, roles_for
from domain.values import Money
from tests.builders import (
    AFTER_PERIOD,
    HALF,
    REQUESTED,
    RETURNED,
    event_names,
    final_report,
    funds_return,
    grant_after,
    grant_through,
    lifecycle,
)


def test_a_return_is_recorded_as_its_own_event_and_leaves_the_payments_as_they_were() -> None:
    grant = grant_after(5)
    grant.collect_events()
    grant.execute(funds_return(RETURNED), AFTER_PERIOD)
    assert event_names(grant) == ["FundsReturned"]
    state = grant.state
    assert (state.disbursed, state.returned, state.net_disbursed) == (REQUESTED, RETURNED, REQUESTED - RETURNED)
    assert state.tranches == 2


@pytest.mark.parametrize(
    "steps", [4, 6, 7, 8, 9], ids=["disbursement", "publicity", "final report", "audit", "evaluated"]
)
def test_money_can_come_back_from_the_first_payment_until_closing(steps: int) -> None:
    commands = lifecycle()[:steps]
    if steps >= 8:  # the report accounts for less than was paid, so that something can come back
        commands[7] = final_report(money_used=REQUESTED - RETURNED)
    grant = grant_through(commands)
    grant.execute(funds_return(RETURNED), AFTER_PERIOD)
    assert grant.state.returned == RETURNED


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 10])
def test_no_return_before_the_disbursement_stage_or_after_closing(steps: int) -> None:
    with pytest.raises(StageOrderViolation, match="R1 stage order"):
        rules.check(grant_after(steps).state, funds_return(), AFTER_PERIOD)


def test_no_more_can_come_back_than_was_disbursed_net_of_earlier_returns() -> None:
    grant = grant_after(4)  # half paid
    grant.execute(funds_return(Money(HALF.fen - 1)), AFTER_PERIOD)
    with pytest.raises(AmountViolation, match=r"R2 amounts: returning 0\.02 yuan .* at most 0\.01 yuan"):
        rules.check(grant.state, funds_return(Money(2)), AFTER_PERIOD)
    rules.check(grant.state, funds_return(Money(1)), AFTER_PERIOD)


def test_after_the_final_report_only_the_money_it_did_not_use_can_come_back() -> None:
    commands = lifecycle()[:8]
    commands[7] = final_report(money_used=REQUESTED - RETURNED)
    state = grant_through(commands).state
    with pytest.raises(AmountViolation, match=r"less the .* the final report says was used"):
        rules.check(state, funds_return(RETURNED + Money(1)), AFTER_PERIOD)


def test_the_final_report_cannot_use_money_that_was_returned() -> None:
    grant = grant_through([*lifecycle()[:5], funds_return(RETURNED), *lifecycle()[5:7]])
    with pytest.raises(AmountViolation, match="net of returns"):
        rules.check(grant.state, final_report(money_used=REQUESTED), AFTER_PERIOD)
    rules.check(grant.state, final_report(money_used=REQUESTED - RETURNED), AFTER_PERIOD)


def test_a_return_needs_a_positive_amount_a_reason_and_the_finance_document() -> None:
    with pytest.raises(InvalidInputError, match="returned amount must be more than zero"):
        funds_return(Money(0))
    with pytest.raises(InvalidInputError, match="document no must not be empty"):
        RecordReturn(
            grant_no="G",
            actor="finance",
            amount=RETURNED,
            returned_on=AFTER_PERIOD.date(),
            reason="结余",
            document_no=" ",
        )


def test_returns_are_booked_by_finance() -> None:
    assert roles_for(RecordReturn) == [Role.FINANCE]
