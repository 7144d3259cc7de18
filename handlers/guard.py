"""The patient-data guard: refuse free text that looks like it identifies a patient.

Checked before anything is stored or logged. The refused text itself is never echoed back,
logged or kept outside the submitter's own form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEPARATOR = r"[ \u00a0\u202f\u2010-\u2015-]?"
"""Between digit groups: a space, a no-break space or any hyphen or dash (text pasted from
Word or a PDF uses those)."""
_NHS_CANDIDATE = re.compile(rf"(?<!\d)(\d{{3}}){_SEPARATOR}(\d{{3}}){_SEPARATOR}(\d{{4}})(?!\d)")
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


def nhs_number_is_valid(digits: str) -> bool:
    """The NHS number modulus-11 check: weights 10..2, 11 becomes 0, 10 is never valid."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


@dataclass(frozen=True)
class Finding:
    kind: str

    def message(self, label: str) -> str:
        return (
            f"{label} seems to contain {self.kind}. Patient-identifiable information must not be "
            "shared here: please remove it (describe the patient in general terms instead). "
            "Nothing has been saved."
        )


class PatientDataGuard:
    def __init__(self, hospital_number_pattern: str | None = None, this_year: int = 2026) -> None:
        self._this_year = this_year
        self._hospital = (
            re.compile(hospital_number_pattern, re.IGNORECASE) if hospital_number_pattern else None
        )

    def scan(self, text: str) -> Finding | None:
        """The first reason `text` must be refused, or None when it is acceptable."""
        for match in _NHS_CANDIDATE.finditer(text):
            digits = "".join(match.groups())
            if nhs_number_is_valid(digits):
                return Finding("a probable NHS number")
            return Finding("a number shaped like an NHS number")
        if self._hospital is not None and self._hospital.search(text):
            return Finding("a hospital number")
        if _DOB_KEYWORD.search(text) or self._name_next_to_old_date(text):
            return Finding("a date of birth next to a name")
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
