"""Returned money through the workflow: a Workflow Update like every other step, refused before history if too much."""

from __future__ import annotations

import pytest

from cli.gateway import GrantGateway, GrantRefusedError
from domain.values import Money
from ledger.application import GrantLedger
from tests.builders import HALF, RETURNED, funds_return
from tests.workflows.support import new_grant_no, run_until


async def test_a_return_is_recorded_through_its_update_and_more_than_was_paid_is_refused(
    gateway: GrantGateway, ledger: GrantLedger
) -> None:
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=4)  # one tranche of half paid
    state = await gateway.record(funds_return(RETURNED, grant_no=grant_no))
    assert (state.returned, state.net_disbursed) == (RETURNED, HALF - RETURNED)
    assert ledger.history(grant_no)[-1].name == "FundsReturned"

    events_before = ledger.count_events()
    with pytest.raises(GrantRefusedError, match=rf"grant {grant_no}: R2 amounts: returning .* Fix: "):
        await gateway.record(funds_return(HALF - RETURNED + Money(1), grant_no=grant_no))
    assert ledger.count_events() == events_before
