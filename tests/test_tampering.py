"""Nothing the client sends back is trusted. Every registered button and every registered form,
on Slack (the real bolt app, signed requests) and Teams (the real SDK, valid tokens), is pressed
or submitted with what an attacker holding the message can change: a button value edited or
moved to another action, a form's hidden context edited, a form session used for another form
or by another person. Each is refused and the database is exactly as it was.

The lists come from the registry, so a button or form added later is tested without anyone
remembering to add it here.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, select

from handlers import dispatch
from handlers.catalogue import build_registry
from handlers.config import load_config
from handlers.form_sessions import SESSION_KEY
from handlers.seals import SEAL, sealed, signature
from messages import blockkit
from messages.view import OpenForm, Reply
from store.base import Base
from store.models import Idea, OutboxMessage
from tests.harness import IDEA, Harness
from tests.slack import signed
from tests.slack.conftest import SlackHarness, fake_slack, slack  # noqa: F401 (fixtures)
from tests.teams.conftest import fake_connector  # noqa: F401 (fixture)
from tests.teams.inbound import TeamsHarness, fake_openid, teams  # noqa: F401 (fixtures)

REGISTRY = build_registry(load_config())
ACTIONS = sorted(REGISTRY.actions)
FORMS = sorted(REGISTRY.forms)
ALEX_EMAIL = "alex.morgan@clatterbridge.example"
TOM_EMAIL = "tom.baker@clatterbridge.example"
IGNORED = {"inbound_request", "form_session", "server_secret"}
"""Bookkeeping a refused request may touch (its key is remembered so a retry is answered
once; a seal key is made on first use): nothing anyone sees or acts on."""
EDITED = {"ref": "IDEA-2026-0001", "to": "approved", "step": "verify", "id": "1"}


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that records something, as text. The outbox is compared by
    what it holds (which messages, saying what), not by its delivery progress, which the web
    process's own sender moves on while a test runs."""
    with engine.connect() as connection:
        found = {
            table.name: sorted(tuple(map(repr, row)) for row in connection.execute(select(table)))
            for table in Base.metadata.sorted_tables
            if table.name not in IGNORED | {"outbox"}
        }
        found["outbox"] = sorted(
            (row.dedupe_key, repr(row.payload)) for row in connection.execute(select(OutboxMessage))
        )
    return found


def key_of(hub: Any) -> bytes:
    key: bytes = hub.seal_key()
    return key


def tampered_values(key: bytes, action: str) -> list[dict[str, str]]:
    """What an attacker can send for `action`: no seal, a seal for other values, another
    action's genuine seal, and a made-up seal."""
    genuine_elsewhere = sealed(key, "qi.command", {"text": "/qi mine"})
    forged = dict(EDITED)
    return [
        forged,
        {**sealed(key, action, {"ref": "IDEA-2026-0001"}), "to": "approved"},
        {**genuine_elsewhere, **EDITED, SEAL: genuine_elsewhere[SEAL]},
        {**EDITED, SEAL: signature(b"not the server's key", action, EDITED)},
    ]


@pytest.fixture
def seeded_slack(slack: SlackHarness) -> SlackHarness:  # noqa: F811
    """An idea and a lesson exist, so an edited reference points at something real."""
    from tests.slack.kit import submit_idea, submit_lesson

    submit_idea(slack)
    submit_lesson(slack)
    return slack


def test_every_slack_button_with_an_edited_value_changes_nothing(
    seeded_slack: SlackHarness,
) -> None:
    """One harness for every action (a server each would take minutes): each failure names
    the action and the value that got through."""
    hub = seeded_slack.hub
    before = snapshot(hub.engine)
    for action in ACTIONS:
        for value in tampered_values(key_of(hub), action):
            seeded_slack.fake.reset()
            encoded = json.dumps(value)
            element = {"action_id": f"{blockkit.ACTION_PREFIX}{action}|0", "value": encoded}
            assert seeded_slack.press("U0ALEX", element).status_code == 200
            answered = seeded_slack.wait(lambda: seeded_slack.fake.of("response_url"))
            assert "out of date or was changed" in json.dumps(answered), (action, value)
    assert snapshot(hub.engine) == before


def test_every_teams_button_with_an_edited_value_changes_nothing(
    teams: TeamsHarness,  # noqa: F811
) -> None:
    introduce(teams)
    before = snapshot(teams.hub.engine)
    for action in ACTIONS:
        for value in tampered_values(key_of(teams.hub), action):
            response = teams.execute(ALEX_EMAIL, "qi", {"qi_action": action, "qi_value": value})
            assert response.status_code == 200
            assert "out of date or was changed" in response.text, (action, value)
    assert snapshot(teams.hub.engine) == before


def introduce(teams: TeamsHarness) -> None:  # noqa: F811
    """Alex's and Tom's first Teams messages, which link their Entra ids (not what is tested)."""
    for email in (ALEX_EMAIL, TOM_EMAIL):
        assert teams.say(email, "qi help").status_code == 200


def alex_session(hub: Any) -> str:
    """A genuine form session: the one Alex's own `/idea` opened."""
    opened = hub.interact(ALEX_EMAIL, "test", lambda ctx: dispatch.run_command(ctx, "/idea"))
    assert isinstance(opened, OpenForm)
    return str(opened.context[SESSION_KEY])


def slack_metadata(hub: Any, form_id: str, fields: dict[str, str]) -> str:
    return json.dumps(sealed(key_of(hub), f"slack-modal:{form_id}", fields))


def slack_form_attempts(hub: Any, form_id: str, session: str) -> list[tuple[str, str]]:
    """(who, private_metadata) an attacker could send for `form_id`."""
    other = "idea.decision" if form_id == "idea.submit" else "idea.submit"
    attempts = [
        ("U0ALEX", json.dumps({"s": session, "to": "approved"})),  # unsigned
        ("U0ALEX", slack_metadata(hub, other, {"s": session})),  # signed for another form
        ("U0ALEX", slack_metadata(hub, form_id, {"s": "made-up-session-id"})),
        ("U0TOM", slack_metadata(hub, form_id, {"s": session})),  # Alex's, by Tom
    ]
    if form_id != "idea.submit":
        attempts.append(("U0ALEX", slack_metadata(hub, form_id, {"s": session})))  # wrong form
    return attempts


def test_every_slack_form_with_an_edited_context_changes_nothing(
    slack: SlackHarness,  # noqa: F811
) -> None:
    hub = slack.hub
    session = alex_session(hub)
    for user in ("U0ALEX", "U0TOM"):  # a first interaction links the Slack id: not the test
        slack.command(user, "/qi", "help")
    slack.wait(lambda: len(slack.fake.of("response_url")) >= 2)
    before = snapshot(hub.engine)
    for form_id in FORMS:
        for user, metadata in slack_form_attempts(hub, form_id, session):
            view = {"callback_id": form_id, "blocks": [], "private_metadata": metadata}
            body = signed.view_submission(view, {}, user, view_id=f"V{abs(hash(metadata))}")
            assert slack.post(body).status_code == 200, (form_id, user)
    assert snapshot(hub.engine) == before


def test_every_teams_form_with_an_edited_context_changes_nothing(
    teams: TeamsHarness,  # noqa: F811
) -> None:
    session = alex_session(teams.hub)
    introduce(teams)
    before = snapshot(teams.hub.engine)
    for form_id in FORMS:
        attempts = [
            (ALEX_EMAIL, {"s": "made-up-session-id"}),
            (ALEX_EMAIL, {"to": "approved", "ref": "IDEA-2026-0001"}),
            (TOM_EMAIL, {"s": session}),  # Alex's session, by Tom
        ]
        if form_id != "idea.submit":
            attempts.append((ALEX_EMAIL, {"s": session}))  # a session for another form
        for email, context in attempts:
            data = {"qi_form": form_id, "qi_context": context}
            assert teams.submit(email, data).status_code < 500, (form_id, email)
            assert teams.execute(email, "qi_submit", data).status_code < 500, (form_id, email)
    assert snapshot(teams.hub.engine) == before


def test_a_genuine_session_still_works_after_all_that(slack: SlackHarness) -> None:  # noqa: F811
    """The refusals above are not refusing everything: Alex's own form goes through."""
    from tests.slack.kit import submit_idea

    assert submit_idea(slack).startswith("IDEA-")


def _ideas(hub: Harness) -> int:
    with hub.app.uow_factory() as uow:
        return len(uow.session.scalars(select(Idea)).all())


@pytest.mark.parametrize("mode", ["named", "anonymous"])
def test_a_double_submit_stores_one_idea(hub: Harness, mode: str) -> None:
    """The same form sent twice (a card pressed twice, two tabs; not a platform retry, which
    carries the same id): one idea, and the second is told it was already sent (no receipt
    again: it is shown once and kept nowhere)."""
    opened = hub.command(ALEX_EMAIL, "/idea")
    first = hub.fill(ALEX_EMAIL, opened, {**IDEA, "mode": mode})
    second = hub.fill(ALEX_EMAIL, opened, {**IDEA, "mode": mode})
    assert isinstance(first, Reply) and isinstance(second, Reply)
    assert "IDEA-" in first.summary
    assert "already sent" in second.summary
    assert not re.search(r"R-[0-9A-Z]{5}-[0-9A-Z]{5}", str(second))
    assert _ideas(hub) == 1


def test_two_submits_at_the_same_instant_store_one_idea(hub: Harness) -> None:
    """Both submits race on separate connections (PostgreSQL really runs them at once): the
    form session is claimed by one, the other waits and finds it used."""
    opened = hub.command(ALEX_EMAIL, "/idea")
    assert isinstance(opened, OpenForm)
    start = threading.Barrier(2)
    answers: list[Any] = []

    def submit() -> None:
        start.wait()
        answers.append(hub.fill(ALEX_EMAIL, opened, IDEA))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 2
    assert _ideas(hub) == 1
