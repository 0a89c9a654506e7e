"""`GrantLedger`: the eventsourcing application that records every step of every grant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import JSONTranscoder, RecordConflictError

from domain import rules
from domain.commands import GrantCommand, SubmitApplication
from domain.errors import GrantNotFoundError
from domain.grant import Grant, grant_id
from domain.state import GrantState
from ledger.schema import ensure_postgres_schema
from ledger.settings import persistence_env
from ledger.transcodings import register_domain_transcodings

CONFLICT_RETRIES = 5  # concurrent writers to one grant: reload and re-check this many times


@dataclass(frozen=True)
class RecordedEvent:
    """One stored event of a grant, as the ledger hands it to readers."""

    version: int
    recorded_at: datetime
    name: str
    fields: dict[str, Any]


class GrantLedger(Application[UUID]):
    name = "GrantLedger"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    def execute(self, command: GrantCommand, at: datetime | None = None) -> GrantState:
        """Record `command` (idempotent by its command id) and return the grant's state after it."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                return self._execute_once(command, at or datetime.now(UTC))
            except RecordConflictError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
        raise AssertionError  # unreachable: the loop returns or raises

    def state(self, grant_no: str) -> GrantState:
        return self._grant(grant_no).state

    def history(self, grant_no: str) -> list[RecordedEvent]:
        self._grant(grant_no)  # a clear GrantNotFoundError for an unknown number
        return [_recorded(event) for event in self.repository.event_store.get(grant_id(grant_no))]

    def grant_numbers(self) -> list[str]:
        """Every grant in the ledger, in the order they were first recorded."""
        seen: dict[UUID, str] = {}
        start = 1
        while notifications := self.recorder.select_notifications(start=start, limit=500):
            for notification in notifications:
                originator = cast("UUID", notification.originator_id)  # the recorder's ORIGINATOR_ID_TYPE is uuid
                if notification.originator_version == 1 and originator not in seen:
                    seen[originator] = self._grant_by_id(originator).state.grant_no
            start = notifications[-1].id + 1
        return list(seen.values())

    def count_events(self) -> int:
        return self.recorder.max_notification_id() or 0

    def _execute_once(self, command: GrantCommand, at: datetime) -> GrantState:
        if isinstance(command, SubmitApplication):
            return self._submit(command)
        grant = self._grant(command.grant_no)
        earlier = grant.version_of(command.command_id)
        if earlier is not None:
            return self._state_at(grant, earlier)
        grant.execute(command, at)
        self.save(grant)
        return grant.state

    def _submit(self, command: SubmitApplication) -> GrantState:
        try:
            grant = self._grant(command.grant_no)
        except GrantNotFoundError:
            grant = Grant.submit(command)
            self.save(grant)
            return grant.state
        earlier = grant.version_of(command.command_id)
        if earlier is not None:
            return self._state_at(grant, earlier)
        rules.is_repeat_application(grant.state, command)  # refuses different content
        return grant.state

    def _state_at(self, grant: Grant, version: int) -> GrantState:
        """The result a command returned when it was first recorded: the grant's state at its version."""
        return self._grant_by_id(grant.id, version=version).state

    def _grant(self, grant_no: str) -> Grant:
        try:
            return self._grant_by_id(grant_id(grant_no))
        except AggregateNotFoundError:
            raise GrantNotFoundError(grant_no) from None

    def _grant_by_id(self, aggregate_id: UUID, version: int | None = None) -> Grant:
        grant: Grant = self.repository.get(aggregate_id, version=version)
        return grant


def _recorded(event: DomainEventProtocol[UUID]) -> RecordedEvent:
    internal = {"originator_id", "originator_version", "timestamp", "originator_topic"}
    return RecordedEvent(
        version=event.originator_version,
        recorded_at=event.timestamp,  # type: ignore[attr-defined]
        name=type(event).__name__,
        fields={key: value for key, value in vars(event).items() if key not in internal},
    )


@contextmanager
def open_ledger(url: str) -> Iterator[GrantLedger]:
    """A ledger on `url`, closed (connections released) when the block ends."""
    env = persistence_env(url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        ensure_postgres_schema(url)
    ledger = GrantLedger(env=env)
    try:
        yield ledger
    finally:
        ledger.close()
