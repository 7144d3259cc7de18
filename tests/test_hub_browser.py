"""The hub's pages in headless Chromium: axe-core finds no WCAG 2.2 AA violation at 320 and
1280 pixels wide, the NHS.UK stylesheet applies (NHS blue header, no sideways scrolling on a
phone), the browser reports no Content-Security-Policy violation beyond the NHS font it is
told not to fetch, and the pages work with JavaScript turned off.

Playwright drives Debian's Chromium (never a downloaded browser) against a live `qihub web`.
Screenshots go to $HUB_SCREENSHOTS when set (to look at), else the test's tmp directory.
Skipped, saying why, when Chromium or the two dev packages are absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.browser_kit import BROWSER, CHROMIUM, db_url  # noqa: F401 (the fixture)
from tests.harness import ALEX, TOM, Harness
from tests.reports_kit import live_web
from tests.signin_kit import path_of, sign_in_url, signed_in
from tests.test_ack_links import link
from tests.test_alerts import approved
from tests.test_bulletin import PNG, publish
from tests.test_digest import MONDAY, seed_register

pytestmark = BROWSER
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (320, 1280)
NHS_BLUE = "rgb(0, 94, 184)"
NHS_FONTS = "assets.nhs.uk"
"""The only thing the CSP may refuse on these pages: the Frutiger font the NHS stylesheet names
(font-src 'self', bot/pages.py). Any other refusal (an inline style, say) is a bug."""


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def pictures(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("HUB_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


Cookies = list[dict[str, str]]
"""A signed-in browser's cookies, for playwright's add_cookies (empty: signed out)."""


def _check(
    browser: Any, base: str, path: str, width: int, pictures: Path, cookies: Cookies | None = None
) -> list[str]:
    """axe, layout and CSP checks for one page at one width (signed in with `cookies`);
    returns its console errors."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": width, "height": 900})
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status in (200, 400), path
        page.wait_for_load_state("networkidle")
        header = page.locator("header.nhsuk-header")
        assert header.evaluate("e => getComputedStyle(e).backgroundColor") == NHS_BLUE
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
        images = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
        assert all(found > 0 for found in images), path  # every chart loaded
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
        assert results.violations_count == 0, (path, width, results.generate_report())
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "") or "root"
        picture = pictures / f"{name}-{width}.png"
        page.screenshot(path=str(picture), full_page=True)
        assert picture.read_bytes().startswith(PNG)
    finally:
        context.close()
    if response.status == 400:  # the search page answering an empty query: the page's own status
        errors = [e for e in errors if "status of 400" not in e]
    return errors


def _without_javascript(browser: Any, base: str, paths: list[str]) -> None:
    """Every page opens and keeps its content with JavaScript off; search and the skip link
    work with it off too."""
    context = browser.new_context(viewport={"width": 320, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        for path in paths:
            response = page.goto(f"{base}{path}")
            assert response is not None and response.status in (200, 400), path
            assert page.locator("main h1").count() == 1, path
            assert page.locator("header.nhsuk-header nav a").count() >= 3, path
        page.goto(f"{base}/hub")
        page.keyboard.press("Tab")
        assert page.locator(":focus").get_attribute("href") == "#maincontent"
        page.locator("#search-field").fill("board pack")
        page.locator("#search-field").press("Enter")
        page.wait_for_url("**/hub/search?q=board+pack")
        assert page.locator('main a[href="/reports/board"]').count() == 1
    finally:
        context.close()


def _run(browser: Any, hub: Harness, paths: list[str], pictures: Path) -> None:
    with live_web(hub.app) as base:
        errors = [
            e for path in paths for w in WIDTHS for e in _check(browser, base, path, w, pictures)
        ]
        _without_javascript(browser, base, paths)
    refused = [e for e in errors if NHS_FONTS not in e]
    assert refused == [], refused


def test_the_hub_and_bulletin_pages_pass_axe_and_work_without_javascript(
    hub: Harness, browser: Any, pictures: Path
) -> None:
    bulletin_id = publish(hub)
    paths = [
        "/hub",
        "/hub/accessibility",
        "/hub/search?q=",
        "/bulletins",
        f"/bulletins/{bulletin_id}",
    ]
    _run(browser, hub, paths, pictures)


def test_the_report_pages_pass_axe_and_work_without_javascript(
    hub: Harness, browser: Any, pictures: Path
) -> None:
    hub.clock.set(MONDAY)
    with hub.app.uow_factory() as uow:
        seed_register(uow)
        uow.commit()
    _run(browser, hub, ["/reports/PSC", "/reports/board/2026-Q3"], pictures)


def test_the_sign_in_and_acknowledgement_pages_pass_axe_and_work_without_javascript(
    hub: Harness, browser: Any, pictures: Path
) -> None:
    """The sign-in page, a link's "Continue as" page, the account page signed in and an
    alert's acknowledgement page; then, with JavaScript off, each page's button does its job
    in a real browser (whose own Origin and Fetch Metadata headers must not be refused)."""
    ack = link(hub, approved(hub))
    opened, pressed = path_of(sign_in_url(hub, ALEX)), path_of(sign_in_url(hub, ALEX))
    with live_web(hub.app) as base:
        with httpx.Client(base_url=base) as client:
            jar = [
                {"name": n, "value": v, "url": base} for n, v in signed_in(hub, client, TOM).items()
            ]
        pages = [("/hub/signin", None), (opened, None), (ack, None), ("/hub/account", jar)]
        errors = [
            e
            for path, cookies in pages
            for w in WIDTHS
            for e in _check(browser, base, path, w, pictures, cookies)
        ]
        _without_javascript(browser, base, ["/hub/signin", opened, ack])
        _press_without_javascript(browser, base, pressed, ack)
    refused = [e for e in errors if NHS_FONTS not in e]
    assert refused == [], refused


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
