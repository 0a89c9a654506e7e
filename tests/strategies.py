"""Hypothesis strategies: whole valid grant lifecycles, for the property-based tests of the rules."""

from __future__ import annotations

from datetime import date, timedelta

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
from domain.values import Money, Points
from tests.builders import GRANT_NO

THRESHOLD_FEN = 100_000_00  # below it, no collective decision is needed: these lifecycles test R1, R2, R6, R8


@st.composite
def lifecycles(draw: st.DrawFn) -> tuple[int, list[GrantCommand]]:
    """A requested amount and a valid lifecycle after the application: amounts, dates and people all in order."""
    requested = draw(st.integers(1_00, THRESHOLD_FEN - 1))
    approved = draw(st.integers(1, requested))
    appropriated = draw(st.integers(1, approved))
    cuts = sorted(draw(st.lists(st.integers(1, appropriated - 1), max_size=3, unique=True))) if appropriated > 1 else []
    tranches = [b - a for a, b in zip([0, *cuts], [*cuts, appropriated], strict=True)]
    starts = date(2020, 10, 1) + timedelta(days=draw(st.integers(0, 30)))
    ends = starts + timedelta(days=draw(st.integers(6, 20)))
    objections = draw(st.integers(0, 2))
    grant, money = GRANT_NO, Money
    steps: list[GrantCommand] = [
        ApproveApplication(grant_no=grant, actor="approver", approved=money(approved)),
        RecordNotice(
            grant_no=grant,
            actor="finance",
            document_no="湘财社指〔2020〕36号",
            issuer="湖南省财政厅",
            issued_on=date(2020, 6, 10),
            amount=money(appropriated),
        ),
        AcknowledgeNotice(grant_no=grant, actor="recipient"),
        *(
            RecordDisbursement(grant_no=grant, actor="cashier", amount=money(fen), paid_on=date(2020, 7, 1), payee="x")
            for fen in tranches
        ),
        StartPublicity(grant_no=grant, actor="officer", starts_on=starts, ends_on=ends, place="公示栏"),
    ]
    for number in range(1, objections + 1):
        steps.append(RaiseObjection(grant_no=grant, actor="officer", raised_on=starts, summary="异议"))
        steps.append(
            ResolveObjection(
                grant_no=grant, actor="officer", objection_no=number, resolved_on=ends, resolution="已核实"
            )
        )
    steps += [
        ConcludePublicity(grant_no=grant, actor="officer", concluded_on=ends + timedelta(days=7)),
        SubmitFinalReport(
            grant_no=grant, actor="recipient", people_reached=draw(st.integers(0, 10_000)),
            money_used=money(draw(st.integers(0, appropriated))), satisfaction=Points(draw(st.integers(0, 1000))),
        ),
        RecordEvaluation(grant_no=grant, actor="auditor", score=Points(draw(st.integers(0, 1000)))),
        CloseGrant(grant_no=grant, actor="officer"),
    ]  # fmt: skip
    return requested, steps
