"""The staff directory: config-defined people and roles, the tenant directory's people merged
in, and actor lookup.

Merge rules for the tenant directory (Entra ID, read by the Teams adapter through Graph; email
is the join key, the AAD object id the stable link). They live here, over plain data, so the
adapter only reads pages and the rules can be tested without Graph:
- a person is found by `teams_aad_id`, else by lower-cased email (`mail` or the UPN, so a
  config that lists people by UPN still matches); new people get `mail`, else the UPN;
- people the config defines keep `source="config"`, their email and their roles; the
  directory's values fill in and update their details, but a value it does not have never
  erases the config's;
- nobody is ever deleted: removal, a disabled account or (after a full read) absence from
  the directory make a person inactive, which takes their roles out of effect.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from handlers.audit import record
from handlers.config import OrgConfig, committee_roles
from handlers.contacts import KEEP, ContactChange, Keep, apply_changes, config_changes, graph_change
from handlers.context import Actor, Context, actor_for
from store.models import Staff
from store.repos.staff import DirectoryEntry
from store.uow import UnitOfWork

GRAPH_SOURCE: Final = "graph"
"""Staff.source of people first seen in the tenant directory, and its sync state's key."""


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
    _config_contacts(uow, config, now)


def _config_contacts(uow: UnitOfWork, config: OrgConfig, now: datetime) -> None:
    """The config's mobile numbers and alert emails (checked when it was loaded)."""
    given = {p.email: p for p in config.people if p.mobile or p.alert_email}
    if not given:
        return
    ids = {s.email: s.id for s in uow.staff.by_emails(given)}
    people = [(ids[e], p.mobile, p.alert_email) for e, p in given.items() if e in ids]
    apply_changes(uow, config_changes(people), "config", now)


def resolve_actor(uow: UnitOfWork, email: str) -> Actor:
    """The actor for `email`; someone not in the directory gets an unknown actor with no roles."""
    staff = uow.staff.by_email(email)
    if staff is None:
        return Actor(staff_id=None, email=email.strip().lower(), name=email)
    return actor_of(uow, staff)


def actor_of(uow: UnitOfWork, staff: Staff) -> Actor:
    """The actor for a staff record already found (by email or by a platform id): someone who
    has left is an unknown actor with no roles, as if not in the directory."""
    if not staff.active:
        return Actor(staff_id=None, email=staff.email, name=staff.email)
    return actor_for(uow, staff)


# ---------------------------------------------------------------------------------- tenant


@dataclass(frozen=True)
class DirectoryUser:
    """One person as a tenant directory change lists them, in plain data."""

    aad_id: str
    removed: bool = False
    emails: tuple[str, ...] = ()
    """Lower-cased `mail` then UPN (deduplicated): the first is the one a new record gets."""
    values: Mapping[str, str | None] = field(default_factory=dict)
    """Staff attribute -> value, only for properties the change includes."""
    enabled: bool | None = None
    manager_stated: bool = False
    """Whether the change says anything about the line manager (else it is unchanged)."""
    manager: str | None = None
    """The manager's AAD id, or None for no manager (when `manager_stated`)."""
    mobile: str | Keep | None = field(default=KEEP, repr=False)
    """`mobilePhone` as Graph gives it (KEEP: not in this change). Personal: never shown."""
    mail: str | Keep | None = field(default=KEEP, repr=False)
    """`mail`, the deliverable mailbox (the UPN may not be one), for alert emails."""


@dataclass
class DirectoryChanges:
    """What applying one page of directory users did."""

    people: int = 0
    created: int = 0
    updated: int = 0
    left: int = 0
    back: int = 0
    skipped: int = 0
    contacts: int = 0
    """People whose mobile number or alert email changed (counts only: the values are personal)."""
    mobiles_refused: int = 0
    """Directory numbers that are not UK mobiles (desk lines, extensions): taken as none."""


_Event = tuple[Staff, str, dict[str, Any] | None, dict[str, Any] | None, str | None]


def apply_directory_users(
    ctx: Context, users: Sequence[DirectoryUser], managers: dict[str, str | None]
) -> DirectoryChanges:
    """Merge one page of directory users into the staff table (two lookups a page, not one
    per person). Manager changes are collected into `managers` (user AAD id -> manager AAD
    id), to be linked after the last page: a manager may come on a later page."""
    uow, now = ctx.uow, ctx.now
    counts = DirectoryChanges(people=len(users))
    by_aad = uow.staff.by_teams_ids({u.aad_id for u in users})
    emails = {e for u in users for e in u.emails}
    by_email = {s.email: s for s in uow.staff.by_emails(emails)} if emails else {}
    events: list[_Event] = []

    for user in users:
        person = by_aad.get(user.aad_id)
        if user.removed:
            if person is not None and person.active:
                person.active, person.updated_at = False, now
                counts.left += 1
                events.append(
                    (person, "deactivated", {"active": True}, {"active": False}, "removed")
                )
            managers.pop(user.aad_id, None)
            continue
        if not user.emails and person is None:
            counts.skipped += 1
            continue
        holder = next((by_email[e] for e in user.emails if e in by_email), None)
        linked = holder is not None and holder is not person  # the AAD id moves to holder
        if person is None and holder is not None:
            person = holder  # a person the config (or Slack) knew by email: link them
            if person.teams_aad_id and person.teams_aad_id != user.aad_id:
                by_aad.pop(person.teams_aad_id, None)  # a re-created account: latest wins
            person.teams_aad_id = user.aad_id
            by_aad[user.aad_id] = person
        elif person is not None and holder is not None and holder is not person:
            person.teams_aad_id = None  # the account now belongs to the record with its email
            uow.flush()
            holder.teams_aad_id = user.aad_id
            by_aad[user.aad_id] = person = holder
        if person is None:
            address = user.emails[0]
            person = Staff(
                email=address,
                display_name=user.values.get("display_name") or address,
                job_title=user.values.get("job_title"),
                site=user.values.get("site"),
                department=user.values.get("department"),
                teams_aad_id=user.aad_id,
                active=user.enabled is not False,
                source=GRAPH_SOURCE,
                created_at=now,
                updated_at=now,
            )
            uow.staff.add(person)
            by_aad[user.aad_id] = by_email[address] = person
            counts.created += 1
            events.append(
                (person, "created", None, {"source": GRAPH_SOURCE, "active": person.active}, None)
            )
        else:
            changed = _merge_fields(person, user, by_email) + (["teams_aad_id"] if linked else [])
            if changed:
                person.updated_at = now
                counts.updated += 1
                events.append((person, "updated", None, {"fields": changed}, None))
            if user.enabled is not None and person.active != user.enabled:
                person.active, person.updated_at = user.enabled, now
                action = "reactivated" if user.enabled else "deactivated"
                if user.enabled:
                    counts.back += 1
                else:
                    counts.left += 1
                reason = "account enabled" if user.enabled else "account disabled"
                events.append(
                    (person, action, {"active": not user.enabled}, {"active": user.enabled}, reason)
                )
        if user.manager_stated:
            managers[user.aad_id] = user.manager
    uow.flush()  # ids for the audit entries and contacts
    _directory_contacts(ctx, users, by_aad, counts)
    for who, what, before, after, why in events:
        record(
            ctx,
            entity_type="staff",
            entity_ref=str(who.id),
            action=f"directory_{what}",
            before=before,
            after=after,
            reason=why,
        )
    return counts


def _directory_contacts(
    ctx: Context,
    users: Sequence[DirectoryUser],
    by_aad: Mapping[str, Staff],
    counts: DirectoryChanges,
) -> None:
    """Graph's `mobilePhone` and `mail` into the people's contact rows (an operator's values
    win: handlers.contacts.merge)."""
    changes: list[ContactChange] = []
    for user in users:
        person = by_aad.get(user.aad_id)
        if user.removed or person is None:
            continue
        if isinstance(user.mobile, Keep) and isinstance(user.mail, Keep):
            continue
        change, refused = graph_change(person.id, user.mobile, user.mail, person.email)
        changes.append(change)
        counts.mobiles_refused += refused
    counts.contacts += apply_changes(ctx.uow, changes, "graph", ctx.now)


def _merge_fields(person: Staff, user: DirectoryUser, by_email: dict[str, Staff]) -> list[str]:
    """Apply the directory's values; returns the names (not values) of the attributes that
    changed."""
    config_defined = person.source != GRAPH_SOURCE
    changed: list[str] = []
    for attribute, value in user.values.items():
        if value is None and (config_defined or attribute == "display_name"):
            continue  # the directory has nothing here: keep what the config (or earlier) said
        if getattr(person, attribute) != value:
            setattr(person, attribute, value)
            changed.append(attribute)
    new_email = user.emails[0] if user.emails else None
    if (
        new_email
        and person.email not in user.emails
        and not config_defined  # the config names its people by email: it stays the key
        and new_email not in by_email
    ):
        by_email.pop(person.email, None)
        person.email = new_email
        by_email[new_email] = person
        changed.append("email")
    return changed


def deactivate_unlisted(
    ctx: Context, listed: Collection[str], after_id: int, limit: int
) -> tuple[int | None, int]:
    """After a full read of the directory, mark inactive the next `limit` linked people (by
    id after `after_id`) it no longer lists: deleted while changes were not being tracked.
    Returns the last id looked at (None when there were none left) and how many left."""
    batch = ctx.uow.staff.linked_active_after(after_id, limit)
    if not batch:
        return None, 0
    left = 0
    for person in batch:
        if person.teams_aad_id in listed:
            continue
        person.active, person.updated_at = False, ctx.now
        left += 1
        record(
            ctx,
            entity_type="staff",
            entity_ref=str(person.id),
            action="directory_deactivated",
            before={"active": True},
            after={"active": False},
            reason="no longer in the directory",
        )
    return batch[-1].id, left


def link_line_managers(ctx: Context, pairs: Sequence[tuple[str, str | None]]) -> tuple[int, int]:
    """Set line managers from (user, manager) AAD id pairs; a manager the directory does not
    name leaves a config-defined person's manager alone. Returns (changed, unresolved):
    unresolved managers match nobody we hold (e.g. a manager without an email)."""
    wanted = {u for u, _ in pairs} | {m for _, m in pairs if m}
    found = ctx.uow.staff.by_teams_ids(wanted)
    changed = unresolved = 0
    for user_id, manager_id in pairs:
        person = found.get(user_id)
        if person is None:
            continue
        if manager_id is None:
            if person.source != GRAPH_SOURCE:
                continue  # the directory knows no manager: keep the config's
            new_id = None
        else:
            manager = found.get(manager_id)
            if manager is None or manager.id == person.id:
                unresolved += 1
                continue
            new_id = manager.id
        if person.line_manager_id == new_id:
            continue
        record(
            ctx,
            entity_type="staff",
            entity_ref=str(person.id),
            action="directory_line_manager",
            before={"line_manager_id": person.line_manager_id},
            after={"line_manager_id": new_id},
        )
        person.line_manager_id, person.updated_at = new_id, ctx.now
        changed += 1
    return changed, unresolved


def finish_directory_sync(
    ctx: Context, delta_link: str, users_seen: int, counts: Mapping[str, int | bool]
) -> None:
    """Remember where the sync stopped (the next one asks only for changes) and audit it."""
    ctx.uow.staff.save_directory_sync(GRAPH_SOURCE, delta_link, ctx.now, users_seen)
    record(
        ctx, entity_type="directory", entity_ref=GRAPH_SOURCE, action="synced", after=dict(counts)
    )
