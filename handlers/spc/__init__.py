"""Statistical process control, NHS "Making Data Count" style: XmR charts with the rules, run
lengths and variation icons of NHS-R's NHSRplotthedots (0.2.2), so that our charts and trend
decisions read the same as the trust's other SPC reports. docs/spc.md says why this is written
here rather than taken from `abspc`, and where each constant comes from."""

from __future__ import annotations

from handlers.spc.xmr import (
    CLOSE_LIMIT,
    LIMIT,
    RUN_CHART_LABEL,
    SCREEN_LIMIT,
    SHIFT_POINTS,
    TREND_POINTS,
    TRIAL_LIMIT_POINTS,
    Improvement,
    Rule,
    SpcPoint,
    Variation,
    XmrChart,
    run_chart,
    spc_chart,
    too_sparse,
    xmr,
)

__all__ = [
    "CLOSE_LIMIT",
    "LIMIT",
    "RUN_CHART_LABEL",
    "SCREEN_LIMIT",
    "SHIFT_POINTS",
    "TREND_POINTS",
    "TRIAL_LIMIT_POINTS",
    "Improvement",
    "Rule",
    "SpcPoint",
    "Variation",
    "XmrChart",
    "run_chart",
    "spc_chart",
    "too_sparse",
    "xmr",
]
