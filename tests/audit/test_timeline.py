"""A grant's timeline and its state as of any moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from audit.timeline import state_as_of, timeline
from domain.errors import GrantNotFoundError
from domain.grant import grant_id
from domain.stages import Stage
from ledger.application import GrantLedger
from tests.builders import HALF, LIFECYCLE_EVENTS, REQUESTED, RETURNED, funds_return, lifecycle, submit


@pytest.fixture
def closed(ledger: GrantLedger) -> GrantLedger:
    ledger.execute(submit("A"))
    for command in lifecycle("A"):
        ledger.execute(command)
    return ledger


def test_the_timeline_shows_every_event_with_its_running_totals_and_hash(closed: GrantLedger) -> None:
    entries = timeline(closed, "A")
    assert [entry.event for entry in entries] == list(LIFECYCLE_EVENTS)
    assert [entry.disbursed for entry in entries[3:6]] == ["0.00", HALF.yuan(), REQUESTED.yuan()]
    assert entries[-1].stage == "closed"
    records = closed.integrity.records_of(grant_id("A"))
    assert [entry.hash for entry in entries] == [record.link.hash.hex()[:16] for record in records]


def test_the_timeline_keeps_a_running_total_of_money_returned(ledger: GrantLedger) -> None:
    ledger.execute(submit("R"))
    for command in [*lifecycle("R")[:5], funds_return(RETURNED, grant_no="R")]:
        ledger.execute(command)
    last = timeline(ledger, "R")[-1]
    assert (last.event, last.disbursed, last.returned) == ("FundsReturned", REQUESTED.yuan(), RETURNED.yuan())
    assert timeline(ledger, "R")[-2].returned == "0.00"


def test_the_state_as_of_a_moment_is_the_state_after_the_last_event_recorded_by_then(closed: GrantLedger) -> None:
    history = closed.history("A")
    first, fifth, last = history[0].recorded_at, history[4].recorded_at, history[-1].recorded_at
    assert state_as_of(closed, "A", first - timedelta(seconds=1)) is None
    as_of_fifth = state_as_of(closed, "A", fifth)
    assert as_of_fifth is not None
    assert (as_of_fifth.version, as_of_fifth.disbursed) == (5, HALF)
    after = state_as_of(closed, "A", last + timedelta(days=365))
    assert after is not None
    assert after.stage is Stage.CLOSED


def test_an_unknown_grant_has_no_timeline_and_no_state(ledger: GrantLedger) -> None:
    with pytest.raises(GrantNotFoundError):
        timeline(ledger, "NOPE")
    with pytest.raises(GrantNotFoundError):
        state_as_of(ledger, "NOPE", datetime(2020, 1, 1, tzinfo=UTC))
