"""Tampering, as an attacker with database rights would do it, and what `verify` must say about each.

One suite for every backend: subclasses supply `ledger_url` and `raw` (direct SQL access that bypasses the
ledger). Each test records three grants (A, B, C) through their whole lifecycle with a signing key, so the
ledger holds signed checkpoints at its milestones, then tampers through raw SQL and runs the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from typing import Protocol

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eventsourcing.persistence import RecordConflictError

from audit import chain_check, checkpoint_check, verify
from audit.verify import VerifyReport, verify_grant, verify_ledger
from domain.grant import grant_id
from domain.personal import RegisterBeneficiaries
from ledger import recorders
from ledger.application import open_ledger
from ledger.checkpoints import FIRST, Checkpoint, CheckpointSigner, is_signed_by
from ledger.integrity import GENESIS, record_hash
from ledger.merkle import MerkleLog
from tests.builders import lifecycle, minutes, submit
from tests.staff_support import APPOINTED_AT, appoint_builder_staff, beneficiary

GRANTS = ("A", "B", "C")
RECORDS_PER_GRANT = 11


class RawDatabase(Protocol):
    """SQL straight to the database. Templates name tables {events} and {checkpoints}; parameters {p}."""

    def execute(self, template: str, *params: object) -> list[tuple[object, ...]]: ...

    def drop_guards(self) -> None:
        """Remove the append-only triggers, as an owner or superuser can."""

    def originator(self, grant_no: str) -> object:
        """A grant's originator id as this backend stores it."""

    def snapshot(self) -> None:
        """Keep a copy of the ledger's events and checkpoints as they are now: a backup."""

    def restore(self) -> None:
        """Put the copy back over the ledger's events and checkpoints, as an owner restoring the backup would."""


class LedgerUnderTest:
    """What each backend supplies: the ledger's URL and raw access to its database; and a signing key."""

    @pytest.fixture
    def ledger_url(self) -> Iterator[str]:
        raise NotImplementedError

    @pytest.fixture
    def raw(self, ledger_url: str) -> RawDatabase:
        raise NotImplementedError

    @pytest.fixture
    def key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.generate()


class IntegrityContract(LedgerUnderTest):
    @pytest.fixture
    def exported(self, ledger_url: str, key: Ed25519PrivateKey) -> Checkpoint:
        """The ledger after three whole grants, and the checkpoint someone outside took of it."""
        with open_ledger(ledger_url, CheckpointSigner(key)) as ledger:
            for grant_no in GRANTS:
                ledger.execute(submit(grant_no))
                for command in lifecycle(grant_no):
                    ledger.execute(command)
            return ledger.take_checkpoint("exported for the finance department")

    def verify(self, ledger_url: str, key: Ed25519PrivateKey, against: Checkpoint | None = None) -> VerifyReport:
        with open_ledger(ledger_url) as ledger:
            return verify_ledger(ledger, key.public_key(), against=against)

    def test_an_untouched_ledger_verifies(self, ledger_url: str, key: Ed25519PrivateKey, exported: Checkpoint) -> None:
        report = self.verify(ledger_url, key, against=exported)
        assert report.ok, report.problems
        assert (report.chains, report.records) == (3, 3 * RECORDS_PER_GRANT)
        assert report.checkpoints == 3 * 3 + 1, "three milestones a grant, and the exported one"

    def test_a_checkpoint_is_taken_every_n_records_of_whatever_kind(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase
    ) -> None:
        """Decisions, staff, grants, beneficiary lists and people all count: the save whose records reach a multiple
        of N takes one (besides the milestones')."""
        with open_ledger(ledger_url, CheckpointSigner(key), checkpoint_every=4, master_key=bytes(32)) as ledger:
            for number in range(3):
                ledger.record_decision(minutes(minutes_ref=f"纪要〔2020〕{number}号"))  # records 1-3
            appoint_builder_staff(ledger, APPOINTED_AT)  # its decision 4; each person 2 records, 1 for a second role
            ledger.execute(submit("A"))  # 18
            for command in lifecycle("A")[:3]:  # 19-21, the notice acknowledged at 21: a milestone
                ledger.execute(command)
            beneficiaries = (beneficiary(),)
            ledger.register_beneficiaries(  # the list opened and registered, the person recorded: 22-24
                RegisterBeneficiaries(
                    grant_no="A", actor="officer", beneficiaries=beneficiaries, pay_by=date(2020, 9, 30)
                )
            )
        sizes = sorted(int(tree_size) for (tree_size,) in raw.execute("SELECT tree_size FROM {checkpoints}"))  # type: ignore[call-overload]
        assert sizes == [4, 8, 12, 17, 20, 21, 24], "the staff's save of 16-17 reached 16; 21 is the milestone's"

    def test_records_saved_from_many_threads_at_once_are_each_counted(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase
    ) -> None:
        """The worker saves from several threads: no shared count to lose an update, no multiple of N skipped."""
        threads, each, every = 4, 6, 4
        with open_ledger(ledger_url, CheckpointSigner(key), checkpoint_every=every) as ledger:

            def record(thread: int) -> None:
                for number in range(each):
                    ledger.record_decision(minutes(minutes_ref=f"纪要〔2020〕{thread}-{number}号"))

            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(record, range(threads)))
            assert ledger.integrity.log_size() == threads * each
        sizes = sorted(int(tree_size) for (tree_size,) in raw.execute("SELECT tree_size FROM {checkpoints}"))  # type: ignore[call-overload]
        assert sizes[-1] == threads * each, "the save of the last record reached the last multiple"
        assert 1 <= len(sizes) <= threads * each // every
        assert sizes[0] >= every
        assert self.verify(ledger_url, key).ok, (
            "each signs the log as stored; two taken after the same one: no tampering"
        )

    def test_a_checkpoint_signs_the_records_another_writer_put_after_or_between_this_ones(
        self, ledger_url: str, key: Ed25519PrivateKey
    ) -> None:
        """A ledger keeps the log it knows from its own inserts; another writer's records, after its own or between
        them, are read from the database: the known log is never taken past a gap."""
        signer = CheckpointSigner(key)
        with open_ledger(ledger_url, signer) as ours, open_ledger(ledger_url, signer) as theirs:
            ours.record_decision(minutes(minutes_ref="纪要〔2020〕1号"))
            ours.take_checkpoint("the log is known from here on")
            ours.record_decision(minutes(minutes_ref="纪要〔2020〕2号"))  # 2 follows on: known
            theirs.record_decision(minutes(minutes_ref="纪要〔2020〕3号"))
            after = ours.take_checkpoint("another's record after ours")
            theirs.record_decision(minutes(minutes_ref="纪要〔2020〕4号"))
            ours.record_decision(minutes(minutes_ref="纪要〔2020〕5号"))  # 5 does not follow on from 3
            between = ours.take_checkpoint("another's record between ours")
        assert (after.tree_size, between.tree_size) == (3, 5)
        assert self.verify(ledger_url, key).ok

    def test_a_rolled_back_insert_leaves_nothing_in_the_known_log(
        self, ledger_url: str, key: Ed25519PrivateKey
    ) -> None:
        """Only committed records extend the log a ledger knows: a conflicting insert's hash never reaches a root."""
        with open_ledger(ledger_url, CheckpointSigner(key)) as ledger:
            decision = ledger.record_decision(minutes(minutes_ref="纪要〔2020〕1号"))
            ledger.take_checkpoint("the log is known from here on")
            with pytest.raises(RecordConflictError):
                ledger.recorder.insert_events(ledger.recorder.select_events(decision.id))
            ledger.record_decision(minutes(minutes_ref="纪要〔2020〕2号"))
            checkpoint = ledger.take_checkpoint("after the conflict")
        assert checkpoint.tree_size == 2
        assert self.verify(ledger_url, key).ok

    def test_the_application_connection_cannot_update_or_delete(self, ledger_url: str, exported: Checkpoint) -> None:
        with open_ledger(ledger_url) as ledger:
            for statement in (
                "UPDATE {events} SET topic = topic",
                "UPDATE {events} SET record_hash = record_hash",
                "DELETE FROM {events}",
                "DELETE FROM {checkpoints}",
            ):
                with (
                    pytest.raises(Exception, match="append-only"),  # each driver raises its own class
                    ledger.integrity.datastore.transaction(commit=True) as cursor,
                ):
                    ledger.integrity._run(cursor, statement)
            assert ledger.integrity.log_size() == exported.tree_size

    def test_a_flipped_byte_is_reported_with_its_grant_and_version(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        (state,) = raw.execute(
            "SELECT state FROM {events} WHERE originator_id = {p} AND originator_version = 5", raw.originator("B")
        )[0]
        flipped = bytearray(bytes(state))  # type: ignore[arg-type]
        flipped[10] ^= 0x01
        raw.execute(
            "UPDATE {events} SET state = {p} WHERE originator_id = {p} AND originator_version = 5",
            bytes(flipped),
            raw.originator("B"),
        )
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert any(p.startswith("grant B version 5") and "stored record changed" in p for p in problems), problems
        with open_ledger(ledger_url) as ledger:
            assert not verify_grant(ledger, "B").ok
            assert verify_grant(ledger, "A").ok

    def test_a_changed_record_hash_is_reported_once_not_again_at_the_next_version(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        """Version 6 is chained to the hash version 5's bytes give, which is not the one now stored beside them: the
        changed hash is version 5's problem only (and the Merkle log's, whose leaf it is)."""
        raw.drop_guards()
        raw.execute(
            "UPDATE {events} SET record_hash = {p} WHERE originator_id = {p} AND originator_version = 5",
            bytes(range(32)),
            raw.originator("B"),
        )
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        changed = [p for p in problems if "stored record changed" in p]
        expected = f"hash {self.hash_of(raw, 'B', 5)}, found {bytes(range(32)).hex()[:16]}"
        assert changed == [f"grant B version 5 (log position 16): stored record changed: expected {expected}"]
        assert any("log differs from its checkpoint" in p for p in problems), problems
        with open_ledger(ledger_url) as ledger:
            assert [str(problem) for problem in verify_grant(ledger, "B").problems] == changed

    def test_chains_forgotten_by_the_verifier_are_resumed_and_judged_alike(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Grants recorded turn about, and a verifier that keeps one chain's tip and reads two records at a time: every
        chain is resumed from the records stored before, and each tampering is reported as with memory to spare."""
        with open_ledger(ledger_url, CheckpointSigner(key)) as ledger:
            for grant_no in GRANTS:
                ledger.execute(submit(grant_no))
            for turn in zip(*(lifecycle(grant_no) for grant_no in GRANTS), strict=True):
                for command in turn:
                    ledger.execute(command)
        raw.drop_guards()
        raw.execute("DELETE FROM {events} WHERE originator_id = {p} AND originator_version = 4", raw.originator("A"))
        raw.execute(
            "UPDATE {events} SET state = {p} WHERE originator_id = {p} AND originator_version = 5",
            b"{}",
            raw.originator("B"),
        )
        raw.execute(
            "UPDATE {events} SET record_hash = {p} WHERE originator_id = {p} AND originator_version = 7",
            bytes(32),
            raw.originator("C"),
        )
        remembered = [str(problem) for problem in self.verify(ledger_url, key).problems]
        monkeypatch.setattr(chain_check, "TIPS_KEPT", 1)
        monkeypatch.setattr(recorders, "BATCH", 2)
        forgotten = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert sorted(forgotten) == sorted(remembered), "the same problems (in another order: batches are smaller)"
        assert [p.split(":")[0] for p in remembered if "record deleted" in p or "stored record changed" in p] == [
            "grant A version 4 (before log position 13)",
            "grant B version 5 (log position 14)",
            "grant C version 7 (log position 21)",
        ]

    def hash_of(self, raw: RawDatabase, grant_no: str, version: int) -> str:
        """The first 16 hex digits of a record's hash as its stored bytes and predecessor give it."""
        rows = raw.execute(
            "SELECT originator_version, topic, state FROM {events} WHERE originator_id = {p} "
            "AND originator_version <= {p} ORDER BY originator_version",
            raw.originator(grant_no),
            version,
        )
        previous = GENESIS
        for stored_version, topic, state in rows:
            previous = record_hash(grant_id(grant_no), int(stored_version), str(topic), bytes(state), previous)  # type: ignore[call-overload, arg-type]
        return previous.hex()[:16]

    def test_two_versions_swapped_are_reported(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        rows = raw.execute(
            "SELECT originator_version, state FROM {events} WHERE originator_id = {p} AND originator_version IN (5, 6)",
            raw.originator("A"),
        )
        states = dict(rows)
        for version, other in ((5, 6), (6, 5)):
            raw.execute(
                "UPDATE {events} SET state = {p} WHERE originator_id = {p} AND originator_version = {p}",
                states[other],
                raw.originator("A"),
                version,
            )
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert any(p.startswith("grant A version 5") and "stored record changed" in p for p in problems), problems

    def test_a_middle_event_deleted_is_reported(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        """The row goes with its hash: the gap in the grant's chain names it, the gap in the log and the checkpoints
        show it too."""
        raw.drop_guards()
        raw.execute("DELETE FROM {events} WHERE originator_id = {p} AND originator_version = 4", raw.originator("C"))
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert any(p.startswith("grant C version 4 ") and "record deleted" in p for p in problems), problems
        assert any("log position missing" in p for p in problems), problems
        assert any("log differs from its checkpoint" in p for p in problems), problems
        assert not any("grant C version 5" in p for p in problems), "the record after the gap was not changed"
        with open_ledger(ledger_url) as ledger:
            assert [str(problem) for problem in verify_grant(ledger, "C").problems] == [
                "grant C version 4 (before log position 27): record deleted: expected its stored event, found none"
            ]

    def test_events_deleted_from_a_chain_are_named_as_one_gap(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        raw.execute(
            "DELETE FROM {events} WHERE originator_id = {p} AND originator_version BETWEEN 3 AND 6", raw.originator("A")
        )
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        deleted = [p for p in problems if "record deleted" in p]
        assert deleted == [
            "grant A versions 3 to 6 (before log position 7): record deleted: expected its stored event, found none"
        ]
        missing = [p for p in problems if "log position missing" in p]
        assert missing == ["log position 3: log position missing: expected position 3, found position 7 next"]

    def test_a_truncated_tail_is_caught_against_an_exported_checkpoint(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        """The attacker also removes the checkpoints that covered the tail: only the one kept outside can tell."""
        raw.drop_guards()
        cut = exported.tree_size - 2
        raw.execute("DELETE FROM {events} WHERE originator_id = {p} AND originator_version > 9", raw.originator("C"))
        raw.execute("DELETE FROM {checkpoints} WHERE tree_size > {p}", cut)
        assert self.verify(ledger_url, key).ok, "the truncated ledger is consistent with itself"
        problems = [str(problem) for problem in self.verify(ledger_url, key, against=exported).problems]
        expected = (
            f"{exported.describe()}: log truncated: expected at least {exported.tree_size} records, "
            f"found {cut} records in the ledger"
        )
        assert exported.follows is not None
        removed = exported.follows.tree_size
        assert removed > cut, "the checkpoint the exported one follows went with the tail"
        assert problems == [
            (
                f"checkpoint of {removed} records (before the {exported.describe()}): checkpoint missing: expected "
                f"the checkpoint it follows, digest {exported.follows.digest.hex()[:16]}, found none"
            ),
            expected,
        ]

    def test_a_forged_event_with_its_chain_recomputed_is_caught_by_the_merkle_log(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        self._forge_disbursement_of_b(raw)
        report = self.verify(ledger_url, key)
        problems = [str(problem) for problem in report.problems]
        assert not any("stored record changed" in p for p in problems), "the chain itself was recomputed"
        assert any("log differs from its checkpoint" in p for p in problems), problems

    def test_a_forgery_whose_frontier_was_stored_before_the_next_checkpoint_is_still_caught(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        """A checkpoint that another follows is held to the log by its stored frontier (not signed by it): the ledger
        follows one only if its frontier folds to its signed root, so a frontier forged to match a forged log is not
        vouched for by the next checkpoint, and the signed root catches the forgery."""
        raw.drop_guards()
        self._forge_disbursement_of_b(raw)
        forged = MerkleLog()
        with open_ledger(ledger_url) as ledger:
            for hashes in ledger.integrity.hash_batches_after(0):
                forged.extend_leaf_hashes(hashes)
        assert forged.size == exported.tree_size
        raw.drop_guards()  # opening the ledger put them back
        raw.execute(
            "UPDATE {checkpoints} SET frontier = {p} WHERE tree_size = {p}", forged.frontier_bytes(), exported.tree_size
        )
        with open_ledger(ledger_url, CheckpointSigner(key)) as ledger:
            ledger.execute(submit("D"))
            later = ledger.take_checkpoint("after the forgery")
        assert later.follows == FIRST, "the forged frontier does not fold to the signed root: not followed"
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert any(
            problem.startswith(f"{exported.describe()}: log differs from its checkpoint") for problem in problems
        ), problems

    def test_a_checkpoint_forged_at_the_logs_end_is_not_vouched_for_by_the_next(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        """Right root, right frontier, another key: the ledger follows only a checkpoint signed with its own, so the
        next checkpoint does not lend the forgery (its backdated time, its reason) the ledger's signature."""
        log = MerkleLog()
        with open_ledger(ledger_url) as ledger:
            ledger.execute(submit("D"))
            for hashes in ledger.integrity.hash_batches_after(0):
                log.extend_leaf_hashes(hashes)
        impostor = CheckpointSigner(Ed25519PrivateKey.generate())
        when = exported.taken_at.replace(year=2020)
        self._insert_checkpoint(
            raw, impostor.sign(log.size, log.root(), when, "forged", FIRST, frontier=log.frontier_bytes())
        )
        with open_ledger(ledger_url, CheckpointSigner(key)) as ledger:
            ledger.execute(submit("E"))
            later = ledger.take_checkpoint("after the forgery")
        assert later.follows == FIRST
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert len(problems) == 1
        assert "checkpoint signature invalid" in problems[0]
        assert impostor.key_id in problems[0]

    def test_a_whole_grant_deleted_is_caught(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        raw.execute("DELETE FROM {events} WHERE originator_id = {p}", raw.originator("B"))
        report = self.verify(ledger_url, key)
        problems = [str(problem) for problem in report.problems]
        assert report.chains == 2
        assert any("log position missing" in p for p in problems), problems
        assert any("log differs from its checkpoint" in p for p in problems), problems

    def test_an_older_copy_of_the_database_restored_is_caught_against_a_later_exported_checkpoint(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase
    ) -> None:
        with open_ledger(ledger_url, CheckpointSigner(key)) as ledger:
            ledger.execute(submit("A"))
            for command in lifecycle("A"):
                ledger.execute(command)
            raw.snapshot()
            ledger.execute(submit("B"))
            later = ledger.take_checkpoint("exported")
        raw.restore()
        assert self.verify(ledger_url, key).ok, "the backup is consistent with itself"
        problems = [str(problem) for problem in self.verify(ledger_url, key, against=later).problems]
        expected = (
            f"{later.describe()}: log truncated: expected at least {later.tree_size} records, "
            f"found {later.tree_size - 1} records in the ledger"
        )
        assert problems == [expected]

    def test_two_checkpoints_of_one_size_with_different_roots_are_reported(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        """Even signed with the ledger's own key (leaked, or a split view shown to two parties)."""
        follows = exported.follows or FIRST
        forged = CheckpointSigner(key).sign(exported.tree_size, bytes(32), exported.taken_at, "forged", follows)
        self._insert_checkpoint(raw, forged)
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert any(f"checkpoints of {exported.tree_size} records: two checkpoints" in p for p in problems), problems
        assert any("log differs from its checkpoint" in p for p in problems), problems

    def test_checkpoints_read_two_at_a_time_are_each_checked_once(
        self,
        ledger_url: str,
        key: Ed25519PrivateKey,
        raw: RawDatabase,
        exported: Checkpoint,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Checkpoints are streamed in order of size; those of one size are read together even where a batch ends."""
        monkeypatch.setattr(recorders, "CHECKPOINT_BATCH", 2)
        assert self.verify(ledger_url, key, against=exported).checkpoints == 3 * 3 + 1
        middle = sorted(int(size) for (size,) in raw.execute("SELECT tree_size FROM {checkpoints}"))[1]  # type: ignore[call-overload]
        forged = CheckpointSigner(key).sign(middle, bytes(32), exported.taken_at, "forged", FIRST)
        self._insert_checkpoint(raw, forged)
        self._insert_checkpoint(
            raw, CheckpointSigner(Ed25519PrivateKey.generate()).sign(middle, bytes(32), forged.taken_at, "x", FIRST)
        )
        report = self.verify(ledger_url, key)
        assert report.checkpoints == 3 * 3 + 1 + 2
        assert [problem.what for problem in report.problems] == [
            "checkpoint signature invalid",
            "two checkpoints of one size disagree",
            "log differs from its checkpoint",
            "log differs from its checkpoint",
        ], report.problems

    def test_only_the_signatures_of_checkpoints_nothing_follows_are_verified(
        self, ledger_url: str, key: Ed25519PrivateKey, exported: Checkpoint, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each checkpoint signs the digest of the one before: the newest's signature vouches for them all."""
        checked: list[int] = []

        def counted(checkpoint: Checkpoint, public_key: Ed25519PublicKey, key_id: str = "") -> bool:
            checked.append(checkpoint.tree_size)
            return is_signed_by(checkpoint, public_key, key_id)

        monkeypatch.setattr(checkpoint_check, "is_signed_by", counted)
        assert self.verify(ledger_url, key).ok
        assert checked == [exported.tree_size]
        checked.clear()
        assert self.verify(ledger_url, key, against=exported).ok
        assert checked == [exported.tree_size, exported.tree_size], "and the one kept outside, always"

    def test_a_checkpoint_changed_in_the_middle_is_reported_by_its_signature(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        """The next checkpoint no longer follows it, so its own signature is checked, and fails."""
        raw.drop_guards()
        middle = sorted(int(size) for (size,) in raw.execute("SELECT tree_size FROM {checkpoints}"))[4]  # type: ignore[call-overload]
        raw.execute("UPDATE {checkpoints} SET root = {p} WHERE tree_size = {p}", bytes(32), middle)
        assert [problem.what for problem in self.verify(ledger_url, key).problems] == [
            "checkpoint signature invalid",
            "log differs from its checkpoint",
        ]

    def test_a_checkpoint_deleted_from_the_middle_is_reported_as_missing(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        sizes = sorted(int(size) for (size,) in raw.execute("SELECT tree_size FROM {checkpoints}"))  # type: ignore[call-overload]
        raw.execute("DELETE FROM {checkpoints} WHERE tree_size = {p}", sizes[4])
        problems = self.verify(ledger_url, key).problems
        assert [(problem.what, problem.where.split(" (")[0]) for problem in problems] == [
            ("checkpoint missing", f"checkpoint of {sizes[4]} records")
        ]
        assert f"before the checkpoint of {sizes[5]} records" in problems[0].where

    def test_the_oldest_checkpoints_deleted_are_reported_as_missing(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        sizes = sorted(int(size) for (size,) in raw.execute("SELECT tree_size FROM {checkpoints}"))  # type: ignore[call-overload]
        raw.execute("DELETE FROM {checkpoints} WHERE tree_size <= {p}", sizes[1])
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert len(problems) == 1
        assert problems[0].startswith(f"checkpoint of {sizes[1]} records (before the checkpoint of {sizes[2]} records")

    def test_checkpoints_of_the_older_format_are_each_checked_by_their_signature(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        """Checkpoints taken before they followed one another (format v1) follow nothing: each signature counts."""
        raw.drop_guards()
        raw.execute("DELETE FROM {checkpoints}")
        signer = CheckpointSigner(key)
        for checkpoint in (exported, replace(exported, key_id="0" * 16)):
            v1 = replace(checkpoint, follows=None)
            self._insert_checkpoint(raw, replace(v1, signature=key.sign(v1.signed_text())))
        assert v1.signed_text().startswith(b"grant-ledger checkpoint v1\n")
        assert [problem.what for problem in self.verify(ledger_url, key).problems] == ["checkpoint signature invalid"]
        raw.drop_guards()  # verifying opened the ledger, which put them back
        raw.execute("DELETE FROM {checkpoints} WHERE key_id = {p}", "0" * 16)
        with open_ledger(ledger_url, signer) as ledger:
            ledger.execute(submit("D"))
            later = ledger.take_checkpoint("after the upgrade")
        assert later.follows is not None
        assert later.follows.tree_size == exported.tree_size

    def test_a_large_ledger_verified_in_two_halves_at_once_gives_the_same_findings(
        self,
        ledger_url: str,
        key: Ed25519PrivateKey,
        raw: RawDatabase,
        exported: Checkpoint,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The second half in a process of its own, from the Merkle log's frontier at a checkpoint near the middle:
        the same findings in the same order, tampering before and after the cut and in a grant across it. (Tampering
        with the records just before the cut is reported once, at the cut: see `verify._halves`.)"""
        raw.drop_guards()
        for grant_no, version in (("A", 3), ("C", 5)):
            raw.execute(
                "UPDATE {events} SET state = {p} WHERE originator_id = {p} AND originator_version = {p}",
                b"{}",
                raw.originator(grant_no),
                version,
            )
        raw.execute("DELETE FROM {events} WHERE originator_id = {p} AND originator_version = 7", raw.originator("B"))
        whole = self.verify(ledger_url, key, against=exported)
        cuts: list[object] = []
        halves = verify._halves  # watched, not replaced

        def watched(integrity: recorders.LedgerRecorder, size: int) -> object:
            cuts.append(halves(integrity, size))
            return cuts[-1]

        monkeypatch.setattr(verify, "_halves", watched)
        monkeypatch.setattr(verify, "APART_FROM", 0)
        apart = self.verify(ledger_url, key, against=exported)
        assert cuts, "verified in two halves"
        assert cuts[0] is not None
        assert apart.problems == whole.problems
        assert (apart.records, apart.chains, apart.checkpoints) == (whole.records, whole.chains, whole.checkpoints)
        assert {problem.what for problem in whole.problems} == {
            "stored record changed",
            "log position missing",
            "record deleted",
            "log differs from its checkpoint",
            "log truncated",
        }

    def test_a_checkpoint_signed_with_another_key_is_reported(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        impostor = CheckpointSigner(Ed25519PrivateKey.generate())
        follows = exported.follows or FIRST
        forged = impostor.sign(exported.tree_size, exported.root, exported.taken_at, "impostor", follows)
        self._insert_checkpoint(raw, forged)
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert len(problems) == 1
        assert "checkpoint signature invalid" in problems[0]
        assert impostor.key_id in problems[0]

    def test_a_topic_set_to_null_is_reported_as_a_value_of_the_wrong_type(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        raw.execute(
            "UPDATE {events} SET topic = NULL WHERE originator_id = {p} AND originator_version = 5", raw.originator("B")
        )
        expected = [
            "grant B version 5 (log position 16): stored value of the wrong type: expected topic as text, found NULL"
        ]
        assert [str(problem) for problem in self.verify(ledger_url, key).problems] == expected
        with open_ledger(ledger_url) as ledger:
            assert [str(problem) for problem in verify_grant(ledger, "B").problems] == expected

    def test_a_checkpoint_after_a_tampered_frontier_still_signs_the_true_root(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        """The frontier a checkpoint saves is not signed: the next checkpoint resumes from it only if it folds to the
        signed root, and otherwise adds up the whole log."""
        raw.drop_guards()
        raw.execute("UPDATE {checkpoints} SET frontier = {p} WHERE tree_size = {p}", bytes(32), exported.tree_size)
        with open_ledger(ledger_url, CheckpointSigner(key)) as ledger:
            ledger.execute(submit("D"))
            later = ledger.take_checkpoint("after the tampering")
        assert later.tree_size == exported.tree_size + 1
        assert self.verify(ledger_url, key, against=later).ok

    def test_an_event_written_behind_the_ledgers_back_is_reported(
        self, ledger_url: str, key: Ed25519PrivateKey, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.execute(
            "INSERT INTO {events} (originator_id, originator_version, topic, state) VALUES ({p}, 12, 'x', {p})",
            raw.originator("A"),
            b"{}",
        )
        problems = [str(problem) for problem in self.verify(ledger_url, key).problems]
        assert problems == ["grant A version 12: event outside the chain: expected a chain link, found none"]

    def _forge_disbursement_of_b(self, raw: RawDatabase) -> None:
        """Grant B's payment date moved a month earlier, and its whole chain recomputed to match."""
        rows = raw.execute(
            "SELECT e.originator_version, e.topic, e.state FROM {events} e WHERE e.originator_id = {p} "
            "ORDER BY e.originator_version",
            raw.originator("B"),
        )
        previous = GENESIS
        for version, topic, state in rows:
            stored = bytes(state)  # type: ignore[arg-type]
            if version == 5:
                assert b"2020-07-01" in stored, "the disbursement's payment date, to be forged"
                stored = stored.replace(b"2020-07-01", b"2020-06-01")
                raw.execute(
                    "UPDATE {events} SET state = {p} WHERE originator_id = {p} AND originator_version = 5",
                    stored,
                    raw.originator("B"),
                )
            previous = record_hash(grant_id("B"), int(version), str(topic), stored, previous)  # type: ignore[call-overload]
            raw.execute(
                "UPDATE {events} SET record_hash = {p} WHERE originator_id = {p} AND originator_version = {p}",
                previous,
                raw.originator("B"),
                version,
            )

    def _insert_checkpoint(self, raw: RawDatabase, checkpoint: Checkpoint) -> None:
        raw.execute(
            "INSERT INTO {checkpoints} (tree_size, root, taken_at, frontier, signature, key_id, reason, follows_size, "
            "follows_digest) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
            checkpoint.tree_size,
            checkpoint.root,
            checkpoint.taken_at.isoformat(),
            checkpoint.frontier,
            checkpoint.signature,
            checkpoint.key_id,
            checkpoint.reason,
            None if checkpoint.follows is None else checkpoint.follows.tree_size,
            None if checkpoint.follows is None else checkpoint.follows.digest,
        )
