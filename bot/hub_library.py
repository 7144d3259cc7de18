"""The learning library on the web: `/hub/library` (search with the filters `/qi search` has)
and `/hub/lessons/{ref}` (a lesson's page), for signed-in staff (docs/web.md).

Nothing here decides what a person may see. The results come from the chat's own search
(handlers.search.find: the same scope, the same statuses, the same query) and the page from
handlers.lessons.page, which asks handlers.visibility exactly as the chat's card does. A
lesson the reader may not read, a missing one and a malformed reference all get the same
404 page: references are sequential, and a different answer would confirm that one exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from bot.app import QIHub
from bot.pages import Shell, page
from bot.signin.web import current_person, require_signed_in
from handlers.actions.lifecycle import Rag
from handlers.context import Context
from handlers.errors import UserError
from handlers.lessons.lifecycle import status_label
from handlers.lessons.links import LESSON_PATHS, LIBRARY_PATH, lesson_path, library_path
from handlers.lessons.page import lesson_page
from handlers.permissions import allowed, describe
from handlers.search import FILTER_KEYS, Results, change_text, find, parse_fields
from handlers.signin.sessions import SignedIn

PLATFORM = "web"
SHOW_LESSON = "lesson.show"
"""The chat's Open button on a lesson: the lesson page needs its permission."""
HEADER_SEARCH_LESSONS = 3
"""Lessons the header's search shows before linking to the library's full results."""
LONGEST_WORDS = 200
"""Characters of words in a library search; the chat's search keeps 16 words of 40 at most."""
TAG_COLOURS = {
    Rag.RED: "red",
    Rag.AMBER: "orange",
    Rag.GREEN: "green",
    Rag.BLUE: "blue",
    Rag.GREY: "grey",
}
"""The chat's RAG as NHS tag colours (an NHS tag has no amber: orange is its amber)."""


@dataclass(frozen=True)
class Shown:
    """One search result as the page lists it."""

    ref: str
    title: str
    href: str
    committee: str
    status: str
    changed: str | None
    """The latest verified change, or None when nothing has been verified yet."""


def mount_library(web: FastAPI, app: QIHub) -> None:
    """Add /hub/library and /hub/lessons/{ref}: signed-in staff only."""
    config = app.config

    def shell(request: Request) -> Shell:
        return Shell.of(request, config.organisation.name)

    def refused(request: Request, person: SignedIn, permission: str) -> HTMLResponse | None:
        """The chat's permission for the same thing, checked as dispatch checks it: a role
        the config does not let search or open lessons in chat cannot on the web either."""
        if allowed(app.services.config, person.roles, permission):
            return None
        who = describe(app.services.config, permission)
        message = f"The learning library is for {who}."
        return page(
            "note.html",
            shell(request),
            status=403,
            title="You cannot use the library",
            message=message,
        )

    @web.get(LIBRARY_PATH, response_class=HTMLResponse)
    def library(
        request: Request,
        person: SignedIn = Depends(require_signed_in),  # noqa: B008
        q: str = "",
        source: str = "",
        committee: str = "",
        srg: str = "",
        unit: str = "",
        page_number: str = Query("1", alias="page"),
    ) -> HTMLResponse:
        no = refused(request, person, search_permission(app))
        if no is not None:
            return no
        fields = {"source": source, "committee": committee, "srg": srg, "unit": unit}
        form = _form(app, q, fields)
        number = _page_number(page_number)
        error = f"Search for {LONGEST_WORDS} characters or fewer" if len(q) > LONGEST_WORDS else ""
        repeated = [k for k in FILTER_KEYS if len(request.query_params.getlist(k)) > 1]
        if repeated:  # an edited address: the form sends each filter once
            error = f"Give {repeated[0]}: once only."
        results = None
        if not error and number is not None:
            try:
                with app.uow_factory() as uow:
                    results = find(uow, config, parse_fields(q, fields, config), number)
            except UserError as problem:
                error = str(problem)
        if error:
            return page("library/search.html", shell(request), status=400, error=error, **form)
        if results is None or results.page != number or results.page > results.pages:
            return not_found(request)
        return page(
            "library/search.html",
            shell(request),
            error="",
            results=_shown(app, results),
            total=results.total,
            first=results.first,
            last=results.last,
            number=results.page,
            pages=results.pages,
            understood=results.query.text,
            pagination=_pagination(results, q, fields),
            **form,
        )

    @web.get(LESSON_PATHS, response_class=HTMLResponse)
    def lesson(
        request: Request,
        ref: str,
        person: SignedIn = Depends(require_signed_in),  # noqa: B008
    ) -> HTMLResponse:
        no = refused(request, person, app.services.registry.actions[SHOW_LESSON].permission)
        if no is not None:
            return no
        with app.uow_factory() as uow:
            shown = lesson_page(Context(app.services, uow, person.actor, PLATFORM), ref)
        if shown is None:
            return not_found(request)
        colours = {line.ref: TAG_COLOURS[line.rag] for line in shown.actions}
        return page("library/lesson.html", shell(request), lesson=shown, colours=colours)

    def not_found(request: Request) -> HTMLResponse:
        """One page for every lesson or page that is not there for this reader."""
        return page("library/not_found.html", shell(request), status=404)


def lessons_for_header(request: Request, app: QIHub, q: str) -> dict[str, Any] | None:
    """The first few lessons the library finds for the header's search, for a signed-in
    person (None for anyone else: lessons are for staff who have signed in)."""
    if getattr(request.app.state, "hub_signin", None) is None:
        return None
    person = current_person(request)
    if person is None or not allowed(app.services.config, person.roles, search_permission(app)):
        return None
    try:
        with app.uow_factory() as uow:
            query = parse_fields(q, {}, app.config)
            results = find(uow, app.config, query, 1, HEADER_SEARCH_LESSONS)
    except UserError as problem:
        return {"error": str(problem), "results": [], "total": 0, "href": LIBRARY_PATH}
    return {
        "error": "",
        "results": _shown(app, results),
        "total": results.total,
        "href": library_path(q),
    }


def search_permission(app: QIHub) -> str:
    """What `/qi search` needs, from the registry (not a copy of the config's name)."""
    search = app.services.registry.commands["qi"].find("search")
    assert search is not None
    return search.permission


def _form(app: QIHub, q: str, fields: dict[str, str]) -> dict[str, Any]:
    """The form as it was sent (kept after an error), with each filter's choices."""
    config = app.config
    choices = {
        "source": [(code, s.label) for code, s in config.lesson_sources.items()],
        "committee": [(code, c.name) for code, c in config.committees.items()],
        "srg": list(config.srgs.items()),
        "unit": [
            *((code, s.name) for code, s in config.sites.items()),
            *((code, d.name) for code, d in config.departments.items()),
        ],
    }
    selects = {
        key: [{"value": "", "text": "Any"}]
        + [
            {"value": code, "text": f"{label} ({code})", "selected": code == fields[key]}
            for code, label in choices[key]
        ]
        for key in FILTER_KEYS
    }
    return {"q": q, "fields": fields, "selects": selects}


def _page_number(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 else None


def _shown(app: QIHub, results: Results) -> list[Shown]:
    config = app.config
    shown = []
    for hit in results.hits:
        committee = config.committees.get(hit.committee)
        shown.append(
            Shown(
                ref=hit.ref,
                title=hit.title,
                href=lesson_path(hit.ref),
                committee=committee.name if committee else hit.committee,
                status=status_label(hit.status),
                changed=change_text(results.changes.get(hit.id)),
            )
        )
    return shown


def _pagination(results: Results, q: str, fields: dict[str, str]) -> dict[str, Any] | None:
    """NHS numbered pagination: the first and last pages, and those either side of this one
    (a library of 100,000 lessons has 10,000 pages)."""
    if results.pages < 2:
        return None
    number, pages = results.page, results.pages
    wanted = sorted({1, pages, *range(max(1, number - 1), min(pages, number + 1) + 1)})
    items: list[dict[str, Any]] = []
    for n in wanted:
        if items and n > items[-1].get("number", 0) + 1:
            items.append({"ellipsis": True})
        items.append({"number": n, "href": library_path(q, fields, n), "current": n == number})
    return {
        "previous": {"href": library_path(q, fields, number - 1)} if number > 1 else None,
        "next": {"href": library_path(q, fields, number + 1)} if number < pages else None,
        "items": items,
    }
