"""Every registered command as a slash command: forms open as valid modals (pre-filled with the
text typed after the command), everything else answers privately through the response_url."""

from __future__ import annotations

from handlers.catalogue import build_registry
from handlers.config import load_config
from handlers.permissions import allowed
from tests.harness import TOM, Harness, ref_in
from tests.lessons_flow import add_action, decided_lesson
from tests.slack.conftest import SlackHarness
from tests.slack.kit import (
    ALEX,
    calls,
    command,
    flat,
    form_from,
    mark,
    slack_user,
    validate_message,
    validate_view,
)

CONFIG = load_config()
REGISTRY = build_registry(CONFIG)


def someone_allowed(hub: Harness, permission: str) -> str:
    with hub.app.uow_factory() as uow:
        people = [
            (s.email, frozenset(uow.staff.roles_of(s.id) | {"staff"}))
            for s in uow.staff.all_active()
        ]
    people.sort(key=lambda person: len(person[1]))
    return next(email for email, roles in people if allowed(CONFIG, roles, permission))


def test_every_registered_command_answers_on_slack(slack: SlackHarness) -> None:
    hub = Harness(slack.hub, slack.hub.clock)  # type: ignore[arg-type]
    other_ref = ref_in(hub.submit_idea(who=TOM))
    lesson_ref = decided_lesson(hub, ["2"])
    action_ref = add_action(hub, lesson_ref, 2)
    seen: dict[str, str] = {}
    for command_spec in REGISTRY.commands.values():
        for sub in command_spec.subcommands:
            email = someone_allowed(hub, sub.permission)
            own_ref = ref_in(hub.submit_idea(who=email))
            args = sub.example_args.format(
                ref=other_ref,
                own_ref=own_ref,
                lesson_ref=lesson_ref,
                action_ref=action_ref,
                committee="PSC",
            )
            text = " ".join(p for p in (f"/{command_spec.name}", sub.name, args) if p)
            since = mark(slack)
            command(slack, slack_user(slack, email), text)
            answer = slack.wait(
                lambda since=since: (
                    calls(slack, "views.open", since) or calls(slack, "response_url", since)
                )
            )[-1]
            if "view" in answer:
                validate_view(answer["view"])
                assert answer["view"]["callback_id"] in REGISTRY.forms, text
                seen[text] = "modal"
            else:
                validate_message(answer)
                assert answer["response_type"] == "ephemeral", text
                assert flat(answer).strip(), text
                for refusal in ("can't do that", "don't know", "can't find you"):
                    assert refusal not in flat(answer), (text, flat(answer))
                seen[text] = "reply"
    assert seen["/idea Quieter night rounds"] == "modal"
    assert seen["/qi help"] == "reply"
    assert len(seen) == sum(len(c.subcommands) for c in REGISTRY.commands.values())


def _initial(view: dict, block_id: str) -> object:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    element = block["element"]
    if "initial_option" in element:
        return element["initial_option"]["value"]
    return element.get("initial_value")


def test_text_after_the_command_prefills_the_form(slack: SlackHarness) -> None:
    since = mark(slack)
    response = slack.command(ALEX, "/idea", "Quieter night rounds")
    assert response.status_code == 200 and response.content == b""  # acked, nothing shown
    opened = slack.wait(lambda: calls(slack, "views.open", since))
    assert opened[0]["trigger_id"] == f"{slack._trigger}.222.trigger"  # this command's trigger
    assert calls(slack, "response_url", since) == []
    view = opened[0]["view"]
    validate_view(view)
    assert view["callback_id"] == "idea.submit"
    assert _initial(view, "title") == "Quieter night rounds"
    assert _initial(view, "mode") == "named"
    big = form_from(slack, ALEX, "/idea big A day-case lounge for radiotherapy")
    assert (big["callback_id"], _initial(big, "title")) == (
        "idea.submit_big",
        "A day-case lounge for radiotherapy",
    )
    lesson = form_from(slack, ALEX, "/lesson Flush syringes look alike")
    assert (lesson["callback_id"], _initial(lesson, "title")) == (
        "lesson.submit",
        "Flush syringes look alike",
    )
    bare = form_from(slack, ALEX, "/lesson")
    assert _initial(bare, "title") is None


def test_replies_are_private_and_do_not_replace_anything(slack: SlackHarness) -> None:
    since = mark(slack)
    command(slack, ALEX, "/idea mine")
    reply = slack.wait(lambda: calls(slack, "response_url", since))[-1]
    validate_message(reply)
    assert (reply["response_type"], reply.get("replace_original", False)) == ("ephemeral", False)
    assert "Your ideas" in flat(reply)
    assert calls(slack, "chat.postMessage", since) == []  # nothing in the channel
