"""The learning library's pages in headless Chromium, signed in: no axe-core WCAG 2.2 AA
violation at 320 and 1280 pixels, no sideways scrolling on a phone, no CSP refusal beyond the
NHS font, and the search form works with JavaScript off (tests/test_hub_browser.py for the
public pages; skipped, saying why, without Chromium)."""

from __future__ import annotations

from typing import Any

from bot.web import create_web_app
from tests.browser_kit import BROWSER, db_url  # noqa: F401 (the fixture)
from tests.harness import TOM, Harness
from tests.signin_kit import DEV_COOKIE, serving, signed_in
from tests.test_hub_browser import NHS_FONTS, WCAG_22_AA, WIDTHS
from tests.test_search import Library

pytestmark = BROWSER


def test_the_library_pages_pass_axe_and_search_works_without_javascript(
    hub: Harness, browser: Any
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    library = Library(hub)
    for n in range(12):
        library.add(
            f"Flush labels round {n}",
            actions=(("Relabel the trolley", "verified", "Colour-coded flush labels"),),
        )
    paths = {
        "/hub/library?q=flush": 200,
        "/hub/library?q=flush&unit=mars": 400,
        "/hub/lessons/LL-2026-0001": 200,
        "/hub/lessons/LL-2026-0999": 404,
        "/hub/search?q=flush": 200,
    }
    with serving(create_web_app(hub.app)) as client:
        base = str(client.base_url).rstrip("/")
        cookie = signed_in(hub, client, TOM)[DEV_COOKIE]
        errors: list[str] = []
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900})
            context.add_cookies([{"name": DEV_COOKIE, "value": cookie, "url": base}])
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            for path, status in paths.items():
                response = page.goto(f"{base}{path}")
                assert response is not None and response.status == status, path
                assert page.evaluate("document.documentElement.scrollWidth") <= width, path
                found = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
                assert found.violations_count == 0, (path, width, found.generate_report())
            context.close()
        context = browser.new_context(java_script_enabled=False)
        context.add_cookies([{"name": DEV_COOKIE, "value": cookie, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/hub/library")
        page.locator("#library-q").fill("flush")
        page.locator("#library-unit").select_option("liverpool")
        page.locator("main form button").click()
        page.wait_for_url("**/hub/library?q=flush*unit=liverpool*")
        context.close()
    refused = [e for e in errors if NHS_FONTS not in e and "status of 40" not in e]
    assert refused == [], refused
