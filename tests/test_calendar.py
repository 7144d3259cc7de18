"""Working days, quiet hours and NHS quarters for the bundled trust (London, England & Wales).

Reminder rules count working days ("lesson not triaged: 5 working days") and hold non-urgent
messages during quiet hours, so an off-by-one here sends a reminder on Christmas Day or at 7am.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.calendar import WorkingCalendar
from handlers.config import load_config

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(load_config())


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


# ---------------------------------------------------------------- working days


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 25),  # Christmas Day (Friday)
        date(2026, 12, 28),  # Boxing Day falls on Saturday: substitute Monday
        date(2027, 3, 26),  # Good Friday 2027
        date(2027, 3, 29),  # Easter Monday 2027
        date(2027, 5, 3),  # Early May bank holiday
        date(2027, 12, 27),  # Christmas on Saturday: substitute Monday
        date(2027, 12, 28),  # Boxing Day on Sunday: substitute Tuesday
        date(2028, 1, 3),  # New Year's Day on Saturday: substitute Monday
    ],
)
def test_bank_holidays_are_not_working_days(cal: WorkingCalendar, day: date) -> None:
    assert day.weekday() < 5, "the example must be a weekday to prove anything"
    assert not cal.is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 11, 28), date(2026, 11, 29), date(2027, 12, 25)])
def test_weekends_are_not_working_days(cal: WorkingCalendar, day: date) -> None:
    assert not cal.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 11, 26),  # an ordinary Thursday
        date(2026, 12, 24),  # Christmas Eve is a working day
        date(2027, 3, 30),  # the day after Easter Monday
        date(2027, 12, 29),  # the first working day after Christmas 2027
        date(2027, 3, 17),  # St Patrick's Day: a holiday in Northern Ireland only
        date(2026, 11, 30),  # St Andrew's Day: a holiday in Scotland only
    ],
)
def test_ordinary_weekdays_are_working_days(cal: WorkingCalendar, day: date) -> None:
    assert cal.is_working_day(day)


def test_subtract_skips_weekend_and_keeps_local_time(cal: WorkingCalendar) -> None:
    monday = london(2026, 11, 30, 14, 45)
    assert cal.subtract_working_days(monday, 1) == london(2026, 11, 27, 14, 45)
    assert cal.subtract_working_days(monday, 5) == london(2026, 11, 23, 14, 45)


def test_add_skips_christmas_2027_and_its_substitute_days(cal: WorkingCalendar) -> None:
    """Fri 24 Dec 2027 + 1 working day: Sat, Sun, Mon 27 and Tue 28 are all off."""
    eve = london(2027, 12, 24, 9, 30)
    assert cal.add_working_days(eve, 1) == london(2027, 12, 29, 9, 30)
    assert cal.subtract_working_days(london(2027, 12, 29, 9, 30), 1) == eve


def test_add_skips_easter_2027(cal: WorkingCalendar) -> None:
    """Thu 25 Mar 2027 + 1 working day is Tue 30 Mar (Good Friday and Easter Monday off)."""
    thursday = london(2027, 3, 25, 16, 0)
    assert cal.add_working_days(thursday, 1) == london(2027, 3, 30, 16, 0)
    assert cal.subtract_working_days(london(2027, 3, 30, 16, 0), 1) == thursday


def test_ten_working_days_over_christmas_2026(cal: WorkingCalendar) -> None:
    """Verification reminders (10 working days) must not count the Christmas break."""
    start = london(2026, 12, 18, 10, 0)  # Friday
    # 21 22 23 24 | 25 off | 28 off (Boxing Day substitute) | 29 30 31 | 1 Jan off | 4 5 6
    assert cal.add_working_days(start, 10) == london(2027, 1, 6, 10, 0)


def test_local_time_kept_across_the_clock_change(cal: WorkingCalendar) -> None:
    """09:00 in London stays 09:00 in London, though the UTC offset changes over the weekend."""
    monday_bst = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 09:00 BST
    friday = cal.subtract_working_days(monday_bst, 1)
    assert friday == datetime(2026, 3, 27, 9, 0, tzinfo=UTC)  # 09:00 GMT
    assert cal.local(friday).hour == 9
    assert cal.add_working_days(friday, 1) == monday_bst


def test_zero_days_is_the_same_moment(cal: WorkingCalendar) -> None:
    moment = london(2026, 11, 26, 9, 0)
    assert cal.add_working_days(moment, 0) == moment
    assert cal.subtract_working_days(moment, 0) == moment


def test_results_are_in_the_organisation_zone(cal: WorkingCalendar) -> None:
    result = cal.add_working_days(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), 2)
    assert result.tzinfo == LONDON
    assert result == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


working_moments = st.builds(
    lambda day, minutes: (
        datetime.combine(day, datetime.min.time(), LONDON) + timedelta(minutes=minutes)
    ),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31)),
    st.integers(min_value=0, max_value=24 * 60 - 1),
)


@settings(max_examples=200, deadline=None)
@given(working_moments, st.integers(min_value=1, max_value=30))
def test_add_undoes_subtract_on_working_days(
    cal: WorkingCalendar, moment: datetime, days: int
) -> None:
    """Going back n working days and forward n again returns to the same working-day moment."""
    if not cal.is_working_day(moment.date()):
        moment = cal.add_working_days(moment, 1)
    earlier = cal.subtract_working_days(moment, days)
    assert cal.is_working_day(earlier.date())
    assert earlier < moment
    assert cal.local(earlier).time() == cal.local(moment).time()
    assert cal.add_working_days(earlier, days) == moment


@settings(max_examples=200, deadline=None)
@given(working_moments, st.integers(min_value=1, max_value=30))
def test_add_lands_on_a_working_day_after_n_working_days(
    cal: WorkingCalendar, moment: datetime, days: int
) -> None:
    later = cal.add_working_days(moment, days)
    assert cal.is_working_day(later.date())
    between = [
        moment.date() + timedelta(days=i) for i in range(1, (later.date() - moment.date()).days + 1)
    ]
    assert sum(cal.is_working_day(d) for d in between) == days


# ---------------------------------------------------------------- quiet hours (20:00-08:00)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ((2026, 11, 26, 19, 59), False),
        ((2026, 11, 26, 20, 0), True),
        ((2026, 11, 26, 23, 30), True),
        ((2026, 11, 27, 0, 0), True),
        ((2026, 11, 27, 7, 59), True),
        ((2026, 11, 27, 8, 0), False),
        ((2026, 11, 27, 12, 0), False),
        ((2026, 7, 1, 20, 30), True),  # summer time: 19:30 UTC is 20:30 in London
        ((2026, 7, 1, 7, 30), True),
    ],
)
def test_in_quiet_hours(cal: WorkingCalendar, local: tuple[int, ...], quiet: bool) -> None:
    assert cal.in_quiet_hours(london(*local)) is quiet


def test_quiet_hours_use_london_not_utc(cal: WorkingCalendar) -> None:
    """In summer, 19:30 UTC is already 20:30 in London; 07:30 UTC is 08:30 and not quiet."""
    assert cal.in_quiet_hours(datetime(2026, 7, 1, 19, 30, tzinfo=UTC))
    assert not cal.in_quiet_hours(datetime(2026, 7, 1, 7, 30, tzinfo=UTC))


def test_outside_quiet_hours_a_message_goes_now(cal: WorkingCalendar) -> None:
    moment = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert cal.end_of_quiet_hours(moment) == moment


def test_evening_message_waits_for_next_morning(cal: WorkingCalendar) -> None:
    assert cal.end_of_quiet_hours(london(2026, 11, 26, 21, 15)) == london(2026, 11, 27, 8, 0)


def test_after_midnight_message_waits_for_the_same_morning(cal: WorkingCalendar) -> None:
    assert cal.end_of_quiet_hours(london(2026, 11, 27, 2, 0)) == london(2026, 11, 27, 8, 0)


def test_quiet_hours_end_is_not_a_working_day_rule(cal: WorkingCalendar) -> None:
    """Quiet hours are about the time of day: Friday night waits until Saturday 08:00."""
    assert cal.end_of_quiet_hours(london(2026, 11, 27, 22, 0)) == london(2026, 11, 28, 8, 0)


def test_quiet_hours_across_spring_clock_change(cal: WorkingCalendar) -> None:
    """Sat 28 Mar 2026 20:30 GMT waits until Sun 29 Mar 08:00 BST, which is 07:00 UTC."""
    held = datetime(2026, 3, 28, 20, 30, tzinfo=UTC)
    assert cal.in_quiet_hours(held)
    release = cal.end_of_quiet_hours(held)
    assert release == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert cal.local(release).hour == 8
    assert not cal.in_quiet_hours(datetime(2026, 3, 29, 7, 30, tzinfo=UTC))  # 08:30 BST
    assert cal.in_quiet_hours(datetime(2026, 3, 28, 7, 30, tzinfo=UTC))  # 07:30 GMT


def test_quiet_hours_across_autumn_clock_change(cal: WorkingCalendar) -> None:
    """Sat 24 Oct 2026 21:00 BST waits until Sun 25 Oct 08:00 GMT (12 hours, not 11)."""
    held = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)  # 21:00 BST
    assert cal.in_quiet_hours(held)
    release = cal.end_of_quiet_hours(held)
    assert release == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    assert release - held == timedelta(hours=12)
    assert cal.in_quiet_hours(datetime(2026, 10, 25, 7, 30, tzinfo=UTC))  # 07:30 GMT


def test_quiet_hours_inside_the_repeated_autumn_hour(cal: WorkingCalendar) -> None:
    """01:30 happens twice on 25 Oct 2026; both are quiet and both wait for 08:00 GMT."""
    for utc_hour in (0, 1):
        held = datetime(2026, 10, 25, utc_hour, 30, tzinfo=UTC)
        assert cal.local(held).hour == 1
        assert cal.end_of_quiet_hours(held) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2029, 12, 31)))
def test_release_is_never_quiet_and_never_early(cal: WorkingCalendar, naive: datetime) -> None:
    """A held message goes out at the first non-quiet moment: 08:00 local within 12 hours."""
    moment = naive.replace(tzinfo=UTC)
    release = cal.end_of_quiet_hours(moment)
    assert release >= moment
    assert not cal.in_quiet_hours(release)
    if cal.in_quiet_hours(moment):
        assert cal.local(release).time().isoformat() == "08:00:00"
        assert release - moment <= timedelta(hours=13)  # 12 h, plus the autumn extra hour
        assert cal.in_quiet_hours(release - timedelta(minutes=1))


# ---------------------------------------------------------------- NHS financial quarters


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 4, 1), (2026, 1)),
        (date(2026, 6, 30), (2026, 1)),
        (date(2026, 7, 1), (2026, 2)),
        (date(2026, 9, 30), (2026, 2)),
        (date(2026, 10, 1), (2026, 3)),
        (date(2026, 12, 31), (2026, 3)),
        (date(2027, 1, 1), (2026, 4)),
        (date(2027, 3, 31), (2026, 4)),
        (date(2027, 4, 1), (2027, 1)),
    ],
)
def test_nhs_quarter(day: date, expected: tuple[int, int]) -> None:
    """Q1 is April-June; January-March is Q4 of the financial year that began last April."""
    assert WorkingCalendar.nhs_quarter(day) == expected


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_nhs_quarter_matches_month_arithmetic(day: date) -> None:
    year, quarter = WorkingCalendar.nhs_quarter(day)
    assert quarter in (1, 2, 3, 4)
    months_since_april = (day.year - year) * 12 + day.month - 4
    assert 0 <= months_since_april < 12
    assert quarter == months_since_april // 3 + 1
