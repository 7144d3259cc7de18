"""The text renderer: user text cannot drive the terminal; buttons are numbered in order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from messages.text import clean, field_prompt, render_reply
from messages.view import (
    Button,
    Buttons,
    Choice,
    Fact,
    Facts,
    Field,
    FieldKind,
    Heading,
    Item,
    Items,
    Notice,
    Reply,
    SmallPrint,
    Text,
)

CONTROL = {chr(c) for c in [*range(0, 9), *range(11, 32), *range(127, 160)]}


def test_escape_sequences_in_user_text_are_removed() -> None:
    hostile = "Title\x1b[2J\x1b]0;pwned\x07 ok\rover"
    rendered = render_reply(
        Reply("s", (Heading(hostile), Text(hostile), Facts((Fact("a", hostile),))))
    )
    assert not CONTROL & set(rendered.text)
    assert "Title[2J]0;pwned ok" in rendered.text


def test_buttons_are_numbered_across_blocks_and_items() -> None:
    reply = Reply(
        "s",
        (
            Items(
                (
                    Item("one", "IDEA-1", buttons=(Button("Open", "idea.show", {"ref": "1"}),)),
                    Item("two", "IDEA-2", buttons=(Button("Open", "idea.show", {"ref": "2"}),)),
                )
            ),
            Buttons((Button("Next page", "idea.list_page"),)),
        ),
    )
    rendered = render_reply(reply, numbered_from=3)
    assert "[4] Open" in rendered.text and "[5] Open" in rendered.text
    assert "[6] Next page" in rendered.text
    assert [b.value.get("ref") for b in rendered.buttons] == ["1", "2", None]


def test_a_reply_without_blocks_shows_its_summary() -> None:
    assert render_reply(Reply("Just this")).text == "  Just this"


def test_field_prompt_shows_help_choices_and_the_kept_value() -> None:
    field = Field(
        "kind",
        "Type",
        FieldKind.CHOICE,
        required=True,
        help="Pick one.",
        choices=(Choice("a", "Apple"), Choice("b", "Banana")),
    )
    prompt = field_prompt(field, "b", error="choose one of: Apple, Banana")
    assert prompt.splitlines() == [
        "  (x) choose one of: Apple, Banana",
        "Type (required)",
        "    Pick one.",
        "    1) Apple",
        "    2) Banana",
        "    current: Banana  (Enter keeps it, '-' clears it)",
    ]


blocks = st.one_of(
    st.builds(Heading, st.text()),
    st.builds(Text, st.text()),
    st.builds(Notice, st.text()),
    st.builds(SmallPrint, st.text()),
    st.builds(lambda a, b: Facts((Fact(a, b),)), st.text(), st.text()),
    st.builds(lambda a, b: Items((Item(a, detail=b),)), st.text(), st.text()),
    st.builds(lambda a: Buttons((Button(a, "x"),)), st.text()),
)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.lists(blocks, max_size=6))
def test_no_rendering_ever_contains_a_control_character(summary: str, body: list[object]) -> None:
    rendered = render_reply(Reply(summary, tuple(body)))  # type: ignore[arg-type]
    assert not CONTROL & set(rendered.text)


@given(st.text())
def test_clean_keeps_newlines_and_printable_text(text: str) -> None:
    cleaned = clean(text)
    assert not CONTROL & set(cleaned)
    assert cleaned.count("\n") == text.count("\n")
