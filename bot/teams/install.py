"""Installing the Teams app for everyone through Microsoft Graph.

Why: a bot cannot message someone in Teams until its app is installed for them. Installing it
through Graph (`POST /users/{id}/teamwork/installedApps`) makes Teams send us an
installationUpdate, which the inbound adapter stores as the person's personal conversation;
from then on reminders and alerts can reach them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from bot.app import QIHub
from bot.teams.graph import GraphClient, GraphError, Progress
from handlers.audit import record
from handlers.context import SYSTEM, Context
from messages.templates import count_people

PLATFORM: Final = "teams"


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
            f"install done: {count_people(self.attempted)} tried; {self.installed} installed, "
            f"{self.already} already had the app, {self.failed} failed"
        )


def _batches(hub: QIHub, batch_size: int) -> Iterator[list[tuple[int, str]]]:
    """Active people with an AAD id and no installed personal chat, a batch at a time (keyset
    paging by id; no transaction stays open while Graph is called)."""
    last_id = 0
    while True:
        with hub.uow_factory() as uow:
            rows = uow.staff.unreachable_on_teams(last_id, batch_size)
        if not rows:
            return
        last_id = rows[-1][0]
        yield rows


@dataclass
class _BatchCounts:
    people: int = 0
    installed: int = 0
    already: int = 0
    failed: int = 0


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
        done = _BatchCounts(people=len(batch))
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
                done.failed += 1
                continue
            if response.status_code == 401:
                raise GraphError.from_response("POST", client.url(path), response)
            if response.status_code in (200, 201):
                result.installed += 1
                done.installed += 1
            elif response.status_code == 409:
                result.already += 1
                done.already += 1
            else:
                reason = str(GraphError.from_response("POST", client.url(path), response))
                result.failures.append(
                    InstallFailure(staff_id, aad_id, response.status_code, reason)
                )
                result.failed += 1
                done.failed += 1
        result.batches += 1
        say(
            f"batch {result.batches}: {count_people(done.people)} ({done.installed} installed, "
            f"{done.already} already, {done.failed} failed)"
        )
    with hub.uow_factory() as uow:
        record(
            Context(hub.services, uow, SYSTEM, PLATFORM),
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
