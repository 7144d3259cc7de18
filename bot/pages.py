"""Every HTML page of `qihub web` in one shell: the NHS.UK design system, one CSP (docs/web.md).

Pages render through their own Jinja environment, separate from the chat templates in
messages/templates.py: autoescaping on (HTML has no later step that escapes), templates from
messages/templates/web/ first and then the NHS.UK frontend macros (`nhsuk-frontend-jinja`,
pinned to the vendored CSS's version). `ChainableUndefined` because those macros read
`params.a.b` of options a page leaves out; a page's own misspelt variable renders empty, so
every page has a test that looks for its content.

A page is added by writing a template that extends "layout.html" and returning `page(...)`
from the route: the shell (header with search and navigation, skip link, footer, stylesheet)
and the security headers come with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader

from bot.web_assets import stylesheets
from handlers.bulletin.page import long_day
from messages.templates import TEMPLATES, plural

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""No script at all (default-src 'none' covers script-src), styles and pictures from this
server only, no inline style or script, forms post only here, never framed. The NHS Frutiger
font is served from assets.nhs.uk, which `font-src 'self'` leaves out on purpose: no
request leaves for another site, and the stylesheet falls back to Arial (docs/web.md)."""

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""Every page's and every page asset's headers (charts, CSV, stylesheets, icons)."""

PRIVATE = {"X-Robots-Tag": "noindex, nofollow"}
"""With `cache="no-store"`: a page behind a personal link or about a sign-in, which no search
engine lists and no cache keeps (sign-in, the acknowledgement page)."""


def csp(form_to: str = "") -> str:
    """The CSP, with one more origin forms may go to: the sign-in page's Microsoft button,
    whose POST is redirected to Entra ID's login page (form-action covers redirects)."""
    return CSP.replace("form-action 'self'", f"form-action 'self' {form_to}") if form_to else CSP


HOME_PAGE = "/hub"
"""Current in the navigation on the home page itself only, not on every page below it."""
SECTIONS = (("/hub/lessons", "/hub/library"),)
"""Pages that belong to a navigation item without being below its address: a lesson's page
is the learning library's."""

NAVIGATION = (
    ("Home", "/hub"),
    ("Learning library", "/hub/library"),
    ("Ideas", "/hub/ideas"),
    ("Bulletins", "/bulletins"),
    ("Board pack", "/reports/board"),
)
"""The header's navigation: (text, address). An item is current on its address and below."""
SIGNED_IN_NAVIGATION = (("My page", "/hub/me"),)
"""Added after NAVIGATION for someone signed in: pages that are about the person."""


@dataclass(frozen=True)
class Shell:
    """What the layout needs about the request, the same on every page.

    `person` is the signed-in person's display name and `sign_in` the sign-in address; both
    are None until sign-in exists (a later step fills them from the session). The header's
    account area shows the name, or the sign-in link, whichever is set.
    """

    organisation: str
    path: str
    person: str | None = None
    sign_in: str | None = None

    @classmethod
    def of(cls, request: Request, organisation: str) -> Shell:
        """The shell for this request: the signed-in person's name, or a sign-in link that
        comes back to this page (none when sign-in is not mounted). Blocking (the session is
        looked up): call it from a sync route."""
        shell = cls(organisation=organisation, path=request.url.path)
        if getattr(request.app.state, "hub_signin", None) is None:
            return shell
        from bot.signin.web import SIGN_IN, current_person  # the sign-in adapter uses pages
        from handlers.signin.redirects import safe_next

        person = current_person(request)
        if person is not None:
            return replace(shell, person=person.actor.name)
        return replace(shell, sign_in=f"{SIGN_IN}?next={quote(safe_next(request.url.path))}")

    def navigation(self) -> list[dict[str, Any]]:
        """The items (My page only for someone signed in), the one whose address is the
        longest this page is at or below current (so /hub/library is the library's, not
        Home's too)."""
        items = (*NAVIGATION, *(SIGNED_IN_NAVIGATION if self.person else ()))
        path = next((to for prefix, to in SECTIONS if _under(self.path, prefix)), self.path)
        under = [href for _text, href in items if _under(path, href) and href != HOME_PAGE]
        current = max(under, key=len, default=HOME_PAGE if path == HOME_PAGE else None)
        return [{"text": text, "href": href, "current": href == current} for text, href in items]

    def account(self) -> list[dict[str, Any]]:
        if self.person:
            return [{"text": self.person, "href": "/hub/account", "icon": True}]
        if self.sign_in:
            return [{"text": "Sign in", "href": self.sign_in}]
        return []


def _under(path: str, href: str) -> bool:
    return path == href or path.startswith(href.rstrip("/") + "/")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES / "web"),
                PackageLoader("nhsuk_frontend_jinja"),
            ]
        ),
        autoescape=True,
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(plural=plural, long_day=long_day)
    return env


def render(template: str, shell: Shell, **context: Any) -> str:
    """The page's HTML: `template` (under messages/templates/web/) inside the shell."""
    return (
        environment()
        .get_template(template)
        .render(shell=shell, stylesheets=stylesheets(), **context)
    )


def page(
    template: str,
    shell: Shell,
    *,
    status: int = 200,
    cache: str = "no-cache",
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The response for a page: its HTML with the shell's security headers and `cache`.
    A page naming who is signed in is never stored by a shared cache, whatever `cache` says."""
    if shell.person is not None:
        cache = "private, no-store"
    return HTMLResponse(
        render(template, shell, **context),
        status_code=status,
        headers={**HEADERS, "Cache-Control": cache, "Vary": "Cookie", **(headers or {})},
    )
