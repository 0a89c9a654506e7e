"""What the Temporal Web UI shows an operator about a grant, in domain words.

A static summary at start (who gets how much for what), current details in Markdown updated at every
step (stage, what the grant waits for and from whom, the deadline, overdue since), and a summary for
every activity and timer so that the event history reads as the grant's story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.clock import SHANGHAI
from domain.commands import (
    AcknowledgeNotice,
    ApplicationDetails,
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
from domain.deadlines import DeadlineKind
from domain.state import GrantState


@dataclass(frozen=True)
class ArmedDeadline:
    """A deadline the workflow watches: `due_at` by the rules, `timer_at` when it counts as missed."""

    kind: DeadlineKind
    due_at: datetime
    timer_at: datetime


def local_time(instant: datetime) -> str:
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def static_summary(grant_no: str, details: ApplicationDetails) -> str:
    return f"{grant_no} · {details.program} · {details.recipient} · {details.requested}"


def activity_summary(command: GrantCommand) -> str:  # noqa: C901, PLR0911, PLR0912 - one line per command reads best flat
    """One line naming the ledger step, shown on the activity in the Web UI's event history.

    No free text goes in (an objection's summary may name a person): amounts, dates, document numbers, kinds.
    """
    match command:
        case SubmitApplication():
            return f"record the application for {command.details.requested}"
        case ApproveApplication():
            return f"record the approval of {command.approved}"
        case RejectApplication():
            return "record the rejection"
        case RecordNotice():
            return f"record notice {command.document_no} for {command.amount}"
        case AcknowledgeNotice():
            return "record the acknowledgement of the notice"
        case RecordDisbursement():
            return f"record a disbursement of {command.amount} paid on {command.paid_on}"
        case RecordReturn():
            return f"record a return (退回) of {command.amount} on {command.returned_on} ({command.document_no})"
        case RecordMajorChange():
            return f"record a major change ({command.kind.replace('_', ' ')}) on {command.changed_on}"
        case RaiseObjection():
            return f"record an objection raised on {command.raised_on}"
        case ResolveObjection():
            return f"record the resolution of objection #{command.objection_no} on {command.resolved_on}"
        case StartPublicity():
            return f"record publicity from {command.starts_on} to {command.ends_on}"
        case ConcludePublicity():
            return f"record the conclusion of publicity on {command.concluded_on}"
        case SubmitFinalReport():
            return "record the final report"
        case RecordEvaluation():
            return f"record the evaluation (score {command.score})"
        case CloseGrant():
            return "record the closing"
        case RecordMissedDeadline():
            return f"record the missed {command.kind} deadline (due {local_time(command.due_at)})"
    return f"record {type(command).__name__}"


def timer_summary(deadline: ArmedDeadline) -> str:
    return f"{deadline.kind} deadline: {deadline.kind.obligation} due {local_time(deadline.due_at)} (Asia/Shanghai)"


def current_details(state: GrantState, deadlines: list[ArmedDeadline]) -> str:
    """Markdown for the Web UI: where the grant stands, who must act, by when, and since when it is late.

    It opens with the static summary's line: a run that continued as new has no static summary of its own
    (the SDK's `continue_as_new` takes none), so this is where the Web UI shows it then.
    """
    step = state.next_step()
    lines = [
        static_summary(state.grant_no, state.application),
        "",
        f"**{state.grant_no}** · stage **{state.stage}** · ledger event #{state.version}",
        "",
        f"- waiting for: {step.what}",
        f"- who must act: {step.who} (`{step.command}`)",
    ]
    overdue = state.overdue()
    lines += [
        f"- **OVERDUE** since {local_time(missed.due_at)}: {missed.kind.obligation} ({missed.kind} deadline; "
        f"{missed.kind.owner} must act)"
        for missed in overdue
    ]
    late = {missed.kind for missed in overdue}
    lines += [
        _deadline_line(deadline)
        for deadline in deadlines
        if deadline.kind not in late and state.deadline_is_open(deadline.kind)
    ]
    if not overdue and not state.stage.is_final:
        lines.append("- on time")
    lines.append("")
    lines.append("Times are Asia/Shanghai.")
    return "\n".join(lines)


def _deadline_line(deadline: ArmedDeadline) -> str:
    line = f"- deadline: {deadline.kind.obligation} by {local_time(deadline.due_at)}"
    if deadline.timer_at > deadline.due_at:  # entered after the fact: see DeadlinePolicy.backfill_grace_seconds
        line += f" (already past when entered; counted as missed from {local_time(deadline.timer_at)})"
    return line
