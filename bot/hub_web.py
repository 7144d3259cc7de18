"""The Improvement Hub's own pages: /hub (what the hub holds), /hub/accessibility (the
accessibility statement) and /hub/search (the header's search box).

Search looks through what anyone may read: the hub's pages, the published bulletins and the
committees' report pages, by their titles; for someone signed in, also the first few lessons
the learning library finds (bot/hub_library.py, the chat's own search). A missing or overlong
query is answered with the NHS error summary, and the page says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from bot.app import QIHub
from bot.hub_library import lessons_for_header
from bot.pages import Shell, page
from handlers.bulletin.lifecycle import PUBLIC
from handlers.bulletin.quarters import parse_quarter

LONGEST_QUERY = 100
"""Characters in a search: more is not a title anyone is looking for."""


@dataclass(frozen=True)
class Found:
    title: str
    href: str
    about: str


def mount_hub(web: FastAPI, app: QIHub) -> None:
    """Add /hub, /hub/accessibility and /hub/search to the web app."""

    def shell(request: Request) -> Shell:
        return Shell.of(request, app.config.organisation.name)

    @web.get("/hub", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return page("hub/home.html", shell(request), committees=_committees(app))

    @web.get("/hub/accessibility", response_class=HTMLResponse)
    def accessibility(request: Request) -> HTMLResponse:
        return page("hub/accessibility.html", shell(request), cache="public, max-age=3600")

    @web.get("/hub/search", response_class=HTMLResponse)
    def search(request: Request, q: str = "") -> HTMLResponse:
        words = q.split()
        error = (
            "Enter what you are looking for, such as a quarter or a committee"
            if not words
            else f"Search for {LONGEST_QUERY} characters or fewer"
            if len(q) > LONGEST_QUERY
            else ""
        )
        if error:
            return page("hub/search.html", shell(request), status=400, q=q, error=error)
        results = [f for f in _searchable(app) if _matches(f, words)]
        lessons = lessons_for_header(request, app, q)
        return page(
            "hub/search.html", shell(request), q=q, error="", results=results, lessons=lessons
        )


def _committees(app: QIHub) -> list[Found]:
    return [
        Found(c.name, f"/reports/{code}", f"SPC charts for {c.name} ({code})")
        for code, c in sorted(app.config.committees.items())
    ]


def _searchable(app: QIHub) -> list[Found]:
    """Everything a person may find without signing in, newest bulletin first."""
    found = [
        Found("QI Hub", "/hub", "What the Improvement Hub holds"),
        Found("Accessibility statement", "/hub/accessibility", "How accessible QI Hub is"),
        Found("Learning for improvement bulletins", "/bulletins", "Every published bulletin"),
        Found("Quality Committee board pack", "/reports/board", "All committees this quarter"),
    ]
    with app.uow_factory() as uow:
        for b in uow.bulletins.in_statuses(PUBLIC):
            quarter = parse_quarter(b.ref)
            label = quarter.label if quarter else b.ref
            found.append(Found(f"Learning for improvement: {label}", f"/bulletins/{b.id}", b.ref))
    return found + _committees(app)


def _matches(found: Found, words: list[str]) -> bool:
    text = f"{found.title} {found.about}".casefold()
    return all(word.casefold() in text for word in words)
