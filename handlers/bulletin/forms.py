"""The one bulletin form: the governance lead's foreword and the items to leave out."""

from __future__ import annotations

from messages.view import Field, FieldKind, Form

EDIT_FORM = "bulletin.edit"

FORM = Form(
    id=EDIT_FORM,
    title="Review the bulletin",
    submit_label="Save",
    intro=(
        "The bulletin goes to all staff. Leave out anything that should not, and never include "
        "anything that could identify a patient."
    ),
    fields=(
        Field(
            "foreword",
            "Foreword",
            FieldKind.LONG_TEXT,
            max_length=2000,
            help="A few words from the governance team, shown at the top of the bulletin.",
        ),
        Field(
            "leave_out",
            "Leave out",
            max_length=2000,
            help="References of items to leave out, separated by commas "
            "(e.g. ACT-2026-0004, IDEA-2026-0002). Clear it to put them all back.",
            placeholder="ACT-2026-0004, IDEA-2026-0002",
        ),
    ),
)
"""Items are left out by reference in a text field rather than a multi-choice: a form is
declared once for every platform, so its choices cannot follow one quarter's contents."""
