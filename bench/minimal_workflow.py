"""The baseline of bench/lifecycle.py: a workflow that takes N updates, each running one no-op activity.

In its own module, importing nothing but the SDK, so the workflow sandbox loads only that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow


@dataclass(frozen=True)
class Step:
    number: int


@activity.defn
def no_op(step: Step) -> int:
    return step.number


@workflow.defn
class MinimalLifecycle:
    def __init__(self) -> None:
        self.done = 0

    @workflow.run
    async def run(self, steps: int) -> int:
        await workflow.wait_condition(lambda: self.done >= steps and workflow.all_handlers_finished())
        return self.done

    @workflow.update
    async def step(self, step: Step) -> int:
        result = await workflow.execute_activity(no_op, step, start_to_close_timeout=timedelta(seconds=30))
        self.done += 1
        return result
