"""Shared by the web page tests: what every page in the NHS.UK shell must be."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)">')


def stylesheets(html: str) -> list[str]:
    return STYLESHEET.findall(html)


def printable(client: TestClient, html: str) -> bool:
    """The page links the shell's stylesheets, they are served, and one has print rules."""
    found = stylesheets(html)
    sheets = [client.get(href) for href in found]
    return (
        len(found) == 2
        and all(
            s.status_code == 200 and s.headers["content-type"].startswith("text/css")
            for s in sheets
        )
        and any("@media print" in s.text for s in sheets)
    )
