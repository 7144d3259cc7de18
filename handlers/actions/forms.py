"""Action forms: one creation form per tier (each tier's rules are its required fields) and one
form per step that needs words (evidence, reasons, a new date, a re-audit result)."""

from __future__ import annotations

from handlers.config import OrgConfig
from messages.view import Choice, Field, FieldKind, Form

EXTENSION_APPROVE = "action.extension.approve"
EXTENSION_DECLINE = "action.extension.decline"


def create_form_id(tier: int) -> str:
    return f"action.create.{tier}"


def step_form_id(step: str) -> str:
    return f"action.step.{step}"


def _common(owner_label: str = "Owner") -> tuple[Field, ...]:
    return (
        Field(
            "description",
            "What will be done",
            FieldKind.LONG_TEXT,
            required=True,
            max_length=2000,
            help="A specific, achievable action.",
        ),
        Field(
            "owner",
            owner_label,
            FieldKind.EMAIL,
            required=True,
            help="Work email of the person accountable.",
        ),
        Field("due", "Due date", FieldKind.DATE, required=True),
        Field(
            "measure",
            "Measure of success",
            FieldKind.LONG_TEXT,
            max_length=1000,
            help="How we will know it worked.",
        ),
        Field(
            "verifier",
            "Verifier",
            FieldKind.EMAIL,
            help="Who checks it is done (never the owner). Blank: the committee's governance lead.",
        ),
    )


def create_forms(config: OrgConfig) -> dict[int, Form]:
    """The tier rules of docs/domain.md, as required fields."""
    tier = {t.number: t for t in config.tiers}
    audiences = tuple(Choice(k, v) for k, v in config.audiences.items())
    processes = tuple(Choice(k, v) for k, v in config.processes.items())
    forms = {
        1: (
            Field(
                "change",
                "The change",
                FieldKind.LONG_TEXT,
                required=True,
                max_length=2000,
                help="The specific change that makes sure it cannot recur.",
            ),
            Field("reaudit_date", "Re-audit date", FieldKind.DATE, required=True),
            Field("audit_lead", "Audit lead", FieldKind.EMAIL, required=True),
        ),
        2: (
            Field(
                "audiences",
                "Audiences",
                FieldKind.MULTI_CHOICE,
                required=True,
                choices=audiences,
                help="Staff groups, sites or patients to reach.",
            ),
            Field(
                "comms_channel",
                "How it will reach them",
                required=True,
                max_length=300,
                help="e.g. safety huddles, a QI Hub alert, a patient leaflet.",
            ),
        ),
        3: (
            Field(
                "process",
                "Process under review",
                FieldKind.CHOICE,
                required=True,
                choices=processes,
            ),
        ),
        4: (
            Field(
                "expert",
                "Subject expert",
                FieldKind.EMAIL,
                required=True,
                help="Supervises the process in real time.",
            ),
            Field(
                "cognitive_aid",
                "Cognitive aid to build",
                FieldKind.LONG_TEXT,
                required=True,
                max_length=2000,
            ),
        ),
        5: (),
    }
    out: dict[int, Form] = {}
    for number, extra in forms.items():
        owner = "Process owner" if number == 3 else ("Executive owner" if number == 5 else "Owner")
        title = f"Tier {number} action"
        out[number] = Form(
            create_form_id(number),
            title,
            "Create action",
            (*_common(owner), *extra),
            intro=f"{tier[number].name}. {tier[number].help}".strip(),
        )
    return out


def step_forms() -> list[Form]:
    reason = Field(
        "reason", "Reason", FieldKind.LONG_TEXT, required=True, min_length=5, max_length=2000
    )
    return [
        Form(
            step_form_id("decline"),
            "Decline action",
            "Decline",
            (
                Field(
                    "reason",
                    "Why you cannot own it",
                    FieldKind.LONG_TEXT,
                    required=True,
                    min_length=5,
                    max_length=2000,
                    help="It goes back to the committee's governance lead to reassign.",
                ),
            ),
        ),
        Form(
            step_form_id("reassign"),
            "Reassign action",
            "Reassign",
            (
                Field(
                    "owner",
                    "New owner",
                    FieldKind.EMAIL,
                    required=True,
                    help="Work email of the person who will own it (not who declined it).",
                ),
                Field(
                    "due",
                    "New due date",
                    FieldKind.DATE,
                    help="Blank keeps the current due date, if it has not passed.",
                ),
                Field("note", "Note to the new owner", FieldKind.LONG_TEXT, max_length=1000),
            ),
        ),
        Form(
            step_form_id("update"),
            "Progress update",
            "Save update",
            (
                Field(
                    "note", "Progress so far", FieldKind.LONG_TEXT, required=True, max_length=2000
                ),
            ),
        ),
        Form(
            step_form_id("block"),
            "Blocked",
            "Save",
            (
                Field(
                    "reason",
                    "What is blocking it",
                    FieldKind.LONG_TEXT,
                    required=True,
                    min_length=5,
                    max_length=2000,
                ),
            ),
        ),
        Form(
            step_form_id("extend"),
            "Request extension",
            "Request",
            (
                Field("new_due", "New due date", FieldKind.DATE, required=True),
                Field(
                    "reason",
                    "Why more time is needed",
                    FieldKind.LONG_TEXT,
                    required=True,
                    min_length=5,
                    max_length=2000,
                ),
            ),
        ),
        Form(
            step_form_id("complete"),
            "Submit completion",
            "Submit",
            (
                Field(
                    "evidence",
                    "Evidence",
                    FieldKind.LONG_TEXT,
                    required=True,
                    min_length=10,
                    max_length=3000,
                    help="What was done and how it can be seen (document, audit, photo ref).",
                ),
            ),
        ),
        Form(
            step_form_id("verify"),
            "Verify completion",
            "Verify",
            (Field("note", "Verification note", FieldKind.LONG_TEXT, max_length=2000),),
        ),
        Form(step_form_id("return"), "Not verified", "Send back", (reason,)),
        Form(
            step_form_id("reaudit"),
            "Record re-audit",
            "Record",
            (
                Field(
                    "result",
                    "Result",
                    FieldKind.CHOICE,
                    required=True,
                    choices=(
                        Choice("pass", "Passed: the change is working"),
                        Choice("fail", "Failed: the lesson goes back to the committee"),
                    ),
                ),
                Field(
                    "notes",
                    "Findings",
                    FieldKind.LONG_TEXT,
                    required=True,
                    min_length=10,
                    max_length=3000,
                ),
            ),
        ),
        Form(step_form_id("cancel"), "Cancel action", "Cancel action", (reason,)),
        Form(
            EXTENSION_APPROVE,
            "Approve extension",
            "Approve",
            (Field("note", "Note to the owner", FieldKind.LONG_TEXT, max_length=1000),),
        ),
        Form(EXTENSION_DECLINE, "Decline extension", "Decline", (reason,)),
    ]
