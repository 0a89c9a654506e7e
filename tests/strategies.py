"""Hypothesis strategies: whole valid grant lifecycles, and single mutations of them that break one rule each.

Valid lifecycles reach every rule that has a case to judge: amounts on both sides of the large-fund threshold
(R3) and of the major-project threshold (the approval rests on minutes of its own), several payees whose small
payments may add up to the threshold (R4), the minutes they rest on (R5), and, half of the time, a registered
beneficiary list with payments to the people on it (R7). Every step that needs a decision names one taken
before it; others sometimes name it too, which must do no harm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from hypothesis import assume
from hypothesis import strategies as st

from domain.commands import (
    AcknowledgeNotice,
    ApproveApplication,
    CloseGrant,
    ConcludePublicity,
    GrantCommand,
    RaiseObjection,
    RecordDisbursement,
    RecordEvaluation,
    RecordNotice,
    ResolveObjection,
    StartPublicity,
    SubmitFinalReport,
)
from domain.decisions import DecisionItem, DecisionKind, RecordDecision, Vote
from domain.oversight import DEFAULT_FUND_RULES
from domain.personal import (
    ID_CHECK_CHARACTERS,
    ID_WEIGHTS,
    ONE_CARD,
    Beneficiary,
    PayBeneficiary,
    PersonalData,
    RegisterBeneficiaries,
)
from domain.values import Money, Points
from tests.builders import GRANT_NO
from tests.lifecycles import R5, Lifecycle, person_id_of, reference

THRESHOLD_FEN = DEFAULT_FUND_RULES.large_fund_threshold.fen  # 100,000 yuan: a payment this large needs minutes (R3)
MAJOR_FEN = DEFAULT_FUND_RULES.major_project_threshold.fen  # 500,000 yuan: an approval this large needs minutes
PAYEES = ("长沙市计划生育协会", "岳麓区计划生育协会", "雨花区计划生育协会")
CHAIR = "王强"
BOARD = (CHAIR, "李明", "张华", "赵丽", "陈刚")  # none of them applies for the grant or is paid by it
APPROVAL_MINUTES = ("湘计生协党组纪要〔2020〕3号", date(2020, 3, 10))  # before the approval on 2020-03-20
PAYMENT_MINUTES = ("湘计生协党组纪要〔2020〕9号", date(2020, 6, 20))  # before the first payment on 2020-07-01
FIRST_PAYDAY = date(2020, 7, 1)
PAY_BY = date(2020, 7, 31)  # the beneficiary list's deadline
R3_LARGE = "R3 large-amount fund use"
R3_MAJOR = "R3 major project arrangement"
R4 = "R4 no splitting (化整为零)"


def needing_a_decision(steps: tuple[GrantCommand, ...] | list[GrantCommand]) -> dict[int, str]:
    """The steps that must rest on minutes, by position, each with the rule that says so (as `domain.oversight`)."""
    needs, paid = {}, []
    for index, step in enumerate(steps):
        if isinstance(step, ApproveApplication) and step.approved.fen >= MAJOR_FEN:
            needs[index] = R3_MAJOR
        elif isinstance(step, RecordDisbursement):
            earlier = [payment for payment in paid if payment.payee == step.payee]
            if step.amount.fen >= THRESHOLD_FEN:
                needs[index] = R3_LARGE
            elif earlier and sum(payment.amount.fen for payment in earlier) + step.amount.fen >= THRESHOLD_FEN:
                needs[index] = R4
            paid.append(step)
    return needs


def valid_id_number(base: str) -> str:
    """`base` (17 digits) and its check character (GB 11643)."""
    total = sum(int(digit) * weight for digit, weight in zip(base, ID_WEIGHTS, strict=True))
    return base + ID_CHECK_CHARACTERS[total % 11]


id_numbers = st.builds(
    lambda born, serial: valid_id_number(f"430102{born:%Y%m%d}{serial:03d}"),
    st.dates(date(1940, 1, 1), date(2005, 12, 31)),
    st.integers(0, 999),
)


@st.composite
def minutes(draw: st.DrawFn, which: tuple[str, date], kind: DecisionKind, amount: Money) -> RecordDecision:
    """Valid minutes of the 党组会: a quorum of four or five present, each voting, the chair last, carried."""
    others = draw(st.permutations(BOARD[1:]))[: draw(st.integers(3, 4))]
    dissent = draw(st.sampled_from([Vote.FOR, Vote.AGAINST, Vote.ABSTAIN]))  # one voice may differ: still carried
    votes = ((others[0], dissent), *((member, Vote.FOR) for member in others[1:]), (CHAIR, Vote.FOR))
    minutes_ref, held_on = which
    item = DecisionItem(kind=kind, grant_no=GRANT_NO, amount=amount, description="专项资金", votes=votes)
    return RecordDecision(
        body="党组会",
        held_on=held_on,
        form="meeting",
        minutes_ref=minutes_ref,
        chair=CHAIR,
        members=BOARD,
        present=(CHAIR, *others),
        recused=(),
        items=(item,),
        actor="党办",
    )


@st.composite
def beneficiary_list(draw: st.DrawFn) -> tuple[RegisterBeneficiaries, list[PayBeneficiary]]:
    """A registered list of one to three people, and payments to one or more of them: each their standard, in time."""
    numbers = draw(st.lists(id_numbers, min_size=1, max_size=3, unique=True))
    people = [
        Beneficiary(
            person_id=person_id_of(number),
            personal=PersonalData(
                person_id=person_id_of(number),
                name=draw(st.sampled_from(["张三", "李四", "王五", "赵六"])),
                id_number=number,
                card_account=f"6217{draw(st.integers(0, 10**15 - 1)):015d}",
                category="计生特殊家庭",
            ),
            township="岳麓区莲花镇",
            amount=Money(draw(st.integers(100_00, 5_000_00))),
        )
        for number in numbers
    ]
    registration = RegisterBeneficiaries(grant_no=GRANT_NO, actor="officer", beneficiaries=tuple(people), pay_by=PAY_BY)
    paid = draw(st.lists(st.sampled_from(people), unique_by=lambda p: p.person_id, min_size=1, max_size=len(people)))
    payments = [
        PayBeneficiary(
            grant_no=GRANT_NO,
            actor="cashier",
            person_id=person.person_id,
            amount=person.amount,
            paid_on=FIRST_PAYDAY + timedelta(days=draw(st.integers(0, 9))),
            channel=ONE_CARD,
            card_account=person.personal.card_account,  # type: ignore[union-attr]
        )
        for person in paid
    ]
    return registration, payments


SCALES = [(THRESHOLD_FEN, MAJOR_FEN), (MAJOR_FEN, 3 * MAJOR_FEN), (1_00, THRESHOLD_FEN)]  # fen, from - to


@st.composite
def lifecycles(draw: st.DrawFn, *, large: bool = False, with_list: bool | None = None) -> Lifecycle:
    """A valid lifecycle: amounts, dates, people and minutes all in order.

    `large` asks for at least the large-fund threshold requested; `with_list` for a beneficiary list or none.
    """
    scale = draw(st.sampled_from(SCALES[:2] if large else SCALES))
    requested = draw(st.integers(scale[0], scale[1] - 1))  # a large payment, a major project, or small money
    approved = max(1, requested * draw(st.integers(80, 100)) // 100)  # approved for a little less, or in full
    appropriated = max(1, approved * draw(st.integers(80, 100)) // 100)
    cuts = sorted(draw(st.lists(st.integers(1, appropriated - 1), max_size=3, unique=True))) if appropriated > 1 else []
    tranches = [b - a for a, b in zip([0, *cuts], [*cuts, appropriated], strict=True)]
    paydays = sorted(FIRST_PAYDAY + timedelta(days=draw(st.integers(0, 9))) for _ in tranches)
    payments: list[GrantCommand] = [
        RecordDisbursement(
            grant_no=GRANT_NO, actor="cashier", amount=Money(fen), paid_on=day, payee=draw(st.sampled_from(PAYEES))
        )
        for fen, day in zip(tranches, paydays, strict=True)
    ]
    approval = ApproveApplication(grant_no=GRANT_NO, actor="approver", approved=Money(approved))
    decisions = []
    if approved >= MAJOR_FEN:
        decided = draw(minutes(APPROVAL_MINUTES, DecisionKind.MAJOR_PROJECT, Money(approved)))
        decisions.append(decided)
        approval = replace(approval, decision_ref=reference(decided))
    needs = needing_a_decision(payments)
    if needs:
        decided = draw(minutes(PAYMENT_MINUTES, DecisionKind.LARGE_FUND_USE, Money(appropriated)))
        decisions.append(decided)
        payments = [
            replace(payment, decision_ref=reference(decided)) if index in needs or draw(st.booleans()) else payment
            for index, payment in enumerate(payments)
        ]
    steps: list[GrantCommand] = [
        approval,
        RecordNotice(
            grant_no=GRANT_NO,
            actor="finance",
            document_no="湘财社指〔2020〕36号",
            issuer="湖南省财政厅",
            issued_on=date(2020, 6, 10),
            amount=Money(appropriated),
        ),
        AcknowledgeNotice(grant_no=GRANT_NO, actor="recipient"),
    ]
    id_numbers_paid = {}
    if draw(st.booleans()) if with_list is None else with_list:
        registration, paid_people = draw(beneficiary_list())
        steps.append(registration)
        payments += paid_people
        id_numbers_paid = {b.person_id: b.personal.id_number for b in registration.beneficiaries}  # type: ignore[union-attr]
    steps += payments
    steps += publicity_to_closing(draw, appropriated)
    return Lifecycle(Money(requested), tuple(decisions), tuple(steps), id_numbers_paid)


def publicity_to_closing(draw: st.DrawFn, appropriated: int) -> list[GrantCommand]:
    starts = date(2020, 10, 1) + timedelta(days=draw(st.integers(0, 30)))
    ends = starts + timedelta(days=draw(st.integers(6, 20)))  # at least the minimum of seven days
    steps: list[GrantCommand] = [
        StartPublicity(grant_no=GRANT_NO, actor="officer", starts_on=starts, ends_on=ends, place="公示栏")
    ]
    for number in range(1, draw(st.integers(0, 2)) + 1):
        steps.append(RaiseObjection(grant_no=GRANT_NO, actor="officer", raised_on=starts, summary="异议"))
        steps.append(
            ResolveObjection(
                grant_no=GRANT_NO, actor="officer", objection_no=number, resolved_on=ends, resolution="已核实"
            )
        )
    concluded = ends + timedelta(days=draw(st.integers(0, 3)))
    steps += [
        ConcludePublicity(grant_no=GRANT_NO, actor="officer", concluded_on=concluded),
        SubmitFinalReport(
            grant_no=GRANT_NO, actor="recipient", people_reached=draw(st.integers(0, 10_000)),
            money_used=Money(draw(st.integers(0, appropriated))), satisfaction=Points(draw(st.integers(0, 1000))),
        ),
        RecordEvaluation(grant_no=GRANT_NO, actor="auditor", score=Points(draw(st.integers(0, 1000)))),
        CloseGrant(grant_no=GRANT_NO, actor="officer"),
    ]  # fmt: skip
    return steps


# Single mutations: each breaks one rule at one place, drawn at random, and says which rule must fire.


@dataclass(frozen=True)
class Mutation:
    what: str  # the mutation and where it falls, for the report of a failing example
    rule: str  # the rule that must refuse it, and find it on replay
    lifecycle: Lifecycle
    kind: str = ""  # which of MUTATIONS


def _indexes(lifecycle: Lifecycle, kind: type) -> list[int]:
    return [index for index, step in enumerate(lifecycle.steps) if isinstance(step, kind)]


def _with(lifecycle: Lifecycle, index: int, **changes: object) -> Lifecycle:
    steps = list(lifecycle.steps)
    steps[index] = replace(steps[index], **changes)
    return replace(lifecycle, steps=tuple(steps))


def _first(lifecycle: Lifecycle, kind: type) -> GrantCommand:
    return lifecycle.steps[_indexes(lifecycle, kind)[0]]


def mutate_amount(draw: st.DrawFn, lifecycle: Lifecycle) -> Mutation:
    """A tranche grows by the whole appropriation: more is paid than was appropriated."""
    index = draw(st.sampled_from(_indexes(lifecycle, RecordDisbursement)))
    notice: RecordNotice = _first(lifecycle, RecordNotice)  # type: ignore[assignment]
    grown = lifecycle.steps[index].amount + notice.amount  # type: ignore[attr-defined]
    return Mutation(f"amount of step {index}", "R2 amounts", _with(lifecycle, index, amount=grown))


def mutate_order(draw: st.DrawFn, lifecycle: Lifecycle) -> Mutation:
    """A tranche is paid before the notice is acknowledged."""
    index = draw(st.sampled_from(_indexes(lifecycle, RecordDisbursement)))
    acknowledged = _indexes(lifecycle, AcknowledgeNotice)[0]
    steps = list(lifecycle.steps)
    steps.insert(acknowledged, steps.pop(index))
    return Mutation(
        f"step {index} before the acknowledgement", "R1 stage order", replace(lifecycle, steps=tuple(steps))
    )


def mutate_role(draw: st.DrawFn, lifecycle: Lifecycle) -> Mutation:
    """One person in two roles: the applicant approves, the approver pays, or a disburser evaluates."""
    roles = {
        "the applicant approves": (_indexes(lifecycle, ApproveApplication), "applicant"),
        "the approver pays": (_indexes(lifecycle, RecordDisbursement), "approver"),
        "a disburser evaluates": (_indexes(lifecycle, RecordEvaluation), "cashier"),
    }
    what = draw(st.sampled_from(sorted(roles)))
    candidates, actor = roles[what]
    index = draw(st.sampled_from(candidates))
    return Mutation(f"{what} (step {index})", "R6 separation of duties", _with(lifecycle, index, actor=actor))


def mutate_date(draw: st.DrawFn, lifecycle: Lifecycle) -> Mutation:
    """Publicity is posted for fewer days than its minimum, or concluded before it has run its course."""
    if draw(st.booleans()):
        index = _indexes(lifecycle, StartPublicity)[0]
        start: StartPublicity = lifecycle.steps[index]  # type: ignore[assignment]
        short = start.starts_on + timedelta(days=draw(st.integers(0, DEFAULT_FUND_RULES.publicity_min_days - 2)))
        return Mutation(f"posted until {short}", "R8 publicity", _with(lifecycle, index, ends_on=short))
    index = _indexes(lifecycle, ConcludePublicity)[0]
    start = _first(lifecycle, StartPublicity)  # type: ignore[assignment]
    early = start.ends_on - timedelta(days=draw(st.integers(1, 6)))
    return Mutation(f"concluded on {early}", "R8 publicity", _with(lifecycle, index, concluded_on=early))


def _decisions_needed(lifecycle: Lifecycle) -> dict[str, int]:
    """Each decision some step needs, by reference, with the position of the first such step."""
    needed: dict[str, int] = {}
    for index in sorted(needing_a_decision(lifecycle.steps)):
        needed.setdefault(lifecycle.steps[index].decision_ref, index)  # type: ignore[attr-defined]
    return needed


def _with_minutes(lifecycle: Lifecycle, ref: str, **changes: object) -> Lifecycle:
    decisions = tuple(replace(d, **changes) if reference(d) == ref else d for d in lifecycle.decisions)
    return replace(lifecycle, decisions=decisions)


def _minutes(lifecycle: Lifecycle, ref: str) -> RecordDecision:
    return next(decision for decision in lifecycle.decisions if reference(decision) == ref)


def mutate_quorum(draw: st.DrawFn, lifecycle: Lifecycle) -> Mutation:
    """Minutes without a quorum: too few present, or a quorum that counts a member who was recused."""
    ref = draw(st.sampled_from(sorted(_decisions_needed(lifecycle))))
    decided = _minutes(lifecycle, ref)
    others = decided.present[1:4]  # four present at most (the chair first), so that one recusal breaks the quorum
    if draw(st.booleans()):
        present, recused = (CHAIR, others[0]), ()
    else:
        present, recused = (CHAIR, *others), (draw(st.sampled_from(others)),)
    voters = [member for member in present[1:] if member not in recused]
    item = replace(decided.items[0], votes=(*((member, Vote.FOR) for member in voters), (CHAIR, Vote.FOR)))
    what = f"minutes {ref}: {len(present)} present, {len(recused)} recused"
    return Mutation(what, R5, _with_minutes(lifecycle, ref, present=present, recused=recused, items=(item,)))


def mutate_decision_date(draw: st.DrawFn, lifecycle: Lifecycle) -> Mutation:
    """The payment minutes are dated on or after the first payment they had to authorise."""
    needs = needing_a_decision(lifecycle.steps)
    index = min(i for i, rule in needs.items() if rule != R3_MAJOR)
    payment: RecordDisbursement = lifecycle.steps[index]  # type: ignore[assignment]
    held_on = payment.paid_on + timedelta(days=draw(st.integers(0, 5)))
    mutated = _with_minutes(lifecycle, payment.decision_ref, held_on=held_on)
    return Mutation(f"minutes held on {held_on}, step {index} paid {payment.paid_on}", needs[index], mutated)


def mutate_undecided(draw: st.DrawFn, lifecycle: Lifecycle) -> Mutation:
    """A step that needs minutes names none: a large payment, a split one that reaches the threshold, an approval."""
    needs = needing_a_decision(lifecycle.steps)
    index = draw(st.sampled_from(sorted(needs)))
    return Mutation(f"step {index} names no decision", needs[index], _with(lifecycle, index, decision_ref=""))


def mutate_conflict(draw: st.DrawFn, lifecycle: Lifecycle) -> Mutation:
    """The grant's applicant sits on the board and votes on it."""
    ref = draw(st.sampled_from(sorted(_decisions_needed(lifecycle))))
    decided = _minutes(lifecycle, ref)
    member = draw(st.sampled_from(decided.present[1:]))

    def swapped(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple("applicant" if name == member else name for name in names)

    item = decided.items[0]
    votes = tuple(("applicant" if voter == member else voter, vote) for voter, vote in item.votes)
    mutated = _with_minutes(
        lifecycle,
        ref,
        members=swapped(decided.members),
        present=swapped(decided.present),
        items=(replace(item, votes=votes),),
    )
    return Mutation(f"the applicant votes in {ref} (for {member})", R5, mutated)


def mutate_list_payment(draw: st.DrawFn, lifecycle: Lifecycle) -> Mutation:
    """A person paid off the registered list: not on it, off their standard, after its deadline, or not by one-card."""
    index = draw(st.sampled_from(_indexes(lifecycle, PayBeneficiary)))
    paid: PayBeneficiary = lifecycle.steps[index]  # type: ignore[assignment]
    how = draw(st.sampled_from(["someone not listed", "off the standard", "after the deadline", "in cash"]))
    if how == "someone not listed":
        number = draw(id_numbers.filter(lambda n: person_id_of(n) not in lifecycle.id_numbers))
        mutated = replace(lifecycle, id_numbers={**lifecycle.id_numbers, person_id_of(number): number})
        mutated = _with(mutated, index, person_id=person_id_of(number))
    elif how == "off the standard":
        off = paid.amount.fen + draw(st.sampled_from([-1, 1])) * draw(st.integers(1, paid.amount.fen - 1))
        mutated = _with(lifecycle, index, amount=Money(off))
    elif how == "after the deadline":
        mutated = _with(lifecycle, index, paid_on=PAY_BY + timedelta(days=draw(st.integers(1, 30))))
    else:
        mutated = _with(lifecycle, index, channel="现金")
    return Mutation(f"step {index} pays {how}", "R7 registered list", mutated)


def _has_decisions(lifecycle: Lifecycle) -> bool:
    return bool(_decisions_needed(lifecycle))


def _has_payment_minutes(lifecycle: Lifecycle) -> bool:
    return any(rule != R3_MAJOR for rule in needing_a_decision(lifecycle.steps).values())


def _has_list_payments(lifecycle: Lifecycle) -> bool:
    return bool(_indexes(lifecycle, PayBeneficiary))


@dataclass(frozen=True)
class MutationKind:
    mutate: Callable[[st.DrawFn, Lifecycle], Mutation]
    applies: Callable[[Lifecycle], bool] = lambda lifecycle: True  # whether a lifecycle has a place for it
    large: bool = False  # it needs minutes, so money at or above the large-fund threshold
    with_list: bool | None = None  # it needs a beneficiary list


MUTATIONS = {
    "amount": MutationKind(mutate_amount),
    "order": MutationKind(mutate_order),
    "role": MutationKind(mutate_role),
    "date": MutationKind(mutate_date),
    "quorum": MutationKind(mutate_quorum, _has_decisions, large=True),
    "decision date": MutationKind(mutate_decision_date, _has_payment_minutes, large=True),
    "undecided": MutationKind(mutate_undecided, _has_decisions, large=True),
    "conflict": MutationKind(mutate_conflict, _has_decisions, large=True),
    "registered list": MutationKind(mutate_list_payment, _has_list_payments, with_list=True),
}


@st.composite
def mutations(draw: st.DrawFn, kinds: tuple[str, ...] = tuple(sorted(MUTATIONS))) -> Mutation:
    """A valid lifecycle with one mutation: its kind drawn first, then a lifecycle with a place for it, then where."""
    kind = draw(st.sampled_from(kinds))
    mutation = MUTATIONS[kind]
    lifecycle = draw(lifecycles(large=mutation.large, with_list=mutation.with_list))
    assume(mutation.applies(lifecycle))
    return replace(mutation.mutate(draw, lifecycle), kind=kind)
