"""The rules in force, as a history: each change of a funding body's rules configuration is an event.

So a replay judges every step by the rules that were in force when it was recorded, and an auditor can see
who changed the rules when, and whether a change loosened them (a threshold raised, a quorum or a publicity
period lowered, a deadline lengthened): the classic way to let one payment through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime
from fractions import Fraction
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.deadlines import DAY_SECONDS, DeadlinePolicy
from domain.oversight import FundRules, ScoreWeights
from domain.roles import Role
from domain.values import Money

RULEBOOK_NAMESPACE = uuid5(NAMESPACE_URL, "urn:grant-ledger:rule-book")


def rulebook_id(funding_body: str) -> UUID:
    return uuid5(RULEBOOK_NAMESPACE, funding_body)


class RuleBook(Aggregate):
    @staticmethod
    def create_id(funding_body: str, **_: Any) -> UUID:  # noqa: ANN401 - the event's fields
        return rulebook_id(funding_body)

    @event("RuleBookOpened")
    def __init__(self, funding_body: str) -> None:
        self.funding_body = funding_body
        self.history: list[tuple[datetime, FundRules]] = []

    @property
    def current(self) -> FundRules | None:
        return self.history[-1][1] if self.history else None

    def adopt(self, rules: FundRules, actor: str, at: datetime | None = None) -> bool:
        """Record `rules` as in force from now (or `at`), unless they already are; True if they were recorded."""
        if rules == self.current:
            return False
        self._adopted(
            rules.large_fund_threshold,
            rules.major_project_threshold,
            list(rules.quorum),
            rules.publicity_min_days,
            actor,
            roles_required=rules.roles_required,
            key_roles=[role.value for role in rules.key_roles],
            deadlines=asdict(rules.deadlines),
            score_weights=rules.score_weights.as_dict(),
            timestamp=at,
        )
        return True

    @event("RulesAdopted")
    def _adopted(
        self,
        large_fund_threshold: Money,
        major_project_threshold: Money,
        quorum: list[int],
        publicity_min_days: int,
        actor: str,
        *,
        roles_required: bool = False,  # absent from rules adopted before the staff register existed
        key_roles: list[str] | None = None,
        deadlines: dict[str, float] | None = None,  # absent from rules adopted before they were recorded: defaults
        score_weights: dict[str, int] | None = None,  # likewise
        timestamp: datetime | None = None,  # the event's own time (eventsourcing passes it)
    ) -> None:
        numerator, denominator = quorum
        rules = FundRules(
            large_fund_threshold,
            major_project_threshold,
            (numerator, denominator),
            publicity_min_days,
            roles_required,
            FundRules.key_roles if key_roles is None else tuple(Role(role) for role in key_roles),
            DeadlinePolicy(**deadlines) if deadlines is not None else DeadlinePolicy(),
            ScoreWeights(**score_weights) if score_weights is not None else ScoreWeights(),
        )
        # In force from this event's time: `modified_on` is still the time of the book's previous event here.
        self.history.append((timestamp or self.modified_on, rules))

    def adoptions(self) -> list[tuple[int, datetime, FundRules]]:
        """Each adoption with its version in the book (the book's opening is version 1, each adoption one more)."""
        return [(index + 2, adopted_at, rules) for index, (adopted_at, rules) in enumerate(self.history)]

    def in_force_during(self, start: datetime, end: datetime) -> list[tuple[int, FundRules]]:
        """The rules recorded here that were in force at some moment from `start` to `end`, with their versions."""
        adoptions = self.adoptions()
        until = [adopted_at for _, adopted_at, _ in adoptions[1:]] + [None]
        return [
            (version, rules)
            for (version, adopted_at, rules), superseded_at in zip(adoptions, until, strict=True)
            if adopted_at <= end and (superseded_at is None or superseded_at > start)
        ]

    def in_force_at(self, at: datetime, default: FundRules) -> FundRules:
        """The rules adopted last before `at` (`default` before any was recorded)."""
        in_force = default
        for adopted_at, rules in self.history:
            if adopted_at <= at:
                in_force = rules
        return in_force


def strictest(rules: list[FundRules]) -> FundRules:
    """Each setting at its strictest among `rules` (not empty), as `loosened` orders them.

    The lowest thresholds, the highest quorum and publicity minimum, roles required if any required them, every
    role any made key, the shortest deadlines; the score weights (a scale, not a strictness) of the last.
    """
    last = rules[-1]
    key_roles = tuple(dict.fromkeys([*last.key_roles, *(role for each in rules for role in each.key_roles)]))
    return replace(
        last,
        large_fund_threshold=min(each.large_fund_threshold for each in rules),
        major_project_threshold=min(each.major_project_threshold for each in rules),
        quorum=max((each.quorum for each in rules), key=lambda quorum: Fraction(*quorum)),
        publicity_min_days=max(each.publicity_min_days for each in rules),
        roles_required=any(each.roles_required for each in rules),
        key_roles=key_roles,
        deadlines=replace(
            last.deadlines,
            payment_due_seconds=min(each.deadlines.payment_due_seconds for each in rules),
            final_report_due_seconds=min(each.deadlines.final_report_due_seconds for each in rules),
        ),
    )


def loosened(before: FundRules, after: FundRules) -> list[str]:
    """Each way in which `after` is laxer than `before`."""
    changes = []
    if after.large_fund_threshold > before.large_fund_threshold:
        changes.append(
            f"large-fund threshold raised from {before.large_fund_threshold} to {after.large_fund_threshold}"
        )
    if after.major_project_threshold > before.major_project_threshold:
        changes.append(
            f"major-project threshold raised from {before.major_project_threshold} to {after.major_project_threshold}"
        )
    if after.quorum_fraction < before.quorum_fraction:
        changes.append(f"quorum lowered from {before.quorum_fraction} to {after.quorum_fraction}")
    if after.publicity_min_days < before.publicity_min_days:
        changes.append(f"publicity minimum cut from {before.publicity_min_days} to {after.publicity_min_days} days")
    if before.roles_required and not after.roles_required:
        changes.append("steps no longer checked against the staff register (roles not required)")
    no_longer_key = [str(role) for role in before.key_roles if role not in after.key_roles]
    if no_longer_key:
        changes.append(f"appointment as {', '.join(no_longer_key)} no longer needs a collective decision")
    for deadline, seconds in DEADLINES.items():
        was, now = seconds(before.deadlines), seconds(after.deadlines)
        if now > was:
            changes.append(f"{deadline} lengthened from {_days(was)} to {_days(now)} days")
    return changes


# The deadlines of a rules file (R9), and how long each is.
DEADLINES: dict[str, Callable[[DeadlinePolicy], float]] = {
    "payment deadline (after the notice is acknowledged)": lambda policy: policy.payment_due_seconds,
    "final-report deadline (after the project period)": lambda policy: policy.final_report_due_seconds,
}


def _days(seconds: float) -> str:
    days = seconds / DAY_SECONDS
    return f"{days:g}"
