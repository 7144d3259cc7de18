"""Random credentials and what is stored for them."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_BYTES = 24
"""192 bits: at least 128, and a multiple of three so the token has no padding (32 characters)."""
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def well_formed(raw: str) -> bool:
    """Could be one of our tokens: anything else is refused without a query."""
    return TOKEN_SHAPE.fullmatch(raw) is not None


def digest(token: str) -> str:
    """What is stored for a token (a plain hash is enough: nobody can search 2**192 tokens)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def csrf_for(session_token: str) -> str:
    """The session's CSRF token, derived from the cookie's secret: nothing more to store, and
    a database dump (which holds only the session's hash) yields none."""
    return hmac.new(session_token.encode("ascii"), b"qihub-hub-csrf", hashlib.sha256).hexdigest()


def csrf_matches(expected: str, offered: str) -> bool:
    """`offered` is the session's CSRF token (`expected`), compared in constant time."""
    return hmac.compare_digest(expected.encode("ascii"), offered.encode("utf-8"))
