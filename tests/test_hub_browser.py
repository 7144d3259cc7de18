"""Every page in the route table (tests/hub_routes.py) in headless Chromium, as each persona the
table says sees it: signed out where the page allows it, staff, and the governance lead where
the page differs by role or signed out cannot see it. At 320 and 1280 pixels wide axe-core
finds no WCAG 2.2 AA violation; the NHS.UK stylesheet applies (NHS blue header, no sideways
scrolling on a phone); every picture loads; the browser reports no Content-Security-Policy
violation beyond the NHS font it is told not to fetch. With JavaScript turned off the page
shows the very same text, and search and the skip link work.

axe-core is itself JavaScript, so it runs in a context with JavaScript on; the pages have no
script of their own (the CSP allows none), so they are the same documents either way, which
the JavaScript-off pass confirms text for text. Its screenshots, at 320 and 1280 px, go to
$HUB_SCREENSHOTS/<persona>/ when set, else the test's tmp directory (pytest --basetemp=DIR
keeps them at DIR/<test name>0/<persona>/).

Playwright drives Debian's Chromium (never a downloaded browser) against a live `qihub web`
with every route mounted. Skipped, saying why, when Chromium or the two dev packages are absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import QIHub
from bot.pages import HEADERS
from bot.web import create_web_app
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from tests.browser_kit import BROWSER, db_url  # noqa: F401 (the fixture)
from tests.harness import ALEX, TOM, Harness
from tests.hub_routes import (
    LEAD,
    PEOPLE,
    ROUTES,
    SIGNED_OUT,
    STAFF,
    build_records,
    whole_hub,
)
from tests.signin_kit import DEV_COOKIE, path_of, serving, sign_in_url, signed_in
from tests.test_ack_links import link
from tests.test_alerts import approved
from tests.test_bulletin import PNG

pytestmark = BROWSER
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (320, 1280)
NHS_BLUE = "rgb(0, 94, 184)"
NHS_FONTS = "assets.nhs.uk"
"""The only thing the CSP may refuse on these pages: the Frutiger font the NHS stylesheet names
(font-src 'self', bot/pages.py). Any other refusal (an inline style, say) is a bug."""


@dataclass(frozen=True)
class Visit:
    """One page as one persona sees it."""

    persona: str
    path: str
    name: str
    status: int = 200
    shell: bool = True


@pytest.fixture
def app(db_url: str, clock: ManualClock, config: OrgConfig) -> Iterator[QIHub]:  # noqa: F811
    """Every route mounted, Microsoft sign-in included (its button is on the sign-in page);
    no page opened here asks Microsoft anything."""
    hub = whole_hub(db_url, clock, config, "https://login.microsoftonline.com")
    yield hub
    hub.engine.dispose()


def visits(hub: Harness, records: dict[str, str]) -> list[Visit]:
    """Every page of the route table as each persona it is checked for, and the states a
    sample does not show: search's error, the "Continue as" page of a sign-in link and an
    alert's acknowledgement page."""
    found = [
        Visit(persona, route.address(records), _name(route.address(records)), shell=route.shell)
        for route in ROUTES
        for persona in route.browsed_by()
    ]
    sign_in = path_of(sign_in_url(hub, TOM))
    return [
        *found,
        Visit(SIGNED_OUT, "/hub/search?q=", "hub-search-error", status=400),
        Visit(SIGNED_OUT, sign_in, "hub-signin-link"),
        Visit(SIGNED_OUT, link(hub, approved(hub)), "ack"),
    ]


def _name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"


def _context(browser: Any, base: str, cookies: dict[str, str], javascript: bool) -> Any:
    context = browser.new_context(
        viewport={"width": WIDTHS[-1], "height": 900}, java_script_enabled=javascript
    )
    context.add_cookies([{"name": n, "value": v, "url": base} for n, v in cookies.items()])
    return context


def _with_javascript(page: Any, base: str, visit: Visit) -> list[str]:
    """axe, layout and CSP checks at each width; returns the console's errors."""
    from axe_playwright_python.sync_playwright import Axe

    errors: list[str] = []

    def heard(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", heard)
    try:
        response = page.goto(f"{base}{visit.path}")
        assert response is not None and response.status == visit.status, visit
        page.wait_for_load_state("networkidle")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            if visit.shell:
                header = page.locator("header.nhsuk-header")
                assert header.evaluate("e => getComputedStyle(e).backgroundColor") == NHS_BLUE
            scrolled = page.evaluate("document.documentElement.scrollWidth")
            assert scrolled <= width, (visit, width)
            images = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
            assert all(found > 0 for found in images), visit  # every chart loaded
            results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
            assert results.violations_count == 0, (visit, width, results.generate_report())
    finally:
        page.remove_listener("console", heard)
    if visit.status != 200:  # the page's own status, which Chromium reports as an error
        errors = [e for e in errors if f"status of {visit.status}" not in e]
    return errors


def _without_javascript(page: Any, base: str, visit: Visit, text: str, folder: Path) -> None:
    """The page opens, keeps its heading, navigation and every word with JavaScript off; its
    screenshots at each width."""
    response = page.goto(f"{base}{visit.path}")
    assert response is not None and response.status == visit.status, visit
    assert page.locator("h1").count() == 1, visit
    if visit.shell:
        assert page.locator("main h1").count() == 1, visit
        assert page.locator("header.nhsuk-header nav a").count() >= 3, visit
    assert page.inner_text("body") == text, visit
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (visit, width)
        picture = folder / f"{visit.name}-{width}.png"
        page.screenshot(path=str(picture), full_page=True)
        assert picture.read_bytes().startswith(PNG)


def _search_and_skip_link(page: Any, base: str) -> None:
    """With JavaScript off: the skip link is the first thing Tab reaches, and search works."""
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto(f"{base}/hub")
    page.keyboard.press("Tab")
    assert page.locator(":focus").get_attribute("href") == "#maincontent"
    page.locator("#search-field").fill("board pack")
    page.locator("#search-field").press("Enter")
    page.wait_for_url("**/hub/search?q=board+pack")
    assert page.locator('main a[href="/reports/board"]').count() == 1


def _browse(
    browser: Any, base: str, cookies: dict[str, str], mine: list[Visit], folder: Path
) -> list[str]:
    """One persona's pages: one page with JavaScript on and one with it off, each reused."""
    folder.mkdir(parents=True, exist_ok=True)
    on = _context(browser, base, cookies, javascript=True)
    off = _context(browser, base, cookies, javascript=False)
    errors: list[str] = []
    try:
        with_script, without = on.new_page(), off.new_page()
        for visit in mine:
            errors += _with_javascript(with_script, base, visit)
            text = with_script.inner_text("body")
            _without_javascript(without, base, visit, text, folder)
        _search_and_skip_link(without, base)
    finally:
        on.close()
        off.close()
    return errors


def test_every_page_in_the_route_table_passes_axe_and_works_without_javascript(
    hub: Harness, browser: Any, pictures: Path
) -> None:
    records = build_records(hub)
    with serving(create_web_app(hub.app)) as client:
        base = str(client.base_url).rstrip("/")
        cookies = {
            SIGNED_OUT: {},
            STAFF: signed_in(hub, client, PEOPLE[STAFF]),
            LEAD: signed_in(hub, client, PEOPLE[LEAD]),
        }
        planned = visits(hub, records)
        pages = [route for route in ROUTES if route.page]
        assert all(len(route.browsed_by()) >= 1 for route in pages)
        assert {v.path for v in planned} >= {route.address(records) for route in pages}
        errors = [
            e
            for persona, jar in cookies.items()
            for e in _browse(
                browser,
                base,
                jar,
                [v for v in planned if v.persona == persona],
                pictures / _name(persona),
            )
        ]
        assert {DEV_COOKIE} >= {n for jar in cookies.values() for n in jar}
    refused = [e for e in errors if NHS_FONTS not in e]
    assert refused == [], refused


def test_each_pages_button_does_its_job_without_javascript(hub: Harness, browser: Any) -> None:
    """With JavaScript off, in a real browser (whose own Origin and Fetch Metadata headers must
    not be refused): Continue on a sign-in link signs in, Sign out signs out, Acknowledge
    acknowledges."""
    ack = link(hub, approved(hub))
    pressed = path_of(sign_in_url(hub, ALEX))
    with serving(create_web_app(hub.app)) as client:
        _press_without_javascript(browser, str(client.base_url).rstrip("/"), pressed, ack)


def _press_without_javascript(browser: Any, base: str, sign_in_path: str, ack: str) -> None:
    """Continue on a sign-in link signs in; Sign out signs out; Acknowledge acknowledges."""
    context = browser.new_context(viewport={"width": 320, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{base}{sign_in_path}")
        page.get_by_role("button", name="Continue as Alex Morgan").click()
        page.wait_for_url(f"{base}/hub")
        page.goto(f"{base}/hub/account")
        assert "Alex Morgan" in page.locator("main").inner_text()
        page.get_by_role("button", name="Sign out", exact=True).click()
        assert page.locator("main h1").inner_text() == "Signed out"
        assert page.goto(f"{base}/hub/account") is not None
        assert page.url.startswith(f"{base}/hub/signin?next=")
        page.goto(f"{base}{ack}")
        page.get_by_role("button", name="Acknowledge").click()
        assert "Acknowledged at" in page.locator("main").inner_text()
    finally:
        context.close()


def test_pages_reached_by_pressing_pass_axe_and_work_without_javascript(
    hub: Harness, browser: Any
) -> None:
    """The pages no address reaches, only a press: a form sent with a problem (the error
    summary), an action's card opened from my page, and a destructive button's question.
    Pressed in a browser with JavaScript off, then checked with axe at both widths."""
    build_records(hub)  # TOM owns a tier 1 action on the lesson
    with serving(create_web_app(hub.app)) as client:
        base = str(client.base_url).rstrip("/")
        jar = signed_in(hub, client, TOM)
        off = _context(browser, base, jar, javascript=False)
        on = _context(browser, base, jar, javascript=True)
        reached: list[tuple[str, int]] = []
        try:
            page = off.new_page()
            page.goto(f"{base}/hub/ideas/new")
            page.get_by_role("button", name="Submit idea").click()
            assert page.locator(".nhsuk-error-summary").count() == 1
            reached.append((page.content(), 400))
            page.goto(f"{base}/hub/me")
            page.locator("main").get_by_role("button", name="Open").first.click()
            assert "ACT-" in page.locator("main").inner_text()
            reached.append((page.content(), 200))
            page.get_by_role("button", name="Decline").click()
            assert "Decline ACT-" in page.locator("main").inner_text()
            reached.append((page.content(), 200))
            errors = _axe_on_html(on.new_page(), base, reached)
        finally:
            off.close()
            on.close()
    assert [e for e in errors if NHS_FONTS not in e] == []


def _axe_on_html(page: Any, base: str, documents: list[tuple[str, int]]) -> list[str]:
    """axe on each document as the browser received it (a POST's answer has no address to
    open again): served back from the same origin, with the pages' headers, so its
    stylesheets load under the same CSP."""
    from axe_playwright_python.sync_playwright import Axe

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for html, _status in documents:
        page.route(f"{base}/__pressed", _serving(html))
        page.goto(f"{base}/__pressed")
        page.wait_for_load_state("networkidle")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth") <= width, width
            results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
            assert results.violations_count == 0, (width, results.generate_report())
        page.unroute(f"{base}/__pressed")
    return errors


def _serving(html: str) -> Any:
    def fulfil(route: Any) -> None:
        route.fulfill(body=html, content_type="text/html", headers=dict(HEADERS))

    return fulfil
