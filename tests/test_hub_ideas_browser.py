"""The ideas board in headless Chromium, signed in with a link from chat as a member of staff
and as the ideas panel: axe-core finds no WCAG 2.2 AA violation at 320 and 1280 pixels, no
page scrolls sideways on a phone, and "Support this idea" works with JavaScript off.
(Skipped, saying why, without Chromium: tests/browser_kit.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser_kit import BROWSER, db_url  # noqa: F401 (the fixture)
from tests.harness import SAM, TOM, Harness, ref_in
from tests.reports_kit import live_web
from tests.signin_kit import path_of, sign_in_url
from tests.test_hub_browser import NHS_BLUE, NHS_FONTS, WCAG_22_AA, WIDTHS
from tests.test_ideas import decide

pytestmark = BROWSER


def _signed_in(browser: Any, hub: Harness, base: str, who: str) -> dict[str, Any]:
    """The storage state of a browser that pressed Continue on `who`'s sign-in link."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{base}{path_of(sign_in_url(hub, who))}")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/hub")
        state: dict[str, Any] = context.storage_state()
        return state
    finally:
        context.close()


def _check(browser: Any, base: str, state: dict[str, Any], path: str, width: int) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": width, "height": 900}, storage_state=state)
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
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
        assert results.violations_count == 0, (path, width, results.generate_report())
    finally:
        context.close()
    return [e for e in errors if "status of 400" not in e and NHS_FONTS not in e]


def test_the_ideas_pages_pass_axe_for_staff_and_the_panel_and_support_works_without_javascript(
    hub: Harness, browser: Any, pictures: Path
) -> None:
    ref = ref_in(hub.submit_idea(mode="confidential"))
    decide(hub, SAM, ref, "Eligible", reason="A simple fix the ward can own.")
    ref_in(hub.submit_idea(TOM, title="Quieter night rounds"))
    paths = ["/hub/ideas", "/hub/ideas?status=nonsense", "/hub/ideas/mine", f"/hub/ideas/{ref}"]
    with live_web(hub.app) as base:
        for who in (TOM, SAM):
            state = _signed_in(browser, hub, base, who)
            errors = [e for p in paths for w in WIDTHS for e in _check(browser, base, state, p, w)]
            assert errors == [], (who, errors)
        context = browser.new_context(
            java_script_enabled=False, storage_state=_signed_in(browser, hub, base, TOM)
        )
        page = context.new_page()
        try:
            page.goto(f"{base}/hub/ideas/{ref}")
            page.get_by_role("button", name="Support this idea").click()
            banner = page.locator(".nhsuk-notification-banner--success")
            assert f"Thank you for supporting {ref}" in banner.inner_text()
            page.screenshot(path=str(pictures / "hub-idea-supported-1280.png"), full_page=True)
        finally:
            context.close()
