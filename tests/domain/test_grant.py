from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest

from domain.commands import GrantCommand
from domain.errors import AmountViolation, DuplicateGrantError, GrantError, StageOrderViolation
from domain.grant import Grant, grant_id
from domain.stages import Rating, Stage
from domain.state import Payment
from domain.values import Money, Points
from tests.builders import (
    AFTER_PERIOD,
    GRANT_NO,
    HALF,
    LIFECYCLE_EVENTS,
    NOTICE_NO,
    PUBLICITY_ENDS,
    REQUESTED,
    approve,
    close,
    details,
    disburse,
    event_names,
    final_report,
    grant_after,
    grant_through,
    lifecycle,
    reject,
    submit,
)


def test_a_full_lifecycle_produces_one_past_tense_event_per_step_in_order() -> None:
    grant = grant_through(lifecycle())

    events = grant.collect_events()

    assert [type(event).__name__ for event in events] == list(LIFECYCLE_EVENTS)
    assert [event.originator_version for event in events] == list(range(1, 12))
    assert {event.originator_id for event in events} == {grant_id(GRANT_NO)}


# After each lifecycle step, the fields of the state that step changed (the others are checked unchanged).
PAYEE = "长沙市计划生育协会"
STATE_AFTER_EACH_STEP: list[dict[str, Any]] = [
    {"stage": Stage.APPROPRIATION, "approved": REQUESTED, "approver": "approver"},
    {"notice_no": NOTICE_NO, "appropriated": REQUESTED},
    {"stage": Stage.DISBURSEMENT, "notice_acknowledged": True},
    {
        "disbursed": HALF,
        "tranches": 1,
        "payments": (Payment(HALF, date(2020, 7, 1), PAYEE),),
        "disbursers": ("recipient",),
    },
    {
        "disbursed": REQUESTED,
        "tranches": 2,
        "payments": (Payment(HALF, date(2020, 7, 1), PAYEE), Payment(HALF, date(2020, 7, 1), PAYEE)),
    },
    {"stage": Stage.PUBLICITY, "publicity_ends_on": PUBLICITY_ENDS},
    {"stage": Stage.FINAL_REPORT},
    {"stage": Stage.AUDIT, "money_used": REQUESTED},
    {"score": Points(935), "rating": Rating.EXCELLENT, "evaluator": "auditor"},
    {"stage": Stage.CLOSED},
]


def test_each_step_changes_the_state_as_it_says_and_nothing_else() -> None:
    grant = grant_after(0)
    expected = vars(grant.state) | {"version": 1}
    assert grant.state.stage is Stage.APPLICATION

    for step, (command, changes) in enumerate(zip(lifecycle(), STATE_AFTER_EACH_STEP, strict=True), start=1):
        grant.execute(command, AFTER_PERIOD)
        expected |= changes | {"version": 1 + step}
        assert vars(grant.state) == expected, f"after {type(command).__name__}"


def test_a_rejected_application_ends_the_grant() -> None:
    grant = grant_through([reject()])

    assert event_names(grant) == ["ApplicationSubmitted", "ApplicationRejected"]
    assert grant.state.stage is Stage.REJECTED
    assert grant.state.approved is None


def test_events_carry_the_facts_of_the_command() -> None:
    command = disburse(Money(123_45), paid_on=date(2020, 2, 29), command_id="wf/update-7")
    grant = grant_through([approve(), *lifecycle()[1:3], command])

    recorded = grant.collect_events()[-1]

    assert type(recorded).__name__ == "DisbursementRecorded"
    assert recorded.amount == Money(123_45)  # type: ignore[attr-defined]
    assert recorded.paid_on == date(2020, 2, 29)  # type: ignore[attr-defined]
    assert recorded.payee == command.payee  # type: ignore[attr-defined]
    assert recorded.actor == "recipient"  # type: ignore[attr-defined]
    assert recorded.command_id == "wf/update-7"  # type: ignore[attr-defined]


def test_replaying_the_events_rebuilds_the_same_state() -> None:
    grant = grant_through(lifecycle())

    rebuilt: Grant | None = None
    for event in grant.collect_events():
        rebuilt = event.mutate(rebuilt)  # type: ignore[arg-type]

    assert rebuilt is not None
    assert rebuilt.state == grant.state


class TestGrantId:
    def test_the_grant_id_is_a_uuid5_of_the_grant_number(self) -> None:
        namespace = uuid5(NAMESPACE_URL, "urn:grant-ledger:grant")
        assert grant_id(GRANT_NO) == uuid5(namespace, GRANT_NO)
        assert grant_id(GRANT_NO).version == 5

    def test_the_same_number_always_gives_the_same_id_and_another_number_another_id(self) -> None:
        assert grant_id(GRANT_NO) == grant_id("HN-2020-ZX-0036")
        assert grant_id(GRANT_NO) != grant_id("HN-2020-ZX-0037")

    def test_a_submitted_grant_takes_the_id_of_its_number(self) -> None:
        assert Grant.submit(submit()).id == grant_id(GRANT_NO)
        assert Grant.submit(submit(command_id="other")).id == Grant.submit(submit(command_id="retry")).id


REFUSED: list[Any] = [
    pytest.param(0, approve(REQUESTED + Money(1)), AmountViolation, id="approving more than requested"),
    pytest.param(0, disburse(), StageOrderViolation, id="disbursing before approval"),
    pytest.param(1, disburse(), StageOrderViolation, id="disbursing before the notice"),
    pytest.param(3, disburse(REQUESTED + Money(1)), AmountViolation, id="disbursing beyond appropriated"),
    pytest.param(7, final_report(REQUESTED + Money(1)), AmountViolation, id="reporting more used than disbursed"),
    pytest.param(8, close(), StageOrderViolation, id="closing before the evaluation"),
    pytest.param(10, approve(), StageOrderViolation, id="approving a closed grant"),
    pytest.param(2, submit(requested=Money(1)), DuplicateGrantError, id="applying again with different content"),
]


@pytest.mark.parametrize(("point", "command", "error"), REFUSED)
def test_a_refused_command_triggers_no_event(point: int, command: GrantCommand, error: type[GrantError]) -> None:
    grant = grant_after(point)
    pending = len(grant.collect_events())
    before = grant.state

    with pytest.raises(error):
        grant.execute(command, AFTER_PERIOD)

    assert pending == 1 + point
    assert grant.collect_events() == []
    assert grant.state == before
    assert grant.version_of(command.command_id) is None


def test_an_identical_application_triggers_no_event() -> None:
    grant = grant_after(2)
    grant.collect_events()

    grant.execute(submit(command_id="a retry"), AFTER_PERIOD)

    assert grant.collect_events() == []
    assert grant.version == 3


def test_version_of_a_command_id_is_the_version_that_command_produced() -> None:
    grant = grant_through([approve(command_id="wf/approve"), *lifecycle()[1:3]])

    assert grant.version_of("submit") == 1
    assert grant.version_of("wf/approve") == 2
    assert grant.version_of(grant.collect_events()[-1].command_id) == 4  # type: ignore[attr-defined]
    assert grant.version_of("never seen") is None


def test_the_state_carries_the_current_version() -> None:
    assert grant_after(0).state.version == 1
    assert grant_after(4).state.version == 5


def test_the_application_is_kept_as_submitted() -> None:
    assert grant_after(10).state.application == details()
    assert grant_after(0).state.grant_no == GRANT_NO
