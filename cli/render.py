"""Plain-text output for the terminal: one-line results, status blocks and aligned tables (CJK-aware)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from audit.history import HistoryRow
from domain.personal import Beneficiary, PersonalData, mask_id_number
from domain.state import GrantState, Objection
from domain.values import Money, Points
from ledger.read_models import GrantSummary


def width(text: str) -> int:
    """Columns `text` takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """An aligned table; the columns whose indexes are in `right` align right (numbers)."""
    widths = [max(width(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        padded = []
        for index, (cell, size) in enumerate(zip(cells, widths, strict=True)):
            gap = " " * (size - width(cell))
            padded.append(gap + cell if index in right else cell + gap)
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * size for size in widths]), *(line(row) for row in rows)])


def result_line(state: GrantState, done: str) -> str:
    step = state.next_step()
    waiting = "" if state.stage.is_final else f"; next: {step.what} ({step.command})"
    return f"grant {state.grant_no}: {done} (event #{state.version}); stage {state.stage}{waiting}"


def status_block(state: GrantState, workflow: str) -> str:
    application = state.application
    step = state.next_step()
    rows = [
        ("grant", state.grant_no),
        ("program", application.program),
        ("recipient", f"{application.recipient} ({application.region})"),
        ("fiscal year", str(application.fiscal_year)),
        ("period", f"{application.period_start} - {application.period_end}"),
        ("stage", str(state.stage)),
        ("waiting for", f"{step.what}: {step.who}, {step.command}"),
        ("requested", application.requested.yuan()),
        ("approved", state.approved.yuan() if state.approved else "-"),
        ("appropriated", f"{state.appropriated.yuan()} ({state.notice_no or 'no notice yet'})"),
        ("disbursed", f"{state.disbursed.yuan()} in {state.tranches} tranche(s)"),
        ("objections", ", ".join(_objection(o) for o in state.objections) or "-"),
        ("missed", ", ".join(f"{m.kind} (due {m.due_at:%Y-%m-%d})" for m in state.missed_deadlines) or "-"),
        ("evaluation", f"{state.score} {state.rating}" if state.score else "-"),
        ("events", str(state.version)),
        ("workflow", workflow),
    ]
    return "\n".join(f"{label:<13} {value}" for label, value in rows)


def _objection(objection: Objection) -> str:
    status = f"resolved {objection.resolved_on}" if objection.resolved_on else "open"
    return f"#{objection.number} of {objection.raised_on} ({status})"


def grants_table(summaries: Sequence[GrantSummary]) -> str:
    rows = [
        [
            summary.grant_no,
            summary.recipient,
            f"{summary.stage} (OVERDUE)" if summary.overdue else summary.stage,
            Money(summary.approved_fen or 0).yuan(),
            Money(summary.appropriated_fen).yuan(),
            Money(summary.disbursed_fen).yuan(),
            f"{Points(summary.score_tenths)} {summary.rating}" if summary.score_tenths is not None else "-",
        ]
        for summary in summaries
    ]
    headers = ["grant", "recipient", "stage", "approved", "appropriated", "disbursed", "evaluation"]
    return table(headers, rows, right=[3, 4, 5])


def history_table(rows: list[HistoryRow]) -> str:
    return table(
        ["#", "time (Asia/Shanghai)", "event", "actor", "details"],
        [[str(row.version), row.time, row.event, row.actor, row.details] for row in rows],
        right=[0],
    )


def publication(state: GrantState, people: list[Beneficiary]) -> str:
    """The notice to post (R8): the project, and the list de-identified (name, township, amount, masked ID)."""
    application = state.application
    lines = [
        f"公示 {state.grant_no} {application.title}",
        f"项目 {application.program} · 承担单位 {application.recipient} · 金额 {state.approved or ''}",
        f"公示期 {state.publicity_ends_on or '-'} 止; 如有异议请向项目单位反映",
    ]
    rows = [
        [person.personal.name, person.township, mask_id_number(person.personal.id_number), person.amount.yuan()]
        for person in people
        if isinstance(person.personal, PersonalData)
    ]
    if rows:
        lines += ["", table(["姓名", "乡镇", "身份证号", "金额"], rows, right=[3])]
    return "\n".join(lines)
