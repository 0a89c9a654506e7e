"""`grants object` and `grants resolve-objection` through a worker on the session's dev server (R8 publicity)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result
from temporalio.client import Client

from cli.gateway import GrantGateway
from cli.main import grants
from ledger.application import GrantLedger
from tests.workflows.support import new_grant_no, run_until

POSTED = 6  # lifecycle steps up to the start of publicity, posted 2020-10-01 to 2020-10-07


async def grants_cli(env: dict[str, str], *args: str) -> Result:
    # The command runs its own event loop, so it runs in a thread of its own, as in a terminal.
    return await asyncio.to_thread(CliRunner().invoke, grants, list(args), env=env)


def cli_env(client: Client, gateway: GrantGateway, ledger_url: str, folder: Path) -> dict[str, str]:
    return {
        "GRANTS_TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "GRANTS_TASK_QUEUE": gateway._task_queue,  # the queue the test's worker polls
        "GRANTS_LEDGER_URL": ledger_url,
        "GRANTS_DATA_DIR": str(folder),
        "GRANTS_ACTOR": "项目办",
    }


async def test_an_objection_extends_publicity_and_holds_its_conclusion_until_resolved(
    gateway: GrantGateway, client: Client, ledger: GrantLedger, ledger_url: str, tmp_path: Path
) -> None:
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=POSTED)
    env = cli_env(client, gateway, ledger_url, tmp_path)

    raised = await grants_cli(env, "object", grant_no, "--raised-on", "2020-10-05", "--summary", "对补助对象资格有异议")
    assert raised.exit_code == 0, raised.output
    assert raised.output.startswith(f"grant {grant_no}: objection recorded (event #8); stage publicity")
    assert ledger.history(grant_no)[-1].fields["extends_to"].isoformat() == "2020-10-11"

    still_open = await grants_cli(env, "conclude-publicity", grant_no, "--concluded-on", "2020-10-12")
    assert still_open.exit_code == 2
    assert still_open.stderr == (
        f"error: grant {grant_no}: R8 publicity: objection(s) #1 are still open. "
        "Fix: resolve them first (`grants resolve-objection`), then conclude.\n"
    )

    resolution = ["--resolved-on", "2020-10-09", "--resolution", "经核实符合条件"]
    no_such = await grants_cli(env, "resolve-objection", grant_no, "--objection", "2", *resolution)
    assert no_such.exit_code == 2
    assert "R8 publicity: there is no open objection #2. Fix: resolve one of the open objections (#1)" in no_such.stderr

    resolved = await grants_cli(env, "resolve-objection", grant_no, "--objection", "1", *resolution)
    assert resolved.exit_code == 0, resolved.output
    assert resolved.output.startswith(f"grant {grant_no}: objection #1 resolved (event #9); stage publicity")

    too_early = await grants_cli(env, "conclude-publicity", grant_no, "--concluded-on", "2020-10-08")
    assert too_early.exit_code == 2
    assert "R8 publicity: publicity runs until 2020-10-11, so it cannot conclude on 2020-10-08" in too_early.stderr
    concluded = await grants_cli(env, "conclude-publicity", grant_no, "--concluded-on", "2020-10-11")
    assert concluded.exit_code == 0, concluded.output
    assert [event.name for event in ledger.history(grant_no)][-4:] == [
        "PublicityStarted",
        "ObjectionRaised",
        "ObjectionResolved",
        "PublicityConcluded",
    ]


async def test_an_objection_without_a_summary_is_refused_before_anything_is_sent(
    gateway: GrantGateway, client: Client, ledger: GrantLedger, ledger_url: str, tmp_path: Path
) -> None:
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=POSTED)
    refused = await grants_cli(
        cli_env(client, gateway, ledger_url, tmp_path),
        "object",
        grant_no,
        "--raised-on",
        "2020-10-05",
        "--summary",
        " ",
    )
    assert refused.exit_code == 2
    assert refused.stderr.startswith(f"error: grant {grant_no}: invalid input: summary must not be empty")
    assert len(ledger.history(grant_no)) == POSTED + 1
