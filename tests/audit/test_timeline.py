"""A grant's timeline and its state as of any moment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from audit.timeline import state_as_of, timeline
from domain.decisions import DEFAULT_QUORUM
from domain.errors import GrantNotFoundError
from domain.grant import grant_id
from domain.stages import Stage
from ledger.application import GrantLedger
from ledger.projections import version_index
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


@pytest.fixture
def version_at(ledger: GrantLedger, ledger_url: str) -> Iterator[Callable[[str, datetime], int]]:
    with version_index(ledger, ledger_url, DEFAULT_QUORUM) as index:
        yield index


def test_the_state_as_of_a_moment_is_the_state_after_the_last_event_recorded_by_then(
    closed: GrantLedger, version_at: Callable[[str, datetime], int]
) -> None:
    history = closed.history("A")
    first, fifth, last = history[0].recorded_at, history[4].recorded_at, history[-1].recorded_at
    assert state_as_of(closed, "A", first - timedelta(seconds=1), version_at) is None
    as_of_fifth = state_as_of(closed, "A", fifth, version_at)
    assert as_of_fifth is not None
    assert (as_of_fifth.version, as_of_fifth.disbursed) == (5, HALF)
    after = state_as_of(closed, "A", last + timedelta(days=365), version_at)
    assert after is not None
    assert after.stage is Stage.CLOSED


def test_the_index_of_recording_times_keeps_up_with_new_events(
    ledger: GrantLedger, version_at: Callable[[str, datetime], int]
) -> None:
    """An as-of query after more was recorded sees it: the index catches up before it answers."""
    ledger.execute(submit("B"))
    assert version_at("B", datetime.now(UTC)) == 1
    ledger.execute(lifecycle("B")[0])
    assert version_at("B", datetime.now(UTC)) == 2
    assert version_at("B", ledger.history("B")[0].recorded_at) == 1


def test_an_unknown_grant_has_no_timeline_and_no_state(
    ledger: GrantLedger, version_at: Callable[[str, datetime], int]
) -> None:
    with pytest.raises(GrantNotFoundError):
        timeline(ledger, "NOPE")
    with pytest.raises(GrantNotFoundError):
        state_as_of(ledger, "NOPE", datetime(2020, 1, 1, tzinfo=UTC), version_at)
