"""The sign-in pages as plain, accessible HTML (no script, no external assets), kept apart from
the rules (handlers/signin) and the routes (web.py), so the Hub's page shell can replace them.
Jinja2 with autoescaping: a name containing markup shows as text."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from handlers.signin.sessions import SignedIn
from messages.templates import TEMPLATES

METHODS = {"link": "a sign-in link from chat", "entra": "your Microsoft account"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES / "signin"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(organisation: str, view: str, title: str, **values: object) -> str:
    page = environment().get_template("page.html")
    return page.render(organisation=organisation, view=view, title=title, **values)


def sign_in(organisation: str, *, entra: bool, next_path: str, message: str = "") -> str:
    return _render(organisation, "sign_in", "Sign in", entra=entra, next=next_path, message=message)


def continue_as(organisation: str, name: str) -> str:
    return _render(organisation, "continue", "Sign in to QI Hub", name=name)


def account(organisation: str, person: SignedIn) -> str:
    return _render(
        organisation,
        "account",
        "Your sign-in",
        name=person.actor.name,
        email=person.actor.email,
        method=METHODS.get(person.method, person.method),
        csrf=person.csrf,
    )


def note(
    organisation: str, title: str, message: str, *, stop: bool = True, again: bool = False
) -> str:
    """A page of one sentence: a refusal, or "signed out"."""
    return _render(organisation, "note", title, message=message, stop=stop, again=again)
