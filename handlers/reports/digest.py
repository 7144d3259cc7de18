"""The committee digest's SPC charts: pictures at sealed addresses, and the same in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.config import OrgConfig
from handlers.reports.charts import chart_of, number, variation_label
from handlers.reports.links import chart_key, chart_path
from handlers.reports.series import committee_series
from messages.view import Image
from store.uow import UnitOfWork


@dataclass(frozen=True)
class DigestCharts:
    images: tuple[Image, ...]
    fallback: tuple[str, ...]
    """One short line per chart, shown under the pictures for anyone who cannot see them."""
    page: str = ""
    """The committee's reports page, where the same charts have their tables."""


NO_CHARTS = DigestCharts((), ())


def digest_charts(
    uow: UnitOfWork, config: OrgConfig, committee: str, now: datetime
) -> DigestCharts:
    base = config.organisation.web_base_url.rstrip("/")
    today = now.astimezone(config.zone).date()
    images, lines = [], []
    key = chart_key(uow, now)
    for series in committee_series(uow, config, (committee,), today):
        drawn = chart_of(series)
        images.append(Image(base + chart_path(key, series, now), drawn.alt, series.title))
        latest = number(series.points[-1][1], series.unit) if series.points else "none"
        if drawn.chart is None:
            lines.append(f"{series.title}: latest {latest}; too few weeks for an SPC chart.")
            continue
        chart = drawn.chart
        lines.append(
            f"{series.title}: latest {latest}, mean {number(chart.mean, series.unit)}, "
            f"limits {number(chart.lower, series.unit)} to {number(chart.upper, series.unit)}; "
            f"{variation_label(chart).lower()}."
        )
    return DigestCharts(tuple(images), tuple(lines), f"{base}/reports/{committee}")
