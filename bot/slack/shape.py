"""Refuse signed Slack requests whose shape Slack never sends, before bolt reads them.

bolt indexes payloads as Slack documents them (`actions[0]["action_id"]`, `view["callback_id"]`)
while it builds the arguments of every middleware and listener; a malformed body that still
carries a valid signature makes those lookups raise and the request end in a 500. Checking the
few fields routing relies on, before dispatch, turns it into a clean 400.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from bot.payloads import has_nul


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _user_ok(body: Mapping[str, Any]) -> bool:
    user = body.get("user")
    return isinstance(user, dict) and _is_str(user.get("id"))


def _command_problem(body: dict[str, Any]) -> str | None:
    fields = ("command", "user_id", "text", "trigger_id")
    if not all(_is_str(body.get(name, "")) for name in fields):
        return "malformed slash command"
    return None


def _block_actions_problem(body: dict[str, Any]) -> str | None:
    actions = body.get("actions")
    if not (isinstance(actions, list) and actions):
        return "block_actions without actions"
    if not all(isinstance(a, dict) and _is_str(a.get("action_id")) for a in actions):
        return "malformed action"
    if not _user_ok(body):
        return "block_actions without a user"
    return None


def _view_problem(body: dict[str, Any]) -> str | None:
    view = body.get("view")
    if not (isinstance(view, dict) and _is_str(view.get("callback_id"))):
        return "malformed view"
    state = view.get("state", {})
    if not isinstance(state, dict) or not isinstance(state.get("values", {}), dict):
        return "malformed view state"
    if not _user_ok(body):
        return "view without a user"
    return None


def _event_problem(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if not (isinstance(event, dict) and _is_str(event.get("type"))):
        return "malformed event"
    return None


def _shortcut_problem(body: dict[str, Any]) -> str | None:
    return None if _is_str(body.get("callback_id")) else "malformed shortcut"


BY_TYPE: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "block_actions": _block_actions_problem,
    "view_submission": _view_problem,
    "view_closed": _view_problem,
    "event_callback": _event_problem,
    "shortcut": _shortcut_problem,
    "message_action": _shortcut_problem,
}
"""What routing reads of each payload type, checked before bolt reads it."""


def problem(body: Any) -> str | None:
    """What is wrong with `body`'s shape, or None when routing can read it safely."""
    if not isinstance(body, dict):
        return "not a Slack payload"
    if has_nul(body):
        return "a NUL character in the payload"
    if not _is_str(body.get("type", "")):
        return "malformed type"
    for name in ("team", "user", "channel", "container", "event", "view", "enterprise"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            return f"malformed {name}"
    if "command" in body:
        return _command_problem(body)
    check = BY_TYPE.get(str(body.get("type", "")))
    return check(body) if check is not None else None


def signed_but_malformed(
    verifier: SignatureVerifier | None, body: str, headers: Mapping[str, str]
) -> str | None:
    """The shape problem of a correctly signed request (None for unsigned ones: bolt refuses
    those with 401, and an unsigned sender learns nothing about what we parse)."""
    if verifier is None or not verifier.is_valid_request(body, dict(headers)):
        return None
    try:
        parsed = parse_body(body, headers.get("content-type"))
    except (ValueError, TypeError, RecursionError):  # RecursionError: nested beyond reason
        return "not a Slack payload"
    return problem(parsed)
