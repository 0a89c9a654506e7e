"""R5: what makes the minutes of a meeting a valid collective decision (三重一大)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from domain.decisions import CollectiveDecision, DecisionKind, InvalidDecisionError, Vote, r5_problems
from domain.values import Money
from tests.builders import PAYMENT, decision_item, minutes


def votes(*entries: str) -> tuple[tuple[str, Vote], ...]:
    """`"李明 for"` -> `("李明", Vote.FOR)`, in the order the positions were stated."""
    return tuple((member, Vote(position)) for member, position in (entry.split() for entry in entries))


def test_minutes_of_a_quorate_meeting_with_each_item_carried_are_a_valid_decision() -> None:
    assert r5_problems(minutes()) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        pytest.param({"form": "circulation"}, "decided by circulation, not at a meeting", id="circulated"),
        pytest.param({"body": "项目部"}, "is not a deciding body", id="not a deciding body"),
        pytest.param(
            {
                "present": ("王强", "李明", "张华"),
                "items": (decision_item(votes("李明 for", "张华 for", "王强 for")),),
            },
            "3 of 5 members present and not recused, below the quorum of 2/3",
            id="no quorum",
        ),
        pytest.param(
            {"items": (decision_item(votes("王强 for", "李明 for", "张华 for", "赵丽 for")),)},
            "the chair's position must be stated last",
            id="chair not last",
        ),
        pytest.param(
            {"items": (decision_item(votes("李明 for", "张华 against", "赵丽 abstain", "王强 for")),)},
            "not carried by a majority of those present",
            id="not carried",
        ),
        pytest.param(
            {"items": (decision_item(votes("李明 for", "张华 for", "王强 for")),)},
            "every member present and not recused must vote once",
            id="a present member's position missing",
        ),
        pytest.param(
            {"recused": ("赵丽",)},
            "recused members voted",
            id="a recused member voted",
        ),
        pytest.param({"items": ()}, "the minutes record no item decided", id="no items"),
        pytest.param(
            {"items": (decision_item(amount=None),)},
            r"item 1 \(large_fund_use for grant HN-2020-ZX-0001\) names no amount: give the most it authorises",
            id="large-fund use without an amount",
        ),
        pytest.param(
            {"items": (decision_item(kind=DecisionKind.MAJOR_PROJECT, amount=None),)},
            r"item 1 \(major_project for grant HN-2020-ZX-0001\) names no amount",
            id="major project without an amount",
        ),
        pytest.param(
            {"absent": ("张华",)},
            "the minutes list 张华 as absent, but the members not present are 陈刚: attendance must add up",
            id="absentees who were present",
        ),
    ],
)
def test_minutes_that_fall_short_are_refused_with_every_reason(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(InvalidDecisionError, match=r"R5 valid collective decision: .*" + problem):
        CollectiveDecision.record(minutes(**changes))


def test_the_absentees_the_minutes_list_are_the_members_not_present() -> None:
    assert r5_problems(minutes(absent=("陈刚",))) == []
    assert r5_problems(minutes(absent=None)) == [], "minutes that list no absentees leave them to be inferred"
    (problem,) = r5_problems(minutes(absent=()))
    assert problem.startswith("the minutes list nobody as absent, but the members not present are 陈刚")


def test_a_matter_not_decided_for_a_sum_needs_no_amount() -> None:
    item = decision_item(kind=DecisionKind.OFFICER_CHANGE, amount=None)
    assert r5_problems(minutes(items=(item,))) == []


def test_a_recused_member_does_not_count_towards_the_quorum() -> None:
    """Four of five present but one recused: three deciding members are below two thirds of five."""
    recusal = minutes(recused=("赵丽",), items=(decision_item(votes("李明 for", "张华 for", "王强 for")),))
    assert r5_problems(recusal) == ["3 of 5 members present and not recused, below the quorum of 2/3"]


def test_with_all_present_one_recusal_still_leaves_a_quorum_and_a_majority() -> None:
    everyone = ("王强", "李明", "张华", "赵丽", "陈刚")
    recusal = minutes(
        present=everyone,
        recused=("陈刚",),
        items=(decision_item(votes("李明 for", "张华 for", "赵丽 against", "王强 for")),),
    )
    assert r5_problems(recusal) == []


def test_a_decision_authorises_only_its_kind_grant_and_amount_and_only_afterwards() -> None:
    decision = CollectiveDecision.record(minutes())
    assert decision.authorises(DecisionKind.LARGE_FUND_USE, "HN-2020-ZX-0001", PAYMENT, before=date(2020, 7, 1))
    assert not decision.authorises(DecisionKind.LARGE_FUND_USE, "HN-2020-ZX-0001", PAYMENT, before=date(2020, 6, 20))
    assert not decision.authorises(DecisionKind.LARGE_FUND_USE, "HN-2020-ZX-0002", PAYMENT, before=date(2020, 7, 1))
    assert not decision.authorises(
        DecisionKind.LARGE_FUND_USE, "HN-2020-ZX-0001", PAYMENT + Money(1), before=date(2020, 7, 1)
    )
    assert not decision.authorises(DecisionKind.MAJOR_PROJECT, "HN-2020-ZX-0001", PAYMENT, before=date(2020, 7, 1))


def test_the_same_minutes_get_the_same_decision_id() -> None:
    assert minutes().decision_id == dataclasses.replace(minutes(), actor="someone else").decision_id
    assert minutes().decision_id != minutes(minutes_ref="纪要〔2020〕13号").decision_id
