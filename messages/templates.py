"""Jinja2 templates for the prose in messages, and the small text helpers they use.

Templates produce *plain text* for the neutral view model, so autoescaping is off here on
purpose: every renderer escapes for its own platform (mrkdwn, Adaptive Card, terminal), and
escaping twice would show "&amp;" to a committee chair. StrictUndefined turns a misspelt
variable into an error in tests rather than a silent gap in a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"
BARS = "▁▂▃▄▅▆▇█"


def plural(count: int, word: str, many: str | None = None) -> str:
    """The word for `count` things: plural(1, "lesson") is "lesson", plural(2, ...) "lessons"."""
    return word if count == 1 else (many or f"{word}s")


def count_of(count: int, word: str, many: str | None = None) -> str:
    """ "1 lesson", "3 lessons", "no lessons": the phrase most prose needs."""
    return f"{count or 'no'} {plural(count, word, many)}"


def counted(count: int, word: str, many: str | None = None) -> str:
    """ "1 person", "0 people", "3 lessons": a count in figures with its word agreeing."""
    return f"{count} {plural(count, word, many)}"


def count_people(count: int) -> str:
    """ "1 person", "2 people"."""
    return counted(count, "person", "people")


def day(value: date) -> str:
    """A date as people write it in a message: "30 Nov 2026"."""
    return f"{value.day} {value:%b %Y}"


def sparkline(values: Sequence[int]) -> str:
    """A row of bars, one per value, scaled to the largest: a picture that says more than a
    number where a committee needs to see whether a trend is rising. Zero is the lowest bar;
    any non-zero value shows at least one step above it."""
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return BARS[0] * len(values)
    steps = len(BARS) - 1
    return "".join(
        BARS[0] if value <= 0 else BARS[max(1, round(value * steps / top))] for value in values
    )


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Built once, on first use (no work at import time), then shared."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,  # noqa: S701 - plain text out; each renderer escapes for its platform
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(plural=plural, count_of=count_of, day=day, sparkline=sparkline)
    return env


def render(name: str, /, **values: object) -> str:
    """Render `name` (a path under messages/templates) to text; lines are joined by spaces,
    so templates may wrap long sentences without the line breaks reaching the message."""
    text = environment().get_template(name).render(**values)
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
