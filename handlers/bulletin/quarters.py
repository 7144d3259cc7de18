"""NHS quarters as instants: Q1 is April to June, and a quarter starts at local midnight.

A quarter is bounded by wall-clock midnights in the trust's zone (Europe/London), stored as
UTC instants, so an action verified at 00:30 BST on 1 July belongs to Q2, not to Q1 as its UTC
time (23:30 on 30 June) would suggest. Intervals are half-open, [start, end): an item at the
very instant a quarter ends belongs to the next one, and no item is ever counted twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
_QUARTER_TEXT = re.compile(r"^(?:BUL-)?(\d{4})[-/ ]?Q([1-4])$", re.IGNORECASE)


@dataclass(frozen=True)
class Quarter:
    year: int
    """The financial year it belongs to, by the year it starts in (2026 for 2026/27)."""
    number: int

    @property
    def first_day(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.year + month // 13, (month - 1) % 12 + 1, 1)

    @property
    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    @property
    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    @property
    def last_day(self) -> date:
        return self.next.first_day - timedelta(days=1)

    @property
    def ref(self) -> str:
        """The bulletin's reference, e.g. "BUL-2026-Q3"."""
        return f"BUL-{self.year}-Q{self.number}"

    @property
    def code(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def label(self) -> str:
        """ "Q3 2026/27 (October to December 2026)": the NHS name and the months, for readers
        who do not think in financial years."""
        first, last = self.first_day, self.last_day
        months = f"{_MONTHS[first.month - 1]} to {_MONTHS[last.month - 1]} {last.year}"
        return f"Q{self.number} {self.year}/{(self.year + 1) % 100:02d} ({months})"

    def start(self, zone: ZoneInfo) -> datetime:
        """Local midnight on the first day, as a UTC instant."""
        return datetime.combine(self.first_day, time(0), zone).astimezone(UTC)

    def end(self, zone: ZoneInfo) -> datetime:
        """Local midnight on the first day of the next quarter (exclusive), as a UTC instant."""
        return self.next.start(zone)


def quarter_of(day: date) -> Quarter:
    quarter = ((day.month - 4) % 12) // 3 + 1
    return Quarter(day.year if day.month >= 4 else day.year - 1, quarter)


def quarter_at(moment: datetime, zone: ZoneInfo) -> Quarter:
    """The quarter a moment falls in, by the trust's calendar (not UTC's)."""
    return quarter_of(moment.astimezone(zone).date())


FIRST_YEAR, LAST_YEAR = 2000, 2999
"""Quarters QI Hub can mean: a typed "9999-Q4" is no quarter (its end is past the calendar)."""


def parse_quarter(text: str) -> Quarter | None:
    """ "2026-Q3", "2026 Q3" or "BUL-2026-Q3"; None for anything else, a year before 2000 or
    after 2999 included."""
    match = _QUARTER_TEXT.match(text.strip())
    if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        return None
    return Quarter(int(match.group(1)), int(match.group(2)))


def draft_moment(
    quarter: Quarter, zone: ZoneInfo, days_before: int, at: time = time(0)
) -> datetime:
    """`at` (local time) on the day `days_before` days before the quarter ends (10 by default:
    22 December for a quarter ending 31 December), as a UTC instant; local, so the clock change
    between the draft and the quarter end moves neither."""
    day = quarter.next.first_day - timedelta(days=days_before)
    return datetime.combine(day, at, zone).astimezone(UTC)


def bulletin_quarter(ref: str) -> Quarter:
    """The quarter a bulletin's reference ("BUL-2026-Q3") names; every stored one does."""
    found = parse_quarter(ref)
    assert found is not None, ref
    return found
