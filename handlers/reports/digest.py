"""The committee digest's SPC charts: pictures at sealed addresses, and the same in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.config import OrgConfig
from handlers.reports.charts import chart_of, number, summary
from handlers.reports.links import chart_key, chart_path
from handlers.spc.series import At, committee_series, period_name
from messages.view import Image
from store.uow import UnitOfWork


@dataclass(frozen=True)
class DigestCharts:
    images: tuple[Image, ...]
    fallback: tuple[str, ...]
    """One short line per chart, shown under the pictures for anyone who cannot see them."""
    page: str = ""
    """The committee's reports page, where the same charts have their tables."""
    span: str = ""
    """How many periods the charts span: "last 26 weeks"."""

    @property
    def heading(self) -> str:
        return f"Charts (SPC, {self.span})" if self.span else "Charts (SPC)"


NO_CHARTS = DigestCharts((), ())


def digest_charts(
    uow: UnitOfWork, config: OrgConfig, committee: str, now: datetime
) -> DigestCharts:
    base = config.organisation.web_base_url.rstrip("/")
    images, lines = [], []
    key = chart_key(uow, now)
    found = committee_series(At(uow, config, now), committee)
    for series in found:
        drawn = chart_of(series)
        images.append(Image(base + chart_path(key, series, now), drawn.alt, series.title))
        latest = number(series.points[-1][1], series.unit) if series.points else "none"
        lines.append(f"{series.title}: latest {latest}. {summary(series, drawn.chart)}")
    count = max(len(s.points) for s in found)
    per = period_name(config.spc.period_days)
    span = f"last {count} {per}{'' if count == 1 else 's'}"
    return DigestCharts(tuple(images), tuple(lines), f"{base}/reports/{committee}", span)
