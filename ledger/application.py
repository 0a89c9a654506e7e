"""`GrantLedger`: the eventsourcing application that records every step of every grant."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import JSONTranscoder, RecordConflictError, Recording
from eventsourcing.utils import get_topic

from domain import rules
from domain.commands import GrantCommand, SubmitApplication
from domain.decisions import CollectiveDecision, RecordDecision, decision_id
from domain.errors import GrantError, GrantNotFoundError, InvalidInputError, StageOrderViolation
from domain.grant import Grant, grant_id
from domain.oversight import DEFAULT_FUND_RULES, FundRules
from domain.personal import (
    Beneficiary,
    BeneficiaryList,
    PayBeneficiary,
    Person,
    PersonalData,
    RegisterBeneficiaries,
    beneficiary_list_id,
)
from domain.roles import ROLES_RULE, Role
from domain.rulebook import RuleBook, rulebook_id
from domain.staff import Appointment, AppointStaff, RevokeRole, StaffMember, check_actor, staff_member_id
from domain.stages import Stage
from domain.state import GrantState
from ledger.checkpoints import FIRST, Checkpoint, CheckpointFileError, CheckpointSigner, Follows, is_signed_by
from ledger.history_import import (
    BENEFICIARY_PAID,
    DECISION_RECORDED,
    PERSONAL_DATA_EVENTS,
    ImportedEvent,
)
from ledger.merkle import MerkleLog
from ledger.personal_data import (
    BeneficiaryAsDict,
    MasterKeyError,
    PersonalDataAsSealed,
    PersonalDataVault,
)
from ledger.recorders import CheckpointRow, LedgerRecorder
from ledger.schema import ensure_postgres_schema
from ledger.settings import creates_schema, persistence_env
from ledger.transcodings import register_domain_transcodings

HASH_SIZE = 32  # SHA-256
CONFLICT_RETRIES = 10  # concurrent writers to one grant: reload and re-check this many times
CONFLICT_PAUSE_SECONDS = 0.005  # the longest random pause after the first conflict (growing with each one)
CHECKPOINT_EVERY = 1000  # records between checkpoints, besides those taken at milestones
# A checkpoint is also taken when one of these is recorded: the notice acknowledged, the final report
# submitted, the evaluation recorded (the moments a finance department or auditor may want one).
MILESTONES = frozenset({"NoticeAcknowledged", "FinalReportSubmitted", "EvaluationRecorded"})


@dataclass(frozen=True)
class RecordedEvent:
    """One stored event of a grant, as the ledger hands it to readers."""

    version: int
    recorded_at: datetime
    name: str
    fields: dict[str, Any]


class GrantLedger(Application[UUID]):
    name = "GrantLedger"

    def __init__(
        self,
        env: dict[str, str],
        signer: CheckpointSigner | None = None,
        checkpoint_every: int = CHECKPOINT_EVERY,
        master_key: bytes | None = None,
        fund_rules: FundRules = DEFAULT_FUND_RULES,
    ) -> None:
        """A ledger on the store `env` names, judging steps by `fund_rules`.

        With a `signer` it takes signed checkpoints as it goes; with the `master_key` it can record and
        read personal data (without it, personal data reads as sealed).
        """
        self._vault: PersonalDataVault | None = None  # the transcoder asks for it while the base class builds
        super().__init__(env=env)
        if master_key is not None:
            self._vault = PersonalDataVault(master_key, self.integrity)
        self._signer = signer
        self._taken: Checkpoint | None = None  # the checkpoint this ledger took last, as it stored it
        self._fund_rules = fund_rules
        self._checkpoint_every = checkpoint_every

    @property
    def integrity(self) -> LedgerRecorder:
        return cast("LedgerRecorder", self.recorder)

    def take_checkpoint(self, reason: str) -> Checkpoint:
        """Sign the log as it stands now (or return the latest checkpoint if nothing was added since)."""
        if self._signer is None:
            msg = "this ledger was opened without a signing key, so it cannot take checkpoints"
            raise CheckpointFileError(msg)
        signer = self._signer

        def sign(latest: CheckpointRow | None, resumed: MerkleLog | None, log: MerkleLog) -> CheckpointRow | None:
            if latest is not None and log.size == latest.tree_size:
                return None  # nothing added since
            follows = FIRST if latest is None else self._follows(latest, resumed)
            now, frontier = datetime.now(UTC), log.frontier_bytes()
            signed = signer.sign(log.size, log.root(), now, reason, follows, frontier=frontier)
            return CheckpointRow(
                signed.tree_size, signed.root, now, frontier, signed.signature, signed.key_id, reason, follows
            )

        taken = self.integrity.take_checkpoint(sign)
        if taken is None:
            msg = "no checkpoint was taken: nothing was signed and the ledger holds none"
            raise CheckpointFileError(msg)
        checkpoint = taken.checkpoint()
        self._taken = checkpoint
        return checkpoint

    def _follows(self, latest: CheckpointRow, resumed: MerkleLog | None) -> Follows:
        """What a new checkpoint follows: the latest, only if it is signed with this ledger's key and its frontier folds
        to its signed root (following vouches for both: `verify` checks neither again); else nothing (FIRST), which
        leaves the latest to be judged by its own signature and root."""
        if resumed is None or self._signer is None:
            return FIRST
        checkpoint = latest.checkpoint()
        signed_here = checkpoint == self._taken  # the one this ledger stored, as it stored it: ~130 us saved
        if not signed_here and not is_signed_by(checkpoint, self._signer.public_key, self._signer.key_id):
            return FIRST
        return Follows(latest.tree_size, checkpoint.digest())

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)
        for transcoding in (
            PersonalDataAsSealed(lambda: self._vault),
            BeneficiaryAsDict(),
        ):
            transcoder.register(transcoding)

    @property
    def vault(self) -> PersonalDataVault:
        if self._vault is None:
            msg = "this ledger was opened without the master key, so it cannot handle personal data"
            raise MasterKeyError(msg)
        return self._vault

    def register_beneficiaries(self, command: RegisterBeneficiaries) -> int:
        """Add people to a grant's registered list (sealing their personal data); return the list's size."""
        grant = self._grant(command.grant_no)
        self._check_actor(command, grant.state, datetime.now(UTC))
        if grant.state.stage.is_final:
            problem = f"the grant is {grant.state.stage}; nothing is recorded after that"
            raise StageOrderViolation(command.grant_no, problem, "register the list on an open grant")
        try:
            names: BeneficiaryList = self.repository.get(beneficiary_list_id(command.grant_no))
        except AggregateNotFoundError:
            names = BeneficiaryList(grant_no=command.grant_no)
        self.vault.provide_keys(b.person_id for b in command.beneficiaries)
        names.register(command)
        people = [self._person_listed(b.person_id, command.grant_no) for b in command.beneficiaries]
        self.save(names, *people)
        return len(names.people)

    def pay_beneficiary(self, command: PayBeneficiary) -> None:
        """Record money paid to one person on the grant's list (R7 checked against their sealed data)."""
        grant = self._grant(command.grant_no)
        self._check_actor(command, grant.state, datetime.now(UTC))
        if grant.state.stage is not Stage.DISBURSEMENT:
            step = grant.state.next_step()
            raise StageOrderViolation(
                command.grant_no,
                "paying beneficiaries belongs to the disbursement stage, "
                f"but the grant is at the {grant.state.stage} stage",
                f"the grant waits for {step.what} (`{step.command}`)",
            )
        try:
            names: BeneficiaryList = self.repository.get(beneficiary_list_id(command.grant_no))
        except AggregateNotFoundError:
            msg = f"grant {command.grant_no}: R7 registered list: no beneficiary list is registered. Fix: register it"
            raise GrantError(msg) from None
        person = names.people.get(command.person_id)
        registered = person.personal if person is not None else None
        names.pay(command, registered.card_account if isinstance(registered, PersonalData) else None)
        self.save(names)

    def beneficiaries(self, grant_no: str) -> list[Beneficiary]:
        try:
            names: BeneficiaryList = self.repository.get(beneficiary_list_id(grant_no))
        except AggregateNotFoundError:
            return []
        return list(names.people.values())

    def erase_person(self, person_id: UUID, reason: str, actor: str, retention: timedelta) -> None:
        """Record the erasure (refused within the retention period), then destroy the person's key."""
        self._refuse_auditors(actor, datetime.now(UTC), f"person {person_id}")
        try:
            person: Person = self.repository.get(person_id)
        except AggregateNotFoundError:
            msg = f"person {person_id}: no such person is on any beneficiary list. Fix: check the person id"
            raise GrantError(msg) from None
        person.erase(reason, actor, datetime.now(UTC), retention)
        self.save(person)
        self.vault.destroy(person_id)

    def record_decision(self, decision: RecordDecision) -> CollectiveDecision:
        """Record a body's decision (R5 checked first); the same minutes entered again change nothing."""
        self._refuse_auditors(decision.actor, datetime.now(UTC), f"decision {decision.minutes_ref}")
        try:
            recorded: CollectiveDecision = self.repository.get(decision.decision_id)
        except AggregateNotFoundError:
            recorded = CollectiveDecision.record(decision, self._fund_rules.quorum_fraction)
            self.save(recorded)
            return recorded
        if recorded.items != list(decision.items) or recorded.held_on != decision.held_on:
            msg = (
                f"decision {decision.minutes_ref}: minutes {decision.minutes_ref} of {decision.body} are already "
                "recorded with other content. Fix: record new minutes under their own reference"
            )
            raise GrantError(msg)
        return recorded

    def adopt_rules(self, funding_body: str, actor: str) -> bool:
        """Record this ledger's rules as in force for `funding_body`, if they changed; True if recorded.

        Workers starting together race to record the same rules: the one that loses reads the book again and
        finds them already in force (or, if another's rules were recorded meanwhile, records its own after them).
        """
        for _ in range(CONFLICT_RETRIES):
            try:
                book: RuleBook = self.repository.get(rulebook_id(funding_body))
            except AggregateNotFoundError:
                book = RuleBook(funding_body=funding_body)
            adopted = book.adopt(self._fund_rules, actor)
            if not adopted:
                return False
            try:
                self.save(book)
            except RecordConflictError:
                continue  # another process wrote the book first
            return True
        msg = f"rule book of {funding_body}: still changing under us after {CONFLICT_RETRIES} attempts"
        raise RuntimeError(msg)

    def rule_books(self) -> list[RuleBook]:
        topic = [get_topic(RuleBook.RuleBookOpened)]  # type: ignore[attr-defined]  # made by @event
        opened = self.recorder.select_notifications(start=1, limit=10_000, topics=topic)
        return [self.repository.get(cast("UUID", notification.originator_id)) for notification in opened]

    def import_history(self, events: list[ImportedEvent]) -> list[str]:
        """Add grants (with their beneficiary lists) and decisions whose histories were made elsewhere, as they
        happened, for audit; all of them or none. Return the grant numbers imported.

        No rule is checked (`grants audit check` judges them afterwards); personal data is sealed as a
        registration seals it. The events are stored in the order of the file.
        """
        batch = _ImportBatch()
        for imported in events:
            if imported.name == DECISION_RECORDED:
                touched: list[Aggregate] = [self._imported_decision(imported, batch)]
            elif imported.name in PERSONAL_DATA_EVENTS:
                touched = self._imported_list_event(imported, batch)
            else:
                touched = [self._imported_grant_event(imported, batch)]
            batch.recorded.extend(event for aggregate in touched for event in aggregate.collect_events())
        if batch.people:
            self.vault.provide_keys(batch.people)  # every key stored before anything is sealed with it
        self.save(*batch.recorded)
        return list(batch.grants)

    def _imported_grant_event(self, imported: ImportedEvent, batch: _ImportBatch) -> Grant:
        grant = batch.grants.get(imported.grant_no)
        if grant is None:
            grant = batch.grants[imported.grant_no] = self._imported_grant(imported)
        else:
            fields = {**imported.fields, "actor": imported.actor, "command_id": imported.command_id}
            grant.import_event(imported.name, imported.at, fields)
        return grant

    def _imported_grant(self, first: ImportedEvent) -> Grant:
        if first.name != "ApplicationSubmitted":
            msg = f"grant {first.grant_no}: line {first.line}: its history must begin with ApplicationSubmitted"
            raise InvalidInputError(msg)
        try:
            self._grant(first.grant_no)
        except GrantNotFoundError:
            application = SubmitApplication(
                grant_no=first.grant_no, actor=first.actor, command_id=first.command_id, details=first.fields["details"]
            )
            return Grant.imported(application, first.at)
        msg = f"grant {first.grant_no}: already in the ledger; a history is imported once. Fix: leave it out"
        raise GrantError(msg)

    def _imported_decision(self, imported: ImportedEvent, batch: _ImportBatch) -> CollectiveDecision:
        body, minutes_ref = imported.fields["body"], imported.fields["minutes_ref"]
        subject = f"decision {minutes_ref}: line {imported.line}: minutes {minutes_ref} of {body}"
        earlier = batch.decisions.get(decision_id(body, minutes_ref))
        if earlier is not None:
            msg = f"{subject} are already on line {earlier}. Fix: leave one of them out"
            raise InvalidInputError(msg)
        try:
            self.repository.get(decision_id(body, minutes_ref))
        except AggregateNotFoundError:
            batch.decisions[decision_id(body, minutes_ref)] = imported.line
            return CollectiveDecision.imported(imported.at, imported.actor, imported.command_id, **imported.fields)
        msg = f"{subject} are already in the ledger; minutes are recorded once. Fix: leave the line out"
        raise GrantError(msg)

    def _imported_list_event(self, imported: ImportedEvent, batch: _ImportBatch) -> list[Aggregate]:
        """A line of a grant's beneficiary list: people registered (sealed, each a `Person`), or one of them paid."""
        grant_no, fields = imported.grant_no, imported.fields
        if grant_no not in batch.grants:
            msg = (
                f"grant {grant_no}: line {imported.line}: a beneficiary list is imported with its grant. "
                "Fix: put the grant's history (from its ApplicationSubmitted) before its list in the file"
            )
            raise InvalidInputError(msg)
        names = batch.lists.get(grant_no)
        if names is None:
            names = batch.lists[grant_no] = BeneficiaryList.imported(grant_no, imported.at)
        if imported.name == BENEFICIARY_PAID:
            person_id = self.vault.person_id(fields["id_number"])
            paid = (fields["amount"], fields["paid_on"], fields["channel"])
            names.import_payment(person_id, *paid, imported.actor, imported.command_id, imported.at)
            return [names]
        listed = [
            Beneficiary(
                person_id=person_id, personal=person.personal(person_id), township=person.township, amount=person.amount
            )
            for person in fields["beneficiaries"]
            for person_id in [self.vault.person_id(person.id_number)]
        ]
        names.import_registration(listed, fields["pay_by"], imported.actor, imported.command_id, imported.at)
        people = [self._imported_person(b.person_id, grant_no, imported.at, batch) for b in listed]
        return [names, *people]

    def _imported_person(self, person_id: UUID, grant_no: str, at: datetime, batch: _ImportBatch) -> Person:
        person = batch.people.get(person_id)
        if person is None:
            try:
                person = self.repository.get(person_id)
            except AggregateNotFoundError:
                person = batch.people[person_id] = Person.imported(person_id, grant_no, at)
                return person
            batch.people[person_id] = person
        person.import_listing(grant_no, at)
        return person

    def named_decision(self, command: GrantCommand) -> CollectiveDecision | None:
        """The collective decision a step names (`BODY:MINUTES`), loaded so that the rules can check it."""
        return self._decision_named(getattr(command, "decision_ref", ""), f"grant {command.grant_no}")

    def _decision_named(self, reference: str, subject: str) -> CollectiveDecision | None:
        if not reference:
            return None
        body, separator, minutes_ref = reference.partition(":")
        if not separator or not body or not minutes_ref:
            msg = (
                f"{subject}: decision {reference!r} is not BODY:MINUTES. "
                "Fix: name it like 党组会:湘计生协党组纪要〔2020〕12号"
            )
            raise InvalidInputError(msg)
        return self.decision(body, minutes_ref)

    def appoint(self, command: AppointStaff, at: datetime | None = None) -> bool:
        """Record an appointment (a key role only on the valid prior decision it names); False if already held."""
        now = at or datetime.now(UTC)
        self._refuse_auditors(command.granted_by, now, f"person {command.person}")
        member = self.staff_member(command.person) or StaffMember(person=command.person)
        decision = self._decision_named(command.decision_ref, f"person {command.person}")
        appointed = member.appoint(command, now, decision, self._fund_rules)
        if appointed:
            self.save(member)
        return appointed

    def revoke_role(self, command: RevokeRole, at: datetime | None = None) -> None:
        """Record that a person no longer holds a role, from the revocation's time on."""
        now = at or datetime.now(UTC)
        self._refuse_auditors(command.revoked_by, now, f"person {command.person}")
        member = self.staff_member(command.person) or StaffMember(person=command.person)
        member.revoke(command, now)
        self.save(member)

    def staff_member(self, person: str) -> StaffMember | None:
        try:
            member: StaffMember = self.repository.get(staff_member_id(person))
        except AggregateNotFoundError:
            return None
        return member

    def staff(self) -> list[StaffMember]:
        """Everyone in the staff register, in the order they were first appointed."""
        topic = [get_topic(StaffMember.StaffMemberRegistered)]  # type: ignore[attr-defined]  # made by @event
        members: list[StaffMember] = []
        start = 1
        while registered := self.recorder.select_notifications(start=start, limit=500, topics=topic):
            members.extend(self.repository.get(cast("UUID", notification.originator_id)) for notification in registered)
            start = registered[-1].id + 1
        return members

    def _refuse_auditors(self, actor: str, at: datetime, subject: str) -> None:
        """When roles are required, an auditor records nothing but evaluations: they read, and stay independent."""
        if self._fund_rules.roles_required and any(a.role is Role.AUDITOR for a in self.roles_of(actor, at)):
            msg = (
                f"{subject}: {ROLES_RULE}: {actor} is an auditor, and an auditor changes nothing but a grant's "
                "evaluation. Fix: have a person who is not an auditor record it"
            )
            raise GrantError(msg)

    def roles_of(self, person: str, at: datetime) -> list[Appointment]:
        """The appointments `person` holds at `at`."""
        member = self.staff_member(person)
        return member.roles_at(at) if member is not None else []

    def decision(self, body: str, minutes_ref: str) -> CollectiveDecision:
        try:
            found: CollectiveDecision = self.repository.get(decision_id(body, minutes_ref))
        except AggregateNotFoundError:
            msg = f"decision {minutes_ref}: no minutes {minutes_ref} of {body} are recorded. Fix: record them first"
            raise GrantError(msg) from None
        return found

    def _person_listed(self, person_id: UUID, grant_no: str) -> Person:
        try:
            person: Person = self.repository.get(person_id)
        except AggregateNotFoundError:
            return Person(person_id=person_id, grant_no=grant_no)
        person.add_to(grant_no)
        return person

    def execute(self, command: GrantCommand, at: datetime | None = None) -> GrantState:
        """Record `command` (idempotent by its command id) and return the grant's state after it."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                return self._execute_once(command, at or datetime.now(UTC))
            except RecordConflictError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                # Writers that collided would collide again in step: a random pause lets one of them go first.
                time.sleep(random.uniform(0, CONFLICT_PAUSE_SECONDS * (attempt + 1)))  # noqa: S311 - not crypto
        raise AssertionError  # unreachable: the loop returns or raises

    def state(self, grant_no: str) -> GrantState:
        return self._grant(grant_no).state

    def history(self, grant_no: str) -> list[RecordedEvent]:
        self._grant(grant_no)  # a clear GrantNotFoundError for an unknown number
        return [_recorded(event) for event in self.repository.event_store.get(grant_id(grant_no))]

    def grant_numbers(self) -> list[str]:
        """Every grant in the ledger, in the order they were first recorded."""
        applications = [get_topic(Grant.ApplicationSubmitted)]  # type: ignore[attr-defined]  # made by @event
        numbers: list[str] = []
        start = 1
        while notifications := self.recorder.select_notifications(start=start, limit=500, topics=applications):
            for notification in notifications:
                originator = cast("UUID", notification.originator_id)  # the recorder's ORIGINATOR_ID_TYPE is uuid
                numbers.append(self._grant_by_id(originator).state.grant_no)
            start = notifications[-1].id + 1
        return numbers

    def count_events(self) -> int:
        return self.recorder.max_notification_id() or 0

    def _execute_once(self, command: GrantCommand, at: datetime) -> GrantState:
        if isinstance(command, SubmitApplication):
            return self._submit(command, at)
        grant = self._grant(command.grant_no)
        earlier = grant.version_of(command.command_id)
        if earlier is not None:
            return self._state_at(grant, earlier)
        self._check_actor(command, grant.state, at)
        grant.execute(command, at, self.named_decision(command), self._fund_rules)
        self.save(grant)
        return grant.state

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:  # noqa: ANN401 - eventsourcing's signature
        """eventsourcing's save, then a signed checkpoint if one is due (with a signer): a grant reached a milestone,
        or these records, of whatever aggregate, reached a multiple of `checkpoint_every` in the log."""
        recordings: list[Recording[UUID]] = super().save(*objs, **kwargs)
        if self._signer is not None and recordings:
            self._checkpoint_if_due(objs, recordings)
        return recordings

    def _checkpoint_if_due(self, saved: tuple[Any, ...], recordings: list[Recording[UUID]]) -> None:
        """One checkpoint a milestone; and one every N records of the log, taken by the save whose records reach a
        multiple of N. The save knows its records' places in the log from the insert itself, so this costs no
        query, holds in every thread and process that writes, and misses no kind of record."""
        milestones = MILESTONES.intersection(type(recording.domain_event).__name__ for recording in recordings)
        if milestones:
            grants = ", ".join(sorted(obj.state.grant_no for obj in saved if isinstance(obj, Grant)))
            self.take_checkpoint(f"{', '.join(sorted(milestones))} of grant {grants}")
            return
        span, every = self.integrity.appended(), self._checkpoint_every
        if span is not None and span[1] // every > (span[0] - 1) // every:
            self.take_checkpoint(f"every {every} records")

    def _check_actor(self, command: GrantCommand, state: GrantState | None, at: datetime) -> None:
        """When the rules require it: the actor holds, at `at`, a role that may record this step (the register)."""
        if self._fund_rules.roles_required:
            check_actor(command, self.roles_of(command.actor, at), state)

    def _submit(self, command: SubmitApplication, at: datetime) -> GrantState:
        try:
            grant = self._grant(command.grant_no)
        except GrantNotFoundError:
            self._check_actor(command, None, at)
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


@dataclass
class _ImportBatch:
    """What one import has built so far, to be saved together (in the file's order) or not at all."""

    grants: dict[str, Grant] = field(default_factory=dict)
    lists: dict[str, BeneficiaryList] = field(default_factory=dict)
    people: dict[UUID, Person] = field(default_factory=dict)
    decisions: dict[UUID, int] = field(default_factory=dict)  # the line each decision was imported from
    recorded: list[DomainEventProtocol[UUID]] = field(default_factory=list)


def _recorded(event: DomainEventProtocol[UUID]) -> RecordedEvent:
    internal = {"originator_id", "originator_version", "timestamp", "originator_topic"}
    return RecordedEvent(
        version=event.originator_version,
        recorded_at=event.timestamp,  # type: ignore[attr-defined]
        name=type(event).__name__,
        fields={key: value for key, value in vars(event).items() if key not in internal},
    )


@contextmanager
def open_ledger(  # noqa: PLR0913 - what to open, and how the composition root wants it
    url: str,
    signer: CheckpointSigner | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
    master_key: bytes | None = None,
    fund_rules: FundRules = DEFAULT_FUND_RULES,
    *,
    pool_size: int | None = None,
    ledger_type: type[GrantLedger] = GrantLedger,
) -> Iterator[GrantLedger]:
    """A ledger on `url`, closed (connections released) when the block ends.

    Readers open it without a signer; writers that should leave signed checkpoints pass one; whoever
    records or reads personal data passes the master key. The worker passes its pool size and a
    `ledger_type` that counts what it appends.
    """
    env = persistence_env(url, pool_size)
    if creates_schema(env):
        ensure_postgres_schema(url)
    ledger = ledger_type(
        env=env, signer=signer, checkpoint_every=checkpoint_every, master_key=master_key, fund_rules=fund_rules
    )
    try:
        yield ledger
    finally:
        ledger.close()
