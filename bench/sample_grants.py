"""Realistic stored events for the benchmarks: the demo's 14 grants, recorded once through the real ledger."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

from domain.grant import grant_id
from ledger.application import open_ledger

# A grant's number and its stored (topic, state) by version.
GrantEvents = tuple[str, list[tuple[str, bytes]]]


def demo_grant_events() -> list[GrantEvents]:
    """The stored events of the demo's 14 grants, each through all six stages with workflow-style command ids."""
    # Imported here: the demo brings Temporal's SDK, which a measured verify process should not load.
    from cli.demo import CITY_GRANTS, collective_decision, grant_no, lifecycle  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp, open_ledger(f"sqlite:///{Path(tmp) / 'sample.sqlite'}") as ledger:
        ledger.record_decision(collective_decision())  # the 党组会 decision the grants' large steps rest on
        grants = []
        for index, city in enumerate(CITY_GRANTS):
            number = grant_no(index)
            for command in lifecycle(index, city):
                ledger.execute(replace(command, command_id=f"grant-{number}/{uuid4()}"))
            stored = ledger.recorder.select_events(grant_id(number))
            grants.append((number, [(record.topic, record.state) for record in stored]))
    return grants
