"""The evaluation report as a spreadsheet (openpyxl): one sheet per table, numbers as numbers with proper formats.

Money is written as an exact decimal of yuan made from the integer fen (never through a float) and formatted as
CNY with two decimals; rates are ratios formatted as percentages; dates are dates. The header row is frozen and
filterable, the total row bold, so that the office can sort, sum and print it as it is.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from audit.report import Report
from audit.report_tables import Cell, Column, Kind, Table, tables
from audit.report_text import heading
from domain.values import Money, Points

CNY = '"¥"#,##0.00;[Red]-"¥"#,##0.00'
FORMATS = {
    Kind.MONEY: CNY,
    Kind.RATE: "0.00%",
    Kind.COUNT: "#,##0",
    Kind.DAYS: "0.0",
    Kind.PERCENT: "0.0%",
    Kind.SCORE: "0.0",
    Kind.DATE: "yyyy-mm-dd",
}
RATE_PLACES = Decimal("0.000001")  # a ratio to six decimals: a percentage to four
HEADER_FILL = PatternFill("solid", fgColor="E8F0F7")


def write_workbook(report: Report, path: Path, generated_at: datetime) -> None:
    workbook = Workbook()
    title, subtitle = heading(report, generated_at)
    workbook.properties.title = title
    workbook.properties.description = subtitle
    workbook.remove(workbook.active)  # a new workbook comes with one empty sheet; ours are made below
    for table in tables(report):
        _sheet(workbook.create_sheet(table.sheet), table)
    workbook.save(path)


def value(cell: Cell, kind: Kind) -> object:
    """What the spreadsheet holds for a cell: exact decimals for money, ratios for rates."""
    if isinstance(cell, Money):
        return Decimal(cell.fen).scaleb(-2)
    if isinstance(cell, Fraction):
        return (Decimal(cell.numerator) / Decimal(cell.denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    if isinstance(cell, Points):
        return Decimal(cell.tenths).scaleb(-3 if kind is Kind.PERCENT else -1)
    return cell


def _sheet(sheet: Worksheet, table: Table) -> None:
    sheet.append([column.label for column in table.columns])
    for row in table.rows:
        sheet.append([value(cell, column.kind) for cell, column in zip(row, table.columns, strict=True)])
    for index, column in enumerate(table.columns, start=1):
        _format_column(sheet, index, column, len(table.rows))
    for header in sheet[1]:
        header.font = Font(bold=True)
        header.fill = HEADER_FILL
        header.alignment = Alignment(wrap_text=True, vertical="top")
    if table.has_total and table.rows:
        for total in sheet[len(table.rows) + 1]:
            total.font = Font(bold=True)
    sheet.freeze_panes = "B2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions


def _format_column(sheet: Worksheet, index: int, column: Column, rows: int) -> None:
    letter = get_column_letter(index)
    number_format = FORMATS.get(column.kind)
    if number_format is not None:
        for (cell,) in sheet.iter_rows(min_row=2, max_row=rows + 1, min_col=index, max_col=index):
            if column.kind is Kind.DAYS and isinstance(cell.value, int):
                cell.number_format = "0"
            else:
                cell.number_format = number_format
    widest = max([len(str(cell.value or "")) for (cell,) in sheet.iter_rows(min_col=index, max_col=index)])
    sheet.column_dimensions[letter].width = min(max(10, widest + 2), 48)
