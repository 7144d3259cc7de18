"""Public web addresses given by operators (the Slack manifest's request URL, the Teams package's
links): one check, so both say the same thing about the same mistake."""

from __future__ import annotations

from urllib.parse import urlsplit

from handlers.config import ConfigError

EXAMPLE = "https://qihub.example.nhs.uk"


def web_address(value: str, key: str, source: str = "") -> str:
    """An http(s) address with a host and no query, fragment or credentials, without a
    trailing slash; ConfigError (exit 2) naming `key` otherwise."""
    raw = value.strip()
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 (raises ValueError for a malformed port)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
        or any(c.isspace() for c in raw)
    ):
        raise ConfigError(
            key,
            f"{value!r} is not a web address QI Hub can be reached at; give a full address, "
            f"e.g. {EXAMPLE}",
            source,
        )
    return raw.rstrip("/") if parts.path in ("", "/") else raw


def is_https(url: str) -> bool:
    return urlsplit(url).scheme == "https"
