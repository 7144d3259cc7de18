"""How many reminders a real trust's clock raises in one tick, derived from its volumes.

The reminder tick benchmark used to time a round 50 due reminders. These figures say where a
real day sits. Every number is an assumption, stated so that a trust can put in its own:

The trust: The Clatterbridge Cancer Centre, about 1,800 staff (docs/domain.md).

- Lessons entering the register: about 600 a year. A specialist cancer trust of this size
  reports in the order of 1,500 patient safety events a year to LFPSE, most of them no or low
  harm and reviewed in aggregate; we assume 1 in 5 becomes a lesson of its own (300), plus
  complaints and PALS concerns with learning (~150), audits and QI projects (~100) and
  external reports, alerts and good practice (~50).
- Safety actions: 1.5 per lesson, so about 900 a year.
- Reminders over an action's life: about 6.3 (asked to accept 1, due in 14 days 1, due in 3
  days 1, overdue after a day and then weekly 2 on average, completion waiting for
  verification 1, a tier-1 re-audit 0.3).
- Other reminders: an untriaged lesson 0.5 per lesson; Bright/Big Ideas waiting for the panel
  or a sponsor, 300 ideas a year at 1 each.
- So about 900 x 6.3 + 600 x 0.5 + 300 = 6,270 reminders a year, on 252 working days: 25 a
  working day. Dates cluster (the Monday after a weekend, month and quarter ends before
  committee meetings), so the busiest day is taken as 3 x the average: 75.
- Reminders come due when the clock first ticks in working hours (09:00), so the busiest tick
  raises the whole busiest day at once: 75 due in one tick.

A region of 100,000 staff (the scale the project plans for) is taken as 100,000 / 1,800 = 56
such trusts on one installation with the same habits: about 4,150 due in its busiest tick.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

WORKING_DAYS = 252


@dataclass(frozen=True)
class Volumes:
    staff: int = 1_800
    lessons_per_year: int = 600
    actions_per_lesson: float = 1.5
    reminders_per_action: float = 6.3
    reminders_per_lesson: float = 0.5
    ideas_per_year: int = 300
    reminders_per_idea: float = 1.0
    busiest_day_factor: float = 3.0

    def per_year(self) -> float:
        actions = self.lessons_per_year * self.actions_per_lesson
        return (
            actions * self.reminders_per_action
            + self.lessons_per_year * self.reminders_per_lesson
            + self.ideas_per_year * self.reminders_per_idea
        )

    def busiest_tick(self, staff: int | None = None) -> int:
        """Reminders due in the busiest tick for `staff` people (default the trust's)."""
        per_day = self.per_year() / WORKING_DAYS * ((staff or self.staff) / self.staff)
        return round(per_day * self.busiest_day_factor)

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "reminders_per_year": round(self.per_year()),
            "busiest_tick_trust": self.busiest_tick(),
            "busiest_tick_region_100k": self.busiest_tick(100_000),
            "assumptions": "bench/volumes.py",
        }


TRUST = Volumes()
