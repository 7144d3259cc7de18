"""Fuzzing the front doors: whatever a correctly signed Slack request or a validly tokened Teams
activity contains, QI Hub answers with a 2xx or a clean 4xx, never a 500 with a traceback.

Hypothesis mutates real payloads from the fixtures (wrong types, missing keys, huge and hostile
strings) as well as inventing bodies from scratch; the live apps (slack-bolt and the Teams SDK)
parse them exactly as in production."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.slack import signed
from tests.slack.conftest import SlackHarness, fake_slack, slack  # noqa: F401 (fixtures)
from tests.teams import activities
from tests.teams.conftest import fake_connector  # noqa: F401 (fixture)
from tests.teams.inbound import TeamsHarness, fake_openid, teams  # noqa: F401 (fixtures)
from tests.teams.oidc import token

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
HOSTILE = st.sampled_from(
    [
        "<!channel>",
        "<@U123>",
        "<https://x|y>",
        "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
        "\u0000",
        "943 476 5919",
        "x" * 5000,
        "'; DROP TABLE idea; --",
        "\u202e",
        "",
    ]
)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def _mutate(data: Any, path: list[Any], value: Any) -> Any:
    """A copy of `data` with the node at `path` replaced by `value`."""
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        node = node[key]
    if path:
        node[path[-1]] = value
    return data


def _paths(data: Any, prefix: list[Any] | None = None) -> list[list[Any]]:
    prefix = prefix or []
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, [*prefix, key])
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, [*prefix, index])
    return found


SLACK_PAYLOADS = [
    signed.fixture("block_actions.json")["payload"],
    signed.fixture("view_submission.json")["payload"],
]


@FUZZ
@given(st.data())
def test_signed_slack_requests_never_cause_a_500(slack: SlackHarness, data: st.DataObject) -> None:  # noqa: F811
    kind = data.draw(st.sampled_from(["payload", "command", "event", "invented"]))
    if kind == "payload":
        base = data.draw(st.sampled_from(SLACK_PAYLOADS))
        path = data.draw(st.sampled_from(_paths(base)))
        value = data.draw(JSON | HOSTILE)
        body = urlencode({"payload": json.dumps(_mutate(base, path, value))})
    elif kind == "command":
        fields = dict(signed.fixture("slash_command.form.json")["parsed"])
        fields["command"] = data.draw(st.sampled_from(["/idea", "/lesson", "/qi", "/nope"]))
        fields["text"] = data.draw(HOSTILE | st.text(max_size=200))
        if data.draw(st.booleans()):
            fields.pop(data.draw(st.sampled_from(sorted(fields))))
        body = urlencode(fields)
    elif kind == "event":
        event = data.draw(
            st.dictionaries(
                st.sampled_from(["type", "user", "text", "channel", "channel_type", "tab"]),
                JSON | HOSTILE,
            )
        )
        body = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": event})
    else:
        body = data.draw(st.text(max_size=300))
    content_type = "application/json" if kind == "event" else "application/x-www-form-urlencoded"
    response = slack.post(body, signed.signed_headers(body, content_type=content_type))
    assert response.status_code < 500, (response.status_code, body[:300])


TEAMS_BASES = ["message", "task_fetch", "task_submit", "card_action", "install"]


def _teams_base(teams: TeamsHarness, which: str) -> dict[str, Any]:  # noqa: F811
    who = teams.who("alex.morgan@clatterbridge.example")
    url = teams.service_url
    match which:
        case "message":
            return activities.message(url, *who, "qi mine")
        case "task_fetch":
            return activities.task_fetch(url, *who, {"qi_form": "idea.submit"})
        case "task_submit":
            return activities.task_submit(url, *who, {"qi_form": "idea.submit", "title": "x"})
        case "card_action":
            return activities.card_action(
                url, *who, "qi", {"qi_action": "qi.command", "qi_value": {"text": "/qi mine"}}
            )
        case _:
            return activities.personal_install(url, *who)


@FUZZ
@given(st.data())
def test_tokened_teams_activities_never_cause_a_500(
    teams: TeamsHarness,  # noqa: F811
    data: st.DataObject,
) -> None:
    base = _teams_base(teams, data.draw(st.sampled_from(TEAMS_BASES)))
    paths = [p for p in _paths(base) if p != ["serviceUrl"]]  # the token is bound to it
    path = data.draw(st.sampled_from(paths))
    activity = _mutate(base, path, data.draw(JSON | HOSTILE))
    response = teams.post(activity)
    assert response.status_code < 500, (response.status_code, path, response.text[:300])


# ---------------------------------------------------------------------- what the fuzzing found
def test_a_nul_in_a_teams_activity_is_refused_not_a_500(teams: TeamsHarness) -> None:  # noqa: F811
    """Found on PostgreSQL, whose text cannot hold NUL: a conversation id of "\\x00" reached a
    query and failed there."""
    activity = _teams_base(teams, "message")
    activity["conversation"]["id"] = "\x00"
    response = teams.post(activity)
    assert response.status_code == 400, response.text
    assert "NUL" in response.text


def test_a_nul_in_a_signed_slack_payload_is_refused(slack: SlackHarness) -> None:  # noqa: F811
    fields = dict(signed.fixture("slash_command.form.json")["parsed"])
    fields["text"] = "Label the \x00 pumps"
    body = urlencode(fields)
    response = slack.post(body, signed.signed_headers(body))
    assert response.status_code == 400, response.text


def test_json_nested_beyond_reason_is_refused(
    slack: SlackHarness,  # noqa: F811
    teams: TeamsHarness,  # noqa: F811
) -> None:
    """json.loads raises RecursionError, not ValueError, on deep nesting."""
    deep = "[" * 100_000 + "]" * 100_000
    body = '{"type": "event_callback", "event": ' + deep + "}"
    headers = signed.signed_headers(body, content_type="application/json")
    assert slack.post(body, headers).status_code == 400
    activity = _teams_base(teams, "message")
    raw = json.dumps(activity)[:-1] + ', "x": ' + "[" * 50_000 + "]" * 50_000 + "}"
    value = token(activity["serviceUrl"])
    response = teams.http.post(
        "/api/messages",
        content=raw,
        headers={"Authorization": f"Bearer {value}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text


def test_an_identifier_longer_than_teams_sends_is_refused(teams: TeamsHarness) -> None:  # noqa: F811
    """Found on PostgreSQL, which enforces column sizes: an installation whose conversation
    id was 5,000 characters long failed when it was stored."""
    activity = _teams_base(teams, "install")
    activity["conversation"]["id"] = "x" * 5000
    response = teams.post(activity)
    assert response.status_code == 400, response.text
    assert "conversation.id" in response.text
