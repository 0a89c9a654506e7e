"""What the console shows: output models built from the ledger's reads (the same reads the CLI uses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel

from audit.verify import verify_ledger
from domain.state import GrantState
from ledger.application import GrantLedger
from ledger.checkpoints import CheckpointFileError, load_public_key


class NextStepOut(BaseModel):
    what: str
    who: str


class ObjectionOut(BaseModel):
    number: int
    raised_on: date
    summary: str
    resolved_on: date | None


class MissedDeadlineOut(BaseModel):
    kind: str
    due_at: datetime
    still_open: bool


class GrantOut(BaseModel):
    """A grant as the ledger has it; amounts in yuan with thousands separators."""

    grant_no: str
    stage: str
    program: str
    recipient: str
    region: str
    fiscal_year: int
    title: str
    period_start: date
    period_end: date
    requested: str
    approved: str | None
    appropriated: str
    disbursed: str
    notice_no: str | None
    notice_acknowledged: bool
    tranches: int
    publicity_ends_on: date | None
    objections: list[ObjectionOut]
    score: str | None
    rating: str | None
    missed_deadlines: list[MissedDeadlineOut]
    overdue: bool
    next_step: NextStepOut
    version: int

    @classmethod
    def of(cls, state: GrantState) -> GrantOut:
        details, overdue = state.application, state.overdue()
        return cls(
            grant_no=state.grant_no,
            stage=str(state.stage),
            program=details.program,
            recipient=details.recipient,
            region=details.region,
            fiscal_year=details.fiscal_year,
            title=details.title,
            period_start=details.period_start,
            period_end=details.period_end,
            requested=details.requested.yuan(),
            approved=state.approved.yuan() if state.approved else None,
            appropriated=state.appropriated.yuan(),
            disbursed=state.disbursed.yuan(),
            notice_no=state.notice_no,
            notice_acknowledged=state.notice_acknowledged,
            tranches=state.tranches,
            publicity_ends_on=state.publicity_ends_on,
            objections=[
                ObjectionOut(number=o.number, raised_on=o.raised_on, summary=o.summary, resolved_on=o.resolved_on)
                for o in state.objections
            ],
            score=str(state.score) if state.score else None,
            rating=str(state.rating) if state.rating else None,
            missed_deadlines=[
                MissedDeadlineOut(kind=str(m.kind), due_at=m.due_at, still_open=m in overdue)
                for m in state.missed_deadlines
            ],
            overdue=bool(overdue),
            next_step=NextStepOut(what=state.next_step().what, who=state.next_step().who),
            version=state.version,
        )


@dataclass(frozen=True)
class GrantFilter:
    """The grants list's filters; each one left empty matches every grant."""

    stage: str | None = None
    region: str | None = None
    program: str | None = None
    year: int | None = None
    overdue: bool | None = None

    def matches(self, state: GrantState) -> bool:
        details = state.application
        return (
            (not self.stage or str(state.stage) == self.stage)
            and (not self.region or details.region.startswith(self.region))
            and (not self.program or self.program in details.program)
            and (self.year is None or details.fiscal_year == self.year)
            and (self.overdue is None or bool(state.overdue()) == self.overdue)
        )


def grants(ledger: GrantLedger, chosen: GrantFilter) -> list[GrantState]:
    states = (ledger.state(grant_no) for grant_no in ledger.grant_numbers())
    return [state for state in states if chosen.matches(state)]


class IntegrityOut(BaseModel):
    """`grants audit verify` as data: every chain, the Merkle log and every signed checkpoint."""

    ok: bool
    records: int
    chains: int
    checkpoints: int
    seconds: float
    problems: list[str]


def integrity(ledger: GrantLedger, public_key_file: Path) -> IntegrityOut:
    try:
        public_key = load_public_key(public_key_file)
    except FileNotFoundError:
        msg = f"no checkpoint key at {public_key_file}. Fix: set GRANTS_SIGNING_KEY_FILE to the ledger's key"
        raise CheckpointFileError(msg) from None
    report = verify_ledger(ledger, public_key)
    return IntegrityOut(
        ok=report.ok,
        records=report.records,
        chains=report.chains,
        checkpoints=report.checkpoints,
        seconds=round(report.seconds, 3),
        problems=[str(problem) for problem in report.problems],
    )
