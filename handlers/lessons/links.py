"""The web addresses of the learning library and of a lesson's page, in one place: the web
routes (bot/hub_library.py) are mounted at these paths and the chat's lesson card links here,
so a link in a chat message always reaches the page (docs/web.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from handlers.config import OrgConfig

LIBRARY_PATH = "/hub/library"
LESSON_PATHS = "/hub/lessons/{ref}"
"""The route's pattern; `lesson_path` fills it."""
LESSON_REF = re.compile(r"LL-[0-9]{4}-[0-9]{4,9}")
"""A lesson's reference as store.repos.refs allocates it: the only form the page accepts."""


def lesson_path(ref: str) -> str:
    return LESSON_PATHS.format(ref=quote(ref, safe=""))


def library_path(q: str = "", filters: Mapping[str, str] | None = None, page: int = 1) -> str:
    """The library's results for a query as a stable, shareable address (empty parts left out)."""
    params = [("q", q), *sorted((filters or {}).items())]
    if page > 1:
        params.append(("page", str(page)))
    kept = [(key, value) for key, value in params if value]
    return f"{LIBRARY_PATH}?{urlencode(kept)}" if kept else LIBRARY_PATH


def web_base(config: OrgConfig) -> str:
    return config.organisation.web_base_url.rstrip("/")


def lesson_url(config: OrgConfig, ref: str) -> str:
    """The lesson's page, as a chat message links to it."""
    return f"{web_base(config)}{lesson_path(ref)}"
