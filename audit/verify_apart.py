"""A pass of `verify` over a stretch of the log (audit/log_pass.py) in a process of its own, beside the caller's.

The process is `python -m audit.verify_apart`, not a multiprocessing child, so that it works whatever the caller's main
module is (multiprocessing's spawn would import that again, and run it if unguarded). What it needs goes in on its
stdin and its report comes back on its stdout, pickled: both ends are this program.
"""

from __future__ import annotations

import contextlib
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

from audit.log_pass import Part, check_part
from audit.problem import PartReport
from ledger.checkpoints import Checkpoint
from ledger.recorders import LedgerRecorder


class PassFailedError(RuntimeError):
    """The pass failed in its own process."""


@contextmanager
def checked_apart(
    env_name: str, env: Mapping[str, str], public_key: Ed25519PublicKey, against: Checkpoint | None, part: Part
) -> Iterator[Callable[[], PartReport]]:
    """`check_part` started in a process of its own on the ledger of these eventsourcing settings; the block gets the
    function that waits for its report. The process is stopped if the block ends without asking for it."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with tempfile.TemporaryFile() as errors, tempfile.TemporaryFile() as found:
        child = subprocess.Popen(
            [sys.executable, "-m", "audit.verify_apart"],
            stdin=subprocess.PIPE,
            stdout=found,  # files, not pipes: the child never waits for this process to read
            stderr=errors,
            env=os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)},  # it imports what this process imports
        )

        def report() -> PartReport:
            if child.wait() != 0:
                errors.seek(0)
                told = errors.read().decode(errors="replace")[-2000:]
                msg = f"verify's pass from record {part.start + 1} failed in its own process (exit {child.returncode})"
                raise PassFailedError(f"{msg}: {told}")
            found.seek(0)
            checked: PartReport = pickle.load(found)  # noqa: S301 - from the child this process just started
            return checked

        try:
            with contextlib.suppress(BrokenPipeError), child.stdin:  # type: ignore[union-attr]  # a pipe: asked for
                # a child that died before reading says why in its errors: `report` raises them
                child.stdin.write(pickle.dumps((env_name, dict(env), raw, against, part)))  # type: ignore[union-attr]
            yield report
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


def _check_part_apart() -> None:
    """The child's side: settings, key, checkpoint and part from stdin, the report (pickled) to stdout. A reader:
    the ledger is opened without creating tables."""
    env_name, env, raw, against, part = pickle.load(sys.stdin.buffer)  # noqa: S301 - from the process that started this
    factory = InfrastructureFactory.construct(Environment(env_name, env | {"CREATE_TABLE": "no"}))
    try:
        recorder = factory.application_recorder()
        if not isinstance(recorder, LedgerRecorder):
            msg = f"the ledger's settings name {type(recorder).__name__}, not one of the ledger's recorders"
            raise TypeError(msg)
        report = check_part(recorder, Ed25519PublicKey.from_public_bytes(raw), against, part)
    finally:
        factory.close()
    sys.stdout.buffer.write(pickle.dumps(report))


if __name__ == "__main__":
    _check_part_apart()
