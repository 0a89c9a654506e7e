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
        )

    @property
    def temporal_port(self) -> int:
        return int(self.temporal_address.rsplit(":", 1)[1])

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ui_port}/namespaces/{self.temporal_namespace}/workflows"
