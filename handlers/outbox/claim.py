"""Claimed outbox rows turned into jobs: what to send, to whom, and (once tried) what happened.

Reading a row can already decide its fate (the recipient left, the channel is no longer
configured, it is worn out): such a job is never tried, only recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from handlers.config import OrgConfig
from handlers.contacts import usable
from handlers.outbox.outcome import Outcome, worn_out
from handlers.platform import (
    DIRECT_VIAS,
    ChannelTarget,
    DeliveryError,
    DirectTarget,
    DirectVia,
    MessageHandle,
    Platform,
    Recipient,
)
from messages.view import Reply, reply_from_payload
from store.models import StaffContact
from store.repos.outbox import ClaimedRow
from store.repos.staff import Reachable
from store.uow import UnitOfWork


@dataclass
class Job:
    """One claimed message on its way: what to send, where, and what happened."""

    id: int
    claim: str = ""
    """The claim token the row was claimed with: only this claim may record its outcome."""
    reply: Reply | None = None
    """None when the job is not to be tried (see `failure`, or worn out)."""
    target: Recipient | ChannelTarget | None = None
    failure: DeliveryError | None = None
    platform: str = ""
    handle: MessageHandle = field(default_factory=dict)
    attempts: int = 0
    """The row's attempts, this claim included (claim_due counts it)."""
    last_error: str | None = None
    update: tuple[str, MessageHandle] | None = None
    """Replace this already-delivered message (platform, handle) instead of posting."""
    route: Platform | None = None
    """The platform that will carry it (the first that can reach the target), once known."""
    outcome: Outcome | None = None
    """Set once, when the job is finished, and written as it says."""
    via: DirectVia | None = None
    """"sms" or "email": sent only through that channel, never routed to chat (nor the other
    way round)."""

    @property
    def to_try(self) -> bool:
        return self.failure is None and self.target is not None and self.reply is not None


def claimed_jobs(
    uow: UnitOfWork, rows: Sequence[ClaimedRow], config: OrgConfig, max_attempts: int
) -> list[Job]:
    """Turn claimed rows into jobs. A broadcast's rows all carry the same payload, so each
    distinct payload is read into a Reply once per claim, not once per row."""
    people = uow.staff.reach_by_ids([r.recipient_id for r in rows if r.recipient_id is not None])
    contacts = uow.contacts.for_staff(
        r.recipient_id for r in rows if r.recipient_id is not None and r.payload.get("via")
    )
    read: list[tuple[Mapping[str, Any], Reply, tuple[str, MessageHandle] | None]] = []
    jobs: list[Job] = []
    for row in rows:
        job = Job(
            row.id, claim=row.claim_token or "", attempts=row.attempts, last_error=row.last_error
        )
        jobs.append(job)
        if worn_out(row.attempts, max_attempts):
            continue
        try:
            seen = next((r for r in read if r[0] == row.payload), None)
            if seen is None:
                seen = (
                    row.payload,
                    reply_from_payload(row.payload["reply"]),
                    update_of(row.payload),
                )
                read = [seen, *read[:3]]
            _, job.reply, job.update = seen
            job.target = target_of(row, people, config)
            job.via = direct_via(row.payload)
            if job.via is not None:
                job.target = direct_target(row, job.target, contacts)
        except DeliveryError as exc:
            job.failure = exc
    _resolve_card_updates(uow, rows, jobs)
    return jobs


NOT_DELIVERED_YET = "the card it updates is not delivered yet"
UPDATE_RETRY_SECONDS = 5.0


def card_row_of(payload: Mapping[str, Any]) -> int | None:
    """A card update names the outbox row of the message it replaces ({"update": {"row": 12}})
    rather than its handle: the handle is only known once that message is delivered, which
    may be after the record changed (handlers/cards.py)."""
    wanted = payload.get("update")
    row = wanted.get("row") if isinstance(wanted, Mapping) else None
    return row if isinstance(row, int) and not isinstance(row, bool) else None


def _resolve_card_updates(uow: UnitOfWork, rows: Sequence[ClaimedRow], jobs: list[Job]) -> None:
    """Find the handle of each card update's message. One still on its way waits for it
    (a deferral spends no attempt); one that was never delivered has nothing to update."""
    wanted = {job.id: card_row_of(row.payload) for row, job in zip(rows, jobs, strict=True)}
    found = uow.outbox.delivered([r for r in wanted.values() if r is not None])
    for job in jobs:
        row_id = wanted[job.id]
        if row_id is None or job.reply is None or job.failure is not None:
            continue
        status, platform, handle = found.get(row_id, ("missing", None, None))
        if status == "sent" and platform and handle:
            job.update = (platform, {str(k): str(v) for k, v in dict(handle).items()})
        elif status in ("pending", "sending"):
            job.failure = DeliveryError(
                NOT_DELIVERED_YET,
                retryable=True,
                retry_after=UPDATE_RETRY_SECONDS,
                deferred=True,
            )
        else:
            job.failure = DeliveryError(
                "the card it would update was never delivered", retryable=False
            )


def target_of(
    row: ClaimedRow, people: Mapping[int, Reachable], config: OrgConfig
) -> Recipient | ChannelTarget:
    if row.recipient_id is not None:
        staff = people.get(row.recipient_id)
        if staff is None or not staff.active:
            raise DeliveryError("recipient is no longer in the directory", retryable=False)
        return Recipient(
            staff_id=staff.id,
            email=staff.email,
            name=staff.display_name,
            slack_user_id=staff.slack_user_id,
            teams_aad_id=staff.teams_aad_id,
        )
    assert row.channel is not None
    configured = config.channels.get(row.channel)
    if configured is None:
        raise DeliveryError(f"channel {row.channel!r} is not configured", retryable=False)
    return ChannelTarget(
        key=row.channel,
        name=configured.name,
        slack_id=configured.slack_id,
        teams_id=configured.teams_id,
    )


def direct_via(payload: Mapping[str, Any]) -> DirectVia | None:
    """The channel a payload asks for by name ({"via": "sms"}), or None for chat."""
    via = payload.get("via")
    if via == "sms":
        return "sms"
    if via == "email":
        return "email"
    if via is not None:
        raise DeliveryError(
            f"unknown channel {via!r} (known: {', '.join(DIRECT_VIAS)})", retryable=False
        )
    return None


def direct_target(
    row: ClaimedRow, target: Recipient | ChannelTarget, contacts: Mapping[int, StaffContact]
) -> Recipient:
    """The person with what a text or email needs: their usable number and address (the alert
    email, else the work address), the payload's shared ((placeholders)), and a reference
    made of the row's id (no personal data; the same on every attempt of this message)."""
    if not isinstance(target, Recipient):
        raise DeliveryError("a text or email goes to a person, not a channel", retryable=False)
    contact = contacts.get(target.staff_id)
    mobile, email = usable(contact) if contact is not None else (None, None)
    work_refused = (
        contact is not None and contact.email is None and contact.email_failed_at is not None
    )
    given = row.payload.get("notify")
    personal = {str(k): str(v) for k, v in given.items()} if isinstance(given, Mapping) else {}
    direct = DirectTarget(
        mobile=mobile,
        email=email or (None if work_refused else target.email),
        personalisation=personal,
        reference=f"qihub-o{row.id}",
        check_first=row.attempts > 1,
    )
    return replace(target, direct=direct)


def update_of(payload: Mapping[str, Any]) -> tuple[str, MessageHandle] | None:
    """An outbox payload may ask for a message already delivered to be replaced rather than a
    new one posted: {"reply": ..., "update": {"platform": "slack", "handle": {...}}} (critical
    alert corrections and retractions, the publisher's live status). Payloads without the key
    are posted as before."""
    wanted = payload.get("update")
    if not isinstance(wanted, Mapping):
        return None
    handle = wanted.get("handle")
    if not isinstance(handle, Mapping) or not wanted.get("platform"):
        return None
    return str(wanted["platform"]), {str(k): str(v) for k, v in handle.items()}
