"""The bulletin on the web: GET /bulletins (the archive) and GET /bulletins/{id} (one bulletin).

Only published (or archived) bulletins exist here: a draft, a reviewed or an unknown id is a
plain 404, never a hint that something is in preparation. Pages are drawn from the snapshot
frozen at approval, so they never change once published. No sign-in: everything on the page
is de-identified and meant for all staff, like the intranet bulletin it replaces. The pages
are drawn in the hub's NHS.UK shell (bot/pages.py), whose strict Content-Security-Policy backs
up the template escaping: no script runs on these pages at all.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.app import QIHub
from bot.pages import HEADERS, Shell, page
from handlers.bulletin import charts
from handlers.bulletin.data import Contents, from_snapshot
from handlers.bulletin.lifecycle import PUBLIC
from handlers.bulletin.page import ArchiveEntry, long_day, page_context
from handlers.bulletin.quarters import parse_quarter
from messages.templates import render

LARGEST_ID = 2**31 - 1
"""Ids are 32-bit integers in the database: a larger one is no bulletin, and asking PostgreSQL
for it would be an error (a 500), not a 404."""
CACHE_PUBLISHED = "public, max-age=3600"
"""A published page never changes (the snapshot is frozen), but archiving moves it out of
"current", so it is cached for an hour rather than for ever."""
PER_PAGE = 12
"""Bulletins on one page of the archive: three years of quarters."""


def mount_bulletins(web: FastAPI, app: QIHub) -> None:
    """Add the bulletin routes to the web app."""

    def published(raw_id: str) -> tuple[int, datetime, Contents]:
        """Its id, when it was published and what it says, or 404 for anything not published
        (a reference like BUL-2026-Q3, a word or an id beyond 32 bits is no bulletin either)."""
        if not raw_id.isascii() or not raw_id.isdigit() or not 0 < int(raw_id) <= LARGEST_ID:
            raise HTTPException(status_code=404, detail="No such bulletin")
        bulletin_id = int(raw_id)
        with app.uow_factory() as uow:
            bulletin = uow.bulletins.get(bulletin_id)
            if (
                bulletin is None
                or bulletin.status not in PUBLIC
                or bulletin.snapshot is None
                or bulletin.published_at is None
            ):
                raise HTTPException(status_code=404, detail="No such bulletin")
            return bulletin_id, bulletin.published_at, from_snapshot(bulletin.snapshot)

    @web.get("/bulletins", response_class=HTMLResponse)
    def archive(request: Request, page_number: str = Query("1", alias="page")) -> HTMLResponse:
        zone = app.config.zone
        with app.uow_factory() as uow:
            entries = [
                ArchiveEntry(
                    id=b.id,
                    ref=b.ref,
                    quarter=quarter.label if (quarter := parse_quarter(b.ref)) else b.ref,
                    published=long_day(b.published_at.astimezone(zone).date())
                    if b.published_at
                    else "",
                )
                for b in uow.bulletins.in_statuses(PUBLIC)
            ]
        pages = max(1, -(-len(entries) // PER_PAGE))
        number = int(page_number) if page_number.isascii() and page_number.isdigit() else 0
        if not 1 <= number <= pages:
            raise HTTPException(status_code=404, detail="No such page")
        return page(
            "bulletin/archive.html",
            Shell.of(request, app.config.organisation.name),
            bulletins=entries[(number - 1) * PER_PAGE : number * PER_PAGE],
            number=number,
            pages=pages,
            page_links=[
                {"number": n, "href": f"/bulletins?page={n}", "current": n == number}
                for n in range(1, pages + 1)
            ],
        )

    @web.get("/bulletins/{bulletin_id}", response_class=HTMLResponse)
    def bulletin(request: Request, bulletin_id: str) -> HTMLResponse:
        number, published_at, contents = published(bulletin_id)
        headline = render("bulletin/headline.txt", c=contents)
        return page(
            "bulletin/page.html",
            Shell.of(request, app.config.organisation.name),
            cache=CACHE_PUBLISHED,
            **page_context(number, contents, published_at, app.config.zone, headline),
        )

    @web.get("/bulletins/{bulletin_id}/charts/{name}.png")
    def chart(bulletin_id: str, name: str) -> Response:
        if name not in charts.CHARTS:
            raise HTTPException(status_code=404, detail="No such chart")
        _number, _published_at, contents = published(bulletin_id)
        png = charts.render_png(name, contents.figures)
        return Response(
            png, media_type="image/png", headers={**HEADERS, "Cache-Control": CACHE_PUBLISHED}
        )
