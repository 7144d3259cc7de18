"""Reading the Hub's HTML forms as a browser would: each <form>'s action, what its inputs
would send as they stand (hidden, typed, ticked, chosen), and its button's text. For tests that
press a button or fill in a form on a page, with no JavaScript (the pages have none)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode

import httpx2 as httpx

from tests.signin_kit import request


@dataclass
class HtmlForm:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    """(name, value) as the browser would send them, in order; a name may repeat."""
    names: set[str] = field(default_factory=set)
    """Every input's name, sent or not (an unticked check box)."""
    button: str = ""

    def value(self, name: str) -> str:
        return next((v for n, v in self.fields if n == name), "")

    def values(self, name: str) -> list[str]:
        return [v for n, v in self.fields if n == name]

    def filled(self, answers: dict[str, str | list[str]]) -> list[tuple[str, str]]:
        """What the form sends with `answers` typed over it (a list for check boxes)."""
        out = [(n, v) for n, v in self.fields if n not in answers]
        for name, answer in answers.items():
            for one in [answer] if isinstance(answer, str) else answer:
                out.append((name, one))
        return out


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[HtmlForm] = []
        self.textarea: str | None = None
        self.select: str | None = None
        self.in_button = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(HtmlForm(a.get("action", "")))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name", "")
        if tag == "input" and name:
            form.names.add(name)
            kind = a.get("type", "text")
            if kind not in ("checkbox", "radio") or "checked" in a:
                form.fields.append((name, a.get("value", "")))
        elif tag == "textarea":
            form.names.add(name)
            self.textarea = name
            form.fields.append((name, ""))
        elif tag == "select":
            form.names.add(name)
            self.select = name
        elif tag == "option" and self.select and "selected" in a:
            form.fields.append((self.select, a.get("value", "")))
        elif tag == "button":
            self.in_button = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "button":
            self.in_button = False

    def handle_data(self, data: str) -> None:
        if not self.forms:
            return
        form = self.forms[-1]
        if self.textarea is not None:
            name, value = form.fields[-1]
            form.fields[-1] = (name, value + data)
        elif self.in_button:
            form.button = (form.button + " " + data.strip()).strip()


def forms_in(html: str) -> list[HtmlForm]:
    parser = _Forms()
    parser.feed(html)
    # A textarea's first newline is not part of its value (HTML's parsing rule).
    for form in parser.forms:
        form.fields = [(n, v[1:] if v.startswith("\n") else v) for n, v in form.fields]
    return parser.forms


def press_form(html: str, label: str) -> HtmlForm:
    """The /hub/press form whose button says `label` (exactly one)."""
    found = [f for f in forms_in(html) if f.action == "/hub/press" and f.button == label]
    assert len(found) == 1, [f.button for f in forms_in(html)]
    return found[0]


def the_form(html: str) -> HtmlForm:
    """The page's one form posting to /hub/forms/…"""
    found = [f for f in forms_in(html) if f.action.startswith("/hub/forms/")]
    assert len(found) == 1, [f.action for f in forms_in(html)]
    return found[0]


def post_fields(
    client: httpx.Client, path: str, cookies: dict[str, str], fields: Sequence[tuple[str, str]]
) -> httpx.Response:
    """POST `fields` as a browser sends a form (a name may repeat: ticked check boxes)."""
    return request(
        client,
        "POST",
        path,
        cookies,
        content=urlencode(list(fields)),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
