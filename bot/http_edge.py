"""What every public route needs to know about a raw request before trusting any of it.

The chat endpoints are reachable before anyone is authenticated (the signature or token comes
with the body), so a 160 MB body must be refused at the first chunk past the limit, not buffered
and then measured. And "from this machine" must mean a loopback client no proxy speaks for.
"""

from __future__ import annotations

import ipaddress
from typing import TypedDict

from starlette.requests import Request

from bot.settings import Settings

PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip", "x-forwarded-host")


class ProxyTrust(TypedDict):
    """uvicorn's options for X-Forwarded-For and X-Forwarded-Proto."""

    proxy_headers: bool
    forwarded_allow_ips: str | None


def proxy_trust(settings: Settings) -> ProxyTrust:
    """Believe X-Forwarded-* only from the proxies FORWARDED_ALLOW_IPS names; by default from
    none (uvicorn's own default trusts any process on this machine). Nothing QI Hub decides
    comes from them: addresses, links and cookies come from organisation.web_base_url."""
    allowed = settings.forwarded_allow_ips.strip()
    return {"proxy_headers": bool(allowed), "forwarded_allow_ips": allowed or None}


def from_this_machine(request: Request) -> bool:
    """A loopback client that no proxy speaks for: a reverse proxy on the same server would
    otherwise make the whole internet look local."""
    if any(request.headers.get(name) for name in PROXY_HEADERS):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None once it passes `limit` (the rest is never read into memory)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
