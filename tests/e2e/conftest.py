"""One local stack for all end-to-end tests, started the way `grants up --detach` starts it (dev server on a file)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cli.settings import Settings
from cli.stack import start_detached, stop_detached
from tests.e2e.cli_support import free_port


@pytest.fixture(scope="package")
def stack_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("stack")
    env = {
        **os.environ,
        "GRANTS_DATA_DIR": str(home / "var"),
        "GRANTS_RUN_FILE": str(home / "var" / "stack.json"),
        "GRANTS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "GRANTS_UI_PORT": str(free_port()),
        "GRANTS_ACTOR": "e2e-officer",
    }
    env.pop("GRANTS_LEDGER_URL", None)
    settings = Settings.from_env(env)
    start_detached(settings)
    yield env
    assert stop_detached(settings) is not None, "the stack was still recorded as running"
