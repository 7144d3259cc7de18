"""Field and form validation (handlers/forms.py): one set of rules and messages for every platform.

Messages are read by staff filling in a form, so each names the field's label; free text goes
through the patient-data guard and a refusal must never repeat what it refused.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.config import load_config
from handlers.forms import CONFIRM_PLEASE, FieldError, as_raw, clean_field, clean_form
from handlers.guard import PatientDataGuard
from handlers.ideas.forms import submit_form
from messages.view import (
    CONFIRM_NOT_PATIENT,
    Choice,
    Field,
    FieldKind,
    Form,
    form_to_show,
    with_confirmation,
)

NHS_NUMBER = "999 007 9196"  # valid check digit, in the 999 test range
COLOURS = (Choice("red", "Red"), Choice("green", "Green"), Choice("blue", "Dark Blue"))

TITLE = Field("title", "Title", required=True, max_length=20, min_length=3)
NOTES = Field("notes", "Notes", FieldKind.LONG_TEXT, max_length=200)
COLOUR = Field("colour", "Colour", FieldKind.CHOICE, required=True, choices=COLOURS)
COLOURS_FIELD = Field("colours", "Colours", FieldKind.MULTI_CHOICE, choices=COLOURS)
DUE = Field("due", "Due date", FieldKind.DATE)
EMAIL = Field("owner", "Owner email", FieldKind.EMAIL)
EMAILS = Field("co", "Co-submitters", FieldKind.EMAILS)
CONSENT = Field("consent", "Consent to credit", FieldKind.BOOL)
REF = Field("ref", "Reference", FieldKind.REF)


@pytest.fixture(scope="module")
def guard() -> PatientDataGuard:
    return PatientDataGuard(r"\bCCC\d{7}\b", this_year=2026)


def error_of(field: Field, raw: Any, guard: PatientDataGuard) -> str:
    with pytest.raises(FieldError) as caught:
        clean_field(field, raw, guard)
    return str(caught.value)


# ---------------------------------------------------------------- required and optional


@pytest.mark.parametrize("raw", [None, "", "   ", "\n\t"])
def test_required_field_left_empty(guard: PatientDataGuard, raw: Any) -> None:
    assert error_of(TITLE, raw, guard) == "Please answer: Title"


def test_required_choice_left_empty(guard: PatientDataGuard) -> None:
    assert error_of(COLOUR, "", guard) == "Please choose: Colour"


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (NOTES, None),
        (COLOURS_FIELD, []),
        (EMAILS, []),
        (CONSENT, False),
        (DUE, None),
        (EMAIL, None),
    ],
)
def test_optional_empty_values(guard: PatientDataGuard, field: Field, expected: Any) -> None:
    """Empty optional fields have one typed "nothing" each, so handlers need no special cases."""
    assert clean_field(field, "", guard) == expected
    assert clean_field(field, None, guard) == expected


def test_required_multi_choice_with_only_commas(guard: PatientDataGuard) -> None:
    field = Field("b", "Benefits", FieldKind.MULTI_CHOICE, required=True, choices=COLOURS)
    assert error_of(field, " , ,", guard) == "Please choose: Benefits"
    assert error_of(field, [], guard) == "Please choose: Benefits"


# ---------------------------------------------------------------- text and lengths


def test_text_is_stripped(guard: PatientDataGuard) -> None:
    assert clean_field(TITLE, "  Colour labels \n", guard) == "Colour labels"


def test_max_length_names_the_field_and_the_limit(guard: PatientDataGuard) -> None:
    message = error_of(TITLE, "x" * 25, guard)
    assert message == "Title is 25 characters; the limit is 20"


def test_exactly_max_length_is_accepted(guard: PatientDataGuard) -> None:
    assert clean_field(TITLE, "x" * 20, guard) == "x" * 20


def test_min_length_names_the_field(guard: PatientDataGuard) -> None:
    assert error_of(TITLE, "ab", guard) == "Title needs at least 3 characters"
    assert clean_field(TITLE, "abc", guard) == "abc"


def test_text_field_collapses_newlines(guard: PatientDataGuard) -> None:
    """A one-line field pasted with line breaks becomes one line (whitespace runs collapse)."""
    assert clean_field(TITLE, "Label\n  the\r\nflush", guard) == "Label the flush"


def test_long_text_keeps_newlines(guard: PatientDataGuard) -> None:
    assert clean_field(NOTES, "Line one\nLine two", guard) == "Line one\nLine two"


def test_length_is_measured_after_collapsing(guard: PatientDataGuard) -> None:
    assert clean_field(TITLE, "a\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\nb", guard) == "a b"


# ---------------------------------------------------------------- the patient-data guard


@pytest.mark.parametrize("field", [TITLE, NOTES], ids=["text", "long_text"])
def test_probable_nhs_number_is_refused_without_echoing_it(
    guard: PatientDataGuard, field: Field
) -> None:
    message = error_of(field, f"Pt {NHS_NUMBER} fell", guard)
    assert message.startswith(f"{field.label} seems to contain a probable NHS number")
    assert NHS_NUMBER not in message
    assert NHS_NUMBER.replace(" ", "") not in message
    assert "Nothing has been saved" in message


def test_nhs_number_split_over_lines_in_one_line_field(guard: PatientDataGuard) -> None:
    """Collapsing newlines happens before the guard, so a number split over lines is caught."""
    message = error_of(TITLE, "999\n007\n9196", guard)
    assert "probable NHS number" in message


def test_hospital_number_and_birth_date_are_refused(guard: PatientDataGuard) -> None:
    assert "hospital number" in error_of(NOTES, "Seen as CCC1234567 today", guard)
    assert "date of birth" in error_of(NOTES, "John Smith 12/03/1956", guard)


def test_guard_is_not_applied_to_non_text_fields(guard: PatientDataGuard) -> None:
    """References and emails are not free text; the guard would only get in the way."""
    assert clean_field(REF, "idea-2026-0042", guard) == "IDEA-2026-0042"


# ---------------------------------------------------------------- choices


@pytest.mark.parametrize("raw", ["green", "GREEN", "Green", " green ", "2"])
def test_choice_by_value_label_or_number(guard: PatientDataGuard, raw: str) -> None:
    assert clean_field(COLOUR, raw, guard) == "green"


def test_choice_by_multi_word_label(guard: PatientDataGuard) -> None:
    assert clean_field(COLOUR, "dark blue", guard) == "blue"


@pytest.mark.parametrize("raw", ["0", "4", "purple", "-1"])
def test_unknown_choice_lists_the_options(guard: PatientDataGuard, raw: str) -> None:
    assert error_of(COLOUR, raw, guard) == "choose one of: Red, Green, Dark Blue"


def test_long_choice_lists_are_cut_at_eight(guard: PatientDataGuard) -> None:
    many = tuple(Choice(f"c{i}", f"Choice {i}") for i in range(1, 11))
    field = Field("x", "Site", FieldKind.CHOICE, choices=many)
    message = error_of(field, "nowhere", guard)
    assert message.endswith("Choice 8…")
    assert "Choice 9" not in message
    assert clean_field(field, "10", guard) == "c10"


def test_value_that_looks_like_a_number_wins_over_position(guard: PatientDataGuard) -> None:
    """A choice whose value is "2" is chosen by "2" even if it is not second in the list."""
    field = Field("t", "Tier", FieldKind.CHOICE, choices=(Choice("2", "Two"), Choice("1", "One")))
    assert clean_field(field, "2", guard) == "2"


def test_superscript_digit_is_a_field_error_not_a_crash(guard: PatientDataGuard) -> None:
    assert error_of(COLOUR, "²", guard).startswith("choose one of")


# ---------------------------------------------------------------- multi-choice


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("red, blue", ["red", "blue"]),
        ("Blue,red", ["red", "blue"]),
        ("3, 1, 3, blue, Dark Blue", ["red", "blue"]),
        (["green", "RED", "2"], ["red", "green"]),
        ("red,,  ,green", ["red", "green"]),
        ("red", ["red"]),
    ],
)
def test_multi_choice_is_deduplicated_in_the_forms_order(
    guard: PatientDataGuard, raw: str | list[str], expected: list[str]
) -> None:
    assert clean_field(COLOURS_FIELD, raw, guard) == expected


def test_multi_choice_rejects_an_unknown_item(guard: PatientDataGuard) -> None:
    assert error_of(COLOURS_FIELD, "red, purple", guard).startswith("choose one of")


# ---------------------------------------------------------------- dates, emails, booleans, refs


def test_dates(guard: PatientDataGuard) -> None:
    assert clean_field(DUE, "2026-12-31", guard) == date(2026, 12, 31)
    assert clean_field(DUE, date(2027, 1, 4), guard) == date(2027, 1, 4)


@pytest.mark.parametrize("raw", ["31/12/2026", "31-12-2026", "31.12.2026", "1/2/2027"])
def test_uk_day_first_dates_are_understood(guard: PatientDataGuard, raw: str) -> None:
    """Staff type day-first dates; 1/2/2027 is the 1st of February, never 2nd of January."""
    expected = date(2027, 2, 1) if raw == "1/2/2027" else date(2026, 12, 31)
    assert clean_field(DUE, raw, guard) == expected


@pytest.mark.parametrize("raw", ["12/31/2026", "2026-02-30", "tomorrow", "2026-13-01"])
def test_bad_dates_name_the_field(guard: PatientDataGuard, raw: str) -> None:
    assert error_of(DUE, raw, guard) == "Due date must be a date like 31/12/2026 or 2026-12-31"


def test_email_is_lower_cased(guard: PatientDataGuard) -> None:
    assert clean_field(EMAIL, " Kim.Jones@Clatterbridge.Example ", guard) == (
        "kim.jones@clatterbridge.example"
    )


@pytest.mark.parametrize("raw", ["kim.jones", "kim@", "kim jones@nhs.net", "@nhs.net", "a@b"])
def test_bad_email_names_the_field(guard: PatientDataGuard, raw: str) -> None:
    assert error_of(EMAIL, raw, guard) == "Owner email must be an email address"


@pytest.mark.parametrize(
    "raw",
    [
        "Kim.Jones@nhs.net, tom@nhs.net",
        "kim.jones@nhs.net;tom@nhs.net",
        "kim.jones@nhs.net tom@nhs.net\nKIM.JONES@nhs.net",
        ["kim.jones@nhs.net", " Tom@NHS.net ", ""],
    ],
)
def test_list_of_emails(guard: PatientDataGuard, raw: str | list[str]) -> None:
    """Co-submitters may be typed with commas, semicolons or spaces; repeats are dropped."""
    assert clean_field(EMAILS, raw, guard) == ["kim.jones@nhs.net", "tom@nhs.net"]


def test_list_of_emails_names_the_wrong_ones(guard: PatientDataGuard) -> None:
    assert error_of(EMAILS, "kim@nhs.net, tom", guard) == (
        "Co-submitters: tom is not an email address"
    )
    assert error_of(EMAILS, "a, b; c d", guard) == (
        "Co-submitters: a, b, c are not email addresses"
    )


@pytest.mark.parametrize("raw", ["yes", "Y", "TRUE", "on", "1", True])
def test_yes_words(guard: PatientDataGuard, raw: str | bool) -> None:
    assert clean_field(CONSENT, raw, guard) is True


@pytest.mark.parametrize("raw", ["no", "N", "false", "off", "0", False])
def test_no_words(guard: PatientDataGuard, raw: str | bool) -> None:
    assert clean_field(CONSENT, raw, guard) is False


def test_other_words_are_not_booleans(guard: PatientDataGuard) -> None:
    assert error_of(CONSENT, "maybe", guard) == "Consent to credit: answer yes or no"


def test_required_boolean_accepts_an_explicit_no(guard: PatientDataGuard) -> None:
    """False is an answer, not an empty field."""
    field = Field("ok", "Agreed", FieldKind.BOOL, required=True)
    assert clean_field(field, False, guard) is False
    assert error_of(field, "", guard) == "Please tick: Agreed"


# ---------------------------------------------------------------- clean_form


FORM = Form(
    id="test.form",
    title="Test",
    submit_label="Send",
    fields=(TITLE, NOTES, COLOUR, COLOURS_FIELD, DUE, EMAIL, CONSENT),
)


def test_clean_form_returns_typed_values(guard: PatientDataGuard) -> None:
    values, errors = clean_form(
        FORM,
        {
            "title": "Colour labels",
            "notes": "Two lines\nof notes",
            "colour": "1",
            "colours": "blue, green",  # stored in the form's order below
            "due": "2026-12-31",
            "owner": "Kim.Jones@clatterbridge.example",
            "consent": "yes",
        },
        guard,
    )
    assert errors == {}
    assert values == {
        "title": "Colour labels",
        "notes": "Two lines\nof notes",
        "colour": "red",
        "colours": ["green", "blue"],
        "due": date(2026, 12, 31),
        "owner": "kim.jones@clatterbridge.example",
        "consent": True,
    }


def test_clean_form_reports_every_error_at_once(guard: PatientDataGuard) -> None:
    """Staff fix everything in one go instead of meeting one error per submit."""
    values, errors = clean_form(
        FORM,
        {
            "title": "",
            "notes": f"NHS {NHS_NUMBER}",
            "colour": "purple",
            "due": "soon",
            "owner": "kim",
            "consent": "perhaps",
        },
        guard,
    )
    assert set(errors) == {"title", "notes", "colour", "due", "owner", "consent"}
    assert errors["title"] == "Please answer: Title"
    assert errors["notes"].startswith("Notes seems to contain a probable NHS number")
    assert all(NHS_NUMBER not in message for message in errors.values())
    assert values == {"colours": []}


def test_clean_form_ignores_unknown_keys(guard: PatientDataGuard) -> None:
    """Extra keys from a tampered or outdated form are dropped, never passed to handlers."""
    values, errors = clean_form(
        FORM, {"title": "Fine", "colour": "red", "is_admin": "yes", "notes ": "x"}, guard
    )
    assert errors == {}
    assert set(values) == {f.name for f in FORM.fields}
    assert "is_admin" not in values
    assert values["notes"] is None


def test_idea_submission_form_from_the_bundled_config(guard: PatientDataGuard) -> None:
    """The real idea form: a named Bright Idea is accepted; a patient's number is refused."""
    form = submit_form(load_config())
    raw = {
        "kind": "bright",
        "title": "Label the flush syringes by colour",
        "problem": "Flushes and drugs look alike on the SACT day unit.",
        "proposed_change": "Colour-coded labels for flush syringes.",
        "benefits": "patients, safety",
        "mode": "named",
    }
    values, errors = clean_form(form, raw, guard)
    assert errors == {}
    assert values["benefits"] == ["patients", "safety"]
    _, errors = clean_form(form, {**raw, "problem": f"Seen {NHS_NUMBER} twice"}, guard)
    assert set(errors) == {"problem"}
    assert errors["problem"].startswith("What is the problem? seems to contain")
    assert NHS_NUMBER not in errors["problem"]


# ---------------------------------------------------------------- a name: a warning to confirm

NAMED = "Mrs Jane Smith in bed 4 on Ward 5, aged 67, fell"
NAMES_FORM = Form(id="test.names", title="Test", submit_label="Send", fields=(TITLE, NOTES, REF))


def test_a_name_in_free_text_asks_for_the_confirmation(guard: PatientDataGuard) -> None:
    """The warning sits under the field and the confirmation is asked for; nothing in the
    messages repeats the text."""
    _, errors = clean_form(NAMES_FORM, {"title": "Fall", "notes": NAMED}, guard)
    assert set(errors) == {"notes", CONFIRM_NOT_PATIENT.name}
    assert errors["notes"].startswith("Notes seems to name a person")
    assert errors[CONFIRM_NOT_PATIENT.name] == CONFIRM_PLEASE
    assert all("Smith" not in m and "67" not in m for m in errors.values())


@pytest.mark.parametrize("ticked", [True, "yes", "true", "on"])
def test_the_confirmation_lets_the_named_text_through(guard: PatientDataGuard, ticked: Any) -> None:
    raw = {"title": "Fall", "notes": NAMED, CONFIRM_NOT_PATIENT.name: ticked}
    values, errors = clean_form(NAMES_FORM, raw, guard)
    assert errors == {}
    assert values == {"title": "Fall", "notes": NAMED, "ref": None}  # the tick is not a value


@pytest.mark.parametrize("unticked", [False, "no", "", None, "maybe"])
def test_an_unticked_confirmation_is_asked_for_again(
    guard: PatientDataGuard, unticked: Any
) -> None:
    raw = {"title": "Fall", "notes": NAMED, CONFIRM_NOT_PATIENT.name: unticked}
    assert set(clean_form(NAMES_FORM, raw, guard)[1]) == {"notes", CONFIRM_NOT_PATIENT.name}


def test_the_confirmation_never_lets_a_refusal_through(guard: PatientDataGuard) -> None:
    """Confirming a name does not excuse an NHS number; refusals come first, on their own."""
    raw = {"title": f"Fall {NHS_NUMBER}", "notes": NAMED, CONFIRM_NOT_PATIENT.name: True}
    assert set(clean_form(NAMES_FORM, raw, guard)[1]) == {"title"}
    raw = {"title": f"Fall {NHS_NUMBER}", "notes": NAMED}
    assert set(clean_form(NAMES_FORM, raw, guard)[1]) == {"title"}


def test_only_free_text_is_warned_about(guard: PatientDataGuard) -> None:
    """A reference (like a directory pick or an email) is not prose about a person."""
    values, errors = clean_form(NAMES_FORM, {"title": "Fall", "ref": "Mrs Smith bed 4"}, guard)
    assert errors == {}
    assert values["ref"] == "MRS SMITH BED 4"


def test_the_confirmation_is_shown_only_once_asked_for_and_then_kept() -> None:
    """Never up front (nobody should tick it out of habit); once asked, a later error on
    another field must not lose the tick."""
    confirm = CONFIRM_NOT_PATIENT.name
    assert form_to_show(NAMES_FORM, {}, {"title": "Please answer: Title"}) == NAMES_FORM
    asked = form_to_show(NAMES_FORM, {}, {"notes": "…", confirm: CONFIRM_PLEASE})
    assert [f.name for f in asked.fields] == ["title", "notes", "ref", confirm]
    kept = form_to_show(NAMES_FORM, {confirm: True}, {"title": "Please answer: Title"})
    assert kept.fields[-1] == CONFIRM_NOT_PATIENT
    assert with_confirmation(kept) == kept  # once


# ---------------------------------------------------------------- as_raw


@pytest.mark.parametrize(
    ("field", "value", "raw"),
    [
        (TITLE, None, None),
        (TITLE, "Colour labels", "Colour labels"),
        (COLOURS_FIELD, ["red", "blue"], ["red", "blue"]),
        (COLOURS_FIELD, "red", ["red"]),
        (CONSENT, True, "yes"),
        (CONSENT, False, "no"),
        (CONSENT, "true", "yes"),
        (DUE, date(2026, 12, 31), "2026-12-31"),
        (COLOUR, "green", "green"),
        (EMAILS, ["kim@nhs.net", "tom@nhs.net"], "kim@nhs.net, tom@nhs.net"),
    ],
)
def test_as_raw(field: Field, value: Any, raw: Any) -> None:
    assert as_raw(field, value) == raw


values_by_field: dict[str, st.SearchStrategy[Any]] = {
    "title": st.text(alphabet="abcdefghij XYZ", min_size=3, max_size=20).filter(
        lambda s: len(" ".join(s.split())) >= 3
    ),
    "colour": st.sampled_from([c.value for c in COLOURS]),
    "colours": st.lists(st.sampled_from([c.value for c in COLOURS]), unique=True).map(
        lambda picked: [c.value for c in COLOURS if c.value in picked]  # the form's order
    ),
    "due": st.dates(),
    "consent": st.booleans(),
    "owner": st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@nhs\.net", fullmatch=True),
    "co": st.lists(st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@nhs\.net", fullmatch=True), unique=True),
}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_as_raw_round_trips_through_clean_field(data: st.DataObject) -> None:
    """What a form pre-fills (as_raw) must clean back to the same value, or input gets lost."""
    guard = PatientDataGuard()
    for field in (TITLE, COLOUR, COLOURS_FIELD, DUE, CONSENT, EMAIL, EMAILS):
        value = data.draw(values_by_field[field.name], label=field.name)
        if field is TITLE:
            value = " ".join(value.split())
        assert clean_field(field, as_raw(field, value), guard) == value


@pytest.mark.parametrize("raw", ["", None, []])
def test_a_required_check_box_left_unticked_asks_for_the_tick(
    raw: object, guard: PatientDataGuard
) -> None:
    """Not "I have checked: no patient-identifiable information is required", which reads as
    its opposite."""
    from handlers.lessons.forms import DEIDENTIFIED

    field = Field("deidentified", DEIDENTIFIED, FieldKind.BOOL, required=True)
    assert error_of(field, raw, guard) == (
        "Please tick: I have checked: no patient-identifiable information"
    )


def test_a_required_question_left_empty_asks_for_it(guard: PatientDataGuard) -> None:
    field = Field("problem", "What is the problem?", FieldKind.LONG_TEXT, required=True)
    assert error_of(field, "  ", guard) == "Please answer: What is the problem?"
