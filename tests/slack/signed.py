"""Signed Slack requests built from the recorded payloads in tests/fixtures/slack."""

from __future__ import annotations

import copy
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.paths import recorded

SECRET = "test-signing-secret-0123456789abcdef"


def fixture(name: str) -> dict[str, Any]:
    return recorded("slack", name)


def signed_headers(
    body: str,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def slash_command(
    command: str,
    text: str,
    user: str,
    *,
    response_url: str,
    trigger: str = "111.111.xxx",
    channel: str = "C111",
) -> str:
    """The recorded slash-command body with this command, text, user and trigger."""
    body = dict(fixture("slash_command.form.json")["parsed"])
    body.update(
        command=command,
        text=text,
        user_id=user,
        trigger_id=trigger,
        channel_id=channel,
        response_url=response_url,
    )
    return urlencode(body)


def block_action(
    action_id: str,
    value: str,
    user: str,
    *,
    response_url: str,
    trigger: str = "111.222.valid",
    channel: str = "C111",
    message_ts: str = "111.222",
    ephemeral: bool = False,
    home_view: str | None = None,
) -> str:
    """A button press on a message (or, with `home_view`, on the App Home tab of that id)."""
    payload = copy.deepcopy(fixture("block_actions.json")["payload"])
    payload["user"]["id"] = user
    payload["trigger_id"] = trigger
    payload["response_url"] = response_url
    payload["container"].update(channel_id=channel, message_ts=message_ts, is_ephemeral=ephemeral)
    if home_view is not None:  # Slack sends no response_url or channel for the Home tab
        payload["container"] = {"type": "view", "view_id": home_view}
        payload["view"] = {"id": home_view, "type": "home"}
        del payload["response_url"], payload["channel"]
    payload["actions"][0].update(action_id=action_id, value=value, action_ts=f"{time.time():.6f}")
    return urlencode({"payload": json.dumps(payload)})


def view_submission(
    view: dict[str, Any], values: dict[str, Any], user: str, view_id: str = "V111"
) -> str:
    """A submission of `view` (as we opened it) with the person's answers filled in."""
    payload = copy.deepcopy(fixture("view_submission.json")["payload"])
    payload["user"]["id"] = user
    submitted = payload["view"]
    submitted.update(
        id=view_id,
        callback_id=view["callback_id"],
        blocks=view["blocks"],
        private_metadata=view.get("private_metadata", ""),
    )
    submitted["state"] = {"values": values}
    return urlencode({"payload": json.dumps(payload)})


def answers(view: dict[str, Any], by_field: dict[str, Any]) -> dict[str, Any]:
    """view.state.values for `view`, as Slack reports what a person typed or picked."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        name, kind = block["block_id"], element["type"]
        value = by_field.get(name)
        entry: dict[str, Any] = {"type": kind}
        if kind in ("plain_text_input", "email_text_input"):
            entry["value"] = None if value is None else str(value)
        elif kind == "static_select":
            option = next((o for o in element["options"] if o["value"] == value), None)
            entry["selected_option"] = option
        elif kind == "multi_static_select":
            entry["selected_options"] = [
                o for o in element["options"] if o["value"] in (value or [])
            ]
        elif kind == "checkboxes":
            entry["selected_options"] = element["options"] if value else []
        elif kind == "datepicker":
            entry["selected_date"] = value
        state[name] = {element["action_id"]: entry}
    return state


def event(event_body: dict[str, Any], event_id: str) -> str:
    payload = copy.deepcopy(fixture("event_callback.message_im.json")["payload"])
    payload["event"] = event_body
    payload["event_id"] = event_id
    return json.dumps(payload)


def retried(headers: dict[str, str], number: int = 1, reason: str = "http_timeout") -> dict:
    """The headers Slack adds when it delivers a request again."""
    return {**headers, "X-Slack-Retry-Num": str(number), "X-Slack-Retry-Reason": reason}


def url_verification() -> str:
    return json.dumps(fixture("url_verification.json")["payload"])


def app_rate_limited() -> str:
    return json.dumps(fixture("app_rate_limited.json")["payload"])


def message_im(
    text: str | None = None,
    user: str | None = None,
    *,
    event_id: str | None = None,
    channel: str | None = None,
) -> str:
    """The recorded message.im event (the fixture's own values unless overridden)."""
    payload = copy.deepcopy(fixture("event_callback.message_im.json")["payload"])
    overrides = {"text": text, "user": user, "channel": channel}
    payload["event"].update({k: v for k, v in overrides.items() if v is not None})
    if event_id is not None:
        payload["event_id"] = event_id
    return json.dumps(payload)


def app_home_opened(user: str, event_id: str, channel: str = "D0HOME") -> str:
    """app_home_opened in the recorded event_callback envelope (its event body per Slack's
    reference: type, user, channel, tab, event_ts)."""
    return event(
        {
            "type": "app_home_opened",
            "user": user,
            "channel": channel,
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        },
        event_id,
    )
