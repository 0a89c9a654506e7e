"""Settings from the environment, with defaults that run the embedded stack from the current directory."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ledger.settings import default_ledger_url
from workflows.grant_lifecycle import TASK_QUEUE


@dataclass(frozen=True)
class Settings:
    data_dir: Path  # GRANTS_DATA_DIR: ledger file, Temporal's database, logs, signing keys later
    ledger_url: str  # GRANTS_LEDGER_URL: sqlite:///FILE (default under the data dir) or postgresql://...
    temporal_address: str  # GRANTS_TEMPORAL_ADDRESS
    temporal_namespace: str  # GRANTS_TEMPORAL_NAMESPACE
    task_queue: str  # GRANTS_TASK_QUEUE
    ui_port: int  # GRANTS_UI_PORT: the Temporal Web UI of the local stack
    run_file: Path  # GRANTS_RUN_FILE: where a running local stack records itself (for `grants down`)
    actor: str  # GRANTS_ACTOR: who is recorded as acting (default: the login name)
    command_timeout_seconds: float  # GRANTS_COMMAND_TIMEOUT: how long a command waits for the worker
    signing_key_file: Path  # GRANTS_SIGNING_KEY_FILE: Ed25519 key (PEM) that signs the ledger's checkpoints
    checkpoint_every: int  # GRANTS_CHECKPOINT_EVERY: records between checkpoints, besides milestones
    master_key_file: Path  # GRANTS_MASTER_KEY_FILE: wraps every person's data key (base64, 32 bytes)
    retention_days: int  # GRANTS_PERSONAL_DATA_RETENTION_DAYS: no erasure before this many days after listing
    rules_file: Path | None  # GRANTS_RULES_FILE: thresholds and periods of the funding body (default: DESIGN.md's)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        data_dir = Path(env.get("GRANTS_DATA_DIR", "var"))
        return cls(
            data_dir=data_dir,
            ledger_url=env.get("GRANTS_LEDGER_URL") or default_ledger_url(data_dir),
            temporal_address=env.get("GRANTS_TEMPORAL_ADDRESS", "localhost:7233"),
            temporal_namespace=env.get("GRANTS_TEMPORAL_NAMESPACE", "default"),
            task_queue=env.get("GRANTS_TASK_QUEUE", TASK_QUEUE),
            ui_port=int(env.get("GRANTS_UI_PORT", "8233")),
            run_file=Path(env.get("GRANTS_RUN_FILE", "var/stack.json")),
            actor=env.get("GRANTS_ACTOR") or getpass.getuser(),
            command_timeout_seconds=float(env.get("GRANTS_COMMAND_TIMEOUT", "60")),
            signing_key_file=Path(env.get("GRANTS_SIGNING_KEY_FILE") or data_dir / "checkpoint-signing-key.pem"),
            checkpoint_every=int(env.get("GRANTS_CHECKPOINT_EVERY", "1000")),
            master_key_file=Path(env.get("GRANTS_MASTER_KEY_FILE") or data_dir / "master.key"),
            # 30 years: payment rosters are accounting vouchers (会计档案管理办法, art. 14).
            retention_days=int(env.get("GRANTS_PERSONAL_DATA_RETENTION_DAYS", str(30 * 365 + 7))),
            rules_file=Path(env["GRANTS_RULES_FILE"]) if env.get("GRANTS_RULES_FILE") else None,
        )

    @property
    def temporal_port(self) -> int:
        return int(self.temporal_address.rsplit(":", 1)[1])

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ui_port}/namespaces/{self.temporal_namespace}/workflows"
