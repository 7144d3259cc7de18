"""The patient-data guard: refuse free text that looks like it identifies a patient.

Checked before anything is stored or logged. The refused text itself is never echoed back,
logged or kept outside the submitter's own form.

Text is first normalised (`normalise`) to what a reader sees, so invisible characters,
look-alike digits and odd separators cannot hide a number. Then:

- NHS numbers: ten digits however they are grouped (see `_nhs_number`), with dates and clock
  times told apart from numbers;
- the trust's hospital-number pattern, matched with separators inside the number taken out;
- a date of birth next to a name.

Those are refusals. A person's name (a title and a name, or a name next to a bed number or an
age) is only a warning (`PatientDataGuard.warn`): staff names are legitimate, so the submitter
confirms it is not a patient instead (see `handlers.forms.clean_form`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

# ---------------------------------------------------------------- normalising

_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Mn", "Me"})
"""Format characters (zero-width space and joiners, soft hyphen, BOM, bidi marks), control
characters and combining marks: drawn as nothing (or on top of a digit), so they can hide a
number from a pattern without hiding it from a reader. Whitespace controls stay (separators)."""
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Hangul fillers and the braille blank: letters or symbols that are drawn as empty space."""


INVISIBLE = "\x00"
"""What an invisible character becomes in the digits' view of the text (`normalise(text,
INVISIBLE)`): a separator that does not count as a visible group break. So "0<ZWSP>9434765919"
holds 9434765919 and "94<ZWJ>34765919" is still one group to the four-group rule."""


def _normal_char(char: str, invisible: str) -> str:
    if char.isspace():  # tabs and line breaks are controls too, but separators here
        return char
    category = unicodedata.category(char)
    if category in _INVISIBLE_CATEGORIES or char in _BLANK_LETTERS:
        return invisible
    if category == "Pd" or char == "\u2212":  # every hyphen and dash, and the minus sign
        return "-"
    return char


def _normal(char: str, invisible: str) -> str:
    compatible = unicodedata.normalize("NFKC", char)
    if compatible != char and unicodedata.category(char) != "Nd" and _HAS_DIGIT.search(compatible):
        if "\u2044" in compatible:
            return "#"  # ¼ is a quarter, not "1⁄4" glued to the digits before it
        # Superscript and circled digits stand apart: "0000²" is 0000 and 2, "591⁹" 591 and 9.
        return f" {compatible} "
    return "".join(_normal_char(c, invisible) for c in compatible)


_HAS_DIGIT = re.compile(r"\d")


def normalise(text: str, invisible: str = "") -> str:
    """What a reader sees: NFKC, invisible characters gone (or `invisible`), every dash a hyphen.

    Character by character, so a vulgar fraction stays one symbol and a superscript digit its
    own group. Digits of other scripts (Arabic-Indic ٩٤٣) stay as they are: regular
    expressions and `int` read them as digits. Only the guard reads this; what is stored is the
    text as typed.
    """
    return "".join(_normal(c, invisible) for c in text)


# ---------------------------------------------------------------- NHS numbers

_SEPARATOR_CHARS = r"\s._/\\\u00b7\u2027\u2219\u2044\u2215\x00-"
_SEPARATOR = f"[{_SEPARATOR_CHARS}]"
"""Between digits: any space, tab or line break, a dot (or middle dot), a slash (or backslash),
an underscore, a hyphen or dash. Commas, colons, brackets, letters and anything else end a run:
commas separate lists and thousands, colons clock times."""
_RUN = re.compile(rf"\d+(?:{_SEPARATOR}+\d+)*")
"""Digits joined by runs of separators of any length (a tab, a double space, " - ", a line
break): one stretch of digits as a reader sees it."""
_DIGITS = re.compile(r"\d+")
_NHS_LENGTH = 10
MAX_GROUPS_WITHOUT_CHECK = 4
"""A number split into more groups than this (94 34 76 59 19) is only refused when its check
digit is right: five two-digit scores in a row must not read as a mistyped NHS number."""

_CLOCK = re.compile(r"(?<!\d)(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?!\d)")
"""14:30 and 14:30:15: cut out before scanning, so "12/03/2026 14:30" is not ten digits."""
_DOTTED_TIME = re.compile(r"(?<!\d)(?:[01]?\d|2[0-3])\.[0-5]\d(?!\d)")
_DAY_MONTH_YEAR = re.compile(r"(?<!\d)(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")
_YEAR_MONTH_DAY = re.compile(r"(?<!\d)(\d{4})([./-])(\d{1,2})\2(\d{1,2})(?!\d)")
_DIGIT_THEN_SEPARATORS = re.compile(rf"\d{_SEPARATOR}+\Z")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    is_date: bool


def _real_date(year: int, month: int, day: int) -> bool:
    if year < 100:
        year += 2000
    if not 1900 <= year <= 2099:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _dates_and_times(text: str) -> list[_Span]:
    """Dates (12/03/2026, 1.3.26, 2026-03-12) and dotted times (14.30) in `text`."""
    spans = [
        _Span(m.start(), m.end(), True)
        for m in _DAY_MONTH_YEAR.finditer(text)
        if _real_date(int(m.group(4)), int(m.group(3)), int(m.group(1)))
    ]
    spans += [
        _Span(m.start(), m.end(), True)
        for m in _YEAR_MONTH_DAY.finditer(text)
        if _real_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        # The year must not continue a run of digits, or "999 007 2026-03-12" would hide
        # 999 007 2026 behind a date (a day/month/year date ends with its year instead).
        and not _DIGIT_THEN_SEPARATORS.search(text, 0, m.start())
    ]
    spans += [_Span(m.start(), m.end(), False) for m in _DOTTED_TIME.finditer(text)]
    return spans


def nhs_number_is_valid(digits: str) -> bool:
    """The NHS number modulus-11 check: weights 10..2, 11 becomes 0, 10 is never valid."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _judge(text: str, groups: list[tuple[int, int]], spans: list[_Span], phone: bool) -> str | None:
    """What ten digits in a row are: "probable", "shaped" or None (a date, a time, a list,
    an international phone number)."""
    start, end = groups[0][0], groups[-1][1]
    inside = [s for s in spans if s.start < end and start < s.end]
    if any(s.start < start or s.end > end for s in inside):
        return None  # part of a date or a time: "2026 14" of 12/03/2026 14.30, two dates
    digits = "".join(text[a:b] for a, b in groups)
    if nhs_number_is_valid(digits):
        return "probable"
    gaps = (text[a[1] : b[0]] for a, b in pairwise(groups))
    visible_groups = 1 + sum(1 for gap in gaps if gap.strip(INVISIBLE))
    if phone or any(s.is_date for s in inside) or visible_groups > MAX_GROUPS_WITHOUT_CHECK:
        return None  # +44 151 556 5000, a date and a time ("3/3/2026 1430"), a list of numbers
    return "shaped"


def _nhs_number(text: str) -> str | None:
    """Any ten digits in a row, however grouped: "probable" (valid check digit), "shaped"
    (wrong check digit) or None.

    A run is digits joined by separators (`_SEPARATOR`); every stretch of whole digit groups
    in it that holds exactly ten digits is a candidate, so "Bed 4 943 476 5919" is caught, while
    a group of eleven digits (99912345678) is never split. Clock times (14:30) are cut out first.
    A candidate that takes only part of a date or a dotted time is a date range or a date and a
    time, not a number. A valid check digit is refused whatever the grouping; a wrong one only
    when the digits hold no whole date, form at most four groups and do not follow a "+" (an
    international phone number).
    """
    text = _CLOCK.sub(lambda m: "#" * len(m.group()), text)
    spans = _dates_and_times(text)
    found: str | None = None
    for run in _RUN.finditer(text):
        groups = [(m.start(), m.end()) for m in _DIGITS.finditer(text, run.start(), run.end())]
        phone = text[run.start() - 1 : run.start()] == "+"
        for first in range(len(groups)):
            count, last = 0, first
            while last < len(groups) and count < _NHS_LENGTH:
                count += groups[last][1] - groups[last][0]
                last += 1
            if count != _NHS_LENGTH:
                continue
            verdict = _judge(text, groups[first:last], spans, phone)
            if verdict == "probable":
                return verdict
            found = found or verdict
    return found


# ---------------------------------------------------------------- hospital numbers

_WORD_RUN = re.compile(rf"[^\W_]+(?:{_SEPARATOR}+[^\W_]+)*")
_WORD = re.compile(r"[^\W_]+")


def _hospital_number(pattern: re.Pattern[str], text: str) -> bool:
    """The trust's pattern, in the text as typed or with the separators inside a number taken
    out: a prefix (or a digit group) followed by digit groups, joined, so "CCC 1234567",
    "CCC-123 4567" and "ccc 123.4567" all read as CCC1234567."""
    if pattern.search(text):
        return True
    for run in _WORD_RUN.finditer(text):
        words = _WORD.findall(run.group())
        for first, word in enumerate(words):
            joined = word
            for following in words[first + 1 :]:
                if not following.isdigit():
                    break
                joined += following
                if pattern.search(joined):
                    return True
    return False


# ---------------------------------------------------------------- dates of birth

_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DATE = (
    r"(?P<date>\d{1,2}[/.-]\d{1,2}[/.-](?P<y1>\d{4}|\d{2})"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?i:" + _MONTHS + r")[a-z]*\.?,?\s+(?P<y2>\d{4}))"
)
_DOB_KEYWORD = re.compile(
    rf"(?i:\b(?:dob|d\.o\.b\.?|date of birth|born(?:\s+on)?)(?!\w))[\s:]*{_DATE}"
)
_NAME_THEN_DATE = re.compile(rf"\b[A-Z][a-z]+(?:\s+[A-Z][A-Za-z'-]+)+\s*[,(]?\s*{_DATE}")
BIRTH_YEAR_GAP = 2
"""A named person next to a date at least this many years ago reads as a date of birth."""

# ---------------------------------------------------------------- names (a warning)

_TITLED_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][A-Za-z'’-]+")
"""A title and a capitalised name: "Mrs Smith", "Dr. O'Neil". Title case only, so "MS Teams"
and "miss a dose" are not names."""
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z'’-]*")
_SPACES = re.compile(r"[ \t]+")
_NOT_NAMES = frozenset(
    str.split(
        """a an and at bay bed by centre clinic committee day department each for from he her his
    hospital in it led lead monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december night nhs
    nurse of on our patient patients room round safety she staff team that the their they this
    trust unit ward we what when where which who with"""
    )
)
"""Capitalised words that start sentences or name places, never a person: "Ward Round"."""
_BED_OR_AGE = re.compile(
    r"(?i:\b(?:bed|bay)\s*(?:no\.?|number)?\s*\d+"
    r"|\baged?\s*:?\s*\d{1,3}\b"
    r"|\b\d{1,3}\s*-?\s*(?:years?|yrs?|y)\s*-?\s*old\b"
    r"|\b\d{1,3}\s*(?:yo|y/o|yrs)\b)"
)
_ANY_DATE = re.compile(_DATE)
NEAR = 60
"""Characters between a name and a bed number, an age or a date for them to read as one
person (docs/domain.md: "a bed, age or date next to a name")."""


@dataclass(frozen=True)
class Finding:
    kind: str

    def message(self, label: str) -> str:
        return (
            f"{label} seems to contain {self.kind}. Patient-identifiable information must not be "
            "shared here: please remove it (describe the patient in general terms instead). "
            "Nothing has been saved."
        )


@dataclass(frozen=True)
class NameWarning:
    """Text that names a person: maybe a colleague, maybe a patient; the submitter decides."""

    kind: str

    def message(self, label: str) -> str:
        return (
            f"{label} seems to name a person ({self.kind}). If it could identify a patient, "
            "please take the name out and describe them in general terms. If it does not (a "
            "colleague, say), confirm below that it does not identify a patient and submit "
            "again. Nothing has been saved yet."
        )


def _names(text: str) -> list[tuple[int, int]]:
    """Where people may be named: a title and a name, or two or more capitalised words in a
    row on one line ("Jane Smith"), none of them a word that starts sentences or names a place."""
    found = [(m.start(), m.end()) for m in _TITLED_NAME.finditer(text)]
    rows: list[list[re.Match[str]]] = [[]]
    for word in _CAPITALISED.finditer(text):
        row = rows[-1]
        if word.group().lower().strip("'’-") in _NOT_NAMES:
            rows.append([])
            continue
        if row and not _SPACES.fullmatch(text, row[-1].end(), word.start()):
            row = []
            rows.append(row)
        row.append(word)
    found += [(row[0].start(), row[-1].end()) for row in rows if len(row) >= 2]
    return found


class PatientDataGuard:
    def __init__(self, hospital_number_pattern: str | None = None, this_year: int = 2026) -> None:
        self._this_year = this_year
        self._hospital = (
            re.compile(hospital_number_pattern, re.IGNORECASE) if hospital_number_pattern else None
        )

    def scan(self, text: str) -> Finding | None:
        """The first reason `text` must be refused, or None when it is acceptable."""
        nhs = _nhs_number(normalise(text, INVISIBLE))
        text = normalise(text)
        if nhs == "probable":
            return Finding("a probable NHS number")
        if nhs == "shaped":
            return Finding("a number shaped like an NHS number")
        if self._hospital is not None and _hospital_number(self._hospital, text):
            return Finding("a hospital number")
        if _DOB_KEYWORD.search(text) or self._name_next_to_old_date(text):
            return Finding("a date of birth next to a name")
        return None

    def warn(self, text: str) -> NameWarning | None:
        """Why `text` may name a patient (to be confirmed, not refused), or None."""
        text = normalise(text)
        markers = [(m.start(), m.end()) for m in _BED_OR_AGE.finditer(text)]
        markers += [(m.start(), m.end()) for m in _ANY_DATE.finditer(text)]
        for start, end in _names(text):
            if any(max(m_start - end, start - m_end) <= NEAR for m_start, m_end in markers):
                return NameWarning("a name next to a bed number, an age or a date")
        if _TITLED_NAME.search(text):
            return NameWarning("a title and a name")
        return None

    def _name_next_to_old_date(self, text: str) -> bool:
        for match in _NAME_THEN_DATE.finditer(text):
            year = int(match.group("y1") or match.group("y2"))
            if year < 100:  # 26 -> 2026, 56 -> 1956
                century = 2000 if year <= self._this_year % 100 else 1900
                year += century
            if year <= self._this_year - BIRTH_YEAR_GAP:
                return True
        return False
