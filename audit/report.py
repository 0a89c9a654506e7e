"""Evaluation reports (绩效评价报告): the figures of every grant of a year, and their sums per region, program and year.

The figures come from the ledger's events in one pass per grant: its own events and its beneficiary list's, each
read once and handed both to the figures and to `grants audit check`'s judges, then dropped. Only the figures of
each grant (a few numbers) are kept, so memory grows with the number of grants, not with the number of events.
Which grants belong to the year (and region) is read from their applications alone, so other years cost nothing.

Money stays `Money` (integer fen) until a format renders it; rates are exact fractions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, cast
from uuid import UUID

from audit.check import VIOLATION, Finding, applications, check_beneficiary_payments, check_grant, rule_book
from domain.commands import ApplicationDetails
from domain.deadlines import DeadlineKind
from domain.grant import grant_id
from domain.oversight import DEFAULT_FUND_RULES, FundRules
from domain.personal import BeneficiaryList, beneficiary_list_id
from domain.rulebook import RuleBook
from domain.rules import rating_for
from domain.stages import Rating, Stage
from domain.values import Money, Points
from ledger.application import GrantLedger


@dataclass
class GrantFigures:
    """One grant's figures, folded from its events (`apply`) and its beneficiary list's (`apply_list_event`)."""

    grant_no: str
    application: ApplicationDetails
    stage: Stage = Stage.APPLICATION
    appropriated: Money = field(default_factory=Money.zero)
    disbursed: Money = field(default_factory=Money.zero)
    returned: Money = field(default_factory=Money.zero)
    notice_issued_on: date | None = None
    first_paid_on: date | None = None
    fully_paid_on: date | None = None  # the tranche that brought the payments up to the appropriated amount
    missed: frozenset[DeadlineKind] = frozenset()
    reported: bool = False
    people_planned: int | None = None  # people on the registered beneficiary list (上报名单), if it has one
    people_reached: int | None = None  # as the final report says
    satisfaction: Points | None = None
    score: Points | None = None
    # Money moved per month (YYYY-MM of the business date): (disbursed, returned).
    monthly: dict[str, tuple[Money, Money]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def net_disbursed(self) -> Money:
        return self.disbursed - self.returned

    @property
    def execution_rate(self) -> Fraction | None:
        """预算执行率: disbursed net of returns / appropriated (DESIGN.md); none before a notice."""
        return rate(self.net_disbursed, self.appropriated)

    @property
    def days_to_first_payment(self) -> int | None:
        if self.notice_issued_on is None or self.first_paid_on is None:
            return None
        return (self.first_paid_on - self.notice_issued_on).days

    @property
    def payment_on_time(self) -> bool | None:
        """Whether the money was paid in full before the payment deadline: no when it was recorded as missed (R9)."""
        if DeadlineKind.PAYMENT in self.missed:
            return False
        return True if self.fully_paid_on is not None else None

    @property
    def report_on_time(self) -> bool | None:
        """Whether the final report came before its deadline: no when the deadline was recorded as missed (R9)."""
        if DeadlineKind.FINAL_REPORT in self.missed:
            return False
        return True if self.reported else None

    @property
    def rating(self) -> Rating | None:
        return rating_for(self.score) if self.score is not None else None

    @property
    def violations(self) -> int:
        return sum(finding.severity == VIOLATION for finding in self.findings)

    def apply(self, event: Any) -> None:  # noqa: ANN401 - a stored grant event, read by its fields
        """Fold one of the grant's events into its figures."""
        name = type(event).__name__
        if name == "NoticeRecorded":
            self.appropriated, self.notice_issued_on = event.amount, event.issued_on
        elif name == "DisbursementRecorded":
            self.disbursed += event.amount
            self.first_paid_on = self.first_paid_on or event.paid_on
            if self.fully_paid_on is None and self.appropriated.is_positive and self.disbursed >= self.appropriated:
                self.fully_paid_on = event.paid_on
            self._moved(event.paid_on, paid=event.amount)
        elif name == "FundsReturned":
            self.returned += event.amount
            self._moved(event.returned_on, returned=event.amount)
        elif name == "FinalReportSubmitted":
            self.reported, self.people_reached, self.satisfaction = True, event.people_reached, event.satisfaction
        elif name == "EvaluationRecorded":
            self.score = event.score
        elif name == "DeadlineMissed":
            self.missed |= {DeadlineKind(event.kind)}
        self.stage = _STAGE_AFTER.get(name, self.stage)

    def apply_list(self, names: BeneficiaryList | None) -> None:
        """The registered list as it stands after its last event: how many people the grant planned to reach."""
        self.people_planned = len(names.people) if names is not None else None

    def _moved(self, on: date, paid: Money | None = None, returned: Money | None = None) -> None:
        month = f"{on:%Y-%m}"
        before_paid, before_returned = self.monthly.get(month, (Money.zero(), Money.zero()))
        self.monthly[month] = (before_paid + (paid or Money.zero()), before_returned + (returned or Money.zero()))


_STAGE_AFTER = {
    "ApplicationApproved": Stage.APPROPRIATION,
    "ApplicationRejected": Stage.REJECTED,
    "NoticeAcknowledged": Stage.DISBURSEMENT,
    "PublicityStarted": Stage.PUBLICITY,
    "PublicityConcluded": Stage.FINAL_REPORT,
    "FinalReportSubmitted": Stage.AUDIT,
    "GrantClosed": Stage.CLOSED,
}


@dataclass
class GroupFigures:
    """The sums of a group of grants (a region, a program, a year, or all of them)."""

    dimension: str  # region | program | year | total
    key: str
    grants: int = 0
    appropriated: Money = field(default_factory=Money.zero)
    disbursed: Money = field(default_factory=Money.zero)
    returned: Money = field(default_factory=Money.zero)
    days_to_first_payment: list[int] = field(default_factory=list)
    reports_due: int = 0  # grants whose report was submitted or whose deadline passed
    reports_on_time: int = 0
    people_planned: int | None = None  # none when no grant of the group has a registered list
    people_reached: int = 0
    satisfactions: list[Points] = field(default_factory=list)
    scores: list[Points] = field(default_factory=list)
    violations: int = 0
    warnings: int = 0

    def add(self, grant: GrantFigures) -> None:
        self.grants += 1
        self.appropriated += grant.appropriated
        self.disbursed += grant.disbursed
        self.returned += grant.returned
        if grant.days_to_first_payment is not None:
            self.days_to_first_payment.append(grant.days_to_first_payment)
        if grant.report_on_time is not None:
            self.reports_due += 1
            self.reports_on_time += grant.report_on_time
        if grant.people_planned is not None:
            self.people_planned = (self.people_planned or 0) + grant.people_planned
        self.people_reached += grant.people_reached or 0
        if grant.satisfaction is not None:
            self.satisfactions.append(grant.satisfaction)
        if grant.score is not None:
            self.scores.append(grant.score)
        self.violations += grant.violations
        self.warnings += len(grant.findings) - grant.violations

    @property
    def net_disbursed(self) -> Money:
        return self.disbursed - self.returned

    @property
    def execution_rate(self) -> Fraction | None:
        return rate(self.net_disbursed, self.appropriated)

    @property
    def mean_days_to_first_payment(self) -> Decimal | None:
        return _mean_of(self.days_to_first_payment, 1)

    @property
    def mean_satisfaction(self) -> Points | None:
        return _mean_points(self.satisfactions)

    @property
    def mean_score(self) -> Points | None:
        return _mean_points(self.scores)

    @property
    def rating(self) -> Rating | None:
        """The rating of the mean score, derived the same way as a grant's (never typed in)."""
        score = self.mean_score
        return rating_for(score) if score is not None else None


@dataclass(frozen=True)
class MonthFigures:
    month: str  # YYYY-MM
    disbursed: Money
    returned: Money


@dataclass
class Report:
    fiscal_year: int
    region: str | None
    grants: list[GrantFigures]
    by_region: list[GroupFigures]
    by_program: list[GroupFigures]
    by_year: list[GroupFigures]
    total: GroupFigures
    monthly: list[MonthFigures]
    findings: list[Finding]  # every finding of these grants, and the ledger-wide ones (rules loosened)

    @property
    def scope(self) -> str:
        return f"{self.fiscal_year}年度" + (f" · 地区 {self.region}" if self.region else " · 全部地区")


def rate(part: Money, whole: Money) -> Fraction | None:
    return Fraction(part.fen, whole.fen) if whole.is_positive else None


def build_report(
    ledger: GrantLedger, fiscal_year: int, region: str | None = None, fund_rules: FundRules = DEFAULT_FUND_RULES
) -> Report:
    """The report of one fiscal year (and region): every grant's figures and findings, and their sums."""
    book, general = rule_book(ledger)
    grants = [
        _figures(ledger, grant_no, details, fund_rules, book)
        for grant_no, details in applications(ledger)
        if details.fiscal_year == fiscal_year and (region is None or details.region == region)
    ]
    grants.sort(key=lambda grant: (grant.application.region, grant.grant_no))
    return Report(
        fiscal_year=fiscal_year,
        region=region,
        grants=grants,
        by_region=_groups("region", grants, lambda grant: grant.application.region),
        by_program=_groups("program", grants, lambda grant: grant.application.program),
        by_year=_groups("year", grants, lambda grant: str(grant.application.fiscal_year)),
        total=_total(grants),
        monthly=_months(grants),
        findings=sorted([*general, *(finding for grant in grants for finding in grant.findings)]),
    )


def _figures(
    ledger: GrantLedger, grant_no: str, details: ApplicationDetails, fund_rules: FundRules, book: RuleBook | None
) -> GrantFigures:
    figures = GrantFigures(grant_no=grant_no, application=details)
    events = list(_events(ledger, grant_id(grant_no)))  # one grant's events, read once for figures and findings
    for event in events:
        figures.apply(event)
    figures.findings.extend(check_grant(ledger, grant_no, fund_rules, book, events=events))
    list_events = list(_events(ledger, beneficiary_list_id(grant_no)))
    names: BeneficiaryList | None = None
    for event in list_events:
        names = event.mutate(names)
    figures.apply_list(names)
    figures.findings.extend(check_beneficiary_payments(ledger, grant_no, events=list_events))
    return figures


def _events(ledger: GrantLedger, aggregate_id: UUID) -> Iterable[Any]:
    return cast("Iterable[Any]", ledger.repository.event_store.get(aggregate_id))


def _groups(dimension: str, grants: list[GrantFigures], key_of: Callable[[GrantFigures], str]) -> list[GroupFigures]:
    groups: dict[str, GroupFigures] = {}
    for grant in grants:
        key = key_of(grant)
        groups.setdefault(key, GroupFigures(dimension, key)).add(grant)
    return [groups[key] for key in sorted(groups)]


def _total(grants: list[GrantFigures]) -> GroupFigures:
    total = GroupFigures("total", "合计")
    for grant in grants:
        total.add(grant)
    return total


def _months(grants: list[GrantFigures]) -> list[MonthFigures]:
    sums: dict[str, tuple[Money, Money]] = defaultdict(lambda: (Money.zero(), Money.zero()))
    for grant in grants:
        for month, (paid, returned) in grant.monthly.items():
            before_paid, before_returned = sums[month]
            sums[month] = (before_paid + paid, before_returned + returned)
    return [MonthFigures(month, *sums[month]) for month in sorted(sums)]


def _mean_of(values: list[int], places: int) -> Decimal | None:
    if not values:
        return None
    mean = Decimal(sum(values)) / Decimal(len(values))
    return mean.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _mean_points(values: list[Points]) -> Points | None:
    """The mean to one decimal, rounded half up (as a person rounds it)."""
    mean = _mean_of([value.tenths for value in values], 0)
    return Points(int(mean)) if mean is not None else None
