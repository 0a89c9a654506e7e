"""三重一大: collective decisions (集体决策) and what makes one valid (rule R5).

Major decisions, important appointments, major project arrangements and large-amount fund use must rest on
a decision taken by a meeting of a named body: quorum present, each item voted separately and carried by a
majority of those present, the chair's position stated last, members with a conflict recused, and minutes
that record all of it. A decision recorded here is checked against R5 before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import GrantError, InvalidInputError
from domain.values import Money

DECISION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:grant-ledger:collective-decision")
BODIES = ("党组会", "常务理事会", "会长办公会", "理事会")  # bodies that decide 三重一大 matters by meeting
DEFAULT_QUORUM = Fraction(2, 3)


class DecisionKind(StrEnum):
    LARGE_FUND_USE = "large_fund_use"  # 大额资金使用
    MAJOR_PROJECT = "major_project"  # 重大项目安排
    OFFICER_CHANGE = "officer_change"  # 重要干部任免: the responsible officer of a major project
    SCOPE_CHANGE = "scope_change"  # 重大事项: a project's scope or budget
    APPOINTMENT = "appointment"  # 重要干部任免: a key role (approver, finance) given to a person


# Matters decided for a sum: the decision authorises up to its amount, so it must name one (R3, R4).
DECIDED_FOR_A_SUM = (DecisionKind.LARGE_FUND_USE, DecisionKind.MAJOR_PROJECT)


class Vote(StrEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


@dataclass(frozen=True, kw_only=True)
class DecisionItem:
    """One matter decided, with every voter's position in the order stated (the chair's last)."""

    kind: DecisionKind
    grant_no: str
    amount: Money | None
    description: str
    votes: tuple[tuple[str, Vote], ...]
    appointee: str = ""  # an appointment item: the person appointed (grant_no is then empty) ...
    role: str = ""  # ... and the role they are given

    def carried(self, present: int) -> bool:
        """Carried by a majority of those present (recused members count as present, not as votes for)."""
        return sum(vote is Vote.FOR for _, vote in self.votes) * 2 > present


@dataclass(frozen=True, kw_only=True)
class RecordDecision:
    """The minutes of one meeting, as an officer enters them."""

    body: str
    held_on: date
    form: str  # "meeting": circulation (传签) or countersigning (会签) is not a collective decision
    minutes_ref: str
    chair: str
    members: tuple[str, ...]
    present: tuple[str, ...]
    recused: tuple[str, ...]
    items: tuple[DecisionItem, ...]
    actor: str
    absent: tuple[str, ...] | None = None  # as the minutes list them, if they do: checked against members - present

    @property
    def decision_id(self) -> UUID:
        return decision_id(self.body, self.minutes_ref)


def decision_id(body: str, minutes_ref: str) -> UUID:
    """Derived from the body and its minutes, so the same minutes cannot be entered twice."""
    return uuid5(DECISION_NAMESPACE, f"{body}/{minutes_ref}")


class InvalidDecisionError(GrantError):
    """R5: the minutes do not show a valid collective decision."""

    def __init__(self, minutes_ref: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"decision {minutes_ref}: R5 valid collective decision: {'; '.join(problems)}. "
            "Fix: record the minutes of a meeting that meets these conditions; nothing was recorded"
        )


def r5_problems(decision: RecordDecision, quorum: Fraction = DEFAULT_QUORUM) -> list[str]:  # noqa: C901, PLR0912 - one check per condition
    """Every way in which the minutes fall short of a valid collective decision (empty: valid)."""
    problems = []
    members, present, recused = set(decision.members), set(decision.present), set(decision.recused)
    if decision.form != "meeting":
        problems.append(f"it was decided by {decision.form}, not at a meeting")
    if decision.body not in BODIES:
        problems.append(f"{decision.body!r} is not a deciding body ({', '.join(BODIES)})")
    if not present <= members or not recused <= present:
        problems.append("everyone present must be a member, and everyone recused must be present")
    if decision.absent is not None and set(decision.absent) != members - present:
        listed, missing = ", ".join(decision.absent) or "nobody", ", ".join(sorted(members - present)) or "nobody"
        problems.append(
            f"the minutes list {listed} as absent, but the members not present are {missing}: "
            "attendance must add up (absent = members - present)"
        )
    if decision.chair not in present - recused:
        problems.append(f"the chair {decision.chair} must be present and not recused")
    deciding = present - recused  # a recused member is present but does not count towards the quorum
    if len(deciding) < quorum * len(members):
        problems.append(
            f"{len(deciding)} of {len(members)} members present and not recused, below the quorum of {quorum}"
        )
    for number, item in enumerate(decision.items, start=1):
        voters = [member for member, _ in item.votes]
        if set(voters) != present - recused or len(voters) != len(set(voters)):
            problems.append(f"item {number}: every member present and not recused must vote once")
        if recused & set(voters):
            problems.append(f"item {number}: recused members voted")
        if voters and voters[-1] != decision.chair:
            problems.append(f"item {number}: the chair's position must be stated last")
        if not item.carried(len(present)):
            problems.append(f"item {number} was not carried by a majority of those present")
        if item.kind in DECIDED_FOR_A_SUM and item.amount is None:
            problems.append(
                f"item {number} ({item.kind.value} for grant {item.grant_no}) names no amount: give the most it "
                "authorises (amount, in yuan), or it would authorise any sum"
            )
    if not decision.items:
        problems.append("the minutes record no item decided")
    return problems


class CollectiveDecision(Aggregate):
    """A body's decision as its minutes record it."""

    @staticmethod
    def create_id(body: str, minutes_ref: str, **_: Any) -> UUID:  # noqa: ANN401 - the event's fields
        return decision_id(body, minutes_ref)

    @classmethod
    def record(cls, decision: RecordDecision, quorum: Fraction = DEFAULT_QUORUM) -> CollectiveDecision:
        problems = r5_problems(decision, quorum)
        if problems:
            raise InvalidDecisionError(decision.minutes_ref, problems)
        return cls(
            body=decision.body,
            minutes_ref=decision.minutes_ref,
            held_on=decision.held_on,
            chair=decision.chair,
            members=list(decision.members),
            present=list(decision.present),
            recused=list(decision.recused),
            items=list(decision.items),
            actor=decision.actor,
        )

    @classmethod
    def imported(cls, at: datetime, actor: str, command_id: str, **minutes: Any) -> CollectiveDecision:  # noqa: ANN401
        """Minutes from a history made elsewhere, recorded as and when they were: R5 is not checked here.

        `grants audit check` judges them on replay, at every step that names them, like any other decision.
        """
        decision: CollectiveDecision = cls._create(
            cls.DecisionRecorded,  # type: ignore[attr-defined]  # made by @event
            timestamp=at,
            actor=actor,
            command_id=command_id,
            **minutes,
        )
        return decision

    @event("DecisionRecorded")
    def __init__(
        self,
        body: str,
        minutes_ref: str,
        held_on: date,
        chair: str,
        members: list[str],
        present: list[str],
        recused: list[str],
        items: list[DecisionItem],
        actor: str,
        command_id: str = "",  # "import:N" for minutes imported from a history made elsewhere (none before)
    ) -> None:
        self.body, self.minutes_ref, self.held_on = body, minutes_ref, held_on
        self.chair, self.members, self.actor = chair, members, actor
        self.present, self.recused, self.items = present, recused, items
        self.command_id = command_id

    def as_minutes(self) -> RecordDecision:
        """The minutes as recorded (a meeting: nothing else is recorded), to be judged again by R5."""
        return RecordDecision(
            body=self.body,
            held_on=self.held_on,
            form="meeting",
            minutes_ref=self.minutes_ref,
            chair=self.chair,
            members=tuple(self.members),
            present=tuple(self.present),
            recused=tuple(self.recused),
            items=tuple(self.items),
            actor=self.actor,
        )

    def voters(self, kind: str, grant_no: str) -> set[str]:
        """Everyone who voted on the items of `kind` for this grant."""
        return {
            member for item in self.items if item.kind == kind and item.grant_no == grant_no for member, _ in item.votes
        }

    def authorises(self, kind: str, grant_no: str, amount: Money, before: date) -> bool:
        """Whether an item carried here covers `kind` for this grant and amount, decided before `before`."""
        return self.held_on < before and any(
            item.kind == kind and item.grant_no == grant_no and (item.amount is None or item.amount >= amount)
            for item in self.items
        )


def validate_votes(raw: list[Any]) -> tuple[tuple[str, Vote], ...]:
    """Votes as entered ([member, position] pairs) in the order stated."""
    try:
        return tuple((str(member), Vote(str(position))) for member, position in raw)
    except (TypeError, ValueError) as error:
        msg = f"votes must be [member, for|against|abstain] pairs: {error}"
        raise InvalidInputError(msg) from None
