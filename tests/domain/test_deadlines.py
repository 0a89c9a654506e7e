"""R9 deadlines: when each obligation is open, when it falls due, and the `DeadlineMissed` event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.clock import SHANGHAI
from domain.commands import RecordMissedDeadline
from domain.deadlines import DeadlineKind, DeadlinePolicy, business_due_at, end_of_day, is_open, timer_due_at
from domain.errors import GrantRuleViolation, InvalidInputError, StageOrderViolation
from domain.grant import Grant
from domain.stages import Stage
from tests.builders import (
    AFTER_PERIOD,
    GRANT_NO,
    HALF,
    PERIOD_END,
    PUBLICITY_ENDS,
    acknowledge,
    approve,
    disburse,
    event_names,
    funds_return,
    grant_after,
    grant_through,
    notice,
    start_publicity,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
POLICY = DeadlinePolicy()


def missed(kind: DeadlineKind, command_id: str = "grant-X/deadline") -> RecordMissedDeadline:
    return RecordMissedDeadline(
        grant_no=GRANT_NO, actor="timer", command_id=f"{command_id}/{kind}", kind=kind, due_at=NOW
    )


@pytest.mark.parametrize(
    ("stage", "fully_paid", "open_kinds"),
    [
        (Stage.APPLICATION, False, set()),
        (Stage.APPROPRIATION, False, {DeadlineKind.FINAL_REPORT}),
        (Stage.DISBURSEMENT, False, {DeadlineKind.PAYMENT, DeadlineKind.FINAL_REPORT}),
        (Stage.DISBURSEMENT, True, {DeadlineKind.FINAL_REPORT}),
        # Publicity may start after one tranche: the rest of the money is still owed, on time and in full.
        (Stage.PUBLICITY, False, {DeadlineKind.PAYMENT, DeadlineKind.PUBLICITY, DeadlineKind.FINAL_REPORT}),
        (Stage.PUBLICITY, True, {DeadlineKind.PUBLICITY, DeadlineKind.FINAL_REPORT}),
        (Stage.FINAL_REPORT, False, {DeadlineKind.PAYMENT, DeadlineKind.FINAL_REPORT}),
        (Stage.FINAL_REPORT, True, {DeadlineKind.FINAL_REPORT}),
        (Stage.AUDIT, False, {DeadlineKind.PAYMENT}),
        (Stage.AUDIT, True, set()),
        (Stage.CLOSED, False, set()),
        (Stage.CLOSED, True, set()),
        (Stage.REJECTED, False, set()),
    ],
)
def test_which_obligations_are_open_at_each_stage(
    stage: Stage, fully_paid: bool, open_kinds: set[DeadlineKind]
) -> None:
    assert {kind for kind in DeadlineKind if is_open(stage, fully_paid=fully_paid, kind=kind)} == open_kinds


def test_payment_falls_due_the_policy_duration_after_the_acknowledgement() -> None:
    due = business_due_at(DeadlineKind.PAYMENT, POLICY, armed_at=NOW, publicity_ends_on=None, period_end=PERIOD_END)
    assert due == NOW + timedelta(days=30)


def test_publicity_falls_due_at_the_end_of_its_last_day_in_shanghai() -> None:
    due = business_due_at(
        DeadlineKind.PUBLICITY, POLICY, armed_at=NOW, publicity_ends_on=PUBLICITY_ENDS, period_end=PERIOD_END
    )
    assert due == datetime(2020, 10, 8, tzinfo=SHANGHAI)


def test_the_final_report_falls_due_30_days_after_the_period_ends() -> None:
    due = business_due_at(
        DeadlineKind.FINAL_REPORT, POLICY, armed_at=NOW, publicity_ends_on=None, period_end=PERIOD_END
    )
    assert due == end_of_day(date(2020, 12, 31)) + timedelta(days=30)
    assert due == datetime(2021, 1, 31, tzinfo=SHANGHAI)


def test_a_future_deadline_times_out_when_it_falls_due() -> None:
    assert timer_due_at(NOW + timedelta(hours=1), POLICY, armed_at=NOW) == NOW + timedelta(hours=1)


def test_a_deadline_already_past_when_entered_gets_the_backfill_grace_from_then() -> None:
    assert timer_due_at(datetime(2021, 1, 31, tzinfo=SHANGHAI), POLICY, armed_at=NOW) == NOW + timedelta(days=1)


def test_a_missed_deadline_is_an_event_that_changes_no_stage_and_makes_the_grant_overdue() -> None:
    grant = grant_after(3)  # notice acknowledged: disbursement stage, nothing paid
    event_names(grant)
    grant.execute(missed(DeadlineKind.PAYMENT), AFTER_PERIOD)
    assert event_names(grant) == ["DeadlineMissed"]
    assert grant.state.stage is Stage.DISBURSEMENT
    assert [m.kind for m in grant.state.overdue()] == [DeadlineKind.PAYMENT]
    assert grant.state.missed_deadlines[0].due_at == NOW


def test_paying_in_full_ends_the_overdue_but_keeps_the_missed_deadline_on_record() -> None:
    grant = grant_after(3)
    grant.execute(missed(DeadlineKind.PAYMENT), AFTER_PERIOD)
    grant.execute(disburse(HALF), AFTER_PERIOD)
    assert grant.state.overdue(), "half is not in full"
    grant.execute(disburse(HALF), AFTER_PERIOD)
    assert grant.state.overdue() == []
    assert [m.kind for m in grant.state.missed_deadlines] == [DeadlineKind.PAYMENT]


def test_starting_publicity_half_paid_leaves_the_payment_owed_and_paying_the_rest_ends_it() -> None:
    grant = grant_through([approve(), notice(), acknowledge(), disburse(HALF), start_publicity()])
    grant.execute(missed(DeadlineKind.PAYMENT), AFTER_PERIOD)
    assert grant.state.stage is Stage.PUBLICITY
    assert [m.kind for m in grant.state.overdue()] == [DeadlineKind.PAYMENT]
    grant.execute(disburse(HALF), AFTER_PERIOD)
    assert grant.state.overdue() == []
    assert grant.state.stage is Stage.PUBLICITY, "late money changes no stage"


def test_a_return_does_not_make_the_payment_owed_again() -> None:
    grant = grant_after(5)  # paid in full
    grant.execute(funds_return(), AFTER_PERIOD)
    assert not grant.state.deadline_is_open(DeadlineKind.PAYMENT), "a surplus paid back is not money unpaid"


def test_each_obligation_names_who_must_act() -> None:
    assert DeadlineKind.PAYMENT.owner == "recipient's finance office"
    assert DeadlineKind.PUBLICITY.owner == "officer"
    assert DeadlineKind.FINAL_REPORT.owner == "recipient"


def test_a_deadline_whose_obligation_was_met_is_refused() -> None:
    grant = grant_after(5)  # fully paid
    with pytest.raises(GrantRuleViolation, match=r"R9 deadlines: the payment deadline no longer applies"):
        grant.execute(missed(DeadlineKind.PAYMENT), AFTER_PERIOD)


def test_a_deadline_is_missed_once() -> None:
    grant = grant_after(3)
    grant.execute(missed(DeadlineKind.PAYMENT), AFTER_PERIOD)
    with pytest.raises(GrantRuleViolation, match=r"already recorded as missed. Fix: nothing to record"):
        grant.execute(missed(DeadlineKind.PAYMENT, command_id="another"), AFTER_PERIOD)


def test_nothing_is_missed_after_closing() -> None:
    grant = grant_after(10)
    with pytest.raises(StageOrderViolation, match="the grant is closed"):
        grant.execute(missed(DeadlineKind.FINAL_REPORT), AFTER_PERIOD)


def test_a_due_time_without_a_time_zone_is_invalid() -> None:
    with pytest.raises(InvalidInputError, match="no time zone"):
        RecordMissedDeadline(
            grant_no=GRANT_NO,
            actor="timer",
            kind=DeadlineKind.PAYMENT,
            due_at=datetime(2026, 1, 1),  # noqa: DTZ001
        )


def test_replaying_a_missed_deadline_rebuilds_it() -> None:
    grant = grant_after(3)
    grant.execute(missed(DeadlineKind.PAYMENT), AFTER_PERIOD)
    events = grant.collect_events()
    replayed: Grant | None = None
    for event in events:
        replayed = event.mutate(replayed)  # type: ignore[arg-type]
    assert replayed is not None
    assert replayed.state == grant.state
