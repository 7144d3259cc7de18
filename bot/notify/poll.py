"""Receipts by polling: a clock job asks GOV.UK Notify about each text and email it accepted
but has not yet given a final status for (`GET /v2/notifications/{id}` through the official
client's `get_notification_by_id`), for operators who cannot expose /notify/callback.

Each status is recorded by handlers.alerts.receipts, exactly as a callback's would be. The asks
share the sending channels' gate, so sends and asks together stay inside Notify's one rate
limit; a tick asks at most NOTIFY_POLL_PER_MINUTE; each message is first asked about 5 minutes
after it was sent, then ever less often, never after its final status nor after Notify's 7 days.
A refused key, a 429 or an outage ends the tick (the next tick tries again). Nothing here logs a
number, an address or Notify's answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from notifications_python_client.errors import APIError

from bot.app import QIHub
from bot.notify.errors import classify
from bot.notify.platform import NotifyChannel, NotifyGate, notify_channels
from handlers.alerts import receipts
from handlers.platform import Platform
from store.repos.attempts import PollDue

log = logging.getLogger(__name__)

GONE = (400, 404)
"""Notify has no such message (its data is gone, or the id is not one): stop asking."""


class ReceiptPoller:
    """One tick of the receipt poll: `()` asks about the due messages and returns how many
    statuses changed."""

    def __init__(self, app: QIHub, gate: NotifyGate, per_tick: int) -> None:
        self._app = app
        self._gate = gate
        self._per_tick = per_tick

    def __call__(self) -> int:
        app = self._app
        with app.uow_factory() as uow:
            due = uow.attempts.due_for_poll(
                app.clock.now(), receipts.FIRST_POLL, receipts.POLL_CUTOFF, self._per_tick
            )
        changed = 0
        for item in due:
            try:
                status = self._ask(item)
            except APIError as exc:
                self._stop(exc)
                break
            with app.uow_factory() as uow:
                if receipts.record_polled(uow, item, status, app.clock.now()):
                    changed += 1
                uow.commit()
        return changed

    def _ask(self, item: PollDue) -> str | None:
        """Notify's status for the message ("" when its answer is not one), None if gone."""
        self._gate.spend()
        try:
            answer = self._gate.clients.notification(item.notification_id)
        except APIError as exc:
            if exc.response is not None and exc.status_code in GONE:
                return None
            raise
        status = answer.get("status")
        if answer.get("reference") != receipts.reference_of(item.outbox_id):
            return ""  # not the message we sent: nothing to record from it
        return status if isinstance(status, str) else ""

    def _stop(self, exc: APIError) -> None:
        verdict = classify(exc)
        if verdict.pause:
            self._gate.pacer.pause(verdict.pause)
        if verdict.operator:
            log.error("receipt poll: %s", verdict.operator)
        else:
            log.warning("receipt poll stopped for this minute: %s", verdict.error.reason)


def receipt_poller(app: QIHub, direct: Sequence[Platform] = ()) -> Callable[[], int] | None:
    """The poll, when NOTIFY_API_KEY is set and NOTIFY_RECEIPTS asks for polling; it shares
    the gate of the clock's own Notify channels (`direct`) when given."""
    settings = app.settings
    if settings.notify_api_key is None or settings.receipts_mode() == "callback":
        return None
    channels = [p for p in direct if isinstance(p, NotifyChannel)]
    if not channels:
        channels = notify_channels(settings, app.config.notify)
    return ReceiptPoller(app, channels[0].gate, settings.notify_poll_per_minute)
