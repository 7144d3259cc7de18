"""Signing in to the Improvement Hub on the web: the routes, and what later pages depend on.

    current_person(request) -> SignedIn | None    who is signed in, as of this request
    require_signed_in(request) -> SignedIn         the same, or a redirect to sign in
    form_checked(request, person) -> form | None   a POST's fields, CSRF and Fetch Metadata checked

Two ways in, one session: Entra ID (bot/signin/entra.py) and the one-time link from `/qi web`
(handlers/signin/links.py). Either ends in a server-side session (handlers/signin/sessions.py)
whose cookie is HttpOnly, SameSite=Lax and, over https, `__Host-` and Secure (cookies.py).

Every POST but Entra ID's return is refused when the browser says it came from another site
(Sec-Fetch-Site, else Origin); every POST made while signed in also needs the session's CSRF
token. Entra ID's return is a cross-site POST by design (form_post): it is trusted only with
the state of a flow this browser began (its binding cookie), PKCE, and the nonce in the token.
Redirects go only to our own pages (handlers/signin/redirects.py). Nothing here logs a token.

The pages are the shell's (bot/pages.py; templates in messages/templates/web/signin/), with the
shell's strict CSP, never stored (no-store) or indexed. Only the sign-in page lets a form go
to another site: Entra ID's login page, where its Microsoft button's POST is redirected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, quote, unquote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.ack_web import from_elsewhere
from bot.app import QIHub
from bot.http_edge import read_limited
from bot.pages import PRIVATE, Shell, csp, page
from bot.signin.cookies import CookiePolicy, cookie_policy
from bot.signin.entra import EntraConfig, EntraRefused, EntraSignIn
from handlers.signin import links, people, sessions, tokens
from handlers.signin.redirects import HOME, safe_next
from handlers.signin.sessions import SessionPolicy, SignedIn

log = logging.getLogger(__name__)

MAX_BODY = 2048
MAX_CALLBACK_BODY = 16 * 1024
"""Entra ID's form_post carries the code, state and session state: a few KB at most."""
FLOW_LIFETIME = timedelta(minutes=10)
TOO_LARGE = (
    "That was more than QI Hub takes at once, so nothing was saved. Go back (your answers are "
    "still there), shorten the longest one and send it again."
)
NEXT_LIFETIME = timedelta(minutes=15)
"""Long enough to type /qi web in chat and open the link it gives (which lasts five)."""
SIGN_IN = "/hub/signin"
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    **PRIVATE,
}
"""A redirect's headers (a page's come from bot.pages.page)."""
METHODS = {"link": "a sign-in link from chat", "entra": "your Microsoft account"}
STATUS = {"open": 200, "used": 410, "expired": 410, "unknown": 404}
LINK_REFUSED = {
    "used": (
        "This link has already been used",
        "Each sign-in link works once. Ask QI Hub for a new one: type /qi web in Slack or Teams.",
    ),
    "expired": (
        "This link has expired",
        "Sign-in links work for five minutes. Ask QI Hub for a new one: type /qi web.",
    ),
    "unknown": (
        "This link is not valid",
        "Check that you opened the whole link, or ask QI Hub for a new one: type /qi web.",
    ),
}
NOT_ON_HTTP = (
    "Sign-in is off: QI Hub's address (organisation.web_base_url) is not https, and a "
    "sign-in must not cross a network in clear. Ask the QI Hub operator."
)


class SignInRequired(Exception):
    """Raised by require_signed_in; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Gate:
    """Sign-in for one web app: the hub, its cookies, session policy and Entra ID."""

    def __init__(
        self,
        app: QIHub,
        cookies: CookiePolicy | None,
        policy: SessionPolicy,
        entra: EntraSignIn | None,
    ) -> None:
        self.app = app
        self.cookies = cookies
        self.policy = policy
        self.entra = entra

    @property
    def organisation(self) -> str:
        return self.app.config.organisation.name

    def shell(self, request: Request) -> Shell:
        """The shell, whose "Sign in" link here goes to the plain sign-in page: never back to
        a link's page (its address holds the token)."""
        shell = Shell.of(request, self.organisation)
        return replace(shell, sign_in=SIGN_IN) if shell.sign_in else shell

    def page(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        form_to: str = "",
        **context: object,
    ) -> HTMLResponse:
        """A sign-in page (blocking: the header looks up the session). `form_to` is one more
        origin its forms may go to."""
        return page(
            template,
            self.shell(request),
            status=status,
            cache="no-store",
            headers={**PRIVATE, "Content-Security-Policy": csp(form_to)},
            **context,
        )

    def note(
        self, request: Request, status: int, title: str, message: str, *, again: bool = False
    ) -> HTMLResponse:
        """A page of one sentence (blocking): a refusal, or "signed out"."""
        return self.page(
            request, "note.html", status=status, title=title, message=message, again=again
        )

    async def noted(
        self, request: Request, status: int, title: str, message: str, *, again: bool = False
    ) -> HTMLResponse:
        """`note` from an async route."""
        return await run_in_threadpool(self.note, request, status, title, message, again=again)

    def see_other(self, location: str) -> RedirectResponse:
        return RedirectResponse(location, status_code=303, headers=dict(HEADERS))

    def set_session(self, response: Response, token: str) -> None:
        assert self.cookies is not None
        response.set_cookie(
            self.cookies.session_name,
            token,
            path="/",
            secure=self.cookies.secure,
            httponly=True,
            samesite="lax",
        )

    def remember_next(self, response: Response, next_path: str) -> None:
        """Keep the page a person was sent to sign in from, for a chat link opened next."""
        assert self.cookies is not None
        if next_path == HOME:
            return
        response.set_cookie(
            self.cookies.next_name,
            quote(next_path, safe=""),
            max_age=int(NEXT_LIFETIME.total_seconds()),
            path="/",
            secure=self.cookies.secure,
            httponly=True,
            samesite="lax",
        )

    def remembered_next(self, request: Request) -> str:
        """That page (checked again: a cookie is the browser's to edit), or the hub's home."""
        assert self.cookies is not None
        return safe_next(unquote(request.cookies.get(self.cookies.next_name, "")))

    def forget_next(self, response: Response) -> None:
        assert self.cookies is not None
        response.delete_cookie(
            self.cookies.next_name, path="/", secure=self.cookies.secure, httponly=True
        )

    def clear_session(self, response: Response) -> None:
        assert self.cookies is not None
        response.delete_cookie(
            self.cookies.session_name,
            path="/",
            secure=self.cookies.secure,
            httponly=True,
            samesite="lax",
        )


def gate_of(request: Request) -> Gate:
    gate = request.app.state.hub_signin
    assert isinstance(gate, Gate)
    return gate


def current_person(request: Request, *, touch: bool = True) -> SignedIn | None:
    """Who is signed in, looked up afresh for this request (their roles as of now, through
    handlers.context.actor_for, as in chat); None when no one is or the session has ended.
    `touch=False`: this request does not count as activity (sessions.resolve says why).
    Blocking: call it from a sync route or dependency (FastAPI runs those in a thread)."""
    if hasattr(request.state, "hub_person"):
        cached: SignedIn | None = request.state.hub_person
        return cached
    gate = gate_of(request)
    person: SignedIn | None = None
    raw = request.cookies.get(gate.cookies.session_name, "") if gate.cookies else ""
    if raw:
        with gate.app.uow_factory() as uow:
            person = sessions.resolve(uow, raw, gate.app.clock.now(), gate.policy, touch=touch)
            uow.commit()
    request.state.hub_person = person
    return person


def require_signed_in(request: Request) -> SignedIn:
    """A FastAPI dependency for the Hub's pages: the person, or a redirect to sign in that
    comes back here afterwards."""
    person = current_person(request)
    if person is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(safe_next(f"{request.url.path}{query}"))
    return person


async def posted(request: Request, limit: int = MAX_BODY) -> dict[str, str] | None:
    """A form POST's fields (the first value of each), or None when it is too large."""
    fields = await posted_lists(request, limit)
    return None if fields is None else {name: values[0] for name, values in fields.items()}


async def posted_lists(
    request: Request, limit: int = MAX_BODY, max_fields: int = 12
) -> dict[str, list[str]] | None:
    """A form POST's fields, every value of each (a group of check boxes sends one name many
    times), or None when it is too large; {} when it has more than `max_fields` fields."""
    body = await read_limited(request, limit)
    if body is None:
        return None
    try:
        return parse_qs(body.decode("latin-1"), max_num_fields=max_fields)
    except ValueError:
        return {}


class TooLarge(Exception):
    """A signed-in person's POST over the route's limit: answered 413 with a page that says
    so (not the 403 of a forged POST), nothing done."""


async def form_checked(request: Request, person: SignedIn) -> dict[str, str] | None:
    """A signed-in person's POST, or None to refuse it (403): sent from another site's page
    or without this session's CSRF token. Too large raises TooLarge (413)."""
    form = await form_lists_checked(request, person)
    return None if form is None else {name: values[0] for name, values in form.items()}


async def form_lists_checked(
    request: Request, person: SignedIn, *, limit: int = MAX_BODY, max_fields: int = 12
) -> dict[str, list[str]] | None:
    """`form_checked` for a larger form (a chat form drawn on the web): every value of each
    field, up to `limit` bytes and `max_fields` fields."""
    if from_elsewhere(request, gate_of(request).app.config.organisation.web_base_url):
        return None
    form = await posted_lists(request, limit, max_fields)
    if form is None:
        raise TooLarge
    if not tokens.csrf_matches(person.csrf, form.get("csrf", [""])[0]):
        return None
    return form


def mount_sign_in(web: FastAPI, app: QIHub, *, entra: EntraConfig | None = None) -> Gate:
    """Add the sign-in routes to the web app; later pages use current_person and
    require_signed_in."""
    settings = app.settings
    policy = SessionPolicy(
        idle=timedelta(minutes=settings.hub_session_idle_minutes),
        absolute=timedelta(hours=settings.hub_session_absolute_hours),
    )
    cookies = cookie_policy(app.config.organisation.web_base_url)
    gate = Gate(app, cookies, policy, EntraSignIn(entra) if entra is not None else None)
    web.state.hub_signin = gate

    @web.exception_handler(SignInRequired)
    async def to_sign_in(_request: Request, needed: Exception) -> Response:
        assert isinstance(needed, SignInRequired)
        return gate.see_other(f"{SIGN_IN}?next={quote(needed.next_path, safe='/')}")

    @web.exception_handler(TooLarge)
    async def too_large(request: Request, _error: Exception) -> Response:
        return await gate.noted(request, 413, "Not sent: too long", TOO_LARGE)

    _mount_pages(web, gate)
    _mount_links(web, gate)
    if gate.entra is not None:
        _mount_entra(web, gate, gate.entra)
    return gate


def _mount_pages(web: FastAPI, gate: Gate) -> None:
    login_origin = ""
    if gate.entra is not None:
        login_origin = gate.entra.config.login_url.rstrip("/")

    @web.get(SIGN_IN, response_class=HTMLResponse)
    def sign_in_page(request: Request, next: str = "") -> Response:
        if gate.cookies is None:
            return gate.note(request, 503, "Sign-in is off", NOT_ON_HTTP)
        if current_person(request) is not None:
            return gate.see_other(safe_next(next))
        response = gate.page(
            request,
            "signin/sign_in.html",
            form_to=login_origin,
            entra=gate.entra is not None,
            next=safe_next(next),
        )
        gate.remember_next(response, safe_next(next))
        return response

    @web.get("/hub/account", response_class=HTMLResponse)
    def account(
        request: Request,
        person: SignedIn = Depends(require_signed_in),  # noqa: B008
    ) -> Response:
        return gate.page(
            request,
            "signin/account.html",
            name=person.actor.name,
            email=person.actor.email,
            method=METHODS.get(person.method, person.method),
            csrf=person.csrf,
        )

    def sign_out(request: Request, everywhere: bool) -> Callable[[], None]:
        def run() -> None:
            raw = request.cookies.get(gate.cookies.session_name, "") if gate.cookies else ""
            with gate.app.uow_factory() as uow:
                person = sessions.resolve(uow, raw, gate.app.clock.now(), gate.policy)
                if everywhere and person is not None:
                    sessions.end_everywhere(uow, person.staff_id)
                sessions.end(uow, raw)
                uow.commit()

        return run

    async def signing_out(request: Request, everywhere: bool) -> Response:
        if gate.cookies is None:
            return await gate.noted(request, 503, "Sign-in is off", NOT_ON_HTTP)
        person = await run_in_threadpool(current_person, request)
        if person is None:
            return gate.see_other(SIGN_IN)
        if await form_checked(request, person) is None:
            return await gate.noted(
                request, 403, "Not signed out", "Press Sign out on QI Hub's own page."
            )
        await run_in_threadpool(sign_out(request, everywhere))
        request.state.hub_person = None  # the page's header: no one is signed in now
        message = "You have signed out" + (" on every device." if everywhere else ".")
        response = await gate.noted(request, 200, "Signed out", message, again=True)
        gate.clear_session(response)
        return response

    @web.post("/hub/signout", response_class=HTMLResponse)
    async def signout(request: Request) -> Response:
        return await signing_out(request, everywhere=False)

    @web.post("/hub/signout/everywhere", response_class=HTMLResponse)
    async def signout_everywhere(request: Request) -> Response:
        return await signing_out(request, everywhere=True)


def _start_session(gate: Gate, request: Request, staff_id: int, method: str) -> str:
    """A new session (and the end of any this browser had: no session fixation)."""
    old = request.cookies.get(gate.cookies.session_name, "") if gate.cookies else ""
    with gate.app.uow_factory() as uow:
        now = gate.app.clock.now()
        sessions.end(uow, old)
        uow.hub.forget_sessions_before(now - gate.policy.idle, now)
        token = sessions.start(uow, staff_id, method, now, gate.policy)
        uow.commit()
    log.info("hub sign-in: staff %s signed in by %s", staff_id, method)
    return token


def _mount_links(web: FastAPI, gate: Gate) -> None:
    base_url = gate.app.config.organisation.web_base_url

    def refused(request: Request, state: str) -> HTMLResponse:
        title, message = LINK_REFUSED.get(state, LINK_REFUSED["unknown"])
        return gate.note(request, STATUS.get(state, 404), title, message)

    @web.api_route(f"{links.PATH}{{token}}", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def link_opened(token: str, request: Request) -> Response:
        """Shows who the link is for and changes nothing: link previews and scanners open it."""
        if gate.cookies is None:
            return gate.note(request, 503, "Sign-in is off", NOT_ON_HTTP)
        with gate.app.uow_factory() as uow:
            seen = links.look(uow, token, gate.app.clock.now())
        if seen.state != "open":
            return refused(request, seen.state)
        return gate.page(request, "signin/continue.html", name=seen.name)

    def redeem(token: str, request: Request) -> links.Seen | str:
        with gate.app.uow_factory() as uow:
            seen = links.redeem(uow, token, gate.app.clock.now())
            uow.commit()
        if seen.state != "open":
            return seen
        return _start_session(gate, request, seen.staff_id, "link")

    @web.post(f"{links.PATH}{{token}}", response_class=HTMLResponse)
    async def link_used(token: str, request: Request) -> Response:
        if gate.cookies is None:
            return await gate.noted(request, 503, "Sign-in is off", NOT_ON_HTTP)
        if from_elsewhere(request, base_url):
            return await gate.noted(
                request, 403, "Not signed in", "Open the link from chat and press Continue."
            )
        form = await posted(request)
        if form is None or form.get("confirm") != "yes":
            return await gate.noted(
                request, 400, "Not signed in", "Press Continue on the link's page."
            )
        outcome = await run_in_threadpool(redeem, token, request)
        if isinstance(outcome, links.Seen):
            return await run_in_threadpool(refused, request, outcome.state)
        response = gate.see_other(gate.remembered_next(request))
        gate.set_session(response, outcome)
        gate.forget_next(response)
        return response


def _mount_entra(web: FastAPI, gate: Gate, entra: EntraSignIn) -> None:
    base_url = gate.app.config.organisation.web_base_url
    unavailable = "Microsoft sign-in cannot be reached just now. Try again in a minute."

    def begin(next_path: str) -> tuple[str, str]:
        flow = entra.begin()
        binding = tokens.new_token()
        with gate.app.uow_factory() as uow:
            now = gate.app.clock.now()
            uow.hub.forget_flows_before(now - FLOW_LIFETIME)
            uow.hub.add_flow(tokens.digest(binding), json.dumps(flow), next_path, now)
            uow.commit()
        return str(flow["auth_uri"]), binding

    @web.post("/hub/signin/entra", response_class=HTMLResponse)
    async def entra_begin(request: Request) -> Response:
        if gate.cookies is None:
            return await gate.noted(request, 503, "Sign-in is off", NOT_ON_HTTP)
        if from_elsewhere(request, base_url):
            return await gate.noted(
                request, 403, "Not signed in", "Start from QI Hub's sign-in page."
            )
        form = await posted(request)
        if form is None:
            return await gate.noted(request, 413, "Not signed in", "That request was too large.")
        try:
            auth_uri, binding = await run_in_threadpool(begin, safe_next(form.get("next")))
        except Exception:  # msal's discovery failing: Entra ID unreachable or misconfigured
            log.warning("hub sign-in: could not start an Entra ID sign-in", exc_info=True)
            return await gate.noted(request, 503, "Please try again", unavailable)
        response = RedirectResponse(auth_uri, status_code=303, headers=dict(HEADERS))
        response.set_cookie(
            gate.cookies.flow_name,
            binding,
            max_age=int(FLOW_LIFETIME.total_seconds()),
            path="/",
            secure=True,
            httponly=True,
            samesite="none",
        )
        return response

    def finish(
        binding: str, answer: dict[str, str], request: Request
    ) -> tuple[str, str] | Response:
        with gate.app.uow_factory() as uow:
            now = gate.app.clock.now()
            row = uow.hub.take_flow(tokens.digest(binding)) if tokens.well_formed(binding) else None
            uow.commit()
            flow = json.loads(row.flow) if row is not None else None
            next_path = row.next_path if row is not None else HOME
            stale = row is None or now - row.created_at > FLOW_LIFETIME
        if flow is None or stale:
            return gate.note(
                request,
                400,
                "Sign-in expired",
                "This sign-in expired or was started in another browser. Please start again.",
                again=True,
            )
        try:
            who = entra.finish(flow, answer, now)
        except EntraRefused as refusal:
            log.warning("hub sign-in: Entra ID sign-in refused (%s)", refusal.reason)
            return gate.note(
                request,
                403,
                "Not signed in",
                "Microsoft sign-in did not work. Please start again.",
                again=True,
            )
        with gate.app.uow_factory() as uow:
            staff = people.staff_for(uow, who.oid, who.email)
            staff_id = staff.id if staff is not None else None
        if staff_id is None:
            log.warning("hub sign-in: an Entra ID account with no active staff record")
            return gate.note(
                request,
                403,
                "Not signed in",
                "Your Microsoft account is not in QI Hub's staff directory. Ask the QI team to "
                "add you.",
            )
        return _start_session(gate, request, staff_id, "entra"), safe_next(next_path)

    @web.post("/hub/signin/entra/callback", response_class=HTMLResponse)
    async def entra_callback(request: Request) -> Response:
        if gate.cookies is None:
            return await gate.noted(request, 503, "Sign-in is off", NOT_ON_HTTP)
        answer = await posted(request, MAX_CALLBACK_BODY)
        if answer is None:
            return await gate.noted(request, 413, "Not signed in", "That request was too large.")
        binding = request.cookies.get(gate.cookies.flow_name, "")
        outcome = await run_in_threadpool(finish, binding, answer, request)
        if isinstance(outcome, Response):
            response: Response = outcome
        else:
            token, next_path = outcome
            response = gate.see_other(next_path)
            gate.set_session(response, token)
        response.delete_cookie(
            gate.cookies.flow_name, path="/", secure=True, httponly=True, samesite="none"
        )
        return response


__all__ = [
    "Gate",
    "SignInRequired",
    "current_person",
    "form_checked",
    "form_lists_checked",
    "mount_sign_in",
    "require_signed_in",
]
