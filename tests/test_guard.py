"""The patient-data guard: NHS numbers, dates of birth next to names and hospital numbers.

The rules come from docs/domain.md ("Information governance rules"). The NHS number check is
re-implemented here from the written rule, independently of handlers/guard.py, so the tests
catch a wrong implementation rather than repeat it. Example numbers use the 999 test range.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from handlers.guard import Finding, NameWarning, PatientDataGuard, nhs_number_is_valid, normalise

HOSPITAL_NUMBER = r"\bCCC\d{7}\b"  # the bundled config's pattern
PROBABLE = "a probable NHS number"
SHAPED = "a number shaped like an NHS number"
DOB = "a date of birth next to a name"
HOSPITAL = "a hospital number"
TITLED = NameWarning("a title and a name")
NAME_NEAR = NameWarning("a name next to a bed number, an age or a date")

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


# ---------------------------------------------------------------- normalising before scanning


def test_normalise_shows_what_a_reader_sees() -> None:
    """NFKC, format characters and combining marks dropped, every dash a hyphen, and a vulgar
    fraction kept as one symbol (not "1⁄4" glued to the digits before it)."""
    assert normalise("\uff19\uff14\uff13") == "943"  # fullwidth digits
    assert normalise("9\u200b4\u200d3\u00ad4\ufeff7\u200e6\u2066") == "943476"
    assert normalise("9\u034f4\ufe0f3\u20e3") == "943"  # combining marks on digits
    assert normalise("9\u31644") == "94"  # a Hangul filler is drawn as nothing
    assert normalise("9\u20134\u20143\u22124\u2011") == "9-4-3-4-"
    assert normalise("12¼") == "12#"
    assert normalise("12²") == "12 2 "
    assert normalise("tab\there\nline") == "tab\there\nline"


# ---------------------------------------------------------------- NHS numbers however typed

# The external review's bypasses, each with the domain's worked example 943 476 5919, plus the
# same tricks with other characters of the same kind.
BYPASSES = {
    "dots": "943.476.5919",
    "slashes": "943/476/5919",
    "backslashes": "943\\476\\5919",
    "underscores": "943_476_5919",
    "spaced hyphens": "943 - 476 - 5919",
    "grouped 4-3-3": "9434 765 919",
    "grouped 5-5": "94347 65919",
    "grouped 2-4-4": "94 3476 5919",
    "one by one": "9 4 3 4 7 6 5 9 1 9",
    "one by one with dots": "9.4.3.4.7.6.5.9.1.9",
    "zero-width space": "943\u200b476\u200b5919",
    "zero-width joiners inside a group": "94\u200d3476\u200c5919",
    "soft hyphens": "943\u00ad476\u00ad5919",
    "byte order mark": "\ufeff943476\ufeff5919",
    "bidi marks": "943\u200e476\u200f5919",
    "bidi isolates": "\u2066943 476\u2069 5919",
    "word joiner": "9434765\u2060919",
    "combining grapheme joiner": "943\u034f476 5919",
    "Hangul filler": "943\u3164476\u31645919",
    "tabs": "943\t476\t5919",
    "double spaces": "943  476  5919",
    "line breaks": "943\n476\n5919",
    "Windows line breaks": "943\r\n476\r\n5919",
    "blank line": "943 476\n\n5919",
    "thin and ideographic spaces": "943\u2009476\u30005919",
    "no-break spaces": "943\u00a0476\u202f5919",
    "em dashes": "943\u2014476\u20145919",
    "minus signs": "943\u2212476\u22125919",
    "non-breaking hyphens": "943\u2011476\u20115919",
    "fullwidth hyphen and stop": "943\uff0d476\uff0e5919",
    "fullwidth digits": "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",
    "Arabic-Indic digits": "\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669",
    "superscript digit": "943 476 591\u2079",
    "middle dots": "943\u00b7476\u00b75919",
    "fraction slashes": "943\u2044476\u20445919",
}


@pytest.mark.parametrize("typed", BYPASSES.values(), ids=BYPASSES.keys())
def test_nhs_number_however_typed_is_a_probable_nhs_number(
    guard: PatientDataGuard, typed: str
) -> None:
    assert guard.scan(f"What happened: patient {typed} fell") == Finding(PROBABLE)


@pytest.mark.parametrize(
    "typed",
    [
        "9434 765 910",
        "94347 65910",
        "943.476.5910",
        "94 3476 5910",
        "9\u200b434765910",
        "94\u200b34\u200b76\u200b59\u200b10",  # invisible breaks are not groups
    ],
)
def test_wrong_check_digit_however_typed_is_nhs_shaped(guard: PatientDataGuard, typed: str) -> None:
    assert not nhs_number_is_valid("9434765910")
    assert guard.scan(f"ref {typed}") == Finding(SHAPED)


@pytest.mark.parametrize(
    "text",
    ["Bed 4 943 476 5919", "943 476 5919 3 falls", "aged 67 943 476 5919", "2/943/476/5919/1"],
)
def test_digits_next_to_the_number_do_not_hide_it(guard: PatientDataGuard, text: str) -> None:
    """Every stretch of whole groups holding ten digits is checked, not only the whole run."""
    assert guard.scan(text) == Finding(PROBABLE)


@pytest.mark.parametrize("after", ["¼", "²", "\u2460"])
def test_a_fraction_or_superscript_does_not_join_the_digits_before_it(
    guard: PatientDataGuard, after: str
) -> None:
    assert guard.scan(f"Patient 000-000-0000{after}") == Finding(PROBABLE)


# ---------------------------------------------------------------- dates, times, lists: not numbers
# Each example below holds ten digits in a row whose check digit is valid or that has few
# enough groups to be refused, so it fails if the rule that lets it through is removed.


@pytest.mark.parametrize(
    "text",
    [
        "Seen 04/03/2026 12:00, pump alarmed.",  # a clock time: 0403202612 is valid
        "Seen 04/03/2026 12.00, pump alarmed.",  # a dotted time after a date
        "Closed 06/03/2026 - 08/03/2026 for cleaning.",  # a date range: 0603202608 is valid
        "Closed 2026-03-03 - 2026-03-05 for cleaning.",  # ISO dates: 0320260305 is valid
        "Seen 3/3/2026 1430 on the unit.",  # a whole date and a time, check digit wrong
        "Audit scores 12 15 20 18 11 this year.",  # five small numbers, check digit wrong
        "Call +44 151 556 5000 for advice.",  # an international phone number
    ],
)
def test_dates_times_and_lists_are_not_nhs_numbers(guard: PatientDataGuard, text: str) -> None:
    assert guard.scan(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "12/03/2026",
        "12/03/2026 14:30",
        "On 12/03/2026 at 14.30",
        "12/03/2026 1430hrs",
        "12/03/26-14/03/26",
        "12/03/2026 - 14/03/2026",
        "2026-03-12 14:30 to 2026-03-14 09:15",
        "Clinic 09:00-17:00; obs at 08.00 10.00 12.00 14.00 16.00",
        "2.5 mg, then 7.5 mg/kg at 10.30",
        "£1,250,000.00 over 3 years",
        "Ward 5, bay 3, bed 14: 2 falls in 24 hours",
        "Beds 1, 2, 3, 4, 5, 6, 7, 8, 9 and 10",
        "Ext. 4321 or bleep 1234; switchboard 0151 556 5000",
        "Datix 123456, 234567",
        "07700 900123",
        "99912345678",
    ],
)
def test_what_clinicians_type_passes(guard: PatientDataGuard, text: str) -> None:
    assert guard.scan(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "ext 12345 / 12346",  # two five-digit numbers: typed like 94347 65919
        "Datix 12345 67890",
    ],
)
def test_known_over_refusals(guard: PatientDataGuard, text: str) -> None:
    """Ten digits in up to four groups with no date in them read as a mistyped NHS number:
    the price of catching 94347 65919 (docs/information-governance.md says how to write them)."""
    assert guard.scan(text) == Finding(SHAPED)


def test_a_year_continuing_a_number_is_not_a_date(guard: PatientDataGuard) -> None:
    """An ISO date starts with its year: if digits come right before it, the year may be the
    end of a number, so "999 000 1952-03-12" still holds 999 000 1952 (a valid number)."""
    assert guard.scan("Ref 999 000 1952-03-12") == Finding(PROBABLE)


def test_a_valid_number_that_holds_a_whole_date_is_still_refused(guard: PatientDataGuard) -> None:
    """Only a wrong check digit lets a date with a time through: 04/03/2026 12 is valid."""
    assert guard.scan("Seen 04/03/2026 12") == Finding(PROBABLE)


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


@pytest.mark.parametrize(
    "text", ["CCC12345678", "CCC123456", "XCCC1234567", "CCC 1234 5678", "XCCC 1234567"]
)
def test_near_miss_hospital_numbers_pass(guard: PatientDataGuard, text: str) -> None:
    """The pattern is the trust's regex, word-bounded: other lengths and prefixes are fine,
    with or without separators."""
    assert guard.scan(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "CCC 1234567",
        "CCC-123 4567",
        "ccc1234567",
        "ccc 123.4567",
        "CCC\u200b1234567",
        "CCC\t1234567",
        "CCC_123_4567",
        "\uff23\uff23\uff23\uff11\uff12\uff13\uff14\uff15\uff16\uff17",
        "Hospital number CCC 123 456 7, seen today",
    ],
)
def test_hospital_number_with_separators_is_refused(guard: PatientDataGuard, text: str) -> None:
    """The configured pattern is matched with the separators inside the number taken out."""
    assert guard.scan(text) == Finding(HOSPITAL)


def test_a_pattern_with_its_own_separator_still_matches_as_typed() -> None:
    """Another trust's pattern may spell its separator out: the text as typed is tried too."""
    assert PatientDataGuard(r"\b\d{3}-\d{4}X\b").scan("seen as 123-4567X") == Finding(HOSPITAL)


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
        "999 123 45678 has eleven digits in three groups.",
        "IDEA-2026-0042, LL-2026-0123 and ACT-2026-0311",
        "Clinic runs 09:00-17:00, 5 days a week; 12 patients, 3 nurses.",
        "Mr Smith was reviewed on 12/03/2026.",
        "",
    ],
)
def test_ordinary_clinical_text_passes(guard: PatientDataGuard, text: str) -> None:
    assert guard.scan(text) is None


# ---------------------------------------------------------------- names: a warning, not a refusal


@pytest.mark.parametrize("title", ["Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Dr."])
def test_a_title_and_a_name_is_a_warning(guard: PatientDataGuard, title: str) -> None:
    text = f"{title} Smith was reviewed on the ward."
    assert guard.scan(text) is None  # not refused: it may be a colleague
    assert guard.warn(text) == TITLED


@pytest.mark.parametrize(
    "text",
    [
        "What happened: Mrs Jane Smith in bed 4 on Ward 5, aged 67, fell",
        "John Smith, aged 67, was found on the floor",
        "In bed 4 \u2026 Jane Smith called for help",
        "Jane O'Neil (72 years old) missed her dose",
        "Jane Smith, 67yo, bay 3",
        "Handed over to Jane Smith on 12/03/2026 at 14:00",
        "Jane\u200b Smith in bed\u00a04",
    ],
)
def test_a_name_next_to_a_bed_an_age_or_a_date_is_a_warning(
    guard: PatientDataGuard, text: str
) -> None:
    assert guard.scan(text) is None
    assert guard.warn(text) == NAME_NEAR


@pytest.mark.parametrize(
    "text",
    [
        "Jane Smith led the audit.",  # a name alone: staff are named all the time
        "Patient in bed 4 on Ward Round, aged 67.",  # capitalised words that are not names
        "The Patient Safety Committee met on 12/03/2026.",
        "Discussed on MS Teams; we must not miss a dose again.",
        "3 patients aged over 70 on Ward 4",
        "Jane Smith audited the unit. " + "x" * 60 + " bed 4",  # too far apart
        "",
    ],
)
def test_no_warning_without_a_title_or_something_next_to_a_name(
    guard: PatientDataGuard, text: str
) -> None:
    assert guard.warn(text) is None


@pytest.mark.parametrize("kind", [TITLED.kind, NAME_NEAR.kind])
def test_warning_message_names_the_field_and_never_the_text(kind: str) -> None:
    message = NameWarning(kind).message("What happened")
    assert message.startswith("What happened seems to name a person")
    assert "confirm below that it does not identify a patient" in message
    assert "Smith" not in message and not re.search(r"\d", message)


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


# The characters the guard must see through, between any two digits: separators of every kind
# (any number of them) and invisible format characters.
BETWEEN_DIGITS = st.lists(
    st.sampled_from(
        [
            *" \t\n./\\_-",
            "\r\n",
            " - ",
            *"\u00a0\u202f\u2009\u3000\u2010\u2011\u2013\u2014\u2212\ufe63\uff0d\uff0e\uff0f",
            *"\u00b7\u2027\u2044",
            *"\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202c\u2066\u2069",
            *"\u180e\u034f\ufe0f\u3164",
        ]
    ),
    max_size=3,
).map("".join)
DIGIT_STYLES = {
    "ascii": str,
    "fullwidth": lambda d: chr(0xFF10 + int(d)),
    "arabic-indic": lambda d: chr(0x0660 + int(d)),
}
NO_DIGITS = st.text(st.characters(exclude_categories=("Nd", "No", "Nl", "Cs")), max_size=20).filter(
    lambda s: not re.search(r"\d", unicodedata.normalize("NFKC", s))
)


def interleave(number: str, gaps: list[str], style: str) -> str:
    digits = [DIGIT_STYLES[style](d) for d in number]
    return digits[0] + "".join(gap + digit for gap, digit in zip(gaps, digits[1:], strict=True))


@PROPERTY
@given(
    valid_numbers,
    st.lists(BETWEEN_DIGITS, min_size=9, max_size=9),
    st.sampled_from(sorted(DIGIT_STYLES)),
    NO_DIGITS,
    NO_DIGITS,
)
@example("9434765919", [" "] * 9, "ascii", "", "")
@example("9434765919", ["", "", "\u200b", "", "", "\t\t", "", "", ""], "ascii", "No. ", ".")
def test_valid_number_with_anything_between_its_digits_is_refused(
    number: str, gaps: list[str], style: str, prefix: str, suffix: str
) -> None:
    """(d) Any valid NHS number, with any separators or format characters between any of its
    digits, in any script's digits, in text that adds no digits of its own, is refused as a
    probable NHS number."""
    text = prefix + interleave(number, gaps, style) + suffix
    assert PatientDataGuard(HOSPITAL_NUMBER).scan(text) == Finding(PROBABLE)


@PROPERTY
@given(
    st.from_regex(r"[0-9]{7}", fullmatch=True),
    st.lists(BETWEEN_DIGITS, min_size=7, max_size=7),
    st.sampled_from(["CCC", "ccc", "Ccc"]),
    NO_DIGITS.map(lambda s: s + " "),
)
def test_hospital_number_with_anything_between_its_parts_is_refused(
    digits: str, gaps: list[str], prefix: str, before: str
) -> None:
    """(e) The configured prefix and seven digits, with separators or format characters after
    the prefix and between the digits, are refused (unless the digits read as an NHS number
    first, which is refused too)."""
    text = before + prefix + gaps[0] + interleave(digits, gaps[1:], "ascii")
    assert PatientDataGuard(HOSPITAL_NUMBER).scan(text) is not None
