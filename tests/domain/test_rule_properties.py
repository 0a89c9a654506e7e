"""Property-based: every valid lifecycle is accepted, and a single mutation of one is refused by the rule it breaks."""

from __future__ import annotations

import math

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from domain.decisions import CollectiveDecision, InvalidDecisionError, Vote
from domain.errors import GrantError
from domain.stages import Stage
from tests.builders import decision_item, minutes
from tests.lifecycles import Lifecycle, refused_rule, run_in_domain
from tests.strategies import Mutation, lifecycles, mutations


@settings(max_examples=150, deadline=None)
@given(lifecycles())
def test_every_valid_lifecycle_is_accepted_and_closes(lifecycle: Lifecycle) -> None:
    grant, names = run_in_domain(lifecycle)
    assert grant.state.stage is Stage.CLOSED
    assert grant.state.disbursed == grant.state.appropriated
    if names is not None:
        assert names.paid <= set(names.people)


@settings(max_examples=300, deadline=None)
@given(mutations())
def test_a_single_mutation_is_refused_by_the_rule_it_breaks(mutation: Mutation) -> None:
    """Amount, order, role, publicity dates, quorum, the minutes' date, a missing or conflicted decision, the list."""
    event(mutation.kind)
    with pytest.raises(GrantError) as refused:
        run_in_domain(mutation.lifecycle)
    assert refused_rule(refused.value) == mutation.rule, f"{mutation.what}: {refused.value}"


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
