"""The quarterly board pack for the Quality Committee: every committee's figures for a quarter.

Tier mix and action strength, time to action, the overdue trend, re-audit outcomes and alert
acknowledgement rates; each measure with a series is also an SPC chart (handlers/reports/
charts.py). Counts and rates only. Small numbers: a rate about people (who acknowledged an
alert) is withheld when fewer than SMALL people were asked, because a rate of a handful of
named recipients can say who did not respond; counts of records (lessons, actions, re-audits)
say nothing about a person and are shown in full (docs/reports.md).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from handlers.bulletin.quarters import Quarter
from handlers.config import OrgConfig
from handlers.spc import Improvement
from handlers.spc.series import (
    REPORT_PERIODS,
    At,
    Series,
    agreed_between,
    days_to_action,
    days_to_actions,
    overdue_actions,
    periods,
    stronger_share,
    stronger_tiers,
)
from store.uow import UnitOfWork

SMALL = 5
"""Fewer people than this behind a rate: the rate is withheld ("fewer than 5 recipients")."""


@dataclass(frozen=True)
class TierRow:
    committee: str
    name: str
    by_tier: tuple[int, ...]
    """Actions agreed in the quarter in tiers 1..5."""
    stronger: int

    @property
    def total(self) -> int:
        return sum(self.by_tier)

    @property
    def stronger_share(self) -> str:
        return f"{self.stronger / self.total:.0%}" if self.total else "None agreed"


@dataclass(frozen=True)
class TimeRow:
    committee: str
    name: str
    actions: int
    median_days: float | None


@dataclass(frozen=True)
class ReauditRow:
    committee: str
    name: str
    passed: int
    failed: int


@dataclass(frozen=True)
class AlertRow:
    ref: str
    sent_on: date
    recipients: int
    acknowledged: int

    @property
    def suppressed(self) -> bool:
        return self.recipients < SMALL

    @property
    def rate(self) -> float | None:
        if self.suppressed or not self.recipients:
            return None
        return self.acknowledged / self.recipients


@dataclass(frozen=True)
class BoardPack:
    quarter: Quarter
    first_day: date
    last_day: date
    tiers: tuple[TierRow, ...]
    times: tuple[TimeRow, ...]
    reaudits: tuple[ReauditRow, ...]
    alerts: tuple[AlertRow, ...]
    series: tuple[Series, ...]
    """Across all committees, weekly to the quarter's end (or to today in a running quarter)."""


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def build_board_pack(
    uow: UnitOfWork, config: OrgConfig, quarter: Quarter, now: datetime
) -> BoardPack:
    zone = config.zone
    start, end = quarter.start(zone), min(quarter.end(zone), now)
    codes = sorted(config.committees)
    names = {code: config.committees[code].name for code in codes}
    strong_tiers = stronger_tiers(config)
    last_day = min(quarter.last_day, now.astimezone(zone).date())
    source = At(uow, config, now)
    # Weekly (each [spc] period) up to the quarter's last whole period.
    spans = periods(source, count=REPORT_PERIODS, before=last_day + timedelta(days=1))
    agreed = agreed_between(source, start, end)
    tiers, times, reaudit_rows = [], [], []
    reaudits = uow.reports.reaudits(codes, start, end)
    for code in codes:
        mine = [a for a in agreed if a.committee == code]
        by_tier = tuple(sum(1 for a in mine if a.tier == n) for n in range(1, 6))
        strong = sum(1 for a in mine if a.tier in strong_tiers)
        tiers.append(TierRow(code, names[code], by_tier, strong))
        days = [days_to_action(a) for a in mine]
        times.append(TimeRow(code, names[code], len(mine), _median(days)))
        results = [r for r in reaudits if r.committee == code]
        passed = sum(1 for r in results if r.passed)
        reaudit_rows.append(ReauditRow(code, names[code], passed, len(results) - passed))
    alert_rows, _ = uow.bulletins.alerts_issued(start, end)
    alerts = tuple(
        AlertRow(
            a.ref,
            a.sent_at.astimezone(zone).date(),
            a.recipients,
            min(a.acknowledged, a.recipients),
        )
        for a in alert_rows
    )
    series = (
        overdue_actions(source, spans=spans),
        days_to_actions(source, spans=spans),
        stronger_share(source, spans=spans),
        _alert_series(alerts),
    )
    return BoardPack(
        quarter,
        quarter.first_day,
        quarter.last_day,
        tuple(tiers),
        tuple(times),
        tuple(reaudit_rows),
        alerts,
        series,
    )


def _alert_series(alerts: tuple[AlertRow, ...]) -> Series:
    """Each alert's acknowledgement rate, in the order they were sent (one point per day: the
    first alert of a day stands for it, so the series has one value per period)."""
    points: dict[date, float] = {}
    for alert in alerts:
        rate = alert.rate
        if rate is not None and alert.sent_on not in points:
            points[alert.sent_on] = round(100 * rate, 1)
    return Series(
        "alert_acks",
        "Critical alerts acknowledged, % of recipients, by alert",
        "%",
        Improvement.INCREASE,
        tuple(sorted(points.items())),
    )
