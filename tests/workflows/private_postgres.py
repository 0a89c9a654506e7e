"""A private PostgreSQL cluster in a temporary directory, on a free port, that a test may stop and start.

Tests that take the ledger's database away must never touch the machine's shared server (127.0.0.1:5432).
The cluster runs as the `postgres` OS user (PostgreSQL refuses to run as root), with fsync off: it is
thrown away after the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

OS_USER = "postgres"


def _bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        msg = f"PostgreSQL's {name} is not installed under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
        raise RuntimeError(msg)
    return str(found[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", OS_USER, "--", *command] if os.geteuid() == 0 else list(command)


@dataclass(frozen=True)
class PrivatePostgres:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?schema=grants"

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        command = _as_postgres(_bin("pg_ctl"), "-D", str(self.directory / "data"), "-w", "-t", "30", *args)
        subprocess.run(command, check=check, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-o", options, "-l", str(self.directory / "server.log"), "start")

    def stop(self, *, check: bool = True) -> None:
        """Stop the server; with `check=False` a server already stopped is fine (clean-up after a failure)."""
        self._pg_ctl("-m", "fast", "stop", check=check)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    directory = Path(tempfile.mkdtemp(prefix="grants-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(directory, OS_USER, OS_USER)
        initdb = [_bin("initdb"), "-D", str(directory / "data"), "-A", "trust", "-U", "postgres", "--no-sync"]
        subprocess.run(_as_postgres(*initdb), check=True, capture_output=True, timeout=120)
        cluster = PrivatePostgres(directory, _free_port())
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop(check=False)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
