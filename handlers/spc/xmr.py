"""The XmR chart and the Making Data Count rules, as NHSRplotthedots computes them.

Each step names the R function it mirrors (R/ptd_spc_standard.R, R/ptd_calculate_point_type.R,
R/geom_ptd_icon.R in nhs-r-community/NHSRplotthedots 0.2.2), so a reader can check one against
the other. Pure Python on purpose: a weekly series has tens of points, and numpy/pandas would
add a heavy dependency to a chat bot for no gain (docs/spc.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import pairwise

LIMIT = 2.66
"""Process limits sit at mean ± 2.66 × mean moving range (3 / d2, d2 = 1.128, rounded as R does)."""
CLOSE_LIMIT = 2 * LIMIT / 3
"""'Close to a limit' means beyond mean ± (2/3 × 2.66) × mean moving range: the 2-sigma line."""
SCREEN_LIMIT = 3.267
"""Moving ranges at or above 3.267 × the mean moving range are left out of the limits."""
SHIFT_POINTS = 7
"""A shift: this many consecutive points on one side of the mean."""
TREND_POINTS = 7
"""A trend: this many consecutive points each higher (or each lower) than the one before."""
TRIAL_LIMIT_POINTS = 13
"""Fewer points than this in a segment: the limits are trial limits (R warns, n < 13)."""
RUN_CHART_LABEL = "Run chart without limits: most values are 0, too few to judge variation"
"""What a mostly-zero series' chart says instead of a variation (spc_chart, docs/spc.md)."""


class Variation(StrEnum):
    """The variation icon's meaning, for a point or (from its last point) a chart."""

    COMMON = "common_cause"
    IMPROVING = "special_cause_improving"
    CONCERNING = "special_cause_concerning"
    NEITHER = "special_cause_neither"


class Improvement(StrEnum):
    """Which way is better for the measure: more lessons is a concern, so DECREASE."""

    INCREASE = "increase"
    DECREASE = "decrease"
    NEITHER = "neither"


class Rule(StrEnum):
    """The special-cause rules, in NHSRplotthedots' order of precedence."""

    OUTSIDE_LIMITS = "outside_limits"
    TREND = "trend"
    TWO_IN_THREE = "two_in_three"
    SHIFT = "shift"


RULE_LABELS = {
    Rule.OUTSIDE_LIMITS: "a point beyond a process limit",
    Rule.TREND: f"a trend ({TREND_POINTS} points rising or falling)",
    Rule.TWO_IN_THREE: "two of three points close to a limit",
    Rule.SHIFT: f"a shift ({SHIFT_POINTS} points on one side of the mean)",
}

VARIATION_LABELS = {
    Variation.COMMON: "Common cause variation",
    Variation.IMPROVING: "Special cause variation: improving",
    Variation.CONCERNING: "Special cause variation: concerning",
    Variation.NEITHER: "Special cause variation: neither improving nor concerning",
}


@dataclass(frozen=True)
class SpcPoint:
    """One period's value and what the rules say of it.

    `rules` lists every rule the point is part of, in precedence order; the first decides
    `direction` (+1 above the mean or rising, -1 below or falling, 0 common cause), as R's
    `special_cause_type` does. `mean`, `lower`, `upper` are this point's segment's (rebasing)."""

    period: date
    value: float
    special: bool
    rules: tuple[str, ...]
    direction: int = 0
    variation: Variation = Variation.COMMON
    mean: float = math.nan
    lower: float = math.nan
    upper: float = math.nan

    @property
    def reason(self) -> str:
        """Plain words for the deciding rule, or '' for common cause."""
        return RULE_LABELS[Rule(self.rules[0])] if self.rules else ""


@dataclass(frozen=True)
class XmrChart:
    """An XmR chart: the points, the (last segment's) mean and process limits, and the icon.

    `variation` is the last point's, which is what the Making Data Count icon shows."""

    points: tuple[SpcPoint, ...]
    mean: float
    lower: float
    upper: float
    variation: Variation
    improvement: Improvement
    close_lower: float = math.nan
    close_upper: float = math.nan
    segment_points: int = 0
    sparse: bool = False
    """A run chart of a mostly-zero series (spc_chart): the mean only, no limits, every point
    common cause, and `verdict` says variation was not judged."""

    @property
    def verdict(self) -> str:
        """The chart's finding in words: its variation, or that it is a run chart."""
        return RUN_CHART_LABEL if self.sparse else VARIATION_LABELS[self.variation]

    @property
    def direction(self) -> int:
        """+1 / -1 when the last point is special cause high / low, else 0."""
        return self.points[-1].direction if self.points else 0

    @property
    def icon(self) -> str:
        """The NHSRplotthedots variation icon's name (its icons/variation/<name>.svg).

        common_cause, improvement_high/low, concern_high/low, neutral_high/low: high or low is
        where the special cause lies, so a concern when lower is better is concern_high."""
        if self.sparse:
            return ""
        if self.variation is Variation.COMMON:
            return "common_cause"
        side = "high" if self.direction > 0 else "low"
        kind = {
            Variation.IMPROVING: "improvement",
            Variation.CONCERNING: "concern",
            Variation.NEITHER: "neutral",
        }[self.variation]
        return f"{kind}_{side}"

    @property
    def icon_label(self) -> str:
        """Words for the icon, for alt text and for readers who cannot see colour."""
        label = self.verdict
        if self.sparse or self.variation is Variation.COMMON:
            return label
        return f"{label} ({'higher' if self.direction > 0 else 'lower'} values)"

    @property
    def trial_limits(self) -> bool:
        """True when the limits rest on fewer than TRIAL_LIMIT_POINTS points."""
        return self.segment_points < TRIAL_LIMIT_POINTS


@dataclass(frozen=True)
class _Limits:
    mean: float
    lower: float
    upper: float
    close_lower: float
    close_upper: float


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _limits(values: Sequence[float], fix_after: int | None, screen: bool) -> _Limits:
    """ptd_spc_standard: mean and mean moving range of the first `fix_after` points."""
    fixed = list(values[:fix_after] if fix_after else values)
    mean = _mean(fixed)
    ranges = [abs(b - a) for a, b in pairwise(fixed)]
    amr = _mean(ranges)
    if screen:
        kept = [r for r in ranges if r < SCREEN_LIMIT * amr]
        # R leaves no moving range when every one is 0 (0 < 0 is false) and its limits become
        # NaN; a flat series is common cause, so keep amr = 0 there (docs/spc.md, deviations).
        if kept or not ranges:
            amr = _mean(kept)
    return _Limits(
        mean=mean,
        lower=mean - LIMIT * amr,
        upper=mean + LIMIT * amr,
        close_lower=mean - CLOSE_LIMIT * amr,
        close_upper=mean + CLOSE_LIMIT * amr,
    )


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _part_of_run(ends: Sequence[int], length: int) -> list[bool]:
    """ptd_part_of_seven_trend: a point belongs to a run if a run ends here or within
    the next length - 1 points."""
    n = len(ends)
    return [any(ends[j] != 0 for j in range(i, min(n, i + length))) for i in range(n)]


def _shift_ends(side: Sequence[int]) -> list[int]:
    """ptd_seven_point_one_side_mean: the point closes SHIFT_POINTS on one side of the mean."""
    k = SHIFT_POINTS
    return [
        side[i] if i >= k - 1 and side[i] != 0 and len(set(side[i - k + 1 : i + 1])) == 1 else 0
        for i in range(len(side))
    ]


def _trend_ends(y: Sequence[float]) -> list[int]:
    """ptd_seven_point_trend: the point closes TREND_POINTS each above (below) the last."""
    k = TREND_POINTS
    out = [0] * len(y)
    for i in range(k - 1, len(y)):
        steps = {_sign(y[j] - y[j - 1]) for j in range(i - k + 2, i + 1)}
        if steps in ({1}, {-1}):
            out[i] = steps.pop()
    return out


def _two_in_three(close: Sequence[bool], side: Sequence[int]) -> list[bool]:
    """ptd_two_in_three + ptd_part_of_two_in_three: a close point in some window of three
    consecutive points, all on one side of the mean, two or more of them close to a limit."""
    n = len(close)

    def window(start: int) -> bool:
        if start < 0 or start + 3 > n:
            return False
        cells = range(start, start + 3)
        return sum(close[j] for j in cells) >= 2 and abs(sum(side[j] for j in cells)) == 3

    return [close[i] and any(window(i - k) for k in (2, 1, 0)) for i in range(n)]


def _trend_steps(y: Sequence[float], in_trend: Sequence[bool]) -> list[int]:
    """The trend's direction at each point: its right-hand step when the next point is in the
    trend too, else its left-hand step (R's `sdy`)."""
    n = len(y)
    steps = []
    for i in range(n):
        if in_trend[i] and i + 1 < n and in_trend[i + 1]:
            steps.append(_sign(y[i + 1] - y[i]))
        else:
            steps.append(_sign(y[i] - y[i - 1]) if i > 0 else 0)
    return steps


def _orient(direction: int, improvement: Improvement) -> Variation:
    """ptd_point_type: special cause high or low, read against the improvement direction."""
    if direction == 0:
        return Variation.COMMON
    if improvement is Improvement.NEITHER:
        return Variation.NEITHER
    better = 1 if improvement is Improvement.INCREASE else -1
    return Variation.IMPROVING if direction == better else Variation.CONCERNING


def _segment(
    rows: Sequence[tuple[date, float]],
    improvement: Improvement,
    fix_after: int | None,
    screen: bool,
) -> tuple[list[SpcPoint], _Limits]:
    y = [v for _, v in rows]
    lim = _limits(y, fix_after, screen)
    outside = [v > lim.upper or v < lim.lower for v in y]
    side = [_sign(v - lim.mean) for v in y]
    close = [
        not out and (v < lim.close_lower or v > lim.close_upper)
        for v, out in zip(y, outside, strict=True)
    ]
    trend = _part_of_run(_trend_ends(y), TREND_POINTS)
    two = _two_in_three(close, side)
    shift = _part_of_run(_shift_ends(side), SHIFT_POINTS)
    steps = _trend_steps(y, trend)
    points = []
    for i, (period, value) in enumerate(rows):
        flags = (
            (Rule.OUTSIDE_LIMITS, outside[i]),
            (Rule.TREND, trend[i]),
            (Rule.TWO_IN_THREE, two[i]),
            (Rule.SHIFT, shift[i]),
        )
        rules = tuple(str(rule) for rule, on in flags if on)
        if not rules:
            direction = 0
        elif rules[0] == Rule.TREND:
            direction = 1 if steps[i] == 1 else -1
        else:
            direction = 1 if side[i] > 0 else -1
        points.append(
            SpcPoint(
                period=period,
                value=value,
                special=bool(rules),
                rules=rules,
                direction=direction,
                variation=_orient(direction, improvement),
                mean=lim.mean,
                lower=lim.lower,
                upper=lim.upper,
            )
        )
    return points, lim


def xmr(
    series: Sequence[tuple[date, float]],
    improvement: Improvement = Improvement.NEITHER,
    *,
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    rebase: Sequence[date] = (),
) -> XmrChart:
    """An XmR chart of `series` (period, value), sorted by period, as NHSRplotthedots' ptd_spc.

    fix_after_n_points: limits from the first n points of each segment only (a baseline).
    screen_outliers: leave moving ranges ≥ 3.267 × the mean moving range out (R's default).
    rebase: periods that start a new segment with its own mean and limits.
    The chart's mean and limits are the last segment's; each point carries its own."""
    if not series:
        raise ValueError("an SPC chart needs at least one point")
    rows = sorted((d, float(v)) for d, v in series)
    if len({d for d, _ in rows}) != len(rows):
        raise ValueError("an SPC chart takes one value per period")
    if fix_after_n_points is not None and fix_after_n_points < 2:
        raise ValueError("fix_after_n_points must be at least 2")
    starts = sorted({d for d in rebase if rows[0][0] < d})
    segments: list[list[tuple[date, float]]] = [[]]
    for row in rows:
        if starts and row[0] >= starts[0]:
            starts = [d for d in starts if d > row[0]]
            if segments[-1]:
                segments.append([])
        segments[-1].append(row)
    points: list[SpcPoint] = []
    lim = _Limits(math.nan, math.nan, math.nan, math.nan, math.nan)
    for rows_of in segments:
        made, lim = _segment(rows_of, improvement, fix_after_n_points, screen_outliers)
        points += made
    return XmrChart(
        points=tuple(points),
        mean=lim.mean,
        lower=lim.lower,
        upper=lim.upper,
        variation=points[-1].variation,
        improvement=improvement,
        close_lower=lim.close_lower,
        close_upper=lim.close_upper,
        segment_points=min(len(segments[-1]), fix_after_n_points or len(segments[-1])),
    )


def too_sparse(values: Sequence[float]) -> bool:
    """More than half the values are 0. The moving ranges of such a series are mostly 0, so
    screening leaves a mean moving range of 0, the limits collapse onto the mean and every point
    lands outside them: one lesson in half a year would read as special cause. Rare events
    want a g or t chart, not a weekly count (docs/spc.md, "Mostly-zero series")."""
    return sum(1 for v in values if v == 0) * 2 > len(values)


def run_chart(
    series: Sequence[tuple[date, float]], improvement: Improvement = Improvement.NEITHER
) -> XmrChart:
    """The points and their mean, without limits or special-cause flags: what QI Hub draws
    for a mostly-zero series instead of an XmR chart."""
    if not series:
        raise ValueError("a chart needs at least one point")
    rows = sorted((d, float(v)) for d, v in series)
    mean = _mean([v for _, v in rows])
    points = tuple(SpcPoint(d, v, False, (), mean=mean) for d, v in rows)
    return XmrChart(
        points=points,
        mean=mean,
        lower=math.nan,
        upper=math.nan,
        variation=Variation.COMMON,
        improvement=improvement,
        segment_points=len(rows),
        sparse=True,
    )


def spc_chart(
    series: Sequence[tuple[date, float]], improvement: Improvement = Improvement.NEITHER
) -> XmrChart:
    """The chart QI Hub shows and judges by: the reference's XmR chart, or a run chart when
    the series is too sparse for one (too_sparse). The one place that rule is applied."""
    if too_sparse([v for _, v in series]):
        return run_chart(series, improvement)
    return xmr(series, improvement)
