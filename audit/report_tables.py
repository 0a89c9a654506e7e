"""The evaluation report as tables: the one layout that Markdown, HTML and the spreadsheet all render.

Each column has a kind that says how its values are written: money (integer fen, shown as yuan with two
decimals), rates (exact fractions, shown as percentages), counts, dates, scores. Chinese labels come first, as the
office reads them, with English in brackets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from audit.report import GrantFigures, GroupFigures, Report
from domain.values import Money, Points

Cell = str | int | Money | Fraction | Decimal | Points | date | None
NOT_APPLICABLE = "—"


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"  # Money: yuan, two decimals
    RATE = "rate"  # Fraction: a percentage with two decimals
    COUNT = "count"  # int
    DAYS = "days"  # int or Decimal with one decimal (a mean)
    PERCENT = "percent"  # Points read as a percentage (satisfaction)
    SCORE = "score"  # Points out of 100
    DATE = "date"


@dataclass(frozen=True)
class Column:
    label: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Table:
    sheet: str  # the spreadsheet's sheet name (short: at most 31 characters)
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]]
    has_total: bool = False  # the last row is the total


def percent(value: Fraction, places: int = 2) -> Decimal:
    """`value` as a percentage, rounded half up to `places` decimals (exact: no float on the way)."""
    return (Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )


def text(cell: Cell, kind: Kind) -> str:
    """How a cell reads on a page."""
    if cell is None:
        return NOT_APPLICABLE
    if isinstance(cell, Money):
        return cell.yuan()
    if isinstance(cell, Fraction):
        return f"{percent(cell)}%"
    if isinstance(cell, Points):
        return f"{cell}%" if kind is Kind.PERCENT else str(cell)
    if isinstance(cell, int) and kind is not Kind.TEXT:
        return f"{cell:,}"
    return str(cell)


def yes_no(value: bool | None) -> str | None:  # noqa: FBT001 - a tri-state answer, not a switch
    return None if value is None else ("是 (yes)" if value else "否 (no)")


MONEY_COLUMNS = (
    Column("下达金额 (appropriated)", Kind.MONEY),
    Column("拨付金额 (disbursed)", Kind.MONEY),
    Column("退回金额 (returned)", Kind.MONEY),
    Column("净拨付 (net disbursed)", Kind.MONEY),
    Column("预算执行率 (budget execution rate)", Kind.RATE),
)
GRANT_COLUMNS = (
    Column("项目编号 (grant)"),
    Column("项目类别 (program)"),
    Column("承担单位 (recipient)"),
    Column("地区 (region)"),
    Column("阶段 (stage)"),
    *MONEY_COLUMNS,
    Column("下达至首笔拨付天数 (days notice to first payment)", Kind.DAYS),
    Column("足额拨付日期 (paid in full on)", Kind.DATE),
    Column("按期拨付 (payment deadline met)"),
    Column("终期报告按时 (final report on time)"),
    Column("计划人数 (people planned)", Kind.COUNT),
    Column("受益人数 (people reached)", Kind.COUNT),
    Column("满意度 (satisfaction)", Kind.PERCENT),
    Column("评分 (score)", Kind.SCORE),
    Column("等级 (rating)"),
    Column("违规 (violations)", Kind.COUNT),
    Column("提示 (warnings)", Kind.COUNT),
)
GROUP_COLUMNS = (
    Column("项目数 (grants)", Kind.COUNT),
    *MONEY_COLUMNS,
    Column("平均首拨天数 (mean days to first payment)", Kind.DAYS),
    Column("终期报告按时 (final reports on time)"),
    Column("计划人数 (people planned)", Kind.COUNT),
    Column("受益人数 (people reached)", Kind.COUNT),
    Column("平均满意度 (mean satisfaction)", Kind.PERCENT),
    Column("平均评分 (mean score)", Kind.SCORE),
    Column("等级 (rating)"),
    Column("违规 (violations)", Kind.COUNT),
    Column("提示 (warnings)", Kind.COUNT),
)
GROUPINGS = (
    ("地区汇总", "地区汇总 (by region)", "地区 (region)", "by_region"),
    ("项目类别汇总", "项目类别汇总 (by program)", "项目类别 (program)", "by_program"),
    ("年度汇总", "年度汇总 (by year)", "年度 (year)", "by_year"),
)


def tables(report: Report) -> list[Table]:
    """The report's tables in reading order: totals by region, program and year; grants; money by month; findings."""
    grouped = [
        Table(
            sheet,
            title,
            (Column(key_label), *GROUP_COLUMNS),
            [*(_group_row(group) for group in getattr(report, attribute)), _group_row(report.total)],
            has_total=True,
        )
        for sheet, title, key_label, attribute in GROUPINGS
    ]
    return [*grouped, _grants_table(report.grants), _months_table(report), _findings_table(report)]


def _money_cells(figures: GrantFigures | GroupFigures) -> tuple[Cell, ...]:
    return (
        figures.appropriated,
        figures.disbursed,
        figures.returned,
        figures.net_disbursed,
        figures.execution_rate,
    )


def _group_row(group: GroupFigures) -> tuple[Cell, ...]:
    on_time = f"{group.reports_on_time}/{group.reports_due}" if group.reports_due else None
    return (
        group.key,
        group.grants,
        *_money_cells(group),
        group.mean_days_to_first_payment,
        on_time,
        group.people_planned,
        group.people_reached,
        group.mean_satisfaction,
        group.mean_score,
        str(group.rating) if group.rating else None,
        group.violations,
        group.warnings,
    )


def _grants_table(grants: Sequence[GrantFigures]) -> Table:
    rows = [
        (
            grant.grant_no,
            grant.application.program,
            grant.application.recipient,
            grant.application.region,
            str(grant.stage),
            *_money_cells(grant),
            grant.days_to_first_payment,
            grant.fully_paid_on,
            yes_no(grant.payment_on_time),
            yes_no(grant.report_on_time),
            grant.people_planned,
            grant.people_reached,
            grant.satisfaction,
            grant.score,
            str(grant.rating) if grant.rating else None,
            grant.violations,
            len(grant.findings) - grant.violations,
        )
        for grant in grants
    ]
    return Table("项目明细", "项目明细 (grants)", GRANT_COLUMNS, rows)


def _months_table(report: Report) -> Table:
    columns = (
        Column("月份 (month)"),
        Column("拨付金额 (disbursed)", Kind.MONEY),
        Column("退回金额 (returned)", Kind.MONEY),
        Column("净拨付 (net)", Kind.MONEY),
        Column("累计净拨付 (cumulative net)", Kind.MONEY),
    )
    rows: list[tuple[Cell, ...]] = []
    cumulative = Money.zero()
    for month in report.monthly:
        net = month.disbursed - month.returned
        cumulative += net
        rows.append((month.month, month.disbursed, month.returned, net, cumulative))
    return Table("月度资金", "月度资金 (money by month)", columns, rows)


def _findings_table(report: Report) -> Table:
    columns = (
        Column("项目编号 (grant)"),
        Column("事件 (events)"),
        Column("规则 (rule)"),
        Column("级别 (severity)"),
        Column("说明 (finding)"),
    )
    rows: list[tuple[Cell, ...]] = [
        (
            finding.grant_no,
            ", ".join(f"#{version}" for version in finding.versions),
            finding.rule,
            finding.severity,
            finding.message,
        )
        for finding in report.findings
    ]
    return Table("审计发现", "审计发现 (findings of grants audit check)", columns, rows)
