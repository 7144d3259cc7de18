"""The lesson forms, declared once: submission, triage, the committee decision, assurance and
tier-5 escalation."""

from __future__ import annotations

from handlers.config import OrgConfig
from handlers.submission import MODES
from messages.view import Choice, Field, FieldKind, Form

SUBMIT = "lesson.submit"
TRIAGE_ACCEPT = "lesson.triage.accept"
TRIAGE_ROUTE = "lesson.triage.route"
TRIAGE_MERGE = "lesson.triage.merge"
TRIAGE_NOT_PROGRESSED = "lesson.triage.not_progressed"
TRIAGE_REDACT = "lesson.triage.redact"
DECIDE = "lesson.decide"
ASSURE = "lesson.assure"
ESCALATE = "lesson.escalate"

STRENGTH_LABELS = {
    "weaker": "weaker action",
    "intermediate": "intermediate action",
    "stronger": "stronger action",
    "emergency": "emergency response",
}
DEIDENTIFIED = "I have checked: no patient-identifiable information"


def _reason(label: str = "Reason", help_text: str = "Sent to the submitter.") -> Field:
    return Field(
        "reason",
        label,
        FieldKind.LONG_TEXT,
        required=True,
        min_length=10,
        max_length=2000,
        help=help_text,
    )


def message_field(*, required: bool = False) -> Field:
    """What the submitter is told: the only text of the committee's that they ever see."""
    return Field(
        "message",
        "Message to the reporter",
        FieldKind.LONG_TEXT,
        required=required,
        min_length=10 if required else None,
        max_length=2000,
        help="Sent to the person who shared the lesson (anonymous reporters read it with "
        "their receipt code). Everything else on this form stays with the committee.",
    )


def note_field(label: str = "Note for the committee", *, required: bool = False) -> Field:
    """The committee's own note: members and governance leads only, never the reporter."""
    return Field(
        "note",
        label,
        FieldKind.LONG_TEXT,
        required=required,
        min_length=10 if required else None,
        max_length=2000,
        help="Committee members only: the reporter never sees it.",
    )


def redaction_fields() -> tuple[Field, ...]:
    """The lesson's text, pre-filled: what the governance lead changes replaces the original
    everywhere QI Hub keeps it (docs/domain.md, redaction at triage)."""
    edit = "Edit to remove anything that could identify a patient; the original is deleted."
    return (
        Field("title", "Title", required=True, max_length=150, help=edit),
        Field(
            "what_happened", "What happened?", FieldKind.LONG_TEXT, required=True, max_length=3000
        ),
        Field(
            "what_learned",
            "What did we learn?",
            FieldKind.LONG_TEXT,
            required=True,
            max_length=3000,
        ),
    )


def committee_choices(config: OrgConfig) -> tuple[Choice, ...]:
    return tuple(Choice(code, f"{c.domain} ({c.name})") for code, c in config.committees.items())


def tier_choices(config: OrgConfig) -> tuple[Choice, ...]:
    """Each tier with its action strength, so a committee sees when it only chooses weak ones."""
    return tuple(
        Choice(str(t.number), f"{t.number} · {t.name} ({STRENGTH_LABELS[t.strength]})")
        for t in sorted(config.tiers, key=lambda t: t.number)
    )


def submit_form(config: OrgConfig) -> Form:
    return Form(
        id=SUBMIT,
        title="Share a lesson",
        submit_label="Submit lesson",
        intro=(
            "What happened and what we learned, so the right committee can act on it. "
            "Describe people in general terms: no names, NHS or hospital numbers or dates of "
            "birth."
        ),
        fields=(
            Field(
                "title", "Title", required=True, max_length=150, help="A short name for the lesson."
            ),
            Field(
                "source",
                "Where does it come from?",
                FieldKind.CHOICE,
                required=True,
                choices=tuple(Choice(k, s.label) for k, s in config.lesson_sources.items()),
            ),
            Field(
                "committee",
                "Domain",
                FieldKind.CHOICE,
                choices=committee_choices(config),
                help="Leave blank to use the usual committee for the source.",
            ),
            Field(
                "what_happened",
                "What happened?",
                FieldKind.LONG_TEXT,
                required=True,
                max_length=3000,
            ),
            Field(
                "what_learned",
                "What did we learn?",
                FieldKind.LONG_TEXT,
                required=True,
                max_length=3000,
            ),
            Field(
                "sites",
                "Sites",
                FieldKind.MULTI_CHOICE,
                choices=tuple(Choice(k, s.name) for k, s in config.sites.items()),
            ),
            Field(
                "departments",
                "Wards, departments or clinics",
                FieldKind.MULTI_CHOICE,
                choices=tuple(Choice(k, d.name) for k, d in config.departments.items()),
            ),
            Field(
                "process",
                "Process",
                FieldKind.CHOICE,
                choices=tuple(Choice(k, v) for k, v in config.processes.items()),
            ),
            Field(
                "srg",
                "Site Reference Group",
                FieldKind.CHOICE,
                choices=tuple(Choice(k, v) for k, v in config.srgs.items()),
            ),
            Field(
                "harm_level",
                "Harm level",
                FieldKind.CHOICE,
                choices=tuple(Choice(k, v) for k, v in config.harm_levels.items()),
                help="Where relevant (patient safety events).",
            ),
            Field(
                "source_refs",
                "References in other systems",
                max_length=300,
                help="e.g. LFPSE, Datix or CAS ids, separated by commas. QI Hub links to "
                "those systems; it does not replace them.",
            ),
            Field(
                "mode", "Submit as", FieldKind.CHOICE, required=True, choices=MODES, default="named"
            ),
        ),
    )


def triage_forms(config: OrgConfig) -> list[Form]:
    return [
        Form(
            TRIAGE_ACCEPT,
            "Take to committee",
            "Take to committee",
            (
                Field(
                    "deidentified",
                    DEIDENTIFIED,
                    FieldKind.BOOL,
                    required=True,
                    help="Only de-identified lessons go before the committee and into the "
                    "learning library.",
                ),
                *redaction_fields(),
                note_field(),
                message_field(),
            ),
        ),
        Form(
            TRIAGE_ROUTE,
            "Route elsewhere",
            "Route",
            (
                Field(
                    "committee",
                    "Route to",
                    FieldKind.CHOICE,
                    required=True,
                    choices=committee_choices(config),
                ),
                note_field("Note for the receiving committee"),
                message_field(),
            ),
        ),
        Form(
            TRIAGE_MERGE,
            "Merge into a lesson",
            "Merge",
            (
                Field(
                    "merge_into",
                    "Merge into",
                    FieldKind.REF,
                    required=True,
                    placeholder="LL-2026-0001",
                    help="The reference of the lesson to keep.",
                ),
                message_field(required=True),
                note_field(),
            ),
        ),
        Form(
            TRIAGE_NOT_PROGRESSED,
            "Not progressed",
            "Confirm",
            (message_field(required=True), note_field()),
        ),
        Form(
            TRIAGE_REDACT,
            "Redact the lesson",
            "Redact",
            redaction_fields(),
            intro="The original text is deleted from QI Hub; the audit records that you "
            "redacted it, not what it said.",
        ),
    ]


def decision_form(config: OrgConfig) -> Form:
    return Form(
        id=DECIDE,
        title="Committee decision",
        submit_label="Decide",
        intro="Choose one or more tiers of response. Stronger actions fix systems; weaker "
        "ones rely on people remembering.",
        fields=(
            Field(
                "tiers",
                "Tiers of action",
                FieldKind.MULTI_CHOICE,
                required=True,
                choices=tier_choices(config),
            ),
            Field(
                "rationale",
                "Rationale",
                FieldKind.LONG_TEXT,
                required=True,
                min_length=10,
                max_length=2000,
                help="Why this response is proportionate. Committee members only.",
            ),
            message_field(),
        ),
    )


def assurance_form() -> Form:
    return Form(
        ASSURE,
        "Accept assurance",
        "Accept",
        (
            Field(
                "note",
                "Assurance note",
                FieldKind.LONG_TEXT,
                required=True,
                min_length=10,
                max_length=2000,
                help="What the committee saw that assures it the change is made. "
                "Committee members only.",
            ),
            message_field(),
        ),
    )


def escalation_form() -> Form:
    return Form(
        ESCALATE,
        "Escalate to tier 5",
        "Convene now",
        (
            _reason(
                "Why this needs the executive on-call group now",
                "Sent at once, day or night, to the executive on-call group.",
            ),
        ),
        intro="Tier 5 convenes the executive on-call group at once, whatever the time.",
    )
