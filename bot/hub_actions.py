"""The chat's answers on the web: a button pressed, a form filled in, a command's page.

    POST /hub/press              a button from any page the core drew (a small form each)
    POST /hub/forms/{form_id}    a chat form drawn on the web, submitted
    GET  /hub/ideas/new[?kind=big]  the form `/idea` (or `/idea big`) opens in chat
    GET  /hub/me                 my page: what `/qi mine` answers in chat

One core, one permission check: every route runs the same entry the chat runs
(handlers/dispatch.py `press`, `submit_form`, `run_command`) as the signed-in person, on the
platform "web", so the seal on a button's value, the permission, a second press and a second
submit behave exactly as in Slack or Teams. This module only draws what the core answers
(bot/hub_view.py, messages/templates/web/blocks.html) and reads a browser's POST back.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.app import NotSaved, QIHub, not_saved_reply
from bot.hub_view import Shown, headline, prefilled, raw_answers, web_blocks, web_fields
from bot.pages import Shell, page
from bot.signin.web import (
    SIGN_IN,
    current_person,
    form_checked,
    form_lists_checked,
    require_signed_in,
)
from handlers import dispatch
from handlers.context import Context
from handlers.form_sessions import SESSION_KEY
from handlers.signin.sessions import SignedIn
from messages.view import (
    Form,
    FormErrors,
    Notice,
    OpenForm,
    Reply,
    about_form,
    form_to_show,
    with_confirmation,
)
from messages.view import Response as CoreResponse

PLATFORM = "web"
"""What the core records as where a press came from (an alert's acknowledgement: "via web")."""
FORM_BODY = 256 * 1024
"""Bytes a submitted form may have: every long answer at its limit, percent-encoded."""
FORM_FIELDS = 400
MY_PAGE = "/qi mine"
"""The command whose reply my page is."""
NOT_CHECKED = (
    "That was not sent from QI Hub's own page, or the page was too old. Nothing was done: "
    "go back, reload the page and try again."
)

Call = Callable[[Context], CoreResponse]


def refusal(text: str) -> Reply:
    return Reply(summary=text, blocks=(Notice(text, "error"),))


def status_of(reply: Reply) -> int:
    """400 when the core refused and did nothing (an edited button, no permission, a form
    not for you): its only block is an error notice. Otherwise 200."""
    refused = len(reply.blocks) == 1 and isinstance(reply.blocks[0], Notice)
    return 400 if refused and reply.blocks[0].tone == "error" else 200  # type: ignore[union-attr]


def pressed_value(text: str) -> dict[str, str]:
    """A button's value as posted (JSON). Anything but an object of strings is no value at
    all, which the core refuses as an edited button (its seal is missing)."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return {}
    return value


class Pages:
    """The core's answers drawn as the Hub's pages, for one person's request."""

    def __init__(self, app: QIHub, request: Request, person: SignedIn) -> None:
        self.app = app
        self.request = request
        self.person = person

    def run(self, call: Call) -> CoreResponse:
        """`call` as the signed-in person, on the web: the chat's one way into the core."""
        try:
            return self.app.interact(self.person.actor.email, PLATFORM, call)
        except NotSaved:
            return not_saved_reply()

    def draw(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        shell = Shell.of(self.request, self.app.config.organisation.name)
        return page(template, shell, status=status, csrf=self.person.csrf, **context)

    def reply(self, reply: Reply, *, status: int | None = None) -> HTMLResponse:
        title, blocks = headline(reply)
        status = status_of(reply) if status is None else status
        return self.draw("hub/reply.html", status=status, title=title, blocks=blocks)

    def form(
        self,
        form_id: str,
        session: str,
        shown: Shown,
        errors: Mapping[str, str],
        about: str,
        status: int = 200,
    ) -> HTMLResponse:
        """The registry's form `form_id` with `shown` in its inputs and `errors` under them
        (and summarised first), the not-a-patient confirmation when the errors ask for it."""
        spec = self.app.services.registry.forms[form_id]
        answers = raw_answers(with_confirmation(spec.form), shown)
        form: Form = form_to_show(about_form(spec.form, about), answers, errors)
        fields = web_fields(form, shown, errors)
        return self.draw(
            "hub/form.html",
            status=status,
            form=form,
            intro=form.intro.splitlines(),
            fields=fields,
            errors=[{"text": f.error, "href": f.error_href} for f in fields if f.error],
            session=session,
            about=about,
        )

    def answer(self, response: CoreResponse) -> HTMLResponse:
        """What the core answered, as a page: a reply, or the form it opened."""
        if isinstance(response, OpenForm):
            spec = self.app.services.registry.forms[response.form_id]
            shown = prefilled(with_confirmation(spec.form), response.values)
            session = str(response.context.get(SESSION_KEY, ""))
            return self.form(response.form_id, session, shown, response.errors, response.about)
        if isinstance(response, FormErrors):  # a press never answers so
            return self.reply(refusal("; ".join(response.errors.values())))
        return self.reply(response)

    def press(self, form: Mapping[str, str]) -> HTMLResponse:
        """A button pressed; a destructive one (with its question) is first asked about."""
        action, value = form.get("action", ""), form.get("value", "")
        question = form.get("confirm", "")
        if question and form.get("confirmed") != "yes":
            return self.draw("hub/confirm.html", question=question, action=action, value=value)
        sent = pressed_value(value)
        return self.answer(self.run(lambda ctx: dispatch.press(ctx, action, sent)))

    def submit(self, form_id: str, posted: Shown) -> HTMLResponse:
        spec = self.app.services.registry.forms.get(form_id)
        if spec is None:
            gone = refusal("That form is no longer available. Please start again.")
            return self.reply(gone, status=404)
        raw = raw_answers(with_confirmation(spec.form), posted)
        session, about = _first(posted, SESSION_KEY), _first(posted, "about")
        response = self.run(
            lambda ctx: dispatch.submit_form(ctx, form_id, raw, {SESSION_KEY: session})
        )
        if isinstance(response, FormErrors):
            return self.form(form_id, session, posted, response.errors, about, status=400)
        return self.answer(response)

    def my_page(self) -> HTMLResponse:
        """The web twin of `/qi mine`: its very reply, drawn whole, so the two cannot differ."""
        response = self.run(lambda ctx: dispatch.run_command(ctx, MY_PAGE))
        if not isinstance(response, Reply):
            return self.answer(response)
        blocks = web_blocks(response.blocks)
        return self.draw("hub/me.html", status=status_of(response), blocks=blocks)


def mount_hub_actions(web: FastAPI, app: QIHub) -> None:
    """Add /hub/press, /hub/forms/{form_id}, /hub/ideas/new and /hub/me to the web app."""

    async def signed_in_post(
        request: Request, read: Callable[[SignedIn], Awaitable[Any]], *, touch: bool = True
    ) -> tuple[Pages, Any] | Response:
        """The person and their checked POST, or the answer refusing it: to sign in when no
        one is signed in, 403 when CSRF or Fetch Metadata fail (nothing is done)."""
        person = await run_in_threadpool(partial(current_person, request, touch=touch))
        if person is None:
            return RedirectResponse(f"{SIGN_IN}?next=/hub/me", status_code=303)
        pages = Pages(app, request, person)
        form = await read(person)
        if form is None:
            return await run_in_threadpool(pages.reply, refusal(NOT_CHECKED), status=403)
        return pages, form

    @web.post("/hub/press", response_class=HTMLResponse)
    async def press(request: Request) -> Response:
        checked = await signed_in_post(request, lambda person: form_checked(request, person))
        if isinstance(checked, Response):
            return checked
        pages, form = checked
        return await run_in_threadpool(pages.press, form)

    @web.post("/hub/forms/{form_id}", response_class=HTMLResponse)
    async def submit(form_id: str, request: Request) -> Response:
        checked = await signed_in_post(
            request,
            lambda person: form_lists_checked(
                request, person, limit=FORM_BODY, max_fields=FORM_FIELDS
            ),
            touch=False,  # a form sent anonymously leaves no time beside the person
        )
        if isinstance(checked, Response):
            return checked
        pages, posted = checked
        return await run_in_threadpool(pages.submit, form_id, posted)

    @web.get("/hub/ideas/new", response_class=HTMLResponse)
    def new_idea(
        request: Request,
        kind: str = "",
        person: SignedIn = Depends(require_signed_in),  # noqa: B008
    ) -> HTMLResponse:
        """The form `/idea` opens in chat (`/idea big` with ?kind=big), from the same command."""
        text = "/idea big" if kind == "big" else "/idea"
        pages = Pages(app, request, person)
        return pages.answer(pages.run(lambda ctx: dispatch.run_command(ctx, text)))

    @web.get("/hub/me", response_class=HTMLResponse)
    def my_page(
        request: Request,
        person: SignedIn = Depends(require_signed_in),  # noqa: B008
    ) -> HTMLResponse:
        return Pages(app, request, person).my_page()


def _first(posted: Mapping[str, Sequence[str]], name: str) -> str:
    values = posted.get(name, ())
    return values[0] if values else ""
