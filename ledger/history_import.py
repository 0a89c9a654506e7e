"""Histories made elsewhere, read for audit: JSON lines, one event per line, checked line by line.

Each line is one event, as it happened: what it was (`event`), when it was recorded (`at`, an instant with its
offset), who recorded it (`actor`), the grant it belongs to (`grant_no`; not on a decision's line) and its facts
(`fields`):

    {"grant_no": "HN-2019-ZX-0007", "event": "DisbursementRecorded", "at": "2019-07-15T10:00:00+08:00",
     "actor": "长沙市计生协 财务", "fields": {"amount": "300000.00", "paid_on": "2019-07-15", "payee": "...",
     "voucher": "", "decision_ref": "党组会:湘计生协党组纪要〔2019〕5号"}}

Money is in yuan ("300000.00", "1,200.00"), dates YYYY-MM-DD, scores like 93.5. The fields of each event
(every one required unless marked optional; the same as `grants history` shows):

    ApplicationSubmitted     grant_no, details {program, recipient, region, fiscal_year, title, requested,
                             period_start, period_end} (the first line of each grant)
    ApplicationApproved      approved, opinion, decision_ref
    ApplicationRejected      reason
    NoticeRecorded           document_no, issuer, issued_on, amount, budget_subject
    NoticeAcknowledged       (none)
    DisbursementRecorded     amount, paid_on, payee, voucher, decision_ref
    FundsReturned            amount, returned_on, reason, document_no
    PublicityStarted         starts_on, ends_on, place
    ObjectionRaised          raised_on, summary, extends_to
    ObjectionResolved        objection_no, resolved_on, resolution
    PublicityConcluded       concluded_on
    MajorChangeRecorded      kind, changed_on, description, decision_ref
    FinalReportSubmitted     people_reached, money_used, satisfaction, outcomes
    EvaluationRecorded       score, findings
    GrantClosed              (none)
    DeadlineMissed           kind, due_at (an instant)
    DecisionRecorded         body, minutes_ref, held_on, chair, members [names], present [names],
                             recused [names], items [{kind, grant_no, amount (or null), description,
                             votes [[member, for|against|abstain], ...] in the order stated, appointee (optional),
                             role (optional)}] (no grant_no on the line: the items name the grants)
    BeneficiariesRegistered  pay_by (a date, or null), beneficiaries [{name, id_number, card_account, category,
                             township, amount}] (after the grant's ApplicationSubmitted)
    BeneficiaryPaid          id_number, amount, paid_on, channel (一卡通, or how it was paid)

A decision's `kind` is large_fund_use, major_project, officer_change, scope_change or appointment; an
objection's `extends_to` is the day publicity then ran until. Names, ID numbers, card accounts and categories
are personal data: the ledger seals them with each person's own key, as `grants beneficiaries register` does,
and identifies a person paid by the keyed hash of their ID number, so none of it is stored in clear (importing
them needs the master key).

Nothing is checked against the rules when it is imported (that is what `grants audit check` does afterwards,
minutes included); each imported event is marked with the command id `import:LINE`. Every bad line is reported
with its number, and then nothing is imported.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from domain.commands import check_text
from domain.decisions import CollectiveDecision
from domain.errors import InvalidInputError
from domain.grant import Grant
from domain.personal import PersonalData, is_valid_id_number, mask_id_number
from domain.values import Money, Points

NOT_FROM_THE_FILE = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor", "command_id"}
DECISION_RECORDED = "DecisionRecorded"
BENEFICIARIES_REGISTERED = "BeneficiariesRegistered"
BENEFICIARY_PAID = "BeneficiaryPaid"
PERSONAL_DATA_EVENTS = frozenset({BENEFICIARIES_REGISTERED, BENEFICIARY_PAID})
PERSON_FIELDS = ("name", "id_number", "card_account", "category", "township", "amount")
PAYMENT_FIELDS = ("id_number", "amount", "paid_on", "channel")
NOBODY_YET = UUID(int=0)  # a person's id is derived with the master key, by the ledger; checks need none


class HistoryFileError(ValueError):
    pass


@dataclass(frozen=True)
class ImportedEvent:
    line: int
    grant_no: str  # empty for a decision, which is no grant's
    name: str
    at: datetime
    actor: str
    fields: dict[str, Any] = field(repr=False)  # may hold personal data: never in a log line or a traceback

    @property
    def command_id(self) -> str:
        """Marks the event as imported, and where from."""
        return f"import:{self.line}"


@dataclass(frozen=True, kw_only=True)
class ImportedPerson:
    """A beneficiary as a history made elsewhere lists them, checked as a registration checks them."""

    name: str
    id_number: str
    card_account: str
    category: str
    township: str
    amount: Money

    def __post_init__(self) -> None:
        self.personal(NOBODY_YET)  # the checks of PersonalData (name, ID number and its checksum, card)
        check_text("township", self.township)
        if not self.amount.is_positive:
            msg = f"the amount standard must be more than zero, got {self.amount}"
            raise InvalidInputError(msg)

    def personal(self, person_id: UUID) -> PersonalData:
        return PersonalData(
            person_id=person_id,
            name=self.name,
            id_number=self.id_number,
            card_account=self.card_account,
            category=self.category,
        )

    def __repr__(self) -> str:  # never let personal data slip into a log line or a traceback
        return f"ImportedPerson({mask_id_number(self.id_number)}, <personal data>)"


def holds_personal_data(events: Iterable[ImportedEvent]) -> bool:
    """Whether importing these events needs the master key (to seal people's data and derive their ids)."""
    return any(event.name in PERSONAL_DATA_EVENTS for event in events)


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
    if not isinstance(raw, dict):
        msg = "a line must be one JSON object"
        raise TypeError(msg)
    name = str(raw["event"])
    at = datetime.fromisoformat(str(raw["at"]))
    if at.tzinfo is None:
        msg = f"instant {raw['at']} has no offset (write it like 2019-07-15T10:00:00+08:00)"
        raise ValueError(msg)
    at = at.astimezone(UTC)  # instants are stored in UTC
    given = raw.get("fields", {})
    if not isinstance(given, dict):
        msg = f"the fields of {name} must be a JSON object"
        raise TypeError(msg)
    if name == BENEFICIARIES_REGISTERED:
        converted = _registration(given)
    elif name == BENEFICIARY_PAID:
        converted = _payment(given)
    elif name == DECISION_RECORDED:
        converted = _event_fields(CollectiveDecision.DecisionRecorded, name, given)  # type: ignore[attr-defined]
        return ImportedEvent(number, str(raw.get("grant_no", "")), name, at, str(raw["actor"]), converted)
    else:
        event_class = getattr(Grant, name, None)
        if not isinstance(event_class, type):
            msg = (
                f"{name!r} is not an event that can be imported (a grant's events, {DECISION_RECORDED}, "
                f"{BENEFICIARIES_REGISTERED}, {BENEFICIARY_PAID})"
            )
            raise TypeError(msg)
        converted = _event_fields(event_class, name, given)
    return ImportedEvent(number, str(raw["grant_no"]), name, at, str(raw["actor"]), converted)


def _event_fields(event_class: type, name: str, given: dict[str, Any]) -> dict[str, Any]:
    """The event's own fields (each required), converted to the types it declares."""
    hints = typing.get_type_hints(event_class)
    wanted = file_fields(event_class)
    _refuse_unknown(name, given, wanted)
    return {field: _value(hints[field], given[field]) for field in wanted}


def file_fields(event_class: type) -> list[str]:
    """The fields of an event that a line gives (not who recorded it, when, or the ledger's own bookkeeping)."""
    hints = typing.get_type_hints(event_class)
    return [field for field in hints if field not in NOT_FROM_THE_FILE and not field.startswith("originator")]


def _refuse_unknown(name: str, given: dict[str, Any], wanted: Iterable[str]) -> None:
    unknown = sorted(set(given) - set(wanted))
    if unknown:
        msg = f"{name} has no field(s) {', '.join(unknown)}"
        raise ValueError(msg)


def _registration(given: dict[str, Any]) -> dict[str, Any]:
    _refuse_unknown(BENEFICIARIES_REGISTERED, given, ("pay_by", "beneficiaries"))
    listed = given["beneficiaries"]
    if not isinstance(listed, list) or not listed:
        msg = "beneficiaries must be a list of at least one person"
        raise ValueError(msg)
    people = []
    for index, person in enumerate(listed, start=1):
        try:
            people.append(_person(person))
        except (KeyError, TypeError, ValueError) as error:
            reason = f"{error.args[0]!r} is missing" if isinstance(error, KeyError) else str(error)
            msg = f"beneficiary {index}: {reason}"
            raise ValueError(msg) from None
    pay_by = given.get("pay_by")
    return {"beneficiaries": people, "pay_by": None if pay_by is None else date.fromisoformat(str(pay_by))}


def _person(given: object) -> ImportedPerson:
    if not isinstance(given, dict):
        msg = f"a beneficiary must be a JSON object of {', '.join(PERSON_FIELDS)}"
        raise TypeError(msg)
    _refuse_unknown("a beneficiary", given, PERSON_FIELDS)
    text = {key: str(given[key]).strip() for key in PERSON_FIELDS if key != "amount"}
    return ImportedPerson(
        **{**text, "id_number": text["id_number"].upper()}, amount=Money.parse_yuan(str(given["amount"]))
    )


def _payment(given: dict[str, Any]) -> dict[str, Any]:
    _refuse_unknown(BENEFICIARY_PAID, given, PAYMENT_FIELDS)
    id_number = str(given["id_number"]).strip().upper()
    if not is_valid_id_number(id_number):
        msg = f"ID number {mask_id_number(id_number)} is not a valid resident ID (18 characters, checksum)"
        raise ValueError(msg)
    amount = Money.parse_yuan(str(given["amount"]))
    if not amount.is_positive:
        msg = f"the payment must be more than zero, got {amount}"
        raise ValueError(msg)
    channel = str(given["channel"])
    check_text("channel", channel)
    return {
        "id_number": id_number,
        "amount": amount,
        "paid_on": date.fromisoformat(str(given["paid_on"])),
        "channel": channel,
    }


def _value(hint: Any, value: Any) -> Any:  # noqa: ANN401, PLR0911 - one conversion per type an event holds
    """A JSON value as the type the event declares (validating it on the way)."""
    if typing.get_origin(hint) is not None:
        return _generic(hint, value)
    if hint is Money:
        return Money.parse_yuan(str(value))
    if hint is Points:
        return Points.parse(str(value))
    if hint is date:
        return date.fromisoformat(str(value))
    if hint is datetime:
        return datetime.fromisoformat(str(value))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(str(value))
    if is_dataclass(hint) and isinstance(hint, type):
        return _dataclass(hint, value)
    if hint is int:
        return int(value)
    if hint is str:
        return str(value)
    msg = f"cannot read a {hint} from {value!r}"
    raise InvalidInputError(msg)


def _generic(hint: Any, value: Any) -> Any:  # noqa: ANN401 - a JSON value as `X | None`, `list[X]` or a tuple
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in {types.UnionType, typing.Union} and type(None) in args:
        other = next(arg for arg in args if arg is not type(None))
        return None if value is None else _value(other, value)
    if origin is list:
        return [_value(args[0], item) for item in _sequence(value)]
    if origin is tuple:
        items = _sequence(value)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_value(args[0], item) for item in items)
        if len(items) != len(args):
            msg = f"{value!r} must hold {len(args)} values"
            raise ValueError(msg)
        return tuple(_value(arg, item) for arg, item in zip(args, items, strict=True))
    msg = f"cannot read a {hint} from {value!r}"
    raise InvalidInputError(msg)


def _sequence(value: Any) -> list[Any]:  # noqa: ANN401 - a JSON value
    if not isinstance(value, list):
        msg = f"{value!r} must be a list"
        raise TypeError(msg)
    return value


def _dataclass(hint: type, value: Any) -> Any:  # noqa: ANN401 - a JSON value, and the dataclass made of it
    """A JSON object as the dataclass `hint`: its fields with a default may be left out."""
    if not isinstance(value, dict):
        msg = f"a {hint.__name__} must be a JSON object"
        raise TypeError(msg)
    declared = fields(hint)
    _refuse_unknown(f"a {hint.__name__}", value, [f.name for f in declared])
    nested = typing.get_type_hints(hint)
    optional = {f.name for f in declared if f.default is not MISSING or f.default_factory is not MISSING}
    given = {
        f.name: _value(nested[f.name], value[f.name]) for f in declared if f.name in value or f.name not in optional
    }
    return hint(**given)
