"""The ledger's contract: one suite of tests that every storage backend (a SQLite file, PostgreSQL) must pass."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.clock import SHANGHAI
from domain.commands import GrantCommand
from domain.deadlines import DAY_SECONDS, DeadlinePolicy
from domain.decisions import DecisionKind
from domain.errors import (
    AmountViolation,
    DuplicateGrantError,
    GrantError,
    GrantNotFoundError,
    StageOrderViolation,
)
from domain.oversight import ScoreWeights
from domain.stages import Rating, Stage
from domain.values import Money, Points
from ledger.application import DEFAULT_FUND_RULES, GrantLedger, open_ledger
from tests.builders import (
    GRANT_NO,
    LIFECYCLE_EVENTS,
    REQUESTED,
    acknowledge,
    approve,
    close,
    conclude_publicity,
    decision_item,
    details,
    disburse,
    evaluate,
    final_report,
    lifecycle,
    minutes,
    notice,
    reject,
    start_publicity,
    submit,
)

OTHER_NO = "HN-2020-ZX-0037"


def record(ledger: GrantLedger, commands: list[GrantCommand], grant_no: str = GRANT_NO) -> None:
    """Submit the application of `grant_no`, then record `commands`."""
    ledger.execute(submit(grant_no=grant_no, command_id=f"{grant_no}/submit"))
    for command in commands:
        ledger.execute(command)


# Each refusal: the lifecycle steps recorded first, then the command that must be refused.
REFUSALS: list[Any] = [
    pytest.param(0, approve(REQUESTED + Money(1)), AmountViolation, id="R2 approving more than requested"),
    pytest.param(1, notice(REQUESTED + Money(1)), AmountViolation, id="R2 notice above approved"),
    pytest.param(3, disburse(REQUESTED + Money(1)), AmountViolation, id="R2 disbursing beyond appropriated"),
    pytest.param(7, final_report(REQUESTED + Money(1)), AmountViolation, id="R2 money used above disbursed"),
    pytest.param(2, disburse(), StageOrderViolation, id="R1 disbursing before the acknowledgement"),
    pytest.param(6, final_report(), StageOrderViolation, id="R1 final report during publicity"),
    pytest.param(8, close(), StageOrderViolation, id="R1 closing before the evaluation"),
    pytest.param(10, disburse(), StageOrderViolation, id="R1 disbursing on a closed grant"),
    pytest.param(10, close(), StageOrderViolation, id="R1 closing a closed grant"),
    pytest.param(0, approve(grant_no=OTHER_NO), GrantNotFoundError, id="approving an unknown grant"),
    pytest.param(3, submit(fiscal_year=2021), DuplicateGrantError, id="a different application"),
]


FUNDING_BODY = "湖南省计划生育协会"


class OvertakenLedger(GrantLedger):
    """A ledger whose next save is overtaken: the rival records the same rules first."""

    name = GrantLedger.name  # the same tables as the ledger's
    overtaken_by: GrantLedger | None = None

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        if self.overtaken_by is not None:
            rival, self.overtaken_by = self.overtaken_by, None
            assert rival.adopt_rules(FUNDING_BODY, actor="worker-1")
        return super().save(*objs, **kwargs)


class LedgerContract:
    """What every backend must do. Subclasses supply `ledger_url`: a fresh, empty ledger per test."""

    @pytest.fixture
    def ledger_url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def ledger(self, ledger_url: str) -> Iterator[GrantLedger]:
        with open_ledger(ledger_url) as opened:
            yield opened

    def test_a_new_ledger_is_empty(self, ledger: GrantLedger) -> None:
        assert ledger.count_events() == 0
        assert ledger.grant_numbers() == []

    def test_a_full_lifecycle_is_recorded_and_read_back(self, ledger: GrantLedger) -> None:
        before = datetime.now(UTC)
        record(ledger, lifecycle())

        state = ledger.state(GRANT_NO)
        history = ledger.history(GRANT_NO)
        assert state.stage is Stage.CLOSED
        assert state.version == 11
        assert (state.approved, state.appropriated, state.disbursed, state.money_used) == (REQUESTED,) * 4
        assert (state.score, state.rating, state.tranches) == (Points(935), Rating.EXCELLENT, 2)
        assert [event.name for event in history] == list(LIFECYCLE_EVENTS)
        assert [event.version for event in history] == list(range(1, 12))
        assert all(before <= event.recorded_at <= datetime.now(UTC) for event in history)
        assert history[-1].fields == {"actor": "officer", "command_id": history[-1].fields["command_id"]}
        assert ledger.count_events() == 11
        assert ledger.grant_numbers() == [GRANT_NO]

    def test_grant_numbers_come_in_the_order_the_grants_were_first_recorded(self, ledger: GrantLedger) -> None:
        record(ledger, [], grant_no=OTHER_NO)
        record(ledger, [approve()])
        ledger.execute(approve(grant_no=OTHER_NO))

        assert ledger.grant_numbers() == [OTHER_NO, GRANT_NO]
        assert ledger.count_events() == 4

    def test_a_repeated_command_id_writes_nothing_and_returns_the_earlier_state(self, ledger: GrantLedger) -> None:
        record(ledger, [])
        approved = ledger.execute(approve(command_id="wf/approve"))
        ledger.execute(notice())
        count = ledger.count_events()

        repeated = ledger.execute(approve(command_id="wf/approve"))

        assert repeated == approved
        assert (repeated.version, repeated.notice_no) == (2, None)
        assert ledger.count_events() == count
        assert ledger.state(GRANT_NO).version == 3

    def test_a_repeated_command_id_is_not_checked_against_the_rules_again(self, ledger: GrantLedger) -> None:
        """A retry of a step the grant has moved past returns its result instead of an R1 refusal."""
        record(ledger, lifecycle()[:3])
        paid = ledger.execute(disburse(REQUESTED, command_id="wf/pay"))

        assert ledger.execute(disburse(REQUESTED, command_id="wf/pay")) == paid
        assert ledger.count_events() == 5

    def test_a_second_identical_application_writes_nothing(self, ledger: GrantLedger) -> None:
        record(ledger, [approve()])
        count = ledger.count_events()

        state = ledger.execute(submit(command_id="a second submission"))

        assert ledger.count_events() == count
        assert state == ledger.state(GRANT_NO)
        assert state.application == details()

    def test_a_different_application_under_a_used_number_is_refused_and_writes_nothing(
        self, ledger: GrantLedger
    ) -> None:
        record(ledger, [])

        with pytest.raises(DuplicateGrantError, match="recipient: recorded 长沙市计划生育协会, now 株洲市计划生育协会"):
            ledger.execute(submit(recipient="株洲市计划生育协会"))

        assert ledger.count_events() == 1
        assert ledger.state(GRANT_NO).application == details()

    @pytest.mark.parametrize(("steps", "command", "error"), REFUSALS)
    def test_a_refused_command_writes_nothing(
        self, ledger: GrantLedger, steps: int, command: GrantCommand, error: type[GrantError]
    ) -> None:
        record(ledger, lifecycle()[:steps])
        count, state = ledger.count_events(), ledger.state(GRANT_NO)

        with pytest.raises(error):
            ledger.execute(command)

        assert ledger.count_events() == count == 1 + steps
        assert ledger.state(GRANT_NO) == state
        assert len(ledger.history(GRANT_NO)) == count
        assert ledger.grant_numbers() == [GRANT_NO]

    def test_a_final_report_on_the_last_day_of_the_period_is_refused_and_writes_nothing(
        self, ledger: GrantLedger
    ) -> None:
        record(ledger, lifecycle()[:7])

        with pytest.raises(StageOrderViolation, match="the project period runs until 2020-12-31"):
            ledger.execute(final_report(), at=datetime(2020, 12, 31, 18, 0, tzinfo=SHANGHAI))
        assert ledger.count_events() == 8

        reported = ledger.execute(final_report(), at=datetime(2021, 1, 1, 8, 0, tzinfo=SHANGHAI))
        assert reported.stage is Stage.AUDIT
        assert ledger.count_events() == 9

    def test_nothing_is_written_after_a_rejection(self, ledger: GrantLedger) -> None:
        record(ledger, [reject()])

        with pytest.raises(StageOrderViolation, match="the grant is rejected"):
            ledger.execute(approve())

        assert ledger.count_events() == 2
        assert ledger.state(GRANT_NO).stage is Stage.REJECTED

    def test_an_unknown_grant_has_no_state_and_no_history(self, ledger: GrantLedger) -> None:
        record(ledger, [])

        with pytest.raises(GrantNotFoundError, match=OTHER_NO):
            ledger.state(OTHER_NO)
        with pytest.raises(GrantNotFoundError, match=OTHER_NO):
            ledger.history(OTHER_NO)

    def test_state_survives_closing_and_reopening_the_ledger(self, ledger_url: str) -> None:
        steps = lifecycle()
        with open_ledger(ledger_url) as first:
            record(first, steps[:4])
            state, history = first.state(GRANT_NO), first.history(GRANT_NO)

        with open_ledger(ledger_url) as reopened:
            assert reopened.state(GRANT_NO) == state
            assert reopened.history(GRANT_NO) == history
            assert reopened.count_events() == 5
            assert reopened.grant_numbers() == [GRANT_NO]
            assert reopened.execute(steps[3]) == state, "the command id is remembered across reopening"
            for command in steps[4:]:
                reopened.execute(command)

        with open_ledger(ledger_url) as again:
            assert again.state(GRANT_NO).stage is Stage.CLOSED
            assert again.count_events() == 11

    def test_money_dates_and_points_round_trip_exactly_through_storage(self, ledger_url: str) -> None:
        large = Money(5_166_000_000)
        application = submit(requested=large, period_start=date(2020, 2, 29), period_end=date(2024, 2, 29))
        authority = minutes(
            held_on=date(2020, 1, 15),
            items=(
                decision_item(kind=DecisionKind.MAJOR_PROJECT, grant_no=GRANT_NO, amount=large),
                decision_item(kind=DecisionKind.LARGE_FUND_USE, grant_no=GRANT_NO, amount=large),
            ),
        )
        decided = f"{authority.body}:{authority.minutes_ref}"
        with open_ledger(ledger_url) as ledger:
            ledger.execute(application)
            ledger.record_decision(authority)
            for command in [dataclasses.replace(approve(large), decision_ref=decided), notice(large), acknowledge()]:
                ledger.execute(command)
            ledger.execute(disburse(Money(1), paid_on=date(2020, 2, 29)))
            ledger.execute(
                dataclasses.replace(disburse(large - Money(1), paid_on=date(2099, 12, 31)), decision_ref=decided)
            )
            ledger.execute(start_publicity())
            ledger.execute(conclude_publicity())
            ledger.execute(final_report(large), at=datetime(2024, 3, 1, tzinfo=SHANGHAI))
            ledger.execute(evaluate("89.9"))

        with open_ledger(ledger_url) as reopened:
            state = reopened.state(GRANT_NO)
            paid = [event.fields for event in reopened.history(GRANT_NO) if event.name == "DisbursementRecorded"]

        assert state.application == application.details
        assert (state.approved, state.appropriated, state.disbursed, state.money_used) == (large,) * 4
        assert [(fields["amount"], fields["paid_on"]) for fields in paid] == [
            (Money(1), date(2020, 2, 29)),
            (Money(5_165_999_999), date(2099, 12, 31)),
        ]
        assert (state.score, state.rating) == (Points(899), Rating.GOOD)
        assert state.publicity_ends_on == date(2020, 10, 7)

    def test_workers_starting_together_record_their_rules_once(self, ledger_url: str) -> None:
        """The worker that loses the race to record the rule book reads it again and finds its rules in force."""
        with (
            open_ledger(ledger_url) as rival,
            open_ledger(ledger_url, ledger_type=OvertakenLedger) as late,
        ):
            assert isinstance(late, OvertakenLedger)
            late.overtaken_by = rival
            assert not late.adopt_rules(FUNDING_BODY, actor="worker-2"), "the rival's recording stands"
            (book,) = late.rule_books()
            assert [rules for _, rules in book.history] == [DEFAULT_FUND_RULES]

    def test_every_setting_of_the_rules_is_recorded_and_read_back(self, ledger_url: str) -> None:
        """Deadlines and score weights too: a replay judges deadlines by the ones in force, not today's."""
        rules = dataclasses.replace(
            DEFAULT_FUND_RULES,
            deadlines=DeadlinePolicy(payment_due_seconds=15 * DAY_SECONDS, final_report_due_seconds=45 * DAY_SECONDS),
            score_weights=ScoreWeights(budget_execution=20, outputs=40, outcomes=30, satisfaction=10),
        )
        with open_ledger(ledger_url, fund_rules=rules) as ledger:
            assert ledger.adopt_rules(FUNDING_BODY, actor="worker")
        with open_ledger(ledger_url) as reopened:
            (book,) = reopened.rule_books()
            assert book.current == rules

    def test_commands_without_a_command_id_are_each_recorded(self, ledger: GrantLedger) -> None:
        ledger.execute(dataclasses.replace(submit(), command_id=""))

        state = ledger.execute(dataclasses.replace(approve(), command_id=""))

        assert state.stage is Stage.APPROPRIATION
        assert ledger.count_events() == 2

    def test_a_repeated_application_command_id_returns_the_state_it_produced(self, ledger: GrantLedger) -> None:
        first = ledger.execute(submit(command_id="wf/run"))
        ledger.execute(approve())

        assert ledger.execute(submit(command_id="wf/run")) == first

    def test_a_collective_decision_is_recorded_once_and_read_back_whole(self, ledger: GrantLedger) -> None:
        recorded = ledger.record_decision(minutes())
        again = ledger.record_decision(minutes())
        read = ledger.decision("党组会", "纪要〔2020〕12号")
        assert (again.id, read.id) == (recorded.id, recorded.id)
        assert read.items == [decision_item()]
        assert ledger.count_events() == 1
        with pytest.raises(GrantError, match="already recorded with other content"):
            ledger.record_decision(minutes(items=(decision_item(amount=Money(1)),)))
        assert ledger.count_events() == 1
