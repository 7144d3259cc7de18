"""Microsoft Graph: the staff directory (users delta query) and installing the Teams app for people.

Why a directory sync: reminders escalate to line managers and alerts target sites and
departments, so the bot needs Entra ID's view of who works where and for whom. A trust has
~1,800 people, a region 100k, so the sync uses Graph's delta query: the first run reads every
user page by page (each page committed in its own unit of work, nothing held for the whole
tenant) and keeps the `@odata.deltaLink`; later runs ask only for what changed.

Why install the app for everyone: a bot cannot message someone in Teams until its app is
installed for them. Installing it through Graph (`POST /users/{id}/teamwork/installedApps`)
makes Teams send us an installationUpdate, which the inbound adapter stores as the person's
personal conversation; from then on reminders and alerts can reach them.

Merge rules (email is the join key, the AAD object id the stable link):
- a person is found by `teams_aad_id`, else by lower-cased email (`mail` or the UPN, so a
  config that lists people by UPN still matches); new people get `mail`, else the UPN;
- people the config defines keep `source="config"`, their email and their roles; Graph's values
  fill in and update their details, but a value Graph does not have never erases the config's;
- nobody is ever deleted: `@removed`, a disabled account or (after a full sync) absence from
  the directory make a person inactive, which takes their roles out of effect.
"""

from __future__ import annotations

import logging
import math
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Final, Self, TextIO, TypeVar
from urllib.parse import urlsplit

import httpx
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import exists, select

from bot.app import QIHub, create_app
from bot.errors import MissingCredential
from bot.settings import Settings
from bot.teams.auth import GRAPH_SCOPE, MsalTokenSource, TokenSource, TokenUnavailable
from handlers.audit import record
from handlers.context import SYSTEM, Context
from store.models import DirectorySync, Staff, TeamsConversation
from store.uow import UnitOfWork

log = logging.getLogger(__name__)
_T = TypeVar("_T")

Progress = Callable[[str], None]
"""Receives one human-readable line as each page or batch completes."""

PLATFORM: Final = "teams"
SOURCE: Final = "graph"
"""DirectorySync.source and Staff.source for people first seen in Graph."""

USER_FIELDS: Final = (
    "id",
    "displayName",
    "mail",
    "userPrincipalName",
    "department",
    "officeLocation",
    "jobTitle",
    "accountEnabled",
    "manager",
)
"""`manager` is a relationship: delta queries reject `$expand`, but selecting it makes each
user carry a `manager@delta` annotation (a list of `{id}`; an entry with `@removed` means the
manager was taken away), and changes of manager then appear in later delta rounds."""

DELTA_PATH: Final = "/users/delta?$select=" + ",".join(USER_FIELDS)

RETRYABLE: Final = frozenset({429, 500, 502, 503, 504})
"""Throttling and transient server errors. 501 (not implemented) would fail again."""

RESYNC_CODES: Final = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})
"""Error codes that, like 410 Gone, mean the delta link is no longer usable (e.g. expired
after seven days): the only way on is a fresh full sync."""

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

_MISSING: Final = object()
"""Marks a property absent from a delta item: unchanged, as opposed to an explicit null."""


# ---------------------------------------------------------------------------------- errors


class GraphError(Exception):
    """Graph refused or could not be reached. The message is fit to show an operator: it names
    the request (path only) and Graph's own error code and message, never the token."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code

    @classmethod
    def from_response(cls, method: str, url: str, response: httpx.Response) -> GraphError:
        code, detail = _error_of(response)
        hint = {
            401: " (the token was refused: check TEAMS_CLIENT_ID, TEAMS_TENANT_ID and the secret)",
            403: " (the app registration lacks a Graph permission or its admin consent)",
        }.get(response.status_code, "")
        reason = f"{code}: {detail}" if code and detail else code or detail or "no details"
        return cls(
            f"Microsoft Graph answered {response.status_code} to {method} {urlsplit(url).path}"
            f" — {reason}{hint}",
            status=response.status_code,
            code=code,
        )

    @property
    def needs_resync(self) -> bool:
        """Whether a delta link is dead and the directory must be read again from the start."""
        return self.status == 410 or (self.code or "").lower() in RESYNC_CODES


def _error_of(response: httpx.Response) -> tuple[str | None, str | None]:
    """Graph's `{"error": {"code", "message"}}`, tolerating any other body."""
    try:
        body = response.json()
    except ValueError:
        return None, response.reason_phrase or None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, response.reason_phrase or None
    code, message = error.get("code"), error.get("message")
    return (
        str(code) if code else None,
        str(message)[:300] if message else response.reason_phrase or None,
    )


# ---------------------------------------------------------------------------------- client


class GraphClient:
    """A small synchronous Graph client: bearer token on every request, bounded retries.

    Throttling (429) and 503/504 are retried after Graph's `Retry-After`; other 5xx and
    timeouts/connection errors after jittered exponential backoff, so many workers do not
    retry in step. After `max_attempts` tries it raises `GraphError`. Absolute URLs (Graph's
    nextLink/deltaLink) must point at the configured Graph host, so the token never leaves it.
    """

    def __init__(
        self,
        settings: Settings,
        tokens: TokenSource,
        *,
        max_attempts: int = 5,
        timeout: float = 30.0,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = settings.graph_api_url.rstrip("/")
        self._origin = _origin(self.base_url)
        self._tokens = tokens
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout, headers={"Accept": "application/json"})

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def url(self, path_or_url: str) -> str:
        """An absolute URL on the Graph host: paths are joined to the base URL."""
        if path_or_url.startswith(("http://", "https://")):
            if _origin(path_or_url) != self._origin:
                raise GraphError(
                    f"refusing to send the Graph token to {urlsplit(path_or_url).netloc}: "
                    f"links must stay on {urlsplit(self.base_url).netloc} (GRAPH_API_URL)"
                )
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def request(
        self, method: str, path_or_url: str, *, json: dict[str, Any] | None = None
    ) -> httpx.Response:
        """Send with retries; returns the first answer that is not worth retrying (any
        status: the caller decides what a 4xx means), or raises GraphError once the tries
        are used up."""
        target = self.url(path_or_url)
        path = urlsplit(target).path
        problem = ""
        status: int | None = None
        for attempt in range(1, self._max_attempts + 1):
            headers = {"Authorization": f"Bearer {self._tokens.token()}"}
            try:
                response = self._http.request(method, target, json=json, headers=headers)
            except httpx.TransportError as exc:  # timeouts, refused and reset connections
                problem, status = f"{type(exc).__name__}: {exc}", None
                wait = self._jittered(attempt)
            else:
                if response.status_code not in RETRYABLE:
                    return response
                status = response.status_code
                code, detail = _error_of(response)
                problem = f"{status} {code or detail or response.reason_phrase}"
                retry_after = _retry_after(response)
                wait = (
                    min(retry_after, self._max_retry_after)
                    if retry_after is not None
                    else self._jittered(attempt)
                )
            if attempt < self._max_attempts:
                log.info("Graph %s %s: %s; retrying in %.1f s", method, path, problem, wait)
                self._sleep(wait)
        raise GraphError(
            f"Microsoft Graph did not answer {method} {path} after {self._max_attempts} tries "
            f"(last: {problem}); try again later",
            status=status,
        )

    def get_json(self, path_or_url: str) -> dict[str, Any]:
        """GET and decode a JSON object; any non-2xx answer raises GraphError."""
        response = self.request("GET", path_or_url)
        if not response.is_success:
            raise GraphError.from_response("GET", self.url(path_or_url), response)
        body = response.json()
        if not isinstance(body, dict):
            raise GraphError(f"Microsoft Graph sent a non-object body for GET {path_or_url}")
        return body

    def _jittered(self, attempt: int) -> float:
        """Full jitter: anywhere between 0 and the exponential ceiling for this attempt."""
        ceiling = min(self._max_backoff, self._backoff * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - spreading retries, not cryptography


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After as seconds (Graph sends seconds; an HTTP date is accepted too)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


# ---------------------------------------------------------------------------------- sync


@dataclass
class SyncResult:
    """What one directory sync did. `full` says whether it read the whole directory."""

    created: int = 0
    updated: int = 0
    deactivated: int = 0
    reactivated: int = 0
    skipped: int = 0
    """Users with neither mail nor a user principal name: nothing to join them on."""
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
            f"{self.managers_changed} line managers set, "
            f"{self.managers_unresolved} managers not found"
        )


@dataclass
class _PageCounts:
    people: int = 0
    created: int = 0
    updated: int = 0
    left: int = 0
    back: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class _DirectoryUser:
    """One delta item, reduced to what the staff table needs."""

    aad_id: str
    removed: bool
    emails: tuple[str, ...]
    """Lower-cased `mail` then UPN (deduplicated): the first is the one a new record gets."""
    values: dict[str, str | None]
    """Staff attribute -> value, only for properties present in the item."""
    enabled: bool | None
    manager: object
    """The manager's AAD id, None (no manager), or _MISSING (not in this item)."""

    @classmethod
    def parse(cls, item: dict[str, Any]) -> _DirectoryUser | None:
        aad_id = item.get("id")
        if not isinstance(aad_id, str) or not aad_id:
            return None
        values: dict[str, str | None] = {}
        for key, attribute in _GRAPH_TO_STAFF.items():
            if key in item:
                values[attribute] = _clean(item[key], _COLUMN_LIMITS[attribute])
        enabled = item.get("accountEnabled")
        return cls(
            aad_id=aad_id,
            removed="@removed" in item,
            emails=_emails_of(item),
            values=values,
            enabled=enabled if isinstance(enabled, bool) else None,
            manager=_manager_of(item),
        )


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


def _manager_of(item: dict[str, Any]) -> object:
    if "manager@delta" not in item:
        return _MISSING
    entries = item["manager@delta"] or []
    alive = [
        e["id"]
        for e in entries
        if isinstance(e, dict) and "@removed" not in e and isinstance(e.get("id"), str)
    ]
    return alive[-1] if alive else None


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
        state = uow.session.get(DirectorySync, SOURCE)
        saved_link = state.delta_link if state is not None else None
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
        now = hub.clock.now()
        state = uow.session.get(DirectorySync, SOURCE)
        if state is None:
            state = DirectorySync(source=SOURCE, users_seen=0)
            uow.session.add(state)
        state.delta_link, state.last_synced_at = delta_link, now
        state.users_seen = result.users_seen
        record(
            _system(hub, uow),
            entity_type="directory",
            entity_ref=SOURCE,
            action="synced",
            after=dict(result.counts()),
        )
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
        extra = f", {page.skipped} skipped" if page.skipped else ""
        say(
            f"page {result.pages}: {page.people} people ({page.created} new, "
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
    hub: QIHub,
    uow: UnitOfWork,
    items: Sequence[dict[str, Any]],
    pending: dict[str, str | None],
) -> _PageCounts:
    """Upsert one page of users. Lookups are two queries per page, not one per person."""
    ctx = _system(hub, uow)
    now = ctx.now
    users = [u for u in (_DirectoryUser.parse(i) for i in items) if u is not None]
    counts = _PageCounts(people=len(users))
    ids = {u.aad_id for u in users}
    emails = {e for u in users for e in u.emails}
    by_aad: dict[str, Staff] = {}
    by_email: dict[str, Staff] = {}
    if ids:
        by_aad = {
            s.teams_aad_id: s
            for s in uow.session.scalars(select(Staff).where(Staff.teams_aad_id.in_(ids)))
            if s.teams_aad_id
        }
    if emails:
        by_email = {
            s.email: s for s in uow.session.scalars(select(Staff).where(Staff.email.in_(emails)))
        }
    events: list[tuple[Staff, str, dict[str, Any] | None, dict[str, Any] | None, str | None]] = []

    for user in users:
        person = by_aad.get(user.aad_id)
        if user.removed:
            if person is not None and person.active:
                person.active, person.updated_at = False, now
                counts.left += 1
                events.append(
                    (person, "deactivated", {"active": True}, {"active": False}, "removed")
                )
            pending.pop(user.aad_id, None)
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
            uow.session.flush()
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
                source=SOURCE,
                created_at=now,
                updated_at=now,
            )
            uow.session.add(person)
            by_aad[user.aad_id] = by_email[address] = person
            counts.created += 1
            events.append(
                (person, "created", None, {"source": SOURCE, "active": person.active}, None)
            )
        else:
            changed = _update(person, user, by_email) + (["teams_aad_id"] if linked else [])
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
        if user.manager is not _MISSING:
            pending[user.aad_id] = user.manager if isinstance(user.manager, str) else None
    uow.session.flush()  # ids for the audit entries
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


def _update(person: Staff, user: _DirectoryUser, by_email: dict[str, Staff]) -> list[str]:
    """Apply Graph's values; returns the names (not values) of the attributes that changed."""
    config_defined = person.source != SOURCE
    changed: list[str] = []
    for attribute, value in user.values.items():
        if value is None and (config_defined or attribute == "display_name"):
            continue  # Graph has nothing here: keep what the config (or earlier) said
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


def _sweep_absent(hub: QIHub, seen: set[str], result: SyncResult, say: Progress) -> None:
    """After a full read, deactivate linked people the directory no longer lists (deleted
    while we were not tracking changes, e.g. before a 410 resync). Streams by id."""
    last_id = 0
    left = 0
    while True:
        with hub.uow_factory() as uow:
            batch = list(
                uow.session.scalars(
                    select(Staff)
                    .where(
                        Staff.id > last_id,
                        Staff.active.is_(True),
                        Staff.teams_aad_id.is_not(None),
                    )
                    .order_by(Staff.id)
                    .limit(SWEEP_CHUNK)
                )
            )
            if not batch:
                break
            last_id = batch[-1].id
            ctx = _system(hub, uow)
            for person in batch:
                if person.teams_aad_id in seen:
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
            uow.commit()
    if left:
        result.deactivated += left
        say(f"{left} people no longer in the directory marked as left")


def _link_managers(hub: QIHub, pending: dict[str, str | None], result: SyncResult) -> None:
    """Set line managers from the (user, manager) AAD id pairs gathered over the pages."""
    pairs = list(pending.items())
    for start in range(0, len(pairs), MANAGER_CHUNK):
        chunk = pairs[start : start + MANAGER_CHUNK]
        wanted = {u for u, _ in chunk} | {m for _, m in chunk if m}
        with hub.uow_factory() as uow:
            ctx = _system(hub, uow)
            found = {
                s.teams_aad_id: s
                for s in uow.session.scalars(select(Staff).where(Staff.teams_aad_id.in_(wanted)))
                if s.teams_aad_id
            }
            for user_id, manager_id in chunk:
                person = found.get(user_id)
                if person is None:
                    continue
                if manager_id is None:
                    if person.source != SOURCE:
                        continue  # Graph knows no manager: keep the config's
                    new_id = None
                else:
                    manager = found.get(manager_id)
                    if manager is None or manager.id == person.id:
                        result.managers_unresolved += 1
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
                result.managers_changed += 1
            uow.commit()


# ---------------------------------------------------------------------------------- install


@dataclass(frozen=True)
class InstallFailure:
    staff_id: int
    aad_id: str
    status: int | None
    reason: str


@dataclass
class InstallResult:
    installed: int = 0
    already: int = 0
    """409: the app was already installed for the person (Teams may not have told us yet)."""
    failed: int = 0
    batches: int = 0
    failures: list[InstallFailure] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.installed + self.already + self.failed

    def summary(self) -> str:
        return (
            f"install done: {self.attempted} people tried; {self.installed} installed, "
            f"{self.already} already had the app, {self.failed} failed"
        )


def _batches(hub: QIHub, batch_size: int) -> Iterator[list[tuple[int, str]]]:
    """Active people with an AAD id and no installed personal chat, a batch at a time (keyset
    paging by id; no transaction stays open while Graph is called)."""
    has_chat = exists().where(
        TeamsConversation.staff_id == Staff.id,
        TeamsConversation.kind == "personal",
        TeamsConversation.installed.is_(True),
    )
    last_id = 0
    while True:
        query = (
            select(Staff.id, Staff.teams_aad_id)
            .where(
                Staff.id > last_id,
                Staff.active.is_(True),
                Staff.teams_aad_id.is_not(None),
                ~has_chat,
            )
            .order_by(Staff.id)
            .limit(batch_size)
        )
        with hub.uow_factory() as uow:
            rows = [(staff_id, aad_id) for staff_id, aad_id in uow.session.execute(query) if aad_id]
        if not rows:
            return
        last_id = rows[-1][0]
        yield rows


def install_for_everyone(
    hub: QIHub,
    client: GraphClient,
    *,
    app_id: str,
    progress: Progress | None = None,
    requests_per_second: int = 10,
    batch_size: int = 200,
) -> InstallResult:
    """Install the Teams app for every active person we cannot message yet.

    Paced (default 10 requests a second, well under Graph's and Teams' per-tenant limits) so
    a 100k-person roll-out does not get the whole tenant throttled. 201 = installed, 409 =
    already installed; 403/404 and anything else Graph refuses are recorded per person and
    the roll-out carries on. Teams then sends each person's installationUpdate to the bot,
    which stores the conversation (the inbound adapter's job, not this one's).
    """
    say = progress or (lambda _line: None)
    result = InstallResult()
    body = {"teamsApp@odata.bind": f"{client.base_url}/appCatalogs/teamsApps/{app_id}"}
    limiter = MovingWindowRateLimiter(MemoryStorage())
    rate = RateLimitItemPerSecond(max(1, requests_per_second))
    for batch in _batches(hub, batch_size):
        done = _PageCounts(people=len(batch))
        for staff_id, aad_id in batch:
            while not limiter.hit(rate, "graph-install"):
                reset = limiter.get_window_stats(rate, "graph-install").reset_time
                time.sleep(min(1.0, max(0.005, reset - time.time())))
            path = f"/users/{aad_id}/teamwork/installedApps"
            try:
                response = client.request("POST", path, json=body)
            except GraphError as exc:  # retries used up: note it, carry on with the others
                result.failures.append(InstallFailure(staff_id, aad_id, exc.status, str(exc)))
                result.failed += 1
                done.skipped += 1
                continue
            if response.status_code == 401:
                raise GraphError.from_response("POST", client.url(path), response)
            if response.status_code in (200, 201):
                result.installed += 1
                done.created += 1
            elif response.status_code == 409:
                result.already += 1
                done.updated += 1
            else:
                reason = str(GraphError.from_response("POST", client.url(path), response))
                result.failures.append(
                    InstallFailure(staff_id, aad_id, response.status_code, reason)
                )
                result.failed += 1
                done.skipped += 1
        result.batches += 1
        say(
            f"batch {result.batches}: {done.people} people ({done.created} installed, "
            f"{done.updated} already, {done.skipped} failed)"
        )
    with hub.uow_factory() as uow:
        record(
            _system(hub, uow),
            entity_type="teams_app",
            entity_ref="all_staff",
            action="install_for_everyone",
            after={
                "app_id": app_id,
                "installed": result.installed,
                "already": result.already,
                "failed": result.failed,
            },
        )
        uow.commit()
    return result


# ---------------------------------------------------------------------------------- entry points


def _graph_client(settings: Settings, tokens: TokenSource | None) -> GraphClient:
    return GraphClient(settings, tokens or MsalTokenSource(settings, GRAPH_SCOPE))


def _printer(out: TextIO | None) -> Progress:
    def say(line: str) -> None:
        stream = out or sys.stdout
        stream.write(line + "\n")
        stream.flush()

    return say


def _refused(exc: GraphError | TokenUnavailable) -> MissingCredential:
    return MissingCredential(f"Microsoft Graph refused the bot's credentials: {exc}")


def run_directory_sync(
    settings: Settings, *, tokens: TokenSource | None = None, out: TextIO | None = None
) -> int:
    """`qihub teams sync-directory`: one sync with progress lines, then a summary.

    Missing or refused credentials raise MissingCredential (the CLI's exit 2); any other
    Graph failure is reported on stderr with exit 1. `tokens` replaces Entra ID in tests.
    """
    say = _printer(out)
    with _graph_client(settings, tokens) as client:  # before the database: fail fast
        hub = create_app(settings)
        try:
            result = _guarded(lambda: sync_directory(hub, client, progress=say))
        finally:
            hub.engine.dispose()
    if result is None:
        return 1
    say(result.summary())
    return 0


def run_install_for_everyone(
    settings: Settings, *, tokens: TokenSource | None = None, out: TextIO | None = None
) -> int:
    """`qihub teams install-for-all`: install the app for everyone not yet reachable.

    Needs TEAMS_APP_ID (the app's id in the org catalogue). Exit 0 when nobody failed, 1 when
    some installs failed (the first 50 listed on stdout), MissingCredential for missing or
    refused credentials.
    """
    app_id = settings.teams_app_id
    if not app_id:
        raise MissingCredential(
            "installing the Teams app needs TEAMS_APP_ID: the app's id in the organisation's "
            "Teams app catalogue (Graph: GET /appCatalogs/teamsApps?$filter=externalId eq "
            "'<manifest id>')"
        )
    say = _printer(out)
    with _graph_client(settings, tokens) as client:
        hub = create_app(settings)
        try:
            result = _guarded(
                lambda: install_for_everyone(hub, client, app_id=app_id, progress=say)
            )
        finally:
            hub.engine.dispose()
    if result is None:
        return 1
    for failure in result.failures[:50]:
        say(f"  failed: staff {failure.staff_id}: {failure.reason}")
    if len(result.failures) > 50:
        say(f"  … and {len(result.failures) - 50} more failures")
    say(result.summary())
    return 1 if result.failed else 0


def _guarded(call: Callable[[], _T]) -> _T | None:
    """Run a CLI task: refused credentials become MissingCredential (exit 2); any other Graph
    failure is one line on stderr and None (exit 1)."""
    try:
        return call()
    except TokenUnavailable as exc:
        raise _refused(exc) from None
    except GraphError as exc:
        if exc.status == 401:
            raise _refused(exc) from None
        sys.stderr.write(f"qihub: {exc}\n")
        return None


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
