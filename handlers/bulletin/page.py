"""The published bulletin as an accessible, printable HTML page, from its snapshot alone.

Jinja2 with autoescaping on: every value reaching the page is escaped, so a foreword or an
evidence note containing markup shows as text. (The chat templates keep autoescaping off
because chat renderers escape for themselves; HTML has no later step to rely on.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from handlers.bulletin import charts
from handlers.bulletin.data import Contents, Figures
from messages.templates import TEMPLATES, plural


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


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES / "bulletin"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(long_day=long_day, plural=plural)
    return env


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


def render_page(
    bulletin_id: int, contents: Contents, published_at: datetime, zone: ZoneInfo, headline: str
) -> str:
    start = contents.start.astimezone(zone).date()
    last = contents.end.astimezone(zone).date() - timedelta(days=1)
    share = contents.figures.stronger_share
    return (
        environment()
        .get_template("page.html")
        .render(
            id=bulletin_id,
            c=contents,
            f=contents.figures,
            organisation=contents.organisation,
            published=long_day(published_at.astimezone(zone).date()),
            first_day=long_day(start),
            last_day=long_day(last),
            stronger_share=f"{share:.0%}" if share is not None else "None",
            headline=headline,
            charts=chart_views(contents.figures),
        )
    )


def render_archive(organisation: str, entries: list[ArchiveEntry]) -> str:
    return (
        environment()
        .get_template("archive.html")
        .render(organisation=organisation, bulletins=entries)
    )
