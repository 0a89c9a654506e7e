"""A grant's timeline (every event with the totals it led to) and its state as of any moment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from audit.history import describe
from domain.clock import SHANGHAI
from domain.errors import GrantNotFoundError
from domain.grant import Grant, grant_id
from domain.state import GrantState
from ledger.application import GrantLedger


@dataclass(frozen=True)
class TimelineEntry:
    version: int
    time: str  # Asia/Shanghai
    event: str
    actor: str
    stage: str  # after the event
    appropriated: str  # running totals after the event, in yuan
    disbursed: str
    returned: str
    decision: str  # the collective decision it rests on, if any
    hash: str  # the record's hash in the chain (first 16 hex digits)
    details: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def timeline(ledger: GrantLedger, grant_no: str) -> list[TimelineEntry]:
    """Every event of the grant, replayed once, with the state it left behind."""
    hashes = {record.link.version: record.link.hash for record in ledger.integrity.records_of(grant_id(grant_no))}
    entries: list[TimelineEntry] = []
    grant: Grant | None = None
    for recorded in ledger.repository.event_store.get(grant_id(grant_no)):
        grant = recorded.mutate(grant)  # type: ignore[attr-defined]
        if grant is None:
            continue
        state, facts = grant.state, dict(vars(recorded))
        entries.append(
            TimelineEntry(
                version=state.version,
                time=recorded.timestamp.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),  # type: ignore[attr-defined]
                event=type(recorded).__name__,
                actor=str(facts.get("actor", "")),
                stage=str(state.stage),
                appropriated=state.appropriated.yuan(),
                disbursed=state.disbursed.yuan(),
                returned=state.returned.yuan(),
                decision=str(facts.get("decision_ref", "")),
                hash=hashes.get(state.version, b"").hex()[:16],
                details=describe({k: v for k, v in facts.items() if k not in _INTERNAL}),
            )
        )
    if not entries:
        raise GrantNotFoundError(grant_no)
    return entries


_INTERNAL = {"originator_id", "originator_version", "timestamp", "originator_topic", "decision_ref"}


def state_as_of(
    ledger: GrantLedger, grant_no: str, at: datetime, version_at: Callable[[str, datetime], int]
) -> GrantState | None:
    """The grant as it stood at `at` (None before its application): the last version recorded by then.

    `version_at` finds that version in an index of recording times (`ledger.projections.version_index`), so only
    the events up to it are read and replayed, never the grant's later history.
    """
    version = version_at(grant_no, at)
    if version == 0:
        ledger.state(grant_no)  # an unknown grant is an error, not "not yet"
        return None
    grant: Grant = ledger.repository.get(grant_id(grant_no), version=version)
    return grant.state
