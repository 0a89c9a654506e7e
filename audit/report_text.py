"""The evaluation report as Markdown (for reading and pasting) and as JSON (for programs: money in integer fen)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from audit.report import GrantFigures, GroupFigures, Report
from audit.report_tables import Kind, Table, tables, text
from domain.clock import SHANGHAI
from domain.values import Points

TITLE = "专项资金绩效评价报告 (grant evaluation report)"


def heading(report: Report, generated_at: datetime) -> tuple[str, str]:
    """The report's title and the line under it: scope and when it was made (Asia/Shanghai)."""
    made = generated_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return (
        f"{report.fiscal_year}年度{TITLE}",
        (
            f"范围 (scope): {report.scope} · 项目 {report.total.grants} 个 · "
            f"生成于 (generated) {made} (Asia/Shanghai) · 金额单位：元 (amounts in yuan)"
        ),
    )


def markdown(report: Report, generated_at: datetime) -> str:
    title, subtitle = heading(report, generated_at)
    parts = [f"# {title}", "", subtitle, ""]
    for table in tables(report):
        parts += [f"## {table.title}", "", *_markdown_table(table), ""]
    return "\n".join(parts)


def _markdown_table(table: Table) -> list[str]:
    if not table.rows:
        return ["无 (none)"]
    right = ["---" if column.kind is Kind.TEXT else "---:" for column in table.columns]
    lines = [_row([column.label for column in table.columns]), _row(right)]
    for index, row in enumerate(table.rows):
        cells = [text(cell, column.kind) for cell, column in zip(row, table.columns, strict=True)]
        if table.has_total and index == len(table.rows) - 1:
            cells = [f"**{cell}**" for cell in cells]
        lines.append(_row(cells))
    return lines


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


def as_json(report: Report, generated_at: datetime) -> str:
    document = {
        "fiscal_year": report.fiscal_year,
        "region": report.region,
        "generated_at": generated_at.isoformat(),
        "total": _group(report.total),
        "by_region": [_group(group) for group in report.by_region],
        "by_program": [_group(group) for group in report.by_program],
        "by_year": [_group(group) for group in report.by_year],
        "grants": [_grant(grant) for grant in report.grants],
        "monthly": [
            {"month": m.month, "disbursed_fen": m.disbursed.fen, "returned_fen": m.returned.fen} for m in report.monthly
        ],
        "findings": [finding.as_dict() for finding in report.findings],
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=_plain)


def _money(figures: GrantFigures | GroupFigures) -> dict[str, Any]:
    rate = figures.execution_rate
    return {
        "appropriated_fen": figures.appropriated.fen,
        "disbursed_fen": figures.disbursed.fen,
        "returned_fen": figures.returned.fen,
        "net_disbursed_fen": figures.net_disbursed.fen,
        # A rate, not money: a plain number (a ratio, 1 = 100 %) rounded to six decimals.
        "execution_rate": round(rate.numerator / rate.denominator, 6) if rate is not None else None,
    }


def _group(group: GroupFigures) -> dict[str, Any]:
    return {
        group.dimension: group.key,
        "grants": group.grants,
        **_money(group),
        "mean_days_to_first_payment": group.mean_days_to_first_payment,
        "final_reports_due": group.reports_due,
        "final_reports_on_time": group.reports_on_time,
        "people_planned": group.people_planned,
        "people_reached": group.people_reached,
        "mean_satisfaction": group.mean_satisfaction,
        "mean_score": group.mean_score,
        "rating": group.rating,
        "violations": group.violations,
        "warnings": group.warnings,
    }


def _grant(grant: GrantFigures) -> dict[str, Any]:
    application = grant.application
    return {
        "grant_no": grant.grant_no,
        "program": application.program,
        "recipient": application.recipient,
        "region": application.region,
        "fiscal_year": application.fiscal_year,
        "stage": grant.stage,
        **_money(grant),
        "notice_issued_on": grant.notice_issued_on,
        "first_paid_on": grant.first_paid_on,
        "fully_paid_on": grant.fully_paid_on,
        "days_to_first_payment": grant.days_to_first_payment,
        "payment_on_time": grant.payment_on_time,
        "final_report_on_time": grant.report_on_time,
        "people_planned": grant.people_planned,
        "people_reached": grant.people_reached,
        "satisfaction": grant.satisfaction,
        "score": grant.score,
        "rating": grant.rating,
        "findings": len(grant.findings),
    }


def _plain(value: object) -> object:
    """Scores and percentages as numbers with one decimal; dates as ISO text."""
    if isinstance(value, Points):
        return float(Decimal(value.tenths).scaleb(-1))
    if isinstance(value, Decimal):
        return float(value)
    return str(value)
