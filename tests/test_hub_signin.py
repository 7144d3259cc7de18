"""Signing in to the Improvement Hub on the web with a one-time link from chat, and the
server-side session it starts, through a live `qihub web` on SQLite and PostgreSQL.

Opening a link (a link preview, a mail scanner) only shows "Continue as …"; the POST spends it,
once, within five minutes. A session is revocable (sign-out deletes it, so a copied cookie is
worth nothing), ends when idle and at an absolute limit, and is worth nothing the moment the
person is marked inactive. Every POST needs the session's CSRF token and is refused when the
browser says another site sent it; redirects go only to our own pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx2 as httpx
import pytest
from sqlalchemy import select, text

from bot.app import create_app
from bot.settings import Settings
from bot.web import create_web_app
from handlers.context import SYSTEM, Context
from handlers.directory import DirectoryUser, apply_directory_users
from handlers.signin import sessions
from handlers.signin.redirects import safe_next
from messages.view import Reply
from store.base import Base
from store.models import HubSession, HubSignInLink
from tests.harness import ALEX, HELEN, TOM, Harness
from tests.reports_kit import at
from tests.signin_kit import (
    cookie_value,
    path_of,
    request,
    serving,
    set_cookies,
    sign_in_url,
    words,
)

DEV = "qihub-dev-session"
NEXT = "qihub-dev-next"
CONTINUE = {"confirm": "yes"}


@pytest.fixture
def served(hub: Harness) -> Iterator[httpx.Client]:
    with serving(create_web_app(hub.app)) as client:
        yield client


def signed_in(hub: Harness, served: httpx.Client, who: str = ALEX) -> dict[str, str]:
    """The cookies of a browser that has just signed in as `who` with a link from chat."""
    used = request(served, "POST", path_of(sign_in_url(hub, who)), data=CONTINUE)
    assert used.status_code == 303, used.text
    return {DEV: cookie_value(used, DEV)}


def csrf(served: httpx.Client, cookies: dict[str, str]) -> str:
    page = request(served, "GET", "/hub/account", cookies)
    assert page.status_code == 200, page.text
    found = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert len(found) == 64
    return found


def link_rows(hub: Harness) -> list[HubSignInLink]:
    with hub.app.uow_factory() as uow:
        rows = list(uow.session.scalars(select(HubSignInLink)))
        uow.session.expunge_all()
        return rows


def session_count(hub: Harness) -> int:
    with hub.app.uow_factory() as uow:
        return len(list(uow.session.scalars(select(HubSession))))


# ------------------------------------------------------------------------------ the link
def test_qi_web_answers_privately_with_a_link_stored_only_as_a_hash(hub: Harness) -> None:
    reply = hub.command(ALEX, "/qi web")
    assert isinstance(reply, Reply)
    assert reply.ephemeral and reply.secret
    url = sign_in_url(hub, ALEX)
    assert url.startswith("http://localhost:3000/hub/signin/link/")
    token = url.rsplit("/", 1)[1]
    rows = link_rows(hub)
    assert len(rows) == 2
    assert all(r.token_hash != token and len(r.token_hash) == 64 for r in rows)
    assert rows[-1].expires_at == hub.clock.now() + timedelta(minutes=5)
    assert "only for you" in " ".join(b.text for b in reply.blocks if hasattr(b, "text"))


def test_opening_the_link_only_shows_continue_and_signs_no_one_in(
    hub: Harness, served: httpx.Client
) -> None:
    """A link preview or scanner may GET it any number of times: nothing is spent or set."""
    path = path_of(sign_in_url(hub, ALEX))
    for method in ("GET", "GET", "HEAD"):
        opened = request(served, method, path)
        assert opened.status_code == 200
        assert "set-cookie" not in opened.headers
        assert opened.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in opened.headers["content-security-policy"]
    assert "Continue as Alex Morgan" in words(request(served, "GET", path))
    assert link_rows(hub)[0].used_at is None
    assert session_count(hub) == 0
    used = request(served, "POST", path, data=CONTINUE)  # the person still can, afterwards
    assert used.status_code == 303 and used.headers["location"] == "/hub"


@pytest.mark.parametrize(
    ("method", "query", "headers"),
    [
        ("HEAD", "", {}),
        ("GET", "", {"user-agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"}),
        ("GET", "", {"sec-fetch-site": "cross-site"}),
        ("GET", "?confirm=yes", {}),
        ("GET", "?confirm=yes", {"cookie": f"{DEV}=" + "A" * 32}),
    ],
    ids=["head", "unfurler", "cross-site", "confirm-in-query", "with-a-cookie"],
)
def test_link_previews_and_scanners_leave_the_link_for_its_person(
    hub: Harness, served: httpx.Client, method: str, query: str, headers: dict[str, str]
) -> None:
    """H40: a chat unfurler or mail scanner opens the link, several times, however it asks:
    only the "Continue as" page, no cookie, nothing spent; then the person signs in with it."""
    path = path_of(sign_in_url(hub, ALEX))
    for _ in range(3):
        opened = request(served, method, path + query, headers=headers)
        assert opened.status_code == 200
        assert "set-cookie" not in opened.headers
        assert opened.headers["cache-control"] == "no-store"
    assert link_rows(hub)[0].used_at is None
    assert session_count(hub) == 0
    used = request(served, "POST", path, data=CONTINUE)
    assert used.status_code == 303 and DEV in set_cookies(used)
    assert session_count(hub) == 1


def test_the_post_spends_the_link_once_and_starts_a_session(
    hub: Harness, served: httpx.Client
) -> None:
    path = path_of(sign_in_url(hub, ALEX))
    used = request(served, "POST", path, data=CONTINUE)
    assert used.status_code == 303
    line = set_cookies(used)[DEV]
    assert "HttpOnly" in line and "SameSite=lax" in line and "Path=/" in line
    assert "Domain" not in line
    token = cookie_value(used, DEV)
    assert "Alex Morgan" in words(request(served, "GET", "/hub/account", {DEV: token}))
    again = request(served, "POST", path, data=CONTINUE)
    assert again.status_code == 410
    assert "already been used" in words(again)
    assert "set-cookie" not in again.headers
    assert request(served, "GET", path).status_code == 410
    assert session_count(hub) == 1
    with hub.app.uow_factory() as uow:  # a dump holds no usable cookie
        stored = uow.session.scalar(select(HubSession.token_hash))
    assert stored is not None and token not in stored


def test_a_link_lasts_five_minutes(hub: Harness, served: httpx.Client) -> None:
    path = path_of(sign_in_url(hub, ALEX))
    hub.clock.advance(timedelta(minutes=4, seconds=59))
    assert request(served, "GET", path).status_code == 200
    hub.clock.advance(timedelta(seconds=1))
    assert request(served, "GET", path).status_code == 410
    late = request(served, "POST", path, data=CONTINUE)
    assert late.status_code == 410 and "expired" in words(late)
    assert session_count(hub) == 0


@pytest.mark.parametrize(
    "path",
    ["/hub/signin/link/nonsense", "/hub/signin/link/" + "A" * 32, "/hub/signin/link/" + "A" * 99],
)
def test_an_unknown_link_is_refused_and_names_no_one(
    hub: Harness, served: httpx.Client, path: str
) -> None:
    for method in ("GET", "POST"):
        answer = request(served, method, path, data=CONTINUE if method == "POST" else None)
        assert answer.status_code == 404
        assert "not valid" in words(answer)


def test_a_leavers_link_signs_no_one_in(hub: Harness, served: httpx.Client) -> None:
    path = path_of(sign_in_url(hub, TOM))
    with hub.app.uow_factory() as uow:
        tom = uow.staff.by_email(TOM)
        assert tom is not None
        tom.active = False
        uow.commit()
    assert request(served, "POST", path, data=CONTINUE).status_code == 404
    assert session_count(hub) == 0


def test_links_are_rate_limited_per_person(hub: Harness) -> None:
    for _ in range(5):
        sign_in_url(hub, ALEX)
    refused = hub.command(ALEX, "/qi web")
    assert isinstance(refused, Reply) and not refused.secret
    assert "5 sign-in links in the last 15 minutes" in refused.summary
    sign_in_url(hub, TOM)  # another person is not held up
    hub.clock.advance(timedelta(minutes=15))
    sign_in_url(hub, ALEX)
    assert len(link_rows(hub)) == 7


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "https://evil.example"},
    ],
)
def test_a_post_from_another_site_spends_nothing(
    hub: Harness, served: httpx.Client, headers: dict[str, str]
) -> None:
    """Login CSRF: another site's page cannot sign a browser in as the attacker."""
    path = path_of(sign_in_url(hub, ALEX))
    forged = request(served, "POST", path, data=CONTINUE, headers=headers)
    assert forged.status_code == 403
    assert "set-cookie" not in forged.headers
    assert link_rows(hub)[0].used_at is None


def test_a_post_without_continue_spends_nothing(hub: Harness, served: httpx.Client) -> None:
    path = path_of(sign_in_url(hub, ALEX))
    assert request(served, "POST", path).status_code == 400
    assert link_rows(hub)[0].used_at is None


# ------------------------------------------------------------------------------ sessions
def test_a_page_without_a_session_sends_you_to_sign_in_and_back(
    hub: Harness, served: httpx.Client
) -> None:
    answer = request(served, "GET", "/hub/account")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/hub/signin?next=/hub/account"
    page = request(served, "GET", "/hub/signin?next=/hub/account")
    assert page.status_code == 200
    assert "/qi web" in words(page)
    assert "Microsoft" not in words(page)  # no Entra ID configured here
    for junk in ("not-a-token", "A" * 32):
        assert request(served, "GET", "/hub/account", {DEV: junk}).status_code == 303


def test_a_session_ends_when_idle(hub: Harness, served: httpx.Client) -> None:
    cookies = signed_in(hub, served)
    hub.clock.advance(timedelta(minutes=29))
    assert request(served, "GET", "/hub/account", cookies).status_code == 200
    hub.clock.advance(timedelta(minutes=29))  # active 29 minutes ago: still in
    assert request(served, "GET", "/hub/account", cookies).status_code == 200
    hub.clock.advance(timedelta(minutes=30))
    assert request(served, "GET", "/hub/account", cookies).status_code == 303
    assert session_count(hub) == 0  # deleted on sight


def test_a_session_ends_at_its_absolute_limit_however_active(
    hub: Harness, served: httpx.Client
) -> None:
    cookies = signed_in(hub, served)
    for _ in range(29):  # every 20 minutes for 9 h 40 min
        hub.clock.advance(timedelta(minutes=20))
        assert request(served, "GET", "/hub/account", cookies).status_code == 200
    hub.clock.advance(timedelta(minutes=20))  # 10 hours
    assert request(served, "GET", "/hub/account", cookies).status_code == 303


def test_a_deactivated_member_of_staff_loses_access_at_once(
    hub: Harness, served: httpx.Client
) -> None:
    cookies = signed_in(hub, served, TOM)
    assert request(served, "GET", "/hub/account", cookies).status_code == 200
    with hub.app.uow_factory() as uow:
        tom = uow.staff.by_email(TOM)
        assert tom is not None
        tom.active = False
        uow.commit()
    assert request(served, "GET", "/hub/account", cookies).status_code == 303
    assert session_count(hub) == 0


def test_a_leaver_disabled_in_the_directory_loses_access_at_their_next_request(
    hub: Harness, served: httpx.Client
) -> None:
    """H39: the directory sync marks a disabled account inactive; the session it had is
    refused, and deleted, on its very next request, with no sign-out."""
    cookies = signed_in(hub, served, TOM)
    assert request(served, "GET", "/hub/account", cookies).status_code == 200

    def sync(enabled: bool) -> None:
        with hub.app.uow_factory() as uow:
            ctx = Context(hub.app.services, uow, SYSTEM, "directory")
            apply_directory_users(
                ctx, [DirectoryUser("aad-tom", emails=(TOM,), enabled=enabled)], {}
            )
            uow.commit()

    sync(enabled=True)  # the directory links Tom's record to his account
    assert request(served, "GET", "/hub/account", cookies).status_code == 200
    sync(enabled=False)  # he leaves: his account is disabled
    assert request(served, "GET", "/hub/account", cookies).status_code == 303
    assert session_count(hub) == 0
    sync(enabled=True)  # re-enabled, the old cookie still signs no one in
    assert request(served, "GET", "/hub/account", cookies).status_code == 303


def test_roles_are_looked_up_again_on_every_request(hub: Harness) -> None:
    """The session stores who, never what they may do: a role taken away is gone at once."""
    policy = sessions.SessionPolicy()
    with hub.app.uow_factory() as uow:
        helen = uow.staff.by_email(HELEN)
        assert helen is not None
        token = sessions.start(uow, helen.id, "link", hub.clock.now(), policy)
        uow.commit()
    with hub.app.uow_factory() as uow:
        person = sessions.resolve(uow, token, hub.clock.now(), policy)
        assert person is not None and "executive" in person.roles
        uow.session.execute(text("DELETE FROM staff_role WHERE role = 'executive'"))
        uow.commit()
    with hub.app.uow_factory() as uow:
        person = sessions.resolve(uow, token, hub.clock.now(), policy)
        assert person is not None and "executive" not in person.roles
        assert "staff" in person.roles


def test_signing_out_revokes_the_session_on_the_server(hub: Harness, served: httpx.Client) -> None:
    """A copy of the cookie (another tab, a stolen one) is worth nothing after sign-out."""
    cookies = signed_in(hub, served)
    out = request(served, "POST", "/hub/signout", cookies, data={"csrf": csrf(served, cookies)})
    assert out.status_code == 200 and "signed out" in words(out)
    assert "Max-Age=0" in set_cookies(out)[DEV] or "expires=" in set_cookies(out)[DEV].lower()
    assert request(served, "GET", "/hub/account", cookies).status_code == 303
    assert session_count(hub) == 0


def test_signing_out_everywhere_ends_every_session_of_the_person(
    hub: Harness, served: httpx.Client
) -> None:
    phone, desk = signed_in(hub, served), signed_in(hub, served)
    other = signed_in(hub, served, TOM)
    out = request(
        served, "POST", "/hub/signout/everywhere", desk, data={"csrf": csrf(served, desk)}
    )
    assert out.status_code == 200
    assert request(served, "GET", "/hub/account", phone).status_code == 303
    assert request(served, "GET", "/hub/account", other).status_code == 200


@pytest.mark.parametrize(
    ("form", "headers"),
    [
        ({}, {}),
        ({"csrf": "0" * 64}, {}),
        ("right", {"sec-fetch-site": "cross-site"}),
        ("right", {"origin": "https://evil.example"}),
    ],
    ids=["no-token", "wrong-token", "cross-site", "foreign-origin"],
)
def test_sign_out_needs_the_csrf_token_and_our_own_page(
    hub: Harness,
    served: httpx.Client,
    form: dict[str, str] | str,
    headers: dict[str, str],
) -> None:
    cookies = signed_in(hub, served)
    data = {"csrf": csrf(served, cookies)} if form == "right" else form
    refused = request(served, "POST", "/hub/signout", cookies, data=data, headers=headers)
    assert refused.status_code == 403
    assert request(served, "GET", "/hub/account", cookies).status_code == 200


def test_a_new_sign_in_replaces_the_browsers_old_session(
    hub: Harness, served: httpx.Client
) -> None:
    """No session fixation: signing in always makes a new session id, and ends the old one."""
    old = signed_in(hub, served)
    used = request(served, "POST", path_of(sign_in_url(hub, ALEX)), old, data=CONTINUE)
    new = {DEV: cookie_value(used, DEV)}
    assert new != old
    assert request(served, "GET", "/hub/account", old).status_code == 303
    assert request(served, "GET", "/hub/account", new).status_code == 200


# ------------------------------------------------------------------------------ redirects
@pytest.mark.parametrize(
    "raw",
    [
        "//evil.example",
        "//evil.example/hub",
        "/\\evil.example",
        "/hub/\\\\evil.example",
        "https://evil.example/hub",
        "/hub//evil.example",
        "/hub/%2F%2Fevil.example",
        "/hub/%5Cevil.example",
        "/hub/%0d%0aSet-Cookie:x=y",
        "/hub/\nx",
        " /hub",
        "/hub/../admin",
        "/hub/%2e%2e/admin",
        "/hubx",
        "/ack/abc",
        "javascript:alert(1)",
        "/hub#@evil.example",
        "/hub/" + "a" * 600,
        "",
    ],
)
def test_next_is_only_ever_a_page_of_the_hub(raw: str) -> None:
    assert safe_next(raw) == "/hub"


@pytest.mark.parametrize("good", ["/hub", "/hub/ideas", "/hub/ideas?page=2&sort=new"])
def test_next_keeps_a_page_of_the_hub(good: str) -> None:
    assert safe_next(good) == good


def test_the_sign_in_page_sends_a_signed_in_person_only_to_our_pages(
    hub: Harness, served: httpx.Client
) -> None:
    cookies = signed_in(hub, served)
    bad = request(served, "GET", "/hub/signin?next=//evil.example", cookies)
    assert bad.status_code == 303 and bad.headers["location"] == "/hub"
    good = request(served, "GET", "/hub/signin?next=/hub/account", cookies)
    assert good.headers["location"] == "/hub/account"


# ------------------------------------------------------------------------------ cookies
def test_over_https_the_session_cookie_is_host_only_and_secure(hub: Harness, db_url: str) -> None:
    app = create_app(
        Settings(database_url=db_url, _env_file=None),
        clock=hub.clock,
        config=at(hub.app.config, "https://qihub.example.nhs.uk"),
    )
    trust = Harness(app, hub.clock)
    with serving(create_web_app(app)) as client:
        used = request(client, "POST", path_of(sign_in_url(trust, ALEX)), data=CONTINUE)
        line = set_cookies(used)["__Host-qihub-session"]
        assert "Secure" in line and "HttpOnly" in line and "SameSite=lax" in line
        assert "Path=/" in line and "Domain" not in line
        token = cookie_value(used, "__Host-qihub-session")
        mine = request(client, "GET", "/hub/account", {"__Host-qihub-session": token})
        assert mine.status_code == 200
        dev = request(client, "GET", "/hub/account", {DEV: token})  # not the trial's cookie
        assert dev.status_code == 303
    app.engine.dispose()


def test_over_plain_http_to_another_machine_there_is_no_sign_in(hub: Harness, db_url: str) -> None:
    app = create_app(
        Settings(database_url=db_url, _env_file=None),
        clock=hub.clock,
        config=at(hub.app.config, "http://qihub.trust.internal"),
    )
    trust = Harness(app, hub.clock)
    with serving(create_web_app(app)) as client:
        path = path_of(sign_in_url(trust, ALEX))
        assert request(client, "POST", path, data=CONTINUE).status_code == 503
        assert request(client, "GET", path).status_code == 503
        assert request(client, "GET", "/hub/signin").status_code == 503
    app.engine.dispose()


def test_no_table_holds_a_working_credential(hub: Harness, served: httpx.Client) -> None:
    """A database dump signs no one in: neither the link nor the cookie is stored."""
    url = sign_in_url(hub, ALEX)
    used = request(served, "POST", path_of(url), data=CONTINUE)
    secrets = [url.rsplit("/", 1)[1], cookie_value(used, DEV)]
    with hub.app.uow_factory() as uow:
        for table in Base.metadata.sorted_tables:
            for row in uow.session.execute(table.select()):
                dumped = " ".join(str(value) for value in row)
                assert not any(s in dumped for s in secrets), table.name


def test_the_hub_header_names_whoever_is_signed_in_and_no_shared_cache_keeps_it(
    hub: Harness, served: httpx.Client
) -> None:
    """Every page of the shell: signed out, a sign-in link back to the page; signed in, the
    person's name (to their account page), on a page no shared cache may store."""
    out = request(served, "GET", "/hub/accessibility")
    assert out.status_code == 200
    assert 'href="/hub/signin?next=/hub/accessibility"' in out.text
    assert "Alex Morgan" not in out.text
    cookies = signed_in(hub, served)
    page = request(served, "GET", "/hub/accessibility", cookies)
    assert "Alex Morgan" in page.text and 'href="/hub/account"' in page.text
    assert "/hub/signin?next" not in page.text
    assert page.headers["cache-control"] == "private, no-store"
    assert page.headers["vary"] == "Cookie"


def test_a_chat_link_brings_you_back_to_the_page_that_sent_you_to_sign_in(
    hub: Harness, served: httpx.Client
) -> None:
    """The lesson page a chat card links to sends a signed-out reader to sign in; the link
    they then ask for in chat brings them back to that page, not the hub's home."""
    sent = request(served, "GET", "/hub/library?q=flush")
    assert sent.headers["location"] == "/hub/signin?next=/hub/library%3Fq%3Dflush"
    page = request(served, "GET", sent.headers["location"])
    kept = {NEXT: cookie_value(page, NEXT)}
    assert "HttpOnly" in set_cookies(page)[NEXT] and "SameSite=lax" in set_cookies(page)[NEXT]
    used = request(served, "POST", path_of(sign_in_url(hub, ALEX)), kept, data=CONTINUE)
    assert used.status_code == 303
    assert used.headers["location"] == "/hub/library?q=flush"
    assert f'{NEXT}=""' in set_cookies(used)[NEXT]  # used once, then forgotten
    # a cookie is the browser's to edit: an address off the hub is never followed
    for forged in ("%2F%2Fevil.example%2Fx", "https%3A%2F%2Fevil.example", "%2Fbulletins"):
        used = request(
            served, "POST", path_of(sign_in_url(hub, ALEX)), {NEXT: forged}, data=CONTINUE
        )
        assert used.headers["location"] == "/hub"
    without = request(served, "POST", path_of(sign_in_url(hub, ALEX)), data=CONTINUE)
    assert without.headers["location"] == "/hub"
