"""SPC (XmR) charts of a Series as PNG, and the same chart in words.

Drawn the Making Data Count way: the values joined by a line, the mean as a solid line, the
process limits dashed, special-cause points coloured orange (concerning), blue (improving) or
purple (neither), common cause grey. Colour is never the only carrier: special-cause points
also change shape, the variation is written under the title, and the alt text says everything
the picture shows. matplotlib's object API only (pyplot keeps global state across threads).
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass
from functools import lru_cache

from handlers.spc import TRIAL_LIMIT_POINTS, Variation, XmrChart
from handlers.spc.series import Series

MIN_POINTS = 6
"""Fewer points than this make no chart: the figures are shown as a table only."""

INK = "#212b32"
GREY = "#768692"
BLUE = "#005eb8"
ORANGE = "#ed8b00"
PURPLE = "#330072"
COLOURS = {
    Variation.COMMON: GREY,
    Variation.IMPROVING: BLUE,
    Variation.CONCERNING: ORANGE,
    Variation.NEITHER: PURPLE,
}
MARKERS = {
    Variation.COMMON: "o",
    Variation.IMPROVING: "s",
    Variation.CONCERNING: "^",
    Variation.NEITHER: "D",
}


@dataclass(frozen=True)
class Drawn:
    """A series' chart and its words (None: too few points for a chart)."""

    series: Series
    chart: XmrChart | None

    @property
    def alt(self) -> str:
        return alt_text(self.series, self.chart)


def chart_of(series: Series) -> Drawn:
    """The series' chart as every report shows it (Series.chart(): XmR, or a run chart
    without limits when mostly 0), or none with fewer than MIN_POINTS points."""
    if len(series.points) < MIN_POINTS:
        return Drawn(series, None)
    return Drawn(series, series.chart())


def number(value: float, unit: str = "") -> str:
    """12, 12.5 or 12.5% (one decimal at most; no "-0")."""
    if math.isnan(value):
        return "not known"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    return f"{text}%" if unit.startswith("%") else text


def variation_label(chart: XmrChart) -> str:
    return chart.verdict


def limits_words(chart: XmrChart, unit: str) -> str:
    """The process limits as computed (NHSRplotthedots does not truncate them, nor do we:
    docs/spc.md). Our measures cannot go below 0, so a lower limit under 0 is said plainly."""
    text = f"process limits {number(chart.lower, unit)} to {number(chart.upper, unit)}"
    if chart.lower < 0:
        text += " (the lower limit is below 0, so only a high value can fall outside them)"
    return text


def summary(series: Series, chart: XmrChart | None) -> str:
    """Mean, limits and verdict in one sentence: the digest's line, the page's and the
    picture's caption all say this."""
    if chart is None:
        return "Too few points for an SPC chart."
    mean = f"Mean {number(chart.mean, series.unit)}"
    if chart.sparse:
        return f"{mean}. {chart.verdict}."
    return f"{mean}, {limits_words(chart, series.unit)}. {chart.verdict}."


def alt_text(series: Series, chart: XmrChart | None) -> str:
    """The chart in words: what it measures, the latest value, the mean, the limits and the
    variation (for a screen reader, and wherever the picture cannot be shown)."""
    unit = series.unit
    if not series.points:
        return f"{series.title}: no figures yet."
    first, last = series.points[0], series.points[-1]
    latest = f"latest {number(last[1], unit)} (week of {last[0]:%-d %B %Y})"
    n = len(series.points)
    span = f"{n} {'point' if n == 1 else 'points'} from {first[0]:%-d %B %Y}"
    if chart is None:
        return f"{series.title}: {span}, {latest}; too few points for an SPC chart."
    if chart.sparse:
        return (
            f"Run chart of {_lower_first(series.title)}: {span}, {latest}; "
            f"mean {number(chart.mean, unit)}. {chart.verdict}."
        )
    special = sum(1 for p in chart.points if p.special)
    trial = (
        "; trial limits (fewer than 13 points)" if len(chart.points) < TRIAL_LIMIT_POINTS else ""
    )
    return (
        f"SPC chart (XmR) of {_lower_first(series.title)}: {span}, {latest}; "
        f"mean {number(chart.mean, unit)}; {limits_words(chart, unit)}{trial}. {chart.verdict}"
        f"{_special(special)}."
    )


def _lower_first(title: str) -> str:
    """ "Lessons per week: committee PSC" reads "lessons per week: committee PSC" mid-sentence."""
    return title[:1].lower() + title[1:]


def _special(count: int) -> str:
    if not count:
        return ""
    return f" ({count} special-cause {'point' if count == 1 else 'points'})"


def render_png(series: Series) -> bytes:
    """The series' XmR chart as PNG bytes (a short note instead for too few points)."""
    return _draw(series)


@lru_cache(maxsize=64)
def _draw(series: Series) -> bytes:
    from matplotlib.figure import Figure

    drawn = chart_of(series)
    figure = Figure(figsize=(8, 3.9), dpi=100, layout="constrained")
    axes = figure.subplots()
    axes.set_title(series.title, fontsize=11, color=INK, loc="left")
    chart = drawn.chart
    if chart is None:
        axes.text(0.5, 0.5, "Too few points for an SPC chart", ha="center", color=INK)
        axes.set_axis_off()
    else:
        days = list(range(len(chart.points)))
        place = {p.period: n for n, p in enumerate(chart.points)}
        step = max(1, len(days) // 6)
        axes.set_xticks(days[::step], [f"{p.period:%-d %b %Y}" for p in chart.points[::step]])
        values = [p.value for p in chart.points]
        axes.plot(days, values, color=GREY, linewidth=1.2, zorder=1)
        axes.plot(days, [p.mean for p in chart.points], color=INK, linewidth=1, label="Mean")
        limits = (
            []
            if chart.sparse
            else [[p.lower for p in chart.points], [p.upper for p in chart.points]]
        )
        for limit in limits:  # a run chart has none to draw
            axes.plot(days, limit, color=INK, linewidth=0.8, linestyle="--")
        for variation, colour in COLOURS.items():
            picked = [p for p in chart.points if p.variation is variation]
            if picked:
                axes.scatter(
                    [place[p.period] for p in picked],
                    [p.value for p in picked],
                    color=colour,
                    marker=MARKERS[variation],
                    s=36 if variation is Variation.COMMON else 56,
                    edgecolors=INK if variation is not Variation.COMMON else colour,
                    linewidths=0.6,
                    zorder=2,
                )
        axes.text(
            0.0,
            -0.18,
            textwrap.fill(
                summary(series, chart) + ("" if chart.sparse else " Limits dashed."), 120
            ),
            transform=axes.transAxes,
            verticalalignment="top",
            fontsize=9,
            color=INK,
        )
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.tick_params(colors=INK, labelsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
