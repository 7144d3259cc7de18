"""Adaptive Cards for Teams (messages/adaptivecards.py): golden cards rendered from view models
the real handlers built, every card valid to the official 1.5 schema, user text inert in
markdown, every card within the size Teams accepts, and a form answered in Teams validating
exactly as the same answers typed into Slack. Set UPDATE_GOLDEN=1 to rewrite the golden files
after a deliberate change, and review them as a diff."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from handlers.catalogue import build_registry
from handlers.config import OrgConfig, load_config
from handlers.digest.views import digest_reply
from handlers.forms import clean_form
from handlers.guard import PatientDataGuard
from messages import adaptivecards as ac
from messages import blockkit
from messages.view import (
    Button,
    Buttons,
    Choice,
    Divider,
    Fact,
    Facts,
    Field,
    FieldKind,
    Form,
    FormErrors,
    Heading,
    Item,
    Items,
    Notice,
    OpenForm,
    Reply,
    SmallPrint,
    Text,
    with_confirmation,
)
from tests.goldens import assert_golden
from tests.harness import ALEX, CHRIS, SAM, TOM, Harness, buttons_of, ref_in, submit_lesson
from tests.lessons_flow import add_action, decided_lesson
from tests.paths import recorded
from tests.reports_kit import realistic_psc_digest
from tests.teams_cards import (
    MAX_CARD_BYTES,
    actions,
    assert_inert,
    card_size,
    inert_problem,
    inputs,
    markdown_texts,
    unescape,
    validate_card,
    walk,
)
from tests.test_digest import MONDAY

GOLDEN = Path(__file__).resolve().parent / "golden" / "teams"
NHS_NUMBER = "999 007 9196"  # valid check digit, in the 999 test range
WORDS = "Saline & heparin *flushes* look alike on the [trolley](x), so nurses double-check. "


def long_text(size: int) -> str:
    return (WORDS * (size // len(WORDS) + 1))[:size].rstrip()


def fixture(name: str) -> dict[str, Any]:
    return recorded("teams", name)


@pytest.fixture(scope="module")
def config() -> OrgConfig:
    return load_config()


@pytest.fixture(scope="module")
def guard() -> PatientDataGuard:
    return PatientDataGuard(r"\bCCC\d{7}\b", this_year=2026)


# ------------------------------------------------------------------ samples from the real core
def _reply(hub: Harness, who: str, text: str) -> Reply:
    reply = hub.command(who, text)
    assert isinstance(reply, Reply), reply
    return reply


def _opened(hub: Harness, text: str) -> tuple[Form, OpenForm, dict[str, Any]]:
    """A form as a command opens it, with its values as the Teams adapter pre-fills them."""
    opened = hub.command(ALEX, text)
    assert isinstance(opened, OpenForm), opened
    form = hub.app.services.registry.forms[opened.form_id].form
    values = {f.name: f.default for f in form.fields if f.default is not None}
    values.update(opened.values)
    return form, opened, values


def idea_card(hub: Harness) -> dict[str, Any]:
    ref = ref_in(hub.submit_idea(benefits=["safety", "patients"], benefit_detail="Fewer mix-ups."))
    return ac.message_card(_reply(hub, SAM, f"/idea status {ref}"))


def lesson_card(hub: Harness) -> dict[str, Any]:
    ref = ref_in(submit_lesson(hub), "LL")
    return ac.message_card(_reply(hub, CHRIS, f"/lesson status {ref}"))


def action_card(hub: Harness) -> dict[str, Any]:
    ref = add_action(hub, decided_lesson(hub, ["1"]), 1)
    return ac.message_card(_reply(hub, TOM, f"/qi show {ref}"))


def digest(hub: Harness) -> dict[str, Any]:
    return ac.message_card(realistic_psc_digest(hub.app, MONDAY)[0])


def digest_charts(hub: Harness) -> dict[str, Any]:
    """The realistic PSC digest is full: its charts follow in a message of their own."""
    return ac.message_card(realistic_psc_digest(hub.app, MONDAY)[1])


def digest_stuck(hub: Harness) -> dict[str, Any]:
    """The digest's stuck section and declined list (tests/test_digest_stuck.py)."""
    from tests.test_digest_stuck import stuck_digest

    return ac.message_card(digest_reply(stuck_digest(hub), hub.app.config))


def long_text_card(hub: Harness) -> dict[str, Any]:
    ref = ref_in(hub.submit_idea(problem=long_text(2900), proposed_change=long_text(600)))
    return ac.message_card(_reply(hub, SAM, f"/idea status {ref}"))


def _dialog(hub: Harness, text: str) -> dict[str, Any]:
    form, opened, values = _opened(hub, text)
    data = {"qi_context": dict(opened.context)}
    return ac.dialog_continue(form, ac.form_card(form, values, {}, submit="dialog", data=data))


def form_idea_submit(hub: Harness) -> dict[str, Any]:
    return _dialog(hub, "/idea Quieter night rounds")


def form_lesson_submit(hub: Harness) -> dict[str, Any]:
    return _dialog(hub, "/lesson Flush syringes look alike")


BAD_IDEA = {  # as Teams posts it: every input a string
    "kind": "bright",
    "title": "",
    "problem": f"Patient {NHS_NUMBER} waited six hours for a chair",
    "proposed_change": "A second *ambulatory* unit",
    "benefits": "safety,patients",
    "benefit_detail": "",
    "area": "ward-4",
    "srg": "",
    "mode": "named",
    "co_submitters": "kim.jones@clatterbridge.example, not-an-email",
    "credit": "true",
}


def form_with_errors(hub: Harness) -> dict[str, Any]:
    form, opened, _ = _opened(hub, "/idea")
    data = {**BAD_IDEA, "qi_form": form.id, "msteams": {"type": "task/submit"}}
    raw = ac.submitted_values(form, data)
    response = hub.submit(ALEX, form.id, raw, opened.context)
    assert isinstance(response, FormErrors), response
    card = ac.form_card(form, raw, response.errors, submit="execute", data={"qi_context": {}})
    return ac.execute_card_response(card)


CASES: dict[str, Callable[[Harness], dict[str, Any]]] = {
    "idea_card": idea_card,
    "lesson_card": lesson_card,
    "action_card": action_card,
    "digest": digest,
    "digest_charts": digest_charts,
    "digest_stuck": digest_stuck,
    "long_text": long_text_card,
    "form_idea_submit": form_idea_submit,
    "form_lesson_submit": form_lesson_submit,
    "form_with_errors": form_with_errors,
}


def card_of(rendered: dict[str, Any]) -> dict[str, Any]:
    """The AdaptiveCard inside whatever envelope a case returns."""
    if "task" in rendered:
        card: dict[str, Any] = rendered["task"]["value"]["card"]["content"]
        return card
    if "statusCode" in rendered:
        value: dict[str, Any] = rendered["value"]
        return value
    return rendered


def check(card: dict[str, Any]) -> dict[str, Any]:
    """What every card in these tests must be: valid, inert, small."""
    validate_card(card)
    for text in markdown_texts(card):
        assert_inert(text)
    assert card_size(card) <= ac.CARD_BUDGET < MAX_CARD_BYTES
    return card


# ------------------------------------------------------------------ golden files
@pytest.mark.parametrize("name", list(CASES))
def test_adaptive_cards_match_golden(hub: Harness, name: str) -> None:
    rendered = CASES[name](hub)
    check(card_of(rendered))
    text = json.dumps(rendered, indent=2, ensure_ascii=False) + "\n"
    golden = GOLDEN / f"{name}.json"
    assert_golden(golden, text)


def test_golden_files_have_no_strays() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(CASES)


def _golden(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_a_golden_card_carries_the_idea_as_the_panel_sees_it() -> None:
    card = _golden("idea_card")
    facts = {
        f["title"]: f["value"] for n in walk(card) if n.get("type") == "FactSet" for f in n["facts"]
    }
    assert facts["Submitted by"] == "Alex Morgan"
    pressed = [a["data"]["qi_action"] for a in actions(card)]
    # "Not eligible" ends the idea: it comes last, its Action.Execute inside the question
    assert pressed == ["idea.decide"] * 3 + ["idea.support", "idea.decide"]
    ask = actions(card, "Action.ShowCard")
    assert [a["title"] for a in ask] == ["Not eligible"]
    assert "? The submitter is told." in unescape(ask[0]["card"]["body"][0]["text"])
    assert [a["title"] for a in ask[0]["card"]["actions"]] == ["Yes, Not eligible"]
    assert {a["verb"] for a in actions(card)} == {ac.VERB_BUTTON}
    assert ALEX not in json.dumps(card)  # no email address in a message
    heading = card["body"][0]
    assert heading["weight"] == "bolder" and heading["size"] == "large"


def test_a_long_text_is_cut_with_a_show_all_card_holding_all_of_it() -> None:
    card = _golden("long_text")
    shown = [n for n in card["body"] if n.get("type") == "TextBlock" and "…" in n["text"]]
    assert shown, "the long problem should be cut on the card"
    show = [a for a in actions(card, "Action.ShowCard") if a["title"] != "Not eligible"]
    assert [a["title"] for a in show] == ["Show all"]
    full = unescape(show[0]["card"]["body"][0]["text"])
    assert full == "Problem: " + long_text(2900)


def test_the_forms_golden_dialogs_have_one_input_per_field(config: OrgConfig) -> None:
    registry = build_registry(config)
    for name, form_id in (
        ("form_idea_submit", "idea.submit"),
        ("form_lesson_submit", "lesson.submit"),
    ):
        dialog = _golden(name)
        form = registry.forms[form_id].form
        assert dialog["task"]["type"] == "continue"
        assert dialog["task"]["value"]["title"] == form.title
        card = card_of(dialog)
        assert [i["id"] for i in inputs(card)] == [f.name for f in form.fields]
        (submit,) = card["actions"]
        assert submit["type"] == "Action.Submit" and submit["data"]["qi_form"] == form_id


def test_the_error_form_shows_each_problem_under_its_field_with_the_input_kept() -> None:
    card = card_of(_golden("form_with_errors"))
    body = card["body"]
    assert body[0]["style"] == "heading" and body[0]["text"] == "Share a Bright Idea"
    summary = body[1]
    assert summary["type"] == "Container" and summary["style"] == "attention"
    assert "Please correct the 3 answers marked below." in summary["items"][0]["text"]
    by_id = {n.get("id"): i for i, n in enumerate(body) if n.get("id")}
    for name, words in (
        ("title", "Please answer: Title"),
        ("problem", "NHS number"),
        ("co_submitters", "not-an-email is not an email address"),
    ):
        error = body[by_id[name] + 1]
        assert error["color"] == "attention" and words in error["text"], error
    kept = {i["id"]: i.get("value") for i in inputs(card)}
    assert kept["problem"] == BAD_IDEA["problem"]  # input, not markdown: shown as typed
    assert kept["proposed_change"] == "A second *ambulatory* unit"
    assert kept["benefits"] == "safety,patients" and kept["credit"] == "true"
    submit, cancel = card["actions"]
    assert (submit["verb"], cancel["verb"]) == (ac.VERB_SUBMIT, ac.VERB_CANCEL)
    assert cancel["associatedInputs"] == "None"  # Cancel never trips required-field checks


# ------------------------------------------------------------------ the schema helper itself
def test_the_validator_accepts_the_documented_cards_and_rejects_broken_ones() -> None:
    fetch = fixture("invoke.task_fetch.json")["response_body_card"]
    validate_card(fetch["task"]["value"]["card"]["content"])
    validate_card(fixture("invoke_response.adaptiveCard_action.json")["body_replace_card"]["value"])
    broken = [
        {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]},
        {"type": "AdaptiveCard", "version": "1.5", "body": [], "colour": "red"},
        {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Input.Text"}]},
        {
            "type": "AdaptiveCard",
            "version": "1.5",
            "body": [{"type": "Input.Text", "id": "a"}, {"type": "Input.Date", "id": "a"}],
        },
    ]
    for card in broken:
        with pytest.raises(AssertionError):
            validate_card(card)


def test_invoke_replies_have_the_documented_shapes() -> None:
    form = Form("f", "A form", "Send", (Field("title", "Title", required=True),))
    card = ac.form_card(form, {}, {}, submit="dialog", data={})
    documented = fixture("invoke.task_fetch.json")["response_body_card"]
    reply = ac.dialog_continue(form, card)
    assert reply.keys() == documented.keys()
    assert reply["task"].keys() == documented["task"].keys()
    assert reply["task"]["value"].keys() == documented["task"]["value"].keys()
    assert reply["task"]["value"]["card"] == {"contentType": ac.CONTENT_TYPE, "content": card}
    message = fixture("invoke.task_submit.json")["response_message"]
    assert ac.dialog_message("Form was submitted") == message
    replace = fixture("invoke_response.adaptiveCard_action.json")["body_replace_card"]
    body = ac.execute_card_response(card)
    assert body.keys() == replace.keys() and body["type"] == replace["type"]
    assert body["statusCode"] == 200 and body["value"] is card


# ------------------------------------------------------------------ messages
def test_a_message_activity_previews_the_summary_and_carries_the_card() -> None:
    reply = Reply("IDEA-2026-0001: *approved*\nwell done", (Heading("Approved"),))
    activity = ac.message_activity(reply)
    assert activity["type"] == "message"
    assert activity["summary"] == "IDEA-2026-0001: *approved* well done"  # plain, one line
    assert "text" not in activity  # or Teams would print the summary again above the card
    (attached,) = activity["attachments"]
    assert attached == ac.attachment(ac.message_card(reply))
    check(attached["content"])
    assert attached["content"]["fallbackText"] == "IDEA-2026-0001: \\*approved\\* well done"


def test_each_block_renders_as_its_adaptive_element() -> None:
    reply = Reply(
        "s",
        (
            Heading("Title"),
            Text("Body"),
            Text("Quiet", muted=True),
            Facts((Fact("Status", "Open"),)),
            Divider(),
            Notice("Careful", "warning"),
            Buttons(
                (
                    Button("Yes", "a.yes", {"ref": "R1"}, "primary"),
                    Button("No", "a.no", style="danger"),
                )
            ),
            Items((Item("One", "R1", "Detail", (Button("Open", "a.open"),)), Item("Two"))),
            Items(()),
            SmallPrint("Small print"),
        ),
    )
    body = check(ac.message_card(reply))["body"]
    assert [n["type"] for n in body] == [
        "TextBlock", "TextBlock", "TextBlock", "FactSet", "Container", "ActionSet",
        "Container", "Container", "TextBlock", "TextBlock",
    ]  # fmt: skip
    assert body[2]["isSubtle"] is True
    assert body[3]["facts"] == [{"title": "Status", "value": "Open"}]
    assert body[4]["separator"] is True and body[4]["style"] == "warning"
    assert body[4]["items"][0]["text"].endswith(" Careful")
    yes, no = body[5]["actions"]
    assert yes["style"] == "positive" and no["style"] == "destructive"
    assert yes["data"] == {"qi_action": "a.yes", "qi_value": {"ref": "R1"}}
    assert [n["text"] for n in body[6]["items"][:3]] == ["One", "R1", "Detail"]
    assert "separator" not in body[6] and body[7]["separator"] is True
    assert body[8]["text"] == "Nothing to show." and body[8]["isSubtle"] is True
    assert body[9]["size"] == "small" and body[9]["isSubtle"] is True


@pytest.mark.parametrize(
    ("tone", "style"),
    [("info", "accent"), ("success", "good"), ("warning", "warning"), ("error", "attention")],
)
def test_a_notice_is_coloured_by_tone(tone: Any, style: str) -> None:
    (container,) = ac.message_card(Reply("s", (Notice("Heads up", tone),)))["body"]
    assert container["style"] == style


def test_many_buttons_are_split_into_short_rows() -> None:
    buttons = tuple(Button(f"B{n}", "a.b", {"n": str(n)}) for n in range(12))
    body = check(ac.message_card(Reply("s", (Buttons(buttons),))))["body"]
    assert [len(n["actions"]) for n in body] == [5, 5, 2]


# ------------------------------------------------------------------ size
def huge_reply(filler: str) -> Reply:
    item_buttons = (Button("Open", "idea.open", {"ref": "IDEA-2026-0001"}), Button("Support", "x"))
    return Reply(
        filler * 100,
        (
            Heading(filler * 500),
            Text(filler * 20_000),
            Facts(tuple(Fact(f"Label {n} {filler}", filler * 3000) for n in range(60))),
            Notice(filler * 10_000, "error"),
            Items(
                tuple(
                    Item(filler * 400, f"IDEA-{n}", filler * 2000, item_buttons) for n in range(300)
                )
            ),
            Buttons(tuple(Button(filler * 100, "a.b") for _ in range(40))),
            SmallPrint(filler * 5000),
        ),
    )


@pytest.mark.parametrize("filler", ["word ", "🩺", "<*_[", "\x01"])
def test_a_huge_reply_stays_well_under_the_teams_limit(filler: str) -> None:
    card = check(ac.message_card(huge_reply(filler)))
    assert card_size(card, ascii_only=False) <= card_size(card) <= ac.CARD_BUDGET
    note = card["body"][-1]
    assert "not shown here" in note["text"] and "page numbers" in note["text"]
    activity = ac.message_activity(huge_reply(filler))
    assert card_size(activity) < MAX_CARD_BYTES


def test_show_all_copies_go_before_any_part_is_dropped() -> None:
    texts = tuple(Text(long_text(4000)) for _ in range(4))
    card = check(ac.message_card(Reply("s", texts)))
    assert not actions(card, "Action.ShowCard")  # four full copies would not fit...
    assert len(card["body"]) == 4  # ...but every text is still there, cut
    one = check(ac.message_card(Reply("s", texts[:1])))
    assert len(actions(one, "Action.ShowCard")) == 1


def test_a_long_fact_leaves_the_fact_set_for_a_labelled_text() -> None:
    change = long_text(1800)
    reply = Reply("s", (Facts((Fact("Status", "Open"), Fact("Change", change))),))
    body = check(ac.message_card(reply))["body"]
    assert body[0]["facts"] == [{"title": "Status", "value": "Open"}]
    assert body[1]["text"] == "Change" and body[1]["weight"] == "bolder"
    assert unescape(body[2]["text"]) == change  # not cut: under TEXT_LIMIT


# ------------------------------------------------------------------ escaping
MARKDOWN = st.sampled_from([*"[]()*_`~<>#+-=.!{}|\\ \t\n1aZ:/", "{{", "](", "1. ", "- "])
HOSTILE = st.lists(MARKDOWN | st.characters(), max_size=60).map("".join)
ATTACKS = [
    "[nhs.uk](https://evil.example)",
    "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
    "{\\{DATE(2017-02-14T06:08:39Z, SHORT)}}",
    "{{{TIME(2017-02-14T06:08:39Z)}}}",
    "**bold** _italic_ ~~struck~~ `code`",
    "<at>Sam Patel</at> <https://evil.example> <b>x</b>",
    "1. one\n2) two\n- three\n+ four\n* five\n# six\n> seven\n===\n---",
    "    indented code\n\tand a tab",
    "![img](https://evil.example/x.png) \\[x](y) [x]\\(y)",
    "[x][ref]\n[ref]: https://evil.example",
]


def indent_expanded(text: str) -> str:
    """Leading tabs as the four spaces a card shows them as."""
    return "\n".join(
        re.sub(r"^[ \t]+", lambda m: m.group(0).expandtabs(4), line) for line in text.split("\n")
    )


def shown_as(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u200b", "")


def every_block(text: str) -> Reply:
    return Reply(
        text,
        (
            Heading(text),
            Text(text),
            Text(text, muted=True),
            Facts((Fact(text, text), Fact("Long", text * 20))),
            *(Notice(text, tone) for tone in ("info", "success", "warning", "error")),
            Buttons((Button(text, "a.b", {"v": text}),)),
            Items((Item(text, text, text, (Button(text, "a.c"),)),), empty_text=text),
            Items((), empty_text=text),
            Divider(),
            SmallPrint(text),
        ),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE)
@example(ATTACKS[0])
@example("\n".join(ATTACKS))
def test_user_text_in_any_block_never_becomes_markdown(text: str) -> None:
    card = ac.message_card(every_block(text))
    for shown in markdown_texts(card):
        assert inert_problem(shown) is None, (inert_problem(shown), shown, text)
    paragraph = card["body"][1]["text"]  # the Text block: what a renderer shows is what was typed
    typed = ac.clean(text)
    if len(typed) <= ac.TEXT_LIMIT:
        assert shown_as(unescape(paragraph)) == (shown_as(indent_expanded(typed)) or " ")


@pytest.mark.parametrize("attack", ATTACKS)
def test_known_attacks_are_valid_and_inert(attack: str) -> None:
    card = check(ac.message_card(every_block(attack)))
    labels = [a["title"] for a in actions(card)]
    assert ac.plain(attack, ac.BUTTON_TEXT) in labels  # a button label is not markdown


def test_escape_keeps_ordinary_punctuation_readable() -> None:
    text = "Ward 4 (inpatients). Done! 50% - ok; a.b@nhs.net #1 + 2 = 3"
    assert ac.escape(text) == text
    assert ac.escape("1. first") == "1\\. first"
    assert ac.escape("a\nb") == "a\n\nb"  # TextBlock needs a blank line for a line break


def test_input_labels_values_and_choices_are_shown_as_typed() -> None:
    field = Field("notes", "Notes *optional* [x](y)", FieldKind.TEXT, placeholder="e.g. _this_")
    choice = Field("c", "C", FieldKind.CHOICE, choices=(Choice("a", "**A**"),))
    form = Form("f", "F", "Send", (field, choice))
    card = check(
        ac.form_card(
            form, {"notes": "[x](y) {{DATE(2017-02-14T06:08:39Z)}}"}, {}, submit="dialog", data={}
        )
    )
    notes, chosen = inputs(card)
    assert notes["label"] == "Notes *optional* [x](y)" and notes["placeholder"] == "e.g. _this_"
    assert notes["value"] == "[x](y) {{DATE(2017-02-14T06:08:39Z)}}"
    assert chosen["choices"] == [{"title": "**A**", "value": "a"}]


# ------------------------------------------------------------------ forms
EVERY_KIND = Form(
    "test.every",
    "Every kind",
    "Save",
    (
        Field("title", "Title", required=True, max_length=20, placeholder="Short"),
        Field("notes", "Notes", FieldKind.LONG_TEXT, help="Anything *else*?"),
        Field(
            "colour",
            "Colour",
            FieldKind.CHOICE,
            choices=(Choice("red", "Red"), Choice("blue", "Blue")),
        ),
        Field(
            "colours",
            "Colours",
            FieldKind.MULTI_CHOICE,
            choices=(Choice("red", "Red"), Choice("blue", "Blue")),
        ),
        Field("due", "Due date", FieldKind.DATE, required=True),
        Field("owner", "Owner", FieldKind.EMAIL),
        Field("co", "Co-submitters", FieldKind.EMAILS),
        Field("ref", "Reference", FieldKind.REF),
        Field("cost", "Estimated cost (£)", FieldKind.MONEY),
        Field("consent", "Consent to credit", FieldKind.BOOL),
    ),
    intro="Fill in *everything*.",
)


def test_each_field_kind_gets_its_input_pre_filled() -> None:
    values = {
        "title": "Hello",
        "notes": "Line one\nLine two",
        "colour": "blue",
        "colours": ["red", "blue", "purple"],
        "due": date(2026, 12, 31),
        "owner": "kim@nhs.net",
        "co": ["a@nhs.net", "b@nhs.net"],
        "cost": 12500,
        "consent": True,
    }
    card = check(ac.form_card(EVERY_KIND, values, {}, submit="dialog", data={"k": "v"}))
    by_id = {i["id"]: i for i in inputs(card)}
    assert list(by_id) == [f.name for f in EVERY_KIND.fields]
    assert {k: v["type"] for k, v in by_id.items()} == {
        "title": "Input.Text", "notes": "Input.Text", "colour": "Input.ChoiceSet",
        "colours": "Input.ChoiceSet", "due": "Input.Date", "owner": "Input.Text",
        "co": "Input.Text", "ref": "Input.Text", "cost": "Input.Text", "consent": "Input.Toggle",
    }  # fmt: skip
    assert by_id["cost"]["value"] == "12500"
    assert by_id["title"] == {
        "type": "Input.Text", "maxLength": 20, "value": "Hello", "id": "title", "label": "Title",
        "placeholder": "Short", "isRequired": True, "errorMessage": "Please answer: Title",
    }  # fmt: skip
    assert by_id["notes"]["isMultiline"] is True and by_id["notes"]["value"] == "Line one\nLine two"
    assert by_id["colour"]["style"] == "compact" and by_id["colour"]["value"] == "blue"
    assert by_id["colours"]["isMultiSelect"] is True and by_id["colours"]["value"] == "red,blue"
    assert by_id["due"]["value"] == "2026-12-31"
    assert by_id["owner"]["style"] == "email"
    assert by_id["co"]["value"] == "a@nhs.net, b@nhs.net"
    assert "value" not in by_id["ref"]
    assert by_id["consent"]["value"] == "true" and by_id["consent"]["title"] == "Consent to credit"
    assert card["body"][0]["text"] == "Fill in \\*everything\\*."
    (submit,) = card["actions"]
    assert submit == {
        "type": "Action.Submit",
        "title": "Save",
        "style": "positive",
        "data": {"qi_form": "test.every", "k": "v"},
    }


def test_prefill_accepts_values_as_submitted_and_skips_what_cannot_be_shown() -> None:
    values = {"colours": "blue,red", "due": "31/12/2026", "consent": "false", "colour": "green"}
    by_id = {
        i["id"]: i for i in inputs(ac.form_card(EVERY_KIND, values, {}, submit="dialog", data={}))
    }
    assert by_id["colours"]["value"] == "blue,red"
    assert "value" not in by_id["due"]  # Input.Date takes only YYYY-MM-DD; the error says why
    assert by_id["consent"]["value"] == "false"
    assert "value" not in by_id["colour"]


def test_errors_appear_under_their_fields_and_unknown_ones_in_the_summary() -> None:
    errors = {"due": "Due date must be a date like 31/12/2026", "": "Please start again."}
    card = check(ac.form_card(EVERY_KIND, {}, errors, submit="execute", data={"c": "1"}))
    body = card["body"]
    assert body[0]["text"] == "Every kind"
    assert "Please correct the answer marked below." in body[1]["items"][0]["text"]
    assert "Please start again." in body[1]["items"][0]["text"]
    due = next(i for i, n in enumerate(body) if n.get("id") == "due")
    assert body[due + 1]["color"] == "attention"
    assert unescape(body[due + 1]["text"]) == errors["due"]
    submit, cancel = card["actions"]
    assert submit["type"] == cancel["type"] == "Action.Execute"
    assert submit["data"] == cancel["data"] == {"qi_form": "test.every", "c": "1"}


def test_the_dialog_is_sized_to_the_form() -> None:
    small = Form("s", "Small", "Go", (Field("a", "A"),))
    assert ac.dialog_continue(small, {})["task"]["value"]["height"] == "medium"
    assert ac.dialog_continue(EVERY_KIND, {})["task"]["value"]["height"] == "large"


def test_every_registry_form_renders_valid_in_both_variants(config: OrgConfig) -> None:
    for spec in build_registry(config).forms.values():
        values = {f.name: f.default for f in spec.form.fields if f.default is not None}
        errors = {f.name: f"{f.label} is wrong" for f in spec.form.fields}
        for submit in ("dialog", "execute"):
            card = check(ac.form_card(spec.form, values, errors, submit=submit, data={"x": "y"}))
            assert [i["id"] for i in inputs(card)] == [f.name for f in spec.form.fields]


# ------------------------------------------------------------------ reading submissions
def slack_state(form: Form, answers: Mapping[str, Any]) -> dict[str, Any]:
    """view.state.values as Slack would send them for `answers` (what the person entered)."""
    state: dict[str, Any] = {}
    for field in form.fields:
        answer = answers.get(field.name)
        match field.kind:
            case FieldKind.CHOICE:
                entry: dict[str, Any] = {
                    "type": "static_select",
                    "selected_option": {"value": answer} if answer else None,
                }
            case FieldKind.MULTI_CHOICE:
                chosen = [{"value": v} for v in answer or []]
                entry = {"type": "multi_static_select", "selected_options": chosen}
            case FieldKind.BOOL:
                ticked = [{"value": "yes"}] if answer else []
                entry = {"type": "checkboxes", "selected_options": ticked}
            case FieldKind.DATE:
                entry = {
                    "type": "datepicker",
                    "selected_date": answer.isoformat() if answer else None,
                }
            case FieldKind.EMAIL:
                entry = {"type": "email_text_input", "value": answer or None}
            case _:
                entry = {"type": "plain_text_input", "value": answer or None}
        state[field.name] = {field.name: entry}
    return state


def teams_data(form: Form, answers: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """value.data as Teams posts it for `answers`: the action's data merged with every input,
    each a string."""
    data: dict[str, Any] = dict(extra)
    for field in form.fields:
        answer = answers.get(field.name)
        match field.kind:
            case FieldKind.MULTI_CHOICE:
                data[field.name] = ",".join(answer or [])
            case FieldKind.BOOL:
                data[field.name] = "true" if answer else "false"
            case FieldKind.DATE:
                data[field.name] = answer.isoformat() if answer else ""
            case _:
                data[field.name] = answer or ""
    return data


def answers_for(form: Form) -> st.SearchStrategy[dict[str, Any]]:
    """What a person can enter in `form`'s inputs, on either platform."""
    text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)
    line = text.map(lambda t: t.replace("\n", " ").replace("\r", " "))
    emails = st.sampled_from(
        ["", "kim.jones@clatterbridge.example", "a@b.nhs.uk, nope", " x@y.org "]
    )
    by_kind: dict[FieldKind, Callable[[Field], st.SearchStrategy[Any]]] = {
        FieldKind.TEXT: lambda f: line,
        FieldKind.LONG_TEXT: lambda f: text | st.just(f"Patient {NHS_NUMBER} fell"),
        FieldKind.CHOICE: lambda f: st.sampled_from([None, *(c.value for c in f.choices)]),
        FieldKind.MULTI_CHOICE: lambda f: st.lists(
            st.sampled_from([c.value for c in f.choices]), unique=True
        ),
        FieldKind.DATE: lambda f: st.none() | st.dates(date(2020, 1, 1), date(2030, 12, 31)),
        FieldKind.EMAIL: lambda f: emails,
        FieldKind.EMAILS: lambda f: emails,
        FieldKind.REF: lambda f: st.sampled_from(["", "idea-2026-0001", "LL-2026-0002", "??"]),
        FieldKind.BOOL: lambda f: st.booleans(),
        FieldKind.MONEY: lambda f: st.sampled_from(["", "12500", "£12,500.49", "about 2k", "1,00"]),
    }
    return st.fixed_dictionaries({f.name: by_kind[f.kind](f) for f in form.fields})


@st.composite
def a_form_and_answers(draw: st.DrawFn) -> tuple[Form, dict[str, Any]]:
    forms = [spec.form for spec in build_registry(load_config()).forms.values()] + [EVERY_KIND]
    form = draw(st.sampled_from(forms))
    return form, draw(answers_for(form))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a_form_and_answers())
def test_teams_answers_validate_exactly_as_the_same_answers_in_slack(
    case: tuple[Form, dict[str, Any]],
) -> None:
    form, answers = case
    guard = PatientDataGuard(r"\bCCC\d{7}\b", this_year=2026)
    extra = {"qi_form": form.id, "qi_context": {"c": "1"}, "msteams": {"type": "task/submit"}}
    from_slack = blockkit.read_state(form, slack_state(form, answers))
    from_teams = ac.submitted_values(form, teams_data(form, answers, extra))
    assert from_teams == from_slack
    assert clean_form(form, from_teams, guard) == clean_form(form, from_slack, guard)


def test_a_submitted_dialog_reads_back_like_the_slack_modal(
    hub: Harness, guard: PatientDataGuard
) -> None:
    """End to end through the recorded task/submit shape: the card's own Action.Submit data,
    merged with the inputs as Teams merges them, gives the same idea as the Slack modal."""
    form, opened, values = _opened(hub, "/idea")
    card = ac.form_card(
        form, values, {}, submit="dialog", data={"qi_context": dict(opened.context)}
    )
    (submit,) = card["actions"]
    answers = {
        "kind": "big",
        "title": "A *second* ambulatory unit",
        "problem": "Patients wait for hours for a chair.",
        "proposed_change": "Build a second unit at Aintree.",
        "benefits": ["patients", "staff"],
        "area": "trust-wide",
        "mode": "named",
        "co_submitters": "kim.jones@clatterbridge.example",
        "credit": True,
    }
    activity = fixture("invoke.task_submit.json")["illustrative_activity"]
    activity["value"]["data"] = {**submit["data"], **teams_data(form, answers, {})}
    raw = ac.submitted_values(form, activity["value"]["data"])
    assert raw == blockkit.read_state(form, slack_state(form, answers))
    values, errors = clean_form(form, raw, guard)
    assert errors == {}
    assert values["benefits"] == ["patients", "staff"] and values["credit"] is True
    reply = hub.submit(ALEX, form.id, raw, opened.context)
    assert isinstance(reply, Reply), reply
    check(ac.message_card(reply))


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ({}, None),
        ({"consent": "true"}, True),
        ({"consent": "false"}, False),
        ({"consent": ""}, False),
        ({"consent": True}, True),
        ({"consent": "maybe"}, "maybe"),  # not what a toggle sends: validation will say so
    ],
)
def test_a_toggle_reads_back_as_a_boolean(posted: dict[str, Any], expected: Any) -> None:
    assert ac.submitted_values(EVERY_KIND, posted)["consent"] == expected


def test_submitted_values_ignores_what_is_not_a_field_and_survives_junk() -> None:
    data = {"title": 5, "notes": ["x"], "colours": ["red", 3, ""], "qi_form": "x", "evil": "y"}
    got = ac.submitted_values(EVERY_KIND, data)
    # Every field, and the not-a-patient confirmation a card shows after a name warning.
    assert set(got) == {f.name for f in with_confirmation(EVERY_KIND).fields}
    assert got["title"] == "5" and got["notes"] is None and got["colours"] == ["red"]
    assert ac.submitted_values(EVERY_KIND, "nonsense")["title"] is None  # type: ignore[arg-type]


# ------------------------------------------------------------------ buttons
def test_every_rendered_button_reads_back_as_pressed(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea())
    reply = _reply(hub, SAM, f"/idea status {ref}")
    pressed = [ac.button_press(a["data"]) for a in actions(ac.message_card(reply))]
    assert pressed == [(b.action, dict(b.value)) for b in buttons_of(reply)]
    assert pressed  # the panel has buttons to press


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON, JSON, JSON)
@example({"qi_action": "a.b", "qi_value": {"ref": "R1"}}, None, None)
def test_a_button_payload_never_raises_and_is_ours_or_none(
    data: Any, action: Any, value: Any
) -> None:
    for payload in (
        data,
        {"qi_action": action, "qi_value": value},
        {"qi_action": "a", "qi_value": value},
    ):
        got = ac.button_press(payload)
        if got is not None:
            name, decoded = got
            assert isinstance(name, str) and name
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in decoded.items())


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"qi_action": "idea.support", "qi_value": {"ref": "IDEA-1"}},
            ("idea.support", {"ref": "IDEA-1"}),
        ),
        ({"qi_action": "idea.support"}, ("idea.support", {})),
        ({"qi_action": "a", "qi_value": {"n": 1}}, ("a", {"n": "1"})),
        ({"qi_action": "", "qi_value": {}}, None),
        ({"qi_action": 7}, None),
        ({"qi_action": "a", "qi_value": "ref=1"}, None),
        ({"qi_action": "a", "qi_value": {"n": {"deep": 1}}}, None),
        ({"qi_action": "a", "qi_value": {"n": None}}, None),
        ({"qi_action": "a" * 201}, None),
        ({"verb": "qi"}, None),
        (None, None),
        (["qi_action"], None),
    ],
)
def test_button_press_reads_only_well_formed_payloads(data: Any, expected: Any) -> None:
    assert ac.button_press(data) == expected
