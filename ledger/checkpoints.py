"""Signed checkpoints: the size and Merkle root of the global log at a moment, signed with the ledger's key.

A checkpoint is the ledger's statement "these were my first N records". Kept by someone outside (the
finance department, the auditor), it later proves that nothing was removed or rewritten: a rollback to an
older backup or a truncated tail cannot match a checkpoint taken before it. The format follows the spirit
of Certificate Transparency's signed tree heads: a short text, signed with Ed25519.

Each checkpoint also signs the size and digest of the one before it (`Follows`), so the checkpoints form a hash
chain of their own: a checkpoint that a later one follows is vouched for by that one's signature, and `verify`
checks the signatures only of the checkpoints no later one follows (normally the newest alone). That is what keeps
verifying a ledger with a checkpoint every few records fast: an Ed25519 verification costs about 130 µs, a digest
under 1 µs. Checkpoints written before this (format v1) follow nothing and are each checked by their signature.

The digest also covers the Merkle log's frontier stored beside the checkpoint (not signed by it, and not exported).
The ledger follows a checkpoint only once it has checked its signature and that its frontier folds to its signed
root (ledger/application.py): so a checkpoint that another follows is vouched for, frontier included, and `verify`
holds the log to it by comparing the frontiers, without folding the root again (about ten hashes a checkpoint).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.secret_files import create_secret_file

HEADER = "grant-ledger checkpoint v2"
HEADER_V1 = "grant-ledger checkpoint v1"  # before checkpoints followed one another: still read, never written


class CheckpointFileError(ValueError):
    pass


@dataclass(frozen=True)
class Follows:
    """The checkpoint a checkpoint was taken after: its size and `Checkpoint.digest`."""

    tree_size: int
    digest: bytes

    def text(self) -> str:
        return f"{self.tree_size} {self.digest.hex()}"


FIRST = Follows(0, bytes(32))
"""What the ledger's first checkpoint follows: nothing (no digest is 32 zero bytes)."""


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root: bytes
    taken_at: datetime
    key_id: str
    signature: bytes
    reason: str = ""
    follows: Follows | None = None  # None: a checkpoint of format v1, which followed nothing
    frontier: bytes = b""  # the Merkle log's frontier at this size, as stored beside it (not signed, not exported)

    def signed_text(self) -> bytes:
        return signed_text(self.tree_size, self.root, self.taken_at, self.key_id, self.follows)

    def digest(self) -> bytes:
        """SHA-256 of the signed text, the signature and the frontier: what the next checkpoint follows."""
        return hashlib.sha256(self.signed_text() + self.signature + self.frontier).digest()

    def describe(self) -> str:
        return f"checkpoint of {self.tree_size} records (root {self.root.hex()[:16]}..., {self.taken_at.isoformat()})"


def signed_text(tree_size: int, root: bytes, taken_at: datetime, key_id: str, follows: Follows | None) -> bytes:
    """What the signature covers: header, key, size, root, time and the checkpoint followed, one per line."""
    header, after = (HEADER_V1, "") if follows is None else (HEADER, f"follows {follows.text()}\n")
    text = f"{header}\nkey {key_id}\nsize {tree_size}\nroot {root.hex()}\ntime {taken_at.isoformat()}\n{after}"
    return text.encode()


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class CheckpointSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    def sign(  # noqa: PLR0913 - what is signed, and the frontier kept beside it
        self, tree_size: int, root: bytes, taken_at: datetime, reason: str, follows: Follows, *, frontier: bytes = b""
    ) -> Checkpoint:
        signature = self._private_key.sign(signed_text(tree_size, root, taken_at, self.key_id, follows))
        return Checkpoint(tree_size, root, taken_at, self.key_id, signature, reason, follows, frontier)


def is_signed_by(checkpoint: Checkpoint, public_key: Ed25519PublicKey, key_id: str = "") -> bool:
    """Whether the checkpoint is signed with this key (whose `key_id_of` a caller checking many may pass)."""
    if checkpoint.key_id != (key_id or key_id_of(public_key)):
        return False
    try:
        public_key.verify(checkpoint.signature, checkpoint.signed_text())
    except InvalidSignature:
        return False
    return True


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        msg = f"no checkpoint signing key at {path}. Fix: set GRANTS_SIGNING_KEY_FILE, or run `grants up` to create one"
        raise CheckpointFileError(msg) from None
    except ValueError as error:
        msg = f"{path} is not a PEM private key ({error})"
        raise CheckpointFileError(msg) from None
    if not isinstance(key, Ed25519PrivateKey):
        msg = f"{path} holds a {type(key).__name__}, not an Ed25519 key"
        raise CheckpointFileError(msg)
    return key


def ensure_signing_key(path: Path) -> Ed25519PrivateKey:
    """The key at `path`, created (readable by its owner only) when there is none yet: for local stacks."""
    if path.exists():
        return load_signing_key(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    create_secret_file(path, pem)
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key file, or the public half of a private key file."""
    data = path.read_bytes()
    try:
        public = serialization.load_pem_public_key(data)
    except ValueError:
        return load_signing_key(path).public_key()
    if not isinstance(public, Ed25519PublicKey):
        msg = f"{path} holds a {type(public).__name__}, not an Ed25519 public key"
        raise CheckpointFileError(msg)
    return public


def export_text(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> str:
    """The checkpoint as a small text file for someone outside to keep (signed text + public key + signature)."""
    public = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return (
        checkpoint.signed_text().decode()
        + f"public-key {base64.b64encode(public).decode()}\n"
        + f"signature {base64.b64encode(checkpoint.signature).decode()}\n"
    )


def parse_export(text: str, source: str) -> tuple[Checkpoint, Ed25519PublicKey]:
    """An exported checkpoint, of this format or v1 (exported before checkpoints followed one another)."""
    lines = text.splitlines()
    if not lines or lines[0] not in {HEADER, HEADER_V1}:
        msg = f"{source} is not a grant-ledger checkpoint (first line should be {HEADER!r})"
        raise CheckpointFileError(msg)
    fields = dict(line.split(" ", 1) for line in lines[1:] if " " in line)
    try:
        follows = None
        if lines[0] == HEADER:
            size, digest = fields["follows"].split(" ")
            follows = Follows(int(size), bytes.fromhex(digest))
        checkpoint = Checkpoint(
            tree_size=int(fields["size"]),
            root=bytes.fromhex(fields["root"]),
            taken_at=datetime.fromisoformat(fields["time"]),
            key_id=fields["key"],
            signature=base64.b64decode(fields["signature"]),
            follows=follows,
        )
        public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(fields["public-key"]))
    except (KeyError, ValueError) as error:
        msg = f"{source} is not a complete checkpoint: {error!r} is missing or malformed"
        raise CheckpointFileError(msg) from None
    return checkpoint, public_key
