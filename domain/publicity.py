"""R8 publicity (挂牌公示): posted for at least its minimum period, concluded only with no objection open.

An objection raised during publicity extends it: the posting must then run a full minimum period after the
day the objection was raised, so that the answer to it is posted too.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.commands import ConcludePublicity, GrantCommand, RaiseObjection, ResolveObjection, StartPublicity
from domain.errors import GrantRuleViolation
from domain.state import GrantState

RULE = "R8 publicity"


def check_publicity(state: GrantState, command: GrantCommand, minimum_days: int) -> None:
    match command:
        case StartPublicity() if (command.ends_on - command.starts_on).days + 1 < minimum_days:
            days = (command.ends_on - command.starts_on).days + 1
            raise GrantRuleViolation(
                state.grant_no,
                RULE,
                f"publicity from {command.starts_on} to {command.ends_on} lasts {days} day(s), "
                f"less than the minimum of {minimum_days}",
                f"post it until {command.starts_on + timedelta(days=minimum_days - 1)} or later",
            )
        case ConcludePublicity() if state.open_objections():
            numbers = ", ".join(f"#{objection.number}" for objection in state.open_objections())
            raise GrantRuleViolation(
                state.grant_no,
                RULE,
                f"objection(s) {numbers} are still open",
                "resolve them first (`grants resolve-objection`), then conclude",
            )
        case ResolveObjection():
            objection = next((o for o in state.objections if o.number == command.objection_no), None)
            if objection is None or objection.resolved_on is not None:
                open_ones = ", ".join(f"#{o.number}" for o in state.open_objections()) or "none"
                raise GrantRuleViolation(
                    state.grant_no,
                    RULE,
                    f"there is no open objection #{command.objection_no}",
                    f"resolve one of the open objections ({open_ones})",
                )
        case _:
            return


def extended_end(state: GrantState, command: RaiseObjection, minimum_days: int) -> date:
    """The day publicity now runs until: a full minimum period after the objection, if that is later."""
    after_objection = command.raised_on + timedelta(days=minimum_days - 1)
    current = state.publicity_ends_on or after_objection
    return max(current, after_objection)
