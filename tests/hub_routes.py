"""Every route `qihub web` mounts and what each kind of person gets from it: the one table that
the permission matrix (tests/test_hub_matrix.py) and the browser checks (tests/test_hub_browser.py)
read, so a route added here is checked everywhere at once.

HOW TO ADD A ROUTE (tests/test_hub_matrix.py is red until you do; it names the missing route):

* A Hub page or form, used signed in or out: one entry in ROUTES, the method and path template
  exactly as FastAPI mounts it, then a sample address and what each persona gets, e.g.
      page("/hub/ideas"),                                  # anyone may read it
      page("/hub/me", signed_out=SIGN_IN),                 # signed-in people only
      page("/hub/lessons/{ref}", "/hub/lessons/{lesson}", signed_out=SIGN_IN, lead_differs=True),
      post("/hub/ideas/{ref}/support", "/hub/ideas/{idea}/support",
           signed_in=SEE_OTHER("/hub/ideas/{idea}")),      # the CSRF token is added for you
  `signed_in` is what staff, the governance lead, the ideas panel and the admin get;
  `only={PANEL: OK}` overrides it for one persona; `form={...}` is a POST's other fields.
  Anyone unknown (a forged cookie, a leaver's session) must get what signed out gets.
* A sample that needs a record (a lesson, an idea): add `"name": builder` to RECORDS (made
  through the chat, returning what `{name}` stands for) and write `{name}` in the sample.
* A route that is not a Hub page and checks its own credential (a webhook, a token in the
  path): one Door in DOORS, with the reason and a forged request it must refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from bot.app import QIHub, create_app
from bot.settings import Settings
from handlers.bulletin.quarters import quarter_at
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from handlers.reports.board import build_board_pack
from handlers.spc.series import At, committee_series
from tests.fake_entra import CLIENT_ID, CLIENT_SECRET, TENANT_ID
from tests.harness import ALEX, CHRIS, NADIA, SAM, TOM, Harness, ref_in, screened
from tests.lessons_flow import add_action, decided_lesson
from tests.slack import signed
from tests.teams import activities
from tests.test_bulletin import publish

# ------------------------------------------------------------------------------ personas
SIGNED_OUT = "signed out"
STAFF = "staff"
LEAD = "governance lead"
PANEL = "ideas panel"
ADMIN = "admin"
FORGED = "forged cookie"
LEAVER = "leaver"
PEOPLE = {STAFF: ALEX, LEAD: CHRIS, PANEL: SAM, ADMIN: NADIA}
"""Who signs in as each signed-in persona (tests/harness.py)."""
PERSONAS = (SIGNED_OUT, *PEOPLE)
UNKNOWN = (FORGED, LEAVER)
"""A random session cookie, and a real session whose member of staff has since been marked
inactive: both must get exactly what SIGNED_OUT gets."""


# ------------------------------------------------------------------------------ outcomes
@dataclass(frozen=True)
class Outcome:
    status: int
    to: str | None = None
    """A redirect's Location, exactly; `{name}` from RECORDS, `{here}` the sample address."""

    def filled(self, records: Mapping[str, str]) -> Outcome:
        return Outcome(self.status, self.to.format(**records) if self.to else None)


OK = Outcome(200)
SIGN_IN = Outcome(303, "/hub/signin?next={here}")
"""Sign in first, then come back to this address."""


def SEE_OTHER(to: str) -> Outcome:
    return Outcome(303, to)


# ------------------------------------------------------------------------------ routes
@dataclass(frozen=True)
class Route:
    """A Hub route: a page or form a person uses, signed in or out."""

    method: str
    template: str
    sample: str
    signed_out: Outcome
    signed_in: Outcome
    only: Mapping[str, Outcome] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    ends_session: bool = False
    """A POST after which the persona's session is gone (sign-out): the test signs in again."""
    page: bool = False
    """An HTML page: the browser checks it (axe, 320 and 1280 px, JavaScript off)."""
    shell: bool = True
    """Drawn in the NHS.UK shell (the sign-in pages are not yet)."""
    lead_differs: bool = False
    """The governance lead sees more here: the browser looks at it as them too."""

    def outcome(self, persona: str) -> Outcome:
        """What `persona` gets, before the records are filled in."""
        if persona in UNKNOWN:
            persona = SIGNED_OUT
        if persona in self.only:
            return self.only[persona]
        return self.signed_out if persona == SIGNED_OUT else self.signed_in

    def expect(self, persona: str, records: Mapping[str, str]) -> Outcome:
        here = quote(self.address(records), safe="/")
        return self.outcome(persona).filled({**records, "here": here})

    def address(self, records: Mapping[str, str]) -> str:
        return self.sample.format(**records)

    def browsed_by(self) -> tuple[str, ...]:
        """Whose view of this page the browser checks: signed out where they may see it, staff,
        and the governance lead where the page differs or signed out cannot see it."""
        if not self.page:
            return ()
        seen = [p for p in (SIGNED_OUT, STAFF) if self.outcome(p).status == 200]
        if (self.lead_differs or len(seen) < 2) and self.outcome(LEAD).status == 200:
            seen.append(LEAD)
        return tuple(seen)


def page(
    template: str,
    sample: str | None = None,
    *,
    signed_out: Outcome = OK,
    signed_in: Outcome = OK,
    **rest: Any,
) -> Route:
    """An HTML page: GET, checked in the browser too."""
    return Route("GET", template, sample or template, signed_out, signed_in, page=True, **rest)


def get(
    template: str,
    sample: str | None = None,
    *,
    signed_out: Outcome = OK,
    signed_in: Outcome | None = None,
    **rest: Any,
) -> Route:
    """A GET that is no page (a picture, a CSV, a redirect): the matrix only."""
    return Route("GET", template, sample or template, signed_out, signed_in or signed_out, **rest)


def post(
    template: str,
    sample: str | None = None,
    *,
    signed_out: Outcome = SIGN_IN,
    signed_in: Outcome = OK,
    **rest: Any,
) -> Route:
    return Route("POST", template, sample or template, signed_out, signed_in, **rest)


ROUTES: tuple[Route, ...] = (
    # the hub's own pages (bot/hub_web.py)
    page("/hub"),
    page("/hub/accessibility"),
    page("/hub/search", "/hub/search?q=board+pack"),
    # bulletins (bot/bulletin_web.py)
    page("/bulletins"),
    page("/bulletins/{bulletin_id}", "/bulletins/{bulletin}"),
    get("/bulletins/{bulletin_id}/charts/{name}.png", "/bulletins/{bulletin}/charts/sources.png"),
    # reports (bot/reports_web.py)
    get("/reports/board", signed_out=Outcome(307, "/reports/board/{this_quarter}")),
    page("/reports/board/{quarter}", "/reports/board/{quarter}"),
    get("/reports/board/{quarter}.csv", "/reports/board/{quarter}.csv"),
    get("/reports/board/{quarter}/charts/{key}.png", "/reports/board/{quarter}/charts/{board}.png"),
    page("/reports/{committee}", "/reports/PSC"),
    get("/reports/{committee}/charts/{key}.png", "/reports/PSC/charts/{psc}.png"),
    # the learning library (bot/hub_library.py)
    page("/hub/library", "/hub/library?q=flush", signed_out=SIGN_IN),
    page("/hub/lessons/{ref}", "/hub/lessons/{lesson}", signed_out=SIGN_IN, lead_differs=True),
    # the ideas board (bot/hub_ideas.py)
    page("/hub/ideas", signed_out=SIGN_IN),
    page("/hub/ideas/mine", signed_out=SIGN_IN),
    page("/hub/ideas/{ref:idea_ref}", "/hub/ideas/{idea}", signed_out=SIGN_IN),
    post(
        "/hub/ideas/{ref:idea_ref}/support",
        "/hub/ideas/{idea}/support",
        signed_out=SEE_OTHER("/hub/signin?next=/hub/ideas/{idea}"),
    ),
    # the chat's answers on the web (bot/hub_actions.py)
    page("/hub/me", signed_out=SIGN_IN),
    page("/hub/ideas/new", signed_out=SIGN_IN),
    post(
        "/hub/press",
        signed_out=SEE_OTHER("/hub/signin?next=/hub/me"),
        signed_in=Outcome(400),  # a value without the server's seal: the chat's TAMPERED answer
        form={"action": "idea.support", "value": '{"ref": "IDEA-2026-0001"}'},
    ),
    post(
        "/hub/forms/{form_id}",
        "/hub/forms/idea.submit",
        signed_out=SEE_OTHER("/hub/signin?next=/hub/me"),
        signed_in=Outcome(400),  # no form session: "not opened for you", nothing saved
        form={"s": "not-a-session", "title": "Quieter night rounds"},
    ),
    # signing in and out (bot/signin/web.py)
    page("/hub/signin", "/hub/signin?next=/hub/account", signed_in=SEE_OTHER("/hub/account")),
    page("/hub/account", signed_out=SIGN_IN),
    post("/hub/signout", signed_out=SEE_OTHER("/hub/signin"), ends_session=True),
    post("/hub/signout/everywhere", signed_out=SEE_OTHER("/hub/signin"), ends_session=True),
)


# ------------------------------------------------------------------------------ records
def _lesson_with_an_action(hub: Harness) -> str:
    """A triaged lesson with a tier 1 action: the committee's notes differ by persona."""
    ref = decided_lesson(hub, ["1"])
    add_action(hub, ref, 1)
    return ref


def _this_quarter(hub: Harness) -> str:
    return quarter_at(hub.clock.now(), hub.app.config.zone).code


def _psc_chart(hub: Harness) -> str:
    with hub.app.uow_factory() as uow:
        return committee_series(At(uow, hub.app.config, hub.clock.now()), "PSC")[0].key


def _board_chart(hub: Harness) -> str:
    quarter = quarter_at(hub.clock.now(), hub.app.config.zone)
    with hub.app.uow_factory() as uow:
        return build_board_pack(uow, hub.app.config, quarter, hub.clock.now()).series[0].key


RECORDS: Mapping[str, Callable[[Harness], str]] = {
    "lesson": lambda hub: _lesson_with_an_action(hub),
    "idea": lambda hub: screened(hub, ref_in(hub.submit_idea(TOM), "IDEA")),  # on the board
    "bulletin": lambda hub: str(publish(hub)),  # Q3 2026/27, published on 4 January 2027
    "quarter": lambda _hub: "2026-Q3",  # the published bulletin's quarter: a board pack with data
    "this_quarter": _this_quarter,
    "psc": _psc_chart,
    "board": _board_chart,
}
"""`{name}` in a sample -> how to make it. Made once per test, in this order (publishing moves
the clock, so what depends on today comes after it)."""


def build_records(hub: Harness) -> dict[str, str]:
    return {name: build(hub) for name, build in RECORDS.items()}


# ------------------------------------------------------------------------------ doors
@dataclass(frozen=True)
class Forged:
    """A request that must be refused: `status`, and no session cookie set."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    data: Mapping[str, str] | None = None
    content: str | None = None
    json: Any = None


@dataclass(frozen=True)
class Door:
    """A route that is no Hub page and carries its own authentication (or needs none)."""

    method: str
    template: str
    reason: str
    refuses: tuple[Forged, ...]


CROSS_SITE = MappingProxyType({"sec-fetch-site": "cross-site"})
BAD_TOKEN = "A" * 24
"""Shaped like an ack token (24 URL-safe characters) and a sign-in link's, but issued to no one."""


def _teams_message() -> dict[str, Any]:
    """A well-formed Teams message from our own tenant, sent without the Bot Framework token."""
    activity = activities.message(
        "https://smba.trafficmanager.net/uk/",
        "29:forged",
        "00000000-0000-0000-0000-0000000000f0",
        "qi help",
    )
    activity["conversation"]["tenantId"] = TENANT_ID
    activity["channelData"] = {"tenant": {"id": TENANT_ID}}
    return activity


DOORS: tuple[Door, ...] = (
    Door(
        "POST",
        "/slack/events",
        "Slack signs every request with the app's signing secret",
        (
            Forged("POST", "/slack/events", 401, content="payload=%7B%7D"),
            Forged(
                "POST",
                "/slack/events",
                401,
                headers={"x-slack-request-timestamp": "1", "x-slack-signature": "v0=00"},
                content="payload=%7B%7D",
            ),
        ),
    ),
    Door(
        "POST",
        "/api/messages",
        "Teams: Bot Framework's signed token for this bot and tenant",
        (Forged("POST", "/api/messages", 401, json=_teams_message()),),
    ),
    Door(
        "POST",
        "/notify/callback",
        "GOV.UK Notify's delivery receipts carry the callback's bearer token",
        (
            Forged("POST", "/notify/callback", 401, json={"reference": "x", "status": "delivered"}),
            Forged(
                "POST",
                "/notify/callback",
                401,
                headers={"authorization": "Bearer forged"},
                json={"reference": "x", "status": "delivered"},
            ),
        ),
    ),
    Door(
        "GET",
        "/metrics",
        "the operator's scraper: METRICS_TOKEN, else this machine only",
        (
            Forged("GET", "/metrics", 401),
            Forged("GET", "/metrics", 401, headers={"authorization": "Bearer forged"}),
        ),
    ),
    Door(
        "GET",
        "/healthz",
        "the load balancer's probe, open by design: says up or down and nothing about anyone",
        (Forged("GET", "/healthz", 200),),
    ),
    Door(
        "GET",
        "/assets/{name:path}",
        "the NHS.UK stylesheet and icons, public; only files found at start-up",
        (
            Forged("GET", "/assets/%2e%2e/web.py", 404),
            Forged("GET", "/assets/hub.css", 404),  # served only by its hashed name
        ),
    ),
    Door(
        "GET",
        "/reports/charts/{payload}/{seal}.png",
        "a digest's chart: its figures are in the address, sealed with the server's key",
        (Forged("GET", "/reports/charts/eyJrIjoiUFNDIn0/forgedseal.png", 404),),
    ),
    Door(
        "GET",
        "/ack/{token}",
        "an alert's personal link: the token in the address is the credential",
        (Forged("GET", f"/ack/{BAD_TOKEN}", 404), Forged("GET", "/ack/short", 404)),
    ),
    Door(
        "HEAD",
        "/ack/{token}",
        "as GET /ack/{token}",
        (Forged("HEAD", f"/ack/{BAD_TOKEN}", 404),),
    ),
    Door(
        "POST",
        "/ack/{token}",
        "as GET /ack/{token}, and never from another site's page",
        (
            Forged("POST", f"/ack/{BAD_TOKEN}", 404, data={"confirm": "yes"}),
            Forged("POST", f"/ack/{BAD_TOKEN}", 403, headers=CROSS_SITE, data={"confirm": "yes"}),
        ),
    ),
    Door(
        "GET",
        "/hub/signin/link/{token}",
        "a one-time sign-in link from chat: the token in the address is the credential",
        (Forged("GET", f"/hub/signin/link/{BAD_TOKEN}", 404),),
    ),
    Door(
        "HEAD",
        "/hub/signin/link/{token}",
        "as GET /hub/signin/link/{token}",
        (Forged("HEAD", f"/hub/signin/link/{BAD_TOKEN}", 404),),
    ),
    Door(
        "POST",
        "/hub/signin/link/{token}",
        "spends the link (starts a session); never from another site's page",
        (
            Forged("POST", f"/hub/signin/link/{BAD_TOKEN}", 404, data={"confirm": "yes"}),
            Forged(
                "POST",
                f"/hub/signin/link/{BAD_TOKEN}",
                403,
                headers=CROSS_SITE,
                data={"confirm": "yes"},
            ),
        ),
    ),
    Door(
        "POST",
        "/hub/signin/entra",
        "starts a Microsoft sign-in, open to anyone; never from another site's page",
        (Forged("POST", "/hub/signin/entra", 403, headers=CROSS_SITE, data={"next": "/hub"}),),
    ),
    Door(
        "POST",
        "/hub/signin/entra/callback",
        "Microsoft's answer: trusted only with the state of a flow this browser began",
        (
            Forged(
                "POST",
                "/hub/signin/entra/callback",
                400,
                headers=CROSS_SITE,
                data={"code": "forged", "state": "forged"},
            ),
        ),
    ),
)


# ------------------------------------------------------------------------------ the app
def everything_on(db_url: str, login_url: str) -> Settings:
    """Settings that mount every route `qihub web` has: Slack over HTTP, Teams, GOV.UK Notify's
    callback and Microsoft sign-in (at `login_url`, the local fake Entra ID in tests). Nothing
    here reaches the internet: Slack's API is a closed local port."""
    return Settings(
        database_url=db_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=signed.SECRET,
        slack_api_url="http://127.0.0.1:9/api/",
        notify_callback_token="matrix-callback-token-0123456789",  # type: ignore[arg-type]
        teams_client_id=CLIENT_ID,
        teams_client_secret=CLIENT_SECRET,  # type: ignore[arg-type]
        teams_tenant_id=TENANT_ID,
        teams_login_url=login_url,
        _env_file=None,  # type: ignore[call-arg]
    )


def whole_hub(db_url: str, clock: ManualClock, config: OrgConfig, login_url: str) -> QIHub:
    """The hub behind a web app with every route mounted (see everything_on)."""
    hub = create_app(everything_on(db_url, login_url), clock=clock, config=config)
    hub.sync_directory()
    return hub
