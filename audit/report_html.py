"""The evaluation report as one self-contained HTML page: its totals, its charts inline as SVG, and its tables."""

from __future__ import annotations

from datetime import datetime
from html import escape

from audit.html_page import header, page, table_html
from audit.report import Report
from audit.report_charts import execution_rate_by_region, money_over_time
from audit.report_tables import Kind, Table, tables, text
from audit.report_text import heading

NOTES = (
    "预算执行率 = (拨付 − 退回) ÷ 下达 (budget execution rate = disbursed net of returns / appropriated).",
    "下达至首笔拨付天数：资金指标文件日期至第一笔拨付日期 (days from the notice's date to the first payment).",
    "按期拨付 / 终期报告按时：未记录逾期 (R9) 即为按期 (on time unless the deadline was recorded as missed).",
    "计划人数为上报名单人数 (people planned: the registered beneficiary list).",
    "等级由评分得出：≥90 优，≥80 良，≥60 中，否则差 (the rating is derived from the score, never typed in).",
    "审计发现为 grants audit check 的结果 (findings: the rules R1-R9 applied again on replay).",
)


def report_page(report: Report, generated_at: datetime) -> str:
    """The evaluation report as one self-contained HTML page."""
    title, subtitle = heading(report, generated_at)
    total = report.total
    figures = [
        ("total-appropriated", "下达金额 (appropriated)", total.appropriated.yuan()),
        ("total-disbursed", "拨付金额 (disbursed)", total.disbursed.yuan()),
        ("total-returned", "退回金额 (returned)", total.returned.yuan()),
        ("total-net", "净拨付 (net disbursed)", total.net_disbursed.yuan()),
        ("total-rate", "预算执行率 (execution rate)", text(total.execution_rate, Kind.RATE)),
        ("total-violations", "违规 (violations)", str(total.violations)),
    ]
    totals = "".join(
        f'<div><dt>{escape(label)}</dt><dd id="{key}">{escape(value)}</dd></div>' for key, label, value in figures
    )
    charts = (
        _figure("chart-execution-rate", execution_rate_by_region(report), "虚线为 100% (the dashed line is 100 %)")
        + _figure(
            "chart-money-over-time",
            money_over_time(report),
            "按拨付与退回日期的月份 (by the month of each payment and return); 虚线为下达合计 (dashed: appropriated)",
        )
        if report.grants
        else "<p>无项目 (no grants in scope)</p>"
    )
    body = (
        header(title, subtitle)
        + f'<dl class="totals">{totals}</dl><section class="charts">{charts}</section>'
        + "".join(_section(table) for table in tables(report))
        + '<section class="notes"><h2>说明 (notes)</h2><ul>'
        + "".join(f"<li>{escape(note)}</li>" for note in NOTES)
        + "</ul></section>"
    )
    return page(title, body)


def _figure(key: str, svg: str, caption: str) -> str:
    return f'<figure id="{key}">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def _section(table: Table) -> str:
    return f"<section><h2>{escape(table.title)}</h2>{table_html(table)}</section>"
