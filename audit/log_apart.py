"""The log's pass of `verify` (audit/log_check.py) in a process of its own, beside the chains' pass in the caller's.

The process is `python -m audit.log_apart`, not a multiprocessing child, so that it works whatever the caller's main
module is (multiprocessing's spawn would import that again, and run it if unguarded). What it needs goes in on its
stdin and its report comes back on its stdout, pickled: both ends are this program.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from audit.log_check import LogReport, check_log
from ledger.checkpoints import Checkpoint
from ledger.recorders import LedgerRecorder


class LogCheckError(RuntimeError):
    """The log's pass failed in its own process."""


@contextmanager
def log_checked_apart(
    env_name: str, env: Mapping[str, str], public_key: Ed25519PublicKey, against: Checkpoint | None
) -> Iterator[Callable[[], LogReport]]:
    """`check_log` started in a process of its own on the ledger of these eventsourcing settings; the block gets the
    function that waits for its report. The process is stopped if the block ends without asking for it."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with tempfile.TemporaryFile() as errors, tempfile.TemporaryFile() as found:
        child = subprocess.Popen(
            [sys.executable, "-m", "audit.log_apart"],
            stdin=subprocess.PIPE,
            stdout=found,  # files, not pipes: the child never waits for this process to read
            stderr=errors,
            env=os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)},  # it imports what this process imports
        )

        def report() -> LogReport:
            if child.wait() != 0:
                errors.seek(0)
                msg = f"the log's pass failed in its own process (exit {child.returncode}): "
                raise LogCheckError(msg + errors.read().decode(errors="replace")[-2000:])
            found.seek(0)
            checked: LogReport = pickle.load(found)  # noqa: S301 - from the child this process just started
            return checked

        try:
            with child.stdin:  # type: ignore[union-attr]  # a pipe: asked for above
                child.stdin.write(pickle.dumps((env_name, dict(env), raw, against)))  # type: ignore[union-attr]
            yield report
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


def _check_log_apart() -> None:
    """The child's side: settings, key and checkpoint from stdin, the report (pickled) to stdout. A reader: the
    ledger is opened without creating tables."""
    env_name, env, raw, against = pickle.load(sys.stdin.buffer)  # noqa: S301 - from the process that started this
    factory = InfrastructureFactory.construct(Environment(env_name, env | {"CREATE_TABLE": "no"}))
    try:
        recorder = factory.application_recorder()
        if not isinstance(recorder, LedgerRecorder):
            msg = f"the ledger's settings name {type(recorder).__name__}, not one of the ledger's recorders"
            raise TypeError(msg)
        report = check_log(recorder, Ed25519PublicKey.from_public_bytes(raw), against)
    finally:
        factory.close()
    sys.stdout.buffer.write(pickle.dumps(report))


if __name__ == "__main__":
    _check_log_apart()
