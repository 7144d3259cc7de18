"""create_app(settings): the one place that builds everything. Nothing happens at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.settings import Settings
from handlers.catalogue import build_registry, reminder_rules
from handlers.clock import Clock, SystemClock
from handlers.config import ConfigError, OrgConfig, load_config
from handlers.context import Actor, Context, Services
from handlers.directory import actor_of, resolve_actor, sync_config_directory
from handlers.reminders import ReminderRule
from handlers.seals import seal_key, seal_reply
from messages.view import FormErrors, Notice, Reply, Response
from store.db import DATABASE_ERRORS, Engine, check_connection, make_engine
from store.migrate import current_revision, head_revision
from store.models import Staff
from store.repos.reach import ANYONE
from store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


NOT_SAVED = (
    "Not saved — nothing was lost. QI Hub could not reach its database just now; "
    "please try again in a minute."
)


class NotSaved(Exception):
    """The database could not be reached: the unit of work was rolled back, nothing written.

    Platform adapters turn this into NOT_SAVED for the person (under the form's first field when
    a form was being submitted, so what they typed stays in front of them)."""


def not_saved_reply() -> Reply:
    return Reply(summary=NOT_SAVED, blocks=(Notice(NOT_SAVED, "error"),), ephemeral=True)


@contextmanager
def database_errors_as_not_saved() -> Iterator[None]:
    """Any failure to reach or use the database, as NotSaved (logged without its details,
    which can hold connection strings)."""
    try:
        yield
    except DATABASE_ERRORS as exc:
        log.warning("database unavailable during a request: %s", type(exc).__name__)
        raise NotSaved from None


Lookup = Callable[[UnitOfWork], Staff | None]
"""How a platform adapter finds the person behind a request by its own id for them (a Slack
user id, an Entra ID object id), inside the request's unit of work."""


class NotLinked(Exception):
    """No staff record is linked to the platform's id for this person yet: the adapter finds
    their email on the platform (and links it), then asks again by email."""


def _linked(uow: UnitOfWork, lookup: Lookup) -> Actor:
    staff = lookup(uow)
    if staff is None:
        raise NotLinked  # rolls the unit of work back, the replay key with it
    return actor_of(uow, staff)


@dataclass
class QIHub:
    settings: Settings
    config: OrgConfig
    engine: Engine
    uow_factory: UnitOfWorkFactory
    services: Services
    rules: list[ReminderRule]

    @property
    def clock(self) -> Clock:
        return self.services.clock

    def interact(self, email: str, platform: str, call: Callable[[Context], Response]) -> Response:
        """Run one interaction as one unit of work: resolve the actor, call, commit.

        Raises NotSaved when the database cannot be reached (nothing is half-written: the
        unit of work commits once, at the end)."""
        with database_errors_as_not_saved(), self.uow_factory() as uow:
            actor = resolve_actor(uow, email)
            response = self._sealed(uow, call(Context(self.services, uow, actor, platform)))
            uow.commit()
        return response

    def interact_once(
        self, who: str | Lookup, platform: str, key: str, call: Callable[[Context], Response]
    ) -> Response | None:
        """Like interact(), but None for a request already handled (a replay or a retry).

        `who` is the person's email, or a lookup of their staff record by the platform's id
        for them, run in this same unit of work (one transaction per press, not one to find
        the person and another to act: under a storm of presses every transaction counts);
        NotLinked when nobody is linked to that id yet (nothing was written).

        The key is written in the same transaction as whatever the call changes. A refused
        request is rolled back (see handlers.dispatch), taking the key with it, so only a
        request that really took effect is remembered as done.
        """
        with database_errors_as_not_saved(), self.uow_factory() as uow:
            if not uow.inbound.first_time(key, self.clock.now()):
                return None
            actor = resolve_actor(uow, who) if isinstance(who, str) else _linked(uow, who)
            response = self._sealed(uow, call(Context(self.services, uow, actor, platform)))
            if uow.rolled_back and not isinstance(response, FormErrors):
                # A refusal rolled the key back with everything else, but it was answered:
                # remember it, so a retry is not answered again (field errors stay retryable).
                uow.inbound.first_time(key, self.clock.now())
            uow.commit()
        return response

    def _sealed(self, uow: UnitOfWork, response: Response) -> Response:
        """Every button in an answer carries the server's seal (handlers.seals)."""
        if isinstance(response, Reply):
            return seal_reply(seal_key(self.services, uow), response)
        return response

    def seal_key(self) -> bytes:
        """The server's seal key (handlers.seals), for what an adapter signs itself."""
        if self.services.seal_key is None:
            with self.uow_factory() as uow:
                seal_key(self.services, uow)
                uow.commit()
        assert self.services.seal_key is not None
        return self.services.seal_key

    def seal(self, reply: Reply) -> Reply:
        """`reply` with its buttons sealed, for the few messages an adapter draws itself."""
        return seal_reply(self.seal_key(), reply)

    def sync_directory(self) -> None:
        """The config's people and roles into the database. Every long-running process does
        this at start-up, so a person added to the config is known after a restart of any of
        them; processes starting together take turns (the directory lock)."""
        with self.uow_factory() as uow:
            uow.serialise("directory")
            sync_config_directory(uow, self.config, self.clock.now())
            uow.commit()


def require_current_schema(app: QIHub) -> None:
    """Refuse to serve a database that `qihub db upgrade` has not brought up to date: a
    long-running process would otherwise fail on its first query, long after start-up."""
    if current_revision(app.engine) != head_revision():
        raise ConfigError("", "the database is not up to date; run `qihub db upgrade` first")


def reach_of(settings: Settings) -> frozenset[str]:
    """The channels with credentials (bot.outbox_workers.connected_platforms builds the same
    ones). With no chat platform, this is the console, which delivers to every person; with
    NOTIFY_API_KEY, texts and emails reach people with a number or address too."""
    found = {"slack"} if settings.slack_bot_token is not None else set()
    found |= {"teams"} if settings.teams_client_id is not None else set()
    notify = {"sms", "email"} if settings.notify_api_key is not None else set()
    return frozenset((found or {ANYONE}) | notify)


def create_app(
    settings: Settings, *, clock: Clock | None = None, config: OrgConfig | None = None
) -> QIHub:
    """Load and validate the config, connect to the database and assemble the core.

    Raises ConfigError or DatabaseUnavailable with a message fit to show an operator.
    """
    config = config or load_config(settings.qihub_config)
    engine = make_engine(settings.database_url)
    check_connection(engine)
    services = Services(
        config=config,
        clock=clock or SystemClock(),
        registry=build_registry(config),
        reach=reach_of(settings),
    )
    return QIHub(
        settings=settings,
        config=config,
        engine=engine,
        uow_factory=UnitOfWorkFactory(engine),
        services=services,
        rules=reminder_rules(),
    )


UowFactory = Callable[[], UnitOfWork]
