"""The alert forms, declared once: compose (and its correction twin), reject, retract.

Free text goes through the registry's validation, which runs the patient-data guard, so an
alert can never carry an NHS number or a hospital number to thousands of people.
"""

from __future__ import annotations

from handlers.alerts import audience
from handlers.config import OrgConfig
from messages.view import Choice, Field, FieldKind, Form

COMPOSE = "alert.compose"
CORRECT = "alert.correct"
REJECT = "alert.reject"
RETRACT = "alert.retract"
NEW_DEADLINE = "alert.new_deadline"
DEADLINE_FIELDS = (
    Field(
        "deadline_date",
        "Acknowledge by (date)",
        FieldKind.DATE,
        help="Leave blank for the severity's default deadline.",
    ),
    Field(
        "deadline_time",
        "Acknowledge by (time)",
        max_length=5,
        placeholder="17:00",
        help="24-hour HH:MM, UK time. Blank with a date: the end of that day (23:59).",
    ),
)
"""The acknowledgement deadline, asked the same way when composing and when a late approval
needs a new one (handlers.alerts.service.deadline_from reads both)."""


NEW_ISSUE_FIELD = Field(
    "cas_new_issue",
    "New issue of a CAS reference already sent",
    FieldKind.BOOL,
    help="Answer yes only if QI Hub asks: the reference went out before and this is a new issue.",
)
"""The publisher's answer when the reference was already sent (handlers.alerts.cas)."""


def _severity_help(config: OrgConfig) -> str:
    parts = [
        f"{s.label}: every {s.remind_every_minutes} min, deadline {s.default_deadline_hours} h"
        for s in config.alert_severities.values()
    ]
    return "Reminders and default deadline. " + "; ".join(parts)


def compose_form(config: OrgConfig, *, correction: bool = False) -> Form:
    """The alert form; a correction has no audience (it reaches the original's recipients)."""
    severities = tuple(Choice(k, s.label) for k, s in config.alert_severities.items())
    fields: list[Field] = [
        Field(
            "title",
            "Title",
            required=True,
            max_length=150,
            help="What the alert is about, in a few words.",
        ),
        Field(
            "instructions",
            "What staff must do",
            FieldKind.LONG_TEXT,
            required=True,
            max_length=3000,
            help="The action each person must take. No patient-identifiable details.",
        ),
        Field(
            "severity",
            "Severity",
            FieldKind.CHOICE,
            required=True,
            choices=severities,
            default=next(iter(config.alert_severities), None),
            help=_severity_help(config),
        ),
    ]
    if not correction:
        fields.append(
            Field(
                "audience",
                "Who must acknowledge",
                FieldKind.MULTI_CHOICE,
                required=True,
                choices=audience.choices(config),
                help="All staff, or sites, roles or committees (one kind per alert).",
            )
        )
    fields += [
        *DEADLINE_FIELDS,
        Field(
            "lesson_ref",
            "Linked lesson",
            FieldKind.REF,
            placeholder="LL-2026-0001",
            help="Optional: the lesson this alert comes from.",
        ),
        Field(
            "cas_ref",
            "CAS / National Patient Safety Alert reference",
            max_length=64,
            help="Optional: the reference of the external alert.",
        ),
        *(() if correction else (NEW_ISSUE_FIELD,)),
        Field(
            "emergency",
            "Tier-5 emergency: send now without a second approver",
            FieldKind.BOOL,
            help="Only for a clinical emergency or major incident; approvers are told at once.",
        ),
    ]
    return Form(
        id=CORRECT if correction else COMPOSE,
        title="Correct an alert" if correction else "Critical alert",
        submit_label="Preview",
        intro=(
            "A correction goes to everyone the original was sent to, in place of the original "
            "wherever it arrived."
            if correction
            else "You will see a preview with the number of people it reaches before anything "
            "is sent."
        ),
        fields=tuple(fields),
    )


def reject_form() -> Form:
    return Form(
        id=REJECT,
        title="Reject alert",
        submit_label="Reject",
        fields=(
            Field(
                "reason",
                "Reason",
                FieldKind.LONG_TEXT,
                required=True,
                min_length=5,
                max_length=1000,
                help="Sent to the publisher, who can edit and send it for approval again.",
            ),
        ),
    )


def new_deadline_form() -> Form:
    """Asked of an approver when an alert's deadline has passed (or nearly) while it waited
    for approval: the acknowledgement window runs from sending, never from composing."""
    return Form(
        id=NEW_DEADLINE,
        title="Approve with a new deadline",
        submit_label="Approve and send",
        intro=(
            "This alert waited for approval until its acknowledgement deadline had passed or "
            "nearly passed, so nobody would have time to acknowledge it. Give a new deadline "
            "(or leave both blank for the severity's default, counted from now) and it is sent."
        ),
        fields=DEADLINE_FIELDS,
    )


def retract_form() -> Form:
    return Form(
        id=RETRACT,
        title="Retract alert",
        submit_label="Preview",
        intro="Everyone the alert was sent to is told it is withdrawn, and why.",
        fields=(
            Field(
                "reason",
                "Why it is withdrawn",
                FieldKind.LONG_TEXT,
                required=True,
                min_length=5,
                max_length=1000,
                help="Sent to every recipient in place of the alert.",
            ),
            Field(
                "emergency",
                "Tier-5 emergency: send now without a second approver",
                FieldKind.BOOL,
            ),
        ),
    )
