"""Rules R1 (stage order), R2 (amounts) and R9 (deadlines): one check per command, for the aggregate and workflow.

The ledger's `Grant` aggregate runs these checks before it records an event, and the workflow runs the
same checks in its update validators, so a bad step is refused before it even enters Temporal's history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.clock import local_date
from domain.commands import (
    AcknowledgeNotice,
    ApproveApplication,
    CloseGrant,
    ConcludePublicity,
    GrantCommand,
    RaiseObjection,
    RecordDisbursement,
    RecordEvaluation,
    RecordMajorChange,
    RecordMissedDeadline,
    RecordNotice,
    RecordReturn,
    RejectApplication,
    ResolveObjection,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.deadlines import PAYMENT_STAGES
from domain.errors import (
    AmountViolation,
    DuplicateGrantError,
    GrantNotFoundError,
    GrantRuleViolation,
    StageOrderViolation,
)
from domain.oversight import (
    DEFAULT_FUND_RULES,
    Authorisation,
    FundRules,
    check_approval,
    check_change,
    check_duties,
    check_payment,
)
from domain.publicity import check_publicity
from domain.stages import Rating, Stage
from domain.state import GrantState
from domain.values import Money, Points


def rating_for(score: Points) -> Rating:
    """>= 90 优, >= 80 良, >= 60 中, else 差."""
    if score.tenths >= 900:
        return Rating.EXCELLENT
    if score.tenths >= 800:
        return Rating.GOOD
    if score.tenths >= 600:
        return Rating.FAIR
    return Rating.POOR


def is_repeat_application(state: GrantState | None, command: SubmitApplication) -> bool:
    """True when the grant already holds exactly this application; refuses different content."""
    if state is None:
        return False
    differences = state.application.differences(command.details)
    if differences:
        raise DuplicateGrantError(state.grant_no, differences)
    return True


def check(
    state: GrantState | None,
    command: GrantCommand,
    at: datetime,
    decision: Authorisation | None = None,
    fund_rules: FundRules = DEFAULT_FUND_RULES,
) -> None:
    """Raise the typed error of the first rule `command` would break at time `at`; return if it may be recorded.

    `decision` is the collective decision the command names, where the caller could load it; without it, a
    named decision is taken on trust here and checked by the ledger, which loads it (R3, R4).
    """
    if isinstance(command, SubmitApplication):
        is_repeat_application(state, command)
        return
    if state is None:
        raise GrantNotFoundError(command.grant_no)
    if state.stage.is_final:
        raise StageOrderViolation(
            state.grant_no,
            f"the grant is {state.stage}; nothing is recorded after that",
            "record this step on a new grant, or look the grant up with `grants history`",
        )
    _check_step(state, command, at)
    check_duties(state, command)
    check_publicity(state, command, fund_rules.publicity_min_days)
    if isinstance(command, ApproveApplication):
        check_approval(state, command, decision, fund_rules, at)
    elif isinstance(command, RecordDisbursement):
        check_payment(state, command, decision, fund_rules)
    elif isinstance(command, RecordMajorChange):
        check_change(state, command, decision, fund_rules)


def _check_step(state: GrantState, command: GrantCommand, at: datetime) -> None:
    check_step = _STEP_CHECKS.get(type(command))
    if check_step is None:
        msg = f"no rule covers {type(command).__name__}"
        raise TypeError(msg)
    check_step(state, command, at)


def _check_decision(state: GrantState, command: ApproveApplication | RejectApplication, _: datetime) -> None:
    _expect(state, Stage.APPLICATION, "deciding on the application")
    if isinstance(command, ApproveApplication) and command.approved > state.application.requested:
        raise AmountViolation(
            state.grant_no,
            f"approving {command.approved} is more than the {state.application.requested} requested",
            f"approve at most {state.application.requested.yuan()} yuan",
        )


def _check_notice(state: GrantState, command: RecordNotice, _: datetime) -> None:
    _expect(state, Stage.APPROPRIATION, "recording the appropriation notice")
    if state.notice_no is not None:
        _out_of_order(state, f"notice {state.notice_no} is already recorded for this grant")
    if state.approved is not None and command.amount > state.approved:
        raise AmountViolation(
            state.grant_no,
            f"notice {command.document_no} appropriates {command.amount}, more than the {state.approved} approved",
            f"record the notice for at most {state.approved.yuan()} yuan",
        )


def _check_acknowledgement(state: GrantState, _command: AcknowledgeNotice, _: datetime) -> None:
    _expect(state, Stage.APPROPRIATION, "acknowledging the notice")
    if state.notice_no is None:
        _out_of_order(state, "no appropriation notice has been recorded yet")


def _check_disbursement(state: GrantState, command: RecordDisbursement, _: datetime) -> None:
    # Late money is still recorded: the payment stays owed (and overdue once its deadline passed) until paid in
    # full, even after publicity started on the strength of a first tranche.
    if state.stage not in PAYMENT_STAGES:
        _out_of_order(
            state, f"disbursing comes after the notice is acknowledged, but the grant is at the {state.stage} stage"
        )
    total = state.disbursed + command.amount
    if total > state.appropriated:
        left = state.appropriated - state.disbursed
        raise AmountViolation(
            state.grant_no,
            f"disbursing {command.amount} would bring the total disbursed to {total}, "
            f"above the {state.appropriated} appropriated",
            f"disburse at most the {left.yuan()} yuan left, or record a further notice first",
        )


# Money can come back once it has been paid out, and until the grant is closed.
RETURN_STAGES = PAYMENT_STAGES


def _check_return(state: GrantState, command: RecordReturn, _: datetime) -> None:
    if state.stage not in RETURN_STAGES:
        _out_of_order(
            state, f"money is returned once it has been disbursed, but the grant is at the {state.stage} stage"
        )
    if state.tranches == 0:
        _out_of_order(state, "nothing has been disbursed yet, so nothing can come back")
    # After the final report, only what the report did not account as used can come back.
    used = state.money_used or Money.zero()
    returnable = state.net_disbursed - used
    if command.amount > returnable:
        used_text = f", less the {used} the final report says was used" if state.money_used else ""
        raise AmountViolation(
            state.grant_no,
            f"returning {command.amount} is more than the {returnable} that can come back "
            f"({state.disbursed} disbursed, less {state.returned} already returned{used_text})",
            f"record a return of at most {returnable.yuan()} yuan",
        )


def _check_publicity_start(state: GrantState, _command: StartPublicity, _: datetime) -> None:
    _expect(state, Stage.DISBURSEMENT, "starting publicity")
    if state.tranches == 0:
        _out_of_order(state, "nothing has been disbursed yet, so there is nothing to publicise")


def _check_publicity_end(state: GrantState, command: ConcludePublicity, _: datetime) -> None:
    _expect(state, Stage.PUBLICITY, "concluding publicity")
    if state.publicity_ends_on is not None and command.concluded_on < state.publicity_ends_on:
        raise GrantRuleViolation(
            state.grant_no,
            "R8 publicity",
            f"publicity runs until {state.publicity_ends_on}, so it cannot conclude on {command.concluded_on}",
            f"conclude it on or after {state.publicity_ends_on}",
        )


def _check_final_report(state: GrantState, command: SubmitFinalReport, at: datetime) -> None:
    _expect(state, Stage.FINAL_REPORT, "submitting the final report")
    period_end = state.application.period_end
    if local_date(at) <= period_end:
        _out_of_order(state, f"the project period runs until {period_end}; a final report comes after it")
    if command.money_used > state.net_disbursed:
        raise AmountViolation(
            state.grant_no,
            f"the report says {command.money_used} was used, but only {state.net_disbursed} was disbursed "
            "net of returns",
            "correct the money used in the report",
        )


def _check_major_change(state: GrantState, _command: RecordMajorChange, _: datetime) -> None:
    if state.approved is None:
        _out_of_order(state, "only an approved project can change its officer, scope or budget")


def _check_objection(state: GrantState, _command: RaiseObjection | ResolveObjection, _: datetime) -> None:
    _expect(state, Stage.PUBLICITY, "handling an objection to the posted project")


def _check_evaluation(state: GrantState, _command: RecordEvaluation, _: datetime) -> None:
    _expect(state, Stage.AUDIT, "recording the evaluation")
    if state.score is not None:
        _out_of_order(state, f"an evaluation (score {state.score}) is already recorded")


def _check_missed_deadline(state: GrantState, command: RecordMissedDeadline, _: datetime) -> None:
    # No check against the clock: the workflow's timer decides when a deadline passed, and the ledger's
    # clock may differ from Temporal's by a little.
    kind = command.kind
    if not state.deadline_is_open(kind):
        _deadline_refused(
            state,
            f"the {kind} deadline no longer applies: {kind.obligation} is not awaited at the {state.stage} stage",
            "nothing to record: the obligation was met before its deadline",
        )
    earlier = state.missed(kind)
    if earlier is not None:
        _deadline_refused(
            state,
            f"the {kind} deadline (due {earlier.due_at.isoformat()}) is already recorded as missed",
            "nothing to record: a deadline is missed once",
        )


def _deadline_refused(state: GrantState, problem: str, fix: str) -> None:
    raise GrantRuleViolation(state.grant_no, "R9 deadlines", problem, fix)


def _check_closing(state: GrantState, _command: CloseGrant, _: datetime) -> None:
    _expect(state, Stage.AUDIT, "closing")
    if state.score is None:
        _out_of_order(state, "the grant has not been evaluated yet")


_STEP_CHECKS: dict[type[GrantCommand], Callable[[GrantState, Any, datetime], None]] = {
    ApproveApplication: _check_decision,
    RejectApplication: _check_decision,
    RecordNotice: _check_notice,
    AcknowledgeNotice: _check_acknowledgement,
    RecordDisbursement: _check_disbursement,
    RecordReturn: _check_return,
    StartPublicity: _check_publicity_start,
    ConcludePublicity: _check_publicity_end,
    RaiseObjection: _check_objection,
    RecordMajorChange: _check_major_change,
    ResolveObjection: _check_objection,
    SubmitFinalReport: _check_final_report,
    RecordEvaluation: _check_evaluation,
    CloseGrant: _check_closing,
    RecordMissedDeadline: _check_missed_deadline,
}


def _expect(state: GrantState, stage: Stage, step: str) -> None:
    if state.stage is not stage:
        _out_of_order(state, f"{step} belongs to the {stage} stage, but the grant is at the {state.stage} stage")


def _out_of_order(state: GrantState, problem: str) -> None:
    step = state.next_step()
    raise StageOrderViolation(state.grant_no, problem, f"the grant waits for {step.what} (`{step.command}`)")
