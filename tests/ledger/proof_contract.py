"""Inclusion and consistency proofs built from the stored hashes, on every backend, held to the signed checkpoints.

A proof is only worth the verifier that checks it: each falsified proof below must fail.
"""

from __future__ import annotations

import dataclasses
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.grant import grant_id
from ledger import recorders
from ledger.application import GrantLedger, open_ledger
from ledger.checkpoints import Checkpoint, CheckpointSigner, is_signed_by
from ledger.proofs import ConsistencyProof, InclusionProof, ProofError, prove_consistency, prove_inclusion
from tests.builders import submit
from tests.ledger.integrity_contract import GRANTS, RECORDS_PER_GRANT, IntegrityContract, RawDatabase


def stored_checkpoints(ledger: GrantLedger) -> list[Checkpoint]:
    return [row for row in ledger.integrity.checkpoints() if isinstance(row, Checkpoint)]


def flipped(value: bytes) -> bytes:
    return bytes([value[0] ^ 0x01]) + value[1:]


class ProofContract(IntegrityContract):
    def test_every_record_is_proven_in_the_exported_checkpoint_against_its_signed_root(
        self, ledger_url: str, key: Ed25519PrivateKey, exported: Checkpoint
    ) -> None:
        assert is_signed_by(exported, key.public_key())
        with open_ledger(ledger_url) as ledger:
            for grant_no in GRANTS:
                for version in range(1, RECORDS_PER_GRANT + 1):
                    proof = prove_inclusion(ledger.integrity, grant_id(grant_no), version, exported)

                    assert proof.verifies(), (grant_no, version)
                    assert proof.checkpoint == exported

    def test_every_stored_checkpoint_is_proven_a_prefix_of_the_exported_one(
        self, ledger_url: str, key: Ed25519PrivateKey, exported: Checkpoint
    ) -> None:
        with open_ledger(ledger_url) as ledger:
            checkpoints = stored_checkpoints(ledger)
            assert len(checkpoints) == 3 * 3 + 1
            for old in checkpoints:
                assert prove_consistency(ledger.integrity, old, exported).verifies(), old.describe()
                assert is_signed_by(old, key.public_key())

    @pytest.mark.parametrize(
        "falsify",
        [
            pytest.param(lambda p: {"record_hash": flipped(p.record_hash)}, id="another record's hash"),
            pytest.param(lambda p: {"position": p.position + 1}, id="another place in the log"),
            pytest.param(lambda p: {"path": [flipped(p.path[0]), *p.path[1:]]}, id="a sibling hash changed"),
            pytest.param(lambda p: {"path": p.path[:-1]}, id="a hash short"),
            pytest.param(lambda p: {"path": [*p.path, p.path[-1]]}, id="a hash too many"),
            pytest.param(lambda p: {"path": list(reversed(p.path))}, id="siblings reordered"),
            pytest.param(
                lambda p: {"checkpoint": dataclasses.replace(p.checkpoint, root=flipped(p.checkpoint.root))},
                id="another root",
            ),
        ],
    )
    def test_a_falsified_inclusion_proof_fails(self, ledger_url: str, exported: Checkpoint, falsify: object) -> None:
        with open_ledger(ledger_url) as ledger:
            proof = prove_inclusion(ledger.integrity, grant_id("B"), 5, exported)
        assert proof.verifies()
        falsified: InclusionProof = dataclasses.replace(proof, **falsify(proof))  # type: ignore[operator]
        assert not falsified.verifies()

    def test_a_checkpoint_of_another_root_or_size_than_the_signed_ones_fails_its_signature(
        self, key: Ed25519PrivateKey, exported: Checkpoint
    ) -> None:
        """A proof proves only as much as its checkpoint's signature. The size matters too: a path can fit trees of
        two sizes (RFC 6962 roots do not commit to the size), so the size is signed with the root."""
        assert not is_signed_by(dataclasses.replace(exported, root=flipped(exported.root)), key.public_key())
        assert not is_signed_by(dataclasses.replace(exported, tree_size=exported.tree_size + 1), key.public_key())

    @pytest.mark.parametrize(
        "falsify",
        [
            pytest.param(lambda p: {"path": [flipped(p.path[0]), *p.path[1:]]}, id="a hash changed"),
            pytest.param(lambda p: {"path": p.path[:-1]}, id="a hash short"),
            pytest.param(
                lambda p: {"old": dataclasses.replace(p.old, root=flipped(p.old.root))}, id="another old root"
            ),
            pytest.param(lambda p: {"new": dataclasses.replace(p.new, tree_size=p.new.tree_size - 1)}, id="a new size"),
        ],
    )
    def test_a_falsified_consistency_proof_fails(self, ledger_url: str, exported: Checkpoint, falsify: object) -> None:
        with open_ledger(ledger_url) as ledger:
            old = stored_checkpoints(ledger)[2]
            proof = prove_consistency(ledger.integrity, old, exported)
        assert proof.verifies()
        falsified: ConsistencyProof = dataclasses.replace(proof, **falsify(proof))  # type: ignore[operator]
        assert not falsified.verifies()

    def test_proofs_read_two_hashes_at_a_time_are_the_same(
        self, ledger_url: str, exported: Checkpoint, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The hashes are streamed in batches: memory stays flat however long the log."""
        with open_ledger(ledger_url) as ledger:
            old = stored_checkpoints(ledger)[4]
            whole = (
                prove_inclusion(ledger.integrity, grant_id("C"), 3, exported),
                prove_consistency(ledger.integrity, old, exported),
            )
            monkeypatch.setattr(recorders, "BATCH", 2)
            assert (
                prove_inclusion(ledger.integrity, grant_id("C"), 3, exported),
                prove_consistency(ledger.integrity, old, exported),
            ) == whole

    def test_a_record_after_the_checkpoint_is_refused_with_the_fix(
        self, ledger_url: str, key: Ed25519PrivateKey, exported: Checkpoint
    ) -> None:
        with open_ledger(ledger_url, CheckpointSigner(key)) as ledger:
            ledger.execute(submit("D"))
            with pytest.raises(
                ProofError, match=r"after the 33 records of the checkpoint. Fix: take a later checkpoint"
            ):
                prove_inclusion(ledger.integrity, grant_id("D"), 1, exported)
            with pytest.raises(ProofError, match="has no stored version 2"):
                prove_inclusion(ledger.integrity, grant_id("D"), 2, exported)
            with pytest.raises(ProofError, match="has no stored version 1"):
                prove_inclusion(ledger.integrity, UUID(int=1), 1, exported)

    def test_a_changed_record_is_refused_and_a_recomputed_one_fails_against_the_signed_root(
        self, ledger_url: str, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        (state,) = raw.execute(
            "SELECT state FROM {events} WHERE originator_id = {p} AND originator_version = 5", raw.originator("B")
        )[0]
        raw.execute(
            "UPDATE {events} SET state = {p} WHERE originator_id = {p} AND originator_version = 5",
            flipped(bytes(state)),  # type: ignore[arg-type]
            raw.originator("B"),
        )
        with open_ledger(ledger_url) as ledger:
            with pytest.raises(ProofError, match=r"version 5 does not match its stored hash\. Fix: run `grants audit"):
                prove_inclusion(ledger.integrity, grant_id("B"), 5, exported)
            assert prove_inclusion(ledger.integrity, grant_id("A"), 5, exported).verifies(), "A's path is unchanged"
        raw.drop_guards()  # opening the ledger put them back
        raw.execute(
            "UPDATE {events} SET record_hash = {p} WHERE originator_id = {p} AND originator_version = 1",
            bytes(32),
            raw.originator("C"),
        )
        with open_ledger(ledger_url) as ledger:
            assert not prove_inclusion(ledger.integrity, grant_id("A"), 5, exported).verifies(), (
                "C's leaf is on A's path"
            )

    def test_a_log_shorter_than_the_checkpoint_is_refused(
        self, ledger_url: str, raw: RawDatabase, exported: Checkpoint
    ) -> None:
        raw.drop_guards()
        raw.execute("DELETE FROM {events} WHERE originator_id = {p} AND originator_version = 11", raw.originator("C"))
        with open_ledger(ledger_url) as ledger:
            old = stored_checkpoints(ledger)[0]
            with pytest.raises(ProofError, match="holds fewer records than checkpoint of 33 records"):
                prove_consistency(ledger.integrity, old, exported)
            with pytest.raises(ProofError, match="a log only grows"):
                prove_consistency(ledger.integrity, exported, old)
