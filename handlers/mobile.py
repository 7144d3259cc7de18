"""UK mobile numbers checked as GOV.UK Notify checks them, so it never refuses one we send.

Notify validates with Google's `phonenumbers` plus a few rules of its own, reimplemented here
(its `notifications-utils` is not on PyPI): only digits, spaces and `()-+` (the library would
quietly drop trailing junk such as "07911123456x"), parsed as a UK number, UK mobiles only
unless international texts are allowed, and Ofcom's range for drama and testing
(07700 900000-900999), which the library calls invalid, admitted as Notify admits it.

Problems never repeat the number: it is personal data and may end up in a log or a reply.
"""

from __future__ import annotations

from typing import Final

import phonenumbers

DRAMA_RANGE: Final = ("+447700900000", "+447700900999")
ALLOWED_CHARACTERS: Final = frozenset("0123456789()-+ \t")
MOBILE_TYPES: Final = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


class ContactProblem(ValueError):
    """A number or address that cannot be used; the message never contains the value."""


def normalise_uk_mobile(raw: str, *, allow_international: bool = False) -> str:
    """The number in E.164 (+447...), or ContactProblem saying what is wrong with it."""
    text = raw.strip()
    if not text:
        raise ContactProblem("the mobile number is empty")
    if any(c not in ALLOWED_CHARACTERS for c in text):
        raise ContactProblem("the mobile number has letters or symbols in it")
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise ContactProblem("the mobile number is not a phone number") from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(e164) == len(DRAMA_RANGE[0]) and DRAMA_RANGE[0] <= e164 <= DRAMA_RANGE[1]:
        return e164
    if not phonenumbers.is_valid_number(number):
        raise ContactProblem("the mobile number is not a valid phone number")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise ContactProblem("the number is not a mobile number (a landline cannot get texts)")
    if number.country_code != 44 and not allow_international:
        raise ContactProblem("the mobile number is not a UK mobile number")
    return e164
