"""R8: publicity runs its minimum period and concludes only with no objection open."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from domain import rules
from domain.commands import RaiseObjection, ResolveObjection
from domain.errors import GrantRuleViolation, StageOrderViolation
from domain.grant import Grant
from tests.builders import AFTER_PERIOD, GRANT_NO, conclude_publicity, grant_through, lifecycle, start_publicity

POSTED = 6  # steps up to and including the start of publicity (posted 2020-10-01 to 2020-10-07)


def objection(raised_on: date = date(2020, 10, 5)) -> RaiseObjection:
    return RaiseObjection(grant_no=GRANT_NO, actor="officer", raised_on=raised_on, summary="对补助对象资格有异议")


def resolution(number: int = 1) -> ResolveObjection:
    return ResolveObjection(
        grant_no=GRANT_NO,
        actor="officer",
        objection_no=number,
        resolved_on=date(2020, 10, 9),
        resolution="经核实符合条件",
    )


def posted() -> Grant:
    return grant_through(lifecycle()[:POSTED])


def test_publicity_shorter_than_its_minimum_period_is_refused() -> None:
    state = grant_through(lifecycle()[:5]).state
    short = dataclasses.replace(start_publicity(), ends_on=date(2020, 10, 6))  # 6 days
    with pytest.raises(GrantRuleViolation, match=r"R8 publicity: .* lasts 6 day\(s\), less than the minimum of 7"):
        rules.check(state, short, AFTER_PERIOD)
    rules.check(state, start_publicity(), AFTER_PERIOD)  # 7 days


def test_an_objection_extends_publicity_by_a_full_minimum_period() -> None:
    grant = posted()
    grant.execute(objection(date(2020, 10, 5)), AFTER_PERIOD)
    assert grant.state.publicity_ends_on == date(2020, 10, 11)
    assert grant.state.next_step().command == "grants resolve-objection"


def test_publicity_cannot_conclude_with_an_open_objection() -> None:
    grant = posted()
    grant.execute(objection(), AFTER_PERIOD)
    with pytest.raises(GrantRuleViolation, match=r"R8 publicity: objection\(s\) #1 are still open"):
        grant.execute(dataclasses.replace(conclude_publicity(), concluded_on=date(2020, 10, 12)), AFTER_PERIOD)
    grant.execute(resolution(), AFTER_PERIOD)
    grant.execute(dataclasses.replace(conclude_publicity(), concluded_on=date(2020, 10, 12)), AFTER_PERIOD)
    assert grant.state.objections[0].resolved_on == date(2020, 10, 9)


def test_resolving_an_objection_that_is_not_open_is_refused() -> None:
    grant = posted()
    with pytest.raises(GrantRuleViolation, match=r"no open objection #1\. Fix: .*\(none\)"):
        grant.execute(resolution(), AFTER_PERIOD)


def test_objections_belong_to_the_publicity_stage() -> None:
    with pytest.raises(StageOrderViolation):
        rules.check(grant_through(lifecycle()[:3]).state, objection(), AFTER_PERIOD)
