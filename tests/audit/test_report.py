"""The evaluation report on a fixed ledger (tests/audit/report_scenario.py): every figure worked out by hand."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from openpyxl import load_workbook

from audit.check import check_ledger
from audit.report import GrantFigures, Report, build_report
from audit.report_text import as_json, markdown
from audit.report_xlsx import CNY, write_workbook
from domain.stages import Rating, Stage
from domain.values import Money, Points
from ledger.application import GrantLedger
from tests.audit.report_scenario import CHANGSHA, GENERATED_AT, YEAR, ZHUZHOU, A, B, C


@pytest.fixture(scope="module")
def report(scenario_ledger: GrantLedger) -> Report:
    return build_report(scenario_ledger, YEAR)


def yuan(amount: int) -> Money:
    return Money(amount * 100)


def grant(report: Report, grant_no: str) -> GrantFigures:
    return next(figures for figures in report.grants if figures.grant_no == grant_no)


def test_the_report_covers_the_grants_of_its_year_only(report: Report) -> None:
    assert [figures.grant_no for figures in report.grants] == [A, B, C]


def test_a_grant_s_money_is_net_of_its_return_and_its_rate_is_net_over_appropriated(report: Report) -> None:
    a = grant(report, A)
    assert (a.appropriated, a.disbursed, a.returned, a.net_disbursed) == (
        yuan(90_000),
        yuan(90_000),
        yuan(10_000),
        yuan(80_000),
    )
    assert a.execution_rate == Fraction(8, 9)
    assert (a.stage, a.score, a.rating) == (Stage.CLOSED, Points(935), Rating.EXCELLENT)


def test_timeliness_counts_days_from_the_notice_and_missed_deadlines_make_it_late(report: Report) -> None:
    a, b, c = grant(report, A), grant(report, B), grant(report, C)
    assert (a.days_to_first_payment, a.fully_paid_on, a.payment_on_time, a.report_on_time) == (
        21,
        date(2020, 8, 3),
        True,
        True,
    )
    assert (b.days_to_first_payment, b.fully_paid_on, b.payment_on_time, b.report_on_time) == (30, None, False, None)
    assert (c.days_to_first_payment, c.fully_paid_on, c.payment_on_time, c.report_on_time) == (
        10,
        date(2020, 7, 11),
        True,
        False,
    )


def test_people_planned_come_from_the_registered_list_and_people_reached_from_the_report(report: Report) -> None:
    assert (grant(report, A).people_planned, grant(report, A).people_reached) == (None, 1200)
    assert (grant(report, B).people_planned, grant(report, B).people_reached) == (3, None)


def test_regions_and_the_total_sum_their_grants(report: Report) -> None:
    changsha, zhuzhou = report.by_region
    assert (changsha.key, changsha.grants, changsha.appropriated, changsha.net_disbursed) == (
        CHANGSHA,
        2,
        yuan(150_000),
        yuan(110_000),
    )
    assert changsha.execution_rate == Fraction(11, 15)
    assert (changsha.mean_days_to_first_payment, changsha.reports_on_time, changsha.reports_due) == (
        Decimal("25.5"),
        1,
        1,
    )
    assert (zhuzhou.key, zhuzhou.execution_rate, zhuzhou.violations) == (ZHUZHOU, Fraction(1), 1)
    total = report.total
    assert (total.appropriated, total.disbursed, total.returned) == (yuan(190_000), yuan(160_000), yuan(10_000))
    assert total.execution_rate == Fraction(15, 19)
    assert (total.mean_days_to_first_payment, total.people_planned, total.people_reached) == (Decimal("20.3"), 3, 1500)
    # (93.5 + 78.0) / 2 = 85.75, rounded half up to 85.8: 良
    assert (total.mean_satisfaction, total.mean_score, total.rating) == (Points(943), Points(858), Rating.GOOD)
    assert [(group.key, group.grants) for group in report.by_program] == [("住院护理补贴", 1), ("暖心家园", 2)]
    assert [(group.key, group.grants) for group in report.by_year] == [("2020", 3)]


def test_money_over_time_goes_by_the_month_of_each_payment_and_return(report: Report) -> None:
    assert [(m.month, m.disbursed, m.returned) for m in report.monthly] == [
        ("2020-07", yuan(115_000), Money(0)),
        ("2020-08", yuan(45_000), Money(0)),
        ("2020-09", Money(0), yuan(10_000)),
    ]


def test_the_findings_are_those_of_grants_audit_check(scenario_ledger: GrantLedger, report: Report) -> None:
    assert report.findings == check_ledger(scenario_ledger, fiscal_year=YEAR)
    assert [(finding.grant_no, finding.rule) for finding in report.findings] == [
        (B, "R9 deadlines"),
        (C, "R9 deadlines"),
    ]


def test_one_region_s_report_holds_its_grants_only(scenario_ledger: GrantLedger) -> None:
    zhuzhou = build_report(scenario_ledger, YEAR, region=ZHUZHOU)
    assert [figures.grant_no for figures in zhuzhou.grants] == [C]
    assert zhuzhou.total.appropriated == yuan(40_000)
    assert [finding.grant_no for finding in zhuzhou.findings] == [C]


def test_the_markdown_report_shows_money_in_yuan_and_rates_as_percentages(report: Report) -> None:
    text = markdown(report, GENERATED_AT)
    assert text.startswith("# 2020年度专项资金绩效评价报告 (grant evaluation report)")
    assert "| 430100 | 2 | 150,000.00 | 120,000.00 | 10,000.00 | 110,000.00 | 73.33% | 25.5 | 1/1 | 3 | 1,200 |" in text
    assert (
        "| **合计** | **3** | **190,000.00** | **160,000.00** | **10,000.00** | **150,000.00** | **78.95%** |" in text
    )
    assert "| 2020-09 | 0.00 | 10,000.00 | -10,000.00 | 150,000.00 |" in text


def test_the_json_report_keeps_money_in_integer_fen(report: Report) -> None:
    document = json.loads(as_json(report, GENERATED_AT))
    assert document["total"]["net_disbursed_fen"] == 15_000_000
    assert document["total"]["execution_rate"] == 0.789474
    assert document["grants"][0]["returned_fen"] == 1_000_000
    assert document["grants"][0]["rating"] == "优"
    assert [finding["grant_no"] for finding in document["findings"]] == [B, C]


def test_the_workbook_has_one_sheet_per_table_with_numbers_formatted(report: Report, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    write_workbook(report, path, GENERATED_AT)
    book = load_workbook(path)
    assert book.sheetnames == ["地区汇总", "项目类别汇总", "年度汇总", "项目明细", "月度资金", "审计发现"]

    regions = book["地区汇总"]
    assert [cell.value for cell in regions[1]][:7] == [
        "地区 (region)", "项目数 (grants)", "下达金额 (appropriated)", "拨付金额 (disbursed)", "退回金额 (returned)",
        "净拨付 (net disbursed)", "预算执行率 (budget execution rate)",
    ]  # fmt: skip
    assert [cell.value for cell in regions[2]] == [
        CHANGSHA, 2, 150000, 120000, 10000, 110000, 0.733333, 25.5, "1/1", 3, 1200, 0.986, 93.5, "优", 1, 0
    ]  # fmt: skip
    assert [cell.value for cell in regions[4]][:7] == ["合计", 3, 190000, 160000, 10000, 150000, 0.789474]
    assert regions["C2"].number_format == CNY
    assert (regions["G2"].number_format, regions["H2"].number_format, regions["L2"].number_format) == (
        "0.00%", "0.0", "0.0%"
    )  # fmt: skip
    assert regions["A4"].font.b, "the total row is bold"

    grants = book["项目明细"]
    assert [cell.value for cell in grants[2]][:12] == [
        A, "暖心家园", "长沙市计划生育协会", CHANGSHA, "closed", 90000, 90000, 10000, 80000, 0.888889, 21,
        grants["L2"].value,
    ]  # fmt: skip
    assert grants["L2"].value.date() == date(2020, 8, 3)
    assert grants["L2"].number_format == "yyyy-mm-dd"
    assert grants["K2"].number_format == "0"
    assert [cell.value for cell in grants[3]][12:14] == ["否 (no)", None]

    months = book["月度资金"]
    assert [[cell.value for cell in row] for row in months.iter_rows(min_row=2)] == [
        ["2020-07", 115000, 0, 115000, 115000],
        ["2020-08", 45000, 0, 45000, 160000],
        ["2020-09", 0, 10000, -10000, 150000],
    ]
    findings = book["审计发现"]
    assert [findings["A2"].value, findings["B2"].value, findings["C2"].value] == [B, "#6", "R9 deadlines"]
