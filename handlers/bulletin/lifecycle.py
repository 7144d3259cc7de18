"""The bulletin's states, as data: draft → reviewed → approved → published, then archived.

Kept apart from the steps that move a bulletin (service.py) so the views can read a status
without importing the service that imports them.
"""

from __future__ import annotations

from enum import StrEnum


class BulletinStatus(StrEnum):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    PUBLISHED = "published"
    ARCHIVED = "archived"


S = BulletinStatus
EDITABLE = (S.DRAFT, S.REVIEWED)
PUBLIC = (S.PUBLISHED.value, S.ARCHIVED.value)
"""Statuses the web serves: the current bulletin and those it replaced."""
LABELS = {
    S.DRAFT: "Draft, awaiting the governance lead's review",
    S.REVIEWED: "Reviewed, awaiting an executive's approval",
    S.APPROVED: "Approved",
    S.PUBLISHED: "Published",
    S.ARCHIVED: "Published (archived: a later bulletin has replaced it)",
}


def status_label(status: str) -> str:
    try:
        return LABELS[BulletinStatus(status)]
    except ValueError:
        return status
