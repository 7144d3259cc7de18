"""Who a Teams user is in the staff directory: by Entra ID object id, else by email, remembered.

Activities carry the person's Entra ID object id (`from.aadObjectId`) but not their email.
Directory sync from Microsoft Graph usually links the two in advance; failing that, the first
activity asks the Bot Connector for the member's email (`GET /v3/conversations/{id}/members/
{user}`) and links the staff record with that email to the object id. A button press or a form
finds its person by object id inside its own unit of work (`lookup`, no transaction of its
own). Nothing is cached in the process: a link the directory moves or removes counts at once.

Local development with the Agents Playground (QIHUB_TEAMS_PLAYGROUND, no Teams credentials)
has no real directory behind it: there every activity acts as TEAMS_PLAYGROUND_EMAIL, or the
same first person in the config that `qihub console` starts as (`qihub web` loads the config's
people at start-up).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from microsoft_teams.apps import ActivityContext

from bot.app import Lookup, QIHub
from bot.teams.app import teams_authenticated
from bot.teams.shape import as_dict
from store.models import Staff
from store.uow import UnitOfWork

log = logging.getLogger(__name__)
UNKNOWN = "unknown.teams.user@invalid"
"""An address no directory holds: the core then answers "not in the directory" politely."""
T = TypeVar("T")
Sync = Callable[..., Awaitable[Any]]


class TeamsIdentity:
    def __init__(self, hub: QIHub) -> None:
        self._hub = hub
        self._playground = not teams_authenticated(hub.settings)

    def lookup(self, activity: Mapping[str, Any]) -> Lookup | None:
        """The sender's staff record by Entra ID object id, read in the caller's unit of work
        (someone who has left is found, and acts as nobody); None when the activity carries no
        object id or this is the Playground (then `email_for` says who it is)."""
        aad = str(as_dict(activity.get("from")).get("aadObjectId") or "")
        if self._playground or not aad:
            return None

        def find(uow: UnitOfWork) -> Staff | None:
            return uow.staff.by_teams_id(aad)

        return find

    def playground_email(self) -> str:
        chosen = self._hub.settings.teams_playground_email
        if chosen:
            return chosen.strip().lower()
        people = self._hub.config.people
        return people[0].email.lower() if people else UNKNOWN

    async def email_for(
        self, ctx: ActivityContext[Any], activity: Mapping[str, Any], run: Sync
    ) -> str:
        """The staff email for the activity's sender (an address outside the directory if none)."""
        if self._playground:
            return self.playground_email()
        sender = as_dict(activity.get("from"))
        aad = str(sender.get("aadObjectId") or "")
        if not aad:
            return UNKNOWN
        known: str | None = await run(self._by_object_id, aad)
        if known:
            return known
        email = await self._lookup(ctx, activity)
        if email is None:
            return UNKNOWN
        await run(self._link, aad, email)
        return email

    def _by_object_id(self, aad: str) -> str | None:
        with self._hub.uow_factory() as uow:
            staff = uow.staff.by_teams_id(aad)
            return staff.email if staff is not None and staff.active else None

    def _link(self, aad: str, email: str) -> bool:
        with self._hub.uow_factory() as uow:
            staff = uow.staff.by_email(email)
            if staff is None or not staff.active:
                return False  # in Teams, not (yet) in the directory: told so politely
            uow.staff.link_teams(staff, aad)
            uow.commit()
        return True

    async def _lookup(self, ctx: ActivityContext[Any], activity: Mapping[str, Any]) -> str | None:
        conversation = str(as_dict(activity.get("conversation")).get("id", ""))
        member = str(as_dict(activity.get("from")).get("id", ""))
        try:
            account = await ctx.api.conversations.get_member_by_id(conversation, member)
        except Exception as exc:  # the connector is unwell or the member left: not our person
            log.warning("Teams member lookup failed: %s", type(exc).__name__)
            return None
        email = getattr(account, "email", None) or getattr(account, "user_principal_name", None)
        return str(email).strip().lower() if email else None
