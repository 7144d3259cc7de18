"""What every handler receives: who is acting, the open unit of work, the config and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from handlers.calendar import WorkingCalendar
from handlers.clock import Clock
from handlers.config import PSEUDO_ROLES, OrgConfig
from handlers.guard import PatientDataGuard
from handlers.outbox.enqueue import Enqueuer
from handlers.seals import seal_key
from store.uow import UnitOfWork

if TYPE_CHECKING:
    from datetime import datetime

    from handlers.registry import Registry
    from store.models import Staff


@dataclass(frozen=True)
class Actor:
    """The person acting. `staff_id` is None for someone not (yet) in the staff directory."""

    staff_id: int | None
    email: str
    name: str
    roles: frozenset[str] = frozenset()

    @property
    def known(self) -> bool:
        return self.staff_id is not None


def actor_for(uow: UnitOfWork, staff: Staff) -> Actor:
    """The person as an actor: their roles now (none once they have left)."""
    roles = frozenset(uow.staff.roles_of(staff.id) | PSEUDO_ROLES) if staff.active else frozenset()
    return Actor(staff_id=staff.id, email=staff.email, name=staff.display_name, roles=roles)


SYSTEM = Actor(staff_id=None, email="", name="QI Hub", roles=frozenset({"system"}))


@dataclass
class Services:
    """Long-lived things built once at start and shared by every unit of work."""

    config: OrgConfig
    clock: Clock
    registry: Registry
    calendar: WorkingCalendar = field(init=False)
    seal_key: bytes | None = None
    """The server's key for sealing button values (handlers.seals), read once a process."""

    def __post_init__(self) -> None:
        self.calendar = WorkingCalendar(self.config)


@dataclass
class Context:
    services: Services
    uow: UnitOfWork
    actor: Actor
    platform: str
    memo: dict[str, Any] = field(default_factory=dict)
    """Answers looked up once per unit of work (e.g. a committee's governance leads)."""

    @property
    def config(self) -> OrgConfig:
        return self.services.config

    @property
    def registry(self) -> Registry:
        return self.services.registry

    @property
    def calendar(self) -> WorkingCalendar:
        return self.services.calendar

    @cached_property
    def now(self) -> datetime:
        """One instant per unit of work, so every row it writes agrees on the time."""
        return self.services.clock.now()

    @cached_property
    def enqueuer(self) -> Enqueuer:
        return Enqueuer(self.uow, self.services.config, self.now, seal_key(self.services, self.uow))

    @cached_property
    def guard(self) -> PatientDataGuard:
        return PatientDataGuard(
            self.services.config.patient_data.hospital_number_pattern,
            this_year=self.calendar.local(self.now).year,
        )
