"""Recorded histories replay on the current `GrantLifecycle`: a change that would break running grants fails here.

`full`, `rejected` and `overdue` are recorded by the current code (`python -m tests.workflows.record_histories`);
`v1-before-deadlines-*` were recorded before deadline timers existed and replay through `workflow.patched`.
`v2-*` were recorded (at commit 0832fdb) before the payment deadline outlived the disbursement stage and before a
continued run upserted its attributes at its start: a grant half paid when publicity started (its payment timer
cancelled), one whose payment deadline was missed before publicity, and a continued run. Each replays through
`PAYMENT_UNTIL_PAID_PATCH` / `CARRIED_ATTRIBUTES_PATCH`; without them the first and the last fail with a
nondeterminism error (checked when the patches were written).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.converter import DATA_CONVERTER
from workflows.grant_lifecycle import DEADLINE_TIMERS_PATCH, GrantLifecycle

HISTORIES = Path(__file__).parent / "histories"
SHAPES = (
    "full",
    "rejected",
    "overdue",
    "v1-before-deadlines-full",
    "v1-before-deadlines-rejected",
    "v2-half-paid-publicity",
    "v2-overdue-then-publicity",
    "v2-continued",
)


def load(shape: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"grant-REC-{shape}", (HISTORIES / f"{shape}.json").read_text())


def test_every_lifecycle_shape_has_a_recorded_history() -> None:
    assert sorted(path.stem for path in HISTORIES.glob("*.json")) == sorted(SHAPES)


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_recorded_history_replays_on_the_current_workflow(shape: str) -> None:
    replayer = Replayer(workflows=[GrantLifecycle], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(load(shape), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{shape}: {result.replay_failure}"


def _event_kinds(history: WorkflowHistory) -> list[str]:
    return [event.WhichOneof("attributes") or "" for event in history.events]


def test_current_histories_carry_the_deadline_patch_and_old_ones_do_not() -> None:
    for shape in SHAPES:
        markers = [
            event.marker_recorded_event_attributes
            for event in load(shape).events
            if event.HasField("marker_recorded_event_attributes")
        ]
        patched = any(DEADLINE_TIMERS_PATCH in str(marker.details) for marker in markers)
        assert patched is not shape.startswith("v1-"), shape


def test_the_overdue_history_shows_the_timer_and_the_missed_deadline_in_domain_words() -> None:
    history = load("overdue")
    summaries = [
        event.user_metadata.summary.data.decode() for event in history.events if event.HasField("user_metadata")
    ]
    assert any("payment deadline: payment in full" in summary for summary in summaries), summaries
    assert any("record the missed payment deadline" in summary for summary in summaries), summaries
    assert "timer_fired_event_attributes" in _event_kinds(history)
