from __future__ import annotations

import pytest

from domain.state import GrantState, NextStep
from domain.values import Money
from tests.builders import (
    MILESTONES,
    NOTICE_NO,
    PERIOD_END,
    PUBLICITY_ENDS,
    details,
    grant_after,
    grant_through,
    reject,
)

# (what the grant waits for, who must act, the command that does it) after each number of lifecycle steps.
NEXT_STEPS = [
    ("review of the application", "approver", "grants approve | grants reject"),
    ("the appropriation notice (资金指标文件)", "finance department", "grants notice"),
    (f"acknowledgement of notice {NOTICE_NO}", "recipient", "grants acknowledge"),
    ("the first disbursement", "recipient's finance office", "grants disburse"),
    ("further tranches or the start of publicity", "officer", "grants disburse | grants publicize"),
    ("further tranches or the start of publicity", "officer", "grants disburse | grants publicize"),
    (f"the end of publicity (posted until {PUBLICITY_ENDS})", "officer", "grants conclude-publicity"),
    (f"the final report, after the project period ends on {PERIOD_END}", "recipient", "grants report"),
    ("the performance evaluation (绩效评价)", "auditor", "grants evaluate"),
    ("closing", "officer", "grants close"),
    ("nothing: the grant is closed", "nobody", "-"),
]


@pytest.mark.parametrize(
    ("point", "expected"),
    [pytest.param(point, NextStep(*step), id=MILESTONES[point]) for point, step in enumerate(NEXT_STEPS)],
)
def test_the_next_step_says_what_the_grant_waits_for_who_acts_and_the_command(point: int, expected: NextStep) -> None:
    assert grant_after(point).state.next_step() == expected


def test_a_rejected_grant_waits_for_nothing() -> None:
    assert grant_through([reject()]).state.next_step() == NextStep(
        "nothing: the application was rejected", "nobody", "-"
    )


def test_a_new_state_is_at_the_application_stage_with_nothing_paid() -> None:
    state = GrantState(grant_no="HN-2020-ZX-0036", application=details())

    assert state.stage == "application"
    assert state.version == 1
    assert state.approved is None
    assert state.appropriated == Money(0)
    assert state.disbursed == Money(0)
    assert state.tranches == 0
    assert state.notice_acknowledged is False
    assert (state.score, state.rating, state.money_used, state.notice_no) == (None, None, None, None)
