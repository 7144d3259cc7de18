"""The Improvement Hub's shell on the web: /hub, the accessibility statement, search, the
vendored NHS.UK assets and the one strict Content-Security-Policy every page carries.

Driven through the real `qihub web` app (FastAPI's TestClient) on the test database; the
browser checks (axe-core, screenshots, JavaScript off) are in tests/test_hub_browser.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from bot.pages import Shell, render
from bot.web import create_web_app
from bot.web_assets import NHSUK, NHSUK_VERSION
from store.models import Bulletin
from tests.harness import Harness
from tests.pages_kit import printable, stylesheets
from tests.test_bulletin import outline, publish

INLINE = re.compile(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
"""Inline script or style in any form the CSP would have to allow."""


def directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def shell_pages(hub: Harness) -> list[str]:
    """One address of every kind of page in the shell, with a published bulletin."""
    bulletin_id = publish(hub)
    return [
        "/hub",
        "/hub/accessibility",
        "/hub/search?q=Q3",
        "/hub/search?q=",
        "/bulletins",
        f"/bulletins/{bulletin_id}",
        "/reports/PSC",
        "/reports/board/2026-Q3",
    ]


def test_every_page_has_the_strict_policy_and_no_inline_script_or_style(hub: Harness) -> None:
    pages = shell_pages(hub)
    with TestClient(create_web_app(hub.app)) as client:
        for path in pages:
            response = client.get(path)
            assert response.status_code in (200, 400), path
            policy = directives(response.headers["content-security-policy"])
            assert policy["default-src"] == ["'none'"], path
            assert "script-src" not in policy, path  # so default-src 'none': no script at all
            assert policy["style-src"] == ["'self'"], path
            assert policy["img-src"] == ["'self'"], path
            assert policy["form-action"] == ["'self'"], path
            assert policy["frame-ancestors"] == ["'none'"], path
            assert policy["base-uri"] == ["'none'"], path
            assert "unsafe" not in response.headers["content-security-policy"]
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert INLINE.search(response.text) is None, (path, INLINE.search(response.text))
            assert printable(client, response.text), path


def test_the_hub_links_to_everything_readable_and_marks_where_you_are(hub: Harness) -> None:
    with TestClient(create_web_app(hub.app)) as client:
        html = client.get("/hub").text
    page = outline(html)
    assert [text for tag, text in page.headings if tag == "h1"] == ["The Improvement Hub"]
    hrefs = [a.get("href") for a in page.all("a")]
    assert hrefs[0] == "#maincontent"  # the skip link comes first
    for href in ["/bulletins", "/reports/board", "/hub/accessibility"] + [
        f"/reports/{code}" for code in hub.app.config.committees
    ]:
        assert href in hrefs, href
    current = [a for a in page.all("a") if a.get("aria-current") == "page"]
    assert [a["href"] for a in current] == ["/hub"]
    assert 'action="/hub/search"' in html and 'role="banner"' in html
    assert 'role="contentinfo"' in html


def test_the_header_holds_the_signed_in_persons_name_or_a_sign_in_link() -> None:
    nobody = render("hub/accessibility.html", Shell("Trust", "/hub/accessibility"))
    assert "nhsuk-header__account" not in nobody
    named = render("hub/accessibility.html", Shell("Trust", "/hub", person="Alex <Morgan>"))
    assert "nhsuk-header__account" in named and "Alex &lt;Morgan&gt;" in named
    link = render("hub/accessibility.html", Shell("Trust", "/hub", sign_in="/hub/sign-in"))
    assert 'href="/hub/sign-in"' in link and "Sign in" in link


def test_the_accessibility_statement_follows_the_model_statement(hub: Harness) -> None:
    with TestClient(create_web_app(hub.app)) as client:
        html = client.get("/hub/accessibility").text
    headings = [text for tag, text in outline(html).headings if tag == "h2"]
    for needed in (
        "How accessible this website is",
        "What to do if you cannot access parts of this website",
        "Reporting accessibility problems with this website",
        "Enforcement procedure",
        "Technical information about this website's accessibility",
        "Preparation of this accessibility statement",
    ):
        assert needed in headings
    assert "axe-core" in html and "headless Chromium" in html
    assert hub.app.config.organisation.name in html


def test_search_finds_public_pages_and_explains_an_empty_query(hub: Harness) -> None:
    bulletin_id = publish(hub)
    with TestClient(create_web_app(hub.app)) as client:
        found = client.get("/hub/search", params={"q": "q3 2026"})
        assert found.status_code == 200
        assert f'href="/bulletins/{bulletin_id}"' in found.text
        committee = next(iter(hub.app.config.committees.values())).name
        assert "/reports/" in client.get("/hub/search", params={"q": committee}).text
        empty = client.get("/hub/search", params={"q": "  "})
        assert empty.status_code == 400
        assert "<title>Error: Search QI Hub" in empty.text
        assert "nhsuk-error-summary" in empty.text
        assert 'href="#search-page-field"' in empty.text  # the summary links to the field
        assert 'aria-describedby="search-page-field-hint search-page-field-error"' in empty.text
        long = client.get("/hub/search", params={"q": "x" * 101})
        assert long.status_code == 400 and "100 characters or fewer" in long.text
        sneaky = client.get("/hub/search", params={"q": '<script>"'}).text
        assert "<script>" not in sneaky and "&lt;script&gt;" in sneaky


def test_the_archive_is_paginated(hub: Harness) -> None:
    moment = datetime(2020, 1, 1, tzinfo=UTC)
    with hub.app.uow_factory() as uow:
        for n in range(13):
            year, quarter = 2010 + n // 4, n % 4 + 1
            uow.session.add(
                Bulletin(
                    ref=f"BUL-{year}-Q{quarter}",
                    quarter_start=datetime(year, 1 + 3 * (quarter - 1), 1, tzinfo=UTC),
                    quarter_end=datetime(year, 1 + 3 * (quarter - 1), 2, tzinfo=UTC),
                    status="archived",
                    published_at=moment,
                    snapshot={},
                    created_at=moment,
                    updated_at=moment,
                )
            )
        uow.commit()
    with TestClient(create_web_app(hub.app)) as client:
        first = client.get("/bulletins")
        second = client.get("/bulletins", params={"page": "2"})
        assert client.get("/bulletins", params={"page": "3"}).status_code == 404
        assert client.get("/bulletins", params={"page": "0"}).status_code == 404
        assert client.get("/bulletins", params={"page": "x"}).status_code == 404
    assert first.text.count('class="nhsuk-link" href="/bulletins/') == 12
    assert second.text.count('class="nhsuk-link" href="/bulletins/') == 1
    assert "BUL-2013-Q1" in first.text and "BUL-2010-Q1" in second.text  # newest first
    assert 'href="/bulletins?page=2"' in first.text and 'rel="next"' in first.text
    assert 'aria-current="page"' in second.text and 'rel="prev"' in second.text
    assert "(page 2 of 2)" in second.text


def test_the_vendored_assets_are_served_with_long_caches_and_their_types(hub: Harness) -> None:
    css = f"/assets/nhsuk-frontend-{NHSUK_VERSION}.min.css"
    assert (NHSUK / "LICENSE").read_text().startswith("MIT License")
    assert f"nhsuk-frontend {NHSUK_VERSION}" in (NHSUK / "VERSION").read_text()
    with TestClient(create_web_app(hub.app)) as client:
        sheets = stylesheets(client.get("/hub").text)
        assert sheets[0] == css and re.fullmatch(r"/assets/hub-[0-9a-f]{12}\.css", sheets[1])
        nhs = client.get(css)
        assert nhs.headers["content-type"] == "text/css; charset=utf-8"
        assert nhs.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert f'--nhsuk-frontend-version:"{NHSUK_VERSION}"' in nhs.text
        for url in set(re.findall(r"url\((/assets/[^)]+)\)", nhs.text)):
            icon = client.get(url)  # every icon the stylesheet names is here
            assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
            assert icon.headers["content-security-policy"].startswith("default-src 'none'")
        assert client.get("/assets/images/favicon.ico").headers["content-type"] == "image/x-icon"
        assert client.get("/assets/manifest.json").status_code == 200
        for missing in ("nhsuk.min.js", "../pages.py", "..%2Fpages.py", "hub.css", "VERSION"):
            assert client.get(f"/assets/{missing}").status_code == 404, missing


def test_hostile_queries_are_answered_never_a_500(hub: Harness) -> None:
    with TestClient(create_web_app(hub.app), raise_server_exceptions=False) as client:
        for page in ("99999999999999999999999", "%C2%B2", "-1", "1e308", "%00"):
            assert client.get(f"/bulletins?page={page}").status_code == 404, page
        for q in ("%00", "%F0%9F%92%A9", "..%2F..%2Fetc%2Fpasswd", "%25", "x%20" * 20):
            assert client.get(f"/hub/search?q={q}").status_code in (200, 400), q
        assert client.get("/assets/%2e%2e/pages.py").status_code == 404
        assert client.get("/assets/" + "x" * 3000).status_code == 404
