"""How the domain's value objects are stored inside events (JSON via eventsourcing's transcoder)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.commands import ApplicationDetails
from domain.decisions import DecisionItem, DecisionKind, Vote
from domain.values import Money, Points


class MoneyAsFen(Transcoding):
    type = Money
    name = "money_fen"

    def encode(self, obj: Money) -> int:
        return obj.fen

    def decode(self, data: int) -> Money:
        return Money(data)


class PointsAsTenths(Transcoding):
    type = Points
    name = "points_tenths"

    def encode(self, obj: Points) -> int:
        return obj.tenths

    def decode(self, data: int) -> Points:
        return Points(data)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ApplicationDetailsAsDict(Transcoding):
    type = ApplicationDetails
    name = "application_details"

    def encode(self, obj: ApplicationDetails) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> ApplicationDetails:
        return ApplicationDetails(**data)


class DecisionItemAsDict(Transcoding):
    type = DecisionItem
    name = "decision_item"

    def encode(self, obj: DecisionItem) -> dict[str, Any]:
        return {
            "kind": obj.kind.value,
            "grant_no": obj.grant_no,
            "amount": obj.amount,
            "description": obj.description,
            "votes": [[member, vote.value] for member, vote in obj.votes],
            "appointee": obj.appointee,
            "role": obj.role,
        }

    def decode(self, data: dict[str, Any]) -> DecisionItem:
        return DecisionItem(
            kind=DecisionKind(data["kind"]),
            grant_no=data["grant_no"],
            amount=data["amount"],
            description=data["description"],
            votes=tuple((member, Vote(vote)) for member, vote in data["votes"]),
            appointee=data.get("appointee", ""),  # absent from items recorded before appointments were decided
            role=data.get("role", ""),
        )


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    for transcoding in (
        MoneyAsFen(),
        PointsAsTenths(),
        DateAsISO(),
        ApplicationDetailsAsDict(),
        DecisionItemAsDict(),
    ):
        transcoder.register(transcoding)
