"""Real processes the reliability tests stop, kill and restart: a Temporal dev server on a file, and workers.

Everything binds to 127.0.0.1 on ports picked free for the test; nothing here touches the session's shared dev
server or the machine's PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client

from cli.gateway import GrantGateway
from cli.stack import temporal_binary
from ledger.checkpoints import ensure_signing_key
from workflows.converter import DATA_CONVERTER
from workflows.search_attributes import dev_server_flags

START_TIMEOUT = 60.0
PROJECT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], bool], within: float, what: str) -> None:
    """Poll `check` until it returns true, or fail naming `what`."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            msg = f"timed out after {within:.0f} s waiting for {what}"
            raise AssertionError(msg)
        time.sleep(0.1)


def port_answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class DevServer:
    """`temporal server start-dev` on a SQLite file and fixed ports, so that a restart finds its workflows again."""

    directory: Path
    port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            temporal_binary(),
            "server",
            "start-dev",
            "--headless",
            "--db-filename",
            str(self.directory / "temporal.sqlite"),
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--http-port",
            str(self.http_port),
            "--metrics-port",
            str(self.metrics_port),
            *dev_server_flags(),
            # As `grants up` runs it (cli/stack.py): WAL keeps the file crash-safe and makes it ~2.5x faster.
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            "--log-level",
            "error",
        ]
        with (self.directory / "temporal.log").open("ab") as server_log:
            self.process = subprocess.Popen(command, stdout=server_log, stderr=subprocess.STDOUT)
        wait_until(self._serving, START_TIMEOUT, f"the dev server on {self.address}")

    def _serving(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:  # e.g. one of its ports was taken between our pick and its bind
            log = (self.directory / "temporal.log").read_text(errors="replace")[-2000:]
            msg = f"the dev server exited ({self.process.returncode}): {log}"
            raise AssertionError(msg)
        return port_answers(self.port)

    def stop(self) -> None:
        """Stop it as an operator would (SIGTERM), and wait until its port is free again."""
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        wait_until(lambda: not port_answers(self.port), 30, f"port {self.port} to be free")

    async def client(self) -> Client:
        """A client, retried while the server is still coming up (its port opens before it serves)."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                return await Client.connect(self.address, data_converter=DATA_CONVERTER)
            except RuntimeError:
                self._serving()  # fails at once, with its log, if the server has exited
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


@contextmanager
def dev_server(directory: Path) -> Iterator[DevServer]:
    server = DevServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class WorkerProcess:
    """`python -m worker` in a process of its own: what a test may SIGKILL."""

    temporal_address: str
    ledger_url: str
    task_queue: str
    directory: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log_file: Path | None = None

    def start(self) -> None:
        self.log_file = self.directory / f"worker-{uuid.uuid4().hex[:6]}.log"
        env = {
            **os.environ,
            "GRANTS_TEMPORAL_ADDRESS": self.temporal_address,
            "GRANTS_LEDGER_URL": self.ledger_url,
            "GRANTS_TASK_QUEUE": self.task_queue,
            "GRANTS_DATA_DIR": str(self.directory),
            "GRANTS_SIGNING_KEY_FILE": str(signing_key(self.directory)),
            **self.extra_env,
        }
        with self.log_file.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "worker"], env=env, cwd=PROJECT, stdout=output, stderr=subprocess.STDOUT
            )
        wait_until(self._ready, START_TIMEOUT, f"the worker ({self.log_file})")

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            msg = f"the worker exited ({self.process.returncode}): {self.log()}"
            raise AssertionError(msg)
        return "worker.started" in self.log()

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file else ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, no activity completed, as when a machine dies."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None

    def rss_kib(self) -> int:
        """Resident memory of the worker process, from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def signing_key(directory: Path) -> Path:
    path = directory / "checkpoint-signing-key.pem"
    ensure_signing_key(path)
    return path


@contextmanager
def workers(
    count: int, temporal_address: str, ledger_url: str, task_queue: str, directory: Path, **extra_env: str
) -> Iterator[list[WorkerProcess]]:
    """`count` worker processes on one task queue, stopped (or killed) when the block ends."""
    started = [
        WorkerProcess(temporal_address, ledger_url, task_queue, directory, dict(extra_env)) for _ in range(count)
    ]
    try:
        for worker in started:
            worker.start()
        yield started
    finally:
        for worker in started:
            with suppress(ProcessLookupError):
                worker.stop()


def gateway(client: Client, task_queue: str, ledger_url: str, timeout_seconds: float = 120) -> GrantGateway:
    return GrantGateway(client, task_queue, ledger_url, timeout_seconds=timeout_seconds)
