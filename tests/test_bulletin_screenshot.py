"""The published bulletin in a real headless browser: the page renders and fetches its charts.

Chromium loads the page from a live `qihub web` server (uvicorn on 127.0.0.1) and writes a
screenshot; the server records which URLs the browser asked for, so the test knows every
chart was loaded as a PNG, not just linked. Skipped when no Chromium or Chrome is installed.
Set BULLETIN_SCREENSHOT=path to keep the picture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import Request, Response

from bot.web import create_web_app
from handlers.bulletin.charts import CHARTS
from tests.browser_kit import db_url  # noqa: F401 (the fixture: SQLite only)
from tests.harness import Harness
from tests.test_bulletin import PNG, publish

BROWSER = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
        if (found := shutil.which(name))
    ),
    None,
)
pytestmark = [
    pytest.mark.skipif(BROWSER is None, reason="no headless Chromium or Chrome installed"),
    pytest.mark.slow,
]


@pytest.fixture
def served(hub: Harness) -> Iterator[tuple[str, list[str]]]:
    """A live web server for the hub's database, and the paths it has been asked for."""
    web = create_web_app(hub.app)
    asked: list[str] = []

    @web.middleware("http")
    async def remember(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        asked.append(f"{response.status_code} {request.url.path}")
        return response

    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", asked
    server.should_exit = True
    thread.join(timeout=10)


def test_a_headless_browser_renders_the_page_with_its_charts(
    hub: Harness, served: tuple[str, list[str]], tmp_path: Path
) -> None:
    bulletin_id = publish(hub)
    base, asked = served
    picture = Path(os.environ.get("BULLETIN_SCREENSHOT") or tmp_path / "bulletin.png")
    assert BROWSER is not None
    subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1000,2600",
            f"--screenshot={picture}",
            f"{base}/bulletins/{bulletin_id}",
        ],
        capture_output=True,
        timeout=90,
        check=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert picture.read_bytes().startswith(PNG)
    assert picture.stat().st_size > 20_000, "the screenshot is (nearly) blank"
    assert f"200 /bulletins/{bulletin_id}" in asked
    for name in CHARTS:
        assert f"200 /bulletins/{bulletin_id}/charts/{name}.png" in asked, asked
