"""The rule book: each change of a funding body's rules is an event, and rules are in force from that event on."""

from __future__ import annotations

from datetime import datetime
from functools import reduce
from typing import Any

from domain.clock import SHANGHAI
from domain.deadlines import DAY_SECONDS, DeadlinePolicy
from domain.oversight import FundRules, ScoreWeights
from domain.roles import Role
from domain.rulebook import RuleBook, loosened, strictest
from domain.values import Money

BODY = "湖南省计划生育协会"
STRICT = FundRules()
LAX = FundRules(large_fund_threshold=Money(1_000_000_00))


def at(month: int, day: int = 1) -> datetime:
    return datetime(2020, month, day, 9, 0, tzinfo=SHANGHAI)


def replayed(book: RuleBook) -> RuleBook:
    """The book as a reader gets it back: rebuilt from its stored events."""
    rebuilt: Any = reduce(lambda aggregate, event: event.mutate(aggregate), book.collect_events(), None)
    return rebuilt  # type: ignore[no-any-return]


def test_rules_are_in_force_from_their_adoption_not_from_the_books_previous_change() -> None:
    """Rules adopted in July did not govern a payment in March, even though the book last changed in January."""
    book = RuleBook(funding_body=BODY)
    book.adopt(STRICT, "worker", at=at(1))
    book.adopt(LAX, "worker", at=at(7))
    for read in (book, replayed(book)):
        assert read.in_force_at(at(3), FundRules()) == STRICT
        assert read.in_force_at(at(7, 2), FundRules()) == LAX
        assert [adopted for adopted, _ in read.history] == [at(1), at(7)]


def test_rules_already_in_force_are_not_adopted_again() -> None:
    book = RuleBook(funding_body=BODY)
    assert book.adopt(STRICT, "worker", at=at(1))
    assert not book.adopt(STRICT, "worker", at=at(2))
    assert len(book.history) == 1


def test_rules_adopted_before_deadlines_and_weights_were_recorded_read_as_the_defaults() -> None:
    """An older RulesAdopted event has neither field: it reads as DESIGN.md's deadlines and weights."""
    book = RuleBook(funding_body=BODY)
    book.adopt(STRICT, "worker", at=at(1))
    opened, adopted = book.collect_events()
    for field in ("deadlines", "score_weights"):
        del vars(adopted)[field]
    older: Any = adopted.mutate(opened.mutate(None))
    assert older.current == FundRules()


def test_a_longer_deadline_is_a_loosening() -> None:
    longer = FundRules(deadlines=DeadlinePolicy(payment_due_seconds=60 * DAY_SECONDS))
    assert loosened(FundRules(), longer) == [
        "payment deadline (after the notice is acknowledged) lengthened from 30 to 60 days"
    ]
    assert loosened(longer, FundRules()) == [], "a shorter deadline is stricter"
    reweighted = FundRules(score_weights=ScoreWeights(budget_execution=20, outputs=40, outcomes=30, satisfaction=10))
    assert loosened(FundRules(), reweighted) == [], "other weights are another scale, not laxer rules"


def test_the_rules_in_force_during_a_span_are_those_adopted_by_its_end_and_not_superseded_before_it() -> None:
    book = RuleBook(funding_body=BODY)
    book.adopt(STRICT, "worker", at=at(1))
    book.adopt(LAX, "worker", at=at(7))
    assert book.in_force_during(at(2), at(3)) == [(2, STRICT)]
    assert book.in_force_during(at(2), at(8)) == [(2, STRICT), (3, LAX)]
    assert book.in_force_during(at(8), at(9)) == [(3, LAX)]


def test_the_strictest_rules_take_each_setting_at_its_strictest() -> None:
    loose = FundRules(
        large_fund_threshold=Money(1_000_000_00),
        quorum=(3, 4),
        publicity_min_days=3,
        roles_required=True,
        key_roles=(Role.FINANCE,),
        deadlines=DeadlinePolicy(payment_due_seconds=60 * DAY_SECONDS, final_report_due_seconds=10 * DAY_SECONDS),
    )
    assert strictest([FundRules(), loose]) == FundRules(
        quorum=(3, 4),
        roles_required=True,
        key_roles=(Role.FINANCE, Role.APPROVER),
        deadlines=DeadlinePolicy(final_report_due_seconds=10 * DAY_SECONDS),
    )
