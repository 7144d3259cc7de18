"""The permission matrix: every route `qihub web` mounts, asked by every kind of person, answers
as the table in tests/hub_routes.py says, on SQLite and PostgreSQL.

The personas are signed out, staff, a governance lead, the ideas panel and an admin, signed in
with a link from chat as a person would; and two unknown people, a forged session cookie and
the real session of someone since marked inactive, who must get exactly what signed out gets.
Every POST a signed-in person makes is refused without the session's CSRF token and when the
browser says another site sent it. Routes that are not Hub pages (webhooks, links whose token
is the credential, assets) are in the table's DOORS, each with a forged request it refuses.
A route mounted in neither table, or an entry for a route no longer mounted, is a failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi import FastAPI

from bot.app import QIHub
from bot.web import create_web_app
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from handlers.signin import tokens
from tests.fake_entra import FakeEntra
from tests.harness import TOM, Harness
from tests.hub_routes import (
    CROSS_SITE,
    DOORS,
    FORGED,
    LEAVER,
    PEOPLE,
    PERSONAS,
    ROUTES,
    SIGNED_OUT,
    UNKNOWN,
    Outcome,
    Route,
    build_records,
    whole_hub,
)
from tests.signin_kit import DEV_COOKIE, csrf_of, in_process, request, signed_in

pytestmark = pytest.mark.slow
Jar = dict[str, dict[str, str]]
"""persona -> the cookies their browser sends."""
NOT_OURS = "0" * 64
"""A CSRF token of the right shape that no session has."""


@pytest.fixture
def entra(tmp_path: Path) -> Iterator[FakeEntra]:
    fake = FakeEntra(tmp_path)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def app(db_url: str, clock: ManualClock, config: OrgConfig, entra: FakeEntra) -> Iterator[QIHub]:
    """The `hub` fixture's app with every route mounted (Slack, Teams, Notify, Entra ID)."""
    hub = whole_hub(db_url, clock, config, entra.url)
    yield hub
    hub.engine.dispose()


@pytest.fixture
def web(hub: Harness, entra: FakeEntra) -> FastAPI:
    return create_web_app(hub.app, entra_verify=entra.ca_file)


def mounted(web: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route; a mount or websocket counts under "*"."""
    return {
        (method, route.path)
        for route in web.routes
        for method in (getattr(route, "methods", None) or {"*"})
    }


def aims_at(template: str, path: str) -> bool:
    """`path` is an address of the route `template` (so a probe tests the door it is listed
    under, not a 404 from no route at all)."""
    pattern = re.sub(
        r"\{[^}:]+:path\}", ".+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    )
    return re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", pattern), path.split("?")[0]) is not None


def sign_everyone_in(hub: Harness, client: httpx.Client) -> Jar:
    """Each persona's cookies: none, a session of each signed-in persona, a forged cookie, and
    a leaver's session (Tom signed in, then marked inactive)."""
    jar: Jar = {SIGNED_OUT: {}, FORGED: {DEV_COOKIE: tokens.new_token()}}
    for persona, who in PEOPLE.items():
        jar[persona] = signed_in(hub, client, who)
    jar[LEAVER] = signed_in(hub, client, TOM)
    with hub.app.uow_factory() as uow:
        tom = uow.staff.by_email(TOM)
        assert tom is not None
        tom.active = False
        uow.commit()
    return jar


def ask(
    client: httpx.Client,
    route: Route,
    records: dict[str, str],
    cookies: dict[str, str],
    csrf: str | None = NOT_OURS,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """The route's sample, as a browser with `cookies` asks for it (a POST with its form and
    `csrf`, when given)."""
    path = route.address(records)
    if route.method != "POST":
        return request(client, route.method, path, cookies, headers=headers)
    form = {**route.form, **({"csrf": csrf} if csrf is not None else {})}
    return request(client, "POST", path, cookies, data=form, headers=headers)


def outcome(response: httpx.Response) -> Outcome:
    return Outcome(response.status_code, response.headers.get("location"))


def csrf_for(client: httpx.Client, persona: str, jar: Jar) -> str:
    return csrf_of(client, jar[persona]) if persona in PEOPLE else NOT_OURS


# ------------------------------------------------------------------------------ the tables
def test_every_route_the_web_app_mounts_is_in_exactly_one_table(web: FastAPI) -> None:
    tabled = [(r.method, r.template) for r in ROUTES] + [(d.method, d.template) for d in DOORS]
    twice = sorted({entry for entry in tabled if tabled.count(entry) > 1})
    assert twice == [], f"in the tables more than once: {twice}"
    routes = mounted(web)
    missing = sorted(routes - set(tabled))
    assert missing == [], (
        f"mounted but in no table: {missing}. Add each to tests/hub_routes.py: ROUTES (a Hub "
        "page or form, with what each persona gets) or DOORS (its own authentication)"
    )
    gone = sorted(set(tabled) - routes)
    assert gone == [], f"in tests/hub_routes.py but no longer mounted: {gone}"


def test_the_table_names_every_persona_and_only_real_ones() -> None:
    known = set(PERSONAS)
    for route in ROUTES:
        assert set(route.only) <= known, route
        assert route.method in ("GET", "POST"), route
        assert route.method == "POST" or not (route.form or route.ends_session), route
    assert set(UNKNOWN).isdisjoint(known)


# ------------------------------------------------------------------------------ the matrix
def test_every_persona_gets_what_the_table_says_and_unknown_people_what_signed_out_gets(
    hub: Harness, web: FastAPI
) -> None:
    records = build_records(hub)
    wrong: list[str] = []
    with in_process(web) as client:
        jar = sign_everyone_in(hub, client)
        for route in ROUTES:
            answers: dict[str, httpx.Response] = {}
            for persona in (*PERSONAS, *UNKNOWN):
                csrf = csrf_for(client, persona, jar) if route.method == "POST" else None
                answers[persona] = ask(client, route, records, jar[persona], csrf)
                got, want = outcome(answers[persona]), route.expect(persona, records)
                if got != want:
                    wrong.append(f"{route.method} {route.sample} as {persona}: {got}, not {want}")
            for persona in UNKNOWN:
                if answers[persona].content != answers[SIGNED_OUT].content:
                    wrong.append(f"{route.method} {route.sample}: {persona} sees another page")
            if route.ends_session:
                jar.update({p: signed_in(hub, client, who) for p, who in PEOPLE.items()})
    assert wrong == [], "\n".join(wrong)


def test_every_post_needs_the_sessions_csrf_token_and_our_own_page(
    hub: Harness, web: FastAPI
) -> None:
    """For every POST in the table and everyone signed in: refused (403) with no token, with
    another session's, and with the right one from another site; and the session goes on."""
    posts = [route for route in ROUTES if route.method == "POST"]
    assert posts
    records = build_records(hub)
    wrong: list[str] = []
    with in_process(web) as client:
        jar = {p: signed_in(hub, client, who) for p, who in PEOPLE.items()}
        for route in posts:
            for persona, cookies in jar.items():
                right = csrf_of(client, cookies)
                tries = {
                    "no token": ask(client, route, records, cookies, None),
                    "a wrong token": ask(client, route, records, cookies, NOT_OURS),
                    "another site": ask(client, route, records, cookies, right, dict(CROSS_SITE)),
                }
                for how, answer in tries.items():
                    if answer.status_code != 403:
                        got = answer.status_code
                        wrong.append(f"{route.sample} as {persona} with {how}: {got}")
                if request(client, "GET", "/hub/account", cookies).status_code != 200:
                    wrong.append(f"{route.sample} as {persona}: a refused POST ended the session")
                    jar[persona] = signed_in(hub, client, PEOPLE[persona])
    assert wrong == [], "\n".join(wrong)


# ------------------------------------------------------------------------------ doors
def test_each_route_with_its_own_authentication_refuses_a_forged_request(
    hub: Harness, web: FastAPI
) -> None:
    """Signed in or not (a session is no credential here), each forged request is refused as
    DOORS says, and none starts a session."""
    wrong: list[str] = []
    with in_process(web) as client:
        staff = signed_in(hub, client, PEOPLE["staff"])
        for door in DOORS:
            assert door.reason and door.refuses, door
            for forged in door.refuses:
                assert forged.method == door.method and aims_at(door.template, forged.path)
                for cookies in ({}, staff):
                    answer = request(
                        client,
                        forged.method,
                        forged.path,
                        cookies,
                        headers=dict(forged.headers),
                        data=forged.data,
                        content=forged.content,
                        json=forged.json,
                    )
                    if answer.status_code != forged.status:
                        wrong.append(
                            f"{forged.method} {forged.path}: {answer.status_code}, "
                            f"not {forged.status}"
                        )
                    if DEV_COOKIE in answer.headers.get("set-cookie", ""):
                        wrong.append(f"{forged.method} {forged.path} set a session cookie")
    assert wrong == [], "\n".join(wrong)
