"""R9 deadlines: which obligations a grant has open, when each falls due, and which missed ones still hurt.

The workflow arms a durable timer for each open deadline and, when one passes with the obligation still
open, records a `DeadlineMissed` event. The durations are configuration (`DeadlinePolicy`), never literals
in the workflow, so tests inject seconds where production has days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from domain.clock import SHANGHAI
from domain.stages import Stage

DAY_SECONDS = 24 * 60 * 60


# From the acknowledgement of the notice until closing, whatever the stage: the money must be paid "on time and in
# full" (DESIGN.md, R9), so starting publicity (which one tranche allows) does not end the obligation.
PAYMENT_STAGES = (Stage.DISBURSEMENT, Stage.PUBLICITY, Stage.FINAL_REPORT, Stage.AUDIT)


class DeadlineKind(StrEnum):
    PAYMENT = "payment"  # pay the appropriated money out in full after acknowledging the notice (R9)
    PUBLICITY = "publicity"  # conclude publicity once its posted period is over (R8)
    FINAL_REPORT = "final_report"  # submit the final report after the project period (R9)

    @property
    def obligation(self) -> str:
        """What must happen by the deadline, as an operator reads it."""
        return {
            DeadlineKind.PAYMENT: "payment in full of the appropriated amount",
            DeadlineKind.PUBLICITY: "the conclusion of publicity",
            DeadlineKind.FINAL_REPORT: "the final report",
        }[self]

    @property
    def owner(self) -> str:
        """Who must act to meet the obligation, as `GrantState.next_step` names them."""
        return {
            DeadlineKind.PAYMENT: "recipient's finance office",
            DeadlineKind.PUBLICITY: "officer",
            DeadlineKind.FINAL_REPORT: "recipient",
        }[self]


@dataclass(frozen=True, kw_only=True)
class DeadlinePolicy:
    """How long each obligation may take (R9 defaults); seconds, so that tests can inject short ones.

    A deadline that already lay in the past when the workflow learned of it (a grant from an earlier year
    entered after the fact) is given `backfill_grace_seconds` from that moment before it counts as missed:
    the officer entering the record gets time to enter the step that met it.
    """

    payment_due_seconds: float = 30 * DAY_SECONDS  # after the notice is acknowledged (budget law art. 52)
    publicity_grace_seconds: float = 0  # after the last day of publicity (`ends_on`)
    final_report_due_seconds: float = 30 * DAY_SECONDS  # after the last day of the project period
    backfill_grace_seconds: float = DAY_SECONDS


@dataclass(frozen=True)
class MissedDeadline:
    """A deadline that passed with its obligation open; `due_at` is the business deadline (UTC)."""

    kind: DeadlineKind
    due_at: datetime


def end_of_day(day: date) -> datetime:
    """The first instant after `day` in Shanghai, when a deadline `on` that day has passed."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=SHANGHAI)


def is_open(stage: Stage, *, fully_paid: bool, kind: DeadlineKind) -> bool:
    """Whether the obligation behind `kind` is still to be met at `stage` (stages only move forward).

    `fully_paid` counts the money paid out, gross: a later return (退回, a surplus paid back) does not make the
    payment owed again.
    """
    match kind:
        case DeadlineKind.PAYMENT:
            return stage in PAYMENT_STAGES and not fully_paid
        case DeadlineKind.PUBLICITY:
            return stage is Stage.PUBLICITY
        case DeadlineKind.FINAL_REPORT:
            return stage in (Stage.APPROPRIATION, Stage.DISBURSEMENT, Stage.PUBLICITY, Stage.FINAL_REPORT)


def business_due_at(
    kind: DeadlineKind,
    policy: DeadlinePolicy,
    *,
    armed_at: datetime,
    publicity_ends_on: date | None,
    period_end: date,
) -> datetime:
    """When `kind` falls due by the rules; `armed_at` is when the obligation began (the acknowledgement)."""
    match kind:
        case DeadlineKind.PAYMENT:
            return armed_at + timedelta(seconds=policy.payment_due_seconds)
        case DeadlineKind.PUBLICITY:
            last_day = publicity_ends_on or armed_at.astimezone(SHANGHAI).date()
            return end_of_day(last_day) + timedelta(seconds=policy.publicity_grace_seconds)
        case DeadlineKind.FINAL_REPORT:
            return end_of_day(period_end) + timedelta(seconds=policy.final_report_due_seconds)


def timer_due_at(business_due: datetime, policy: DeadlinePolicy, *, armed_at: datetime) -> datetime:
    """When the workflow counts the deadline as missed: its business due time, or a grace after a backfill."""
    if business_due >= armed_at:
        return business_due
    return armed_at + timedelta(seconds=policy.backfill_grace_seconds)
