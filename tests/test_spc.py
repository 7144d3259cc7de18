"""The XmR core against NHSRplotthedots 0.2.2: its test data and printed limits
(tests/testthat/_snaps/ptd_spc_standard.md, _snaps/ptd_spc.md) and its rule cases
(tests/testthat/test-ptd_calculate_point_type.R, test-ptd_spc_standard.R), re-expressed
through our public xmr() so each rule is checked end to end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from handlers.spc import Improvement, Rule, Variation, xmr

# R: set.seed(123); rnorm(20) -- the first values are printed in the package's snapshot.
RNORM_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774,
    1.71506499, 0.46091621, -1.26506123, -0.68685285, -0.44566197,
    1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113,
    1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip
START = date(2020, 1, 2)


def dated(values: list[float], start: date = START) -> list[tuple[date, float]]:
    return [(start + timedelta(days=i), v) for i, v in enumerate(values)]


def test_limits_match_the_reference_snapshot() -> None:
    chart = xmr(dated(RNORM_123), Improvement.INCREASE)
    # _snaps/ptd_spc_standard.md r1: mean_col 0.1416238, lpl -3.01138, upl 3.294627
    assert chart.mean == pytest.approx(0.1416238, abs=5e-8)
    assert chart.lower == pytest.approx(-3.01138, abs=5e-6)
    assert chart.upper == pytest.approx(3.294627, abs=5e-7)
    # _snaps/ptd_spc.md summary: 20 points, 20 common cause, variation common_cause
    assert not any(p.special for p in chart.points)
    assert chart.variation is Variation.COMMON
    assert chart.icon == "common_cause"
    # relative_to_mean as printed: -1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1
    assert [1 if p.value > chart.mean else -1 for p in chart.points][:15] == [
        -1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1,
    ]  # fmt: skip


def test_screening_outlying_moving_ranges_matches_the_reference() -> None:
    values = list(RNORM_123)
    values[14] = 10.0  # R: data$y[15] <- 10
    screened = xmr(dated(values), Improvement.INCREASE)
    # r2: mean_col 0.6694159, lpl -2.383666, upl 3.722497
    assert screened.mean == pytest.approx(0.6694159, abs=5e-8)
    assert screened.lower == pytest.approx(-2.383666, abs=5e-7)
    assert screened.upper == pytest.approx(3.722497, abs=5e-7)
    unscreened = xmr(dated(values), Improvement.INCREASE, screen_outliers=False)
    # r3: lpl -4.596625, upl 5.935457
    assert unscreened.lower == pytest.approx(-4.596625, abs=5e-7)
    assert unscreened.upper == pytest.approx(5.935457, abs=5e-7)
    assert [p.rules for p in screened.points][14] == (Rule.OUTSIDE_LIMITS,)
    assert screened.points[14].variation is Variation.IMPROVING


def test_facet_halves_match_the_reference_summary() -> None:
    # _snaps/ptd_spc.md, facet_field = rep(0:1, each = 10): 0.0746 / -2.60 / 2.75 and
    # 0.209 / -3.28 / 3.70, to the printed three significant figures.
    first, second = xmr(dated(RNORM_123[:10])), xmr(dated(RNORM_123[10:]))
    assert (round(first.mean, 4), round(first.lower, 2), round(first.upper, 2)) == (
        0.0746,
        -2.60,
        2.75,
    )
    assert (round(second.mean, 3), round(second.lower, 2), round(second.upper, 2)) == (
        0.209,
        -3.28,
        3.70,
    )
    assert first.trial_limits and not xmr(dated(RNORM_123)).trial_limits


def test_fix_after_n_points_changes_the_limits() -> None:
    values = list(RNORM_123)
    values[14] = 10.0
    loose, fixed = xmr(dated(values)), xmr(dated(values), fix_after_n_points=12)
    assert fixed.lower != loose.lower and fixed.upper != loose.upper
    assert fixed.mean == pytest.approx(sum(values[:12]) / 12)
    assert fixed.points[14].special  # judged against the baseline's limits


def test_rebase_starts_new_limits() -> None:
    values = [1.0, 2.0] * 5 + [11.0, 12.0] * 5
    chart = xmr(dated(values), rebase=[START + timedelta(days=10)])
    assert chart.points[0].mean == pytest.approx(1.5)
    assert chart.mean == chart.points[-1].mean == pytest.approx(11.5)
    assert not any(p.special for p in chart.points)
    assert xmr(dated(values)).points[-1].special  # without the rebase, a shift


def test_two_in_three_needs_points_on_one_side() -> None:
    # test-ptd_spc_standard.R: alternating +-1, then 5.5 and -5.5: common cause.
    values = [1.0, -1.0] * 8
    values[14], values[15] = 5.5, -5.5
    chart = xmr(dated(values), Improvement.INCREASE)
    assert [p.variation for p in chart.points[-2:]] == [Variation.COMMON] * 2


BASELINE = [6.0, 4.0] * 5
"""Fixed as the baseline: mean 5, mean moving range 2, limits 5 ± 5.32, close beyond 5 ± 3.55."""


def test_two_in_three_flags_only_the_close_points() -> None:
    chart = xmr(dated([*BASELINE, 6, 9, 6, 9, 6]), Improvement.DECREASE, fix_after_n_points=10)
    assert (chart.mean, round(chart.close_upper, 4)) == (5.0, 8.5467)
    close = [i for i, p in enumerate(chart.points) if Rule.TWO_IN_THREE in p.rules]
    assert close == [11, 13]  # the middle point is on the same side but not close
    assert chart.points[11].variation is Variation.CONCERNING
    assert chart.points[11].direction == 1
    assert not chart.points[12].special
    across = xmr(dated([*BASELINE, 6, 9, 4, 9, 4]), fix_after_n_points=10)
    assert not any(p.special for p in across.points)


def test_shift_is_seven_points_on_one_side() -> None:
    six = xmr(dated([*BASELINE, 6, 6, 6, 6, 6, 6, 4]), fix_after_n_points=10)
    assert not any(p.special for p in six.points)
    seven = xmr(
        dated([*BASELINE, 6, 6, 6, 6, 6, 6, 6]), Improvement.DECREASE, fix_after_n_points=10
    )
    assert [i for i, p in enumerate(seven.points) if p.special] == list(range(10, 17))
    assert all(p.rules == (Rule.SHIFT,) for p in seven.points[10:])
    assert seven.variation is Variation.CONCERNING
    assert seven.icon == "concern_high"


def test_a_point_on_the_mean_breaks_a_shift() -> None:
    chart = xmr(dated([*BASELINE, 6, 6, 6, 5, 6, 6, 6]), fix_after_n_points=10)
    assert not any(p.special for p in chart.points)


def test_trend_is_seven_points_rising_or_falling() -> None:
    # test-ptd_calculate_point_type.R: 1:6 no trend; c(1:3, 3:6) no trend; c(2, 1:7, 3) one.
    assert not any(Rule.TREND in p.rules for p in xmr(dated([1, 2, 3, 4, 5, 6])).points)
    assert not any(Rule.TREND in p.rules for p in xmr(dated([1, 2, 3, 3, 4, 5, 6])).points)
    rising = xmr(dated([2, 1, 2, 3, 4, 5, 6, 7, 3]), Improvement.INCREASE)
    assert [Rule.TREND in p.rules for p in rising.points] == [False] + [True] * 7 + [False]
    assert all(p.direction == 1 for p in rising.points[1:8])
    falling = xmr(dated([2, 7, 6, 5, 4, 3, 2, 1, 3]), Improvement.INCREASE)
    assert [p.variation for p in falling.points[1:8]] == [Variation.CONCERNING] * 7


def test_outside_limits_takes_precedence_and_orients_by_improvement() -> None:
    values = [5.0, 6.0] * 8 + [30.0]
    for improvement, variation, icon in (
        (Improvement.INCREASE, Variation.IMPROVING, "improvement_high"),
        (Improvement.DECREASE, Variation.CONCERNING, "concern_high"),
        (Improvement.NEITHER, Variation.NEITHER, "neutral_high"),
    ):
        chart = xmr(dated(values), improvement)
        assert chart.points[-1].rules[0] == Rule.OUTSIDE_LIMITS
        assert (chart.variation, chart.icon) == (variation, icon)
    low = xmr(dated([*values[:-1], -30.0]), Improvement.DECREASE)
    assert (low.variation, low.icon, low.direction) == (Variation.IMPROVING, "improvement_low", -1)
    assert "lower values" in low.icon_label


def test_a_flat_series_is_common_cause() -> None:
    chart = xmr(dated([0.0] * 12), Improvement.DECREASE)
    assert (chart.mean, chart.lower, chart.upper) == (0.0, 0.0, 0.0)
    assert chart.variation is Variation.COMMON


def test_bad_series_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="at least one point"):
        xmr([])
    with pytest.raises(ValueError, match="one value per period"):
        xmr([(START, 1.0), (START, 2.0)])
