from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from domain import rules
from domain.clock import SHANGHAI
from domain.commands import GrantCommand
from domain.errors import (
    AmountViolation,
    DuplicateGrantError,
    GrantNotFoundError,
    GrantRuleViolation,
    StageOrderViolation,
)
from domain.stages import Rating
from domain.values import Money, Points
from tests.builders import (
    AFTER_PERIOD,
    GRANT_NO,
    HALF,
    MILESTONES,
    PERIOD_END,
    PUBLICITY_ENDS,
    REQUESTED,
    acknowledge,
    approve,
    close,
    conclude_publicity,
    details,
    disburse,
    evaluate,
    final_report,
    grant_after,
    grant_through,
    notice,
    reject,
    start_publicity,
    submit,
)

STEPS: dict[str, Callable[[], GrantCommand]] = {
    "approve": approve,
    "reject": reject,
    "notice": notice,
    "acknowledge": acknowledge,
    "disburse": disburse,
    "start publicity": start_publicity,
    "conclude publicity": conclude_publicity,
    "final report": final_report,
    "evaluate": evaluate,
    "close": close,
}
# The steps R1 lets through after each number of lifecycle steps (see MILESTONES).
ALLOWED: dict[int, set[str]] = {
    0: {"approve", "reject"},
    1: {"notice"},
    2: {"acknowledge"},
    3: {"disburse"},
    4: {"disburse", "start publicity"},
    # Once paid out in full a tranche is in order by R1 until closing (late money, R9); R2 refuses it (nothing left).
    5: {"disburse", "start publicity"},
    6: {"disburse", "conclude publicity"},
    7: {"disburse", "final report"},
    8: {"disburse", "evaluate"},
    9: {"disburse", "close"},
}
IN_ORDER = [
    pytest.param(point, step, id=f"{step} when {MILESTONES[point]}")
    for point, steps in ALLOWED.items()
    for step in sorted(steps)
    if not (point >= 5 and step == "disburse")  # paid in full from point 5 on: R2 refuses a further tranche
]
OUT_OF_ORDER = [
    pytest.param(point, step, id=f"{step} when {MILESTONES[point]}")
    for point, steps in ALLOWED.items()
    for step in STEPS
    if step not in steps
]


@pytest.mark.parametrize(("point", "step"), OUT_OF_ORDER)
def test_every_out_of_order_step_is_refused_naming_the_grant_the_rule_and_the_fix(point: int, step: str) -> None:
    state = grant_after(point).state

    with pytest.raises(StageOrderViolation) as caught:
        rules.check(state, STEPS[step](), AFTER_PERIOD)

    error = caught.value
    assert error.grant_no == GRANT_NO
    assert error.rule == "R1 stage order"
    assert state.next_step().command in error.fix, "the fix names the command the grant waits for"
    assert str(error).startswith(f"grant {GRANT_NO}: R1 stage order: ")
    assert f"Fix: {error.fix}" in str(error)


@pytest.mark.parametrize(("point", "step"), IN_ORDER)
def test_every_step_in_order_is_allowed(point: int, step: str) -> None:
    rules.check(grant_after(point).state, STEPS[step](), AFTER_PERIOD)


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("ending", ["closed", "rejected"])
def test_nothing_is_recorded_after_a_grant_is_closed_or_rejected(ending: str, step: str) -> None:
    grant = grant_after(10) if ending == "closed" else grant_through([reject()])

    with pytest.raises(StageOrderViolation) as caught:
        rules.check(grant.state, STEPS[step](), AFTER_PERIOD)

    assert caught.value.problem == f"the grant is {ending}; nothing is recorded after that"
    assert caught.value.grant_no == GRANT_NO
    assert caught.value.fix


def test_a_step_on_an_unknown_grant_raises_grant_not_found() -> None:
    with pytest.raises(GrantNotFoundError, match="HN-2099-XX-0001: unknown grant") as caught:
        rules.check(None, approve(grant_no="HN-2099-XX-0001"), AFTER_PERIOD)
    assert caught.value.grant_no == "HN-2099-XX-0001"


class TestFinalReportWaitsForTheEndOfTheProjectPeriod:
    @pytest.mark.parametrize(
        "at",
        [
            pytest.param(datetime(2020, 6, 30, 12, 0, tzinfo=SHANGHAI), id="during the period"),
            pytest.param(datetime(2020, 12, 31, 0, 0, tzinfo=SHANGHAI), id="start of the last day"),
            pytest.param(datetime(2020, 12, 31, 23, 59, 59, tzinfo=SHANGHAI), id="end of the last day"),
            pytest.param(datetime(2020, 12, 31, 15, 59, 59, tzinfo=UTC), id="last day in Shanghai, given in UTC"),
        ],
    )
    def test_a_final_report_on_or_before_the_period_end_is_refused(self, at: datetime) -> None:
        with pytest.raises(StageOrderViolation, match=f"the project period runs until {PERIOD_END}"):
            rules.check(grant_after(7).state, final_report(), at)

    @pytest.mark.parametrize(
        "at",
        [
            pytest.param(datetime(2021, 1, 1, 0, 0, tzinfo=SHANGHAI), id="first moment after, in Shanghai"),
            pytest.param(datetime(2020, 12, 31, 16, 0, tzinfo=UTC), id="first moment after, given in UTC"),
            pytest.param(AFTER_PERIOD, id="weeks after"),
        ],
    )
    def test_a_final_report_after_the_period_end_is_accepted(self, at: datetime) -> None:
        rules.check(grant_after(7).state, final_report(), at)


class TestAmounts:
    """R2: disbursed <= appropriated <= approved <= requested."""

    def test_approving_more_than_requested_is_refused(self) -> None:
        with pytest.raises(AmountViolation) as caught:
            rules.check(grant_after(0).state, approve(REQUESTED + Money(1)), AFTER_PERIOD)

        assert caught.value.rule == "R2 amounts"
        assert caught.value.grant_no == GRANT_NO
        assert "more than the 90,000.00 yuan requested" in caught.value.problem
        assert caught.value.fix == "approve at most 90,000.00 yuan"

    def test_approving_exactly_the_amount_requested_is_allowed(self) -> None:
        rules.check(grant_after(0).state, approve(REQUESTED), AFTER_PERIOD)

    def test_a_notice_above_the_approved_amount_is_refused(self) -> None:
        state = grant_through([approve(Money(80_000_00))]).state

        with pytest.raises(AmountViolation, match=re.escape("more than the 80,000.00 yuan approved")) as caught:
            rules.check(state, notice(Money(80_000_01)), AFTER_PERIOD)

        assert caught.value.fix == "record the notice for at most 80,000.00 yuan"

    def test_a_notice_for_exactly_the_approved_amount_is_allowed(self) -> None:
        state = grant_through([approve(Money(80_000_00))]).state
        rules.check(state, notice(Money(80_000_00)), AFTER_PERIOD)

    def test_disbursing_more_than_appropriated_is_refused_with_the_amount_left(self) -> None:
        state = grant_through([approve(), notice(), acknowledge(), disburse(Money(50_000_00))]).state

        with pytest.raises(AmountViolation) as caught:
            rules.check(state, disburse(Money(40_000_01)), AFTER_PERIOD)

        assert caught.value.rule == "R2 amounts"
        assert "above the 90,000.00 yuan appropriated" in caught.value.problem
        assert "disburse at most the 40,000.00 yuan left" in caught.value.fix

    def test_disbursing_exactly_what_is_left_is_allowed(self) -> None:
        state = grant_through([approve(), notice(), acknowledge(), disburse(Money(50_000_00))]).state
        rules.check(state, disburse(Money(40_000_00)), AFTER_PERIOD)

    def test_a_tranche_after_everything_appropriated_was_paid_is_refused(self) -> None:
        with pytest.raises(AmountViolation, match=re.escape("at most the 0.00 yuan left")):
            rules.check(grant_after(5).state, disburse(Money(1)), AFTER_PERIOD)

    @pytest.mark.parametrize("point", [6, 7, 8, 9], ids=lambda point: MILESTONES[point])
    def test_a_tranche_after_the_disbursement_stage_is_still_bounded_by_the_appropriation(self, point: int) -> None:
        with pytest.raises(AmountViolation, match=re.escape("at most the 0.00 yuan left")):
            rules.check(grant_after(point).state, disburse(Money(1)), AFTER_PERIOD)

    def test_the_rest_of_the_money_can_be_paid_after_publicity_started(self) -> None:
        """R9: publicity may start after one tranche; the rest is still owed, and paying it late is recorded."""
        state = grant_through([approve(), notice(), acknowledge(), disburse(HALF), start_publicity()]).state
        rules.check(state, disburse(HALF), AFTER_PERIOD)

    def test_reporting_more_money_used_than_disbursed_is_refused(self) -> None:
        state = grant_through(
            [approve(), notice(), acknowledge(), disburse(HALF), start_publicity(), conclude_publicity()]
        ).state

        with pytest.raises(AmountViolation, match=re.escape("only 45,000.00 yuan was disbursed")) as caught:
            rules.check(state, final_report(money_used=HALF + Money(1)), AFTER_PERIOD)

        assert caught.value.rule == "R2 amounts"

    def test_reporting_exactly_the_money_disbursed_is_allowed(self) -> None:
        rules.check(grant_after(7).state, final_report(money_used=REQUESTED), AFTER_PERIOD)


def test_publicity_cannot_conclude_before_its_posted_period_ends() -> None:
    with pytest.raises(GrantRuleViolation) as caught:
        rules.check(grant_after(6).state, conclude_publicity(PUBLICITY_ENDS.replace(day=6)), AFTER_PERIOD)

    assert caught.value.rule == "R8 publicity"
    assert caught.value.fix == f"conclude it on or after {PUBLICITY_ENDS}"


def test_publicity_may_conclude_on_its_last_posted_day() -> None:
    rules.check(grant_after(6).state, conclude_publicity(PUBLICITY_ENDS), AFTER_PERIOD)


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        ("100", Rating.EXCELLENT),
        ("90", Rating.EXCELLENT),
        ("89.9", Rating.GOOD),
        ("80", Rating.GOOD),
        ("79.9", Rating.FAIR),
        ("60", Rating.FAIR),
        ("59.9", Rating.POOR),
        ("0", Rating.POOR),
    ],
)
def test_the_rating_is_derived_from_the_score_at_90_80_and_60(score: str, rating: Rating) -> None:
    assert rules.rating_for(Points.parse(score)) is rating


def test_the_ratings_read_as_the_chinese_grades() -> None:
    assert [rules.rating_for(Points.parse(s)).value for s in ("95", "85", "65", "35")] == ["优", "良", "中", "差"]


class TestRepeatedApplications:
    def test_a_first_application_is_not_a_repeat(self) -> None:
        assert rules.is_repeat_application(None, submit()) is False

    def test_an_identical_application_is_a_repeat(self) -> None:
        assert rules.is_repeat_application(grant_after(3).state, submit(command_id="another id")) is True

    def test_an_application_with_different_content_raises_duplicate_grant_error_listing_the_differences(self) -> None:
        state = grant_after(0).state
        different = submit(requested=Money(95_000_00), title="另一个项目")

        with pytest.raises(DuplicateGrantError) as caught:
            rules.is_repeat_application(state, different)

        message = str(caught.value)
        assert caught.value.grant_no == GRANT_NO
        assert "requested: recorded 90,000.00 yuan, now 95,000.00 yuan" in message
        assert "title: recorded 2020年暖心家园项目, now 另一个项目" in message
        assert "program" not in message
        assert "Fix: use a new grant number, or repeat the original application exactly" in message

    def test_check_refuses_a_different_application_too(self) -> None:
        with pytest.raises(DuplicateGrantError, match="region: recorded 430100, now 430200"):
            rules.check(grant_after(0).state, submit(region="430200"), AFTER_PERIOD)

    def test_check_accepts_the_first_application(self) -> None:
        rules.check(None, submit(), AFTER_PERIOD)

    def test_details_differences_name_only_the_fields_that_differ(self) -> None:
        assert details().differences(details()) == []
        assert [d.split(":")[0] for d in details().differences(details(fiscal_year=2021))] == ["fiscal_year"]
