"""What a quarter's bulletin says, gathered in a fixed handful of bounded queries.

Only what was *completed* inside the quarter counts: an action verified, a re-audit recorded,
an idea implemented, an alert sent, each with its moment inside [start, end). Whatever the
governance lead left out at review is left out of everything, the lists *and* the figures
(docs/domain.md, "Bulletin figures, defined"), so the headline never counts what staff cannot
see. Each change is shown with its lesson's title and what was learned ("you said, we did"):
texts checked for patient data when submitted and again at triage, and shown only for a
triaged lesson, the rule every member of staff reads lessons under (handlers/visibility.py).
Lessons are never credited to anyone (no consent to that is asked); an implemented idea
credits its submitters only where they consented and submitted it by name. Everything here is
plain data that turns into JSON and back (the snapshot frozen at approval), so the published
page is drawn from the snapshot alone and can never change afterwards.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from handlers.actions.lifecycle import ActionStatus
from handlers.bulletin.quarters import Quarter
from handlers.config import OrgConfig
from handlers.digest.data import DIMENSION_LABELS, unit_label
from handlers.ideas.lifecycle import IdeaStatus
from handlers.lessons.lifecycle import LessonStatus
from handlers.trends import DISMISSED
from store.uow import UnitOfWork

SNAPSHOT_VERSION = 2
"""2: figures over kept items only, lessons' titles and learning on each change."""


@dataclass(frozen=True)
class ActionItem:
    ref: str
    lesson_ref: str
    committee: str
    tier: int
    tier_name: str
    strength: str
    what: str
    """The change made (tier 1) or the action's description."""
    evidence: str
    verified_on: str
    """ISO date, in the trust's zone."""
    lesson_title: str = ""
    learned: str = ""
    """The lesson's "what we learned" (empty for an untriaged lesson, and in version 1)."""


@dataclass(frozen=True)
class ReauditItem:
    ref: str
    lesson_ref: str
    committee: str
    tier: int
    passed: bool
    recorded_on: str
    notes: str
    lesson_title: str = ""
    learned: str = ""
    what: str = ""
    """The change that was re-audited."""


@dataclass(frozen=True)
class IdeaItem:
    ref: str
    kind: str
    title: str
    change: str
    benefits: tuple[str, ...]
    implemented_on: str
    credit: tuple[str, ...]
    """Submitters' names, only where they consented; empty otherwise."""


@dataclass(frozen=True)
class TrendItem:
    ref: str
    dimension: str
    label: str
    lessons: int
    raised_on: str
    response: str
    """The committee's recorded response, if any."""
    actions: tuple[str, ...]
    """References of this quarter's verified actions on the trend's lessons."""
    weak_only: bool


@dataclass(frozen=True)
class AlertItem:
    ref: str
    kind: str
    title: str
    severity: str
    sent_on: str
    recipients: int
    acknowledged: int

    @property
    def rate(self) -> float | None:
        return self.acknowledged / self.recipients if self.recipients else None


@dataclass(frozen=True)
class Count:
    label: str
    count: int
    key: str = ""


@dataclass(frozen=True)
class Figures:
    lessons_by_source: tuple[Count, ...]
    """Lessons reported in the quarter, by source, most first."""
    actions_by_tier: tuple[Count, ...]
    """Actions verified in the quarter, by tier (key = the tier's strength)."""
    actions_verified: int
    """Changes made: kept actions verified in the quarter."""
    stronger_actions: int
    """Of actions_verified, those in a tier the config calls "stronger"."""
    lessons_changed: int
    """Lessons with at least one kept action verified in the quarter."""
    lessons_not_progressed: int = 0
    """Lessons the committee decided not to progress in the quarter (a count, never listed)."""
    reaudits_passed: int = 0
    reaudits_failed: int = 0
    ideas_implemented: int = 0

    @property
    def stronger_share(self) -> float | None:
        return self.stronger_actions / self.actions_verified if self.actions_verified else None

    @property
    def reaudits(self) -> int:
        return self.reaudits_passed + self.reaudits_failed

    @property
    def lessons_concluded(self) -> int:
        """Lessons that reached an outcome: a change made, or not progressed."""
        return self.lessons_changed + self.lessons_not_progressed

    @property
    def lessons_reported(self) -> int:
        return sum(c.count for c in self.lessons_by_source)


@dataclass(frozen=True)
class Section:
    """A list and how many there were in all (more than shown only past LIST_LIMIT)."""

    total: int
    more: int = 0


@dataclass(frozen=True)
class LessonChanges:
    """One lesson and the changes made in response to it this quarter ("you said, we did")."""

    ref: str
    title: str
    learned: str
    changes: tuple[ActionItem, ...]


@dataclass(frozen=True)
class Contents:
    version: int
    ref: str
    quarter: str
    """e.g. "Q3 2026/27 (October to December 2026)"."""
    start: datetime
    end: datetime
    organisation: str
    foreword: str
    verified: tuple[ActionItem, ...]
    reaudits: tuple[ReauditItem, ...]
    ideas: tuple[IdeaItem, ...]
    trends: tuple[TrendItem, ...]
    alerts: tuple[AlertItem, ...]
    figures: Figures
    more: Mapping[str, int] = field(default_factory=dict)
    """Per section, items beyond the list limit (not shown, but counted in the figures)."""
    left_out: tuple[str, ...] = ()
    """References the governance lead left out (kept out of every list above)."""

    def by_lesson(self) -> list[LessonChanges]:
        """The verified changes grouped under their lesson, in order of the first change."""
        groups: dict[str, LessonChanges] = {}
        for a in self.verified:
            found = groups.get(a.lesson_ref)
            if found is None:
                groups[a.lesson_ref] = LessonChanges(a.lesson_ref, a.lesson_title, a.learned, (a,))
            else:
                groups[a.lesson_ref] = replace(found, changes=(*found.changes, a))
        return list(groups.values())

    def keys(self) -> list[str]:
        """Every item reference in the lists, in page order (what can be left out)."""
        refs = [x.ref for x in self.verified] + [x.ref for x in self.reaudits]
        refs += [x.ref for x in self.ideas] + [x.ref for x in self.trends]
        refs += [x.ref for x in self.alerts]
        return list(dict.fromkeys(refs))

    @property
    def empty(self) -> bool:
        return not (self.verified or self.reaudits or self.ideas or self.trends or self.alerts)


_CONTENTS = TypeAdapter(Contents)


def to_snapshot(contents: Contents) -> dict[str, Any]:
    data: dict[str, Any] = _CONTENTS.dump_python(contents, mode="json")
    return data


def from_snapshot(data: Mapping[str, Any]) -> Contents:
    """The frozen contents; a version 1 snapshot (before the figures followed the kept items)
    gets its re-audit and idea counts from its own lists, which were the kept items."""
    if data.get("version", 1) < 2:
        figures = dict(data["figures"])
        figures.pop("lessons_concluded", None)
        reaudits = data.get("reaudits", [])
        passed = sum(1 for r in reaudits if r.get("passed"))
        figures.setdefault("reaudits_passed", passed)
        figures.setdefault("reaudits_failed", len(reaudits) - passed)
        figures.setdefault("ideas_implemented", len(data.get("ideas", [])))
        data = {**data, "figures": figures}
    return _CONTENTS.validate_python(data)


def _day(config: OrgConfig, moment: datetime) -> str:
    return moment.astimezone(config.zone).date().isoformat()


def build_contents(
    uow: UnitOfWork,
    config: OrgConfig,
    quarter: Quarter,
    foreword: str | None = None,
    excluded: Collection[str] = (),
) -> Contents:
    """Everything completed in `quarter` as of now, without the references in `excluded` (in
    the lists and in the figures alike): a constant number of bounded queries."""
    repo = uow.bulletins
    zone = config.zone
    gone = sorted({r.upper() for r in excluded})
    start, end = quarter.start(zone), quarter.end(zone)
    committees = sorted(config.committees)
    tiers = {t.number: t for t in config.tiers}

    verified_rows, verified_total = repo.verified_actions(committees, start, end, gone)
    verified = tuple(
        ActionItem(
            ref=r.ref,
            lesson_ref=r.lesson_ref,
            committee=r.committee,
            tier=r.tier,
            tier_name=tiers[r.tier].name if r.tier in tiers else f"Tier {r.tier}",
            strength=tiers[r.tier].strength if r.tier in tiers else "",
            what=r.change or r.description,
            evidence=r.evidence or "",
            verified_on=_day(config, r.verified_at),
            lesson_title=r.lesson_title if r.lesson_triaged else "",
            learned=r.lesson_learned if r.lesson_triaged else "",
        )
        for r in verified_rows
    )
    passed, failed = ActionStatus.CLOSED.value, ActionStatus.REAUDIT_FAILED.value
    reaudit_rows, reaudit_total = repo.reaudit_results(committees, passed, failed, start, end, gone)
    reaudits = tuple(
        ReauditItem(
            r.ref,
            r.lesson_ref,
            r.committee,
            r.tier,
            r.passed,
            _day(config, r.recorded_at),
            r.notes or "",
            lesson_title=r.lesson_title if r.lesson_triaged else "",
            learned=r.lesson_learned if r.lesson_triaged else "",
            what=r.what,
        )
        for r in reaudit_rows
    )
    idea_rows, idea_total = repo.implemented_ideas(
        (IdeaStatus.IMPLEMENTED.value, IdeaStatus.RECOGNISED.value), start, end, gone
    )
    names = repo.credited_names([i.id for i in idea_rows if i.credit_consent])
    labels = {b.lower(): b for b in config.ideas.benefits}
    ideas = tuple(
        IdeaItem(
            ref=i.ref,
            kind="Big Idea" if i.kind == "big" else "Bright Idea",
            title=i.title,
            change=i.proposed_change,
            benefits=tuple(labels.get(b.lower(), b) for b in i.expected_benefits),
            implemented_on=_day(config, i.implemented_at),
            credit=tuple(names.get(i.id, ())) if i.credit_consent else (),
        )
        for i in idea_rows
    )
    trends = tuple(t for t in _trends(uow, config, verified_rows) if t.ref not in gone)
    alert_rows, alert_total = repo.alerts_issued(start, end, gone)
    alerts = tuple(
        AlertItem(
            a.ref,
            a.kind,
            a.title,
            config.alert_severities[a.severity].label
            if a.severity in config.alert_severities
            else a.severity,
            _day(config, a.sent_at),
            a.recipients,
            min(a.acknowledged, a.recipients) if a.recipients else a.acknowledged,
        )
        for a in alert_rows
    )
    reaudits_passed, reaudits_failed = repo.reaudit_counts(
        committees, passed, failed, start, end, gone
    )
    figures = replace(
        _figures(uow, config, committees, start, end, gone),
        reaudits_passed=reaudits_passed,
        reaudits_failed=reaudits_failed,
        ideas_implemented=idea_total,
    )
    return Contents(
        version=SNAPSHOT_VERSION,
        ref=quarter.ref,
        quarter=quarter.label,
        start=start,
        end=end,
        organisation=config.organisation.name,
        foreword=foreword or "",
        verified=verified,
        reaudits=reaudits,
        ideas=ideas,
        trends=trends,
        alerts=alerts,
        figures=figures,
        more={
            name: total - shown
            for name, total, shown in (
                ("verified", verified_total, len(verified)),
                ("reaudits", reaudit_total, len(reaudits)),
                ("ideas", idea_total, len(ideas)),
                ("alerts", alert_total, len(alerts)),
            )
            if total > shown
        },
        left_out=tuple(gone),
    )


def _trends(uow: UnitOfWork, config: OrgConfig, verified: list[Any]) -> tuple[TrendItem, ...]:
    """Trends answered this quarter: those with an action verified on one of their lessons,
    but for trends a committee dismissed (no theme, no response: nothing to tell staff)."""
    by_lesson: dict[int, list[Any]] = {}
    for row in verified:
        by_lesson.setdefault(row.lesson_id, []).append(row)
    found: dict[int, dict[str, Any]] = {}
    for t in uow.bulletins.trends_of(list(by_lesson), leave_out=(DISMISSED,)):
        entry = found.setdefault(t.id, {"row": t, "actions": {}})
        for action in by_lesson.get(t.lesson_id, ()):
            entry["actions"][action.ref] = action.tier
    weak = set(config.trends.weak_tiers)
    items = []
    for entry in found.values():
        t = entry["row"]
        actions: dict[str, int] = entry["actions"]
        items.append(
            TrendItem(
                ref=t.ref,
                dimension=DIMENSION_LABELS.get(t.dimension, t.dimension),
                label=unit_label(config, t.dimension, t.value),
                lessons=t.lesson_count,
                raised_on=_day(config, t.created_at),
                response=t.response or "",
                actions=tuple(sorted(actions)),
                weak_only=bool(actions) and set(actions.values()) <= weak,
            )
        )
    return tuple(items)


def _figures(
    uow: UnitOfWork,
    config: OrgConfig,
    committees: list[str],
    start: datetime,
    end: datetime,
    excluded: Collection[str],
) -> Figures:
    repo = uow.bulletins
    sources = repo.lessons_by_source(start, end, [LessonStatus.MERGED.value])
    by_source = tuple(
        sorted(
            (
                Count(
                    config.lesson_sources[code].label if code in config.lesson_sources else code,
                    count,
                    code,
                )
                for code, count in sources.items()
            ),
            key=lambda c: (-c.count, c.label),
        )
    )
    by_tier, lessons_changed = repo.verified_by_tier(committees, start, end, excluded)
    tiers = sorted(config.tiers, key=lambda t: t.number)
    actions_by_tier = tuple(
        Count(f"Tier {t.number}: {t.name}", by_tier.get(t.number, 0), t.strength) for t in tiers
    )
    stronger = {t.number for t in tiers if t.strength == "stronger"}
    not_progressed = repo.lessons_concluded((LessonStatus.NOT_PROGRESSED.value,), start, end)
    return Figures(
        lessons_by_source=by_source,
        actions_by_tier=actions_by_tier,
        actions_verified=sum(by_tier.values()),
        stronger_actions=sum(n for tier, n in by_tier.items() if tier in stronger),
        lessons_changed=lessons_changed,
        lessons_not_progressed=sum(not_progressed.values()),
    )
