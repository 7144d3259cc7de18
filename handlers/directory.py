"""The staff directory: config-defined people and roles into the database, and actor lookup."""

from __future__ import annotations

from datetime import datetime

from handlers.config import PSEUDO_ROLES, OrgConfig, committee_roles
from handlers.context import Actor
from store.models import Staff
from store.repos.staff import DirectoryEntry
from store.uow import UnitOfWork


def sync_config_directory(uow: UnitOfWork, config: OrgConfig, now: datetime) -> None:
    """Make the database agree with the config's [[people]] and roles (idempotent)."""
    entries = [
        DirectoryEntry(
            email=p.email,
            name=p.name,
            job_title=p.job_title,
            site=p.site,
            department=p.department,
            line_manager_email=p.line_manager,
        )
        for p in config.people
    ]
    uow.staff.upsert_directory(entries, now, source="config")
    roles: dict[str, set[str]] = {}
    for role, emails in config.roles.items():
        for email in emails:
            roles.setdefault(email, set()).add(role)
    for email, implied in committee_roles(config).items():
        roles.setdefault(email, set()).update(implied)
    uow.staff.replace_roles(roles, source="config")


def actor_for(uow: UnitOfWork, staff: Staff) -> Actor:
    roles = frozenset(uow.staff.roles_of(staff.id) | PSEUDO_ROLES) if staff.active else frozenset()
    return Actor(staff_id=staff.id, email=staff.email, name=staff.display_name, roles=roles)


def resolve_actor(uow: UnitOfWork, email: str) -> Actor:
    """The actor for `email`; someone not in the directory gets an unknown actor with no roles."""
    staff = uow.staff.by_email(email)
    if staff is None or not staff.active:
        return Actor(staff_id=None, email=email.strip().lower(), name=email)
    return actor_for(uow, staff)
