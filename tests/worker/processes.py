"""Worker processes for the tests: `grants worker` as an operator runs it, against the session's dev server.

Each process gets the production shape of configuration (the PostgreSQL ledger as the application role, JSON
logs, its own health port) through GRANTS_* variables only, and writes its log to a file the test can read.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.testing import WorkflowEnvironment

GRANTS = Path(sys.executable).parent / "grants"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def temporal_address(temporal: WorkflowEnvironment) -> str:
    return str(temporal.client.service_client.config.target_host)


def worker_env(temporal: WorkflowEnvironment, ledger_url: str, task_queue: str, directory: Path) -> dict[str, str]:
    """What deploy/ sets for a worker, pointed at the test's dev server, ledger and task queue."""
    signing_key = directory / "checkpoint-signing-key.pem"
    if not signing_key.exists():
        signing_key.write_bytes(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return {
        "PATH": os.environ.get("PATH", ""),
        "GRANTS_DATA_DIR": str(directory),
        "GRANTS_TEMPORAL_ADDRESS": temporal_address(temporal),
        "GRANTS_TASK_QUEUE": task_queue,
        "GRANTS_LEDGER_URL": ledger_url,
        "GRANTS_LEDGER_POOL_SIZE": "4",
        "GRANTS_SIGNING_KEY_FILE": str(signing_key),
        "GRANTS_LOG_FORMAT": "json",
        "GRANTS_SHUTDOWN_GRACE": "20",
    }


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_file: Path
    http_address: str
    _logs: list[dict[str, object]] = field(default_factory=list)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://{self.http_address}{path}", timeout=2) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def wait_ready(self, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                msg = f"worker {self.name} exited with {self.process.returncode}: {self.log_file.read_text()[-2000:]}"
                raise AssertionError(msg)
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        msg = f"worker {self.name} not ready within {within:.0f} s: {self.log_file.read_text()[-2000:]}"
        raise AssertionError(msg)

    def logs(self) -> list[dict[str, object]]:
        """Its JSON log lines so far (the SDK's own plain lines, if any, are skipped)."""
        lines = self.log_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def recorded(self) -> int:
        """Ledger steps this worker's activities recorded."""
        return sum(1 for line in self.logs() if line.get("event") == "ledger.recorded")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@contextmanager
def worker_processes(env: dict[str, str], directory: Path, count: int) -> Iterator[list[WorkerProcess]]:
    """`count` workers started with `env` (each with a health port of its own), ready; stopped afterwards."""
    with ExitStack() as stack:
        workers = []
        for number in range(count):
            name = f"worker-{number}"
            address = f"127.0.0.1:{free_port()}"
            log_file = directory / f"{name}.log"
            log = stack.enter_context(log_file.open("wb"))
            process = subprocess.Popen(
                [str(GRANTS), "worker"],
                env=env | {"GRANTS_WORKER_HTTP_ADDRESS": address},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(_stop, process)
            workers.append(WorkerProcess(name, process, log_file, address))
        for worker in workers:
            worker.wait_ready()
        yield workers


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
