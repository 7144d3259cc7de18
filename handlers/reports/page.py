"""What the report pages show (and the board pack as CSV), figures only.

Every chart has its alt text (handlers/reports/charts.py) and, under it, a table of every
point with the mean and limits, so a screen reader, a printout and a spreadsheet all get the
figures the picture shows. The pages themselves are drawn by the web adapter in the NHS.UK
shell (bot/reports_web.py, messages/templates/web/reports/).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from handlers.bulletin.page import long_day
from handlers.reports.board import BoardPack
from handlers.reports.charts import chart_of, number, summary
from handlers.spc.series import Series
from handlers.spc.xmr import RULE_LABELS, Rule, Variation
from messages.csv_safe import neutralise

RAG = {
    Variation.CONCERNING: ("red", "Concerning"),
    Variation.NEITHER: ("amber", "Special cause"),
    Variation.IMPROVING: ("green", "Improving"),
    Variation.COMMON: ("grey", "Common cause"),
}
"""The chart's status as a RAG tag beside its summary: red for special cause that is
concerning, green improving, amber special cause in neither direction, grey common cause."""

RUN_CHART = "run_chart_no_limits"
"""The CSV's variation for a mostly-zero series: no limits were drawn, nothing was judged."""


@dataclass(frozen=True)
class PointRow:
    period: str
    value: str
    note: str


@dataclass(frozen=True)
class ChartView:
    key: str
    title: str
    alt: str
    summary: str
    drawn: bool
    rows: tuple[PointRow, ...]
    rag: str = ""
    status: str = ""


def chart_view(series: Series) -> ChartView:
    drawn = chart_of(series)
    chart = drawn.chart
    rows = []
    for n, (period, value) in enumerate(series.points):
        note = ""
        if chart is not None and chart.points[n].special:
            rule = chart.points[n].rules[0]
            note = f"Special cause: {RULE_LABELS[Rule(rule)]}"
        rows.append(PointRow(long_day(period), number(value, series.unit), note))
    rag, status = (
        ("", "")
        if chart is None
        else ("grey", "Run chart")
        if chart.sparse
        else RAG[chart.variation]
    )
    return ChartView(
        series.key,
        series.title,
        drawn.alt,
        summary(series, chart),
        chart is not None,
        tuple(rows),
        rag,
        status,
    )


def _cell(value: Any) -> str:
    """Numbers as numbers (a limit below zero stays -0.8), everything else neutralised."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return neutralise(value)


def board_csv(pack: BoardPack) -> str:
    """Every figure in the board pack, one per row: section, committee, measure, period, value."""
    out = io.StringIO()
    import csv

    writer = csv.writer(out, lineterminator="\n")
    for row in _board_rows(pack):
        writer.writerow([_cell(cell) for cell in row])
    return out.getvalue()


def _board_rows(pack: BoardPack) -> Iterable[tuple[Any, ...]]:
    q = pack.quarter.code
    yield ("section", "committee", "measure", "period", "value")
    for t in pack.tiers:
        for n, count in enumerate(t.by_tier, start=1):
            yield ("tier_mix", t.committee, f"actions_agreed_tier_{n}", q, count)
        yield ("tier_mix", t.committee, "actions_agreed", q, t.total)
        yield ("tier_mix", t.committee, "actions_agreed_stronger", q, t.stronger)
    for r in pack.times:
        yield ("time_to_action", r.committee, "actions_agreed", q, r.actions)
        yield (
            "time_to_action",
            r.committee,
            "median_days_report_to_action",
            q,
            "" if r.median_days is None else r.median_days,
        )
    for a in pack.reaudits:
        yield ("reaudits", a.committee, "passed", q, a.passed)
        yield ("reaudits", a.committee, "failed", q, a.failed)
    for alert in pack.alerts:
        yield (
            "alerts",
            "",
            f"{alert.ref} recipient_count",
            alert.sent_on.isoformat(),
            alert.recipients,
        )
        rate = alert.rate
        yield (
            "alerts",
            "",
            f"{alert.ref} acknowledged_percent",
            alert.sent_on.isoformat(),
            "fewer than 5 recipients"
            if alert.suppressed
            else ("" if rate is None else round(100 * rate, 1)),
        )
    for series in pack.series:
        drawn = chart_of(series)
        for period, value in series.points:
            yield ("spc", "all", series.key, period.isoformat(), value)
        c = drawn.chart
        if c is not None:
            yield ("spc", "all", f"{series.key} mean", q, round(c.mean, 2))
            if not c.sparse:  # limits as computed, below 0 included (docs/reports.md)
                yield ("spc", "all", f"{series.key} lower_limit", q, round(c.lower, 2))
                yield ("spc", "all", f"{series.key} upper_limit", q, round(c.upper, 2))
            variation = RUN_CHART if c.sparse else str(c.variation)
            yield ("spc", "all", f"{series.key} variation", q, variation)
