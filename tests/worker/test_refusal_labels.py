"""Refusals are counted under the rule they enforce, so an operator's dashboard reads `R2 amounts`, not a class name."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from domain.errors import AmountViolation, GrantError, GrantRuleViolation
from worker import rule_of


def crossed(refusal: GrantError) -> ApplicationError:
    """The refusal as the ledger's activities raise it into Temporal (`raise ApplicationError(...) from refusal`)."""
    failure = ApplicationError(str(refusal), type=type(refusal).__name__, non_retryable=True)
    failure.__cause__ = refusal
    return failure


def test_a_rule_violation_is_labelled_with_its_rule() -> None:
    assert rule_of(crossed(AmountViolation("HN-2020-ZX-0036", "too much", "pay less"))) == "R2 amounts"


def test_any_rule_of_design_md_keeps_its_own_label() -> None:
    assert (
        rule_of(crossed(GrantRuleViolation("G", "R7 registered list", "not listed", "register")))
        == "R7 registered list"
    )


def test_another_refusal_is_labelled_with_its_kind() -> None:
    assert rule_of(crossed(GrantError("no minutes recorded"))) == "GrantError"
