"""Typed errors. Each names the grant, the rule it enforces and what would fix it."""

from __future__ import annotations


class GrantError(Exception):
    """Base of every refusal by the domain: nothing was written."""


class InvalidInputError(GrantError, ValueError):
    """A value that can never be valid (a negative amount, a malformed date)."""


class GrantRuleViolation(GrantError):
    """A command that would break one of the rules of DESIGN.md (R1, R2, ...)."""

    def __init__(self, grant_no: str, rule: str, problem: str, fix: str) -> None:
        self.grant_no = grant_no
        self.rule = rule
        self.problem = problem
        self.fix = fix
        super().__init__(f"grant {grant_no}: {rule}: {problem}. Fix: {fix}.")


class StageOrderViolation(GrantRuleViolation):
    """R1: the grant is not at the stage where this step is allowed."""

    def __init__(self, grant_no: str, problem: str, fix: str) -> None:
        super().__init__(grant_no, "R1 stage order", problem, fix)


class AmountViolation(GrantRuleViolation):
    """R2: disbursed <= appropriated <= approved."""

    def __init__(self, grant_no: str, problem: str, fix: str) -> None:
        super().__init__(grant_no, "R2 amounts", problem, fix)


class GrantNotFoundError(GrantError):
    def __init__(self, grant_no: str) -> None:
        self.grant_no = grant_no
        super().__init__(
            f"grant {grant_no}: unknown grant: no application was recorded under this number. "
            f"Fix: check the number, or submit the application first (grants apply {grant_no} ...)."
        )


class DuplicateGrantError(GrantError):
    """A second application under a grant number already used for different content."""

    def __init__(self, grant_no: str, differences: list[str]) -> None:
        self.grant_no = grant_no
        super().__init__(
            f"grant {grant_no}: unique grant number: an application with different content is already recorded "
            f"({'; '.join(differences)}). Fix: use a new grant number, or repeat the original application exactly."
        )
