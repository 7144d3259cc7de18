"""/reports/PSC and the board pack in headless Chromium, checked by axe-core: no violations.

Playwright drives Debian's Chromium (never a downloaded browser) against a live `qihub web`;
axe-playwright-python injects axe-core and runs every rule it has. Skipped, saying why, when
Chromium or the two dev packages are absent.
"""

from __future__ import annotations

import pytest

from tests.browser_kit import BROWSER, CHROMIUM, db_url  # noqa: F401 (the fixture)
from tests.harness import Harness
from tests.reports_kit import live_web
from tests.test_digest import MONDAY, seed_register

pytestmark = BROWSER


@pytest.mark.parametrize("path", ["/reports/PSC", "/reports/board/2026-Q3"])
def test_report_pages_have_no_accessibility_violations(hub: Harness, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    hub.clock.set(MONDAY)
    with hub.app.uow_factory() as uow:
        seed_register(uow)
        uow.commit()
    with live_web(hub.app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            response = page.goto(f"{base}{path}")
            assert response is not None and response.status == 200
            page.wait_for_load_state("networkidle")
            images = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
            assert images and all(width > 0 for width in images)  # every chart loaded
            results = Axe().run(page)
        finally:
            browser.close()
    assert results.violations_count == 0, results.generate_report()
