"""The six stages a grant moves through, forward only, and where it ends."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    APPLICATION = "application"  # 申报: submitted, waiting for review and approval
    APPROPRIATION = "appropriation"  # 资金指标文件: approved, waiting for the notice and its acknowledgement
    DISBURSEMENT = "disbursement"  # 拨付: paying out in tranches
    PUBLICITY = "publicity"  # 挂牌公示: posted for its period
    FINAL_REPORT = "final_report"  # 终期报告: waiting for the report after the project period
    AUDIT = "audit"  # 审计 / 绩效评价: waiting for the evaluation, then closing
    CLOSED = "closed"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in (Stage.CLOSED, Stage.REJECTED)


class Rating(StrEnum):
    """绩效评价 rating, derived from the score and never typed in."""

    EXCELLENT = "优"
    GOOD = "良"
    FAIR = "中"
    POOR = "差"
