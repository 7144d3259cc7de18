"""Reading what the fake Slack Web API received, and acting on it as a person in Slack would:
find the buttons actually rendered, press them, fill the modals that open, and check every
payload against Slack's Block Kit limits with slack_sdk's own models."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx2 as httpx
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy import func, select

from store.base import Base
from tests.harness import LESSON
from tests.slack import signed
from tests.slack.conftest import USERS, SlackHarness

SLACK_ID = {email: user for user, email in USERS.items()}
ALEX, TOM, SAM, JO = "U0ALEX", "U0TOM", "U0SAM", "U0JO"
CHRIS, HELEN, KIM, LEE, NADIA = "U0CHRIS", "U0HELEN", "U0KIM", "U0LEE", "U0NADIA"
STRANGER = "U0STRANGER"
IDEA = {
    "kind": "bright",
    "title": "Colour-coded flush labels",
    "problem": "Saline and heparin flushes look alike on the trolley.",
    "proposed_change": "Colour-coded labels on each flush syringe.",
    "benefits": ["safety", "patients"],
    "benefit_detail": "Fewer mix-ups, measured by the monthly trolley check.",
    "area": "ward-4",
    "srg": "",
    "mode": "named",
    "co_submitters": "",
    "credit": True,
}
LIMITS = {"message_blocks": 50, "modal_blocks": 100, "section": 3000, "field": 2000, "header": 150}
_views = itertools.count(1)


# ------------------------------------------------------------------ reading payloads
def blocks_of(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    if "view" in payload and isinstance(payload["view"], dict):
        return list(payload["view"].get("blocks") or [])
    return list(payload.get("blocks") or [])


def buttons_in(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button element: in actions blocks and as section accessories, in order."""
    found: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("type") == "actions":
            found.extend(e for e in block["elements"] if e.get("type") == "button")
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("type") == "button":
            found.append(accessory)
    return found


def labels(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in buttons_in(blocks)]


def button(blocks: list[dict[str, Any]], label: str) -> dict[str, Any]:
    """The rendered button labelled `label` (a trailing … optional, a unique prefix enough)."""
    wanted = label.rstrip("…")
    found = buttons_in(blocks)
    exact = [b for b in found if b["text"]["text"].rstrip("…") == wanted]
    prefixed = [b for b in found if b["text"]["text"].startswith(wanted)]
    match = exact or (prefixed if len(prefixed) == 1 else [])
    if not match:
        raise AssertionError(f"no button {label!r} in {labels(blocks)}")
    element = match[0]
    assert element["action_id"].startswith("qi|"), element
    return element


def text_objects(payload: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(type, text) of every text a payload carries; a message's top-level `text` (the
    notification fallback) is mrkdwn to Slack."""
    if isinstance(payload, dict):
        kind = payload.get("type")
        if kind in ("mrkdwn", "plain_text") and isinstance(payload.get("text"), str):
            yield kind, payload["text"]
            return
        for name, value in payload.items():
            if name == "text" and isinstance(value, str) and key == "":
                yield "mrkdwn", value
            elif name not in ("value", "action_id", "block_id", "private_metadata"):
                yield from text_objects(value, name)
    elif isinstance(payload, list):
        for item in payload:
            yield from text_objects(item, key or "item")


def flat(payload: Any) -> str:
    return "\n".join(text for _, text in text_objects(payload))


def validate_blocks(blocks: list[dict[str, Any]], limit: int) -> None:
    """Slack's own model validation of each block, plus the limits the docs give."""
    assert len(blocks) <= limit, f"{len(blocks)} blocks (limit {limit})"
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None, raw
        parsed.validate_json()
        match raw["type"]:
            case "section":
                if "text" in raw:
                    assert 0 < len(raw["text"]["text"]) <= LIMITS["section"], raw
                for field in raw.get("fields", []):
                    assert len(field["text"]) <= LIMITS["field"], field
                assert len(raw.get("fields", [])) <= 10
            case "header":
                assert len(raw["text"]["text"]) <= LIMITS["header"]
            case "context":
                assert len(raw["elements"]) <= 10
            case "actions":
                assert len(raw["elements"]) <= 25


def validate_message(payload: Mapping[str, Any]) -> None:
    validate_blocks(blocks_of(payload), LIMITS["message_blocks"])
    assert len(payload.get("text") or "") <= 4000


def validate_view(view: Mapping[str, Any]) -> None:
    View(**view).validate_json()
    validate_blocks(list(view["blocks"]), LIMITS["modal_blocks"])
    assert len(json.dumps(view)) < 250_000


# ------------------------------------------------------------------ the fake's record
def mark(slack: SlackHarness) -> int:
    with slack.fake._lock:
        return len(slack.fake.calls)


def calls(slack: SlackHarness, method: str, since: int = 0) -> list[dict[str, Any]]:
    with slack.fake._lock:
        return [c.params for c in slack.fake.calls[since:] if c.method == method]


def wait_calls(
    slack: SlackHarness,
    method: str,
    since: int = 0,
    where: Callable[[dict[str, Any]], bool] = lambda _p: True,
    count: int = 1,
) -> list[dict[str, Any]]:
    """Wait until at least `count` calls of `method` (matching `where`) arrived since `since`."""
    found: list[dict[str, Any]] = slack.wait(
        lambda: (
            hits
            if len(hits := [p for p in calls(slack, method, since) if where(p)]) >= count
            else None
        )
    )
    return found


def posts_to(slack: SlackHarness, channel: str, since: int = 0) -> list[dict[str, Any]]:
    return [p for p in calls(slack, "chat.postMessage", since) if p.get("channel") == channel]


def ts_of(slack: SlackHarness, post: Mapping[str, Any]) -> str:
    """The ts Slack gave a chat.postMessage (as the fake answered it)."""
    for params, response in slack.fake.answered("chat.postMessage"):
        if params is post:
            return str(response["ts"])
    raise AssertionError("that post was never answered")


def settle(seconds: float = 0.25) -> None:
    """Give work after an ack the time to happen, before asserting it did *not*."""
    time.sleep(seconds)


def count(slack: SlackHarness, model: type[Base]) -> int:
    with slack.hub.uow_factory() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


# ------------------------------------------------------------------ acting as a person
def opened(slack: SlackHarness, since: int) -> dict[str, Any]:
    """The modal opened (views.open) since `since`, validated with slack_sdk's View."""
    view: dict[str, Any] = wait_calls(slack, "views.open", since)[-1]["view"]
    validate_view(view)
    return view


def new_view_id() -> str:
    return f"V0{next(_views):06d}"


def submit(
    slack: SlackHarness,
    user: str,
    view: dict[str, Any],
    by_field: Mapping[str, Any],
    *,
    view_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """Submit `view` as `user` with these answers (each opened view gets its own id)."""
    body = signed.view_submission(
        view, signed.answers(view, dict(by_field)), user, view_id=view_id or new_view_id()
    )
    signed_headers = signed.signed_headers(body)
    response = slack.post(body, {**signed_headers, **(headers or {})})
    assert response.status_code == 200, response.text
    return response


def errors_of(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert body["response_action"] == "errors", body
    errors: dict[str, str] = body["errors"]
    return errors


def command(slack: SlackHarness, user: str, text: str) -> httpx.Response:
    """Type `/idea status X` as `user`: the command and its text, as Slack splits them."""
    name, _, rest = text.partition(" ")
    response = slack.command(user, name, rest)
    assert response.status_code == 200, response.text
    return response


def reply_to(slack: SlackHarness, user: str, text: str) -> dict[str, Any]:
    """Run a command that answers with a message; the response_url post it produced."""
    since = mark(slack)
    command(slack, user, text)
    posted = wait_calls(slack, "response_url", since)[-1]
    validate_message(posted)
    return posted


def form_from(slack: SlackHarness, user: str, text: str) -> dict[str, Any]:
    """Run a command that opens a form; the modal."""
    since = mark(slack)
    command(slack, user, text)
    return opened(slack, since)


def press(
    slack: SlackHarness,
    user: str,
    message: Mapping[str, Any],
    label: str,
    *,
    channel: str = "C111",
    ts: str = "111.222",
    ephemeral: bool = False,
) -> int:
    """Press the button `label` rendered in `message`; returns the fake's mark before it."""
    element = button(blocks_of(message), label)
    since = mark(slack)
    response = slack.press(user, element, channel=channel, message_ts=ts, ephemeral=ephemeral)
    assert response.status_code == 200, response.text
    return since


def submit_idea(slack: SlackHarness, user: str = ALEX, **overrides: Any) -> str:
    """/idea, every field filled, submitted; the reference from the thank-you DM."""
    view = form_from(slack, user, "/idea")
    since = mark(slack)
    response = submit(slack, user, view, {**IDEA, **overrides})
    assert response.content in (b"", b"{}") or "errors" not in response.text, response.text
    dm = wait_calls(slack, "chat.postMessage", since, lambda p: _thanks(p, user, "IDEA"))[-1]
    validate_message(dm)
    return ref_in(flat(dm), "IDEA")


def submit_lesson(slack: SlackHarness, user: str = ALEX, **overrides: Any) -> str:
    view = form_from(slack, user, "/lesson")
    since = mark(slack)
    submit(slack, user, view, {**LESSON, **overrides})
    dm = wait_calls(slack, "chat.postMessage", since, lambda p: _thanks(p, user, "LL"))[-1]
    validate_message(dm)
    return ref_in(flat(dm), "LL")


def _thanks(post: Mapping[str, Any], user: str, prefix: str) -> bool:
    return post["channel"] == user and f"Thank you: {prefix}-" in flat(post)


def ref_in(text: str, prefix: str) -> str:
    import re

    found = re.search(rf"{prefix}-\d{{4}}-\d{{4}}", text)
    assert found, text
    return found.group(0)


def channel_post(slack: SlackHarness, channel: str, contains: str) -> dict[str, Any]:
    post: dict[str, Any] = wait_calls(
        slack, "chat.postMessage", 0, lambda p: p["channel"] == channel and contains in flat(p)
    )[-1]
    validate_message(post)
    return post


def slack_user(slack: SlackHarness, email: str) -> str:
    """This person's Slack user id (people outside the fixture's map get one in the fake)."""
    known = SLACK_ID.get(email) or next(
        (u for u, e in slack.fake.users.items() if e == email), None
    )
    if known:
        return known
    user = "U0" + "".join(ch for ch in email.split("@")[0].upper() if ch.isalnum())
    slack.fake.users[user] = email
    return user


def answer_to(slack: SlackHarness, user: str, since: int, words: str) -> dict[str, Any]:
    """The answer to `user`'s submission that says `words`: a DM, or the message the form was
    opened from replaced through its response_url (other DMs may arrive meanwhile)."""

    def found() -> list[dict[str, Any]]:
        return [
            p
            for method in ("response_url", "chat.postMessage")
            for p in calls(slack, method, since)
            if (method == "response_url" or p.get("channel") == user) and words in flat(p)
        ]

    answer: dict[str, Any] = slack.wait(found)[0]
    validate_message(answer)
    return answer
