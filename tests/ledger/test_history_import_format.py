"""The JSON-lines format of `grants import-history` is documented field by field, and the documentation is kept true."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate

from domain.decisions import CollectiveDecision, DecisionItem
from domain.grant import Grant
from ledger import history_import
from ledger.history_import import PAYMENT_FIELDS, PERSON_FIELDS, file_fields

README = Path(__file__).parents[2] / "README.md"
GRANT_EVENTS = {
    name: event_class
    for name, event_class in vars(Grant).items()
    if isinstance(event_class, type) and issubclass(event_class, Aggregate.Event) and name not in {"Event", "Created"}
}


def own_fields(event_class: type) -> set[str]:
    return set(file_fields(event_class))


DOCUMENTED = {
    **{name: own_fields(event_class) for name, event_class in GRANT_EVENTS.items()},
    "DecisionRecorded": own_fields(CollectiveDecision.DecisionRecorded)  # type: ignore[attr-defined]
    | {field.name for field in DecisionItem.__dataclass_fields__.values()},
    "BeneficiariesRegistered": {"pay_by", "beneficiaries", *PERSON_FIELDS},
    "BeneficiaryPaid": set(PAYMENT_FIELDS),
}


def readme_fields(event: str) -> set[str]:
    """The names in backticks in the second column of the README's row for `event` (in its first column)."""
    rows = [row.split("|") for row in README.read_text().splitlines() if row.startswith("| `")]
    return next(set(re.findall(r"`(\w+)`", cells[2])) for cells in rows if f"`{event}`" in cells[1])


def docstring_entry(event: str) -> str:
    """The event's entry in the module docstring: its line and the indented lines that continue it."""
    doc = typing.cast("str", history_import.__doc__)
    match = re.search(rf"^    {event} .*(?:\n {{20,}}.*)*", doc, re.MULTILINE)
    assert match, f"{event} is not documented in ledger/history_import.py"
    return match.group(0)


@pytest.mark.parametrize("event", sorted(DOCUMENTED))
def test_every_importable_event_is_documented_with_all_its_fields(event: str) -> None:
    in_readme = readme_fields(event)
    in_docstring = set(re.findall(r"\w+", docstring_entry(event).removeprefix(f"    {event}")))
    assert DOCUMENTED[event] <= in_readme, f"README lacks {DOCUMENTED[event] - in_readme}"
    assert DOCUMENTED[event] <= in_docstring, f"the docstring lacks {DOCUMENTED[event] - in_docstring}"
