"""The projection of the ledger into the read models (ledger/read_models.py), each event exactly once.

It pulls the ledger's notification log in batches. A batch's rows and the position it reached are written
in ONE transaction, which first moves the tracked position from where the batch began to where it ends
(compare and set): a crash part-way leaves rows and position as they were, so the next catch-up applies the
batch once; and of two catch-ups running at once, the second finds the position moved and carries on from
there instead of applying the batch again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any, cast
from uuid import UUID

import structlog
from eventsourcing.application import LocalNotificationLog
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic
from sqlalchemy import Connection, Engine, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from domain.decisions import CollectiveDecision, r5_problems
from domain.grant import Grant
from domain.personal import BeneficiaryList
from ledger.application import GrantLedger, open_ledger
from ledger.read_models import (
    PAYEE_BENEFICIARY,
    PAYEE_OTHER,
    PAYEE_RECIPIENT,
    PROJECTED_TABLES,
    GrantFilter,
    GrantSummary,
    beneficiary_lists,
    decisions,
    grant_summaries,
    grant_versions,
    grants,
    opened_read_models,
    payments,
    positions,
    version_at,
)

PROJECTION = "grant-read-models"
BATCH_SIZE = 500  # notifications per transaction
KEPT_GRANTS = 5_000  # grants kept in memory between their events (a few MB), so their history is not read again

log = structlog.get_logger(__name__)


def _topics(*event_classes: object) -> frozenset[str]:
    return frozenset(get_topic(cast("type", event_class)) for event_class in event_classes)


# Only the events the read models need: the personal data of beneficiary lists is never even decoded.
GRANT_TOPICS = _topics(*(value for value in vars(Grant).values() if isinstance(value, type)))
DISBURSEMENT_TOPIC = get_topic(Grant.DisbursementRecorded)  # type: ignore[attr-defined]  # made by @event
DECISION_TOPICS = _topics(CollectiveDecision.DecisionRecorded)  # type: ignore[attr-defined]  # made by @event
LIST_OPENED_TOPICS = _topics(BeneficiaryList.BeneficiaryListOpened)  # type: ignore[attr-defined]
BENEFICIARY_PAID_TOPICS = _topics(BeneficiaryList.BeneficiaryPaid)  # type: ignore[attr-defined]
TOPICS = sorted(GRANT_TOPICS | DECISION_TOPICS | LIST_OPENED_TOPICS | BENEFICIARY_PAID_TOPICS)


def current_grants(ledger_url: str, quorum: Fraction, where: GrantFilter | None = None) -> list[GrantSummary]:
    """The grants matching `where` from the read models beside the ledger at `ledger_url`, caught up first."""
    with open_ledger(ledger_url) as ledger, opened_read_models(ledger_url) as engine:
        GrantProjection(ledger, engine, quorum).catch_up()
        with engine.connect() as connection:
            return grant_summaries(connection, where or GrantFilter())


@contextmanager
def version_index(ledger: GrantLedger, ledger_url: str, quorum: Fraction) -> Iterator[Callable[[str, datetime], int]]:
    """`version_at(grant_no, at)`: the grant's last version recorded by `at` (0 before its first), by the read
    models' index of recording times, caught up with `ledger` first."""
    with opened_read_models(ledger_url) as engine:
        projection = GrantProjection(ledger, engine, quorum)

        def version_of(grant_no: str, at: datetime) -> int:
            projection.catch_up()
            with engine.connect() as connection:
                return version_at(connection, grant_no, at)

        yield version_of


class PositionMovedError(Exception):
    """Another catch-up applied this batch first (the tracked position is no longer where the batch began)."""


@dataclass
class Batch:
    """What one batch of notifications changes in the read models, and the positions it goes from and to."""

    start: int
    end: int
    lists: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)  # a beneficiary's names its list, not its grant
    decisions: list[dict[str, Any]] = field(default_factory=list)
    grants: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)  # when each grant event was recorded


class GrantProjection:
    """Keeps the read models up to date with `ledger`, in the database `engine` points at."""

    def __init__(self, ledger: GrantLedger, engine: Engine, quorum: Fraction, batch_size: int = BATCH_SIZE) -> None:
        """`quorum` is the one by which decisions are judged valid (R5): the funding body's rules."""
        self._ledger = ledger
        self._engine = engine
        self._quorum = quorum
        self._log = LocalNotificationLog(ledger.recorder, section_size=batch_size)
        self._batch_size = batch_size
        self._grants: OrderedDict[UUID, Grant] = OrderedDict()  # each grant as of the last event projected

    def catch_up(self) -> int:
        """Project every event recorded since the tracked position; return how many notifications were read."""
        read = 0
        while True:
            start = self.position()
            notifications = self._log.select(start, self._batch_size, topics=TOPICS, inclusive_of_start=False)
            if not notifications:
                return read
            try:
                self._commit(self._batch(start, notifications))
            except PositionMovedError:
                log.info("read models moved on by another catch-up", projection=PROJECTION, position=start)
                continue
            read += len(notifications)

    def rebuild(self) -> int:
        """Empty the read models and project the whole ledger again; return how many notifications were read."""
        with self._engine.begin() as connection:
            for table in PROJECTED_TABLES:
                connection.execute(delete(table))
            connection.execute(delete(positions).where(positions.c.projection == PROJECTION))
        return self.catch_up()

    def position(self) -> int:
        """The notification id up to which the read models are current (0: nothing projected yet)."""
        with self._engine.connect() as connection:
            position = connection.scalar(select(positions.c.position).where(positions.c.projection == PROJECTION))
        if position is not None:
            return int(position)
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(positions).values(projection=PROJECTION, position=0))
        except IntegrityError:
            pass  # another catch-up started tracking at the same moment
        return 0

    def _batch(self, start: int, notifications: Sequence[Notification]) -> Batch:
        batch = Batch(start=start, end=notifications[-1].id)
        touched: dict[UUID, Grant] = {}
        for notification in notifications:
            if notification.topic in GRANT_TOPICS:
                grant = self._grant_after(notification)
                touched[grant.id] = grant
                batch.versions.append(
                    {"grant_no": grant.state.grant_no, "version": grant.version, "recorded_at": grant.modified_on}
                )
                if notification.topic == DISBURSEMENT_TOPIC:
                    batch.payments.append(_disbursement_row(notification, grant))
            elif notification.topic in DECISION_TOPICS:
                batch.decisions.append(self._decision_row(notification))
            else:
                self._add_list_event(batch, notification)
        batch.grants = [_summary_row(grant) for grant in touched.values()]
        return batch

    def _grant_after(self, notification: Notification) -> Grant:
        """The grant with this notification's event applied: to the copy kept from the event before, if any.

        Each event is decoded once, and a grant's earlier events are read from the ledger only when it was not
        kept (the first time a catch-up meets it, or when a batch was abandoned after applying its events).
        """
        grant_id, version = _originator(notification), notification.originator_version
        kept = self._grants.pop(grant_id, None)
        if kept is None or kept.version != version - 1:
            kept = None if version == 1 else cast("Grant", self._ledger.repository.get(grant_id, version=version - 1))
        grant = cast("Grant", self._event(notification).mutate(kept))  # type: ignore[attr-defined]
        self._grants[grant_id] = grant
        if len(self._grants) > KEPT_GRANTS:
            self._grants.popitem(last=False)  # the grant that has waited longest for an event
        return grant

    def _event(self, notification: Notification) -> DomainEventProtocol[Any]:
        return self._ledger.mapper.to_domain_event(notification)

    def _add_list_event(self, batch: Batch, notification: Notification) -> None:
        recorded: Any = self._event(notification)
        if notification.topic in LIST_OPENED_TOPICS:
            batch.lists.append({"list_id": str(notification.originator_id), "grant_no": recorded.grant_no})
            return
        batch.payments.append(
            {
                "position": notification.id,
                "list_id": str(notification.originator_id),
                "amount_fen": recorded.amount.fen,
                "paid_on": recorded.paid_on,
                "recorded_at": recorded.timestamp,
                "payee_kind": PAYEE_BENEFICIARY,
            }
        )

    def _decision_row(self, notification: Notification) -> dict[str, Any]:
        decision = cast(
            "CollectiveDecision",
            self._ledger.repository.get(_originator(notification), version=notification.originator_version),
        )
        problems = r5_problems(decision.as_minutes(), self._quorum)
        return {
            "body": decision.body,
            "minutes_ref": decision.minutes_ref,
            "held_on": decision.held_on,
            "items": len(decision.items),
            "grant_nos": ",".join(dict.fromkeys(item.grant_no for item in decision.items)),
            "valid": not problems,
            "problems": "; ".join(problems),
            "quorum": str(self._quorum),
        }

    def _commit(self, batch: Batch) -> None:
        """Write the batch's rows and move the position, all in one transaction (or nothing at all)."""
        with self._engine.begin() as connection:
            moved = connection.execute(
                update(positions)
                .where(positions.c.projection == PROJECTION, positions.c.position == batch.start)
                .values(position=batch.end)
            )
            if moved.rowcount != 1:
                raise PositionMovedError
            self._write(connection, beneficiary_lists, batch.lists)
            self._write(connection, payments, [_with_grant(connection, row) for row in batch.payments])
            self._write(connection, decisions, batch.decisions)
            connection.execute(delete(grants).where(grants.c.grant_no.in_([row["grant_no"] for row in batch.grants])))
            self._write(connection, grants, batch.grants)
            self._write(connection, grant_versions, batch.versions)
        log.debug("read models caught up", projection=PROJECTION, position=batch.end)

    def _write(self, connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            connection.execute(insert(table), rows)  # one statement, executed for every row


def _originator(notification: Notification) -> UUID:
    return cast("UUID", notification.originator_id)  # the recorders' ORIGINATOR_ID_TYPE is uuid


def _with_grant(connection: Connection, row: dict[str, Any]) -> dict[str, Any]:
    """A beneficiary's payment with its grant (from its list, projected in this batch or before it)."""
    if "grant_no" in row:
        return row
    grant_no = connection.scalar(
        select(beneficiary_lists.c.grant_no).where(beneficiary_lists.c.list_id == row["list_id"])
    )
    return {**{key: value for key, value in row.items() if key != "list_id"}, "grant_no": grant_no}


def _disbursement_row(notification: Notification, grant: Grant) -> dict[str, Any]:
    state = grant.state
    paid = state.payments[-1]
    return {
        "position": notification.id,
        "grant_no": state.grant_no,
        "amount_fen": paid.amount.fen,
        "paid_on": paid.paid_on,
        "recorded_at": grant.modified_on,
        "payee_kind": PAYEE_RECIPIENT if paid.payee == state.application.recipient else PAYEE_OTHER,
    }


def _summary_row(grant: Grant) -> dict[str, Any]:
    state = grant.state
    application = state.application
    return {
        "grant_no": state.grant_no,
        "region": application.region,
        "program": application.program,
        "fiscal_year": application.fiscal_year,
        "recipient": application.recipient,
        "stage": str(state.stage),
        "requested_fen": application.requested.fen,
        "approved_fen": state.approved.fen if state.approved is not None else None,
        "appropriated_fen": state.appropriated.fen,
        "disbursed_fen": state.disbursed.fen,
        "tranches": state.tranches,
        "score_tenths": state.score.tenths if state.score is not None else None,
        "rating": str(state.rating) if state.rating is not None else None,
        "overdue": bool(state.overdue()),
        "events": state.version,
        "last_event_at": grant.modified_on,
    }
