"""A SQLite ledger of two whole grants (22 records, six milestone checkpoints) and the settings that name it."""

from __future__ import annotations

from pathlib import Path

from ledger.application import open_ledger
from ledger.checkpoints import CheckpointSigner, ensure_signing_key
from tests.builders import lifecycle, submit


def signed_ledger(directory: Path) -> dict[str, str]:
    """The ledger, signed with the key the settings name (GRANTS_SIGNING_KEY_FILE)."""
    key_file = directory / "signing.pem"
    url = f"sqlite:///{directory}/ledger.sqlite"
    with open_ledger(url, CheckpointSigner(ensure_signing_key(key_file))) as ledger:
        for grant_no in ("A", "B"):
            ledger.execute(submit(grant_no))
            for command in lifecycle(grant_no):
                ledger.execute(command)
    return {"GRANTS_LEDGER_URL": url, "GRANTS_SIGNING_KEY_FILE": str(key_file), "GRANTS_DATA_DIR": str(directory)}
