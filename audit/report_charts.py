"""The report's charts, drawn by matplotlib as SVG text to be inlined in the HTML page (no files, no network).

Text is drawn as paths (matplotlib's default), so the page shows the same glyphs wherever it is opened, with or
without Chinese fonts. Ids and dates are fixed, so the same report draws the same bytes. Amounts become floats
here and only here: a chart is a picture of the figures, which the tables give exactly.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from audit.report import Report
from audit.report_tables import percent
from domain.values import FEN_PER_YUAN

WAN = 10_000  # 万: amounts on the axis in units of 10,000 yuan, as the office reads them
STYLE: dict[str, Any] = {
    # Chinese labels need a CJK font: WenQuanYi Zen Hei comes with `make chromium`; without it glyphs fall back.
    "font.family": ["WenQuanYi Zen Hei", "DejaVu Sans"],
    "axes.unicode_minus": False,
    "svg.hashsalt": "grant-ledger-report",  # stable ids: the same report draws the same SVG
    "axes.spines.top": False,
    "axes.spines.right": False,
}
RATE_COLOUR, PAID_COLOUR, RETURNED_COLOUR, NET_COLOUR = "#2f6f9f", "#7fa7c9", "#c8553d", "#1b3a57"


def execution_rate_by_region(report: Report) -> str:
    """Horizontal bars: the budget execution rate of each region, with its value written at the bar's end."""
    regions = [group for group in report.by_region if group.execution_rate is not None]
    with _figure(height=1.2 + 0.45 * max(len(regions), 1)) as figure:
        axes = figure.add_subplot()
        labels = [group.key for group in regions]
        values = [float(percent(group.execution_rate)) for group in regions if group.execution_rate is not None]
        bars = axes.barh(labels, values, color=RATE_COLOUR, height=0.6)
        for group, bar, value in zip(regions, bars, values, strict=True):
            bar.set_gid(f"rate-{group.key}")
            axes.annotate(
                f"{value:.2f}%", (value, bar.get_y() + bar.get_height() / 2), xytext=(4, 0), textcoords="offset points",
                va="center", fontsize=8,
            )  # fmt: skip
        axes.axvline(100, color="#888888", linestyle="--", linewidth=0.8)
        axes.set_xlim(0, max([110.0, *(value * 1.1 for value in values)]))
        axes.invert_yaxis()  # the first region on top, as in the table
        axes.set_xlabel("预算执行率 % (budget execution rate: disbursed net of returns / appropriated)")
        axes.set_title("各地区预算执行率 (budget execution rate by region)", fontsize=11)
        return _svg(figure, "rate-chart")


def money_over_time(report: Report) -> str:
    """Bars of money paid and returned each month, the cumulative net line, and the appropriated total."""
    months = report.monthly
    with _figure(height=3.6) as figure:
        axes = figure.add_subplot()
        labels = [month.month for month in months]
        positions = list(range(len(months)))
        paid = [_wan(month.disbursed.fen) for month in months]
        returned = [-_wan(month.returned.fen) for month in months]
        cumulative, running = [], 0
        for month in months:
            running += month.disbursed.fen - month.returned.fen
            cumulative.append(_wan(running))
        paid_bars = axes.bar(positions, paid, color=PAID_COLOUR, label="当月拨付 (paid in the month)")
        returned_bars = axes.bar(positions, returned, color=RETURNED_COLOUR, label="当月退回 (returned)")
        for label, paid_bar, returned_bar in zip(labels, paid_bars, returned_bars, strict=True):
            paid_bar.set_gid(f"paid-{label}")
            returned_bar.set_gid(f"returned-{label}")
        axes.plot(positions, cumulative, color=NET_COLOUR, marker="o", label="累计净拨付 (cumulative net)", gid="net")
        axes.axhline(
            _wan(report.total.appropriated.fen), color="#888888", linestyle="--", linewidth=0.8,
            label="下达合计 (appropriated)",
        )  # fmt: skip
        axes.axhline(0, color="#444444", linewidth=0.6)
        axes.set_xticks(positions, labels, rotation=45 if len(labels) > 6 else 0, fontsize=8)
        axes.set_ylabel("万元 (10,000 yuan)")
        axes.set_title("资金拨付与退回 (money over time)", fontsize=11)
        figure.legend(fontsize=8, loc="outside lower center", ncols=2, frameon=False)
        return _svg(figure, "money-chart")


def _wan(fen: int) -> float:
    return fen / (FEN_PER_YUAN * WAN)


@contextmanager
def _figure(height: float) -> Iterator[Figure]:
    # WenQuanYi Zen Hei has one weight (medium): matplotlib says so on every label, which is noise to an auditor.
    fonts = logging.getLogger("matplotlib.font_manager")
    level = fonts.level
    fonts.setLevel(logging.ERROR)
    try:
        with rc_context(STYLE):  # type: ignore[arg-type]  # its keys are matplotlib rc names
            figure = Figure(figsize=(7.5, height), layout="constrained")
            FigureCanvasSVG(figure)
            yield figure
    finally:
        fonts.setLevel(level)


def _svg(figure: Figure, prefix: str) -> str:
    """The figure as an `<svg>` element to inline: without the XML prolog and DOCTYPE of a standalone file.

    matplotlib numbers its ids per drawing (`figure_1`, `patch_1`, ...): `prefix` keeps two charts on one page
    from sharing them.
    """
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    drawing = buffer.getvalue()
    drawing = drawing[drawing.index("<svg") :]
    for reference in ('id="', "url(#", 'href="#'):
        drawing = drawing.replace(reference, f"{reference}{prefix}-")
    return drawing
