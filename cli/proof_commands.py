"""`grants audit prove`: a proof, as JSON, that a record is in a signed checkpoint, or that a log only grew.

The proof goes to stdout for whoever holds the checkpoint to keep or check elsewhere; the verdict, checked here with the
ledger's public key, goes to stderr, and the exit status is 1 when the proof does not hold.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cli.errors import USAGE_ERROR, fail, refusals_fail
from cli.settings import Settings
from domain.errors import GrantNotFoundError
from domain.grant import grant_id
from ledger.application import GrantLedger, open_ledger
from ledger.checkpoints import Checkpoint, is_signed_by, key_id_of, load_public_key, parse_export
from ledger.proofs import ConsistencyProof, InclusionProof, prove_consistency, prove_inclusion
from ledger.recorders import CheckpointRow

PROOF_FAILED = 1
CHECKPOINT_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.argument("grant_no", required=False)
@click.argument("version", type=click.IntRange(min=1), required=False)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=CHECKPOINT_FILE,
    help="An exported checkpoint (`grants ledger checkpoint --export`) to prove the record in; default: the ledger's "
    "latest.",
)
@click.option(
    "--consistency",
    "old_file",
    type=CHECKPOINT_FILE,
    help="Prove instead that the log of this earlier exported checkpoint begins the log of the ledger's latest one.",
)
@click.option(
    "--key",
    "key_file",
    type=CHECKPOINT_FILE,
    help="The ledger's public key (PEM); default: the public half of GRANTS_SIGNING_KEY_FILE.",
)
@click.pass_obj
def prove(
    settings: Settings,
    grant_no: str | None,
    version: int | None,
    checkpoint_file: Path | None,
    old_file: Path | None,
    key_file: Path | None,
) -> None:
    """Prove that a grant's record VERSION is in a signed checkpoint (or, with --consistency, that an earlier
    checkpoint's log begins the latest one's): print the proof as JSON and check it; exit 1 if it does not hold."""
    if (old_file is None) == (grant_no is None or version is None) or (old_file and (grant_no or checkpoint_file)):
        fail("name a grant and a version (`grants audit prove GRANT VERSION`), or --consistency OLD_CHECKPOINT_FILE")
    with refusals_fail():
        public_key = load_public_key(key_file or settings.signing_key_file)
        held = _exported(checkpoint_file or old_file, public_key)
    with refusals_fail(), open_ledger(settings.ledger_url) as ledger:
        proof: InclusionProof | ConsistencyProof
        if grant_no is not None and version is not None:
            if not ledger.integrity.chain_of(grant_id(grant_no)):
                raise GrantNotFoundError(grant_no)
            proof = prove_inclusion(ledger.integrity, grant_id(grant_no), version, held or _latest(ledger))
            checkpoints = [proof.checkpoint]
        else:
            assert held is not None  # noqa: S101 - the usage check above: --consistency names the file
            proof = prove_consistency(ledger.integrity, held, _latest(ledger))
            checkpoints = [proof.old, proof.new]
    signed = all(is_signed_by(checkpoint, public_key) for checkpoint in checkpoints)
    holds = proof.verifies()
    shown = {"grant_no": grant_no, **proof.as_dict()} if grant_no else proof.as_dict()
    shown["checks"] = {"path_leads_to_the_signed_root": holds, "checkpoints_signed_by_the_ledger_key": signed}
    shown["verified"] = holds and signed
    click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    click.echo(_verdict(proof, holds=holds, signed=signed), err=True)
    if not (holds and signed):
        raise SystemExit(PROOF_FAILED)


def _exported(path: Path | None, public_key: Ed25519PublicKey) -> Checkpoint | None:
    if path is None:
        return None
    checkpoint, its_key = parse_export(path.read_text(), str(path))
    if key_id_of(its_key) != key_id_of(public_key):
        click.echo(f"warning: {path} was signed by key {key_id_of(its_key)}, not the ledger's", err=True)
    return checkpoint


def _latest(ledger: GrantLedger) -> Checkpoint:
    row = ledger.integrity.latest_checkpoint()
    if row is None:
        fail("the ledger has no checkpoint yet. Fix: take one (`grants ledger checkpoint`)", USAGE_ERROR)
    if not isinstance(row, CheckpointRow):
        fail("the ledger's latest checkpoint holds values of the wrong type. Fix: run `grants audit verify`")
    return row.checkpoint()


def _verdict(proof: InclusionProof | ConsistencyProof, *, holds: bool, signed: bool) -> str:
    if isinstance(proof, InclusionProof):
        claim = f"record version {proof.version} at log position {proof.position} is in {proof.checkpoint.describe()}"
    else:
        claim = f"{proof.old.describe()} begins {proof.new.describe()}"
    if holds and signed:
        return f"proven: {claim}, signed by the ledger's key"
    reasons = [
        *([] if holds else ["the path does not lead to the checkpoint's root"]),
        *([] if signed else ["a checkpoint is not signed by the ledger's key"]),
    ]
    return f"NOT proven: {claim}: {'; '.join(reasons)}"
