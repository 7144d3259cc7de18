"""The staff directory from Entra ID, read through Microsoft Graph's users delta query.

Why a directory sync: reminders escalate to line managers and alerts target sites and
departments, so the bot needs Entra ID's view of who works where and for whom. A trust has
~1,800 people, a region 100k, so the sync uses Graph's delta query: the first run reads every
user page by page (each page committed in its own unit of work, nothing held for the whole
tenant) and keeps the `@odata.deltaLink`; later runs ask only for what changed.

This module only reads pages and turns Graph's JSON into plain `DirectoryUser`s; who is
matched, updated, deactivated or given a line manager is decided by handlers.directory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from bot.app import QIHub
from bot.teams.auth import TokenUnavailable
from bot.teams.graph import GraphClient, GraphError, Progress
from handlers.contacts import KEEP, Keep
from handlers.context import SYSTEM, Context
from handlers.directory import (
    GRAPH_SOURCE,
    DirectoryChanges,
    DirectoryUser,
    apply_directory_users,
    deactivate_unlisted,
    finish_directory_sync,
    link_line_managers,
)
from messages.templates import count_people
from store.uow import UnitOfWork

log = logging.getLogger(__name__)

PLATFORM: Final = "teams"

USER_FIELDS: Final = (
    "id",
    "displayName",
    "mail",
    "userPrincipalName",
    "department",
    "officeLocation",
    "jobTitle",
    "accountEnabled",
    "mobilePhone",
    "manager",
)
"""`manager` is a relationship: delta queries reject `$expand`, but selecting it makes each
user carry a `manager@delta` annotation (a list of `{id}`; an entry with `@removed` means the
manager was taken away), and changes of manager then appear in later delta rounds."""

DELTA_PATH: Final = "/users/delta?$select=" + ",".join(USER_FIELDS)

MANAGER_CHUNK: Final = 500
SWEEP_CHUNK: Final = 1000

_COLUMN_LIMITS: Final = {"display_name": 150, "job_title": 150, "site": 64, "department": 64}
"""Staff column widths: PostgreSQL refuses longer strings, and Entra allows longer ones."""

_GRAPH_TO_STAFF: Final = {
    "displayName": "display_name",
    "department": "department",
    "officeLocation": "site",
    "jobTitle": "job_title",
}


@dataclass
class SyncResult:
    """What one directory sync did. `full` says whether it read the whole directory."""

    created: int = 0
    updated: int = 0
    deactivated: int = 0
    reactivated: int = 0
    skipped: int = 0
    """Users with neither mail nor a user principal name: nothing to join them on."""
    contacts: int = 0
    """People whose mobile number or alert email changed (the values are never reported)."""
    mobiles_refused: int = 0
    """Directory `mobilePhone` values that are not UK mobiles (desk lines): not texted."""
    pages: int = 0
    users_seen: int = 0
    managers_changed: int = 0
    managers_unresolved: int = 0
    """Line managers whose AAD id matches nobody we hold (e.g. a manager without an email)."""
    full: bool = False
    resynced: bool = False
    """Graph declared the saved delta link dead (410) and the sync started over in full."""

    def counts(self) -> dict[str, int | bool]:
        return {
            "created": self.created,
            "updated": self.updated,
            "deactivated": self.deactivated,
            "reactivated": self.reactivated,
            "skipped": self.skipped,
            "contacts": self.contacts,
            "mobiles_refused": self.mobiles_refused,
            "pages": self.pages,
            "users_seen": self.users_seen,
            "managers_changed": self.managers_changed,
            "managers_unresolved": self.managers_unresolved,
            "full": self.full,
            "resynced": self.resynced,
        }

    def summary(self) -> str:
        kind = "full sync" if self.full else "changes only"
        if self.resynced:
            kind += ", restarted after Graph expired the delta link"
        return (
            f"directory sync done ({kind}): {self.pages} pages, {self.users_seen} users seen; "
            f"{self.created} new, {self.updated} changed, {self.deactivated} left, "
            f"{self.reactivated} back, {self.skipped} skipped without an email; "
            f"{self.contacts} contact details changed, "
            f"{self.mobiles_refused} directory numbers not UK mobiles; "
            f"{self.managers_changed} line managers set, "
            f"{self.managers_unresolved} managers not found"
        )


def parse_user(item: dict[str, Any]) -> DirectoryUser | None:
    """One delta item, reduced to what the staff table needs (None without an id)."""
    aad_id = item.get("id")
    if not isinstance(aad_id, str) or not aad_id:
        return None
    values: dict[str, str | None] = {}
    for key, attribute in _GRAPH_TO_STAFF.items():
        if key in item:
            values[attribute] = _clean(item[key], _COLUMN_LIMITS[attribute])
    enabled = item.get("accountEnabled")
    manager_stated, manager = _manager_of(item)
    return DirectoryUser(
        mobile=_stated(item, "mobilePhone"),
        mail=_stated(item, "mail"),
        aad_id=aad_id,
        removed="@removed" in item,
        emails=_emails_of(item),
        values=values,
        enabled=enabled if isinstance(enabled, bool) else None,
        manager_stated=manager_stated,
        manager=manager,
    )


def _stated(item: dict[str, Any], key: str) -> str | Keep | None:
    """A contact property as the change gives it: KEEP when absent, None when null or empty.
    The value is personal data: it is passed on, never logged."""
    if key not in item:
        return KEEP
    value = item[key]
    return value.strip() or None if isinstance(value, str) else None


def _clean(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text[:limit] or None


def _emails_of(item: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for key in ("mail", "userPrincipalName"):
        value = item.get(key)
        if isinstance(value, str) and "@" in value and len(value.strip()) <= 254:
            found.append(value.strip().lower())
    return tuple(dict.fromkeys(found))


def _manager_of(item: dict[str, Any]) -> tuple[bool, str | None]:
    """Whether the item speaks of the manager, and who it is now (None: nobody). Selecting
    `manager` makes Graph annotate `manager@delta`: a list of `{id}`, where an entry with
    `@removed` means that manager was taken away."""
    if "manager@delta" not in item:
        return False, None
    entries = item["manager@delta"] or []
    alive = [
        e["id"]
        for e in entries
        if isinstance(e, dict) and "@removed" not in e and isinstance(e.get("id"), str)
    ]
    return True, (alive[-1] if alive else None)


def sync_directory(
    hub: QIHub, client: GraphClient, *, progress: Progress | None = None
) -> SyncResult:
    """Bring the staff table up to date with Entra ID through Graph's users delta query.

    Uses the saved delta link when there is one (changes only), else reads the whole
    directory. Each page is applied and committed on its own, so memory stays flat and a
    crash loses at most one page; the new delta link is saved only once every page,
    line manager and (on a full sync) the sweep of people no longer listed are done, so an
    interrupted run simply repeats (delta replays are harmless). A dead delta link (410 Gone,
    or an expired token) makes the run start over as a full sync, once.
    """
    say = progress or (lambda _line: None)
    result = SyncResult()
    with hub.uow_factory() as uow:
        saved_link = uow.staff.directory_delta_link(GRAPH_SOURCE)
    start = saved_link or DELTA_PATH
    result.full = saved_link is None
    pending: dict[str, str | None] = {}
    """User AAD id -> manager AAD id (None: no manager), linked after the last page because
    a manager may appear on a later page than their reports."""
    seen: set[str] = set()
    """AAD ids listed in a full sync: whoever is linked but not listed has left the tenant."""
    while True:
        try:
            delta_link = _read_pages(hub, client, start, result, pending, seen, say)
            break
        except GraphError as exc:
            if not exc.needs_resync or result.resynced:
                raise
            log.warning("Graph expired the directory delta link; starting a full sync")
            say("Graph expired the saved delta link: starting over with a full sync")
            start, result.full, result.resynced = DELTA_PATH, True, True
            seen.clear()
    if result.full:
        _sweep_absent(hub, seen, result, say)
    _link_managers(hub, pending, result)
    with hub.uow_factory() as uow:
        finish_directory_sync(_system(hub, uow), delta_link, result.users_seen, result.counts())
        uow.commit()
    return result


def _read_pages(
    hub: QIHub,
    client: GraphClient,
    start: str,
    result: SyncResult,
    pending: dict[str, str | None],
    seen: set[str],
    say: Progress,
) -> str:
    """Follow nextLinks from `start`, applying each page; returns the round's deltaLink."""
    url: str | None = start
    while url is not None:
        body = client.get_json(url)
        items = body.get("value") or []
        with hub.uow_factory() as uow:
            page = _apply_page(hub, uow, [i for i in items if isinstance(i, dict)], pending)
            uow.commit()
        seen.update(
            i["id"]
            for i in items
            if isinstance(i, dict) and isinstance(i.get("id"), str) and "@removed" not in i
        )
        result.pages += 1
        result.users_seen += page.people
        result.created += page.created
        result.updated += page.updated
        result.deactivated += page.left
        result.reactivated += page.back
        result.skipped += page.skipped
        result.contacts += page.contacts
        result.mobiles_refused += page.mobiles_refused
        extra = f", {page.skipped} skipped" if page.skipped else ""
        say(
            f"page {result.pages}: {count_people(page.people)} ({page.created} new, "
            f"{page.updated} changed, {page.left} left{extra})"
        )
        next_link = body.get("@odata.nextLink")
        if isinstance(next_link, str) and next_link:
            url = next_link
            continue
        delta_link = body.get("@odata.deltaLink")
        if not isinstance(delta_link, str) or not delta_link:
            raise GraphError("Microsoft Graph ended the users delta round without a deltaLink")
        return delta_link
    raise AssertionError("unreachable")  # pragma: no cover


def _system(hub: QIHub, uow: UnitOfWork) -> Context:
    return Context(hub.services, uow, SYSTEM, PLATFORM)


def _apply_page(
    hub: QIHub, uow: UnitOfWork, items: list[dict[str, Any]], pending: dict[str, str | None]
) -> DirectoryChanges:
    users = [u for u in (parse_user(i) for i in items) if u is not None]
    return apply_directory_users(_system(hub, uow), users, pending)


def _sweep_absent(hub: QIHub, seen: set[str], result: SyncResult, say: Progress) -> None:
    """After a full read, deactivate linked people the directory no longer lists (deleted
    while we were not tracking changes, e.g. before a 410 resync). Streams by id."""
    last_id: int | None = 0
    left = 0
    while last_id is not None:
        with hub.uow_factory() as uow:
            last_id, gone = deactivate_unlisted(_system(hub, uow), seen, last_id, SWEEP_CHUNK)
            left += gone
            uow.commit()
    if left:
        result.deactivated += left
        say(f"{count_people(left)} no longer in the directory marked as left")


def _link_managers(hub: QIHub, pending: dict[str, str | None], result: SyncResult) -> None:
    """Set line managers from the (user, manager) AAD id pairs gathered over the pages."""
    pairs = list(pending.items())
    for start in range(0, len(pairs), MANAGER_CHUNK):
        with hub.uow_factory() as uow:
            changed, unresolved = link_line_managers(
                _system(hub, uow), pairs[start : start + MANAGER_CHUNK]
            )
            result.managers_changed += changed
            result.managers_unresolved += unresolved
            uow.commit()


def sync_directory_job(hub: QIHub, client: GraphClient) -> None:
    """A scheduler job: sync, log the outcome, and never take the scheduler down; a failed
    run leaves the saved delta link as it was, so the next run picks up the same changes."""
    try:
        result = sync_directory(hub, client, progress=log.debug)
    except (GraphError, TokenUnavailable) as exc:
        log.warning("directory sync failed: %s", exc)
        return
    except Exception:  # e.g. a second clock syncing the same person at once: next run mends it
        log.exception("directory sync failed")
        return
    log.info("%s", result.summary())
