"""Working days, quiet hours and NHS quarters in the organisation's time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from handlers.config import OrgConfig

_SUBDIVISIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}


class WorkingCalendar:
    """Answers "how many working days", "is it quiet hours" and "which quarter" for one trust."""

    def __init__(self, config: OrgConfig) -> None:
        self.zone: ZoneInfo = config.zone
        self._subdivision = _SUBDIVISIONS[config.organisation.bank_holidays]
        self._quiet_start = time.fromisoformat(config.quiet_hours.start)
        self._quiet_end = time.fromisoformat(config.quiet_hours.end)

    @cached_property
    def _holidays(self) -> Any:
        # Imported lazily: the holidays package is large and most commands never need it.
        import holidays

        return holidays.country_holidays("GB", subdiv=self._subdivision)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def subtract_working_days(self, moment: datetime, days: int) -> datetime:
        """The moment `days` working days before `moment`, at the same local time of day."""
        local = self.local(moment)
        day = local.date()
        remaining = days
        while remaining > 0:
            day -= timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, local.timetz().replace(tzinfo=None), self.zone)

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        local = self.local(moment)
        day = local.date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, local.timetz().replace(tzinfo=None), self.zone)

    def in_quiet_hours(self, moment: datetime) -> bool:
        now = self.local(moment).time()
        start, end = self._quiet_start, self._quiet_end
        if start == end:
            return False
        if start < end:
            return start <= now < end
        return now >= start or now < end

    def end_of_quiet_hours(self, moment: datetime) -> datetime:
        """When a message held at `moment` may go out: now if not quiet, else the next morning."""
        if not self.in_quiet_hours(moment):
            return moment
        local = self.local(moment)
        day = local.date()
        if local.time() >= self._quiet_end:
            day += timedelta(days=1)
        return datetime.combine(day, self._quiet_end, self.zone)

    @staticmethod
    def nhs_quarter(day: date) -> tuple[int, int]:
        """(financial year start, quarter 1-4); Q1 is April to June."""
        quarter = ((day.month - 4) % 12) // 3 + 1
        year = day.year if day.month >= 4 else day.year - 1
        return year, quarter
