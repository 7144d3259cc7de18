"""Who an Entra ID sign-in is: the staff record with the token's object id, else with its email.

The object id (`oid`) is the same id Teams gives (staff.teams_aad_id), and unlike an email it
is never reused. The email is used only for a record with no object id yet (a trust whose staff
came from the config), and never for one whose object id is someone else's.
"""

from __future__ import annotations

from store.models import Staff
from store.uow import UnitOfWork


def staff_for(uow: UnitOfWork, oid: str, email: str) -> Staff | None:
    """The active staff record for this Entra ID person, or None."""
    if oid:
        by_oid = uow.staff.by_teams_id(oid)
        if by_oid is not None:
            return by_oid if by_oid.active else None
    if not email or "@" not in email:
        return None
    by_email = uow.staff.by_email(email)
    if by_email is None or not by_email.active:
        return None
    if by_email.teams_aad_id and by_email.teams_aad_id != oid:
        return None  # that address belongs to a different directory person
    return by_email
