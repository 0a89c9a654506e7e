"""The custom search attributes operators filter grants by in the Temporal Web UI and `grants stuck`.

None carries personal data: a region code, a program name, a year, an amount, a due time and a flag.
Every Temporal namespace that runs `GrantLifecycle` must have them registered (`grants up` does it for the
dev server; `temporal operator search-attribute create` for a cluster, see the README).
"""

from __future__ import annotations

from datetime import datetime

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

from domain.commands import ApplicationDetails
from domain.stages import Stage
from domain.state import GrantState

GRANT_STAGE = SearchAttributeKey.for_keyword("GrantStage")
GRANT_REGION = SearchAttributeKey.for_keyword("GrantRegion")  # GB/T 2260 code of the recipient
GRANT_PROGRAM = SearchAttributeKey.for_keyword("GrantProgram")
FISCAL_YEAR = SearchAttributeKey.for_int("FiscalYear")
GRANT_AMOUNT_FEN = SearchAttributeKey.for_int("GrantAmountFen")  # requested, then approved once approved
GRANT_DUE_AT = SearchAttributeKey.for_datetime("GrantDueAt")  # the earliest open deadline (missed or not)
GRANT_OVERDUE = SearchAttributeKey.for_bool("GrantOverdue")  # a missed deadline's obligation is still open

ALL: tuple[SearchAttributeKey, ...] = (  # type: ignore[type-arg]
    GRANT_STAGE,
    GRANT_REGION,
    GRANT_PROGRAM,
    FISCAL_YEAR,
    GRANT_AMOUNT_FEN,
    GRANT_DUE_AT,
    GRANT_OVERDUE,
)

_DEV_SERVER_TYPES = {"KEYWORD": "Keyword", "INT": "Int", "DATETIME": "Datetime", "BOOL": "Bool"}


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` for each attribute, as `temporal server start-dev` takes them."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_DEV_SERVER_TYPES[key.indexed_value_type.name]}"]
    return flags


def at_start(details: ApplicationDetails) -> TypedSearchAttributes:
    """What a grant's workflow carries from its start, before the ledger has answered."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(GRANT_STAGE, Stage.APPLICATION.value),
            SearchAttributePair(GRANT_REGION, details.region),
            SearchAttributePair(GRANT_PROGRAM, details.program),
            SearchAttributePair(FISCAL_YEAR, details.fiscal_year),
            SearchAttributePair(GRANT_AMOUNT_FEN, details.requested.fen),
            SearchAttributePair(GRANT_OVERDUE, False),  # noqa: FBT003 - a value, not a flag argument
        ]
    )


def updates_for(state: GrantState, due_at: datetime | None) -> list[SearchAttributeUpdate]:  # type: ignore[type-arg]
    """Every attribute as the grant stands now; `due_at` is its earliest open deadline, if any."""
    application = state.application
    amount = state.approved or application.requested
    return [
        GRANT_STAGE.value_set(state.stage.value),
        GRANT_REGION.value_set(application.region),
        GRANT_PROGRAM.value_set(application.program),
        FISCAL_YEAR.value_set(application.fiscal_year),
        GRANT_AMOUNT_FEN.value_set(amount.fen),
        GRANT_OVERDUE.value_set(bool(state.overdue())),
        GRANT_DUE_AT.value_set(due_at) if due_at is not None else GRANT_DUE_AT.value_unset(),
    ]
