"""R3, R4 and R6: large-amount fund use and major projects rest on a collective decision taken *before* (三重一大);
no person holds two roles on one grant.

R3: a payment at or above the large-fund threshold, and the approval of a project at or above the
major-project threshold, need a decision that covers this grant and amount and was taken before.
R4 (化整为零): payments to one payee of one grant (one fiscal year) that each stay under the threshold but
together reach it need a decision taken before the first of them. The thresholds are configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Protocol

from domain.clock import local_date
from domain.commands import (
    ApproveApplication,
    GrantCommand,
    RecordDisbursement,
    RecordEvaluation,
    RecordMajorChange,
    RejectApplication,
)
from domain.deadlines import DeadlinePolicy
from domain.errors import GrantRuleViolation, InvalidInputError
from domain.roles import Role
from domain.state import GrantState, Payment
from domain.values import Money

LARGE_FUND_USE = "large_fund_use"
MAJOR_PROJECT = "major_project"


@dataclass(frozen=True)
class ScoreWeights:
    """绩效评价: the points of the 100 that each part of the score carries (DESIGN.md's self-evaluation defaults).

    The score is entered by the auditor, not computed here: the weights are the scale it is given on, recorded
    with the rules so that a report can say which scale a year's scores used.
    """

    budget_execution: int = 10  # disbursed net of returns / appropriated
    outputs: int = 50
    outcomes: int = 30
    satisfaction: int = 10  # beneficiary satisfaction

    def __post_init__(self) -> None:
        parts = self.as_dict()
        if any(not isinstance(points, int) or isinstance(points, bool) or points < 0 for points in parts.values()):
            msg = f"score weights must be whole numbers of points, none negative, got {parts}"
            raise InvalidInputError(msg)
        if sum(parts.values()) != 100:
            msg = f"score weights must add up to 100 points, but {parts} add up to {sum(parts.values())}"
            raise InvalidInputError(msg)

    def as_dict(self) -> dict[str, int]:
        return {
            "budget_execution": self.budget_execution,
            "outputs": self.outputs,
            "outcomes": self.outcomes,
            "satisfaction": self.satisfaction,
        }


@dataclass(frozen=True)
class FundRules:
    """The rules in force (defaults: DESIGN.md; a funding body's rules file may set others)."""

    large_fund_threshold: Money = field(default_factory=lambda: Money(100_000_00))  # 100,000 CNY, common practice
    major_project_threshold: Money = field(default_factory=lambda: Money(500_000_00))  # 500,000 CNY
    quorum: tuple[int, int] = (2, 3)  # R5: at least this fraction of members present (a pair: it crosses Temporal)
    publicity_min_days: int = 7  # R8
    # Whether the ledger checks every step's actor against the staff register (off unless a rules file says so).
    roles_required: bool = False
    # Roles whose appointment is an important appointment (重要干部任免): it rests on a collective decision.
    key_roles: tuple[Role, ...] = (Role.APPROVER, Role.FINANCE)
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)  # R9
    score_weights: ScoreWeights = field(default_factory=ScoreWeights)  # 绩效评价

    @property
    def quorum_fraction(self) -> Fraction:
        return Fraction(*self.quorum)


DEFAULT_FUND_RULES = FundRules()


class Authorisation(Protocol):
    """A recorded collective decision, as far as these rules need it."""

    minutes_ref: str

    def authorises(self, kind: str, grant_no: str, amount: Money, before: date) -> bool: ...

    def voters(self, kind: str, grant_no: str) -> set[str]: ...


def check_approval(
    state: GrantState, command: ApproveApplication, decision: Authorisation | None, rules: FundRules, at: datetime
) -> None:
    """R3: a major project is approved on a decision taken before the day of the approval (`at`, when recorded).

    Before the day, not on it, as for payments, changes and appointments: a date alone cannot show that a
    meeting held the same day came first.
    """
    if command.approved < rules.major_project_threshold:
        return
    _require_decision(
        state,
        rule="R3 major project arrangement",
        problem=f"approving {command.approved} makes it a major project (at or above {rules.major_project_threshold})",
        decision_ref=command.decision_ref,
        decision=decision,
        needed=(MAJOR_PROJECT, command.approved, local_date(at)),
        conflicts=(state.applicant,),
    )


def check_change(
    state: GrantState, command: RecordMajorChange, decision: Authorisation | None, rules: FundRules
) -> None:
    approved = state.approved or Money(0)
    if approved < rules.major_project_threshold:
        return
    what = "its responsible officer" if command.kind == "officer_change" else "its scope or budget"
    _require_decision(
        state,
        rule="R3 major project arrangement",
        problem=f"changing {what} of a major project ({approved} approved)",
        decision_ref=command.decision_ref,
        decision=decision,
        needed=(command.kind, Money(0), command.changed_on),
        conflicts=(state.applicant,),
    )


def check_payment(
    state: GrantState, command: RecordDisbursement, decision: Authorisation | None, rules: FundRules
) -> None:
    if command.amount >= rules.large_fund_threshold:
        _require_decision(
            state,
            rule="R3 large-amount fund use",
            problem=f"a payment of {command.amount} is at or above the large-fund threshold of "
            f"{rules.large_fund_threshold}",
            decision_ref=command.decision_ref,
            decision=decision,
            needed=(LARGE_FUND_USE, command.amount, command.paid_on),
            conflicts=(state.applicant, command.payee),
        )
        return
    earlier = [payment for payment in state.payments if payment.payee == command.payee]
    total = sum((payment.amount for payment in earlier), command.amount)
    if earlier and total >= rules.large_fund_threshold:
        first = min(payment.paid_on for payment in earlier)
        _require_decision(
            state,
            rule="R4 no splitting (化整为零)",
            problem=f"with this payment {command.payee} would have received {total}, reaching the large-fund "
            f"threshold of {rules.large_fund_threshold}, in payments each below it ({_listed(earlier)})",
            decision_ref=command.decision_ref,
            decision=decision,
            needed=(LARGE_FUND_USE, total, first),
            conflicts=(state.applicant, command.payee),
        )


def _require_decision(  # noqa: PLR0913 - the rule, the problem and what the decision must cover
    state: GrantState,
    *,
    rule: str,
    problem: str,
    decision_ref: str,
    decision: Authorisation | None,
    needed: tuple[str, Money, date],
    conflicts: tuple[str, ...] = (),
) -> None:
    kind, amount, before = needed
    deadline = f"before {before}"
    fix = (
        f"record the collective decision ({kind.replace('_', '-')} for {state.grant_no}, at least {amount.yuan()} "
        f"yuan, taken {deadline}) with `grants decision record`, and name it with --decision BODY:MINUTES"
    )
    if not decision_ref:
        raise GrantRuleViolation(state.grant_no, rule, f"{problem}, and no collective decision is named", fix)
    if decision is not None and not decision.authorises(kind, state.grant_no, amount, before):
        raise GrantRuleViolation(
            state.grant_no,
            rule,
            f"{problem}, and decision {decision.minutes_ref} does not authorise it "
            f"({kind.replace('_', '-')}, this grant, at least {amount.yuan()} yuan, taken {deadline})",
            fix,
        )
    conflicted = sorted(decision.voters(kind, state.grant_no) & set(conflicts)) if decision is not None else []
    if decision is not None and conflicted:
        raise GrantRuleViolation(
            state.grant_no,
            "R5 valid collective decision",
            f"{', '.join(conflicted)} voted in decision {decision.minutes_ref} on this grant, "
            "though they have a conflict (its applicant or payee)",
            "members with a conflict must be recused; record a decision taken without them",
        )


def check_duties(state: GrantState, command: GrantCommand) -> None:
    """R6: whoever applied, approved, paid or evaluated a grant takes none of its other roles."""
    taken = {
        ApproveApplication: ("approve", {"applicant": state.applicant}),
        RejectApplication: ("decide on", {"applicant": state.applicant}),
        RecordDisbursement: ("pay", {"applicant": state.applicant, "approver": state.approver}),
        RecordEvaluation: (
            "evaluate",
            {
                "applicant": state.applicant,
                "approver": state.approver,
                "disburser": command.actor if command.actor in state.disbursers else "",
            },
        ),
    }.get(type(command))
    if taken is None:
        return
    step, roles = taken
    for role, person in roles.items():
        if person and person == command.actor:
            raise GrantRuleViolation(
                state.grant_no,
                "R6 separation of duties",
                f"{command.actor} acted as the {role} of this grant, and so may not {step} it",
                f"have someone who is not its applicant, approver or disburser {step} it",
            )


def _listed(payments: list[Payment]) -> str:
    return ", ".join(f"{payment.amount.yuan()} on {payment.paid_on}" for payment in payments)
