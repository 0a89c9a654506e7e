"""`grants audit reconcile` on the real dev server: one line per grant, a summary, exit 1 on a difference."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner
from temporalio.client import Client

from cli.gateway import GrantGateway
from cli.main import grants
from ledger.application import GrantLedger
from tests.builders import HALF, disburse, submit
from tests.workflows.support import new_grant_no, run_until


async def reconcile_cli(client: Client, ledger_url: str, *args: str) -> tuple[int, str]:
    env = {"GRANTS_TEMPORAL_ADDRESS": client.service_client.config.target_host, "GRANTS_LEDGER_URL": ledger_url}
    # The command runs its own event loop, so it runs in a thread of its own, as in a terminal.
    result = await asyncio.to_thread(CliRunner().invoke, grants, ["audit", "reconcile", *args], env=env)
    return result.exit_code, result.output


async def test_reconcile_exits_0_when_the_records_agree_and_1_with_a_difference(
    gateway: GrantGateway, client: Client, ledger: GrantLedger, ledger_url: str
) -> None:
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=4)
    code, output = await reconcile_cli(client, ledger_url)
    assert (code, output.splitlines()) == (
        0,
        [
            f"{grant_no}  consistent: 5 ledger event(s), 5 workflow step(s) in 1 run(s)",
            "reconciled 1 grant(s): 0 with differences, 0 whose closed history Temporal no longer keeps, 0 imported",
        ],
    )

    ledger.execute(disburse(HALF, grant_no=grant_no))
    ledger.execute(submit(new_grant_no(), fiscal_year=2019))  # another year's grant that never ran as a workflow
    code, output = await reconcile_cli(client, ledger_url, "--year", "2020", "--format", "json")
    assert code == 1
    report = json.loads(output)
    assert report["consistent"] is False
    [result] = report["grants"]
    assert (result["grant_no"], result["outcome"]) == (grant_no, "differences")
    assert "event #6 DisbursementRecorded" in result["differences"][0]
