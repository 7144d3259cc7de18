"""Personal acknowledgement links on the web: GET and POST /ack/{token}.

GET shows the alert and an Acknowledge button, in a read-only transaction: mail gateways'
link scanners open every link in an email, and an open must never count. Only the button's
POST acknowledges (handlers/alerts/ack_links.py).

Why a forged POST gains nothing (CSRF): there is no cookie or session at all, so a page
elsewhere cannot borrow anyone's sign-in; the only credential is the unguessable token in the
path, and whoever can forge a request with it could open the link. As a second line, a POST a
browser marks as coming from another site (`Sec-Fetch-Site: cross-site` or `same-site`, or an
`Origin` that is neither this host nor organisation.web_base_url) is refused. (`Origin` is
`null` from our own page, because it sends no referrer; a `null` Origin is not refused.)

Work per request is bounded before the database is touched: the token's shape is checked
(24 URL-safe characters; anything else is a 404 with no query), the body is read up to 1 KB,
and a valid token costs one indexed lookup. Nothing here logs the path (it holds the token).

The page is the web shell's (bot/pages.py, messages/templates/web/ack/): its strict CSP, never
stored (no-store) or indexed.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from bot.app import NotSaved, QIHub, database_errors_as_not_saved
from bot.http_edge import read_limited
from bot.pages import PRIVATE, Shell, page
from handlers.alerts import ack_links, ack_page
from handlers.alerts.ack_page import AlertShown, Refused
from handlers.context import Actor, Context
from store.db import DATABASE_ERRORS

MAX_BODY = 1024
NOBODY = Actor(staff_id=None, email="", name="")
"""The request's own actor: nobody. The link acts as the person it is bound to."""
CROSS_SITE = ("cross-site", "same-site")
UNAVAILABLE = "QI Hub cannot show this just now. Open the link again in a minute."
ELSEWHERE = "Open the link from your text or email and press Acknowledge on that page."
NOT_SAVED = (
    "Not saved: QI Hub could not reach its database just now. Nothing was lost; "
    "press Acknowledge again in a minute."
)


def from_elsewhere(request: Request, base_url: str) -> bool:
    """A browser says this POST was sent from another site's page."""
    if request.headers.get("sec-fetch-site", "").lower() in CROSS_SITE:
        return True
    origin = request.headers.get("origin", "")
    if not origin or origin == "null":
        return False
    host = urlsplit(origin).netloc.lower()
    ours = {request.headers.get("host", "").lower(), urlsplit(base_url).netloc.lower()}
    return host not in ours


def mount_ack_links(web: FastAPI, app: QIHub) -> None:
    """Add /ack/{token} to the web app."""
    config = app.config
    calendar = app.services.calendar

    def answer(request: Request, status: int, shown: AlertShown | Refused) -> HTMLResponse:
        """The page in the shell (blocking: the header looks up any session)."""
        shell = Shell.of(request, config.organisation.name)
        context: dict[str, object] = {"alert": shown}
        template = "ack/alert.html"
        if isinstance(shown, Refused):
            template, context = "note.html", {"title": shown.title, "message": shown.message}
        return page(template, shell, status=status, cache="no-store", headers=PRIVATE, **context)

    async def refused(request: Request, status: int, title: str, message: str) -> HTMLResponse:
        return await run_in_threadpool(answer, request, status, Refused(title, message))

    def show(token: str) -> tuple[int, AlertShown | Refused]:
        with app.uow_factory() as uow:
            return ack_page.view(config, calendar, ack_links.look(uow, token, app.clock.now()))

    def press(token: str) -> tuple[int, AlertShown | Refused]:
        with database_errors_as_not_saved(), app.uow_factory() as uow:
            seen = ack_links.redeem(Context(app.services, uow, NOBODY, "link"), token)
            shown = ack_page.view(config, calendar, seen)
            uow.commit()
        return shown

    @web.api_route("/ack/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def opened(token: str, request: Request) -> HTMLResponse:
        try:
            return answer(request, *show(token))
        except DATABASE_ERRORS:
            return answer(request, 503, Refused("Please try again", UNAVAILABLE))

    @web.post("/ack/{token}", response_class=HTMLResponse)
    async def pressed(token: str, request: Request) -> HTMLResponse:
        if from_elsewhere(request, config.organisation.web_base_url):
            return await refused(request, 403, "Not acknowledged", ELSEWHERE)
        body = await read_limited(request, MAX_BODY)
        if body is None:
            return await refused(request, 413, "Not acknowledged", "That request was too large.")
        try:
            form = parse_qs(body.decode("latin-1"), max_num_fields=4)
        except ValueError:
            form = {}
        if form.get("confirm") != ["yes"]:
            return await refused(
                request, 400, "Not acknowledged", "Press the Acknowledge button on the page."
            )
        try:
            status, shown = await run_in_threadpool(press, token)
        except NotSaved:
            return await refused(request, 503, "Not saved", NOT_SAVED)
        return await run_in_threadpool(answer, request, status, shown)
