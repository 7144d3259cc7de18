"""The learning library: `/qi search <words>` over de-identified lessons and what changed.

A lesson's searchable text is assembled here, in one place, from everything a person might
remember it by: its words, where it came from, where it happened and what was done about it.
Filters (`source:`, `committee:`, `srg:`, `unit:`) use config codes and match columns rather
than text, so `unit:liverpool` finds a Liverpool lesson even if nobody wrote "Liverpool".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from handlers.actions.lifecycle import DONE
from handlers.config import OrgConfig
from handlers.errors import UserError
from handlers.lessons.lifecycle import SEARCHABLE, status_label
from handlers.visibility import EVERY_MEMBER_OF_STAFF
from messages.view import (
    Block,
    Button,
    Buttons,
    Heading,
    Item,
    Items,
    Notice,
    Reply,
    SmallPrint,
    Tone,
)
from store.models import Action, Lesson
from store.repos.search import Change, Hit, LessonFilter
from store.uow import UnitOfWork

PAGE_SIZE = 10
MAX_WORDS = 16
"""More words only narrow the match further; the cap keeps one query cheap."""
MAX_WORD_LENGTH = 40
SNIPPET = 120
FILTER_KEYS = ("source", "committee", "srg", "unit")
_TOKEN = re.compile(r"[^\W_]+")
"""Letters and digits, as FTS5's unicode61 tokenizer splits them: the rest is punctuation."""
STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or not no nor the this "  # noqa: SIM905
    "that to was were with".split()
)
"""Dropped on both backends, as PostgreSQL's english configuration drops them, so a search
for "falls on the ward" behaves the same on SQLite."""


def fold(text: str) -> str:
    """Text without accents ("café" → "cafe"), applied to the stored text and to the words
    searched for: FTS5 folds accents itself, PostgreSQL's english configuration does not."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class SearchFilters:
    """The filters a person typed, checked against the config (codes, canonical case)."""

    source: str | None = None
    committee: str | None = None
    srg: str | None = None
    unit: str | None = None

    @property
    def any(self) -> bool:
        return any(getattr(self, key) for key in FILTER_KEYS)

    def as_text(self) -> list[str]:
        return [f"{key}:{getattr(self, key)}" for key in FILTER_KEYS if getattr(self, key)]


def lesson_search_text(lesson: Lesson, actions: Sequence[Action], config: OrgConfig) -> str:
    """Everything a lesson can be found by: call whenever the lesson or its actions change.

    Labels, not codes, go in ("Single LFPSE event", "Ward 4 (inpatients)"): people search for
    the words they know. Only verified actions contribute their evidence and change, so the
    library never shows as done something nobody has checked.
    """
    source = config.lesson_sources.get(lesson.source)
    committee = config.committees.get(lesson.committee)
    parts: list[str | None] = [
        lesson.title,
        lesson.what_happened,
        lesson.what_learned,
        source.label if source else lesson.source,
        committee.name if committee else lesson.committee,
    ]
    for unit in lesson.org_units:
        if unit.kind == "site":
            site = config.sites.get(unit.code)
            parts.append(site.name if site else unit.code)
        else:
            dept = config.departments.get(unit.code)
            parts.append(dept.name if dept else unit.code)
    if lesson.process:
        parts.append(config.processes.get(lesson.process, lesson.process))
    if lesson.srg:
        parts.append(config.srgs.get(lesson.srg, lesson.srg))
    for action in actions:
        parts.append(action.description)
        if action.status in DONE:
            parts += [action.evidence, action.change]
    return fold("\n".join(text.strip() for text in parts if text and text.strip()))


def _resolve(key: str, value: str, config: OrgConfig) -> str:
    """The config code `value` names under filter `key` (case-insensitive), or a UserError."""
    tables: dict[str, Sequence[str]] = {
        "source": list(config.lesson_sources),
        "committee": list(config.committees),
        "srg": list(config.srgs),
        "unit": [*config.sites, *config.departments],
    }
    codes = tables[key]
    found = next((code for code in codes if code.lower() == value.lower()), None)
    if found is not None:
        return found
    what = {"unit": "site or department"}.get(key, key)
    shown = f"'{value}'" if value else "nothing"
    raise UserError(
        f"{key}: was given {shown}, which is not a {what} code. Use one of: {', '.join(codes)}."
    )


def parse_query(text: str, config: OrgConfig) -> tuple[list[str], SearchFilters]:
    """Split what a person typed into search words and filters.

    Words are reduced to plain letters and digits (lower case, common words dropped), so no
    character typed can change the meaning of the database query. `key:value` is a filter only
    for the four keys; anything else with a colon is searched as words.
    """
    words: list[str] = []
    found: dict[str, str] = {}
    for chunk in text.split():
        key, colon, value = chunk.partition(":")
        if colon and key.lower() in FILTER_KEYS:
            name = key.lower()
            if name in found:
                raise UserError(f"Give {name}: once only.")
            found[name] = _resolve(name, value.strip(), config)
            continue
        for token in _TOKEN.findall(fold(chunk.lower())):
            token = token[:MAX_WORD_LENGTH]
            if token not in STOP_WORDS and token not in words:
                words.append(token)
    return words[:MAX_WORDS], SearchFilters(**found)


def _lesson_filter(filters: SearchFilters, config: OrgConfig) -> LessonFilter:
    site = dept = None
    if filters.unit in config.sites:
        site = filters.unit
    elif filters.unit is not None:
        dept = filters.unit
    departments = (
        tuple(code for code, d in config.departments.items() if d.site == site)
        if site
        else (dept,)
        if dept
        else ()
    )
    return LessonFilter(
        source=filters.source,
        committee=filters.committee,
        srg=filters.srg,
        site=site,
        departments=departments,
    )


def change_text(change: Change | None) -> str | None:
    """The latest verified change in a few words (the change, else its evidence, else the
    action), or None when nothing has been verified yet."""
    if change is None:
        return None
    text = " ".join((change.change or change.evidence or change.description).split())
    if len(text) > SNIPPET:
        text = text[: SNIPPET - 1].rstrip() + "…"
    return text


def _what_changed(change: Change | None) -> str:
    text = change_text(change)
    return "no verified change yet" if text is None else f"what changed: {text}"


SEARCH_HINT = (
    "To search, give some words, e.g. /qi search flush labels, and optionally source:, "
    "committee:, srg: or unit: with a code from the config."
)
"""Shown under the latest lessons when nothing was asked for (the home page's button)."""


def _message(text: str, tone: Tone = "info") -> Reply:
    return Reply(summary=text, blocks=(Notice(text, tone),), ephemeral=True)


@dataclass(frozen=True)
class Query:
    """What was understood of a search: plain words and checked filters."""

    words: tuple[str, ...] = ()
    filters: SearchFilters = SearchFilters()

    @property
    def text(self) -> str:
        """What was understood, not what was typed: bounded, free of control characters, and
        safe to echo in a header (Slack allows 150 characters) or to carry in a button."""
        return " ".join([*self.words, *self.filters.as_text()])

    @classmethod
    def of(cls, text: str, config: OrgConfig) -> Query:
        words, filters = parse_query(text, config)
        return cls(tuple(words), filters)


@dataclass(frozen=True)
class Results:
    """One page of the library for a query: the hits, how many in all, and each hit's latest
    verified change. Both the chat's reply and the web's page are drawn from this."""

    query: Query
    page: int
    size: int
    hits: list[Hit]
    total: int
    changes: dict[int, Change]

    @property
    def pages(self) -> int:
        return max(1, (self.total + self.size - 1) // self.size)

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1

    @property
    def last(self) -> int:
        return self.first + len(self.hits) - 1


def parse_fields(q: str, fields: Mapping[str, str], config: OrgConfig) -> Query:
    """The web form's query: words (and any `key:value` typed among them, as in chat) from
    `q`, and a filter from each of `fields` that is not empty. The same key from both is the
    chat's mistake of giving it twice."""
    words, typed = parse_query(q, config)
    found = {key: getattr(typed, key) for key in FILTER_KEYS if getattr(typed, key)}
    for key in FILTER_KEYS:
        value = fields.get(key, "").strip()
        if not value:
            continue
        if key in found:
            raise UserError(f"Give {key}: once only.")
        found[key] = _resolve(key, value, config)
    return Query(tuple(words), SearchFilters(**found))


LAST_PAGE = 100_000
"""No page past this is asked of the database (an offset a person could not reach by
paging, and one that would overflow SQLite's integer if left unbounded)."""


def find(
    uow: UnitOfWork, config: OrgConfig, query: Query, page: int = 1, size: int = PAGE_SIZE
) -> Results:
    """The one search behind `/qi search` and the web library: the lessons everyone may read
    (`EVERY_MEMBER_OF_STAFF`, triaged and `SEARCHABLE`), best match first, three queries
    whatever the page holds (the total, the page, and the page's changes together)."""
    page = min(max(page, 1), LAST_PAGE)
    repo = uow.search
    hits, total = repo.search(
        query.words,
        _lesson_filter(query.filters, config),
        frozenset(SEARCHABLE),
        (page - 1) * size,
        size,
        EVERY_MEMBER_OF_STAFF,
    )
    changes = repo.changes([h.id for h in hits], frozenset(DONE)) if hits else {}
    return Results(query, page, size, hits, total, changes)


def search_reply(uow: UnitOfWork, config: OrgConfig, text: str, page: int = 1) -> Reply:
    """One page of the library for what was typed, best match first.

    Raises UserError only for a filter the config does not know; any other input, however
    odd, gives results, "no matches" or a hint.
    """
    results = find(uow, config, Query.of(text, config), page)
    page, total, hits, changes = results.page, results.total, results.hits, results.changes
    query = results.query.text
    if not hits:
        where = f" on page {page}" if total else ""
        if not query:  # nothing asked for: the latest, and here there are none
            return _message(f"The learning library has no lessons{where} yet. {SEARCH_HINT}")
        return _message(f"No lessons match '{query}'{where}.")
    items = []
    for hit in hits:
        committee = config.committees.get(hit.committee)
        detail = " · ".join(
            [
                committee.name if committee else hit.committee,
                status_label(hit.status),
                _what_changed(changes.get(hit.id)),
            ]
        )
        open_button = Button("Open", "lesson.show", {"ref": hit.ref})
        items.append(Item(hit.title, hit.ref, detail, (open_button,)))
    pages = results.pages
    blocks: list[Block] = [
        Heading(f"Learning library: {query}" if query else "Learning library: the latest lessons"),
        Items(tuple(items)),
        SmallPrint(f"Lessons {results.first}-{results.last} of {total} · page {page} of {pages}"),
    ]
    if not query:
        blocks.append(SmallPrint(SEARCH_HINT))
    if page < pages:
        more = Button("Next page", "search.page", {"q": query, "page": str(page + 1)})
        blocks.append(Buttons((more,)))
    summary = (
        f"{total} {'lesson matches' if total == 1 else 'lessons match'} '{query}'"
        if query
        else "The latest lessons in the learning library"
    )
    return Reply(summary=summary, blocks=tuple(blocks))


def search_page(uow: UnitOfWork, config: OrgConfig, value: Mapping[str, str]) -> Reply:
    """The "Next page" button (action id "search.page"): its value carries the query."""
    try:
        page = int(value.get("page", "1"))
    except ValueError:
        page = 1
    return search_reply(uow, config, value.get("q", ""), page)
