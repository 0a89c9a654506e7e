"""The fixed ledger of the evaluation report's tests, built once per module."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from ledger.application import GrantLedger, open_ledger
from tests.audit import report_scenario


@pytest.fixture(scope="module")
def scenario_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GrantLedger]:
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'ledger.sqlite'}"
    with open_ledger(url, master_key=secrets.token_bytes(32)) as opened:
        report_scenario.build(opened)
        yield opened
