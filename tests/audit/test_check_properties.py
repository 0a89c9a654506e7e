"""Property-based: the detective half (`grants audit check`) finds nothing in any valid lifecycle."""

from __future__ import annotations

from hypothesis import given, settings

from audit.check import check_ledger
from domain.commands import GrantCommand
from domain.values import Money
from ledger.application import GrantLedger
from tests.builders import AFTER_PERIOD, submit
from tests.strategies import lifecycles


@settings(max_examples=40, deadline=None)
@given(lifecycles())
def test_every_valid_lifecycle_leaves_no_finding_on_replay(lifecycle: tuple[int, list[GrantCommand]]) -> None:
    """The detective half agrees with the preventive half on compliant histories (an in-memory ledger)."""
    requested, steps = lifecycle
    ledger = GrantLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        ledger.execute(submit(requested=Money(requested), command_id="submit"), AFTER_PERIOD)
        for step in steps:
            ledger.execute(step, AFTER_PERIOD)
        assert check_ledger(ledger) == []
    finally:
        ledger.close()
