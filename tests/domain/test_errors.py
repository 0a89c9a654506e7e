from __future__ import annotations

from domain.errors import (
    AmountViolation,
    GrantError,
    GrantNotFoundError,
    GrantRuleViolation,
    InvalidInputError,
    StageOrderViolation,
)


def test_a_rule_violation_names_the_grant_the_rule_the_problem_and_the_fix() -> None:
    error = GrantRuleViolation("HN-2020-ZX-0036", "R9 deadlines", "the report is late", "submit it today")

    assert str(error) == "grant HN-2020-ZX-0036: R9 deadlines: the report is late. Fix: submit it today."
    assert (error.grant_no, error.rule, error.problem, error.fix) == (
        "HN-2020-ZX-0036",
        "R9 deadlines",
        "the report is late",
        "submit it today",
    )


def test_stage_order_and_amount_violations_carry_their_rule_ids() -> None:
    assert StageOrderViolation("G", "p", "f").rule == "R1 stage order"
    assert AmountViolation("G", "p", "f").rule == "R2 amounts"


def test_an_unknown_grant_error_names_the_number_and_how_to_apply() -> None:
    message = str(GrantNotFoundError("HN-2099-XX-0001"))

    assert message.startswith("grant HN-2099-XX-0001: unknown grant")
    assert "grants apply HN-2099-XX-0001" in message


def test_every_refusal_is_a_grant_error_and_bad_input_is_also_a_value_error() -> None:
    assert issubclass(StageOrderViolation, GrantError)
    assert issubclass(GrantNotFoundError, GrantError)
    assert issubclass(InvalidInputError, GrantError)
    assert issubclass(InvalidInputError, ValueError)
