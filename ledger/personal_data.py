"""Sealing personal data: one AES-256-GCM key per person, wrapped by the master key (RFC 3394 key wrap).

Destroying a person's wrapped key erases them from every record at once, while the stored ciphertext,
and so every hash chain and checkpoint, stays exactly as it was. People are identified by an HMAC of
their ID number under a key derived from the master key: never an unsalted hash, which anyone could
reverse by trying the few billion plausible ID numbers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap
from eventsourcing.persistence import Transcoding

from domain.personal import Beneficiary, PersonalData, UnreadablePersonalData
from ledger.recorders import LedgerRecorder
from ledger.secret_files import create_secret_file

MASTER_KEY_BYTES = 32
NONCE_BYTES = 12


class MasterKeyError(ValueError):
    pass


def load_master_key(path: Path) -> bytes:
    try:
        key = base64.b64decode(path.read_text().strip(), validate=True)
    except FileNotFoundError:
        msg = f"no master key at {path}. Fix: set GRANTS_MASTER_KEY_FILE, or run `grants up` to create one"
        raise MasterKeyError(msg) from None
    except ValueError:
        msg = f"{path} is not a base64 master key"
        raise MasterKeyError(msg) from None
    if len(key) != MASTER_KEY_BYTES:
        msg = f"{path} holds a {len(key)}-byte key; the master key has {MASTER_KEY_BYTES} bytes"
        raise MasterKeyError(msg)
    return key


def ensure_master_key(path: Path) -> bytes:
    """The master key at `path`, created (readable by its owner only) when there is none: for local stacks."""
    if path.exists():
        return load_master_key(path)
    key = secrets.token_bytes(MASTER_KEY_BYTES)
    create_secret_file(path, base64.b64encode(key) + b"\n")
    return key


class PersonalDataVault:
    def __init__(self, master_key: bytes, keys: LedgerRecorder) -> None:
        self._wrapping_key = _derive(master_key, b"grant-ledger/wrap-person-keys")
        self._index_key = _derive(master_key, b"grant-ledger/person-index")
        self._keys = keys

    def person_id(self, id_number: str) -> UUID:
        """The same person gets the same id in every grant; without the master key it reveals nothing."""
        digest = hmac.new(self._index_key, id_number.strip().upper().encode(), hashlib.sha256).digest()
        return UUID(bytes=digest[:16])

    def provide_keys(self, person_ids: Iterable[UUID]) -> None:
        """Give every person who has no data key yet a fresh one, all stored in one transaction before sealing.

        A key is stored before anything sealed with it, so a crash in between leaves at most an unused key.
        """
        fresh = {
            person_id: aes_key_wrap(self._wrapping_key, AESGCM.generate_key(bit_length=256))
            for person_id in dict.fromkeys(person_ids)
            if self._keys.person_key(person_id) is None
        }
        if fresh:
            self._keys.keep_person_keys(fresh)

    def seal(self, data: PersonalData) -> bytes:
        key = self._key_of(data.person_id)
        if key is None:
            self.provide_keys([data.person_id])
            key = cast("bytes", self._key_of(data.person_id))
        plain = json.dumps({f.name: getattr(data, f.name) for f in fields(data) if f.name != "person_id"}).encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + AESGCM(key).encrypt(nonce, plain, data.person_id.bytes)

    def open(self, person_id: UUID, sealed: bytes) -> PersonalData | UnreadablePersonalData:
        key = self._key_of(person_id)
        if key is None:
            return UnreadablePersonalData(person_id, "erased")
        try:
            plain = AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], person_id.bytes)
        except InvalidTag:
            return UnreadablePersonalData(person_id, "sealed with another key")
        return PersonalData(person_id=person_id, **json.loads(plain))

    def destroy(self, person_id: UUID) -> None:
        self._keys.destroy_person_key(person_id)

    def _key_of(self, person_id: UUID) -> bytes | None:
        wrapped = self._keys.person_key(person_id)
        return None if wrapped is None else aes_key_unwrap(self._wrapping_key, wrapped)


def _derive(master_key: bytes, purpose: bytes) -> bytes:
    """A separate key for each purpose, so that no key serves two (HMAC-SHA256 as a simple KDF)."""
    return hmac.new(master_key, purpose, hashlib.sha256).digest()


class PersonalDataAsSealed(Transcoding):
    """Stores `PersonalData` only as ciphertext; reads it back opened, or as unreadable once erased."""

    type = PersonalData
    name = "personal_data_sealed"

    def __init__(self, vault: Callable[[], PersonalDataVault | None]) -> None:
        self._vault = vault

    def encode(self, obj: PersonalData) -> dict[str, str]:
        vault = self._vault()
        if vault is None:
            msg = "personal data can only be recorded by a ledger opened with the master key (GRANTS_MASTER_KEY_FILE)"
            raise MasterKeyError(msg)
        return {"person": obj.person_id.hex, "sealed": base64.b64encode(vault.seal(obj)).decode()}

    def decode(self, data: dict[str, str]) -> PersonalData | UnreadablePersonalData:
        person_id, vault = UUID(data["person"]), self._vault()
        if vault is None:
            return UnreadablePersonalData(person_id, "sealed")
        return vault.open(person_id, base64.b64decode(data["sealed"]))


class BeneficiaryAsDict(Transcoding):
    type = Beneficiary
    name = "beneficiary"

    def encode(self, obj: Beneficiary) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> Beneficiary:
        return Beneficiary(**data)
