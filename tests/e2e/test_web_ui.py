"""The operator's view in a real browser: headless Chromium on the Web UI of a running local stack."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from cli.gateway import GrantGateway
from cli.settings import Settings
from cli.stack import start_detached, stop_detached
from domain.deadlines import DeadlinePolicy
from tests.builders import lifecycle, submit
from tests.e2e.chromium import Chromium
from tests.e2e.test_cli import free_port
from tests.workflows.support import eventually
from worker import connect
from workflows.grant_lifecycle import workflow_id_for
from workflows.search_attributes import GRANT_OVERDUE

pytestmark = pytest.mark.slow

OVERDUE_FILTER = "GrantOverdue = true"
GRANT_NO = "UI-2020-0001"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    home = tmp_path_factory.mktemp("ui-stack")
    env = {
        **os.environ,
        "GRANTS_DATA_DIR": str(home / "var"),
        "GRANTS_RUN_FILE": str(home / "var" / "stack.json"),
        "GRANTS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "GRANTS_UI_PORT": str(free_port()),
    }
    env.pop("GRANTS_LEDGER_URL", None)
    settings = Settings.from_env(env)
    start_detached(settings)
    yield settings
    assert stop_detached(settings) is not None


async def make_overdue_grant(settings: Settings) -> str:
    """A grant whose payment deadline (1 s here) passes unpaid; returns its workflow's run id."""
    client = await connect(settings)
    policy = DeadlinePolicy(payment_due_seconds=1, backfill_grace_seconds=3600)
    gateway = GrantGateway(client, settings.task_queue, settings.ledger_url, 60, policy=policy)
    await gateway.submit(submit(GRANT_NO))
    for command in lifecycle(GRANT_NO)[:3]:
        await gateway.record(command)
    handle = client.get_workflow_handle(workflow_id_for(GRANT_NO))

    async def overdue() -> bool:
        return bool((await handle.describe()).typed_search_attributes.get(GRANT_OVERDUE))

    await eventually(overdue, what="GrantOverdue = true")
    return (await handle.describe()).run_id


async def test_the_web_ui_lists_the_overdue_grant_and_shows_its_current_details(
    stack: Settings, tmp_path: Path
) -> None:
    run_id = await make_overdue_grant(stack)
    ui = f"http://127.0.0.1:{stack.ui_port}/namespaces/{stack.temporal_namespace}/workflows"
    workflow_id = workflow_id_for(GRANT_NO)

    with Chromium(tmp_path / "chromium-profile") as browser:
        listed = browser.open(f"{ui}?query={quote(OVERDUE_FILTER)}", until=workflow_id)
        shots = [browser.screenshot(tmp_path / "overdue-list.png")]
        assert workflow_id in listed, "the overdue grant is listed under the filter GrantOverdue = true"
        assert "GrantOverdue = true" in listed, "the filter is applied"
        assert "1 RUNNING" in listed, "and only the overdue grant matches it"

        page = browser.open(f"{ui}/{workflow_id}/{run_id}/user-metadata", until="OVERDUE")
        shots.append(browser.screenshot(tmp_path / "overdue-grant.png"))
        assert "OVERDUE" in page, "the current details say the grant is overdue"
        assert "payment in full of the appropriated amount" in page
        assert "finance office" in page, "who must act"
        assert f"{GRANT_NO} · 暖心家园 · 长沙市计划生育协会" in page, "the summary line opens the current details"

    for shot in shots:
        assert shot.is_file(), f"no screenshot at {shot}"
        assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), f"{shot} is not a PNG image"
        assert shot.stat().st_size > 10_000, f"{shot} is too small to show a page"
