"""Personal data of beneficiaries (上报名单): who they are, kept apart so that it can be sealed and later erased.

Beneficiary lists hold names, ID numbers, one-card accounts and a sensitive category (PIPL art. 28). The
domain only says what is personal (`PersonalData`) and what is not (the person's pseudonymous id, their
township, the amount); the ledger seals each person's `PersonalData` with that person's own key, so that
destroying the key erases them everywhere while every stored byte, and so the hash chain, stays as it was
(crypto-shredding, PIPL art. 47). Erasure is itself an event, refused before the retention period ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.commands import GrantCommand, check_values
from domain.errors import GrantError, GrantRuleViolation, InvalidInputError
from domain.values import Money

ID_NUMBER = re.compile(r"\d{17}[\dX]", re.ASCII)  # ASCII digits: full-width ones would name the person twice
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"
LIST_NAMESPACE = uuid5(NAMESPACE_URL, "urn:grant-ledger:beneficiary-list")


def is_valid_id_number(id_number: str) -> bool:
    """A resident identity number (GB 11643): 17 digits and a check character (ISO 7064 MOD 11-2)."""
    if not ID_NUMBER.fullmatch(id_number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(id_number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARACTERS[total % 11] == id_number[17]


def mask_id_number(id_number: str) -> str:
    """What may be published (R8): the first 2 and the last 3 characters, e.g. 43*************123."""
    return id_number[:2] + "*" * (len(id_number) - 5) + id_number[-3:]


@dataclass(frozen=True, kw_only=True)
class PersonalData:
    """Everything that identifies a beneficiary; stored only sealed with the person's own key."""

    person_id: UUID
    name: str
    id_number: str
    card_account: str  # the one-card (一卡通) account, in the beneficiary's own name
    category: str  # e.g. 计生特殊家庭: sensitive (health and family-planning status)

    def __post_init__(self) -> None:
        check_values(self)
        if not self.name.strip():
            msg = "a beneficiary's name must not be empty"
            raise InvalidInputError(msg)
        if not is_valid_id_number(self.id_number):
            msg = f"ID number {mask_id_number(self.id_number)} is not a valid resident ID (18 characters, checksum)"
            raise InvalidInputError(msg)
        if not self.card_account.strip():
            msg = f"beneficiary {self.name}: the one-card account must not be empty"
            raise InvalidInputError(msg)

    def __repr__(self) -> str:  # never let personal data slip into a log line or a traceback
        return f"PersonalData(person_id={self.person_id}, <sealed>)"


@dataclass(frozen=True)
class UnreadablePersonalData:
    """A person's sealed data that cannot be opened: their key was destroyed, or no master key was given."""

    person_id: UUID
    reason: str  # "erased" or "sealed"


@dataclass(frozen=True, kw_only=True)
class Beneficiary:
    person_id: UUID
    personal: PersonalData | UnreadablePersonalData
    township: str  # published with the amount during publicity
    amount: Money  # the amount standard for this person


@dataclass(frozen=True, kw_only=True)
class RegisterBeneficiaries(GrantCommand):
    """The registered beneficiary list (上报名单) of a grant, or more names added to it."""

    beneficiaries: tuple[Beneficiary, ...]
    pay_by: date | None = None  # the list's deadline for paying the people on it (R7)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.beneficiaries:
            msg = "a beneficiary list must name at least one person"
            raise InvalidInputError(msg)
        for beneficiary in self.beneficiaries:
            if not isinstance(beneficiary.personal, PersonalData):
                msg = f"person {beneficiary.person_id}: a list is registered with each person's personal data"
                raise InvalidInputError(msg)
            if not beneficiary.amount.is_positive:
                msg = f"person {beneficiary.person_id}: the amount standard must be more than zero"
                raise InvalidInputError(msg)


ONE_CARD = "一卡通"  # the one-card system: subsidies paid into a card in the beneficiary's own name (R7)


@dataclass(frozen=True, kw_only=True)
class PayBeneficiary(GrantCommand):
    """Money for one person on the registered list, paid (as the finance office records it)."""

    person_id: UUID
    amount: Money
    paid_on: date
    channel: str  # 一卡通, or anything else (which R7 refuses)
    card_account: str  # the account paid into: checked against the registered one, never stored

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.amount.is_positive:
            msg = f"person {self.person_id}: the payment must be more than zero, got {self.amount}"
            raise InvalidInputError(msg)


def beneficiary_list_id(grant_no: str) -> UUID:
    return uuid5(LIST_NAMESPACE, grant_no)


class BeneficiaryList(Aggregate):
    """A grant's registered beneficiaries: one event per registration, personal data sealed by the ledger.

    Kept apart from the `Grant` so that a list of thousands never slows the replay of the grant itself.
    """

    @staticmethod
    def create_id(grant_no: str, **_: Any) -> UUID:  # noqa: ANN401 - eventsourcing passes the event's fields
        return beneficiary_list_id(grant_no)

    @event("BeneficiaryListOpened")
    def __init__(self, grant_no: str) -> None:
        self.grant_no = grant_no
        self.people: dict[UUID, Beneficiary] = {}
        self.command_ids: set[str] = set()
        self.pay_by: date | None = None
        self.paid: set[UUID] = set()

    @classmethod
    def imported(cls, grant_no: str, at: datetime) -> BeneficiaryList:
        """A grant's list from a history made elsewhere, opened as and when it was: audit-only, nothing checked."""
        names: BeneficiaryList = cls._create(
            cls.BeneficiaryListOpened,  # type: ignore[attr-defined]  # made by @event
            timestamp=at,
            grant_no=grant_no,
        )
        return names

    def import_registration(
        self, beneficiaries: list[Beneficiary], pay_by: date | None, actor: str, command_id: str, at: datetime
    ) -> None:
        """People registered elsewhere, as they were: R7 judges the payments against them on replay."""
        self.trigger_event(
            self.BeneficiariesRegistered,  # type: ignore[attr-defined]  # made by @event
            timestamp=at,
            beneficiaries=beneficiaries,
            pay_by=pay_by,
            actor=actor,
            command_id=command_id,
        )

    def import_payment(
        self, person_id: UUID, amount: Money, paid_on: date, channel: str, actor: str, command_id: str, at: datetime
    ) -> None:
        """A payment made elsewhere, as it was, whether or not R7 allowed it (`grants audit check` tells)."""
        self.trigger_event(
            self.BeneficiaryPaid,  # type: ignore[attr-defined]  # made by @event
            timestamp=at,
            person_id=person_id,
            amount=amount,
            paid_on=paid_on,
            channel=channel,
            actor=actor,
            command_id=command_id,
        )

    def register(self, command: RegisterBeneficiaries) -> None:
        if command.command_id and command.command_id in self.command_ids:
            return  # a retried registration: recorded already
        again = [b.person_id for b in command.beneficiaries if b.person_id in self.people]
        if again:
            raise GrantRuleViolation(
                self.grant_no,
                "R7 registered list",
                f"{len(again)} person(s) are already on the list (first: {again[0]})",
                "register only people who are not on the list yet",
            )
        self._registered(list(command.beneficiaries), command.pay_by, command.actor, command.command_id)

    def pay(self, command: PayBeneficiary, registered_card: str | None) -> None:
        """R7: pay only a person on the list, their amount standard, by the deadline, into their own one-card."""
        if command.command_id and command.command_id in self.command_ids:
            return  # a retried payment: recorded already
        problem, fix = self.payment_problem(command.person_id, command.amount, command.paid_on, command.channel)
        if not problem:
            problem, fix = _card_problem(command, registered_card)
        if problem:
            raise GrantRuleViolation(self.grant_no, "R7 registered list", f"person {command.person_id}: {problem}", fix)
        self._paid(
            command.person_id, command.amount, command.paid_on, command.channel, command.actor, command.command_id
        )

    def payment_problem(self, person_id: UUID, amount: Money, paid_on: date, channel: str) -> tuple[str, str]:
        """What is wrong with paying `person_id` now, as the list stands (and the fix), or two empty strings."""
        person = self.people.get(person_id)
        if person is None:
            return "is not on the registered list", "pay only people on the list, or register them first"
        if person_id in self.paid:
            return "has been paid already", "each person on the list is paid once"
        if amount != person.amount:
            return f"the payment of {amount} is off the amount standard of {person.amount}", "pay the standard"
        if self.pay_by is not None and paid_on > self.pay_by:
            return f"paid on {paid_on}, after the list's deadline of {self.pay_by}", "pay within the deadline"
        if channel != ONE_CARD:
            return f"paid through {channel!r}, not the one-card system ({ONE_CARD})", f"pay through {ONE_CARD}"
        return "", ""

    @event("BeneficiariesRegistered")
    def _registered(self, beneficiaries: list[Beneficiary], pay_by: date | None, actor: str, command_id: str) -> None:
        self.people.update((beneficiary.person_id, beneficiary) for beneficiary in beneficiaries)
        self.command_ids.add(command_id)
        self.pay_by = pay_by or self.pay_by

    @event("BeneficiaryPaid")
    def _paid(self, person_id: UUID, amount: Money, paid_on: date, channel: str, actor: str, command_id: str) -> None:
        self.paid.add(person_id)
        self.command_ids.add(command_id)


def _card_problem(command: PayBeneficiary, registered_card: str | None) -> tuple[str, str]:
    """Whether the card paid into is the one registered in the person's own name (only checkable when paid)."""
    if registered_card is None:
        return "their personal data is erased or sealed", "check the payment with the master key, before erasure"
    if command.card_account != registered_card:
        return "the card paid into is not the one registered in their own name", "pay into their own one-card"
    return "", ""


class PersonalDataRetainedError(GrantError):
    def __init__(self, person_id: UUID, until: datetime) -> None:
        super().__init__(
            f"person {person_id}: retention period: their personal data must be kept until {until:%Y-%m-%d} "
            "(the records they appear in are still within it). Fix: erase them after that date"
        )


ERASURE_AT_END_OF_RETENTION = "PIPL art. 47(1): the retention period is over"


class Person(Aggregate):
    """A beneficiary as the ledger knows them without their personal data: where they appear, and erasure."""

    class PersonalDataErased(Aggregate.Event):
        """Version 2 records the legal basis of the erasure.

        Erasures recorded before it (version 1) could only happen once the retention period was over,
        so that is their basis: the upcast states it, and the stored bytes stay as they were written.
        """

        class_version = 2
        reason: str
        actor: str
        legal_basis: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["legal_basis"] = ERASURE_AT_END_OF_RETENTION

    @staticmethod
    def create_id(person_id: UUID, **_: Any) -> UUID:  # noqa: ANN401 - eventsourcing passes the event's fields
        return person_id

    @event("PersonRecorded")
    def __init__(self, person_id: UUID, grant_no: str) -> None:
        self.grants = [grant_no]
        self.erased = False

    @classmethod
    def imported(cls, person_id: UUID, grant_no: str, at: datetime) -> Person:
        """A person first listed in a history made elsewhere, as and when they were."""
        person: Person = cls._create(
            cls.PersonRecorded,  # type: ignore[attr-defined]  # made by @event
            timestamp=at,
            person_id=person_id,
            grant_no=grant_no,
        )
        return person

    @event("PersonAddedToList")
    def add_to(self, grant_no: str) -> None:
        self.grants.append(grant_no)

    def import_listing(self, grant_no: str, at: datetime) -> None:
        """The person listed on another grant in a history made elsewhere, then."""
        self.trigger_event(self.PersonAddedToList, timestamp=at, grant_no=grant_no)  # type: ignore[attr-defined]

    def erase(self, reason: str, actor: str, at: datetime, retention: timedelta) -> None:
        """Record the erasure, unless the retention period that began with the last listing is still running."""
        until = self.modified_on + retention
        if at < until:
            raise PersonalDataRetainedError(self.id, until)
        if not self.erased:
            self._erased(reason, actor, ERASURE_AT_END_OF_RETENTION)

    @event(PersonalDataErased)
    def _erased(self, reason: str, actor: str, legal_basis: str) -> None:
        self.erased = True
        self.legal_basis = legal_basis
