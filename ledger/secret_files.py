"""Key files: created readable by their owner only, and never overwritten (a lost key is lost data)."""

from __future__ import annotations

import os
from pathlib import Path


def create_secret_file(path: Path, content: bytes) -> None:
    """Write `content` to a new file at `path` (mode 0600); fail if the file exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
