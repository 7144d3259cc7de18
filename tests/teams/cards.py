"""Reading Adaptive Cards the bot sent and acting on them as a person in Teams would: find the
buttons actually drawn, open dialogs, fill the inputs (Teams posts every value as a string)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from tests.teams_cards import validate_card


def card_of(activity: Mapping[str, Any]) -> dict[str, Any]:
    """The Adaptive Card in a message activity (validated against the 1.5 schema on the way)."""
    attachments = activity.get("attachments") or []
    assert attachments, f"no card in {activity}"
    card: dict[str, Any] = attachments[0]["content"]
    validate_card(card)
    return card


def dialog_card(body: Mapping[str, Any]) -> dict[str, Any]:
    """The card of a task/fetch or task/submit `continue` answer."""
    assert body["task"]["type"] == "continue", body
    card: dict[str, Any] = body["task"]["value"]["card"]["content"]
    validate_card(card)
    return card


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def actions(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [n for n in _walk(card) if str(n.get("type", "")).startswith("Action.")]


def card_button(card: Mapping[str, Any], title: str) -> dict[str, Any]:
    wanted = title.rstrip("…")
    found = [a for a in actions(card) if str(a.get("title", "")).rstrip("…") == wanted]
    found = found or [a for a in actions(card) if str(a.get("title", "")).startswith(wanted)]
    if not found:
        raise AssertionError(f"no button {title!r} in {[a.get('title') for a in actions(card)]}")
    return confirmed(found[0])


def confirmed(action: dict[str, Any]) -> dict[str, Any]:
    """The Action.Execute a person sends by pressing `action`: for a destructive button (an
    Action.ShowCard asking first), the "Yes" inside it."""
    if action.get("type") != "Action.ShowCard":
        return action
    inner = [a for a in actions(action["card"]) if a.get("type") == "Action.Execute"]
    assert len(inner) == 1 and str(inner[0]["title"]).startswith("Yes, "), action
    return inner[0]


def inputs(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in _walk(card) if str(n.get("type", "")).startswith("Input.")}


def text_of(card: Mapping[str, Any]) -> str:
    """Everything a person reads on the card, one string (markdown escapes removed)."""
    parts: list[str] = []
    for node in _walk(card):
        for key in ("text", "title", "value"):
            if isinstance(node.get(key), str) and node.get("type") not in ("Input.Text",):
                parts.append(node[key])
    return "\n".join(parts).replace("\\", "")


def as_teams_string(value: Any) -> str:
    """How Teams posts an input's value: everything a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def fill(card: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """What Teams sends when a person fills the card's inputs and presses its submit button:
    the submit action's data plus every input's value (inputs left alone keep their value)."""
    submit = next(
        a
        for a in actions(card)
        if a["type"] in ("Action.Submit", "Action.Execute")
        and a.get("verb", "qi_submit") == "qi_submit"
    )
    data: dict[str, Any] = dict(submit.get("data") or {})
    for name, element in inputs(card).items():
        if name in answers:
            data[name] = as_teams_string(answers[name])
        elif "value" in element:
            data[name] = str(element["value"])
        else:
            data[name] = ""
    json.dumps(data)  # Teams only ever posts JSON
    return data
