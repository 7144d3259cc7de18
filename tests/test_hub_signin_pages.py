"""The sign-in pages and the acknowledgement page in the web shell: the NHS.UK layout, the
shell's strict Content-Security-Policy (the sign-in page adds only Entra ID's login origin to
form-action, and only when Entra ID is configured), never stored or indexed, no inline script
or style; and the header's sign-in link never carries an address off our site.

Through the real `qihub web` app in process (tests/signin_kit.py); the sign-in and
acknowledgement behaviour itself is in tests/test_hub_signin.py and tests/test_ack_links.py.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from bot.app import create_app
from bot.pages import CSP, Shell
from bot.settings import Settings
from bot.signin.entra import EntraConfig
from bot.signin.web import mount_sign_in
from bot.web import create_web_app
from tests.harness import ALEX, Harness
from tests.pages_kit import printable
from tests.reports_kit import at
from tests.signin_kit import csrf_of, in_process, path_of, request, sign_in_url, signed_in, words
from tests.test_ack_links import link
from tests.test_alerts import approved
from tests.test_hub_web import INLINE, directives

LOGIN = "https://login.example.test"


def entra_config() -> EntraConfig:
    """Entra ID configured (nothing here reaches it: no test presses the button)."""
    return EntraConfig(
        client_id="client",
        client_secret="secret",
        tenant_id="tenant",
        login_url=f"{LOGIN}/",
        redirect_uri="http://localhost:3000/hub/signin/entra/callback",
    )


def private_page(client: TestClient, response: object, path: str) -> None:
    """The shell's page, its strict policy, and headers that keep it out of caches and search
    engines."""
    assert hasattr(response, "headers") and hasattr(response, "text")
    headers, html = response.headers, response.text
    assert headers["content-security-policy"] == CSP, path
    assert "unsafe" not in headers["content-security-policy"], path
    assert "no-store" in headers["cache-control"], path
    assert headers["x-robots-tag"] == "noindex, nofollow", path
    assert headers["referrer-policy"] == "no-referrer", path
    assert headers["x-content-type-options"] == "nosniff", path
    assert 'class="nhsuk-header' in html and 'id="maincontent"' in html, path
    assert INLINE.search(html) is None, (path, INLINE.search(html))
    assert printable(client, html), path


def test_the_sign_in_and_acknowledgement_pages_are_in_the_shell(hub: Harness) -> None:
    ack = link(hub, approved(hub))
    with in_process(create_web_app(hub.app)) as client:
        opened = path_of(sign_in_url(hub, ALEX))
        pages = {
            "/hub/signin": request(client, "GET", "/hub/signin"),
            "continue as": request(client, "GET", opened),
            "unknown link": request(client, "GET", "/hub/signin/link/" + "A" * 32),
            "ack": request(client, "GET", ack),
            "unknown ack": request(client, "GET", "/ack/" + "A" * 24),
        }
        cookies = signed_in(hub, client, ALEX)
        pages["/hub/account"] = request(client, "GET", "/hub/account", cookies)
        out = request(client, "POST", "/hub/signout", cookies, data={"csrf": "0" * 64})
        pages["refused sign-out"] = out
        csrf = csrf_of(client, cookies)
        pages["signed out"] = request(client, "POST", "/hub/signout", cookies, data={"csrf": csrf})
        for name, response in pages.items():
            private_page(client, response, name)
    assert "Continue as Alex Morgan" in words(pages["continue as"])
    assert '<form method="post" novalidate>' in pages["continue as"].text
    assert "/qi web" in words(pages["/hub/signin"])
    assert "Critical - act now" in words(pages["ack"])
    assert "Sign out on every device" in words(pages["/hub/account"])
    assert 'class="nhsuk-summary-list' in pages["/hub/account"].text
    assert 'class="nhsuk-card nhsuk-card--warning' in pages["/hub/account"].text
    # the header: the person's name while signed in; after sign-out, no name, a sign-in link
    assert "Alex Morgan" in pages["/hub/account"].text
    assert "Alex Morgan" not in pages["signed out"].text
    assert 'href="/hub/signin"' in pages["signed out"].text
    # a link's page never puts its own address (the token) into the header's sign-in link
    assert opened not in pages["continue as"].text.replace(f'action="{opened}"', "")
    assert "next=" not in pages["continue as"].text


def test_only_the_sign_in_page_lets_a_form_go_to_entra_id(hub: Harness) -> None:
    """Its Microsoft button's POST is redirected to the login page, which form-action must
    allow; no other page may send a form anywhere but here."""
    web = FastAPI()
    mount_sign_in(web, hub.app, entra=entra_config())
    with in_process(web) as client:
        page = request(client, "GET", "/hub/signin?next=/hub/ideas")
        policy = directives(page.headers["content-security-policy"])
        assert policy["form-action"] == ["'self'", LOGIN]
        assert policy["default-src"] == ["'none'"] and policy["style-src"] == ["'self'"]
        assert "unsafe" not in page.headers["content-security-policy"]
        assert 'action="/hub/signin/entra"' in page.text
        assert 'name="next" value="/hub/ideas"' in page.text
        assert "Sign in with your Microsoft account" in words(page)
        opened = request(client, "GET", path_of(sign_in_url(hub, ALEX)))
        assert opened.headers["content-security-policy"] == CSP
        cookies = signed_in(hub, client, ALEX)
        mine = request(client, "GET", "/hub/account", cookies)
        assert mine.headers["content-security-policy"] == CSP
    with in_process(create_web_app(hub.app)) as client:  # no Entra ID: 'self' only
        plain = request(client, "GET", "/hub/signin")
        assert directives(plain.headers["content-security-policy"])["form-action"] == ["'self'"]
        assert "/hub/signin/entra" not in plain.text


def test_over_plain_http_to_another_machine_microsoft_sign_in_is_off_too(
    hub: Harness, db_url: str
) -> None:
    """Entra ID configured, but QI Hub's address is plain http: its routes say sign-in is off
    (503), as the others do, rather than failing."""
    app = create_app(
        Settings(database_url=db_url, _env_file=None),
        clock=hub.clock,
        config=at(hub.app.config, "http://qihub.trust.internal"),
    )
    web = FastAPI()
    mount_sign_in(web, app, entra=entra_config())
    with in_process(web) as client:
        for path in ("/hub/signin", "/hub/signin/entra", "/hub/signin/entra/callback"):
            method = "GET" if path == "/hub/signin" else "POST"
            answer = request(client, method, path, data={"next": "/hub"})
            assert answer.status_code == 503, (path, answer.text)
            assert "Sign-in is off" in words(answer)
            assert "set-cookie" not in answer.headers
    app.engine.dispose()


def test_a_name_with_markup_shows_as_text(hub: Harness) -> None:
    with hub.app.uow_factory() as uow:
        alex = uow.staff.by_email(ALEX)
        assert alex is not None
        alex.display_name = '<img src=x onerror="alert(1)">Alex'
        uow.commit()
    with in_process(create_web_app(hub.app)) as client:
        page = request(client, "GET", path_of(sign_in_url(hub, ALEX)))
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Alex" in page.text


@pytest.mark.parametrize(
    "path",
    ["//evil.example/x", "/hub//evil.example/x", "/hub/\\evil.example", "/hub/../admin"],
)
def test_the_headers_sign_in_link_comes_back_only_to_our_own_pages(hub: Harness, path: str) -> None:
    """The header's "Sign in" returns to the page it was pressed on, through safe_next: a
    path that would read as another site, or leave /hub, comes back to /hub instead."""
    web = create_web_app(hub.app)
    with in_process(web):  # the app started, as for a request
        scope = {"type": "http", "method": "GET", "path": path, "headers": [], "app": web}
        shell = Shell.of(Request(scope), "Trust")
        good = {**scope, "path": "/hub/accessibility"}
        assert Shell.of(Request(good), "Trust").sign_in == "/hub/signin?next=/hub/accessibility"
    assert shell.sign_in == "/hub/signin?next=/hub"
