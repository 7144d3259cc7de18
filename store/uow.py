"""The unit of work: one transaction per web request, clock job or console line, owned by the edge.

Handlers receive an open unit of work and never commit; the edge commits when the handler
returns normally and rolls back on any exception, so nothing is ever half-written.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from store.repos.actions import ActionRepo
from store.repos.alerts import AlertRepo
from store.repos.attempts import AttemptRepo
from store.repos.audit import AuditRepo
from store.repos.bulletins import BulletinRepo
from store.repos.contacts import ContactRepo
from store.repos.digest import DigestRepo
from store.repos.forms import FormSessionRepo, SecretRepo
from store.repos.heartbeat import HeartbeatRepo
from store.repos.hub import HubRepo
from store.repos.ideas import IdeaRepo
from store.repos.inbound import InboundRepo
from store.repos.lease import LeaseRepo
from store.repos.lessons import LessonRepo, TrendRepo
from store.repos.outbox import OutboxRepo
from store.repos.refs import RefRepo
from store.repos.registers import RegisterRepo
from store.repos.reminders import ReminderRepo
from store.repos.reports import ReportRepo
from store.repos.search import SearchRepo
from store.repos.spc import SpcRepo
from store.repos.staff import StaffRepo
from store.repos.teams import TeamsConversationRepo


class UnitOfWork:
    session: Session
    staff: StaffRepo
    contacts: ContactRepo
    attempts: AttemptRepo
    ideas: IdeaRepo
    inbound: InboundRepo
    lessons: LessonRepo
    actions: ActionRepo
    alerts: AlertRepo
    trends: TrendRepo
    audit: AuditRepo
    bulletins: BulletinRepo
    forms: FormSessionRepo
    secrets: SecretRepo
    outbox: OutboxRepo
    refs: RefRepo
    reminders: ReminderRepo
    leases: LeaseRepo
    heartbeats: HeartbeatRepo
    registers: RegisterRepo
    search: SearchRepo
    digest: DigestRepo
    reports: ReportRepo
    teams: TeamsConversationRepo
    hub: HubRepo

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self._before_commit: dict[str, Callable[[], None]] = {}
        self.rolled_back = False
        """Whether rollback() was called: what was written before it is gone."""
        self.staff = StaffRepo(self.session)
        self.contacts = ContactRepo(self.session)
        self.attempts = AttemptRepo(self.session)
        self.ideas = IdeaRepo(self.session)
        self.inbound = InboundRepo(self.session)
        self.lessons = LessonRepo(self.session)
        self.actions = ActionRepo(self.session)
        self.alerts = AlertRepo(self.session)
        self.trends = TrendRepo(self.session)
        self.spc = SpcRepo(self.session)
        self.audit = AuditRepo(self.session)
        self.bulletins = BulletinRepo(self.session)
        self.forms = FormSessionRepo(self.session)
        self.secrets = SecretRepo(self.session)
        self.outbox = OutboxRepo(self.session)
        self.refs = RefRepo(self.session)
        self.reminders = ReminderRepo(self.session)
        self.leases = LeaseRepo(self.session)
        self.heartbeats = HeartbeatRepo(self.session)
        self.registers = RegisterRepo(self.session)
        self.search = SearchRepo(self.session)
        self.digest = DigestRepo(self.session)
        self.reports = ReportRepo(self.session)
        self.teams = TeamsConversationRepo(self.session)
        self.hub = HubRepo(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        while self._before_commit:
            self._before_commit.pop(next(iter(self._before_commit)))()
        self.session.commit()

    def rollback(self) -> None:
        self._before_commit.clear()
        self.rolled_back = True
        self.session.rollback()

    def before_commit(self, name: str, call: Callable[[], None]) -> None:
        """Run `call` once, in this transaction, just before it commits (work that must see
        everything the unit of work changed: handlers/cards.py); asked again under the same
        `name`, it still runs once. A rollback forgets it."""
        self._before_commit.setdefault(name, call)

    def flush(self) -> None:
        self.session.flush()

    def serialise(self, name: str) -> None:
        """Hold the lock `name` until this unit of work ends, waiting for any other holder.

        For work that several processes may start at once (every web replica and the clock
        load the directory at start-up): on PostgreSQL a transaction-scoped advisory lock; on
        SQLite every unit of work already holds the one write lock (BEGIN IMMEDIATE)."""
        if self.session.get_bind().dialect.name == "postgresql":
            key = zlib.crc32(f"qihub:{name}".encode())
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


class UnitOfWorkFactory:
    """Makes units of work bound to one engine; the edges hold one of these."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)
