"""What the published bulletin's page shows, from its snapshot alone.

The page itself is drawn by the web adapter in the NHS.UK shell (bot/bulletin_web.py,
messages/templates/web/bulletin/), whose environment autoescapes: a foreword or an evidence
note containing markup shows as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.bulletin import charts
from handlers.bulletin.data import Contents, Figures


@dataclass(frozen=True)
class ChartView:
    name: str
    title: str
    alt: str
    label: str
    rows: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ArchiveEntry:
    id: int
    ref: str
    quarter: str
    published: str


_ROW_LABELS = {"sources": "Source", "tiers": "Tier", "outcomes": "Outcome"}


def long_day(value: str | date | datetime) -> str:
    """ "2026-12-04" as "4 December 2026": unambiguous for every reader."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%B %Y}"


def chart_views(figures: Figures) -> list[ChartView]:
    views = []
    for name in charts.CHARTS:
        bars = charts.bars(name, figures)
        views.append(
            ChartView(
                name=name,
                title=charts.title(name, figures),
                alt=charts.alt_text(name, figures),
                label=_ROW_LABELS[name],
                rows=tuple((label, count) for label, count, _ in bars),
            )
        )
    return views


def page_context(
    bulletin_id: int, contents: Contents, published_at: datetime, zone: ZoneInfo, headline: str
) -> dict[str, Any]:
    """The bulletin page's template variables (messages/templates/web/bulletin/page.html)."""
    start = contents.start.astimezone(zone).date()
    last = contents.end.astimezone(zone).date() - timedelta(days=1)
    share = contents.figures.stronger_share
    return {
        "id": bulletin_id,
        "c": contents,
        "f": contents.figures,
        "organisation": contents.organisation,
        "published": long_day(published_at.astimezone(zone).date()),
        "first_day": long_day(start),
        "last_day": long_day(last),
        "stronger_share": f"{share:.0%}" if share is not None else "None",
        "headline": headline,
        "charts": chart_views(contents.figures),
    }
