"""A grant's state as plain data: what the ledger returns and what the workflow keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain.commands import ApplicationDetails
from domain.deadlines import DeadlineKind, MissedDeadline, is_open
from domain.stages import Rating, Stage
from domain.values import Money, Points


@dataclass(frozen=True)
class NextStep:
    """What the grant waits for, who must act, and the command that does it."""

    what: str
    who: str
    command: str


@dataclass(frozen=True)
class Payment:
    """One disbursement as the oversight rules see it (R3, R4)."""

    amount: Money
    paid_on: date
    payee: str
    decision_ref: str = ""


@dataclass(frozen=True)
class Objection:
    """An objection raised during publicity (R8): publicity cannot conclude while one is open."""

    number: int
    raised_on: date
    summary: str
    resolved_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class GrantState:
    grant_no: str
    application: ApplicationDetails
    stage: Stage = Stage.APPLICATION
    version: int = 1
    approved: Money | None = None
    notice_no: str | None = None
    appropriated: Money = field(default_factory=Money.zero)
    notice_acknowledged: bool = False
    disbursed: Money = field(default_factory=Money.zero)
    returned: Money = field(default_factory=Money.zero)  # paid back (退回); `disbursed` stays the gross sum paid
    tranches: int = 0
    payments: tuple[Payment, ...] = ()
    publicity_ends_on: date | None = None
    objections: tuple[Objection, ...] = ()
    money_used: Money | None = None
    # Who acted in each role (R6: applicant, approver, disburser and evaluator are different people).
    applicant: str = ""
    approver: str = ""
    disbursers: tuple[str, ...] = ()
    evaluator: str = ""
    score: Points | None = None
    rating: Rating | None = None
    missed_deadlines: tuple[MissedDeadline, ...] = ()

    @property
    def net_disbursed(self) -> Money:
        """Disbursed net of returns: what R2 bounds and the budget execution rate counts."""
        return self.disbursed - self.returned

    def deadline_is_open(self, kind: DeadlineKind) -> bool:
        """Whether the obligation behind deadline `kind` is still to be met."""
        return is_open(self.stage, fully_paid=self.disbursed >= self.appropriated, kind=kind)

    def missed(self, kind: DeadlineKind) -> MissedDeadline | None:
        return next((missed for missed in self.missed_deadlines if missed.kind == kind), None)

    def overdue(self) -> list[MissedDeadline]:
        """The missed deadlines whose obligation is still open: what makes the grant overdue now."""
        return [missed for missed in self.missed_deadlines if self.deadline_is_open(missed.kind)]

    def open_objections(self) -> list[Objection]:
        return [objection for objection in self.objections if objection.resolved_on is None]

    def next_step(self) -> NextStep:  # noqa: C901, PLR0911 - one answer per stage reads best flat
        match self.stage:
            case Stage.APPLICATION:
                return NextStep("review of the application", "approver", "grants approve | grants reject")
            case Stage.APPROPRIATION if self.notice_no is None:
                return NextStep("the appropriation notice (资金指标文件)", "finance department", "grants notice")
            case Stage.APPROPRIATION:
                return NextStep(f"acknowledgement of notice {self.notice_no}", "recipient", "grants acknowledge")
            case Stage.DISBURSEMENT if self.tranches == 0:
                return NextStep("the first disbursement", "recipient's finance office", "grants disburse")
            case Stage.DISBURSEMENT:
                return NextStep(
                    "further tranches or the start of publicity", "officer", "grants disburse | grants publicize"
                )
            case Stage.PUBLICITY if self.open_objections():
                return NextStep(
                    f"the resolution of {len(self.open_objections())} open objection(s)",
                    "officer",
                    "grants resolve-objection",
                )
            case Stage.PUBLICITY:
                return NextStep(
                    f"the end of publicity (posted until {self.publicity_ends_on})",
                    "officer",
                    "grants conclude-publicity",
                )
            case Stage.FINAL_REPORT:
                return NextStep(
                    f"the final report, after the project period ends on {self.application.period_end}",
                    "recipient",
                    "grants report",
                )
            case Stage.AUDIT if self.score is None:
                return NextStep("the performance evaluation (绩效评价)", "auditor", "grants evaluate")
            case Stage.AUDIT:
                return NextStep("closing", "officer", "grants close")
            case Stage.CLOSED:
                return NextStep("nothing: the grant is closed", "nobody", "-")
            case Stage.REJECTED:
                return NextStep("nothing: the application was rejected", "nobody", "-")
