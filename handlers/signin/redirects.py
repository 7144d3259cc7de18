"""Where to go after signing in: only a page of our own.

`next` comes from the browser, so it is reduced to a path on this site or refused: no scheme,
no host, no `//` (a network path), no backslash (browsers read `/\\evil` as `//evil`), no
control characters or whitespace (stripped by browsers before parsing), nothing outside /hub.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

HOME = "/hub"
MAX_LENGTH = 512
SAFE = re.compile(
    r"/hub(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)*(?:\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?"
)
"""A path under /hub, optionally with a query; no fragment (the browser keeps its own)."""


def safe_next(raw: str | None) -> str:
    """`raw` if it is a path under /hub on this site, else the Hub's home page."""
    if not raw or len(raw) > MAX_LENGTH:
        return HOME
    if not SAFE.fullmatch(raw):
        return HOME
    decoded = unquote(raw)
    if "\\" in decoded or "//" in decoded or any(ord(c) < 0x20 or c == "\x7f" for c in decoded):
        return HOME  # an encoded trick: %2F%2F, %5C, %0A
    if "/../" in decoded + "/" or "/./" in decoded + "/":
        return HOME
    return raw
