from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from domain.commands import (
    AcknowledgeNotice,
    ApproveApplication,
    ConcludePublicity,
    GrantCommand,
    RecordDisbursement,
    RecordEvaluation,
    RecordNotice,
    RejectApplication,
    SubmitApplication,
)
from domain.errors import InvalidInputError
from domain.values import Money, Points
from tests.builders import GRANT_NO, details, disburse, final_report, start_publicity

BLANK = ["", "   ", "\t\n"]


class TestApplicationDetails:
    @pytest.mark.parametrize("blank", BLANK)
    @pytest.mark.parametrize("field", ["program", "recipient", "title"])
    def test_empty_text_is_refused(self, field: str, blank: str) -> None:
        with pytest.raises(InvalidInputError, match=f"^{field} must not be empty$"):
            details(**{field: blank})

    @pytest.mark.parametrize("fen", [0, -1])
    def test_a_requested_amount_that_is_not_positive_is_refused(self, fen: int) -> None:
        with pytest.raises(InvalidInputError, match="requested amount must be more than zero"):
            details(requested=Money(fen))

    @pytest.mark.parametrize("region", ["4301", "4301000", "43010a", "", "430 100"])
    def test_a_region_that_is_not_a_six_digit_code_is_refused(self, region: str) -> None:
        with pytest.raises(InvalidInputError, match="is not a six-digit GB/T 2260 code"):
            details(region=region)

    @pytest.mark.parametrize("year", [1999, 2101])
    def test_an_implausible_fiscal_year_is_refused(self, year: int) -> None:
        with pytest.raises(InvalidInputError, match=f"fiscal year {year} is not a plausible year"):
            details(fiscal_year=year)

    def test_a_period_that_ends_before_it_starts_is_refused(self) -> None:
        with pytest.raises(InvalidInputError, match=r"ends \(2020-01-31\) before it starts \(2020-02-01\)"):
            details(period_start=date(2020, 2, 1), period_end=date(2020, 1, 31))

    def test_a_one_day_period_in_a_valid_region_is_accepted(self) -> None:
        one_day = details(region="430000", period_start=date(2020, 5, 1), period_end=date(2020, 5, 1))
        assert one_day.period_end == one_day.period_start


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(AcknowledgeNotice, id="acknowledge"),
        pytest.param(lambda **who: RejectApplication(reason="不符合条件", **who), id="reject"),
        pytest.param(lambda **who: ApproveApplication(approved=Money(1), **who), id="approve"),
        pytest.param(lambda **who: SubmitApplication(details=details(), **who), id="submit"),
    ],
)
@pytest.mark.parametrize("field", ["grant_no", "actor"])
def test_every_command_needs_a_grant_number_and_an_actor(field: str, build: Callable[..., GrantCommand]) -> None:
    assert build(grant_no=GRANT_NO, actor="officer").grant_no == GRANT_NO

    with pytest.raises(InvalidInputError, match=f"{field.replace('_', ' ')} must not be empty"):
        build(**{"grant_no": GRANT_NO, "actor": "officer", field: " "})


@pytest.mark.parametrize("fen", [0, -1, -1_200_000_00])
@pytest.mark.parametrize(
    ("build", "name"),
    [
        pytest.param(
            lambda amount: ApproveApplication(grant_no="G", actor="a", approved=amount), "approved", id="approve"
        ),
        pytest.param(
            lambda amount: RecordNotice(
                grant_no="G",
                actor="a",
                document_no="湘财社指〔2020〕36号",
                issuer="省财政厅",
                issued_on=date(2020, 6, 1),
                amount=amount,
            ),
            "notice",
            id="notice",
        ),
        pytest.param(disburse, "disbursement", id="disburse"),
    ],
)
def test_every_amount_must_be_more_than_zero(fen: int, build: Callable[[Money], object], name: str) -> None:
    with pytest.raises(
        InvalidInputError, match=f"^{re.escape(f'{name} amount must be more than zero, got {Money(fen)}')}$"
    ):
        build(Money(fen))


class TestEmptyText:
    def test_an_approval_opinion_may_be_left_empty(self) -> None:
        assert ApproveApplication(grant_no=GRANT_NO, actor="approver", approved=Money(1)).opinion == ""

    def test_a_rejection_needs_a_reason(self) -> None:
        with pytest.raises(InvalidInputError, match="reason must not be empty"):
            RejectApplication(grant_no=GRANT_NO, actor="approver", reason="  ")

    @pytest.mark.parametrize("field", ["document_no", "issuer"])
    def test_a_notice_needs_its_number_and_issuer(self, field: str) -> None:
        fields: dict[str, Any] = {"document_no": "湘财社指〔2020〕36号", "issuer": "湖南省财政厅", field: ""}
        with pytest.raises(InvalidInputError, match=f"{field.replace('_', ' ')} must not be empty"):
            RecordNotice(grant_no=GRANT_NO, actor="finance", issued_on=date(2020, 6, 10), amount=Money(1), **fields)

    def test_a_disbursement_needs_a_payee(self) -> None:
        with pytest.raises(InvalidInputError, match="payee must not be empty"):
            RecordDisbursement(
                grant_no=GRANT_NO, actor="recipient", amount=Money(1), paid_on=date(2020, 7, 1), payee=""
            )

    def test_publicity_needs_a_place(self) -> None:
        with pytest.raises(InvalidInputError, match="place must not be empty"):
            dataclasses.replace(start_publicity(), place=" ")


class TestPublicityDates:
    def test_publicity_that_ends_before_it_starts_is_refused(self) -> None:
        with pytest.raises(InvalidInputError, match=r"publicity ends \(2020-09-30\) before it starts \(2020-10-01\)"):
            dataclasses.replace(start_publicity(), ends_on=date(2020, 9, 30))

    def test_publicity_of_a_single_day_is_accepted(self) -> None:
        one_day = dataclasses.replace(start_publicity(), ends_on=date(2020, 10, 1))
        assert one_day.ends_on == one_day.starts_on


class TestFinalReport:
    def test_people_reached_cannot_be_negative(self) -> None:
        with pytest.raises(InvalidInputError, match="people reached cannot be negative, got -1"):
            dataclasses.replace(final_report(), people_reached=-1)

    def test_money_used_cannot_be_negative(self) -> None:
        with pytest.raises(InvalidInputError, match="money used cannot be negative"):
            final_report(money_used=Money(-1))

    def test_nothing_used_and_nobody_reached_is_a_valid_report(self) -> None:
        report = dataclasses.replace(final_report(money_used=Money(0)), people_reached=0)
        assert (report.people_reached, report.money_used) == (0, Money(0))


def test_commands_are_immutable() -> None:
    command = ConcludePublicity(grant_no=GRANT_NO, actor="officer", concluded_on=date(2020, 10, 8))
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.actor = "someone else"  # type: ignore[misc]


def test_a_command_without_an_id_gets_an_empty_one_for_the_workflow_to_stamp() -> None:
    evaluation = RecordEvaluation(grant_no=GRANT_NO, actor="auditor", score=Points(935))
    assert evaluation.command_id == ""
