"""Property-based: every valid lifecycle is accepted, and a single mutation of one fires the rule it breaks."""

from __future__ import annotations

import dataclasses
import math
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.commands import (
    GrantCommand,
    RecordDisbursement,
    RecordNotice,
    StartPublicity,
)
from domain.decisions import CollectiveDecision, InvalidDecisionError, Vote
from domain.errors import GrantRuleViolation
from domain.grant import Grant
from domain.stages import Stage
from domain.values import Money
from tests.builders import AFTER_PERIOD, decision_item, minutes, submit
from tests.strategies import lifecycles


def run(requested: int, steps: list[GrantCommand]) -> Grant:
    grant = Grant.submit(submit(requested=Money(requested), command_id="submit"))
    for step in steps:
        grant.execute(step, AFTER_PERIOD)
    return grant


@settings(max_examples=150, deadline=None)
@given(lifecycles())
def test_every_valid_lifecycle_is_accepted_and_closes(lifecycle: tuple[int, list[GrantCommand]]) -> None:
    grant = run(*lifecycle)
    assert grant.state.stage is Stage.CLOSED
    assert grant.state.disbursed == grant.state.appropriated


def mutate_amount(steps: list[GrantCommand]) -> list[GrantCommand]:
    """The first disbursement grows by the whole appropriation: more is paid than was appropriated."""
    index = next(i for i, step in enumerate(steps) if isinstance(step, RecordDisbursement))
    notice = next(step for step in steps if isinstance(step, RecordNotice))
    grown = dataclasses.replace(steps[index], amount=steps[index].amount + notice.amount)  # type: ignore[attr-defined]
    return [*steps[:index], grown, *steps[index + 1 :]]


def mutate_order(steps: list[GrantCommand]) -> list[GrantCommand]:
    """The first disbursement moves before the acknowledgement of the notice."""
    index = next(i for i, step in enumerate(steps) if isinstance(step, RecordDisbursement))
    return [*steps[: index - 1], steps[index], steps[index - 1], *steps[index + 1 :]]


def mutate_role(steps: list[GrantCommand]) -> list[GrantCommand]:
    """The applicant approves their own application."""
    return [dataclasses.replace(steps[0], actor="applicant"), *steps[1:]]


def mutate_date(steps: list[GrantCommand]) -> list[GrantCommand]:
    """Publicity is posted for fewer days than its minimum."""
    index = next(i for i, step in enumerate(steps) if isinstance(step, StartPublicity))
    start: StartPublicity = steps[index]  # type: ignore[assignment]
    short = dataclasses.replace(start, ends_on=start.starts_on + timedelta(days=5))
    return [*steps[:index], short, *steps[index + 1 :]]


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (mutate_amount, "R2 amounts"),
        (mutate_order, "R1 stage order"),
        (mutate_role, "R6 separation of duties"),
        (mutate_date, "R8 publicity"),
    ],
)
@settings(max_examples=60, deadline=None)
@given(lifecycle=lifecycles())
def test_a_single_mutation_fires_the_rule_it_breaks(lifecycle: tuple[int, list[GrantCommand]], mutate, rule) -> None:  # type: ignore[no-untyped-def]
    requested, steps = lifecycle
    with pytest.raises(GrantRuleViolation) as broken:
        run(requested, mutate(steps))
    assert broken.value.rule == rule


@settings(max_examples=100, deadline=None)
@given(st.integers(3, 11), st.data())
def test_minutes_without_a_quorum_are_never_a_valid_decision(members: int, data: st.DataObject) -> None:
    """R5: fewer than two thirds of the members present, however they vote."""
    names = tuple(f"委员{number}" for number in range(members))
    present = names[: data.draw(st.integers(1, math.ceil(members * 2 / 3) - 1))]
    votes = tuple((name, Vote.FOR) for name in present[1:] + present[:1])  # the chair (first) states last
    item = decision_item(votes=votes)
    with pytest.raises(InvalidDecisionError, match="below the quorum"):
        CollectiveDecision.record(minutes(chair=names[0], members=names, present=present, items=(item,)))
