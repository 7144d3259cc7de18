"""The patient-data guard: NHS numbers, dates of birth next to names and hospital numbers.

The rules come from docs/domain.md ("Information governance rules"). The NHS number check is
re-implemented here from the written rule, independently of handlers/guard.py, so the tests
catch a wrong implementation rather than repeat it. Example numbers use the 999 test range.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from handlers.guard import Finding, PatientDataGuard, nhs_number_is_valid

HOSPITAL_NUMBER = r"\bCCC\d{7}\b"  # the bundled config's pattern
PROBABLE = "a probable NHS number"
SHAPED = "a number shaped like an NHS number"
DOB = "a date of birth next to a name"
HOSPITAL = "a hospital number"

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    # Most random texts hold nothing to refuse, so assume() discards many; that is expected.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# ---------------------------------------------------------------- the rule, written independently

WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(nine: str) -> int | None:
    """The NHS check digit for nine digits, or None when the rule gives 10 (never issued)."""
    total = sum(int(digit) * weight for digit, weight in zip(nine, WEIGHTS, strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid(ten: str) -> bool:
    check = check_digit(ten[:9])
    return check is not None and check == int(ten[9])


def spaced(ten: str) -> str:
    return f"{ten[:3]} {ten[3:6]} {ten[6:]}"


def dashed(ten: str) -> str:
    return f"{ten[:3]}-{ten[3:6]}-{ten[6:]}"


FORMATS = {"plain": str, "spaced": spaced, "dashed": dashed}

# Valid numbers in the 999 test range, computed with check_digit above (and re-checked below).
VALID_999 = ("9990079196", "9990237573", "9990316767", "9990395950", "9990475148")
CHECK_IS_TEN = ("999000000", "999015838", "999142542")  # first nine digits whose check is 10

# An NHS-shaped run anywhere in a text: 3-3-4 with an optional single space or dash between
# groups, not part of a longer run of digits. The lookahead makes overlapping runs visible.
NHS_SHAPED = re.compile(r"(?=(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d))")


def valid_nhs_runs(text: str) -> list[re.Match[str]]:
    return [m for m in NHS_SHAPED.finditer(text) if is_valid("".join(m.groups()))]


@pytest.fixture(scope="module")
def guard() -> PatientDataGuard:
    return PatientDataGuard(HOSPITAL_NUMBER, this_year=2026)


def test_worked_examples_of_the_independent_check() -> None:
    """The oracle itself must agree with the domain's example before it can judge the code."""
    assert check_digit("943476591") == 9
    assert all(is_valid(n) for n in VALID_999)
    assert all(check_digit(n) is None for n in CHECK_IS_TEN)


# ---------------------------------------------------------------- nhs_number_is_valid


def test_domain_example_is_valid() -> None:
    """943 476 5919 is the worked example in docs/domain.md."""
    assert nhs_number_is_valid("9434765919")


@pytest.mark.parametrize("number", VALID_999)
def test_valid_test_range_numbers(number: str) -> None:
    assert nhs_number_is_valid(number)


@pytest.mark.parametrize("number", VALID_999)
def test_every_wrong_check_digit_is_invalid(number: str) -> None:
    """Only the computed tenth digit passes; the nine other endings fail."""
    wrong = [number[:9] + d for d in "0123456789" if d != number[9]]
    assert not any(nhs_number_is_valid(n) for n in wrong)


@pytest.mark.parametrize("nine", CHECK_IS_TEN)
def test_check_of_ten_is_never_valid(nine: str) -> None:
    """A remainder giving 10 means the number was never issued, whatever the tenth digit."""
    assert not any(nhs_number_is_valid(nine + d) for d in "0123456789")


def test_check_of_eleven_becomes_zero() -> None:
    """Sum divisible by 11 gives 11, which the rule turns into 0."""
    assert check_digit("000000000") == 0
    assert nhs_number_is_valid("0000000000")
    assert not nhs_number_is_valid("0000000001")


@pytest.mark.parametrize(
    "text", ["", "943476591", "94347659190", "943 476 5919", "943-476-5919", "94347659l9"]
)
def test_only_ten_bare_digits_are_checked(text: str) -> None:
    """The function takes digits only: formatting and wrong lengths are not numbers."""
    assert not nhs_number_is_valid(text)


@PROPERTY
@given(st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_validity_matches_the_written_rule(digits: str) -> None:
    assert nhs_number_is_valid(digits) == is_valid(digits)


# ---------------------------------------------------------------- NHS-number-shaped text


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("number", VALID_999)
def test_valid_number_in_every_format_is_a_probable_nhs_number(
    guard: PatientDataGuard, number: str, fmt: str
) -> None:
    text = f"Patient {FORMATS[fmt](number)} was seen on the ward."
    assert guard.scan(text) == Finding(PROBABLE)


@pytest.mark.parametrize("fmt", FORMATS)
def test_invalid_number_is_still_refused_as_nhs_shaped(guard: PatientDataGuard, fmt: str) -> None:
    """Anything shaped like an NHS number is refused, even when the check digit is wrong."""
    wrong = VALID_999[0][:9] + str((int(VALID_999[0][9]) + 1) % 10)
    assert not is_valid(wrong)
    assert guard.scan(f"ref {FORMATS[fmt](wrong)}") == Finding(SHAPED)


def test_mixed_separators_are_refused(guard: PatientDataGuard) -> None:
    assert guard.scan("999 007-9196") == Finding(PROBABLE)


def test_number_at_start_and_end_of_text(guard: PatientDataGuard) -> None:
    assert guard.scan(VALID_999[1]) == Finding(PROBABLE)
    assert guard.scan(f"NHS no. {VALID_999[1]}") == Finding(PROBABLE)
    assert guard.scan(f"{VALID_999[1]}: reviewed") == Finding(PROBABLE)


@pytest.mark.parametrize(
    "text",
    ["NHS no:-999 007 9196", "ref-9990079196", "9990079196-A", "MRN/NHS-999-007-9196"],
)
def test_number_next_to_a_dash_is_refused(guard: PatientDataGuard, text: str) -> None:
    assert guard.scan(text) is not None


@pytest.mark.parametrize("separator", ["\u00a0", "\u2013"], ids=["nbsp", "en-dash"])
def test_number_with_typographic_separators_is_refused(
    guard: PatientDataGuard, separator: str
) -> None:
    number = VALID_999[2]
    text = separator.join([number[:3], number[3:6], number[6:]])
    assert guard.scan(f"Patient {text}") is not None


# ---------------------------------------------------------------- dates of birth next to names


@pytest.mark.parametrize(
    "text",
    [
        "John Smith 12/03/1956",
        "John Smith, 12-03-1956",
        "John Smith (12.03.1956)",
        "Mary Jones, 3 Jan. 1948",
        "John Smith 3rd March 1950",
        "Jo Li 12/03/56",
        "DOB: 1/2/1980",
        "dob:1/2/80",
        "D.O.B: 01/02/1980",
        "Date of birth: 12 March 1956",
        "born on 3rd March 1950",
        "Born 3rd March 1950",
    ],
)
def test_date_of_birth_next_to_a_name_is_refused(guard: PatientDataGuard, text: str) -> None:
    assert guard.scan(f"Seen today: {text} on the day unit") == Finding(DOB)


def test_dob_written_with_full_stops_is_refused(guard: PatientDataGuard) -> None:
    assert guard.scan("d.o.b. 01/02/1980") == Finding(DOB)


@pytest.mark.parametrize(
    "text", ["John McDonald 12/03/1956", "Sean O'Neil 12/03/1956", "Mary Smith-Jones 12/03/1956"]
)
def test_capitalised_surname_parts_next_to_dob_are_refused(
    guard: PatientDataGuard, text: str
) -> None:
    assert guard.scan(text) == Finding(DOB)


def test_recent_date_next_to_capitalised_words_is_not_a_birth_date(
    guard: PatientDataGuard,
) -> None:
    """A date this year or last year after a Title Case phrase is a meeting, not a birthday."""
    assert guard.scan("Ward Round 12/03/2026") is None
    assert guard.scan("Staff Meeting 12/11/2025") is None


def test_birth_year_gap_follows_this_year() -> None:
    """The cut-off moves with the calendar: 2024 is a birth year in 2026, not in 2025."""
    text = "John Smith 12/03/2024"
    assert PatientDataGuard(this_year=2026).scan(text) == Finding(DOB)
    assert PatientDataGuard(this_year=2025).scan(text) is None


# ---------------------------------------------------------------- hospital numbers


@pytest.mark.parametrize("text", ["CCC1234567", "hospital no ccc7654321.", "(CCC0000001)"])
def test_configured_hospital_number_is_refused(guard: PatientDataGuard, text: str) -> None:
    assert guard.scan(text) == Finding(HOSPITAL)


@pytest.mark.parametrize("text", ["CCC12345678", "CCC123456", "XCCC1234567", "CCC 1234567"])
def test_near_miss_hospital_numbers_pass(guard: PatientDataGuard, text: str) -> None:
    """The pattern is the trust's regex, word-bounded: other lengths and prefixes are fine."""
    assert guard.scan(text) is None


def test_no_hospital_pattern_configured() -> None:
    assert PatientDataGuard().scan("CCC1234567") is None


# ---------------------------------------------------------------- ordinary text must pass


@pytest.mark.parametrize(
    "text",
    [
        "Flush syringes were not labelled on Ward 4; propose colour-coded labels.",
        "Dose 1000 mg twice daily, reviewed at the 2026-11-26 MDT.",
        "Ward Round 12/03/2026",
        "Call switchboard on 0151 556 5000 or 020 7946 0958 (ext. 4321).",
        "0151-556-5000",
        "Reference 99912345678 is eleven digits long.",
        "999 123 45678 and 99 9123 4567 are not 3-3-4.",
        "IDEA-2026-0042, LL-2026-0123 and ACT-2026-0311",
        "Clinic runs 09:00-17:00, 5 days a week; 12 patients, 3 nurses.",
        "Mr Smith was reviewed on 12/03/2026.",
        "",
    ],
)
def test_ordinary_clinical_text_passes(guard: PatientDataGuard, text: str) -> None:
    assert guard.scan(text) is None


# ---------------------------------------------------------------- finding messages


@pytest.mark.parametrize("kind", [PROBABLE, SHAPED, DOB, HOSPITAL])
def test_finding_message_names_the_field_and_the_reason(kind: str) -> None:
    message = Finding(kind).message("What happened")
    assert message.startswith("What happened seems to contain ")
    assert kind in message
    assert "Nothing has been saved" in message


# ---------------------------------------------------------------- properties

nine_digits = st.from_regex(r"[0-9]{9}", fullmatch=True)
valid_numbers = nine_digits.filter(lambda n: check_digit(n) is not None).map(
    lambda n: n + str(check_digit(n))
)
formatted_numbers = st.tuples(valid_numbers, st.sampled_from(sorted(FORMATS))).map(
    lambda pair: FORMATS[pair[1]](pair[0])
)
fragments = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="0123456789 -/.:", max_size=20),
    st.from_regex(r"[0-9]{1,12}", fullmatch=True),
    formatted_numbers,
    st.sampled_from(["John Smith ", "DOB: ", "born on ", "CCC", "Ward Round ", " ", "-", "\n"]),
)
texts = st.lists(fragments, max_size=6).map("".join)
DIGIT_AT_END = re.compile(r"\d\Z")
DIGIT_AT_START = re.compile(r"\A\d")
prefixes = st.text(max_size=30).filter(lambda s: not DIGIT_AT_END.search(s))
suffixes = st.text(max_size=30).filter(lambda s: not DIGIT_AT_START.match(s))
LABELS = st.sampled_from(["Title", "What happened", "Proposed change", "Reason"])


def _dash_touches(text: str, run: re.Match[str]) -> bool:
    """Whether a '-' sits right before or after an NHS-shaped run found by NHS_SHAPED."""
    start = run.start()
    found = re.match(r"(\d{3})[ -]?(\d{3})[ -]?(\d{4})", text[start:])
    assert found is not None
    end = start + found.end()
    return text[start - 1 : start] == "-" or text[end : end + 1] == "-"


@PROPERTY
@given(texts)
@example("NHS no:-999 007 9196")
def test_accepted_text_has_no_valid_nhs_number(text: str) -> None:
    """(a) Whatever the guard lets through holds no valid NHS number, in any format."""
    if PatientDataGuard(HOSPITAL_NUMBER).scan(text) is None:
        assert valid_nhs_runs(text) == []


@PROPERTY
@given(valid_numbers, st.sampled_from(sorted(FORMATS)), prefixes, suffixes)
@example("9990079196", "spaced", "x-", "")
def test_embedded_valid_number_is_always_refused(
    number: str, fmt: str, prefix: str, suffix: str
) -> None:
    """(b) A valid number in any surrounding text that does not itself touch digits is refused."""
    assert PatientDataGuard(HOSPITAL_NUMBER).scan(prefix + FORMATS[fmt](number) + suffix)


@PROPERTY
@given(texts, LABELS)
def test_finding_message_never_repeats_refused_text(text: str, label: str) -> None:
    """(c) The refusal must not echo what it refused: not the text, not any number in it."""
    finding = PatientDataGuard(HOSPITAL_NUMBER).scan(text)
    assume(finding is not None)
    assert finding is not None
    message = finding.message(label)
    assert text not in message
    assert not re.search(r"\d", message)
    for run in NHS_SHAPED.finditer(text):
        assert "".join(run.groups()) not in message


@PROPERTY
@given(valid_numbers, st.sampled_from(sorted(FORMATS)), prefixes, suffixes, LABELS)
def test_finding_message_never_repeats_an_embedded_number(
    number: str, fmt: str, prefix: str, suffix: str, label: str
) -> None:
    """(c) The same, for texts that certainly contain a number (when the guard refuses them)."""
    shown = FORMATS[fmt](number)
    finding = PatientDataGuard(HOSPITAL_NUMBER).scan(prefix + shown + suffix)
    assume(finding is not None)
    assert finding is not None
    message = finding.message(label)
    assert shown not in message
    assert number not in message
