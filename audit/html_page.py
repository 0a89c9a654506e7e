"""Self-contained HTML pages for auditors: one file each, style inline, nothing fetched.

The page can be mailed, archived and printed as it is: the print style puts it on A4 landscape, repeats table
headers on every page and keeps charts and rows whole.
"""

from __future__ import annotations

from html import escape

from audit.report_tables import Cell, Column, Kind, Table, text
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


def page(title: str, body: str) -> str:
    """A whole HTML document around `body`."""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def header(title: str, subtitle: str) -> str:
    return f"<header><h1>{escape(title)}</h1><p class=scope>{escape(subtitle)}</p></header>"


def table_html(table: Table) -> str:
    """A table; numbers align right, money cells carry their exact fen (`data-fen`), the total row is marked."""
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
