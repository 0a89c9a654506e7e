"""R9 on replay: the payment and final-report deadlines derived from the events' own times.

The workflow records a `DeadlineMissed` event when a deadline passes with its obligation open; a history
imported from elsewhere (or written while no workflow watched it) has none. So the check works the deadlines out
again, as the workflow arms them: each from the moment its obligation began (the payment from the notice's
acknowledgement, the final report from the approval, due a period after the project ends), by the deadlines in
force then, with the same grace for a deadline already past when its obligation began (a grant entered after the
fact). An obligation met after its deadline, or still open when the grant's history ends, is a finding; a
deadline the workflow recorded as missed is reported from that event instead, never twice.

The publicity deadline is left to R8: concluding a posting later than its last day breaks no rule of R9.

R9's surplus rule (结余) is judged at the end too: money paid out and neither used (by the final report) nor returned
is surplus two years after the approval, to be paid back; still held then, it is a finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from audit.findings import VIOLATION, Finding, local_time
from domain.deadlines import DeadlineKind, DeadlinePolicy, business_due_at, timer_due_at
from domain.state import GrantState

RULE = "R9 deadlines"
SURPLUS_RULE = "R9 surplus"
WATCHED = (DeadlineKind.PAYMENT, DeadlineKind.FINAL_REPORT)
FIXES = {
    DeadlineKind.PAYMENT: "pay the rest of the appropriated amount (`grants disburse`)",
    DeadlineKind.PUBLICITY: "conclude publicity once no objection is open (`grants conclude-publicity`)",
    DeadlineKind.FINAL_REPORT: "have the recipient submit the final report (`grants report`)",
}


def deadline_fix(kind: DeadlineKind) -> str:
    """What to do about a deadline missed (or met late): what meets it, and the delay on record."""
    return f"{FIXES[kind]}, and record the reason for the delay with the evaluation (`grants evaluate --findings`)"


@dataclass(frozen=True)
class ArmedAt:
    """A deadline as the workflow would have armed it: when its obligation began, and when it fell due."""

    version: int
    due_at: datetime  # the business deadline
    counts_from: datetime  # when it counts as missed: the deadline, or a grace after an obligation entered late


class DeadlineWatch:
    """Follows one grant's replay, event by event, and reports each deadline met late or not at all."""

    def __init__(self, grant_no: str, deadlines_at: Callable[[datetime], DeadlinePolicy]) -> None:
        self._grant_no = grant_no
        self._deadlines_at = deadlines_at  # the deadlines in force at a moment
        self._armed: dict[DeadlineKind, ArmedAt] = {}
        self._met: set[DeadlineKind] = set()
        self._approved: tuple[int, datetime] | None = None  # the approval's version and time: surplus counts from it

    def after(self, state: GrantState, version: int, at: datetime) -> list[Finding]:
        """The findings of the event (`version`, recorded `at`) that brought the grant to `state`."""
        findings = []
        if self._approved is None and state.approved is not None:
            self._approved = (version, at)
        for kind in WATCHED:
            armed = self._armed.get(kind)
            if armed is None and state.deadline_is_open(kind):
                self._armed[kind] = self._arm(kind, state, version, at)
            elif armed is not None and kind not in self._met and not state.deadline_is_open(kind):
                self._met.add(kind)
                if at > armed.counts_from and state.missed(kind) is None:
                    came = f"it came only on {local_time(at)} (#{version})"
                    findings.append(self._finding(kind, state, armed, came, (armed.version, version)))
        return findings

    def at_end(self, state: GrantState, last_version: int, as_of: datetime) -> list[Finding]:
        """The deadlines already passed at `as_of` (the end of the grant's history) with their obligation open."""
        findings = []
        for kind, armed in self._armed.items():
            if kind in self._met or not state.deadline_is_open(kind) or state.missed(kind) is not None:
                continue
            if as_of > armed.counts_from:
                still = f"it was still not met by {local_time(as_of)} (the grant's history ends at #{last_version})"
                findings.append(self._finding(kind, state, armed, still, (armed.version,)))
        return findings + self._surplus(state, last_version, as_of)

    def _surplus(self, state: GrantState, last_version: int, as_of: datetime) -> list[Finding]:
        """Money paid out, unused by the final report and not returned, two years after the approval (结余)."""
        if self._approved is None or state.money_used is None:
            return []
        surplus = state.net_disbursed - state.money_used
        version, approved_at = self._approved
        due = _two_years_after(approved_at)
        if not surplus.is_positive or as_of < due:
            return []
        message = (
            f"{surplus} paid out was neither used (final report: {state.money_used}) nor returned two years "
            f"after the approval (#{version}), by {local_time(due)}: it is surplus (结余) to be paid back. "
            "Fix: record the return of the surplus with `grants return`"
        )
        return [Finding(self._grant_no, (version, last_version), SURPLUS_RULE, VIOLATION, message)]

    def _arm(self, kind: DeadlineKind, state: GrantState, version: int, at: datetime) -> ArmedAt:
        policy = self._deadlines_at(at)
        period_end, publicity_ends_on = state.application.period_end, state.publicity_ends_on
        due_at = business_due_at(kind, policy, armed_at=at, publicity_ends_on=publicity_ends_on, period_end=period_end)
        return ArmedAt(version, due_at, timer_due_at(due_at, policy, armed_at=at))

    def _finding(
        self, kind: DeadlineKind, state: GrantState, armed: ArmedAt, outcome: str, versions: tuple[int, ...]
    ) -> Finding:
        if kind is DeadlineKind.PAYMENT:
            since = f"counted from the notice's acknowledgement (#{armed.version})"
        else:
            since = f"counted from the end of the project period on {state.application.period_end}"
        grace = "" if armed.counts_from == armed.due_at else f", given until {local_time(armed.counts_from)}"
        message = (
            f"{kind.obligation} was due by {local_time(armed.due_at)} ({since}{grace}), but {outcome}. "
            f"Fix: {deadline_fix(kind)}"
        )
        return Finding(self._grant_no, versions, RULE, VIOLATION, message)


def _two_years_after(moment: datetime) -> datetime:
    """The same day two years on (29 February falls to the 28th)."""
    try:
        return moment.replace(year=moment.year + 2)
    except ValueError:
        return moment.replace(year=moment.year + 2, day=28)
