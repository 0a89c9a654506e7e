"""`grants worker` as a process in production shape: health, metrics, JSON logs, and draining on SIGTERM.

Real parts: the session's Temporal dev server, the machine's PostgreSQL (the ledger set up by `grants ledger init`,
the worker connected as the append-only role), and the worker started as an operator starts it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url
from temporalio.testing import WorkflowEnvironment

from cli.gateway import GrantGateway, GrantRefusedError
from domain.values import Money
from ledger.application import open_ledger
from tests.builders import approve, lifecycle, submit
from tests.ledger.postgres import connect, skip_without_postgres
from tests.ledger.roles_support import RoleLedger, role_ledger
from tests.worker.processes import WorkerProcess, worker_env, worker_processes
from tests.workflows.support import eventually, new_grant_no, run_until

skip_without_postgres()
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def ledger() -> Iterator[RoleLedger]:
    with role_ledger() as ledger:
        yield ledger


@pytest.fixture
def env(temporal: WorkflowEnvironment, ledger: RoleLedger, tmp_path: Path) -> dict[str, str]:
    return worker_env(temporal, ledger.app_url, f"test-{uuid.uuid4().hex[:8]}", tmp_path)


def gateway(temporal: WorkflowEnvironment, env: dict[str, str]) -> GrantGateway:
    return GrantGateway(temporal.client, env["GRANTS_TASK_QUEUE"], env["GRANTS_LEDGER_URL"], timeout_seconds=30)


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not in the metrics"
    return float(match.group(1))


async def test_health_metrics_and_json_logs(temporal: WorkflowEnvironment, env: dict[str, str], tmp_path: Path) -> None:
    """Ready while polling; counts the events it appends and the ledger's refusals; every activity line says whose."""
    grant_no = new_grant_no()
    with worker_processes(env, tmp_path, count=1) as (worker,):
        assert worker.get("/healthz") == (200, "ok\n")
        assert worker.get("/readyz") == (200, "ready\n")
        _, before = worker.get("/metrics")

        grants = gateway(temporal, env)
        await run_until(grants, grant_no, steps=1)  # applied and approved
        major = new_grant_no()
        await grants.submit(submit(major, requested=Money(600_000_00)))
        with pytest.raises(GrantRefusedError) as refused:  # the validator cannot see that no such decision exists
            await grants.record(dataclasses.replace(approve(Money(600_000_00), major), decision_ref="党组会:无此纪要"))

        _, after = worker.get("/metrics")

    counter = "grants_ledger_events_appended_total"
    assert metric(after, counter) - metric(before, counter) == 3  # the application, the approval, the major one
    assert "no minutes 无此纪要 of 党组会 are recorded" in str(refused.value)
    assert metric(after, 'grants_rule_refusals_total{rule="GrantError"}') == 1  # refused by the ledger, counted
    lines = [line for line in worker.logs() if line.get("grant_no") == grant_no]
    recorded = [line for line in lines if line["event"] == "ledger.recorded"]
    assert [line["command"] for line in recorded] == ["SubmitApplication", "ApproveApplication"]
    for line in lines:
        assert line["workflow_id"], line
        assert line["actor"], line
    assert {line["stage"] for line in lines if line["event"] == "activity.completed"} == {
        "application",
        "appropriation",
    }


async def test_sigterm_stops_polling_drains_the_activity_in_flight_and_exits_0(
    temporal: WorkflowEnvironment, env: dict[str, str], ledger: RoleLedger, tmp_path: Path
) -> None:
    """An activity held up by the database when SIGTERM arrives still records its step; nothing is lost or doubled."""
    grant_no = new_grant_no()
    grants = gateway(temporal, env)
    schema = str(make_url(ledger.owner_url).query["schema"])
    events = sql.SQL("{}.grantledger_events").format(sql.Identifier(schema))
    with worker_processes(env, tmp_path, count=1) as (worker,):
        await grants.submit(submit(grant_no))
        with connect(ledger.owner_url) as owner:
            owner.autocommit = False
            owner.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(events))  # writers queue behind us
            approval = asyncio.create_task(grants.record(lifecycle(grant_no)[0]))
            await eventually(lambda: waiting_writers(owner, events), what="the approval waiting for the lock")

            worker.terminate()
            await eventually(lambda: not_ready(worker), what="the worker to stop polling")
            assert worker.process.poll() is None, "it waits for the activity in flight"
            owner.commit()  # the lock goes; the activity finishes

        assert await asyncio.to_thread(worker.process.wait, 30) == 0
        events = [line["event"] for line in worker.logs()]
        assert events[-4:] == ["worker.stopping", "ledger.recorded", "activity.completed", "worker.stopped"]

    with open_ledger(ledger.app_url) as book:
        assert [event.name for event in book.history(grant_no)][-1] == "ApplicationApproved"
    (tmp_path / "second").mkdir()
    with worker_processes(env, tmp_path / "second", count=1):  # the update completes on the next worker
        state = await approval
    assert state.version == 2
    with open_ledger(ledger.app_url) as book:
        assert [event.name for event in book.history(grant_no)] == ["ApplicationSubmitted", "ApplicationApproved"]


async def waiting_writers(owner: psycopg.Connection, events: sql.Composed) -> bool:
    query = sql.SQL("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = {}::regclass").format(
        sql.Literal(events.as_string(owner))
    )
    row = owner.execute(query).fetchone()
    return bool(row and row[0])


async def not_ready(worker: WorkerProcess) -> bool:
    status, _ = worker.get("/readyz")
    return status == 503
