"""A grant's history as rows a person reads: version, time in Shanghai, event, actor and what it recorded."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from typing import Any

from domain.clock import SHANGHAI
from domain.values import Money, Points
from ledger.application import RecordedEvent

NOT_SHOWN = {"actor", "command_id", "grant_no"}


@dataclass(frozen=True)
class HistoryRow:
    version: int
    time: str
    event: str
    actor: str
    details: str


def history_rows(events: list[RecordedEvent]) -> list[HistoryRow]:
    return [
        HistoryRow(
            version=event.version,
            time=event.recorded_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            event=event.name,
            actor=str(event.fields.get("actor", "")),
            details=describe(event.fields),
        )
        for event in events
    ]


def describe(recorded: dict[str, Any]) -> str:
    """The event's own facts, money in yuan, empty values left out."""
    shown = {key: value for key, value in recorded.items() if key not in NOT_SHOWN and value not in ("", None)}
    return ", ".join(f"{key}={_plain(value)}" for key, value in shown.items())


def _plain(value: object) -> str:
    if isinstance(value, Money):
        return value.yuan()
    if isinstance(value, Points | date):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return "{" + describe({f.name: getattr(value, f.name) for f in fields(value)}) + "}"
    return str(value)
