"""Histories made elsewhere, read for audit: JSON lines, one event per line, checked line by line.

Each line is one event of a grant, as it happened:

    {"grant_no": "HN-2019-ZX-0007", "event": "DisbursementRecorded", "at": "2019-07-15T10:00:00+08:00",
     "actor": "长沙市计生协 财务", "fields": {"amount": "300000.00", "paid_on": "2019-07-15", "payee": "...",
     "voucher": "", "decision_ref": ""}}

`event` is an event of `grants history` (ApplicationSubmitted first); `fields` are that event's own fields,
money in yuan, dates as YYYY-MM-DD, instants with their offset, scores like 93.5. Nothing is checked against
the rules when it is imported (that is what `grants audit check` does afterwards); every bad line is reported
with its number, and then nothing is imported.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime
from typing import Any

from domain.errors import InvalidInputError
from domain.grant import Grant
from domain.values import Money, Points

NOT_FROM_THE_FILE = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor", "command_id"}


class HistoryFileError(ValueError):
    pass


@dataclass(frozen=True)
class ImportedEvent:
    line: int
    grant_no: str
    name: str
    at: datetime
    actor: str
    fields: dict[str, Any]

    @property
    def command_id(self) -> str:
        """Marks the event as imported, and where from."""
        return f"import:{self.line}"


def parse_history(lines: Iterable[str], source: str) -> list[ImportedEvent]:
    events, problems = [], []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            events.append(_parse_line(number, text))
        except (KeyError, TypeError, ValueError) as error:
            reason = f"{error.args[0]!r} is missing" if isinstance(error, KeyError) else str(error)
            problems.append(f"line {number}: {reason}")
    if problems:
        msg = f"{source}: {len(problems)} bad line(s), nothing imported: {'; '.join(problems)}"
        raise HistoryFileError(msg)
    if not events:
        msg = f"{source} holds no events"
        raise HistoryFileError(msg)
    return events


def _parse_line(number: int, text: str) -> ImportedEvent:
    raw = json.loads(text)
    name = str(raw["event"])
    event_class = getattr(Grant, name, None)
    if not isinstance(event_class, type):
        msg = f"{name!r} is not an event of a grant"
        raise TypeError(msg)
    at = datetime.fromisoformat(str(raw["at"]))
    if at.tzinfo is None:
        msg = f"instant {raw['at']} has no offset (write it like 2019-07-15T10:00:00+08:00)"
        raise ValueError(msg)
    at = at.astimezone(UTC)  # instants are stored in UTC
    hints = typing.get_type_hints(event_class)
    wanted = [field for field in hints if field not in NOT_FROM_THE_FILE and not field.startswith("originator")]
    given = raw.get("fields", {})
    unknown = sorted(set(given) - set(wanted))
    if unknown:
        msg = f"{name} has no field(s) {', '.join(unknown)}"
        raise ValueError(msg)
    converted = {field: _value(hints[field], given[field]) for field in wanted}
    return ImportedEvent(number, str(raw["grant_no"]), name, at, str(raw["actor"]), converted)


def _value(hint: Any, value: Any) -> Any:  # noqa: ANN401, PLR0911 - one conversion per type an event holds
    """A JSON value as the type the event declares (validating it on the way)."""
    if hint is Money:
        return Money.parse_yuan(str(value))
    if hint is Points:
        return Points.parse(str(value))
    if hint is date:
        return date.fromisoformat(str(value))
    if hint is datetime:
        return datetime.fromisoformat(str(value))
    if is_dataclass(hint) and isinstance(hint, type):
        nested = typing.get_type_hints(hint)
        return hint(**{f.name: _value(nested[f.name], value[f.name]) for f in fields(hint)})
    if hint is int:
        return int(value)
    if hint is str:
        return str(value)
    msg = f"cannot read a {hint} from {value!r}"
    raise InvalidInputError(msg)
