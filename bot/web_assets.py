"""The shell's static files under /assets/: the vendored NHS.UK frontend (bot/static/nhsuk/,
its LICENSE and VERSION beside it) and our own small stylesheet, bot/static/hub.css.

Only the files found at start-up are served, from memory: the request's path is a key in a
dict and never reaches the file system, so no `..` can escape. A name that changes with its
content (the NHS stylesheet carries its version, hub.css its hash) is cached for a year as
immutable; the icons the NHS stylesheet names at fixed addresses (/assets/images/...) for a
day. No JavaScript is served: the pages run none (docs/web.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha256
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"
NHSUK = STATIC / "nhsuk"
NHSUK_VERSION = "10.6.1"
"""The vendored nhsuk-frontend (bot/static/nhsuk/VERSION); nhsuk-frontend-jinja matches it."""

TYPES = {
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/manifest+json",
}
FOREVER = "public, max-age=31536000, immutable"
A_DAY = "public, max-age=86400"
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
"""An SVG opened on its own is a document: it may run nothing and load nothing."""


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    cache: str


@lru_cache(maxsize=1)
def assets() -> dict[str, Asset]:
    """Every servable file by its address; the stylesheets first, NHS.UK before ours."""
    css = TYPES[".css"]
    nhsuk = NHSUK / f"nhsuk-frontend-{NHSUK_VERSION}.min.css"
    ours = (STATIC / "hub.css").read_bytes()
    found = {
        f"/assets/{nhsuk.name}": Asset(nhsuk.read_bytes(), css, FOREVER),
        f"/assets/hub-{sha256(ours).hexdigest()[:12]}.css": Asset(ours, css, FOREVER),
    }
    for path in sorted((NHSUK / "assets").rglob("*")):
        if path.is_file() and path.suffix in TYPES:
            address = "/assets/" + path.relative_to(NHSUK / "assets").as_posix()
            found[address] = Asset(path.read_bytes(), TYPES[path.suffix], A_DAY)
    return found


def stylesheets() -> tuple[str, ...]:
    """The layout's <link rel="stylesheet"> addresses, in order."""
    return tuple(address for address in assets() if address.endswith(".css"))


def mount_assets(web: FastAPI) -> None:
    """Add GET /assets/{file} to the web app."""

    @web.get("/assets/{name:path}")
    def asset(name: str) -> Response:
        found = assets().get(f"/assets/{name}")
        if found is None:
            raise HTTPException(status_code=404, detail="No such file")
        return Response(
            found.body,
            media_type=found.media_type,
            headers={**HEADERS, "Cache-Control": found.cache},
        )
