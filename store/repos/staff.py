"""Staff directory queries: people, their roles, and the state of the tenant directory sync."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from store.models import DirectorySync, Staff, StaffRole, TeamsConversation


@dataclass(frozen=True)
class DirectoryEntry:
    email: str
    name: str
    job_title: str | None = None
    site: str | None = None
    department: str | None = None
    line_manager_email: str | None = None

    def __post_init__(self) -> None:
        # Email is the join key across Slack, Teams and the config: always compare it lower-case.
        object.__setattr__(self, "email", self.email.strip().lower())
        if self.line_manager_email is not None:
            manager = self.line_manager_email.strip().lower()
            object.__setattr__(self, "line_manager_email", manager or None)


class Reachable(Protocol):
    """The columns StaffRepo.reach_by_ids reads."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def slack_user_id(self) -> str | None: ...
    @property
    def teams_aad_id(self) -> str | None: ...
    @property
    def active(self) -> bool: ...


class StaffRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, staff_id: int) -> Staff | None:
        return self.session.get(Staff, staff_id)

    def by_ids(self, ids: Iterable[int]) -> list[Staff]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        return list(self.session.scalars(select(Staff).where(Staff.id.in_(wanted))))

    def reach_by_ids(self, ids: Iterable[int]) -> dict[int, Reachable]:
        """What it takes to reach each of these people (a broadcast sender's claim):
        plain rows of six columns, without building an ORM object for each."""
        wanted = list(dict.fromkeys(ids))
        found: dict[int, Reachable] = {}
        columns = (
            Staff.id,
            Staff.email,
            Staff.display_name,
            Staff.slack_user_id,
            Staff.teams_aad_id,
            Staff.active,
        )
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in self.session.execute(select(*columns).where(Staff.id.in_(chunk))):
                found[row.id] = row
        return found

    def by_email(self, email: str) -> Staff | None:
        return self.session.scalar(select(Staff).where(Staff.email == email.strip().lower()))

    def by_slack_id(self, slack_user_id: str) -> Staff | None:
        return self.session.scalar(select(Staff).where(Staff.slack_user_id == slack_user_id))

    def link_slack(self, staff: Staff, slack_user_id: str) -> None:
        """Remember a person's Slack id. updated_at is left alone on purpose: a first
        interaction that is an anonymous submission must leave no timestamp to match it."""
        holder = self.by_slack_id(slack_user_id)
        if holder is not None and holder.id != staff.id:
            holder.slack_user_id = None  # the id moved (a re-created account): latest wins
            self.session.flush()
        staff.slack_user_id = slack_user_id
        self.session.flush()

    def by_teams_id(self, aad_object_id: str) -> Staff | None:
        return self.session.scalar(select(Staff).where(Staff.teams_aad_id == aad_object_id))

    def link_teams(self, staff: Staff, aad_object_id: str) -> None:
        """Remember a person's Teams (Entra ID object) id; like link_slack, latest wins and
        updated_at is left alone."""
        holder = self.by_teams_id(aad_object_id)
        if holder is not None and holder.id != staff.id:
            holder.teams_aad_id = None
            self.session.flush()
        staff.teams_aad_id = aad_object_id
        self.session.flush()

    def by_teams_ids(self, aad_ids: Collection[str]) -> dict[str, Staff]:
        """People by Entra ID object id (one query; none for an empty collection)."""
        if not aad_ids:
            return {}
        query = select(Staff).where(Staff.teams_aad_id.in_(aad_ids))
        return {s.teams_aad_id: s for s in self.session.scalars(query) if s.teams_aad_id}

    def add(self, person: Staff) -> None:
        self.session.add(person)

    def linked_active_after(self, after_id: int, limit: int) -> list[Staff]:
        """Active people with an Entra ID link, by id after `after_id` (keyset paging)."""
        query = (
            select(Staff)
            .where(Staff.id > after_id, Staff.active.is_(True), Staff.teams_aad_id.is_not(None))
            .order_by(Staff.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def unreachable_on_teams(self, after_id: int, limit: int) -> list[tuple[int, str]]:
        """(staff id, AAD id) of active linked people with no installed personal chat with the
        bot, by id after `after_id`: who still needs the Teams app installed for them."""
        has_chat = exists().where(
            TeamsConversation.staff_id == Staff.id,
            TeamsConversation.kind == "personal",
            TeamsConversation.installed.is_(True),
        )
        query = (
            select(Staff.id, Staff.teams_aad_id)
            .where(
                Staff.id > after_id,
                Staff.active.is_(True),
                Staff.teams_aad_id.is_not(None),
                ~has_chat,
            )
            .order_by(Staff.id)
            .limit(limit)
        )
        return [(staff_id, aad_id) for staff_id, aad_id in self.session.execute(query) if aad_id]

    def directory_delta_link(self, source: str) -> str | None:
        """Where the last completed sync from `source` stopped (None: read everything)."""
        state = self.session.get(DirectorySync, source)
        return state.delta_link if state is not None else None

    def save_directory_sync(
        self, source: str, delta_link: str, now: datetime, users_seen: int
    ) -> None:
        state = self.session.get(DirectorySync, source)
        if state is None:
            state = DirectorySync(source=source, users_seen=0)
            self.session.add(state)
        state.delta_link, state.last_synced_at = delta_link, now
        state.users_seen = users_seen

    def by_emails(self, emails: Iterable[str]) -> list[Staff]:
        wanted = [e.strip().lower() for e in emails]
        return list(self.session.scalars(select(Staff).where(Staff.email.in_(wanted))))

    def roles_of(self, staff_id: int) -> set[str]:
        return set(
            self.session.scalars(select(StaffRole.role).where(StaffRole.staff_id == staff_id))
        )

    def with_role(self, role: str) -> list[Staff]:
        query = (
            select(Staff)
            .join(StaffRole)
            .where(StaffRole.role == role, Staff.active.is_(True))
            .order_by(Staff.display_name)
        )
        return list(self.session.scalars(query))

    def all_active(self) -> Sequence[Staff]:
        query = select(Staff).where(Staff.active.is_(True)).order_by(Staff.display_name)
        return self.session.scalars(query).all()

    def first_created(self) -> datetime | None:
        """When the directory was first filled: in effect, when this installation began."""
        return self.session.scalar(select(func.min(Staff.created_at)))

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Staff)) or 0

    def upsert_directory(
        self, entries: Sequence[DirectoryEntry], now: datetime, source: str
    ) -> int:
        """Create or update people by email, then link line managers. Returns how many changed.

        For a person Microsoft Graph's directory sync also knows (linked by their Entra ID
        object id), only what an entry states is written: a field it leaves empty keeps the
        directory's value, so the config and Graph do not undo each other at every restart.
        For everyone else the entry is the whole truth (a manager taken out is cleared).
        """
        existing = {s.email: s for s in self.by_emails(e.email for e in entries)}
        changed = 0
        for entry in entries:
            person = existing.get(entry.email)
            if person is None:
                person = Staff(
                    email=entry.email,
                    display_name=entry.name,
                    source=source,
                    created_at=now,
                    updated_at=now,
                )
                self.session.add(person)
                existing[entry.email] = person
                changed += 1
            stated = {
                "display_name": entry.name,
                "job_title": entry.job_title,
                "site": entry.site,
                "department": entry.department,
            }
            from_graph = person.teams_aad_id is not None
            values = {k: v for k, v in stated.items() if v or not from_graph}
            if any(getattr(person, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(person, key, value)
                person.updated_at = now
                changed += 1
        self.session.flush()
        managers = {
            s.email: s
            for s in self.by_emails(e.line_manager_email for e in entries if e.line_manager_email)
        }
        for entry in entries:
            person = existing[entry.email]
            manager = managers.get(entry.line_manager_email or "")
            if manager is None and person.teams_aad_id is not None:
                continue  # none stated for someone Graph knows: the directory's answer stands
            manager_id = manager.id if manager is not None else None
            if person.line_manager_id != manager_id:
                person.line_manager_id = manager_id
                changed += 1
        return changed

    def replace_roles(self, roles: dict[str, set[str]], source: str) -> None:
        """Make the roles from `source` exactly `roles` (email -> role names)."""
        self.session.execute(delete(StaffRole).where(StaffRole.source == source))
        people = {s.email: s.id for s in self.by_emails(roles)}
        for email, names in sorted(roles.items()):
            staff_id = people.get(email)
            if staff_id is None:
                continue
            for role in sorted(names):
                self.session.add(StaffRole(staff_id=staff_id, role=role, source=source))
        self.session.flush()
