"""Self-contained HTML pages for auditors: the evaluation report (with its charts inline as SVG) and a grant's timeline.

One file each: the style is inline, the charts are inline SVG, nothing is fetched, so the page can be mailed,
archived and printed as it is. The print style puts it on A4 landscape, repeats table headers on every page and
keeps charts and rows whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from audit.report import Report
from audit.report_charts import execution_rate_by_region, money_over_time
from audit.report_tables import Cell, Column, Kind, Table, tables, text
from audit.report_text import heading
from audit.timeline import TimelineEntry
from domain.clock import SHANGHAI
from domain.values import Money

STYLE = """
:root { color-scheme: light; }
body { font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", sans-serif;
       margin: 2em auto; max-width: 1400px; padding: 0 1em; color: #1d1d1d; line-height: 1.45; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 2px solid #2f6f9f; padding-bottom: 0.2em; }
.scope { color: #555; margin-top: 0; }
.totals { display: flex; flex-wrap: wrap; gap: 0.8em; margin: 1em 0; }
.totals div { border: 1px solid #c9d6e2; border-radius: 4px; padding: 0.5em 0.9em; min-width: 9em; }
.totals dt { font-size: 0.8em; color: #555; }
.totals dd { margin: 0; font-size: 1.25em; font-weight: 600; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure { margin: 0; flex: 1 1 520px; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #c9d6e2; padding: 0.25em 0.45em; vertical-align: top; }
th { background: #e8f0f7; text-align: left; font-weight: 600; }
td:first-child { white-space: nowrap; }
.wide { overflow-x: auto; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 700; background: #f4f7fa; }
.notes { font-size: 0.8em; color: #555; margin-top: 2em; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 8.5pt;
         -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  figure, .totals, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  .charts { display: block; }
  .wide { overflow: visible; }
  table { font-size: 7.5pt; }
  figure { margin-bottom: 1em; }
}
"""

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
        f"<header><h1>{escape(title)}</h1><p class=scope>{escape(subtitle)}</p></header>"
        f'<dl class="totals">{totals}</dl>'
        f'<section class="charts">{charts}</section>'
        + "".join(_section(table) for table in tables(report))
        + '<section class="notes"><h2>说明 (notes)</h2><ul>'
        + "".join(f"<li>{escape(note)}</li>" for note in NOTES)
        + "</ul></section>"
    )
    return _page(title, body)


def timeline_page(grant_no: str, entries: Sequence[TimelineEntry], generated_at: datetime) -> str:
    """A grant's timeline as one self-contained HTML page."""
    columns = (
        Column("#", Kind.COUNT),
        Column("时间 (time, Asia/Shanghai)"),
        Column("事件 (event)"),
        Column("经办人 (actor)"),
        Column("阶段 (stage)"),
        Column("下达 (appropriated)", Kind.MONEY),
        Column("拨付 (disbursed)", Kind.MONEY),
        Column("退回 (returned)", Kind.MONEY),
        Column("决策依据 (decision)"),
        Column("内容 (details)"),
        Column("哈希 (hash)"),
    )
    rows: list[tuple[Cell, ...]] = [
        (
            e.version,
            e.time,
            e.event,
            e.actor,
            e.stage,
            Money.parse_yuan(e.appropriated),
            Money.parse_yuan(e.disbursed),
            Money.parse_yuan(e.returned),
            e.decision or None,
            e.details,
            e.hash,
        )
        for e in entries
    ]
    title = f"项目时间线 (timeline) · {grant_no}"
    made = generated_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    subtitle = f"{len(entries)} 个事件 (events) · 生成于 (generated) {made} (Asia/Shanghai) · 金额单位：元 (yuan)"
    body = f"<header><h1>{escape(title)}</h1><p class=scope>{escape(subtitle)}</p></header>" + _table(
        Table("时间线", title, columns, rows)
    )
    return _page(title, body)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _figure(key: str, svg: str, caption: str) -> str:
    return f'<figure id="{key}">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def _section(table: Table) -> str:
    return f"<section><h2>{escape(table.title)}</h2>{_table(table)}</section>"


def _table(table: Table) -> str:
    if not table.rows:
        return "<p>无 (none)</p>"
    head = "".join(f"<th>{escape(column.label)}</th>" for column in table.columns)
    rows = []
    for index, row in enumerate(table.rows):
        total = table.has_total and index == len(table.rows) - 1
        cells = "".join(_cell(cell, column) for cell, column in zip(row, table.columns, strict=True))
        rows.append(f'<tr class="total">{cells}</tr>' if total else f"<tr>{cells}</tr>")
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _cell(cell: Cell, column: Column) -> str:
    shown = escape(text(cell, column.kind))
    if column.kind is Kind.TEXT:
        return f"<td>{shown}</td>"
    fen = f' data-fen="{cell.fen}"' if isinstance(cell, Money) else ""
    return f'<td class="num"{fen}>{shown}</td>'
