"""Recorded histories replay on the current `GrantLifecycle`: a change that would break running grants fails here.

The shapes without a version prefix are recorded by the current code (`python -m tests.workflows.record_histories`):
the straight path, a rejection, each deadline missed and then met, the side steps (a major change, a return, an
objection), and a grant that continued as new (`continued-run-1` is the run that did, `continued` the next one);
`v1-before-deadlines-*` were recorded before deadline timers existed and replay through `workflow.patched`.
`v2-*` were recorded (at commit 0832fdb) before the payment deadline outlived the disbursement stage and before a
continued run upserted its attributes at its start: a grant half paid when publicity started (its payment timer
cancelled), one whose payment deadline was missed before publicity, and a continued run. Each replays through
`PAYMENT_UNTIL_PAID_PATCH` / `CARRIED_ATTRIBUTES_PATCH`; without them the first and the last fail with a
nondeterminism error (checked when the patches were written).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.converter import DATA_CONVERTER
from workflows.grant_lifecycle import (
    CARRIED_ATTRIBUTES_PATCH,
    DEADLINE_TIMERS_PATCH,
    PAYMENT_UNTIL_PAID_PATCH,
    GrantLifecycle,
)

HISTORIES = Path(__file__).parent / "histories"
CURRENT = (
    "full",
    "rejected",
    "overdue",
    "overdue-payment-in-publicity",
    "overdue-publicity",
    "overdue-final-report",
    "objection-return-change",
    "continued-run-1",
    "continued",
)
SHAPES = (
    *CURRENT,
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


def _patches(history: WorkflowHistory) -> set[str]:
    markers = [
        event.marker_recorded_event_attributes
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
    ]
    return {
        patch
        for patch in (DEADLINE_TIMERS_PATCH, PAYMENT_UNTIL_PAID_PATCH, CARRIED_ATTRIBUTES_PATCH)
        for marker in markers
        if patch in str(marker.details)
    }


def _summaries(history: WorkflowHistory) -> list[str]:
    """The summaries on the history's events (activities, timers started and cancelled), as the Web UI shows them."""
    return [json.loads(event.user_metadata.summary.data) for event in history.events if event.HasField("user_metadata")]


@pytest.mark.parametrize("shape", SHAPES)
def test_each_history_carries_the_patches_of_the_code_that_recorded_it(shape: str) -> None:
    """So that each old branch kept behind `workflow.patched` is exercised by at least one history."""
    expected = {
        "v1": set(),
        "v2": {DEADLINE_TIMERS_PATCH},
        "current": {DEADLINE_TIMERS_PATCH, PAYMENT_UNTIL_PAID_PATCH},
    }[shape[:2] if shape[:2] in {"v1", "v2"} else "current"]
    if shape == "continued":  # a continued run, of the code that upserts at its start
        expected |= {CARRIED_ATTRIBUTES_PATCH}
    assert _patches(load(shape)) == expected


def test_the_overdue_history_shows_the_timer_and_the_missed_deadline_in_domain_words() -> None:
    history = load("overdue")
    summaries = _summaries(history)
    assert any("payment deadline: payment in full" in summary for summary in summaries), summaries
    assert any("record the missed payment deadline" in summary for summary in summaries), summaries
    assert "timer_fired_event_attributes" in _event_kinds(history)


@pytest.mark.parametrize(
    ("shape", "missed_after"),
    [
        ("overdue-payment-in-publicity", "record publicity from"),
        ("overdue-publicity", "record publicity from"),
        ("overdue-final-report", "record the conclusion of publicity"),
    ],
)
def test_each_deadline_has_a_history_where_it_is_missed_and_then_met(shape: str, missed_after: str) -> None:
    kind = shape.removeprefix("overdue-").removesuffix("-in-publicity").replace("-", "_")
    summaries = _summaries(load(shape))
    missed = summaries.index(next(s for s in summaries if s.startswith(f"record the missed {kind} deadline")))
    step_before = next(i for i, s in enumerate(summaries) if s.startswith(missed_after))
    assert step_before < missed, f"{shape}: missed after `{missed_after}`: {summaries}"
    assert summaries[-1] == "record the closing"


def test_the_side_steps_have_a_history() -> None:
    summaries = _summaries(load("objection-return-change"))
    for step in ("record a major change", "record a return", "record an objection", "record the resolution"):
        assert any(summary.startswith(step) for summary in summaries), step


def test_the_continued_shape_is_a_run_that_continued_as_new_and_the_run_after_it() -> None:
    first, continued = load("continued-run-1"), load("continued")
    assert first.events[-1].HasField("workflow_execution_continued_as_new_event_attributes")
    started = continued.events[0].workflow_execution_started_event_attributes
    assert started.continued_execution_run_id
    assert continued.events[-1].HasField("workflow_execution_completed_event_attributes")
