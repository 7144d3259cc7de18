"""Teams activities built from the recorded fixtures (tests/fixtures/teams), re-addressed
to our fake connector and test people: the envelope Teams really sends, the payload we test."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from tests.paths import recorded
from tests.teams.oidc import CLIENT_ID, TENANT_ID

BOT = {"id": f"28:{CLIENT_ID}", "name": "QI Hub"}
_ids = itertools.count(1)


def fixture(name: str) -> dict[str, Any]:
    return recorded("teams", name)


def _person(user: str, aad: str, name: str = "") -> dict[str, Any]:
    return {"id": user, "aadObjectId": aad, "name": name or user}


def _address(activity: dict[str, Any], service_url: str, user: str, aad: str) -> dict[str, Any]:
    activity["id"] = f"f:{next(_ids):06d}"
    activity["channelId"] = "msteams"
    activity["serviceUrl"] = service_url
    activity["from"] = _person(user, aad)
    activity["recipient"] = dict(BOT)
    activity["conversation"] = {
        "id": personal_conversation(user),
        "conversationType": "personal",
        "tenantId": TENANT_ID,
    }
    activity["channelData"] = {"tenant": {"id": TENANT_ID}}
    return activity


def personal_conversation(user: str) -> str:
    return f"a:personal-{user.removeprefix('29:')}"


def message(service_url: str, user: str, aad: str, text: str) -> dict[str, Any]:
    """A typed message in the bot's personal chat (envelope of the personal conversationUpdate)."""
    activity = copy.deepcopy(fixture("conversationUpdate.bot_added_personal.json")["activity"])
    activity.pop("membersAdded", None)
    activity = _address(activity, service_url, user, aad)
    activity.update(type="message", text=text, textFormat="plain", locale="en-GB")
    return activity


def task_fetch(service_url: str, user: str, aad: str, data: dict[str, Any]) -> dict[str, Any]:
    activity = copy.deepcopy(fixture("invoke.task_fetch.json")["illustrative_activity"])
    activity = _address(activity, service_url, user, aad)
    activity["value"] = {"type": "task/fetch", "data": data, "context": {"theme": "default"}}
    activity["replyToId"] = "1"
    return activity


def task_submit(service_url: str, user: str, aad: str, data: dict[str, Any]) -> dict[str, Any]:
    activity = copy.deepcopy(fixture("invoke.task_submit.json")["illustrative_activity"])
    activity = _address(activity, service_url, user, aad)
    activity["value"] = {"data": data, "context": {"theme": "default"}}
    return activity


def card_action(
    service_url: str, user: str, aad: str, verb: str, data: dict[str, Any], reply_to: str = "1"
) -> dict[str, Any]:
    """adaptiveCard/action (Action.Execute): the invoke envelope with Universal Actions' value."""
    activity = copy.deepcopy(fixture("invoke.task_fetch.json")["illustrative_activity"])
    activity = _address(activity, service_url, user, aad)
    activity["name"] = "adaptiveCard/action"
    activity["value"] = {
        "action": {"type": "Action.Execute", "verb": verb, "data": data},
        "trigger": "manual",
    }
    activity["replyToId"] = reply_to
    return activity


def personal_install(service_url: str, user: str, aad: str) -> dict[str, Any]:
    """The bot added to a person's personal scope (conversationUpdate, membersAdded has the bot)."""
    activity = copy.deepcopy(fixture("conversationUpdate.bot_added_personal.json")["activity"])
    activity = _address(activity, service_url, user, aad)
    activity["membersAdded"] = [dict(BOT), _person(user, aad)]
    return activity


def channel_install(service_url: str, user: str, aad: str, action: str = "add") -> dict[str, Any]:
    """installationUpdate in a team channel, exactly as the fixture has it but addressed to us."""
    activity = copy.deepcopy(fixture("installationUpdate.add.json")["activity"])
    activity["id"] = f"f:{next(_ids):06d}"
    activity["serviceUrl"] = service_url
    activity["from"] = _person(user, aad)
    activity["recipient"] = dict(BOT)
    activity["action"] = action
    activity["conversation"]["tenantId"] = TENANT_ID
    activity["channelData"]["tenant"] = {"id": TENANT_ID}
    return activity
