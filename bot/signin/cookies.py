"""Which cookies sign-in uses, decided by organisation.web_base_url.

Over https (production, behind the trust's TLS proxy): `__Host-` names, so the browser insists on
Secure, Path=/ and no Domain (no other host or path can set or shadow them). Over plain http the
browser would drop a Secure cookie (Safari even on localhost), so the local trial at
http://localhost or 127.0.0.1 gets `qihub-dev-` names without Secure; any other http address
has no sign-in at all (a session cookie must never cross a network in clear).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class CookiePolicy:
    session_name: str
    """The session cookie (HttpOnly, SameSite=Lax: sent when someone follows a link to the Hub
    from chat or email, never with another site's POST)."""
    flow_name: str
    """Binds an Entra ID sign-in to the browser that started it. SameSite=None, because
    Entra ID returns by a cross-site POST (form_post), which a Lax cookie would miss; and so
    always Secure (browsers allow that on localhost, where the trial runs)."""
    secure: bool
    next_name: str
    """Where to go after signing in with a chat link: the page that sent the person to sign
    in (a path of ours, checked again when read), kept for the minutes it takes to ask for
    and open a link. SameSite=Lax, HttpOnly."""


PRODUCTION = CookiePolicy(
    "__Host-qihub-session", "__Host-qihub-signin", secure=True, next_name="__Host-qihub-next"
)
LOCAL_TRIAL = CookiePolicy(
    "qihub-dev-session", "qihub-dev-signin", secure=False, next_name="qihub-dev-next"
)


def cookie_policy(web_base_url: str) -> CookiePolicy | None:
    """The cookies for QI Hub at `web_base_url`; None when sign-in must stay off (plain http
    to anything but this machine)."""
    parts = urlsplit(web_base_url)
    if parts.scheme == "https" and parts.hostname:
        return PRODUCTION
    if parts.scheme == "http" and (parts.hostname or "") in LOOPBACK:
        return LOCAL_TRIAL
    return None
