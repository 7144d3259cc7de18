"""The organisation config: everything a trust changes to adopt QI Hub, validated once at start.

Another trust adopts the bot by editing this file alone, so every taxonomy, role, channel, schedule
and reminder rule lives here, not in code. Errors always name the offending key.
"""

from __future__ import annotations

import re
import tomllib
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from handlers.mobile import ContactProblem, normalise_uk_mobile

BUNDLED_CONFIG = "clatterbridge.toml"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ConfigError(Exception):
    """A config problem, pinned to a dotted key so the operator knows exactly what to edit."""

    def __init__(self, key: str, message: str, source: str = "") -> None:
        self.key = key
        self.message = message
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {message}" if key else f"{where}{message}")


def _email(value: str) -> str:
    value = value.strip().lower()
    if not EMAIL_RE.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _clock_time(value: str) -> str:
    try:
        time.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a time of day like 08:00") from exc
    return value


Email = Annotated[str, AfterValidator(_email)]
ClockTime = Annotated[str, AfterValidator(_clock_time)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(Strict):
    name: Name
    short_name: Name
    timezone: str = "Europe/London"
    bank_holidays: Literal["england-and-wales", "scotland", "northern-ireland"] = (
        "england-and-wales"
    )
    web_base_url: str = "http://localhost:3000"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class QuietHours(Strict):
    start: ClockTime = "20:00"
    end: ClockTime = "08:00"


class Schedule(Strict):
    weekday: Weekday = "monday"
    time: ClockTime = "08:00"


ALERTS_CHANNEL = "all_staff"
"""The channel key critical alerts are posted to (handlers/alerts/broadcast.py)."""


class BulletinSettings(Strict):
    weekday: Weekday = "monday"
    """Not used (the draft's day is 10 days before the quarter ends); kept so configs load."""
    time: ClockTime = "09:00"
    """The local time of day the quarter's draft is made."""
    channel: str = "bulletin"
    """The [channels] key the published bulletin is posted to: its own channel, never the
    critical-alerts one, so neither dilutes the other (_check_bulletin)."""


class Committee(Strict):
    name: Name
    domain: Name
    channel: str
    chair: Email
    members: list[Email] = Field(default_factory=list)
    governance_leads: list[Email] = Field(default_factory=list)
    digest: Schedule = Field(default_factory=Schedule)
    idea_benefits: list[str] = Field(default_factory=list)
    """Idea benefits that touch this committee's domain (its digest lists those ideas)."""
    digest_alerts: bool = False
    """Its digest lists the week's critical alerts and their acknowledgement rates
    (docs/domain.md gives these to the Patient Safety Committee)."""


class LessonSource(Strict):
    label: Name
    committee: str | None = None
    """Default committee; None means "chosen by domain" when the lesson is submitted."""


class Tier(Strict):
    number: int = Field(ge=1, le=5)
    name: Name
    strength: Literal["weaker", "intermediate", "stronger", "emergency"]
    help: str = ""


class Site(Strict):
    name: Name
    kind: Literal["hub", "sact", "outpatient", "other"] = "other"


class Department(Strict):
    name: Name
    site: str | None = None


class Channel(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    slack_id: str | None = None
    teams_id: str | None = None


class Redirect(Strict):
    label: Name
    how: str = Field(min_length=1, max_length=500)


class Person(Strict):
    email: Email
    name: Name
    site: str | None = None
    department: str | None = None
    line_manager: Email | None = None
    job_title: str | None = None
    mobile: str | None = None
    """A UK mobile number for critical alert texts (checked by _check_people; personal data:
    never shown or logged). Wins over the directory's `mobilePhone`."""
    alert_email: Email | None = None
    """Where alert emails go when not the work address (e.g. bank staff's own address)."""


class Rule(Strict):
    """One reminder rule. Which of the timing keys applies depends on the rule (see the file).

    A validated config fills every key the trust's file leaves out (or leaves empty) from
    DEFAULT_RULES, so the rules read their numbers here and never carry a fallback of their own.
    """

    enabled: bool = True
    days_before: list[int] = Field(default_factory=list)
    days_after: list[int] = Field(default_factory=list)
    working_days: int | None = Field(default=None, ge=1)
    every_minutes: int | None = Field(default=None, ge=1)
    """None: each alert's severity says how often (`remind_every_minutes`)."""
    urgent: bool = False

    def counted_working_days(self) -> int:
        """`working_days` for a rule that counts them; its default is filled at validation, so
        a missing number here is a rule with no entry in DEFAULT_RULES, a programming error."""
        if self.working_days is None:
            raise ValueError("this reminder rule has no working_days default in DEFAULT_RULES")
        return self.working_days


DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "action_due_soon": {"days_before": [14, 3]},
    "action_overdue": {"days_after": [1]},
    "action_overdue_escalated": {"days_after": [7]},
    "action_long_overdue": {"days_after": [30]},
    "completion_not_verified": {"working_days": 10},
    "reaudit_due": {"days_before": [7, 0]},
    "action_not_accepted": {"days_after": [3]},
    "action_not_accepted_escalated": {"days_after": [7]},
    "lesson_not_triaged": {"working_days": 5},
    "idea_not_screened": {"working_days": 10},
    "idea_not_decided": {"working_days": 30},
    "bulletin_draft": {"days_before": [10]},
    "tier5": {"urgent": True},
    "alert_not_acknowledged": {"urgent": True},
    "alert_deadline_passed": {"urgent": True},
    "alert_approval_pending": {"urgent": True},
    "alert_policy_step": {"urgent": True},
    "committee_digest": {},
}
"""docs/domain.md's reminder table, the one place its numbers are written: what applies to any
rule, or any timing key of a rule, that a trust's file does not give. The config model, the rules
and the benchmark all read it (through the validated config)."""


def _with_defaults(name: str, given: Any) -> Any:
    """The trust's settings for rule `name` over its defaults; an empty list means "default" as
    it always has, so `days_before = []` cannot silence a rule by accident."""
    if given is None:
        return dict(DEFAULT_RULES[name])
    if isinstance(given, Rule):
        given = given.model_dump(exclude_unset=True)
    if not isinstance(given, dict):
        return given  # pydantic names the key and the type it wanted
    chosen = {key: value for key, value in given.items() if value is not None and value != []}
    return {**DEFAULT_RULES[name], **chosen}


class PolicyStep(Strict):
    """One step of a severity's channel policy: a text or an email to the people `who` names
    who have not acknowledged, `after_minutes` after the alert was sent (0: at once)."""

    channel: Literal["sms", "email"]
    after_minutes: int = Field(ge=0)
    who: Literal["no_chat", "not_acked"]
    """no_chat: only people no chat platform can message; not_acked: everyone who has not
    acknowledged (on any channel) by then."""


class AlertSeverity(Strict):
    label: Name
    remind_every_minutes: int = Field(default=0, ge=0)
    """0 (or left out) is refused by _check_alerts, naming the severity: an unacknowledged alert
    must be re-notified."""
    default_deadline_hours: int = Field(ge=1)
    policy: list[PolicyStep] | None = None
    """Texts and emails beyond chat, in order (docs/notify.md "Channel policy"). Left out, a
    `critical` severity takes DEFAULT_CRITICAL_POLICY (see `effective_policy`); `[]` is none."""


DEFAULT_CRITICAL_POLICY = (
    PolicyStep(channel="sms", after_minutes=0, who="no_chat"),
    PolicyStep(channel="email", after_minutes=0, who="no_chat"),
    PolicyStep(channel="sms", after_minutes=15, who="not_acked"),
    PolicyStep(channel="email", after_minutes=30, who="not_acked"),
)
"""A critical alert reaches staff no chat platform can message at once, by text and email, and
everyone still not acknowledged by a text at 15 minutes and an email at 30 (issue 15): a trust
that sets up Notify and writes no policy must not leave a tenth of its staff untold."""


def effective_policy(config: OrgConfig, code: str) -> list[PolicyStep]:
    """The severity's steps: its own, or for `critical` left without one, the default's steps
    whose channel has a [notify] template (with no templates, chat only, as before Notify)."""
    severity = config.alert_severities.get(code)
    if severity is None:
        return []
    if severity.policy is not None:
        return list(severity.policy)
    if code != "critical":
        return []
    templates = {"sms": config.notify.sms_template_id, "email": config.notify.email_template_id}
    return [step for step in DEFAULT_CRITICAL_POLICY if templates[step.channel] is not None]


def _uuid(value: str) -> str:
    text = value.strip().lower()
    if not UUID_RE.match(text):
        raise ValueError("not a template id (a UUID like 9f1c...-...; copy it from Notify)")
    return text


UUIDStr = Annotated[str, AfterValidator(_uuid)]


class NotifySettings(Strict):
    """GOV.UK Notify texts and emails (docs/notify.md). The API key is NOTIFY_API_KEY in the
    environment, never here: this file is not a secret."""

    sms_template_id: UUIDStr | None = None
    email_template_id: UUIDStr | None = None
    sms_sender_id: UUIDStr | None = None
    """Notify's text sender to use; its default sender when left out."""
    email_reply_to_id: UUIDStr | None = None
    allow_international: bool = False
    """Notify services text UK mobiles only unless the service is allowed international ones."""


class IdeasSettings(Strict):
    benefits: list[Name] = Field(min_length=1)
    reason_min_length: int = Field(default=10, ge=1, le=500)


class ActionSettings(Strict):
    cancel_undo_days: int = Field(default=7, ge=1, le=90)
    """How long a cancelled action can be restored with "Undo cancel" (a week: a committee
    that meets weekly sees the cancellation in its digest before the window closes)."""


class TrendRule(Strict):
    min_lessons: int = Field(default=3, ge=2)
    window_days: int = Field(default=90, ge=7)
    weak_tiers: list[int] = Field(default_factory=lambda: [2])
    """Tiers that are weak actions on their own: a trend answered only by these is flagged."""
    rule: Literal["spc", "count"] = "spc"
    """How a site or department trend is raised: special cause on its weekly SPC chart, or
    min_lessons within window_days (for a small trust); docs/spc.md."""
    spc_dimensions: list[Literal["site", "department", "process", "srg"]] = Field(
        default=["site", "department"]
    )
    """The dimensions the spc rule decides; the others always use the count rule."""


class SpcSettings(Strict):
    """The periods SPC series are counted in (docs/spc.md)."""

    period_days: int = Field(default=7, ge=1, le=91)
    """One point per this many days; periods start on a Monday in the trust's zone."""
    periods: int = Field(default=52, ge=12, le=260)
    """How many periods a series looks back (the current, unfinished one included)."""
    min_periods: int = Field(default=12, ge=5, le=260)
    """Fewer periods of history than this and the trend rule counts lessons instead: before
    then the limits are too unsettled to judge by (NHSRplotthedots' 'trial limits')."""


class Retention(Strict):
    lessons_years: int = Field(default=10, ge=1)
    alerts_years: int = Field(default=10, ge=1)
    ideas_years: int = Field(default=10, ge=1)


class PatientDataGuard(Strict):
    hospital_number_pattern: str | None = None
    """The trust's hospital number as a regex, written compactly ("CCC1234567"); the guard also
    matches it with separators inside the number taken out (handlers/guard.py)."""

    @field_validator("hospital_number_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value


class OrgConfig(Strict):
    organisation: Organisation
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    committees: dict[str, Committee] = Field(min_length=1)
    lesson_sources: dict[str, LessonSource] = Field(min_length=1)
    tiers: list[Tier]
    """The five tiers of action; _check_tiers names a missing or repeated one."""
    sites: dict[str, Site] = Field(min_length=1)
    departments: dict[str, Department] = Field(default_factory=dict)
    processes: dict[str, Name] = Field(default_factory=dict)
    srgs: dict[str, Name] = Field(default_factory=dict)
    channels: dict[str, Channel] = Field(default_factory=dict)
    redirects: dict[str, Redirect] = Field(default_factory=dict)
    audiences: dict[str, Name] = Field(default_factory=dict)
    harm_levels: dict[str, Name] = Field(default_factory=dict)
    trends: TrendRule = Field(default_factory=TrendRule)
    spc: SpcSettings = Field(default_factory=SpcSettings)
    roles: dict[str, list[Email]] = Field(default_factory=dict)
    permissions: dict[str, list[str]] = Field(default_factory=dict)
    reminders: dict[str, Rule] = Field(
        default_factory=lambda: {name: Rule(**rule) for name, rule in DEFAULT_RULES.items()}
    )
    alert_severities: dict[str, AlertSeverity] = Field(default_factory=dict)
    ideas: IdeasSettings
    actions: ActionSettings = Field(default_factory=ActionSettings)
    retention: Retention = Field(default_factory=Retention)
    patient_data: PatientDataGuard = Field(default_factory=PatientDataGuard)
    bulletin: BulletinSettings = Field(default_factory=BulletinSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    people: list[Person] = Field(default_factory=list)

    @field_validator("reminders", mode="before")
    @classmethod
    def _default_rules(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        unknown = sorted(set(value) - set(DEFAULT_RULES))
        if unknown:
            raise ValueError(
                f"unknown reminder rule {unknown[0]!r}; the rules are " + ", ".join(DEFAULT_RULES)
            )
        return {name: _with_defaults(name, value.get(name)) for name in DEFAULT_RULES}

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.organisation.timezone)

    def tier(self, number: int) -> Tier:
        return next(t for t in self.tiers if t.number == number)

    def person(self, email: str) -> Person | None:
        email = email.strip().lower()
        return next((p for p in self.people if p.email == email), None)


PSEUDO_ROLES = frozenset({"staff"})
"""Roles everybody in the directory holds without being listed."""


def committee_roles(config: OrgConfig) -> dict[str, set[str]]:
    """Roles implied by committee membership: committee_member, committee_chair, governance_lead."""
    implied: dict[str, set[str]] = {}
    for code, committee in config.committees.items():
        for email in committee.members:
            implied.setdefault(email, set()).update({"committee_member", f"committee:{code}"})
        implied.setdefault(committee.chair, set()).update(
            {"committee_member", "committee_chair", f"committee:{code}"}
        )
        for email in committee.governance_leads:
            implied.setdefault(email, set()).update({"governance_lead", f"governance:{code}"})
    return implied


KNOWN_ROLE_NAMES = frozenset(
    {"committee_member", "committee_chair", "governance_lead"} | set(PSEUDO_ROLES)
)


def _check_codes(config: OrgConfig, emails: set[str]) -> None:
    for key, mapping in (
        ("committees", config.committees),
        ("lesson_sources", config.lesson_sources),
        ("sites", config.sites),
        ("departments", config.departments),
        ("processes", config.processes),
        ("srgs", config.srgs),
        ("channels", config.channels),
        ("redirects", config.redirects),
        ("roles", config.roles),
    ):
        for code in mapping:
            if not KEY_RE.match(code if key != "committees" else code.lower()):
                raise ConfigError(f"{key}.{code}", "codes use letters, digits, '-' and '_' only")


def _check_tiers(config: OrgConfig, emails: set[str]) -> None:
    numbers = [t.number for t in config.tiers]
    for number in range(1, 6):
        if number not in numbers:
            raise ConfigError(
                "tiers", f"tier {number} is missing (the five tiers are numbered 1 to 5)"
            )
        if numbers.count(number) > 1:
            raise ConfigError("tiers", f"tier {number} is defined {numbers.count(number)} times")
    for tier in config.trends.weak_tiers:
        if tier not in range(1, 6):
            raise ConfigError("trends.weak_tiers", f"{tier} is not a tier (1 to 5)")


def _check_committees(config: OrgConfig, emails: set[str]) -> None:
    benefits = {b.lower() for b in config.ideas.benefits}
    for code, committee in config.committees.items():
        if committee.channel not in config.channels:
            raise ConfigError(
                f"committees.{code}.channel", f"channel {committee.channel!r} is not in [channels]"
            )
        for field, addresses in (
            ("chair", [committee.chair]),
            ("members", committee.members),
            ("governance_leads", committee.governance_leads),
        ):
            for address in addresses:
                if emails and address not in emails:
                    raise ConfigError(
                        f"committees.{code}.{field}", f"{address} is not in [[people]]"
                    )
        for benefit in committee.idea_benefits:
            if benefit.lower() not in benefits:
                raise ConfigError(
                    f"committees.{code}.idea_benefits", f"{benefit!r} is not in [ideas].benefits"
                )


def _check_governance(config: OrgConfig, emails: set[str]) -> None:
    """Work nobody can move: a committee's lessons need a governance lead to triage them, and
    ideas need someone on the ideas panel to decide them."""
    for code, committee in config.committees.items():
        if not committee.governance_leads:
            raise ConfigError(
                f"committees.{code}.governance_leads",
                "no governance lead, so nobody can triage this committee's lessons",
            )
    if not config.roles.get("ideas_panel"):
        raise ConfigError(
            "roles.ideas_panel", "nobody holds the ideas panel role, so no idea can be decided"
        )


ALERT_RULES = {
    "alert_not_acknowledged": "critical alerts would not be re-notified to staff who have not "
    "acknowledged them",
    "alert_deadline_passed": "critical alerts past their deadline would not be escalated to "
    "line managers",
    "alert_approval_pending": "alerts awaiting approval would not be chased, nor their "
    "publisher told as the deadline nears",
    "alert_policy_step": "the texts and emails of the severities' channel policies would "
    "never be sent",
}


def _check_alerts(config: OrgConfig, emails: set[str]) -> None:
    """Critical alerts are chased until acknowledged and escalated after the deadline: neither
    can be switched off, and every severity says how often it re-notifies."""
    for name, consequence in ALERT_RULES.items():
        if not config.reminders[name].enabled:
            raise ConfigError(f"reminders.{name}.enabled", f"cannot be switched off: {consequence}")
    for code, severity in config.alert_severities.items():
        if severity.remind_every_minutes < 5:
            raise ConfigError(
                f"alert_severities.{code}.remind_every_minutes",
                "missing or under 5, so unacknowledged alerts would not be re-notified; "
                "give the minutes between reminders (at least 5)",
            )
        _check_policy(config, code, severity)


def _check_policy(config: OrgConfig, code: str, severity: AlertSeverity) -> None:
    """A policy step must be able to fire before the deadline, in order, and have a template."""
    previous = 0
    for index, step in enumerate(severity.policy or []):
        where = f"alert_severities.{code}.policy[{index}]"
        if step.after_minutes < previous:
            raise ConfigError(
                f"{where}.after_minutes", f"{step.after_minutes} comes before the step above it"
            )
        previous = step.after_minutes
        if step.after_minutes >= severity.default_deadline_hours * 60:
            raise ConfigError(
                f"{where}.after_minutes",
                f"{step.after_minutes} minutes is not before the default deadline "
                f"({severity.default_deadline_hours} hours), so it would never be sent",
            )
        template = getattr(config.notify, f"{step.channel}_template_id")
        if template is None:
            raise ConfigError(
                f"{where}.channel",
                f"{step.channel} needs [notify] {step.channel}_template_id (docs/notify.md)",
            )


def _check_places(config: OrgConfig, emails: set[str]) -> None:
    for code, source in config.lesson_sources.items():
        if source.committee is not None and source.committee not in config.committees:
            raise ConfigError(
                f"lesson_sources.{code}.committee",
                f"committee {source.committee!r} is not in [committees]",
            )
    for code, dept in config.departments.items():
        if dept.site is not None and dept.site not in config.sites:
            raise ConfigError(f"departments.{code}.site", f"site {dept.site!r} is not in [sites]")
    for required in ("ideas_panel",):
        if required not in config.channels:
            raise ConfigError(f"channels.{required}", "this channel is required")


def _check_bulletin(config: OrgConfig, emails: set[str]) -> None:
    """The bulletin is posted to its own channel: one the config defines, and not the alerts'
    (an alert must stand out; a quarterly record among them would dull both)."""
    key = config.bulletin.channel
    if key not in config.channels:
        raise ConfigError("bulletin.channel", f"channel {key!r} is not in [channels]")
    alerts = config.channels.get(ALERTS_CHANNEL)
    if key == ALERTS_CHANNEL or (alerts is not None and config.channels[key].name == alerts.name):
        raise ConfigError(
            "bulletin.channel",
            "the bulletin needs its own channel, not the critical-alerts channel "
            f"([channels] {ALERTS_CHANNEL})",
        )


def _check_roles(config: OrgConfig, emails: set[str]) -> None:
    for role, members in config.roles.items():
        for address in members:
            if emails and address not in emails:
                raise ConfigError(f"roles.{role}", f"{address} is not in [[people]]")
    defined_roles = set(config.roles) | KNOWN_ROLE_NAMES
    for permission, roles in config.permissions.items():
        for role in roles:
            if role not in defined_roles and not role.startswith(("committee:", "governance:")):
                raise ConfigError(
                    f"permissions.{permission}",
                    f"role {role!r} is not defined in [roles] "
                    f"(known: {', '.join(sorted(defined_roles))})",
                )


def _check_people(config: OrgConfig, emails: set[str]) -> None:
    seen: set[str] = set()
    for index, person in enumerate(config.people):
        if person.site is not None and person.site not in config.sites:
            raise ConfigError(f"people[{index}].site", f"site {person.site!r} is not in [sites]")
        if person.department is not None and person.department not in config.departments:
            raise ConfigError(
                f"people[{index}].department",
                f"department {person.department!r} is not in [departments]",
            )
        if person.line_manager is not None and person.line_manager not in emails:
            raise ConfigError(
                f"people[{index}].line_manager", f"{person.line_manager} is not in [[people]]"
            )
        if person.email in seen:
            raise ConfigError(f"people[{index}].email", f"{person.email} is listed twice")
        seen.add(person.email)
        if person.mobile is not None:
            try:
                normalise_uk_mobile(
                    person.mobile, allow_international=config.notify.allow_international
                )
            except ContactProblem as exc:  # the message never repeats the number
                raise ConfigError(f"people[{index}].mobile", str(exc)) from None


REFERENCE_CHECKS = (
    _check_codes,
    _check_tiers,
    _check_committees,
    _check_governance,
    _check_places,
    _check_bulletin,
    _check_roles,
    _check_people,
    _check_alerts,
)
"""Each a small rule over the whole config; a new cross-reference rule is one more entry."""


def _check_references(config: OrgConfig) -> None:
    """Cross-references pydantic cannot see: every code and email used must be defined."""
    emails = {p.email for p in config.people}
    for check in REFERENCE_CHECKS:
        check(config, emails)


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_config(data: dict[str, Any], source: str = "") -> OrgConfig:
    """Validate raw config data; the first problem is raised as a ConfigError naming its key."""
    try:
        config = OrgConfig.model_validate(data)
    except ValidationError as exc:
        # A misspelt key shows up twice (unknown key + required key missing): name the typo.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        elif first["type"] == "missing":
            message = "this key is required"
        elif first["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        raise ConfigError(_dotted(first["loc"]), message, source) from None
    try:
        _check_references(config)
    except ConfigError as exc:
        raise ConfigError(exc.key, exc.message, source) from None
    return config


def load_config(path: str | Path | None = None) -> OrgConfig:
    """Load the file at `path`, or the bundled Clatterbridge defaults when no path is given."""
    if path is None:
        text = (resources.files("handlers") / "defaults" / BUNDLED_CONFIG).read_text("utf-8")
        source = f"bundled {BUNDLED_CONFIG}"
    else:
        file = Path(path)
        source = str(file)
        try:
            text = file.read_text("utf-8-sig")
        except FileNotFoundError:
            raise ConfigError("", "file not found", source) from None
        except OSError as exc:
            raise ConfigError("", f"cannot be read ({exc.strerror})", source) from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                "", f"is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8", source
            ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("", f"not valid TOML ({exc})", source) from None
    return parse_config(data, source)
