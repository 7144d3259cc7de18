"""Every registered command works on every platform: the test that keeps "defined once" true.

Commands are read from the registry, so a new command is covered the day it is registered: it
must be runnable by someone the config allows, and any form it opens must accept valid answers.
"""

from __future__ import annotations

import pytest

from handlers.catalogue import build_registry
from handlers.config import load_config
from handlers.permissions import allowed
from tests.harness import ALEX, Harness, ref_in, screened
from tests.lessons_flow import add_action, decided_lesson
from tests.platforms import ConsoleDriver, Driver, SlackDriver, TeamsDriver
from tests.slack.conftest import fake_slack, slack  # noqa: F401 (fixtures for SlackDriver)
from tests.teams.conftest import fake_connector  # noqa: F401 (fixtures for TeamsDriver)
from tests.teams.inbound import fake_openid, teams  # noqa: F401

CONFIG = load_config()
REGISTRY = build_registry(CONFIG)
CASES = [
    (command.name, sub.name)
    for command in REGISTRY.commands.values()
    for sub in command.subcommands
]
PLATFORMS = ["console", "slack", "teams"]


def someone_allowed(permission: str, hub: Harness) -> str:
    """The first person the config allows, preferring someone with no special roles."""
    with hub.app.uow_factory() as uow:
        people = [
            (s.email, frozenset(uow.staff.roles_of(s.id) | {"staff"}))
            for s in uow.staff.all_active()
        ]
    people.sort(key=lambda person: len(person[1]))
    for email, roles in people:
        if allowed(CONFIG, roles, permission):
            return email
    raise AssertionError(f"nobody in the bundled config may use {permission!r}")


def driver_for(platform: str, hub: Harness, request: pytest.FixtureRequest) -> Driver:
    if platform == "console":
        return ConsoleDriver(hub.app)
    if platform == "slack":  # a live server on the same database, Slack faked at the edge
        return SlackDriver(request.getfixturevalue("slack"))
    if platform == "teams":  # a live server on the same database, Teams faked at the edge
        return TeamsDriver(request.getfixturevalue("teams"))
    raise AssertionError(platform)


def test_the_registry_is_not_empty() -> None:
    assert ("idea", "") in CASES and ("qi", "help") in CASES


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(("command", "sub"), CASES, ids=[f"{c}-{s or 'bare'}" for c, s in CASES])
def test_command_works(
    hub: Harness, platform: str, command: str, sub: str, request: pytest.FixtureRequest
) -> None:
    spec = REGISTRY.commands[command].find(sub)
    assert spec is not None
    actor = someone_allowed(spec.permission, hub)
    # Someone else's idea, screened by the panel so that every member of staff may see it
    other_ref = screened(hub, ref_in(hub.submit_idea(who="tom.baker@clatterbridge.example")))
    own_ref = ref_in(hub.submit_idea(who=actor)) if actor != ALEX else ref_in(hub.submit_idea())
    lesson_ref = decided_lesson(hub, ["2"])
    action_ref = add_action(hub, lesson_ref, 2)
    args = spec.example_args.format(
        ref=other_ref,
        own_ref=own_ref,
        lesson_ref=lesson_ref,
        action_ref=action_ref,
        committee="PSC",
    )
    line = " ".join(part for part in (f"/{command}", sub, args) if part)
    outcome = driver_for(platform, hub, request).run(actor, line)
    assert outcome.ok, outcome.text
    assert outcome.text.strip(), "the command showed nothing"
    if outcome.form_opened:
        assert "(ok)" in outcome.text, f"the {outcome.form_opened} form did not go through"
