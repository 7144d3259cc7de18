"""`qi web` on Teams: the sign-in link comes in the personal chat only. A channel has no
private replies, so asked there the bot says to ask in the personal chat and shows no link."""

from __future__ import annotations

import json

from tests.teams import activities
from tests.teams.inbound import TeamsHarness

ALEX = "alex.morgan@clatterbridge.example"
CHANNEL = "19:qi-hub-channel@thread.tacv2"


def test_the_link_comes_in_the_personal_chat(teams: TeamsHarness) -> None:
    assert teams.say(ALEX, "qi web").status_code == 200
    said = json.dumps(teams.replies(ALEX))
    assert "/hub/signin/link/" in said


def test_asked_in_a_channel_the_link_is_not_shown(teams: TeamsHarness) -> None:
    activity = activities.message(teams.service_url, *teams.who(ALEX), "<at>QI Hub</at> qi web")
    activity["conversation"] = {
        "id": CHANNEL,
        "conversationType": "channel",
        "tenantId": activity["conversation"]["tenantId"],
    }
    assert teams.post(activity).status_code == 200
    posted = teams.wait(
        lambda: [
            c.body for c in teams.connector.activities() if c.method == "POST" and CHANNEL in c.path
        ]
    )
    said = json.dumps(posted)
    assert "/hub/signin/link/" not in said
    assert "personal chat" in said
