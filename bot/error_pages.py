"""The NHS.UK "Page not found" page for the Hub's own addresses, instead of FastAPI's JSON.

A person who mistypes /hub/lesons, follows an old bulletin link or opens a button's address
(a POST) in a new tab gets a page in the shell with the way back, the status kept (404, or 405
with its Allow header). Addresses outside the pages (Slack, Teams, Notify, /metrics) keep the
plain answers their callers expect.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from bot.app import QIHub
from bot.pages import Shell, page

PAGES = ("/hub", "/bulletins", "/reports")
"""Where people browse: answered with a page."""
NOT_FOUND = (
    "If you typed the web address, check it is correct. If you pasted the web address, check "
    "you copied the entire address. You can also search QI Hub or go to its home page."
)
NOT_A_PAGE = (
    "This address is for a button on QI Hub's pages, not for opening on its own. Go back to "
    "the page you were on, or to QI Hub's home page."
)


def mount_error_pages(web: FastAPI, app: QIHub) -> None:
    @web.exception_handler(HTTPException)
    async def page_not_found(request: Request, error: HTTPException) -> Response:
        path = request.url.path
        ours = any(path == area or path.startswith(area + "/") for area in PAGES)
        if not ours or error.status_code not in (404, 405):
            return await http_exception_handler(request, error)
        message = NOT_A_PAGE if error.status_code == 405 else NOT_FOUND

        def draw() -> Response:
            shell = Shell.of(request, app.config.organisation.name)
            return page(
                "note.html",
                shell,
                status=error.status_code,
                headers=error.headers,
                title="Page not found",
                message=message,
                home=True,
            )

        return await run_in_threadpool(draw)
