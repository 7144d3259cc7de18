"""Checking Adaptive Cards the way Teams will take them, for any test that renders one.

`validate_card` holds a card to the official Adaptive Card 1.5 schema (draft-06, from
tests/schemas) plus the one rule the schema cannot say: input ids are unique. `markdown_texts`
lists every string Teams will run through markdown, and `assert_inert` says that such a string
shows its text and means nothing (no link, emphasis, list, heading or date function).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft6Validator
from jsonschema.exceptions import best_match

from tests.paths import schema

_VALIDATOR = Draft6Validator(schema("adaptive-card-1.5.schema.json"))
MAX_CARD_BYTES = 28_000
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_MIDLINE = frozenset("[]*_`~<|")
_LINE_START = re.compile(r"[#>+=-]|\d+[.)]")


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a card, depth first (inside containers, action sets and Show cards)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in walk(card) if str(n.get("type", "")).startswith("Input.")]


def validate_card(card: dict[str, Any]) -> dict[str, Any]:
    """Raise AssertionError (with the most relevant schema error) unless `card` is valid."""
    error = best_match(_VALIDATOR.iter_errors(card))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise AssertionError(f"invalid Adaptive Card at /{where}: {error.message}")
    ids = [i["id"] for i in inputs(card)]
    assert len(ids) == len(set(ids)), f"duplicate input ids: {ids}"
    return card


def card_size(card: dict[str, Any], *, ascii_only: bool = True) -> int:
    """Bytes of compact JSON: ASCII-escaped (the largest) or UTF-8."""
    text = json.dumps(card, separators=(",", ":"), ensure_ascii=ascii_only)
    return len(text.encode("utf-8"))


def markdown_texts(card: dict[str, Any]) -> list[str]:
    """Every string Teams renders as markdown: TextBlock text, Fact titles and values, and the
    card's fallback text."""
    found: list[str] = []
    for node in walk(card):
        if node.get("type") == "TextBlock":
            found.append(node["text"])
        elif node.get("type") == "FactSet":
            found += [x for fact in node["facts"] for x in (fact["title"], fact["value"])]
        elif node.get("type") == "AdaptiveCard" and "fallbackText" in node:
            found.append(node["fallbackText"])
    return found


def actions(card: dict[str, Any], kind: str = "Action.Execute") -> list[dict[str, Any]]:
    return [n for n in walk(card) if n.get("type") == kind]


def inert_problem(text: str) -> str | None:
    """Why `text` (TextBlock markdown) could format, link or compute something; None if inert."""
    if "{{" in text:
        return "a template function can start: {{"
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text) or text[i + 1] not in _ASCII_PUNCTUATION:
                return f"a stray backslash at {i}"
            i += 2
            continue
        if char in _MIDLINE:
            return f"an unescaped {char!r} at {i}"
        i += 1
    for line in text.split("\n"):
        if _LINE_START.match(line.lstrip()):
            return f"a line starting with markdown: {line[:20]!r}"
        if line.startswith(("    ", "\t")):
            return f"an indented code block: {line[:20]!r}"
    return None


def assert_inert(text: str) -> None:
    problem = inert_problem(text)
    assert problem is None, f"{problem} in {text!r}"


def unescape(text: str) -> str:
    """What a CommonMark renderer shows for escaped text (paragraphs back to line breaks)."""
    shown = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text.replace("{\u200b{", "{{"))
    return "\n".join(line.replace("\u00a0", " ") for line in shown.split("\n\n"))
