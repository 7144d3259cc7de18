"""The ideas board on the web (docs/web.md, "The ideas board"), for signed-in staff:

    GET  /hub/ideas?status=open&page=N   the ideas this person may see, newest first
    GET  /hub/ideas/mine                 their own ideas (the web twin of /idea mine)
    GET  /hub/ideas/{ref}                one idea, as /idea status shows it to them
    POST /hub/ideas/{ref}/support        "Support this idea"

Nothing here decides a rule. Which ideas a person may see is handlers/ideas/visibility.py's
(the same as in chat), what the page shows is handlers/ideas/viewer.py's, and a support press
goes through the chat button's own path: the value {"ref": ref} built here from the address,
sealed with the server's key for the action "idea.support", and given to dispatch.press in one
unit of work as the signed-in person, so the permission, one support per person, not your own
idea and not a closed one are checked exactly as for the button in chat. A reference the person
may not see gets the same 404 as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from bot.app import NOT_SAVED, NotSaved, QIHub
from bot.hub_view import web_blocks
from bot.pages import Shell, page
from bot.signin.web import SIGN_IN, current_person, form_checked, gate_of, require_signed_in
from handlers import dispatch
from handlers.context import Context
from handlers.errors import NotFound
from handlers.ideas import board, commands, service, viewer
from handlers.permissions import allowed, describe
from handlers.seals import seal_reply, sealed
from handlers.signin.sessions import SignedIn
from messages.view import Button, Buttons, Notice, Reply
from messages.view import Response as CoreResponse

T = TypeVar("T")

PLATFORM = "web"
SUPPORT = "idea.support"
"""The chat button's action: its permission and handler come from the registry."""

STATUS_COLOURS = {
    "submitted": "blue",
    "awaiting_sponsor": "blue",
    "eligible": "blue",
    "under_review": "blue",
    "promoted": "purple",
    "approved": "aqua-green",
    "in_implementation": "aqua-green",
    "implemented": "green",
    "recognised": "green",
}
"""An idea's status as an NHS tag colour; a closed one (duplicate, withdrawn, …) is grey. The
tag's text always says the status in words."""


class IdeaRef(Convertor[str]):
    """An idea's reference in an address (IDEA-2026-0042, any case), so /hub/ideas/mine and
    another module's /hub/ideas/new never reach the idea page, whatever the mounting order."""

    regex = "[Ii][Dd][Ee][Aa]-[0-9]{4}-[0-9]{1,9}"

    def convert(self, value: str) -> str:
        return value.upper()

    def to_string(self, value: str) -> str:
        return value


class IdeasPages:
    """The pages' work, for one hub: each method runs in a worker thread (blocking database
    work) and returns the whole response."""

    def __init__(self, app: QIHub) -> None:
        self.app = app
        self.organisation = app.config.organisation.name

    def read(self, person: SignedIn, call: Callable[[Context], T]) -> T:
        with self.app.uow_factory() as uow:
            return call(Context(self.app.services, uow, person.actor, PLATFORM))

    def shown(
        self, request: Request, template: str, *, status: int = 200, **context: Any
    ) -> HTMLResponse:
        shell = Shell.of(request, self.organisation)
        return page(template, shell, status=status, colours=STATUS_COLOURS, **context)

    def note(self, request: Request, status: int, title: str, message: str) -> HTMLResponse:
        back = {"href": "/hub/ideas", "text": "Back to ideas"}
        return self.shown(
            request, "note.html", status=status, title=title, message=message, back=back
        )

    def missing(self, request: Request, ref: str) -> HTMLResponse:
        """The same page for an idea that does not exist and one this person may not see."""
        return self.note(
            request, 404, "Page not found", f"No idea matches {ref}. Check the reference."
        )

    def refused(self, request: Request, person: SignedIn) -> HTMLResponse | None:
        """The page for someone without `idea.view` (which `/idea status` needs too)."""
        if allowed(self.app.services.config, person.roles, board.VIEW):
            return None
        who = describe(self.app.services.config, board.VIEW)
        return self.note(request, 403, "You cannot see ideas", f"The ideas board is for {who}.")

    def board(self, request: Request, person: SignedIn, status: str, number: str) -> HTMLResponse:
        chosen = board.FILTERS.get(status)
        if chosen is None:
            return self.shown(
                request,
                "ideas/board.html",
                status=400,
                error="Choose which ideas to show from the list",
                filters=board.FILTERS.values(),
                chosen=board.DEFAULT_FILTER,
            )
        wanted = int(number) if number.isascii() and number.isdigit() and len(number) < 7 else 0
        result = self.read(person, lambda ctx: board.board(ctx, chosen, wanted))
        if not 1 <= wanted <= result.pages:
            return self.note(request, 404, "Page not found", "There is no such page of ideas.")
        links = [
            {
                "number": n,
                "href": f"/hub/ideas?status={chosen.name}&page={n}",
                "current": n == wanted,
            }
            for n in range(1, result.pages + 1)
        ]
        return self.shown(
            request,
            "ideas/board.html",
            error="",
            filters=board.FILTERS.values(),
            chosen=chosen.name,
            chosen_label=chosen.label,
            result=result,
            page_links=links,
        )

    def mine(self, request: Request, person: SignedIn) -> HTMLResponse:
        rows = self.read(person, board.mine)
        return self.shown(request, "ideas/mine.html", rows=rows, note=viewer.ANONYMOUS_NOTE)

    def idea(
        self, request: Request, person: SignedIn, ref: str, outcome: Notice | None, status: int
    ) -> HTMLResponse:
        """The idea's page (after a support press too): `idea.view` needed, as in chat."""
        no = self.refused(request, person)
        if no is not None:
            return no
        try:
            idea, buttons = self.read(person, lambda ctx: _page_and_buttons(ctx, ref))
        except NotFound:
            return self.missing(request, ref)
        sealed_buttons = seal_reply(self.app.seal_key(), Reply("", (Buttons(buttons),)))
        return self.shown(
            request,
            "ideas/idea.html",
            status=status,
            idea=idea,
            outcome=outcome,
            csrf=person.csrf,
            presses=web_blocks(sealed_buttons.blocks)[0].buttons if buttons else (),
        )

    def press_support(self, person: SignedIn, ref: str) -> CoreResponse:
        """The chat button's press, drawn here: {"ref": ref} sealed for "idea.support"."""
        value = sealed(self.app.seal_key(), SUPPORT, {"ref": ref})
        return self.app.interact(
            person.actor.email, PLATFORM, lambda ctx: dispatch.press(ctx, SUPPORT, value)
        )

    def supported(self, request: Request, person: SignedIn, ref: str) -> HTMLResponse:
        """The idea's page with what the press answered: 200 when it counted, 403 without the
        permission, 409 for any other refusal (already supported, your own, closed)."""
        try:
            answer = self.press_support(person, ref)
        except NotSaved:
            return self.note(request, 503, "Not saved", NOT_SAVED)
        outcome = _first_notice(answer)
        if outcome.tone == "success":
            return self.idea(request, person, ref, outcome, 200)
        permission = self.app.services.registry.actions[SUPPORT].permission
        status = 409 if allowed(self.app.services.config, person.roles, permission) else 403
        return self.idea(request, person, ref, outcome, status)


def mount_ideas(web: FastAPI, app: QIHub) -> None:
    """Add the ideas board's routes to the web app (sign-in must be mounted too)."""
    register_url_convertor("idea_ref", IdeaRef())
    pages = IdeasPages(app)

    @web.get("/hub/ideas", response_class=HTMLResponse)
    def ideas_board(
        request: Request,
        status: str = board.DEFAULT_FILTER,
        number: str = Query("1", alias="page"),
        person: SignedIn = Depends(require_signed_in),  # noqa: B008
    ) -> HTMLResponse:
        return pages.refused(request, person) or pages.board(request, person, status, number)

    @web.get("/hub/ideas/mine", response_class=HTMLResponse)
    def my_ideas(
        request: Request,
        person: SignedIn = Depends(require_signed_in),  # noqa: B008
    ) -> HTMLResponse:
        return pages.refused(request, person) or pages.mine(request, person)

    @web.get("/hub/ideas/{ref:idea_ref}", response_class=HTMLResponse)
    def idea_page(
        request: Request,
        ref: str,
        person: SignedIn = Depends(require_signed_in),  # noqa: B008
    ) -> HTMLResponse:
        return pages.idea(request, person, ref, None, 200)

    @web.post("/hub/ideas/{ref:idea_ref}/support", response_class=HTMLResponse)
    async def support(request: Request, ref: str) -> Response:
        person = await run_in_threadpool(current_person, request)
        if person is None:  # back to the idea's page after signing in, not to this POST
            return gate_of(request).see_other(f"{SIGN_IN}?next=/hub/ideas/{ref}")
        if await form_checked(request, person) is None:
            return await run_in_threadpool(pages.note, request, 403, "Not supported", STALE_FORM)
        return await run_in_threadpool(pages.supported, request, person, ref)


STALE_FORM = (
    "Nothing was changed: the form was out of date or sent from another site. "
    "Open the idea again and press Support this idea."
)


def _page_and_buttons(ctx: Context, ref: str) -> tuple[viewer.IdeaPage, tuple[Button, ...]]:
    """The idea's page and the chat card's other buttons for this viewer, which the page
    offers through /hub/press (the chat's dispatch: every press is checked again)."""
    found = service.find(ctx, ref)
    return viewer.idea_page(ctx, found), commands.card_buttons(ctx, found)


def _first_notice(answer: CoreResponse) -> Notice:
    """What the press answered, as the chat shows it: its first notice."""
    if isinstance(answer, Reply):
        for block in answer.blocks:
            if isinstance(block, Notice):
                return block
        return Notice(answer.summary, "info")
    return Notice("Nothing was changed. Please try again.", "error")
