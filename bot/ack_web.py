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
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from bot.app import NotSaved, QIHub, database_errors_as_not_saved
from bot.http_edge import read_limited
from handlers.alerts import ack_links, ack_page
from handlers.context import Actor, Context
from store.db import DATABASE_ERRORS

MAX_BODY = 1024
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
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

    def page(status: int, html: str) -> HTMLResponse:
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def refused(status: int, title: str, message: str) -> HTMLResponse:
        return page(status, ack_page.plain(config, title, message))

    def show(token: str) -> tuple[int, str]:
        with app.uow_factory() as uow:
            return ack_page.render(config, calendar, ack_links.look(uow, token, app.clock.now()))

    def press(token: str) -> tuple[int, str]:
        with database_errors_as_not_saved(), app.uow_factory() as uow:
            seen = ack_links.redeem(Context(app.services, uow, NOBODY, "link"), token)
            answer = ack_page.render(config, calendar, seen)
            uow.commit()
        return answer

    @web.api_route("/ack/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def opened(token: str) -> HTMLResponse:
        try:
            return page(*show(token))
        except DATABASE_ERRORS:
            return refused(503, "Please try again", UNAVAILABLE)

    @web.post("/ack/{token}", response_class=HTMLResponse)
    async def pressed(token: str, request: Request) -> HTMLResponse:
        if from_elsewhere(request, config.organisation.web_base_url):
            return refused(403, "Not acknowledged", ELSEWHERE)
        body = await read_limited(request, MAX_BODY)
        if body is None:
            return refused(413, "Not acknowledged", "That request was too large.")
        try:
            form = parse_qs(body.decode("latin-1"), max_num_fields=4)
        except ValueError:
            form = {}
        if form.get("confirm") != ["yes"]:
            return refused(400, "Not acknowledged", "Press the Acknowledge button on the page.")
        try:
            return page(*await run_in_threadpool(press, token))
        except NotSaved:
            return refused(503, "Not saved", NOT_SAVED)
