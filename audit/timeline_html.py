"""A grant's timeline as one self-contained HTML page (`grants audit timeline GRANT --format html`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from audit.html_page import header, page, table_html
from audit.report_tables import Cell, Column, Kind, Table
from audit.timeline import TimelineEntry
from domain.clock import SHANGHAI
from domain.values import Money


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
    return page(title, header(title, subtitle) + table_html(Table("时间线", title, columns, rows)))
