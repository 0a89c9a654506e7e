"""The read models on every backend: built incrementally or rebuilt, they agree; a crash applies nothing twice."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from domain.commands import RecordMissedDeadline
from domain.deadlines import DeadlineKind
from domain.decisions import DEFAULT_QUORUM
from domain.stages import Stage
from domain.values import Money
from ledger.application import GrantLedger, open_ledger
from ledger.projections import GrantProjection
from ledger.read_models import (
    GrantFilter,
    decisions,
    grant_summaries,
    opened_read_models,
    payments,
    positions,
    table_contents,
)
from tests.builders import HALF, REQUESTED, disburse, lifecycle, minutes, reject, submit
from tests.ledger.personal_data_contract import payment, registration

CLOSED, REJECTED, OVERDUE = "A", "B", "C"
JUDGED = select(decisions.c.valid, decisions.c.problems, decisions.c.quorum)


def session_one(ledger: GrantLedger) -> None:
    """A grant up to its acknowledged notice, one rejected, and the minutes of a meeting."""
    ledger.execute(submit(CLOSED))
    for command in lifecycle(CLOSED)[:3]:
        ledger.execute(command)
    ledger.execute(submit(REJECTED, region="430200", program="金秋助学", fiscal_year=2021))
    ledger.execute(reject(REJECTED))
    ledger.record_decision(minutes())


def session_two(ledger: GrantLedger) -> None:
    """A beneficiary list and a payment to a person on it, a first tranche; a grant that misses its deadline."""
    ledger.register_beneficiaries(registration(ledger, CLOSED))
    ledger.pay_beneficiary(payment(ledger))
    ledger.execute(lifecycle(CLOSED)[3])
    ledger.execute(submit(OVERDUE))
    for command in lifecycle(OVERDUE)[:3]:
        ledger.execute(command)
    due_at = datetime.now(UTC) - timedelta(days=1)
    ledger.execute(RecordMissedDeadline(grant_no=OVERDUE, actor="timer", kind=DeadlineKind.PAYMENT, due_at=due_at))


def session_three(ledger: GrantLedger) -> None:
    """The rest of the first grant's life, to closing; a tranche to another payee on the overdue grant."""
    for command in lifecycle(CLOSED)[4:]:
        ledger.execute(command)
    other_payee = disburse(Money(1_000_00), grant_no=OVERDUE)
    ledger.execute(type(other_payee)(**{**vars(other_payee), "payee": "某某建筑公司"}))


SESSIONS = (session_one, session_two, session_three)


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)


class ProjectionContract:
    """Each backend supplies `ledger_url` (a fresh, empty ledger)."""

    @pytest.fixture
    def ledger_url(self) -> Iterator[str]:
        raise NotImplementedError

    @pytest.fixture
    def master_key(self) -> bytes:
        return secrets.token_bytes(32)

    @pytest.fixture
    def engine(self, ledger_url: str) -> Iterator[Engine]:
        with open_ledger(ledger_url), opened_read_models(ledger_url) as engine:
            yield engine

    def record(self, ledger_url: str, master_key: bytes, sessions: Any, engine: Engine) -> None:
        """Each session on a ledger opened afresh, the read models caught up after each."""
        for session in sessions:
            with open_ledger(ledger_url, master_key=master_key) as ledger:
                session(ledger)
                GrantProjection(ledger, engine, DEFAULT_QUORUM, batch_size=7).catch_up()

    def test_rebuilt_read_models_equal_those_built_session_by_session(
        self, ledger_url: str, master_key: bytes, engine: Engine
    ) -> None:
        self.record(ledger_url, master_key, SESSIONS, engine)
        with engine.connect() as connection:
            incremental = table_contents(connection)
        with open_ledger(ledger_url) as ledger:
            GrantProjection(ledger, engine, DEFAULT_QUORUM).rebuild()
            last = ledger.count_events()
        with engine.connect() as connection:
            assert table_contents(connection) == incremental
            assert connection.scalar(select(positions.c.position)) <= last
        assert sum(len(rows) for rows in incremental.values()) > 0

    def test_the_read_models_hold_the_ledgers_figures(self, ledger_url: str, master_key: bytes, engine: Engine) -> None:
        self.record(ledger_url, master_key, SESSIONS, engine)
        with engine.connect() as connection:
            summaries = {summary.grant_no: summary for summary in grant_summaries(connection, GrantFilter())}
            paid = connection.execute(select(payments.c.grant_no, payments.c.amount_fen, payments.c.payee_kind))
            rows = sorted(tuple(row) for row in paid)
        closed = summaries[CLOSED]
        assert (closed.stage, closed.approved_fen, closed.appropriated_fen) == ("closed", REQUESTED.fen, REQUESTED.fen)
        assert (closed.disbursed_fen, closed.tranches, closed.score_tenths, closed.rating) == (
            REQUESTED.fen,
            2,
            935,
            "优",
        )
        assert not closed.overdue
        assert closed.events == 11
        assert (summaries[REJECTED].stage, summaries[REJECTED].approved_fen) == ("rejected", None)
        assert summaries[OVERDUE].overdue
        assert rows == [
            (CLOSED, 1_200_00, "beneficiary"),
            (CLOSED, HALF.fen, "recipient"),
            (CLOSED, HALF.fen, "recipient"),
            (OVERDUE, 1_000_00, "other"),
        ]

    def test_grants_are_filtered_by_stage_region_year_program_and_overdue(
        self, ledger_url: str, master_key: bytes, engine: Engine
    ) -> None:
        self.record(ledger_url, master_key, SESSIONS, engine)

        def numbers(where: GrantFilter) -> list[str]:
            with engine.connect() as connection:
                return [summary.grant_no for summary in grant_summaries(connection, where)]

        assert numbers(GrantFilter()) == [CLOSED, REJECTED, OVERDUE]
        assert numbers(GrantFilter(stage=Stage.DISBURSEMENT)) == [OVERDUE]
        assert numbers(GrantFilter(region="430200")) == [REJECTED]
        assert numbers(GrantFilter(fiscal_year=2020)) == [CLOSED, OVERDUE]
        assert numbers(GrantFilter(program="金秋助学", fiscal_year=2021)) == [REJECTED]
        assert numbers(GrantFilter(overdue=True)) == [OVERDUE]
        assert numbers(GrantFilter(stage=Stage.AUDIT)) == []

    def test_a_crash_part_way_through_a_batch_leaves_rows_and_position_as_they_were(
        self, ledger_url: str, master_key: bytes, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The next catch-up then applies the batch once: the read models equal a rebuild."""
        self.record(ledger_url, master_key, SESSIONS[:1], engine)
        with engine.connect() as connection:
            before = table_contents(connection)
        with open_ledger(ledger_url, master_key=master_key) as ledger:
            projection = GrantProjection(ledger, engine, DEFAULT_QUORUM)
            position = projection.position()
            for session in SESSIONS[1:]:
                session(ledger)
            written = 0
            real_write = GrantProjection._write

            def crash_after_payments(self: GrantProjection, *args: Any) -> None:
                nonlocal written
                if written == 2:  # the beneficiary lists and the payments are in
                    raise RuntimeError("the process dies here")
                written += 1
                real_write(self, *args)

            monkeypatch.setattr(GrantProjection, "_write", crash_after_payments)
            with pytest.raises(RuntimeError, match="the process dies here"):
                projection.catch_up()
            assert projection.position() == position
            with engine.connect() as connection:
                assert table_contents(connection) == before, "none of the batch's rows were kept"

            monkeypatch.setattr(GrantProjection, "_write", real_write)
            assert projection.catch_up() > 0
            with engine.connect() as connection:
                caught_up = table_contents(connection)
            assert len(caught_up["rm_payments"]) == 4, "each payment once"
            projection.rebuild()
            with engine.connect() as connection:
                assert table_contents(connection) == caught_up

    def test_a_catch_up_overtaken_by_another_applies_nothing_twice(
        self, ledger_url: str, master_key: bytes, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with open_ledger(ledger_url, master_key=master_key) as ledger:
            for session in SESSIONS:
                session(ledger)
            slow, fast = (GrantProjection(ledger, engine, DEFAULT_QUORUM) for _ in range(2))
            real_batch = GrantProjection._batch
            overtaken = False

            def overtaken_while_reading(self: GrantProjection, *args: Any) -> Any:
                nonlocal overtaken
                batch = real_batch(self, *args)
                if self is slow and not overtaken:
                    overtaken = True
                    fast.catch_up()  # commits the same notifications first
                return batch

            monkeypatch.setattr(GrantProjection, "_batch", overtaken_while_reading)
            slow.catch_up()
        assert overtaken
        assert count(engine, payments) == 4

    def test_decisions_are_judged_by_the_quorum_the_projection_is_given(
        self, ledger_url: str, master_key: bytes, engine: Engine
    ) -> None:
        """The minutes record four of five members present: valid at two thirds, not when all must attend."""
        with open_ledger(ledger_url) as ledger:
            ledger.record_decision(minutes())
            GrantProjection(ledger, engine, DEFAULT_QUORUM).catch_up()
            with engine.connect() as connection:
                assert connection.execute(JUDGED).all() == [(True, "", "2/3")]
            GrantProjection(ledger, engine, Fraction(1)).rebuild()
            with engine.connect() as connection:
                [(valid, problems, quorum)] = connection.execute(JUDGED).all()
        assert (valid, quorum) == (False, "1")
        assert "below the quorum of 1" in problems
