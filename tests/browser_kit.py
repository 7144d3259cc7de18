"""What the tests that drive a real browser (Chromium through playwright, axe-core) share: the
marks that skip them, with the reason, where Chromium or the Python packages are missing, and
a `db_url` that keeps them on SQLite (import it into the module to use it). The `browser`
and `pictures` fixtures are in tests/conftest.py."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)"),
    pytest.mark.skipif(
        importlib.util.find_spec("axe_playwright_python") is None
        or importlib.util.find_spec("playwright") is None,
        reason="playwright and axe-playwright-python are not installed (pip install -e .[dev])",
    ),
    pytest.mark.slow,
]
"""A browser test module's `pytestmark`."""


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """What a browser sees of a page does not depend on the database, and each browser test
    costs seconds: these run on SQLite only. The pages' own tests run on both."""
    return sqlite_url
