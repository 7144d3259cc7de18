"""The idea forms, declared once: submission, and one decision form per panel transition."""

from __future__ import annotations

from handlers.config import OrgConfig
from handlers.ideas.lifecycle import TRANSITIONS, Transition
from handlers.submission import MODES
from messages.view import Choice, Field, FieldKind, Form

SUBMIT_FORM = "idea.submit"
KINDS = (
    Choice("bright", "Bright Idea (small, local change)"),
    Choice("big", "Big Idea (larger, needs a case and a sponsor)"),
)
KIND_LABELS = {"bright": "Bright Idea", "big": "Big Idea"}
TRUST_WIDE = "trust-wide"


def decision_form_id(transition: Transition) -> str:
    return f"idea.decide.{transition.name}"


def submit_form(config: OrgConfig) -> Form:
    departments = (Choice(code, d.name) for code, d in config.departments.items())
    areas = (Choice(TRUST_WIDE, "Trust-wide"), *departments)
    return Form(
        id=SUBMIT_FORM,
        title="Share an idea",
        submit_label="Submit idea",
        intro=(
            "Small or large, every idea counts. Please leave out anything that could identify "
            "a patient."
        ),
        fields=(
            Field(
                "kind",
                "Type of idea",
                FieldKind.CHOICE,
                required=True,
                choices=KINDS,
                default="bright",
            ),
            Field(
                "title", "Title", required=True, max_length=150, help="A short name for your idea."
            ),
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
            Field(
                "mode", "Submit as", FieldKind.CHOICE, required=True, choices=MODES, default="named"
            ),
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
                help="Named in the quarterly bulletin. Never for anonymous ideas.",
            ),
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
    elif transition.name in ("approve", "promote"):
        extra = (
            Field(
                "sponsor",
                "Sponsor",
                FieldKind.EMAIL,
                help="Work email of the sponsor (required for a Big Idea).",
            ),
        )
    title = "Withdraw idea" if transition.by == "submitter" else f"Decision: {transition.button}"
    return Form(
        id=decision_form_id(transition),
        title=title.rstrip("…")[:24],
        submit_label="Confirm",
        fields=(*extra, reason),
    )


def all_decision_forms(config: OrgConfig) -> list[tuple[Transition, Form]]:
    return [(t, decision_form(t, config)) for t in TRANSITIONS]
