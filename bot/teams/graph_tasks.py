"""The Graph command-line tasks: `qihub teams sync-directory` and `qihub teams install-for-all`.

Only their I/O lives here (progress lines, exit codes, credentials turned into plain
sentences); the work is bot.teams.directory_sync and bot.teams.install.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO, TypeVar

from bot.app import create_app
from bot.errors import MissingCredential
from bot.settings import Settings
from bot.teams.auth import GRAPH_SCOPE, MsalTokenSource, TokenSource, TokenUnavailable
from bot.teams.directory_sync import sync_directory
from bot.teams.graph import GraphClient, GraphError, Progress
from bot.teams.install import install_for_everyone

_T = TypeVar("_T")


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
