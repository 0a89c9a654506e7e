"""The checkpoint format: what is signed, what the next checkpoint follows, and the file kept outside."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoints import (
    FIRST,
    CheckpointFileError,
    CheckpointSigner,
    Follows,
    export_text,
    is_signed_by,
    parse_export,
)

KEY = Ed25519PrivateKey.generate()
TAKEN_AT = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def test_a_checkpoint_signs_the_size_and_digest_of_the_one_it_follows() -> None:
    first = CheckpointSigner(KEY).sign(0, bytes(32), TAKEN_AT, "first", FIRST)
    second = CheckpointSigner(KEY).sign(3, b"\x01" * 32, TAKEN_AT, "second", Follows(0, first.digest()))
    assert second.signed_text().decode().endswith(f"follows 0 {first.digest().hex()}\n")
    assert is_signed_by(second, KEY.public_key())
    assert not is_signed_by(replace(second, follows=Follows(0, bytes(32))), KEY.public_key())


def test_the_digest_covers_the_signature_and_the_frontier_stored_beside_it_too() -> None:
    """A stored signature or frontier changed in a checkpoint nobody checks by its signature still breaks the next
    one's link: the frontier is what `verify` holds the log to at a checkpoint another follows."""
    checkpoint = CheckpointSigner(KEY).sign(3, bytes(32), TAKEN_AT, "", FIRST, frontier=b"\x04" * 64)
    assert replace(checkpoint, signature=bytes(64)).digest() != checkpoint.digest()
    assert replace(checkpoint, frontier=b"\x05" * 64).digest() != checkpoint.digest()
    assert replace(checkpoint, reason="not signed").digest() == checkpoint.digest(), "the reason is not signed"


def test_an_exported_checkpoint_reads_back_as_it_was() -> None:
    checkpoint = CheckpointSigner(KEY).sign(7, b"\x02" * 32, TAKEN_AT, "", Follows(3, b"\x03" * 32))
    text = export_text(checkpoint, KEY.public_key())
    assert text.startswith("grant-ledger checkpoint v2\n")
    read, public_key = parse_export(text, "kept.txt")
    assert read == replace(checkpoint, reason="")
    assert is_signed_by(read, public_key)


def test_a_checkpoint_exported_in_the_older_format_still_reads_and_verifies() -> None:
    """Exported before checkpoints followed one another (v1): whoever kept one can still hold the ledger to it."""
    v1 = replace(CheckpointSigner(KEY).sign(7, b"\x02" * 32, TAKEN_AT, "", FIRST), follows=None)
    v1 = replace(v1, signature=KEY.sign(v1.signed_text()))
    text = export_text(v1, KEY.public_key())
    assert text.startswith("grant-ledger checkpoint v1\n")
    assert "follows" not in text
    read, public_key = parse_export(text, "kept.txt")
    assert read.follows is None
    assert is_signed_by(read, public_key)


@pytest.mark.parametrize("follows", ["follows 3", "follows three 00", ""])
def test_a_file_whose_follows_line_is_missing_or_malformed_is_refused(follows: str) -> None:
    checkpoint = CheckpointSigner(KEY).sign(7, b"\x02" * 32, TAKEN_AT, "", Follows(3, b"\x03" * 32))
    lines = [line for line in export_text(checkpoint, KEY.public_key()).splitlines() if not line.startswith("follows")]
    text = "\n".join([*lines, follows])
    with pytest.raises(CheckpointFileError, match=r"kept\.txt is not a complete checkpoint"):
        parse_export(text, "kept.txt")
