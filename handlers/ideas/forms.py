"""The idea forms, declared once: a Bright Idea, a Big Idea (with its business case and
sponsor), one decision form per panel transition, and a sponsor's decline."""

from __future__ import annotations

from handlers.config import OrgConfig
from handlers.ideas.lifecycle import TRANSITIONS, Transition
from handlers.submission import MODES
from messages.view import Choice, Field, FieldKind, Form

SUBMIT_FORM = "idea.submit"
SUBMIT_BIG_FORM = "idea.submit_big"
SPONSOR_DECLINE_FORM = "idea.sponsor_decline"
KIND_LABELS = {"bright": "Bright Idea", "big": "Big Idea"}
TRUST_WIDE = "trust-wide"


def decision_form_id(transition: Transition) -> str:
    return f"idea.decide.{transition.name}"


BUSINESS_CASE = (
    Field(
        "scope",
        "Scope",
        FieldKind.LONG_TEXT,
        required=True,
        max_length=2000,
        help="What the change covers and what it does not: which wards, services or sites.",
    ),
    Field(
        "resources",
        "Resources needed",
        FieldKind.LONG_TEXT,
        required=True,
        max_length=2000,
        help="People, time, equipment, space or systems it needs.",
    ),
    Field(
        "cost_pounds",
        "Estimated cost (£)",
        FieldKind.MONEY,
        help="If you can put a figure on it: whole pounds, like 12500. Leave empty if not known.",
    ),
    Field(
        "cost_detail",
        "Costs in words",
        FieldKind.LONG_TEXT,
        required=True,
        max_length=1000,
        help="What the money or time is for, e.g. 'two infusion pumps' or 'staff time only'.",
    ),
    Field(
        "success_measures",
        "Measures of success",
        FieldKind.LONG_TEXT,
        required=True,
        max_length=2000,
        help="How we will know it worked, e.g. 'fewer flush mix-ups reported each quarter'.",
    ),
)
"""A Big Idea's business case: asked for on the Big Idea form and when the panel promotes a
Bright Idea, so both carry the same case."""
CASE_FIELDS = tuple(f.name for f in BUSINESS_CASE)


def sponsor_field(help_text: str) -> Field:
    return Field(
        "sponsor",
        "Sponsor",
        FieldKind.EMAIL,
        required=True,
        help=help_text,
    )


def submit_form(config: OrgConfig) -> Form:
    """The Bright Idea form (`/idea`): small, local changes."""
    return Form(
        id=SUBMIT_FORM,
        title="Share a Bright Idea",
        submit_label="Submit idea",
        intro=(
            "Small or large, every idea counts. For a larger change that needs a business case "
            "and a sponsor, use /idea big instead. Please leave out anything that could "
            "identify a patient."
        ),
        fields=_idea_fields(config, ()),
    )


def submit_big_form(config: OrgConfig) -> Form:
    """The Big Idea form (`/idea big`): the idea, its business case and its sponsor."""
    sponsor = sponsor_field(
        "Work email of the senior colleague who will champion it (not you or a colleague "
        "sharing it). They are asked to accept before the ideas panel looks at it."
    )
    return Form(
        id=SUBMIT_BIG_FORM,
        title="Share a Big Idea",
        submit_label="Submit Big Idea",
        intro=(
            "A Big Idea is a larger change that needs a business case and a sponsor. Please "
            "leave out anything that could identify a patient."
        ),
        fields=_idea_fields(config, (*BUSINESS_CASE, sponsor)),
    )


def _idea_fields(config: OrgConfig, case: tuple[Field, ...]) -> tuple[Field, ...]:
    departments = (Choice(code, d.name) for code, d in config.departments.items())
    areas = (Choice(TRUST_WIDE, "Trust-wide"), *departments)
    return (
        Field("title", "Title", required=True, max_length=150, help="A short name for your idea."),
        Field(
            "problem",
            "What is the problem?",
            FieldKind.LONG_TEXT,
            required=True,
            max_length=3000,
            help="What happens now, and why it matters.",
        ),
        Field(
            "proposed_change",
            "What would you change?",
            FieldKind.LONG_TEXT,
            required=True,
            max_length=3000,
            help="Describe the change you propose.",
        ),
        Field(
            "benefits",
            "Who or what benefits?",
            FieldKind.MULTI_CHOICE,
            choices=tuple(Choice(b.lower(), b) for b in config.ideas.benefits),
            help="Pick any that apply.",
        ),
        Field(
            "benefit_detail",
            "Expected benefit",
            FieldKind.LONG_TEXT,
            max_length=1000,
            help="How will things be better, and how would we know?",
        ),
        Field(
            "area",
            "Area",
            FieldKind.CHOICE,
            choices=areas,
            help="The ward, department or service it concerns.",
        ),
        Field(
            "srg",
            "Site Reference Group",
            FieldKind.CHOICE,
            choices=tuple(Choice(code, name) for code, name in config.srgs.items()),
            help="If it concerns one tumour site.",
        ),
        *case,
        Field("mode", "Submit as", FieldKind.CHOICE, required=True, choices=MODES, default="named"),
        Field(
            "co_submitters",
            "Colleagues who share this idea",
            FieldKind.EMAILS,
            help="Their work emails, separated by commas (not for anonymous ideas).",
        ),
        Field(
            "credit",
            "Credit me by name if it is implemented",
            FieldKind.BOOL,
            help="Named in the quarterly bulletin if submitted by name "
            "(never confidential or anonymous).",
        ),
    )


def decision_form(transition: Transition, config: OrgConfig) -> Form:
    reason = Field(
        "reason",
        "Reason",
        FieldKind.LONG_TEXT,
        required=transition.by == "panel",
        min_length=config.ideas.reason_min_length,
        max_length=2000,
        help="Sent to the ideas panel."
        if transition.by == "submitter"
        else "Sent to the submitter with the decision.",
    )
    extra: tuple[Field, ...] = ()
    if transition.name == "duplicate":
        extra = (
            Field(
                "duplicate_of",
                "Duplicate of",
                FieldKind.REF,
                required=True,
                placeholder="IDEA-2026-0001",
                help="The reference of the original idea.",
            ),
        )
    elif transition.name == "redirect":
        extra = (
            Field(
                "redirect_to",
                "Redirect to",
                FieldKind.CHOICE,
                required=True,
                choices=tuple(Choice(k, r.label) for k, r in config.redirects.items()),
            ),
        )
    elif transition.name == "promote":
        extra = (
            *BUSINESS_CASE,
            sponsor_field(
                "Work email of the senior colleague who will champion it (not a submitter). "
                "They are asked to accept; until then the idea waits for them."
            ),
        )
    title = "Withdraw idea" if transition.by == "submitter" else f"Decision: {transition.button}"
    return Form(
        id=decision_form_id(transition),
        title=title.rstrip("…")[:24],
        submit_label="Confirm",
        fields=(*extra, reason),
    )


def sponsor_decline_form(config: OrgConfig) -> Form:
    """A sponsor's "Decline…": the reason goes to the panel and the submitter."""
    return Form(
        id=SPONSOR_DECLINE_FORM,
        title="Decline sponsorship",
        submit_label="Decline",
        fields=(
            Field(
                "reason",
                "Why are you declining?",
                FieldKind.LONG_TEXT,
                required=True,
                min_length=config.ideas.reason_min_length,
                max_length=2000,
                help="Sent to the ideas panel and the submitter. The idea goes back to the panel.",
            ),
        ),
    )


def all_decision_forms(config: OrgConfig) -> list[tuple[Transition, Form]]:
    return [(t, decision_form(t, config)) for t in TRANSITIONS]
